"""Fault injection (issue 13): every file the doctor, its fixes, its cache and its undo journal read, in every
hostile kind; hostile sockets and tools; link and backup-name attacks; modes and owners; interruptions by
SIGINT, SIGTERM and SIGHUP; misbehaving plugins. Each case must end (bounded by the subprocess timeout), with a
diagnosis and its exit code, never a traceback, and change nothing it should not."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import scenarios
from harness import REPO, as_user, doctor_argv, validate
from test_plugins import make_plugin

KINDS = ["missing", "empty", "huge", "sparse", "binary", "invalid-utf8", "nested", "fifo", "directory", "device",
         "dangling-link", "link-loop"]
BAD = set(KINDS) - {"missing", "empty", "binary", "invalid-utf8"}

# file -> (logical path, check to look at, extra args, how deep nesting is written). The first seven are the
# primary input of their check: when that check fails or errors, it must name the file.
FILES = {
    "os-release": ("/etc/os-release", "buildkit.buildctl", ["--mode", "rootful"], "toml"),
    "nerdctl.toml": ("/etc/nerdctl/nerdctl.toml", "nerdctl.config", ["--mode", "rootful"], "toml"),
    "rootless nerdctl.toml": ("{home}/.config/nerdctl/nerdctl.toml", "nerdctl.config", ["--mode", "rootless"], "toml"),
    "buildkitd.toml": ("/etc/buildkit/buildkitd.toml", "buildkit.config", ["--mode", "rootful"], "toml"),
    "settings.json": ("{home}/.config/rancher-desktop/settings.json", "rd.engine", [], "json"),
    "locked.json": ("/etc/rancher-desktop/locked.json", "rd.engine", [], "json"),
    "kubeconfig": ("{home}/.kube/config", "kube.context", ["--mode", "rootful"], "yaml"),
    "kubelet config": ("/var/lib/kubelet/config.yaml", "kube.context", ["--mode", "rootful"], "yaml"),
    "subuid": ("/etc/subuid", "rootless.prereqs", ["--mode", "rootless"], "toml"),
    "user unit": ("{home}/.config/systemd/user/k8s.io-buildkit.service", "buildkit.daemon", ["--mode", "rootless"], "toml"),
    "system unit": ("/lib/systemd/system/buildkit.service", "buildkit.daemon", ["--mode", "rootful"], "toml"),
    "bashrc": ("{home}/.bashrc", "rd.path", [], "toml"),
    "child_pid": ("{xdg}/containerd-rootless/child_pid", "containerd.socket", ["--mode", "rootless"], "toml"),
}


PRIMARY = {"nerdctl.toml", "rootless nerdctl.toml", "buildkitd.toml", "settings.json", "kubeconfig", "subuid",
           "child_pid"}


def nested(fmt: str) -> bytes:
    n = 20000
    if fmt == "json":
        return ('{"containerEngine": ' + "[" * n + "]" * n + "}").encode()
    if fmt == "yaml":
        return ("current-context: " + "[" * n + "]" * n + "\n").encode()
    return ("a = " + "[" * n + "]" * n + "\n").encode()


def plant(sb, logical: str, kind: str, fmt: str) -> Path:
    p = Path(logical.format(home=sb.home, xdg=sb.xdg))
    p = sb.path(str(p))
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.is_symlink() or p.exists():
        p.unlink() if not p.is_dir() or p.is_symlink() else p.rmdir()
    if kind == "missing":
        return p
    if kind == "empty":
        p.write_bytes(b"")
    elif kind == "huge":
        p.write_bytes(b"# padding\n" * (300_000))  # 3 MB of valid-looking text
    elif kind == "sparse":
        with open(p, "wb") as fh:
            fh.truncate(1 << 36)  # 64 GiB apparent size, no blocks
    elif kind == "binary":
        p.write_bytes(bytes(range(256)) * 64)
    elif kind == "invalid-utf8":
        p.write_bytes(b"namespace = \"\xff\xfe\xfd\"\n")
    elif kind == "nested":
        p.write_bytes(nested(fmt))
    elif kind == "fifo":
        os.mkfifo(p)
    elif kind == "directory":
        p.mkdir()
    elif kind == "device":
        os.symlink("/dev/zero", p)  # an endless device behind a link
    elif kind == "dangling-link":
        os.symlink(str(p) + ".gone", p)
    elif kind == "link-loop":
        os.symlink(p.name + ".b", p)
        os.symlink(p.name, str(p) + ".b")
    return p


def with_rancher_desktop(sb) -> None:
    (sb.home / ".rd" / "bin").mkdir(parents=True, exist_ok=True)
    sb.write(f"{sb.home}/.config/rancher-desktop/settings.json", '{"containerEngine": {"name": "moby"}}')


CASES = [(f, k) for f in FILES for k in KINDS]


@pytest.mark.parametrize("name,kind", CASES, ids=[f"{f}-{k}" for f, k in CASES])
def test_every_file_in_every_kind_is_a_diagnosis(sandbox, name, kind):
    logical, check_id, args, fmt = FILES[name]
    sandbox.install("buildctl")
    if check_id.startswith("rd."):
        with_rancher_desktop(sandbox)
    plant(sandbox, logical, kind, fmt)
    cp = sandbox.doctor("--json", "--only", check_id, "--timeout", "3", *args, timeout=60)
    assert cp.returncode in (0, 1), (cp.returncode, cp.stderr[-2000:])
    assert "Traceback" not in cp.stderr + cp.stdout
    doc = validate(json.loads(cp.stdout))
    r = next(c for c in doc["checks"] if c["id"] == check_id)
    assert "crashed" not in r["summary"], r["summary"]
    shown = logical.format(home=sandbox.home, xdg=sandbox.xdg)
    if kind in BAD and r["status"] in ("fail", "error") and name in PRIMARY:
        text = r["summary"] + r["details"]
        assert shown in text or os.path.basename(shown) in text, (r["status"], r["summary"])


# ---------------------------------------------------------------------------- fixes, journal, cache


@pytest.fixture
def oci_rootful(sandbox):
    """A rootful host whose buildkitd runs the OCI worker: buildkit.configure-containerd-worker is on offer."""
    sandbox.install("buildctl")
    sandbox.write("/lib/systemd/system/buildkit.service", "[Service]\nExecStart=/usr/bin/buildkitd\n")
    sandbox.start_buildkitd("--oci-worker=true", "--containerd-worker=false", addr="unix:///run/buildkit/buildkitd.sock")
    return sandbox


@pytest.mark.parametrize("kind", KINDS)
def test_fix_dry_run_with_the_edited_file_in_every_kind(oci_rootful, kind):
    plant(oci_rootful, "/etc/buildkit/buildkitd.toml", kind, "toml")
    cp = oci_rootful.doctor("fix", "buildkit.configure-containerd-worker", "--dry-run", "--mode", "rootful",
                            "--timeout", "3", timeout=60)
    assert cp.returncode in (0, 2), cp.stderr
    assert "Traceback" not in cp.stdout + cp.stderr
    if cp.returncode == 0 and kind in BAD - {"dangling-link"}:
        assert "cannot compute the change" in cp.stdout or "already as wanted" in cp.stdout, cp.stdout


@pytest.mark.parametrize("kind", KINDS)
def test_fix_apply_never_writes_through_a_hostile_file(oci_rootful, kind):
    path = plant(oci_rootful, "/etc/buildkit/buildkitd.toml", kind, "toml")
    before = os.lstat(path) if os.path.lexists(path) else None
    cp = oci_rootful.doctor("fix", "buildkit.configure-containerd-worker", "--yes", "--mode", "rootful",
                            "--timeout", "3", timeout=60, env={"PATH": f"{oci_rootful.bin}"})
    assert cp.returncode in (0, 1, 2), cp.stderr
    assert "Traceback" not in cp.stdout + cp.stderr
    if kind in BAD and before is not None:
        after = os.lstat(path)
        assert (stat.S_IFMT(after.st_mode), after.st_ino) == (stat.S_IFMT(before.st_mode), before.st_ino)
    assert not list(path.parent.glob(".*.tmp"))  # nothing half-written left behind


def in_private_mounts(sb, setup: str, after: str, *args: str) -> subprocess.CompletedProcess:
    """``nerdctl-doctor ARGS`` in a private mount namespace (unshare -m: nothing outside sees its mounts) between
    two shell snippets, ``setup`` and ``after`` (which sees the doctor's exit code as $rc), with $D the directory of
    /etc/buildkit/buildkitd.toml under the sandbox's root."""
    from harness import IN_CI

    why = "needs root for unshare -m" if os.geteuid() != 0 else None if shutil.which("unshare") else "needs unshare"
    if why:
        if IN_CI:
            pytest.fail(f"CI must run this test: {why}")
        pytest.skip(why)
    d = str(sb.path("/etc/buildkit"))
    script = f'set -e; {setup}; set +e; "$@"; rc=$?; {after}'
    return subprocess.run(["unshare", "-m", "/bin/sh", "-c", script, "sh", *doctor_argv(), *args],
                          env={**sb.env, "D": d, "PATH": sb.env["PATH"] + ":/usr/bin:/bin"}, capture_output=True,
                          text=True, timeout=120, cwd=str(sb.base))


FILL = ('cp "$D/buildkitd.toml" "$D/../keep"; mount -t tmpfs -o size=16k tmpfs "$D"; '
        'cp "$D/../keep" "$D/buildkitd.toml"; dd if=/dev/zero of="$D/filler" bs=1k 2>/dev/null || true')
SPACE = {"read-only": ('mount --bind "$D" "$D"; mount -o remount,bind,ro "$D"', "read-only file system"),
         "full": (FILL, "no space left on the file system"),
         "room for the backup only": (FILL + '; truncate -s -4096 "$D/filler"', "no space left on the file system"),
         # a hard-linked file is rewritten in place (its other name must see the change): the space is claimed
         # before its content is touched
         "in place, room for the backup only": (FILL + '; ln "$D/buildkitd.toml" "$D/other-name"; '
                                                'truncate -s -4096 "$D/filler"', "no space left on the file system"),
         }
PADDED = "#" * 4049 + "\n"  # with the text below, one page of file system; the fix's lines make it two


@pytest.mark.parametrize("case", sorted(SPACE))
def test_an_edit_on_a_read_only_or_full_file_system_changes_nothing_and_leaves_nothing(oci_rootful, case):
    setup, said = SPACE[case]
    original = (PADDED if "in place" in case else "") + "# ours\n[worker.oci]\n  enabled = true\n"
    toml = oci_rootful.write("/etc/buildkit/buildkitd.toml", original)
    after = ('echo "rc: $rc"; echo "files: $(ls -A "$D" | tr "\\n" " ")"; '
             'echo "content: $(tr "\\n" "|" < "$D/buildkitd.toml")"')
    cp = in_private_mounts(oci_rootful, setup, after, "fix", "buildkit.configure-containerd-worker", "--yes",
                           "--mode", "rootful")
    out = cp.stdout + cp.stderr
    assert "rc: 1" in out and said in out and "Traceback" not in out, out[-1500:]
    assert "content: " + original.replace("\n", "|") in out, out[-800:]  # unchanged, inside the namespace
    assert ".bak" not in out.split("files:")[-1].split("\n")[0], out[-800:]  # no backup left behind
    undo = oci_rootful.doctor("fix", "--undo", "--yes", timeout=60)
    assert "no applied fix to undo" in undo.stderr, undo.stdout + undo.stderr  # nothing journaled either
    assert toml.read_text() == original


KILLED_AT = """
import os, signal, sys
when, name = sys.argv.pop(1), sys.argv.pop(1)
def hook(frame, event, arg):
    if event == when and frame.f_code.co_name == name:
        os.kill(os.getpid(), signal.SIGKILL)
sys.setprofile(hook)
from nerdctl_doctor.entry import entry
entry()
"""


@pytest.mark.parametrize("when", ["call", "return"], ids=["journaled-not-written", "written"])
def test_an_edit_killed_after_its_journal_entry_can_be_undone(oci_rootful, when):
    """SIGKILL (nothing of the doctor's runs after it) as the file is about to be replaced, or right after: the
    journal already holds the edit; `fix --undo` restores the file, or says it is as it was, and forgets the fix."""
    toml = oci_rootful.write("/etc/buildkit/buildkitd.toml", "# ours\n[worker.oci]\n  enabled = true\n")
    before = toml.read_text()
    cp = subprocess.run([sys.executable, "-c", KILLED_AT, when, "write_over", "fix",
                         "buildkit.configure-containerd-worker", "--yes", "--mode", "rootful"], env=oci_rootful.env,
                        capture_output=True, text=True, timeout=60, cwd=str(oci_rootful.base))
    assert cp.returncode == -signal.SIGKILL, cp.stdout + cp.stderr
    assert (toml.read_text() != before) == (when == "return")
    cp = oci_rootful.doctor("fix", "--undo", "--yes", timeout=60)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert toml.read_text() == before
    assert ("as it was before the fix" in cp.stdout) == (when == "call"), cp.stdout
    again = oci_rootful.doctor("fix", "--undo", "--yes", timeout=60)
    assert "no applied fix to undo" in again.stderr and again.returncode == 2


@pytest.mark.parametrize("kind", KINDS)
def test_undo_with_the_journal_in_every_kind(sandbox, kind):
    plant(sandbox, f"{sandbox.home}/.local/state/nerdctl-doctor/journal.json", kind, "json")
    cp = sandbox.doctor("fix", "--undo", "--yes", timeout=60)
    assert cp.returncode in (1, 2), (cp.returncode, cp.stderr)
    assert "Traceback" not in cp.stdout + cp.stderr
    if kind not in ("missing",):
        assert "journal" in cp.stderr or "no applied fix" in cp.stderr


def test_undo_refuses_a_journal_not_of_its_making(sandbox):
    sandbox.write(f"{sandbox.home}/.local/state/nerdctl-doctor/journal.json",
                  json.dumps({"fixes": [{"edits": [{"path": "/etc/passwd"}]}]}))
    cp = sandbox.doctor("fix", "--undo", "--yes")
    assert cp.returncode == 1 and "not one nerdctl-doctor wrote" in cp.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_build_with_the_cache_directory_in_every_kind(sandbox, kind):
    sandbox.install("nerdctl")
    (sandbox.base / "ctx").mkdir()
    (sandbox.base / "ctx" / "Dockerfile").write_text("FROM scratch\n")
    plant(sandbox, f"{sandbox.home}/.cache/nerdctl-doctor", kind, "json")
    cp = sandbox.doctor("build", "--ref", "app:1", "--load", "none", str(sandbox.base / "ctx"), timeout=60,
                        env={"STANDIN_NERDCTL_STATE": str(sandbox.base / "st")})
    assert cp.returncode in (0, 1), cp.stderr
    assert "Traceback" not in cp.stdout + cp.stderr


def test_cache_entry_owned_by_someone_else_is_ignored(sandbox):
    from nerdctl_doctor.build import cache

    host = sandbox.host(mode="rootful")
    d = Path(cache.directory(host))
    d.mkdir(parents=True)
    entry = d / "preflight-abc.json"
    entry.write_text(json.dumps({"ok": True, "time": time.time(), "sockets": []}))
    assert cache.hit(host, "abc")
    os.chown(entry, 4321, 4321)
    assert not cache.hit(host, "abc")


def test_cache_never_grows_without_bound(sandbox):
    from nerdctl_doctor.build import cache

    host = sandbox.host(mode="rootful")
    for i in range(cache.MAX_ENTRIES + 20):
        cache.store(host, f"k{i}", [])
    assert len(list(Path(cache.directory(host)).glob("preflight-*"))) == cache.MAX_ENTRIES


def test_a_cached_pass_dies_with_its_daemon(sandbox):
    """The socket file stays when the daemon dies; the cached pass must not outlive it."""
    from nerdctl_doctor.build import cache

    host = sandbox.host(mode="rootful")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    p = sandbox.root / "run" / "buildkit" / "buildkitd.sock"
    p.parent.mkdir(parents=True)
    s.bind(str(p))
    s.listen(8)
    cache.store(host, "k", ["unix:///run/buildkit/buildkitd.sock"])
    assert cache.hit(host, "k")
    s.close()  # the daemon dies; its socket file remains
    assert p.is_socket() and not cache.hit(host, "k")


# ---------------------------------------------------------------------------- edits: links, backups, modes


def test_backup_is_never_written_through_a_planted_link_nor_over_a_file(tmp_path, monkeypatch):
    import datetime as real_datetime

    from nerdctl_doctor.fixes import apply

    class Frozen(real_datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 1, 2, 3, 4, 5, 6)

    monkeypatch.setattr(apply.datetime, "datetime", Frozen)
    target = tmp_path / "buildkitd.toml"
    target.write_text("old\n")
    os.chmod(target, 0o600)
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    stamp = "20260102T030405000006"
    os.symlink(victim, f"{target}.nerdctl-doctor-{stamp}.bak")  # the attacker guessed the name
    Path(f"{target}.nerdctl-doctor-{stamp}-1.bak").write_text("an older backup\n")
    backup = apply.make_backup(str(target), b"old\n", os.stat(target))
    assert backup.endswith(f"{stamp}-2.bak")
    assert victim.read_text() == "precious\n"
    assert Path(f"{target}.nerdctl-doctor-{stamp}-1.bak").read_text() == "an older backup\n"
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600


def edit_fix(sandbox, path: str, text: str):
    from nerdctl_doctor.model import EditStep, Fix

    return Fix("test.edit", "edit", [EditStep(path, "buildkitd-containerd-worker", {"namespace": "k8s.io"})])


def test_edit_keeps_mode_owner_link_and_crlf_and_undo_restores_them(sandbox):
    from nerdctl_doctor.fixes.apply import apply_fix, undo

    real = sandbox.root / "srv" / "dotfiles" / "buildkitd.toml"  # a link within the diagnosed system
    real.parent.mkdir(parents=True)
    real.write_bytes(b"# mine\r\n[worker.oci]\r\n  enabled = true\r\n")
    os.chmod(real, 0o640)
    os.chown(real, 1234, 2345)
    link = sandbox.root / "etc" / "buildkit" / "buildkitd.toml"
    link.parent.mkdir(parents=True)
    os.symlink(real, link)
    host = sandbox.host(mode="rootful")
    res = apply_fix(host, edit_fix(sandbox, "/etc/buildkit/buildkitd.toml", ""))
    assert res.applied, res.message
    assert link.is_symlink() and os.readlink(link) == str(real)  # the link stays; its target was edited
    data = real.read_bytes()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")  # CRLF stays CRLF, no mixed endings
    assert b"# mine" in data and b"enabled = false" in data
    st = os.stat(real)
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o640, 1234, 2345)
    backup = next(real.parent.glob("buildkitd.toml.nerdctl-doctor-*.bak"))
    bst = os.stat(backup)
    assert (stat.S_IMODE(bst.st_mode), bst.st_uid, bst.st_gid) == (0o640, 1234, 2345)
    again = apply_fix(host, edit_fix(sandbox, "/etc/buildkit/buildkitd.toml", ""))
    assert again.applied and real.read_bytes() == data  # idempotent
    os.chmod(real, 0o600)
    ok, msgs = undo(host)
    assert ok, msgs
    st = os.stat(real)
    assert real.read_bytes() == b"# mine\r\n[worker.oci]\r\n  enabled = true\r\n"
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o640, 1234, 2345)


def test_undo_refuses_a_backup_changed_since(sandbox):
    from nerdctl_doctor.fixes.apply import apply_fix, undo

    sandbox.write("/etc/buildkit/buildkitd.toml", "[worker.oci]\nenabled = true\n")
    host = sandbox.host(mode="rootful")
    assert apply_fix(host, edit_fix(sandbox, "/etc/buildkit/buildkitd.toml", "")).applied
    backup = next((sandbox.root / "etc/buildkit").glob("*.bak"))
    backup.write_text("tampered\n")
    ok, msgs = undo(host)
    assert not ok and "changed since it was made" in msgs[0]


def test_no_journal_no_change(sandbox):
    """HOME unset or XDG_STATE_HOME a file: the fix stops before changing anything."""
    from nerdctl_doctor.fixes.apply import apply_fix

    sandbox.write("/etc/buildkit/buildkitd.toml", "[worker.oci]\nenabled = true\n")
    before = (sandbox.root / "etc/buildkit/buildkitd.toml").read_bytes()
    (sandbox.base / "statefile").write_text("")
    for env in ({"XDG_STATE_HOME": str(sandbox.base / "statefile")}, {"HOME": ""}):
        host = sandbox.host(mode="rootful", env={**sandbox.env, **env})
        res = apply_fix(host, edit_fix(sandbox, "/etc/buildkit/buildkitd.toml", ""))
        assert not res.applied and "nothing was changed" in res.message
        assert (sandbox.root / "etc/buildkit/buildkitd.toml").read_bytes() == before


def test_a_home_with_shell_syntax_is_quoted_in_the_rc_file(sandbox, tmp_path):
    from nerdctl_doctor.fixes.edits import rd_path_block

    evil = str(tmp_path / 'h$(touch PWNED)`touch PWNED2`"x')
    text = rd_path_block(None, {"shell": "bash", "dir": evil + "/.rd/bin"})
    rc = tmp_path / "rc"
    rc.write_text(text)
    out = subprocess.run(["bash", "-c", f'source {rc}; printf %s "$PATH"'], capture_output=True, text=True,
                         cwd=tmp_path, env={"PATH": "/usr/bin:/bin"})
    assert out.stdout.startswith(evil + "/.rd/bin:")
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "PWNED2").exists()


def test_a_stale_link_that_became_a_file_is_not_removed(sandbox):
    from nerdctl_doctor.fixes.apply import apply_fix
    from nerdctl_doctor.fixes.frontends import rd_remove_legacy_links

    link = sandbox.root / "usr/local/bin/nerdctl"
    link.parent.mkdir(parents=True)
    os.symlink("/Applications/Rancher Desktop.app/nerdctl", link)
    fix = rd_remove_legacy_links([str(link)], [])
    link.unlink()
    link.write_text("#!/bin/sh\n# the user's own nerdctl, installed while the prompt was open\n")
    host = sandbox.host(mode="rootful", env={**sandbox.env, "PATH": "/usr/bin:/bin"})
    res = apply_fix(host, fix)
    assert res.applied and link.is_file() and "the user's own" in link.read_text()


# ---------------------------------------------------------------------------- hostile sockets and tools


def test_full_listen_backlog_is_said_as_such_not_a_timeout(sandbox):
    p = sandbox.root / "run/containerd/containerd.sock"
    p.parent.mkdir(parents=True)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(p))
    s.listen(0)
    held = []
    for _ in range(8):  # fill the backlog
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(str(p))
        except (BlockingIOError, OSError):
            break
        held.append(c)
    r = sandbox.check(sandbox.doctor_json("--only", "containerd.socket", "--mode", "rootful"), "containerd.socket")
    assert r["evidence"]["socket"]["outcome"] != "timeout" and "backlog" in r["evidence"]["socket"]["detail"]
    for c in held:
        c.close()
    s.close()


def test_a_flooding_tool_costs_bounded_memory(sandbox):
    import resource

    sandbox.script("tilt", "yes 'v0.33.17 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    cp = sandbox.doctor("--json", "--only", "tilt.installed", "--timeout", "3", timeout=60)
    assert cp.returncode in (0, 1) and "Traceback" not in cp.stderr
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kib < 300 * 1024 or peak_kib == before, peak_kib  # not the 1.9 GiB a greedy reader reaches


def test_a_path_of_5000_entries_and_an_absurd_timeout(sandbox):
    dirs = [str(sandbox.base / f"p{i}") for i in range(5000)]
    cp = sandbox.doctor("--json", "--timeout", "1e308", timeout=120,
                        env={"PATH": ":".join(dirs + [str(sandbox.bin)])})
    assert cp.returncode in (0, 1), cp.stderr
    validate(json.loads(cp.stdout))


# ---------------------------------------------------------------------------- interruptions


def spawn(sb, *args, env=None):
    e = {**sb.env, **(env or {})}
    return subprocess.Popen([*doctor_argv(), *args], env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=str(sb.base), start_new_session=True)


def wait_for(path: Path, timeout=20.0) -> None:
    """Until ``path`` exists with a whole line in it (a pid file is created, then written)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not (path.exists() and path.read_text().endswith("\n")):
        time.sleep(0.05)
    assert path.exists(), f"{path} never appeared"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def building(sb, nerdctl: str) -> tuple[subprocess.Popen, int]:
    """`nerdctl-doctor build` running a stand-in nerdctl whose shell body is ``nerdctl`` ({pidfile}: where it writes
    its pid first): (the doctor, nerdctl's pid) once nerdctl runs."""
    pidfile = sb.base / "nerdctl.pid"
    sb.script("nerdctl", nerdctl.format(pidfile=pidfile))
    (sb.base / "ctx").mkdir()
    (sb.base / "ctx" / "Dockerfile").write_text("FROM scratch\n")
    p = spawn(sb, "build", "--no-preflight", "--ref", "app:1", str(sb.base / "ctx"))
    wait_for(pidfile)
    return p, int(pidfile.read_text())


SIGNALS = [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)]


@pytest.mark.parametrize("sig,code", SIGNALS, ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_interrupted_diagnosis_ends_its_probes(sandbox, sig, code):
    pidfile = sandbox.base / "buildctl.pid"
    sandbox.script("buildctl", f'echo $$ > {pidfile}; exec /bin/sleep 300\n')
    p = spawn(sandbox, "--json", "--only", "buildkit.buildctl", "--timeout", "60")
    wait_for(pidfile)
    child = int(pidfile.read_text())
    os.kill(p.pid, sig)
    out, err = p.communicate(timeout=20)
    assert p.returncode == code, err
    assert b"Traceback" not in err
    time.sleep(0.3)
    assert not alive(child)


@pytest.mark.parametrize("sig,code", SIGNALS, ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_interrupted_fix_step_ends_the_step(sandbox, sig, code):
    pidfile = sandbox.base / "step.pid"
    scenarios.rootless_worker_step(sandbox, f'echo $$ > {pidfile}; exec /bin/sleep 300\n')
    p = spawn(sandbox, "fix", "buildkit.install-containerd-worker", "--yes", "--mode", "rootless")
    wait_for(pidfile)
    child = int(pidfile.read_text())
    os.kill(p.pid, sig)
    out, err = p.communicate(timeout=20)
    assert p.returncode == code, err
    time.sleep(0.3)
    assert not alive(child)


# The doctor, with the signal sent to itself at the worst moment: the program has started (Popen's _execute_child
# returned) but Popen has not returned it yet, so the doctor does not know it. Instrumenting the standard library
# (sys.setprofile) makes the instant exact; the doctor's own code runs unchanged.
AT_START = """
import os, signal, sys
from nerdctl_doctor import cli
sig, marker = int(sys.argv[1]), sys.argv[2]
def hook(frame, event, arg):
    if event == "return" and frame.f_code.co_name == "_execute_child" and marker in str(frame.f_locals.get("args")):
        sys.setprofile(None)
        os.kill(os.getpid(), sig)
sys.setprofile(hook)
sys.exit(cli.main(sys.argv[3:]))
"""


@pytest.mark.parametrize("sig,code", SIGNALS, ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_signal_as_a_fix_step_starts_still_ends_it(sandbox, sig, code):
    pidfile = sandbox.base / "step.pid"
    # the step sleeps first: the signal reaches the doctor before it has written anything
    scenarios.rootless_worker_step(sandbox, f'/bin/sleep 1; echo $$ > {pidfile}; exec /bin/sleep 300\n')
    p = subprocess.Popen([sys.executable, "-c", AT_START, str(int(sig)), "containerd-rootless-setuptool.sh",
                          "fix", "buildkit.install-containerd-worker", "--yes", "--mode", "rootless"],
                         env=sandbox.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(sandbox.base),
                         start_new_session=True)
    out, err = p.communicate(timeout=30)
    assert p.returncode == code, err
    assert b"Traceback" not in err
    time.sleep(1.5)  # the step would have written its pid by now, had it lived
    assert not pidfile.exists(), "the fix step outlived the doctor"


def test_ctrl_c_while_the_doctor_loads_is_one_line(sandbox):
    """Ctrl-C before main() has installed its handlers: the console script's entry still ends it in one line."""
    script = """
import os, signal, sys
from nerdctl_doctor.entry import entry
def hook(frame, event, arg):
    if event == "call" and frame.f_code.co_name == "<module>" and frame.f_code.co_filename.endswith("options.py"):
        sys.setprofile(None)
        os.kill(os.getpid(), signal.SIGINT)
sys.setprofile(hook)
sys.argv[1:] = ["--list-checks"]
entry()
"""
    assert "nerdctl_doctor.entry:entry" in (REPO / "pyproject.toml").read_text()  # what the console script calls
    p = subprocess.run([sys.executable, "-c", script], env=sandbox.env, capture_output=True, text=True, timeout=30)
    assert (p.returncode, p.stderr, p.stdout) == (130, "nerdctl-doctor: interrupted\n", "")


@pytest.mark.parametrize("sig,code", SIGNALS, ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_interrupted_build_ends_nerdctl(sandbox, sig, code):
    p, child = building(sandbox, 'echo $$ > {pidfile}; exec /bin/sleep 300\n')
    os.kill(p.pid, sig)
    out, err = p.communicate(timeout=20)
    assert p.returncode == code, err
    time.sleep(0.3)
    assert not alive(child)


# ---------------------------------------------------------------------------- plugins


def test_hanging_printing_and_nan_plugins(sandbox):
    make_plugin(sandbox, "hostile", """
        import time, sys
        print("hello from a plugin at import")
        from nerdctl_doctor import Result, check

        @check("hostile.nan", title="NaN and bytes")
        def nan(host, deps):
            print("printing from a check")
            sys.stdout.write("more\\n")
            return Result.ok("fine", evidence={"x": float("nan"), "y": float("inf"), "b": b"\\xff", "o": object()})

        CHECKS = [nan]

        def hang():
            time.sleep(300)
            return []
        """, {"hostile": "hostile", "hangs": "hostile:hang"})
    t0 = time.monotonic()
    cp = sandbox.doctor("--json", "--timeout", "2", timeout=60)
    assert cp.returncode in (0, 1) and "Traceback" not in cp.stderr
    assert time.monotonic() - t0 < 2 + 1 + 3  # the hanging import is cut at --timeout (3 s: a slow machine's slack)
    doc = validate(json.loads(cp.stdout))  # stdout is the document alone
    by = {c["id"]: c for c in doc["checks"]}
    assert by["hostile.nan"]["evidence"]["x"] == "nan" and by["hostile.nan"]["evidence"]["y"] == "inf"
    assert by["plugin.hangs"]["status"] == "error" and "2s" in by["plugin.hangs"]["summary"]
    cp = sandbox.doctor("--list-checks", "--json", "--timeout", "2", timeout=60)
    assert cp.returncode == 0
    json.loads(cp.stdout)


def test_subuid_that_is_a_directory_is_not_called_missing(sandbox):
    (sandbox.root / "etc" / "subuid").mkdir(parents=True)
    r = sandbox.check(sandbox.doctor_json("--only", "rootless.prereqs", "--mode", "rootless"), "rootless.prereqs")
    item = next(i for i in r["evidence"]["items"] if i["name"] == "/etc/subuid")
    assert "directory" in item["detail"] and "usermod" not in item.get("hint", "")


@pytest.mark.parametrize("name", sorted(PRIMARY))
def test_unreadable_files_are_named_as_nobody(sandbox, name):
    """Root reads everything, so unreadable files are tried as nobody (setpriv, with a system python)."""
    as_nobody = as_user(65534)
    logical, check_id, args, fmt = FILES[name]
    if check_id.startswith("rd."):
        with_rancher_desktop(sandbox)
    path = plant(sandbox, logical, "empty", fmt)
    path.write_text("x = 1\n")
    os.chmod(path, 0)
    for d in (sandbox.base, sandbox.root, sandbox.bin):
        os.chmod(d, 0o755)
    for d in (sandbox.home, sandbox.xdg, sandbox.xdg / "containerd-rootless"):
        if d.exists():
            os.chown(d, 65534, 65534)  # the user's own directories
    cp = subprocess.run([*as_nobody, "--json", "--only", check_id, "--timeout", "3", *args],
                        env={**sandbox.env, "PATH": str(sandbox.bin)}, capture_output=True, text=True, timeout=60,
                        cwd=str(sandbox.base))
    assert cp.returncode in (0, 1), cp.stderr[-2000:]
    assert "Traceback" not in cp.stderr
    r = next(c for c in validate(json.loads(cp.stdout))["checks"] if c["id"] == check_id)
    shown = logical.format(home=sandbox.home, xdg=sandbox.xdg)
    assert r["status"] in ("fail", "error"), r
    assert shown in r["summary"] + r["details"] and "permission denied" in (r["summary"] + r["details"]).lower(), r


def test_an_interrupted_build_ends_a_nerdctl_that_ignores_sigterm(sandbox):
    """A tool that ignores SIGTERM is ended all the same (forced after a second): the doctor exits 130 at once-ish
    and leaves nothing running."""
    p, child = building(sandbox, "trap '' TERM; echo $$ > {pidfile}; while :; do /bin/sleep 1; done\n")
    t0 = time.monotonic()
    os.kill(p.pid, signal.SIGINT)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 130 and b"Traceback" not in err, err
    assert time.monotonic() - t0 < 5
    time.sleep(0.3)
    assert not alive(child)


def test_a_second_signal_while_children_are_ended_changes_nothing(sandbox):
    """Ctrl-C, then SIGTERM and another Ctrl-C while the doctor waits for a tool that ignores SIGTERM to end: the
    ending is not interrupted (no traceback), the exit code is the first signal's, and the tool is ended."""
    p, child = building(sandbox, "trap '' TERM; echo $$ > {pidfile}; while :; do /bin/sleep 1; done\n")
    os.kill(p.pid, signal.SIGINT)
    time.sleep(0.3)  # the doctor is now waiting (up to a second) for nerdctl, which ignores SIGTERM, to end
    os.kill(p.pid, signal.SIGTERM)
    os.kill(p.pid, signal.SIGINT)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 130 and b"Traceback" not in err and b"interrupted" in err, err
    time.sleep(0.3)
    assert not alive(child)


def test_a_signal_the_kernel_hands_to_another_thread_still_ends_the_run_at_once(sandbox):
    """SIGTERM may be delivered to any thread (a probe's reader, say); the main thread must act on it within a
    fraction of a second, not when its current wait ends (here: a 60 s --timeout). Repeated, since which thread
    receives it is the kernel's choice."""
    pidfile = sandbox.base / "buildctl.pid"
    sandbox.script("buildctl", f'echo $$ > {pidfile}; exec /bin/sleep 300\n')
    for _ in range(8):
        if pidfile.exists():
            pidfile.unlink()
        p = spawn(sandbox, "--json", "--only", "buildkit.buildctl", "--timeout", "60")
        wait_for(pidfile)
        t0 = time.monotonic()
        os.kill(p.pid, signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        assert p.returncode == 128 + signal.SIGTERM, err
        assert time.monotonic() - t0 < 5
