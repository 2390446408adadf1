"""`nerdctl-doctor fix`: consent, dry-run, atomic edits with backups, re-check, idempotence, failures, undo."""
import json
import os
import signal
import subprocess
import time

import pytest

from harness import doctor_argv, validate
from harness import BUILDKITD

UUID = "0f6e1c58-5a43-4c45-9c8a-3a3e6c0a4a11"
TOML = "/etc/buildkit/buildkitd.toml"


@pytest.fixture
def oci_host(sandbox):
    """Rootful: buildkitd.toml selects the OCI worker; the daemon runs it; systemctl restarts the daemon."""
    sb = sandbox
    sb.install("buildctl")
    sb.install("systemctl")
    sb.install("buildkitd")
    sb.script("runc", "exit 0\n")
    sb.write(TOML, BUILDKITD)
    argv = [str(sb.bin / "buildkitd"), "--addr=unix:///run/buildkit/buildkitd.sock"]
    pidfile = sb.base / "buildkitd.pid"
    sb.env.update(STANDIN_BUILDKITD_PIDFILE=str(pidfile), STANDIN_BUILDKITD_ARGV=json.dumps(argv),
                  STANDIN_ROOT=str(sb.root), STANDIN_CONTAINERD_UUID=UUID)
    proc = sb.start_buildkitd(addr="unix:///run/buildkit/buildkitd.sock")
    pidfile.write_text(str(proc.pid))
    yield sb
    try:
        os.kill(int(pidfile.read_text()), signal.SIGTERM)
    except (OSError, ValueError):
        pass


def tree_bytes(sb):
    out = {}
    for d, _, files in os.walk(sb.root):
        for f in files:
            p = os.path.join(d, f)
            if not os.path.islink(p) and os.path.isfile(p):
                out[p] = open(p, "rb").read()
    return out


def test_offered_fix_is_listed_and_not_offered_exits_2(oci_host):
    doc = oci_host.doctor_json("--only", "buildkit", "--mode", "rootful")
    cfg = oci_host.check(doc, "buildkit.config")
    assert cfg["status"] == "warn"
    assert cfg["fixes"][0]["id"] == "buildkit.configure-containerd-worker"
    diff = cfg["fixes"][0]["steps"][0]["diff"]
    assert "-  enabled = true # default" in diff and "+  enabled = false" in diff
    cp = oci_host.doctor("fix", "rd.use-containerd", "--yes", "--mode", "rootful")
    assert cp.returncode == 2
    assert "not offered" in cp.stderr and "buildkit.configure-containerd-worker" in cp.stderr


def test_dry_run_changes_nothing_and_runs_nothing(oci_host):
    before = tree_bytes(oci_host)
    cp = oci_host.doctor("fix", "buildkit.configure-containerd-worker", "--dry-run", "--mode", "rootful")
    assert cp.returncode == 0, cp.stderr
    assert "edit: /etc/buildkit/buildkitd.toml" in cp.stdout and "[privileged]" in cp.stdout
    assert "run: systemctl restart buildkit [privileged]" in cp.stdout
    assert "+  namespace = \"k8s.io\"" in cp.stdout or '+namespace = "k8s.io"' in cp.stdout
    assert tree_bytes(oci_host) == before
    assert oci_host.calls("systemctl") == []
    cp = oci_host.doctor("fix", "buildkit.configure-containerd-worker", "--dry-run", "--json", "--mode", "rootful")
    doc = validate(json.loads(cp.stdout), "fix")
    assert doc["applied"] is False and doc["fix"]["id"] == "buildkit.configure-containerd-worker"
    assert tree_bytes(oci_host) == before


def test_no_consent_off_a_terminal_refuses(oci_host):
    before = tree_bytes(oci_host)
    cp = oci_host.doctor("fix", "buildkit.configure-containerd-worker", "--mode", "rootful")
    assert cp.returncode == 2 and "--yes" in cp.stderr
    cp = oci_host.doctor("fix", "buildkit.configure-containerd-worker", "--json", "--mode", "rootful")
    assert cp.returncode == 2 and cp.stdout == ""
    assert tree_bytes(oci_host) == before
    assert oci_host.calls("systemctl") == []


def test_apply_edits_atomically_with_backup_rechecks_and_is_idempotent(oci_host):
    cp = oci_host.doctor("fix", "buildkit.configure-containerd-worker", "--yes", "--json", "--mode", "rootful")
    doc = validate(json.loads(cp.stdout), "fix")
    assert doc["applied"] is True, (doc, cp.stderr)
    assert cp.returncode == doc["exit_code"] == 0, (doc["recheck"], cp.stderr)
    new = oci_host.path(TOML).read_text()
    import tomllib

    data = tomllib.loads(new)
    assert data["worker"]["oci"]["enabled"] is False
    assert data["worker"]["containerd"]["namespace"] == "k8s.io"
    assert "# our pull-through cache" in new and data["worker"]["oci"]["gckeepstorage"] == 9000
    backups = [p for p in os.listdir(oci_host.path("/etc/buildkit")) if p.endswith(".bak")]
    assert len(backups) == 1
    assert (oci_host.path("/etc/buildkit") / backups[0]).read_text() == BUILDKITD
    assert not [p for p in os.listdir(oci_host.path("/etc/buildkit")) if p.endswith(".tmp")]
    assert ["restart", "buildkit"] in oci_host.calls("systemctl")
    rechecked = {r["id"]: r["status"] for r in doc["recheck"]}
    assert rechecked["buildkit.config"] == "ok" and rechecked["buildkit.worker"] == "ok"
    # applying again: not offered any more
    cp = oci_host.doctor("fix", "buildkit.configure-containerd-worker", "--yes", "--mode", "rootful")
    assert cp.returncode == 2
    # the editor itself is idempotent on the written file (tested in test_edits); no second backup was made
    assert len([p for p in os.listdir(oci_host.path("/etc/buildkit")) if p.endswith(".bak")]) == 1


def test_failing_step_stops_the_fix_with_its_output(oci_host):
    cp = oci_host.doctor("fix", "buildkit.configure-containerd-worker", "--yes", "--json", "--mode", "rootful",
                         env={"STANDIN_SYSTEMCTL_FAIL": "1"})
    doc = validate(json.loads(cp.stdout), "fix")
    assert cp.returncode == 1 and doc["applied"] is False
    assert doc["steps"][-1]["exit_code"] == 1
    assert "control process exited with error code" in doc["steps"][-1]["output"]
    assert doc["recheck"] == []


def test_concurrent_change_between_diagnosis_and_apply_is_kept(oci_host, monkeypatch):
    """The diff is computed from the file at apply time: a change made after diagnosis survives."""
    from nerdctl_doctor.checks.buildkit import configure_fix
    from nerdctl_doctor.fixes.apply import apply_fix

    host = oci_host.host(mode="rootful")
    fix = configure_fix(host)  # diagnosis-time fix object
    p = oci_host.path(TOML)
    p.write_text(p.read_text() + '\n[registry."ghcr.io"]\n  mirrors = ["ghcr-mirror.example.com"]\n')
    res = apply_fix(host, fix)
    assert res.applied
    import tomllib

    data = tomllib.loads(p.read_text())
    assert data["registry"]["ghcr.io"]["mirrors"] == ["ghcr-mirror.example.com"]
    assert data["worker"]["containerd"]["namespace"] == "k8s.io"


def test_undo_restores_from_backup(oci_host):
    original = oci_host.path(TOML).read_bytes()
    cp = oci_host.doctor("fix", "buildkit.configure-containerd-worker", "--yes", "--mode", "rootful")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert oci_host.path(TOML).read_bytes() != original
    cp = oci_host.doctor("fix", "--undo", "--mode", "rootful")
    assert cp.returncode == 2  # no consent off a terminal
    cp = oci_host.doctor("fix", "--undo", "--yes", "--mode", "rootful")
    assert cp.returncode == 0, cp.stderr
    assert oci_host.path(TOML).read_bytes() == original
    cp = oci_host.doctor("fix", "--undo", "--yes", "--mode", "rootful")
    assert cp.returncode == 2  # nothing left to undo


def test_undo_refuses_to_clobber_a_later_change(oci_host):
    oci_host.doctor("fix", "buildkit.configure-containerd-worker", "--yes", "--mode", "rootful")
    p = oci_host.path(TOML)
    p.write_text(p.read_text() + "# edited by hand afterwards\n")
    cp = oci_host.doctor("fix", "--undo", "--yes", "--mode", "rootful")
    assert cp.returncode == 1 and "changed since" in cp.stderr
    assert "# edited by hand afterwards" in p.read_text()


def test_created_file_is_removed_by_undo(sandbox):
    """rd.add-path on a host without the app running edits (creates) the rc file."""
    rdbin = sandbox.home / ".rd" / "bin"
    sandbox.script("nerdctl", "exit 0\n", where=rdbin)
    sandbox.write(f"{sandbox.home}/.config/rancher-desktop/settings.json", '{"containerEngine": {"name": "containerd"}}')
    cp = sandbox.doctor("fix", "rd.add-path", "--yes", "--json", env={"SHELL": "/bin/bash"})
    doc = validate(json.loads(cp.stdout), "fix")
    rc = sandbox.home / ".bashrc"
    assert doc["applied"] and rc.exists() and ".rd/bin" in rc.read_text()
    # the running shell's PATH does not change: rd.path goes from fail to warn (only new login shells see it)
    assert {r["id"]: r["status"] for r in doc["recheck"]}["rd.path"] == "warn"
    assert doc["exit_code"] == 0
    cp = sandbox.doctor("fix", "--undo", "--yes")
    assert cp.returncode == 0 and not rc.exists()


def test_privileged_run_step_goes_through_sudo_when_not_root(sandbox):
    from nerdctl_doctor.fixes.apply import StepError, run_argv
    from nerdctl_doctor.model import RunStep

    h = sandbox.host(euid=1000)
    argv, env = run_argv(h, RunStep(["systemctl", "restart", "buildkit"], env={"A": "1"}, privileged=True))
    # off a terminal sudo must fail fast instead of waiting for a password nobody can type
    assert argv == ["sudo", "-n", "env", "A=1", "systemctl", "restart", "buildkit"] and env == {}
    argv, env = run_argv(sandbox.host(euid=0), RunStep(["x"], env={"A": "1"}, privileged=True))
    assert argv == ["x"] and env == {"A": "1"}
    with pytest.raises(StepError):
        run_argv(h, RunStep(["setuptool"], env={"CONTAINERD_NAMESPACE": "bad ns; rm -rf /"}))


def _on_a_terminal(sb, args, answer):
    """Run `nerdctl-doctor ARGS` with a pty as stdin and stdout, answer the prompt, return (exit code, screen)."""
    import pty
    import select
    import subprocess

    from harness import doctor_argv

    master, slave = pty.openpty()
    proc = subprocess.Popen([*doctor_argv(), *args], env=sb.env, stdin=slave, stdout=slave, stderr=slave,
                            close_fds=True)
    os.close(slave)
    out = b""
    answered = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if not answered and b"[y/N]" in out:
            os.write(master, answer.encode() + b"\n")
            answered = True
        if proc.poll() is not None and not r:
            break
    proc.wait(timeout=30)
    os.close(master)
    return proc.returncode, out.decode(errors="replace")


def test_on_a_terminal_it_shows_the_steps_and_asks(oci_host):
    before = tree_bytes(oci_host)
    code, screen = _on_a_terminal(oci_host, ["fix", "buildkit.configure-containerd-worker", "--mode", "rootful"], "n")
    assert code == 2, screen
    assert "edit: /etc/buildkit/buildkitd.toml" in screen and "Apply buildkit.configure-containerd-worker?" in screen
    assert tree_bytes(oci_host) == before
    code, screen = _on_a_terminal(oci_host, ["fix", "buildkit.configure-containerd-worker", "--mode", "rootful"], "y")
    assert code == 0, screen
    assert "the problem is gone" in screen


# ------------------------------------------------------------------ nothing of the user's is lost (issue 22)


def journal(sb):
    p = sb.home / ".local/state/nerdctl-doctor/journal.json"
    return json.loads(p.read_text())["fixes"] if p.exists() else []


def test_a_fix_killed_after_its_edit_can_be_undone(oci_host):
    """The journal entry is complete and synced before the file is replaced: SIGKILL during the next step (the
    restart) leaves an edit that `fix --undo` restores."""
    sb = oci_host
    sb.script("systemctl", "sleep 30\n")  # the restart step hangs: the doctor is killed there
    p = subprocess.Popen([*doctor_argv(), "fix", "buildkit.configure-containerd-worker", "--yes", "--mode", "rootful"],
                         env=sb.env, cwd=str(sb.base), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and 'namespace = "k8s.io"' not in sb.path(TOML).read_text():
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGKILL)
    p.communicate(timeout=10)
    assert 'namespace = "k8s.io"' in sb.path(TOML).read_text()
    assert [f["fix"] for f in journal(sb)] == ["buildkit.configure-containerd-worker"]
    cp = sb.doctor("fix", "--undo", "--yes")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert sb.path(TOML).read_text() == BUILDKITD


def test_a_file_larger_than_the_file_size_limit_is_left_as_it_was(oci_host):
    """Under RLIMIT_FSIZE smaller than the file the backup cannot be complete: nothing changes, no short backup."""
    sb = oci_host
    big = BUILDKITD + "".join(f"# padding line {i:06d} ........................................\n"
                              for i in range(800))  # under the 64 KiB edit limit
    sb.write(TOML, big)
    limit = len(big.encode()) // 2

    def limited():
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of the signal's death
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    cp = subprocess.run([*doctor_argv(), "fix", "buildkit.configure-containerd-worker", "--yes", "--mode", "rootful"],
                        env=sb.env, cwd=str(sb.base), capture_output=True, text=True, preexec_fn=limited, timeout=60)
    assert cp.returncode == 1 and "Traceback" not in cp.stderr, cp.stdout + cp.stderr
    assert "size limit" in cp.stdout + cp.stderr or "File too large" in cp.stdout + cp.stderr
    assert sb.path(TOML).read_text() == big
    assert not [f for f in os.listdir(sb.path("/etc/buildkit")) if f.endswith((".bak", ".tmp"))]
    assert journal(sb) == [] or all(f["edits"] == [] for f in journal(sb))


def test_a_hard_linked_file_is_edited_in_place(oci_host):
    sb = oci_host
    other = sb.root / "etc" / "buildkitd-team.toml"
    os.link(sb.path(TOML), other)
    cp = sb.doctor("fix", "buildkit.configure-containerd-worker", "--yes", "--mode", "rootful")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert 'namespace = "k8s.io"' in other.read_text()  # every name sees the new content
    assert os.stat(other).st_ino == os.stat(sb.path(TOML)).st_ino


def test_every_fix_is_journaled_and_undone_latest_first_and_dry_run_changes_nothing(oci_host):
    sb = oci_host
    cp = sb.doctor("fix", "buildkit.configure-containerd-worker", "--yes", "--mode", "rootful")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    after_first = sb.path(TOML).read_text()
    # the user puts the OCI worker back; a second fix must not take the first one's undo away
    second_before = BUILDKITD + "# put back by hand\n"
    sb.write(TOML, second_before)
    assert sb.doctor("fix", "buildkit.configure-containerd-worker", "--yes", "--mode", "rootful").returncode == 0
    j = journal(sb)
    assert [f["fix"] for f in j] == ["buildkit.configure-containerd-worker"] * 2
    assert sb.doctor("fix", "--undo", "--yes").returncode == 0
    assert sb.path(TOML).read_text() == second_before and len(journal(sb)) == 1  # latest first
    sb.write(TOML, after_first)  # as the first fix left it
    j = journal(sb)
    before = tree_bytes(sb)
    cp = sb.doctor("fix", "--undo", "--dry-run", "--yes")
    assert cp.returncode == 0 and "dry run" in cp.stdout and tree_bytes(sb) == before
    assert journal(sb) == j
    cp = sb.doctor("fix", "--undo", "--yes", "--json")
    doc = json.loads(cp.stdout)
    assert cp.returncode == 0 and doc["undo"]["restored"] is True and doc["exit_code"] == 0, cp.stdout
    assert sb.path(TOML).read_text() == BUILDKITD and after_first != BUILDKITD
    cp = sb.doctor("fix", "--undo", "--yes", "--json")
    assert cp.returncode == 2 and json.loads(cp.stdout)["undo"]["messages"] == ["there is no applied fix to undo"]


def test_undo_force_keeps_a_copy_of_the_later_edit(oci_host):
    sb = oci_host
    assert sb.doctor("fix", "buildkit.configure-containerd-worker", "--yes", "--mode", "rootful").returncode == 0
    sb.path(TOML).write_text(sb.path(TOML).read_text() + "# my later edit\n")
    cp = sb.doctor("fix", "--undo", "--yes", "--force")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert sb.path(TOML).read_text() == BUILDKITD
    kept = [f for f in os.listdir(sb.path("/etc/buildkit")) if f.endswith(".bak")
            and "# my later edit" in (sb.path("/etc/buildkit") / f).read_text()]
    assert kept and "kept the later edit" in cp.stdout


def test_under_a_root_a_link_out_of_it_is_refused_and_this_machines_bin_is_never_touched(oci_host, tmp_path):
    """A mounted image whose buildkitd.toml is an absolute link (to /etc/...): the fix refuses, because followed
    on this machine the link names this machine's file; nothing outside the root changes."""
    sb = oci_host
    outside = tmp_path / "hosts-own.toml"
    outside.write_text(BUILDKITD)
    os.unlink(sb.path(TOML))
    os.symlink(outside, sb.path(TOML))
    cp = sb.doctor("fix", "buildkit.configure-containerd-worker", "--yes", "--mode", "rootful")
    assert cp.returncode == 1 and "outside the diagnosed root" in cp.stdout + cp.stderr, cp.stdout + cp.stderr
    assert outside.read_text() == BUILDKITD


def test_legacy_links_under_a_root_are_the_roots_even_with_this_machines_bin_on_path(sandbox):
    """/usr/local/bin on PATH is this machine's: the diagnosed system's /usr/local/bin is <root>/usr/local/bin, and
    that is where the stale link is found and what the fix would remove."""
    sandbox.symlink("/usr/local/bin/kubectl", "/opt/rancher-desktop/resources/resources/linux/bin/kubectl")
    sandbox.write(f"{sandbox.home}/.config/rancher-desktop/settings.json", '{"containerEngine": {"name": "containerd"}}')
    (sandbox.home / ".rd" / "bin").mkdir(parents=True)
    doc = sandbox.doctor_json("--only", "rd.legacy-links", "--mode", "rootful",
                              env={"PATH": f"{sandbox.bin}:/usr/local/bin"})
    r = {c["id"]: c for c in doc["checks"]}["rd.legacy-links"]
    assert r["status"] == "warn", r
    (link,) = r["evidence"]["links"]
    assert link["resolved"] == str(sandbox.root / "usr/local/bin/kubectl")
    argv = r["fixes"][0]["steps"][0]["argv"]
    assert argv[1] == str(sandbox.root / "usr/local/bin/kubectl") and "/usr/local/bin/kubectl" not in argv[1:2]
