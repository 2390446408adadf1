"""The foundation end to end: the installed command against hermetic hosts."""
import json
import os
import subprocess
import time

import pytest

from harness import doctor_argv, validate

SPEC_IDS = [
    "nerdctl.installed", "nerdctl.version", "nerdctl.config", "containerd.socket", "containerd.namespace",
    "rootless.prereqs", "buildkit.buildctl", "buildkit.host", "buildkit.worker", "buildkit.config",
    "buildkit.daemon", "rd.installed", "rd.running", "rd.engine", "rd.path", "rd.legacy-links", "rd.wsl-integration", "kube.context",
    "tilt.installed",
]


def test_list_checks_json_has_every_spec_id_in_order(sandbox):
    cp = sandbox.doctor("--list-checks", "--json")
    assert cp.returncode == 0, cp.stderr
    doc = validate(json.loads(cp.stdout), "list-checks")
    ids = [c["id"] for c in doc["checks"]]
    assert ids[: len(SPEC_IDS)] == SPEC_IDS
    by = {c["id"]: c for c in doc["checks"]}
    assert by["buildkit.worker"]["requires"] == ["buildkit.host"]
    assert by["nerdctl.version"]["requires"] == ["nerdctl.installed"]
    assert all(by[i]["source"] == "builtin" for i in SPEC_IDS)


def test_list_checks_runs_nothing(sandbox):
    sandbox.install("buildctl")
    cp = sandbox.doctor("--list-checks")
    assert cp.returncode == 0
    assert "buildkit.host" in cp.stdout
    assert sandbox.calls() == []


def test_json_document_is_valid_and_alone_on_stdout(sandbox):
    doc = sandbox.doctor_json()
    assert doc["schema"] == "nerdctl-doctor/1"
    assert doc["host"]["root"] == str(sandbox.root)
    assert doc["host"]["namespace"] == "k8s.io"
    assert doc["host"]["user"] == "tester"
    assert [c["id"] for c in doc["checks"]][: len(SPEC_IDS)] == SPEC_IDS
    assert sum(doc["summary"].values()) == len(doc["checks"])


def test_empty_host_fails_with_exit_1_and_names_127(sandbox):
    doc = sandbox.doctor_json()
    assert doc["exit_code"] == 1
    inst = sandbox.check(doc, "nerdctl.installed")
    assert inst["status"] == "fail"
    assert "exit status 127" in inst["summary"]
    # a failed prerequisite makes its dependants skip, naming it
    ver = sandbox.check(doc, "nerdctl.version")
    assert ver["status"] == "skip" and "nerdctl.installed" in ver["summary"]


def test_auto_mode_follows_euid(sandbox):
    doc = sandbox.doctor_json()
    assert doc["host"]["mode"] == ("rootful" if os.geteuid() == 0 else "rootless")
    doc = sandbox.doctor_json("--mode", "rootless")
    assert doc["host"]["mode"] == "rootless"


def test_auto_mode_detects_rancher_desktop_wrapper(sandbox):
    rdbin = sandbox.home / ".rd" / "bin"
    rdbin.mkdir(parents=True)
    sandbox.script("nerdctl", "exit 0\n", where=rdbin)
    sandbox.env["PATH"] = f"{rdbin}:{sandbox.bin}"
    doc = sandbox.doctor_json()
    assert doc["host"]["mode"] == "vm"


def test_auto_mode_detects_link_into_rd_resources(sandbox):
    res = "/opt/rancher-desktop/resources/resources/linux/bin"
    sandbox.script("nerdctl", "exit 0\n", where=res)
    sandbox.symlink(str(sandbox.bin / "nerdctl"), f"{res}/nerdctl")  # absolute logical target
    # the logical link dangles on the real machine, so PATH lookup finds nothing; a relative one resolves:
    os.unlink(sandbox.bin / "nerdctl")
    os.symlink(str(sandbox.path(res) / "nerdctl"), sandbox.bin / "nerdctl")
    doc = sandbox.doctor_json("--only", "nerdctl.installed")
    assert doc["host"]["mode"] in ("rootful", "rootless")  # a link to a resolved path is not the logical RD path
    os.unlink(sandbox.bin / "nerdctl")
    os.symlink(f"{res}/nerdctl", sandbox.bin / "nerdctl")
    host = sandbox.host()
    assert host.mode == "vm" and host.frontend.name == "rancher-desktop"


def test_buildctl_statuses(sandbox):
    doc = sandbox.doctor_json("--only", "buildkit.buildctl")
    assert sandbox.check(doc, "buildkit.buildctl")["status"] == "fail"
    assert "executable file not found" in sandbox.check(doc, "buildkit.buildctl")["summary"]
    sandbox.install("buildctl")
    doc = sandbox.doctor_json("--only", "buildkit.buildctl")
    c = sandbox.check(doc, "buildkit.buildctl")
    assert c["status"] == "ok" and c["evidence"]["version"] == "0.32.2"
    doc = sandbox.doctor_json("--only", "buildkit.buildctl", env={"STANDIN_BUILDCTL_VERSION": "v0.9.3"})
    c = sandbox.check(doc, "buildkit.buildctl")
    assert c["status"] == "fail" and "0.10" in c["summary"]
    assert doc["exit_code"] == 1


@pytest.mark.parametrize("version,status", [("v0.33.10", "ok"), ("v0.33.9", "ok"), ("v0.33.8", "ok"),
                                            ("v0.33.5", "ok"), ("v0.33.4", "fail"), ("v0.22.0", "fail")])
def test_tilt_version_gates(sandbox, version, status):
    sandbox.script("tilt", f'[ "$1" = version ] && echo "{version}, built 2023-12-15" && exit 0\nexit 3\n')
    doc = sandbox.doctor_json("--only", "tilt.installed")
    assert sandbox.check(doc, "tilt.installed")["status"] == status


def test_strict_makes_warnings_fail(sandbox):
    # plain nerdctl's namespace (default) differs from the target: a warn, not a failure
    assert sandbox.doctor_json("--only", "nerdctl.config", "--mode", "rootful")["exit_code"] == 0
    cp = sandbox.doctor("--plain", "--only", "nerdctl.config", "--mode", "rootful", "--strict")
    assert cp.returncode == 1 and "with fail/error/warn (--strict)" in cp.stdout


def test_only_and_skip_by_id_and_category(sandbox):
    doc = sandbox.doctor_json("--only", "buildkit")
    ids = {c["id"] for c in doc["checks"]}
    assert ids == {"buildkit.buildctl", "buildkit.host", "buildkit.worker", "buildkit.config", "buildkit.daemon"}
    doc = sandbox.doctor_json("--only", "buildkit.worker")
    # prerequisites of a selected check still run
    assert [c["id"] for c in doc["checks"]] == ["buildkit.buildctl", "buildkit.host", "buildkit.worker"]
    doc = sandbox.doctor_json("--skip", "rd", "--skip", "kube.context")
    ids = {c["id"] for c in doc["checks"]}
    assert not any(i.startswith("rd.") for i in ids) and "kube.context" not in ids and "tilt.installed" in ids


@pytest.mark.parametrize("args", [["--bogus"], ["--only", "no.such"], ["--namespace", "bad ns!"],
                                  ["--timeout", "0"], ["--mode", "docker"], ["--root", "/no/such/dir"]])
def test_usage_errors_exit_2_without_traceback(sandbox, args):
    cp = sandbox.doctor("--json", *args)
    assert cp.returncode == 2, (cp.returncode, cp.stdout, cp.stderr)
    assert "Traceback" not in cp.stderr
    assert cp.stdout == ""
    assert cp.stderr.strip()


def test_missing_home_is_a_diagnosis_not_a_crash(sandbox):
    del sandbox.env["HOME"]
    del sandbox.env["XDG_RUNTIME_DIR"]
    doc = sandbox.doctor_json()
    assert doc["exit_code"] in (0, 1)
    assert not any(c["status"] == "error" and "crashed" in c["summary"] for c in doc["checks"]), doc
    doc = sandbox.doctor_json("--mode", "rootless")
    assert not any("crashed" in c["summary"] for c in doc["checks"]), doc


def test_unreadable_home_is_a_diagnosis(sandbox):
    sandbox.env["HOME"] = str(sandbox.base / "no-such-home")
    doc = sandbox.doctor_json("--mode", "rootless")
    assert not any("crashed" in c["summary"] for c in doc["checks"]), doc


def test_plain_report_has_no_colour_off_a_terminal(sandbox):
    cp = sandbox.doctor("--plain")
    assert cp.returncode == 1
    assert "\x1b[" not in cp.stdout
    assert "nerdctl.installed" in cp.stdout and "Summary:" in cp.stdout
    # -v adds the evidence
    cp2 = sandbox.doctor("--plain", "-v")
    assert len(cp2.stdout) > len(cp.stdout)
    assert "PATH:" in cp2.stdout and '"PATH"' not in cp2.stdout  # aligned key: value lines, never raw JSON


def test_not_a_terminal_defaults_to_text_report(sandbox):
    cp = sandbox.doctor()
    assert "Summary:" in cp.stdout


def test_version(sandbox):
    cp = sandbox.doctor("--version")
    assert cp.returncode == 0 and cp.stdout.startswith("nerdctl-doctor ")


def test_diagnosis_writes_nothing(sandbox):
    sandbox.install("buildctl")
    sandbox.write("/etc/buildkit/buildkitd.toml", "[worker.oci]\nenabled = true\n")
    before = snapshot_tree(sandbox.base)
    sandbox.doctor_json()
    sandbox.doctor("--plain", "-v")
    after = snapshot_tree(sandbox.base)
    after.pop(str(sandbox.log), None)
    before.pop(str(sandbox.log), None)
    assert before == after


def snapshot_tree(base):
    out = {}
    for dirpath, dirnames, filenames in os.walk(base):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            out[p] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


def test_keyboard_interrupt_exits_130(sandbox):
    sandbox.script("tilt", "exec /bin/sleep 30\n")
    proc = subprocess.Popen([*doctor_argv(), "--json", "--only", "tilt.installed", "--timeout", "20"],
                            env=sandbox.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    proc.send_signal(2)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err


def test_interrupt_kills_running_probes(sandbox):
    marker = sandbox.base / "still-running"
    sandbox.script("tilt", f"/bin/sleep 3; /bin/touch {marker}\n")
    proc = subprocess.Popen([*doctor_argv(), "--json", "--only", "tilt.installed", "--timeout", "20"],
                            env=sandbox.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    proc.send_signal(2)
    proc.communicate(timeout=20)
    time.sleep(3.5)
    assert not marker.exists()
