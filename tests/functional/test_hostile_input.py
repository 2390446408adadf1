"""Hostile input is a diagnosis, never a crash or a hang (issue 22): families of values past Python's limits (a
4,300-digit integer, 100,000 digits in a version), NUL bytes in paths that files name, nesting 100,000 deep, a
kubeconfig listed 30 times, worker labels that are not strings, entry_points.txt that is a FIFO or not UTF-8.
Each case runs the real command and asserts a valid document, no traceback, no crashed check, and bounded time."""
from __future__ import annotations

import json
import os
import sys
import time

import pytest

from harness import validate

BIG = "9" * 5000  # past Python's 4,300-digit limit for int()
DEEP_JSON = "[" * 100000 + "]" * 100000
DEEP_TOML = "a = " + "[" * 100000 + "]" * 100000 + "\n"

FILES = {
    "nerdctl.toml-bigint": ("/etc/nerdctl/nerdctl.toml", f"debug_full = {BIG}\n", "nerdctl.config"),
    "nerdctl.toml-nul": ("/etc/nerdctl/nerdctl.toml", 'address = "/run/contai\\u0000nerd.sock"\n', "containerd.socket"),
    "nerdctl.toml-deep": ("/etc/nerdctl/nerdctl.toml", DEEP_TOML, "nerdctl.config"),
    "buildkitd.toml-bigint": ("/etc/buildkit/buildkitd.toml", f"[worker.oci]\ngc = {BIG}\n", "buildkit.config"),
    "buildkitd.toml-nul": ("/etc/buildkit/buildkitd.toml",
                           '[worker.containerd]\naddress = "/run/x\\u0000y.sock"\nnamespace = "k8s.io"\n',
                           "buildkit.config"),
    "kubeconfig-bigint": ("~/.kube/config", f"apiVersion: v1\ncurrent-context: x\nport: {BIG}\n", "kube.context"),
    "kubeconfig-types": ("~/.kube/config", "current-context: [1, 2]\ncontexts: {a: 1}\nclusters: 7\n", "kube.context"),
    "settings-deep": ("~/.config/rancher-desktop/settings.json", DEEP_JSON, "rd.engine"),
    "settings-bigint": ("~/.config/rancher-desktop/settings.json", '{"containerEngine": {"name": ' + BIG + "}}",
                        "rd.engine"),
}


def place(sb, logical: str, text: str):
    p = sb.home / logical[2:] if logical.startswith("~/") else sb.path(logical)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def sound(doc, check_id):
    validate(doc)
    by = {c["id"]: c for c in doc["checks"]}
    crashed = [c["id"] for c in doc["checks"] if "crashed" in c["summary"]]
    assert not crashed, [by[c]["summary"] for c in crashed]
    return by[check_id]


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_hostile_file_is_a_diagnosis(sandbox, name):
    logical, text, check_id = FILES[name]
    sandbox.install("nerdctl")
    sandbox.install("buildctl")
    if name.startswith("settings"):
        (sandbox.home / ".rd" / "bin").mkdir(parents=True)
    place(sandbox, logical, text)
    t0 = time.monotonic()
    cp = sandbox.doctor("--json", "--mode", "rootful", "--timeout", "3")
    assert time.monotonic() - t0 < 10
    assert cp.returncode in (0, 1) and "Traceback" not in cp.stderr, cp.stderr
    r = sound(json.loads(cp.stdout), check_id)
    assert r["status"] in ("ok", "warn", "fail", "error", "skip"), r


@pytest.mark.parametrize("version", ["1" * 100000, "v" + "9" * 60000, "1." + "2" * 100000, "1.2." + BIG])
def test_a_tool_printing_a_huge_version_is_bounded(sandbox, version):
    sandbox.script("nerdctl", f'printf "nerdctl version {version[:200]}%0{len(version) - 200}d\\n" 0\n'
                   if len(version) > 200 else f'echo "nerdctl version {version}"\n')
    sandbox.script("tilt", f"printf 'v{version[:10]}%0{max(1, len(version) - 10)}d\\n' 0\n")
    t0 = time.monotonic()
    cp = sandbox.doctor("--json", "--mode", "rootful", "--only", "nerdctl.version,tilt.installed")
    assert time.monotonic() - t0 < 10
    assert cp.returncode in (0, 1) and "Traceback" not in cp.stderr, cp.stderr
    r = sound(json.loads(cp.stdout), "nerdctl.version")
    assert r["status"] in ("error", "fail", "ok")


def test_a_kubeconfig_listed_thirty_times_is_read_once(sandbox):
    big = "# " + "x" * (1 << 19) + "\napiVersion: v1\ncurrent-context: kind-dev\ncontexts:\n- name: kind-dev\n" \
          "  context: {cluster: kind-dev}\nclusters:\n- name: kind-dev\n  cluster: {server: 'https://127.0.0.1:1'}\n"
    p = place(sandbox, "~/.kube/config", big)
    t0 = time.monotonic()
    cp = sandbox.doctor("--json", "--mode", "rootful", "--only", "kube.context",
                        env={"KUBECONFIG": os.pathsep.join([str(p)] * 30)})
    assert time.monotonic() - t0 < 10 and "Traceback" not in cp.stderr
    assert sound(json.loads(cp.stdout), "kube.context")["status"] in ("ok", "warn", "fail")


def test_worker_labels_that_are_not_strings_keep_the_document_valid(sandbox):
    """A daemon whose worker labels are numbers, lists and null: shown as text, the document stays valid."""
    sandbox.script("buildctl", r'''
case "$*" in
  *--version*) echo "buildctl github.com/moby/buildkit v0.32.2 991535e" ;;
  *--format*) echo '[{"id":"w","labels":{"org.mobyproject.buildkit.worker.executor":7,"x":[1,2],"y":null}}]' ;;
  *) echo "ID PLATFORMS" ;;
esac
''')
    sandbox.hung_socket("/run/buildkit/buildkitd.sock")
    cp = sandbox.doctor("--json", "--mode", "rootful", "--only", "buildkit.worker", "--namespace", "default")
    assert "Traceback" not in cp.stderr
    w = sound(json.loads(cp.stdout), "buildkit.worker")
    assert all(isinstance(v, str) for v in w["evidence"].get("labels", {}).values()), w


@pytest.mark.parametrize("kind", ["fifo", "not-utf8"])
def test_a_hostile_entry_points_file_does_not_stop_the_doctor(sandbox, kind):
    plugins = sandbox.base / "plugins"
    di = plugins / "hostile-1.0.dist-info"
    di.mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(di / "entry_points.txt")
    else:
        (di / "entry_points.txt").write_bytes(b"[nerdctl_doctor.checks]\nx = \xff\xfe:bad\n")
    t0 = time.monotonic()
    cp = sandbox.doctor("--list-checks", "--json", env={"PYTHONPATH": str(plugins)}, timeout=30)
    assert time.monotonic() - t0 < 15
    assert cp.returncode == 0 and "Traceback" not in cp.stderr, cp.stderr
    json.loads(cp.stdout)


def test_closed_standard_streams_and_a_home_that_is_not_utf8(sandbox):
    """Run by cron or a unit with stdout or stdin closed: the diagnosis's exit code, no traceback. A HOME whose
    name is not UTF-8: the output is still valid UTF-8 (escaped)."""
    import subprocess

    from harness import doctor_argv

    exe = " ".join(doctor_argv())
    for redirect in (">&-", "<&-", ">&- 2>&-"):
        cp = subprocess.run(["/bin/sh", "-c", f"exec {exe} --json --mode rootful {redirect}"], env=sandbox.env,
                            capture_output=True, timeout=60, cwd=str(sandbox.base))
        assert cp.returncode == 1 and b"Traceback" not in cp.stderr, (redirect, cp.returncode, cp.stderr[-500:])
    home = os.fsencode(str(sandbox.base)) + b"/h\xff\xfeome"
    os.makedirs(home)
    env = {os.fsencode(k): os.fsencode(v) for k, v in sandbox.env.items()}
    env[b"HOME"] = home
    cp = subprocess.run([*doctor_argv(), "--plain", "-v", "--mode", "rootful"], env=env, capture_output=True,
                        timeout=60, cwd=str(sandbox.base))
    assert cp.returncode == 1 and b"Traceback" not in cp.stderr, cp.stderr[-800:]
    cp.stdout.decode("utf-8")  # valid UTF-8 (the undecodable name is escaped)
    cp = subprocess.run([*doctor_argv(), "--json", "--mode", "rootful"], env=env, capture_output=True, timeout=60,
                        cwd=str(sandbox.base))
    assert cp.returncode == 1, cp.stderr[-800:]
    json.loads(cp.stdout.decode("utf-8"))


def test_a_check_cut_by_the_deadline_leaves_no_tool_running(sandbox):
    import subprocess

    from harness import doctor_argv

    site = sandbox.base / "site"
    (site / "slow-0.1.dist-info").mkdir(parents=True)
    (site / "slow-0.1.dist-info" / "entry_points.txt").write_text("[nerdctl_doctor.checks]\nslow = slow\n")
    (site / "slow.py").write_text(
        "from nerdctl_doctor import Result, check\n\n"
        "@check('slow.tool', title='a tool that hangs')\n"
        "def slow(host, deps):\n"
        "    host.run(['sleep', '31.4159'], timeout=60)\n"
        "    return Result.ok('never')\n\nCHECKS = [slow]\n")
    sandbox.script("sleep", "exec /bin/sleep \"$@\"\n")
    cp = subprocess.run([*doctor_argv(), "--json", "--only", "slow.tool", "--timeout", "1"],
                        env={**sandbox.env, "PYTHONPATH": str(site)}, capture_output=True, text=True, timeout=60)
    assert cp.returncode == 1 and "did not finish" in cp.stdout, cp.stdout + cp.stderr
    time.sleep(0.3)
    left = subprocess.run(["pgrep", "-f", "sleep 31.4159"], capture_output=True, text=True).stdout.split()
    assert left == [], left


def test_a_huge_buildkitd_toml_costs_no_more_than_a_timeout(sandbox):
    """2,500 dotted keys: the diagnosis (tomllib) and the fix's preview (tomlkit) stay fast; the edit is refused."""
    sandbox.install("buildctl")
    sandbox.install("buildkitd")
    sandbox.script("runc", "exit 0\n")
    sandbox.write("/etc/buildkit/buildkitd.toml", "[worker.oci]\nenabled = true\n" +
                  "".join(f"a.b{i}.c = {i}\n" for i in range(2500)))
    t0 = time.monotonic()
    cp = sandbox.doctor("--json", "--mode", "rootful", "--only", "buildkit.config", "--timeout", "3")
    assert time.monotonic() - t0 < 6 and cp.returncode in (0, 1), cp.stderr
    r = sound(json.loads(cp.stdout), "buildkit.config")
    assert r["status"] == "warn"
    assert "too large to edit safely" in r["fixes"][0]["steps"][0]["diff"]


def test_an_ascii_only_terminal_end_to_end(sandbox):
    """A terminal whose locale is ASCII (LC_ALL=C without Python's UTF-8 mode or locale coercion), a HOME and a
    build context whose names are not ASCII (one not even UTF-8): what a person reads degrades to ASCII (no
    traceback, no encoding error, the usual exit codes); the JSON document stays UTF-8, as JSON is."""
    import subprocess

    from harness import doctor_argv

    home = os.fsencode(str(sandbox.base)) + "/hömé".encode()
    ctx = os.fsencode(str(sandbox.base)) + b"/ctx-\xff"
    for d in (home, ctx):
        os.makedirs(d)
    env = {os.fsencode(k): os.fsencode(v) for k, v in sandbox.env.items()}
    env.update({b"HOME": home, b"LC_ALL": b"C", b"LANG": b"C", b"PYTHONUTF8": b"0", b"PYTHONCOERCECLOCALE": b"0"})
    probe = subprocess.run([sys.executable, "-c", "import sys; print(sys.stdout.encoding)"], env=env,
                           capture_output=True, text=True)
    assert probe.stdout.strip() == "ascii"  # the locale really is ASCII-only

    def run(*args: str | bytes) -> subprocess.CompletedProcess:
        return subprocess.run([*doctor_argv(), *args], env=env, capture_output=True, timeout=60,
                              cwd=str(sandbox.base))

    for args, code, shows in ((("--plain", "-v", "--mode", "rootful"), 1, b"[x] nerdctl.installed"),
                              (("--list-checks",), 0, b"nerdctl.installed"),
                              (("build", "--dry-run", "--ref", "app:1", ctx), 0, b"nerdctl"),
                              (("fix", "--undo", "--dry-run"), 2, b"no applied fix")):
        cp = run(*args)
        out = cp.stdout + cp.stderr
        assert cp.returncode == code and b"Traceback" not in out, (args, cp.returncode, out[-600:])
        assert shows in out and out.isascii(), (args, [ln for ln in out.splitlines() if not ln.isascii()][:3])
    cp = run("--json", "--mode", "rootful")
    assert cp.returncode == 1 and b"Traceback" not in cp.stderr
    json.loads(cp.stdout.decode("utf-8"))  # UTF-8, whatever the terminal


ESCAPES = "\x1b[2J \x1b]0;owned\x07 \x1b]52;c;ZXZpbA==\x07 \x9b31m"


def test_what_tools_print_reaches_a_person_escaped_in_the_report_and_a_fix(sandbox):
    """A tool's screen clear, title, OSC 52 clipboard write and C1 CSI: the text report (with its evidence) and a
    fix's streamed step output show them escaped, never as control sequences."""
    sandbox.script("buildctl", f"printf '%s\\n' 'err {ESCAPES}' >&2; exit 1\n")
    cp = sandbox.doctor("--plain", "-v", "--only", "buildkit.buildctl", "--mode", "rootful")
    assert cp.returncode == 1 and "\\x1b]52;c;ZXZpbA==\\x07" in cp.stdout, cp.stdout
    assert not any(c in cp.stdout + cp.stderr for c in "\x1b\x07\x9b"), repr(cp.stdout[-300:])
    # a fix whose run step prints them (rootless: containerd-rootless-setuptool.sh installs the containerd worker)
    import scenarios

    scenarios.rootless_worker_step(sandbox, f"printf '%s\\n' 'step {ESCAPES}'; exit 0\n")
    cp = sandbox.doctor("fix", "buildkit.install-containerd-worker", "--yes", "--mode", "rootless", timeout=60)
    out = cp.stdout + cp.stderr
    assert "step \\x1b[2J" in out, out[-800:]
    assert not any(c in out for c in "\x1b\x07\x9b"), repr(out[-400:])
