"""tilt.installed: version gates (see test_foundation) and a running Tilt whose own PATH lacks nerdctl."""
import subprocess
import time


def test_running_tilt_without_nerdctl_on_its_path_fails(sandbox):
    sandbox.script("nerdctl", "exit 0\n")
    sandbox.script("tilt", 'import sys, time\nif sys.argv[1:] == ["version"]:\n    print("v0.33.10, built 2023-12-15")\n'
                           '    sys.exit(0)\ntime.sleep(30)\n', python=True)
    env = dict(sandbox.env)
    env["PATH"] = "/usr/bin:/bin"  # started from a launcher: no nerdctl
    proc = subprocess.Popen([str(sandbox.bin / "tilt"), "up"], env=env)
    time.sleep(0.3)
    sandbox.fake_proc(proc.pid)  # the diagnosed system's processes are read from <root>/proc
    try:
        time.sleep(0.3)
        doc = sandbox.doctor_json("--only", "tilt.installed")
        r = sandbox.check(doc, "tilt.installed")
        assert r["status"] == "fail", r
        assert f"pid {proc.pid}" in r["summary"] and "lacks nerdctl" in r["summary"]
    finally:
        proc.kill()
        proc.wait()
        import shutil

        shutil.rmtree(sandbox.root / "proc" / str(proc.pid))
    # a Tilt that does have nerdctl on its PATH is fine
    proc = subprocess.Popen([str(sandbox.bin / "tilt"), "up"], env=sandbox.env)
    time.sleep(0.3)
    sandbox.fake_proc(proc.pid)
    try:
        time.sleep(0.3)
        r = sandbox.check(sandbox.doctor_json("--only", "tilt.installed"), "tilt.installed")
        assert r["status"] == "ok" and "running" in r["summary"]
    finally:
        proc.kill()
        proc.wait()
