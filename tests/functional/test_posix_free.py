"""The package on a Windows-shaped system with every POSIX-only interface made unavailable (no euid, process
groups, SIGHUP, O_NOFOLLOW, pwd, fcntl...) and the Windows implementations of the doctor's own OS services in use,
against stand-ins of the Windows interfaces they call: process creation flags (a Popen that accepts only
creationflags, as Windows' does) and console control events. --list-checks --json and --json run to the end with
no traceback."""
from __future__ import annotations

import json
import subprocess
import sys

from harness import validate
from winhost import windows_host

BOOT = r'''
import json, os, signal, subprocess, sys
record = []
# the Windows interfaces the doctor uses, as stand-ins
subprocess.CREATE_NEW_PROCESS_GROUP = 0x200
signal.CTRL_BREAK_EVENT = 1
signal.SIGBREAK = 21
_Popen = subprocess.Popen
class WindowsPopen(_Popen):
    def __init__(self, *a, creationflags=0, start_new_session=False, preexec_fn=None, **kw):
        if start_new_session or preexec_fn is not None:
            raise ValueError("start_new_session and preexec_fn are POSIX-only")
        record.append(creationflags)
        super().__init__(*a, **kw)
subprocess.Popen = WindowsPopen
# every POSIX-only interface the doctor could reach, made unavailable
for name in ("geteuid", "getuid", "getegid", "getgid", "killpg", "setsid", "getpgid", "fchown", "chown", "fchmod",
             "O_NOFOLLOW", "O_NONBLOCK", "O_NOCTTY", "O_DIRECTORY"):
    if hasattr(os, name):
        delattr(os, name)
del signal.SIGHUP
for mod in ("pwd", "grp", "fcntl", "termios", "resource"):
    sys.modules[mod] = None
import nerdctl_doctor.osapi as osapi
import nerdctl_doctor.osapi.windows as win
for k in win.__all__:
    setattr(osapi, k, getattr(win, k))
from nerdctl_doctor.cli import main
code = main(sys.argv[1:])
with open(os.environ["ND_RECORD"], "w") as fh:
    json.dump(record, fh)
sys.exit(code)
'''


def run(sb, *args):
    rec = sb.base / "creationflags.json"
    cp = subprocess.run([sys.executable, "-c", BOOT, *args], env={**sb.env, "ND_RECORD": str(rec)},
                        capture_output=True, text=True, timeout=120, cwd=str(sb.base))
    return cp, (json.loads(rec.read_text()) if rec.exists() else None)


def test_list_checks_and_json_run_with_no_posix_interface(sandbox):
    windows_host(sandbox, running=False)
    sandbox.env["STANDIN_VM_ROOT"] = str(sandbox.base / "vm")
    (sandbox.base / "vm" / "run").mkdir(parents=True)
    cp, flags = run(sandbox, "--list-checks", "--json")
    assert cp.returncode == 0 and "Traceback" not in cp.stderr, cp.stderr
    ids = [c["id"] for c in validate(json.loads(cp.stdout), "list-checks")["checks"]]
    assert "rd.wsl-integration" in ids
    cp, flags = run(sandbox, "--json")
    assert cp.returncode == 1 and "Traceback" not in cp.stderr, cp.stderr
    doc = validate(json.loads(cp.stdout))
    assert doc["host"]["platform"] == "windows" and doc["host"]["frontend"] == "rancher-desktop"
    by = {c["id"]: c for c in doc["checks"]}
    assert not [c for c in doc["checks"] if "crashed" in c["summary"]], [c["summary"] for c in doc["checks"]]
    assert by["rd.running"]["status"] == "fail" and by["nerdctl.installed"]["status"] == "ok"
    assert flags and set(flags) == {0x200}  # every probe in a new console process group


def test_the_stand_in_refuses_posix_process_groups(sandbox):
    """The test can fail: a doctor that asked for a POSIX session would be refused by the stand-in Popen."""
    code = BOOT.split("import nerdctl_doctor.osapi")[0] + "subprocess.Popen(['true'], start_new_session=True)\n"
    cp = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert cp.returncode != 0 and "POSIX-only" in cp.stderr
