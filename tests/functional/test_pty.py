"""On a real terminal (a pty): sudo asks for a password on the user's terminal during a privileged fix step, and a
file that changes while the consent question is open is shown again and asked again (issue 13)."""
from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import REPO, doctor_argv

SITE = Path(sys.executable).parent.parent / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
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
    if os.geteuid() != 0 or not shutil.which("setpriv") or not Path("/usr/bin/python3.11").exists():
        pytest.skip("needs root to act as another user, setpriv and a system python3.11")
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
    code = ("import site, sys; site.addsitedir(%r); from nerdctl_doctor.cli import main; "
            "sys.exit(main(['fix', 'buildkit.enable-service', '--mode', 'rootful', '--timeout', '3']))" % str(SITE))
    argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3.11", "-c", code]
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
