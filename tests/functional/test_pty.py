"""On a real terminal (a pty): sudo asks for a password on the user's terminal during a privileged fix step, and a
file that changes while the consent question is open is shown again and asked again (issue 13)."""
from __future__ import annotations

import os
import select
import stat
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from harness import as_user, doctor_argv

SUDO = r"""#!/bin/sh
# stand-in sudo: asks for the password on the user's terminal, like the real one
printf '[sudo] password for %s: ' "$(id -un 2>/dev/null || echo user)" > /dev/tty
read pw < /dev/tty
if [ "$pw" != "secret" ]; then echo "sudo: 1 incorrect password attempt" >&2; exit 1; fi
[ "$1" = "-n" ] && { echo "sudo: a password is required" >&2; exit 1; }
exec "$@"
"""


def run_on_pty(argv, env, cwd, answers, timeout=60.0):
    """Run argv with a pty as its controlling terminal; answer each (prompt, reply, action) in turn."""
    master, slave = os.openpty()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd,
                            preexec_fn=lambda: os.login_tty(slave), close_fds=True)
    os.close(slave)
    seen = b""
    pending = list(answers)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if pending and pending[0][0].encode() in seen.split(b"\x00")[-1][-4000:]:
            prompt, reply, action = pending.pop(0)
            if action:
                action()
            seen += b"\x00"  # answered: the same prompt text later is a new question
            os.write(master, reply.encode() + b"\r")
        if proc.poll() is not None and not r:
            break
    proc.wait(timeout=10)
    os.close(master)
    return proc.returncode, seen.replace(b"\x00", b"").decode(errors="replace")


def test_sudo_asks_for_the_password_on_the_users_terminal(sandbox):
    as_nobody = as_user(65534)
    sb = sandbox
    sb.install("buildctl")
    sb.install("buildkitd")
    calls = sb.base / "systemctl.calls"
    sb.script("systemctl", f'echo "$*" >> {calls}\n')  # as nobody: a shell stand-in (the Python ones live under /root)
    sb.script("sudo", SUDO)
    sb.write("/lib/systemd/system/buildkit.service", "[Service]\nExecStart=/usr/bin/buildkitd\n")
    for d in (sb.base, sb.root, sb.bin):
        os.chmod(d, 0o755)
    os.chown(sb.home, 65534, 65534)
    calls.write_text("")
    os.chmod(calls, 0o666)
    env = {**sb.env, "PATH": f"{sb.bin}:/usr/bin:/bin", "TERM": "xterm"}
    argv = [*as_nobody, "fix", "buildkit.enable-service", "--mode", "rootful", "--timeout", "3"]
    rc, out = run_on_pty(argv, env, str(sb.base), [("Apply buildkit.enable-service? [y/N]", "y", None),
                                                   ("[sudo] password for", "secret", None)])
    assert "[sudo] password for" in out, out
    assert "enable --now buildkit" in calls.read_text(), out
    assert rc in (0, 1), out


def test_a_file_changed_while_asking_is_shown_and_asked_again(sandbox):
    sb = sandbox
    sb.install("buildctl")
    sb.write("/lib/systemd/system/buildkit.service", "[Service]\nExecStart=/usr/bin/buildkitd\n")
    sb.start_buildkitd("--oci-worker=true", "--containerd-worker=false", addr="unix:///run/buildkit/buildkitd.sock")
    toml = sb.root / "etc/buildkit/buildkitd.toml"
    toml.parent.mkdir(parents=True, exist_ok=True)
    toml.write_text("[worker.oci]\n  enabled = true\n")

    def meanwhile():
        toml.write_text("# someone else was here\n[worker.oci]\n  enabled = true\n")

    env = {**sb.env, "TERM": "xterm"}
    rc, out = run_on_pty([*doctor_argv(), "fix", "buildkit.configure-containerd-worker", "--mode", "rootful"], env,
                         str(sb.base), [("? [y/N]", "y", meanwhile), ("as shown now? [y/N]", "n", None)])
    assert "The files changed while you were asked" in out and "someone else was here" in out, out
    assert rc == 2
    assert toml.read_text() == "# someone else was here\n[worker.oci]\n  enabled = true\n"  # untouched


def test_a_privileged_edit_by_a_non_root_user_goes_through_sudo_and_undo_too(sandbox):
    """A real sudo (Debian's), a throwaway user allowed to run the doctor's interpreter as root: the root-owned
    buildkitd.toml is edited through sudo (backup and mode/owner kept, as root would), and undone the same way."""
    sudo = shutil.which("sudo")
    if not sudo:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI must run the sudo test: apt-get install sudo")
        pytest.skip("needs sudo (apt-get install sudo)")
    user, uid = "ndsudo", None
    if subprocess.run(["id", "-u", user], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/sh", user], check=True)
    uid = int(subprocess.run(["id", "-u", user], capture_output=True, text=True).stdout)
    as_ndsudo = as_user(uid)
    sudoers = Path("/etc/sudoers.d/nerdctl-doctor-test")
    sudoers.write_text(f"{user} ALL=(root) NOPASSWD: {as_ndsudo[-3]}\n")  # the installation's own python
    os.chmod(sudoers, 0o440)
    try:
        sb = sandbox
        sb.install("buildctl")
        sb.write("/lib/systemd/system/buildkit.service", "[Service]\nExecStart=/usr/bin/buildkitd\n")
        sb.start_buildkitd("--oci-worker=true", "--containerd-worker=false", addr="unix:///run/buildkit/buildkitd.sock")
        toml = sb.root / "etc/buildkit/buildkitd.toml"
        toml.parent.mkdir(parents=True, exist_ok=True)
        toml.write_text("# the team's config\n[worker.oci]\n  enabled = true\n")
        os.chmod(toml, 0o640)
        os.chown(toml, 0, 0)
        os.chmod(toml, 0o644)  # readable by the user, writable only by root, as under /etc
        for d in (sb.base, sb.root, sb.bin):
            os.chmod(d, 0o755)
        for d in (sb.home, sb.xdg):
            os.chown(d, uid, uid)
        env = {**sb.env, "PATH": f"{sb.bin}:/usr/bin:/bin"}
        cp = subprocess.run([*as_ndsudo, "fix", "buildkit.configure-containerd-worker", "--yes", "--mode", "rootful"],
                            env=env, capture_output=True, text=True, timeout=120, cwd=str(sb.base))
        text = toml.read_text()
        assert 'namespace = "k8s.io"' in text and "# the team's config" in text, cp.stdout + cp.stderr
        st = os.stat(toml)
        assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o644)
        (backup,) = toml.parent.glob("buildkitd.toml.nerdctl-doctor-*.bak")
        assert os.stat(backup).st_uid == 0 and "enabled = true" in backup.read_text()
        # the drop-in (the running daemon's flag overrides the file) went through sudo too; the run steps are not
        # allowed to this user by sudoers: the fix stops there and says why, off a terminal without waiting
        dropin = sb.root / "etc/systemd/system/buildkit.service.d/nerdctl-doctor.conf"
        assert dropin.exists() and os.stat(dropin).st_uid == 0
        assert "sudo: a password is required" in cp.stdout and cp.returncode == 1
        cp = subprocess.run([*as_ndsudo, "fix", "--undo", "--yes"], env=env, capture_output=True, text=True,
                            timeout=120, cwd=str(sb.base))
        assert cp.returncode == 0, cp.stdout + cp.stderr
        assert toml.read_text() == "# the team's config\n[worker.oci]\n  enabled = true\n"
        assert os.stat(toml).st_uid == 0 and not dropin.exists()
    finally:
        sudoers.unlink()
        subprocess.run(["userdel", user], capture_output=True)
