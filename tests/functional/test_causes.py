"""Next steps from evidence (issue 19, SPEC 3): a failure is explained by another check only when its own reason is
that check's problem, found in this run. Each case pairs two hosts whose failing checks are the same ids but whose
reasons differ, so that a fixed table of ids would get one of them wrong."""
from __future__ import annotations

import contextlib
import shutil
import subprocess
import time

import scenarios


def steps_of(doc) -> dict[str, list[str]]:
    return {s["check"]: s["explains"] for s in doc["next_steps"]}


def every_failure_once(doc) -> None:
    bad = sorted(c["id"] for c in doc["checks"] if c["status"] in ("fail", "error"))
    explained = [s["check"] for s in doc["next_steps"]] + [x for s in doc["next_steps"] for x in s["explains"]]
    assert sorted(explained) == bad


@contextlib.contextmanager
def running_tilt(sandbox, path: str):
    """A fake `tilt up` running with `path`, visible under the sandbox's /proc while the block runs."""
    proc = subprocess.Popen([str(sandbox.bin / "tilt"), "up"], env={**sandbox.env, "PATH": path})
    try:
        time.sleep(0.3)
        sandbox.fake_proc(proc.pid)
        yield proc
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(sandbox.root / "proc" / str(proc.pid), ignore_errors=True)


TILT = 'import sys, time\nif sys.argv[1:] == ["version"]:\n    print("v0.33.10, built 2023-12-15")\n    sys.exit(0)\ntime.sleep(30)\n'


def test_tilt_missing_is_its_own_root_cause(sandbox):
    doc = sandbox.doctor_json("--mode", "rootful")  # nothing installed at all
    steps = steps_of(doc)
    assert "tilt.installed" in steps and "nerdctl.installed" in steps
    assert "tilt.installed" not in steps["nerdctl.installed"]
    every_failure_once(doc)


def test_a_running_tilt_whose_path_lacks_nerdctl_is_explained_by_nerdctl_missing(sandbox):
    sandbox.script("tilt", TILT, python=True)
    with running_tilt(sandbox, "/usr/bin:/bin"):
        doc = sandbox.doctor_json("--mode", "rootful", "--only", "nerdctl.installed,tilt.installed")
    r = {c["id"]: c for c in doc["checks"]}
    assert r["tilt.installed"]["status"] == "fail" and "lacks nerdctl" in r["tilt.installed"]["summary"]
    assert steps_of(doc) == {"nerdctl.installed": ["tilt.installed"]}
    # with nerdctl on the shell's PATH, the running Tilt's PATH is a problem of its own
    sandbox.script("nerdctl", 'echo "nerdctl version 1.7.6"\n')
    with running_tilt(sandbox, "/usr/bin:/bin"):
        doc = sandbox.doctor_json("--mode", "rootful", "--only", "nerdctl.installed,tilt.installed")
    assert steps_of(doc) == {"tilt.installed": []}


CONTAINERD_WORKER_UNIT = ("[Service]\nExecStart=/usr/local/bin/buildkitd --oci-worker=false --containerd-worker=true "
                          "--containerd-worker-namespace=k8s.io\n")


def test_no_buildkitd_installed_is_not_explained_by_a_stopped_containerd(sandbox):
    scenarios.no_buildkit(sandbox)  # containerd installed but stopped, no BuildKit at all
    sandbox.install("buildctl")
    doc = sandbox.doctor_json("--mode", "rootful")
    steps = steps_of(doc)
    assert "buildkit.daemon" in steps, steps  # its own root: install BuildKit
    assert "buildkit.daemon" not in steps.get("containerd.socket", [])
    assert "buildkit.host" in steps["buildkit.daemon"]
    every_failure_once(doc)


def test_an_installed_containerd_worker_buildkitd_that_cannot_start_is_explained_by_containerd(sandbox):
    scenarios.no_buildkit(sandbox)
    sandbox.install("buildctl")
    sandbox.install("buildkitd")
    sandbox.write("/lib/systemd/system/buildkit.service", CONTAINERD_WORKER_UNIT)
    doc = sandbox.doctor_json("--mode", "rootful")
    steps = steps_of(doc)
    assert "buildkit.daemon" not in steps and "buildkit.daemon" in steps["containerd.socket"], steps
    assert "buildkit.host" in steps["containerd.socket"]  # through buildkit.daemon, to the root
    every_failure_once(doc)


def test_a_dead_daemon_says_so_and_how_to_restart_it_never_install(sandbox):
    sandbox.install("buildctl")
    sandbox.install("buildkitd")
    sandbox.write("/lib/systemd/system/buildkit.service", CONTAINERD_WORKER_UNIT.replace(
        "--containerd-worker=true", "--oci-worker=true --containerd-worker=false"))
    sandbox.dead_socket("/run/buildkit/buildkitd.sock")  # killed: its socket left behind
    doc = sandbox.doctor_json("--mode", "rootful", "--namespace", "default")
    r = {c["id"]: c for c in doc["checks"]}
    h, d = r["buildkit.host"], r["buildkit.daemon"]
    assert h["status"] == "fail" and "died" in h["summary"], h
    assert d["status"] == "fail" and "died" in d["summary"], d
    assert all(f["id"] != "buildkit.install" for c in doc["checks"] for f in c["fixes"])
    step = next(s for s in doc["next_steps"] if s["check"] == "buildkit.daemon")
    assert "buildkit.host" in step["explains"]
    assert step["fix"] == "buildkit.enable-service" or "systemctl restart buildkit" in step["text"]
    every_failure_once(doc)


def test_buildkit_not_installed_at_all_is_one_step(sandbox):
    """No buildctl and no buildkitd: BuildKit is missing, one step for it (not one for the client and one for the
    daemon), and no two next steps say the same thing."""
    doc = sandbox.doctor_json("--mode", "rootful")
    steps = steps_of(doc)
    assert "buildkit.daemon" in steps["buildkit.buildctl"] and "buildkit.daemon" not in steps
    texts = [s["text"] for s in doc["next_steps"]]
    assert len(texts) == len(set(texts)), texts
    every_failure_once(doc)
