"""containerd.socket and containerd.namespace against a real containerd."""
import os
import subprocess
import sys

import pytest

from harness import Containerd

pytestmark = pytest.mark.containerd


def run(sb, *args, **kw):
    doc = sb.doctor_json("--only", "containerd", *args, **kw)
    return {c["id"]: c for c in doc["checks"]}


def test_socket_absent(sandbox):
    r = run(sandbox, "--mode", "rootful")
    s = r["containerd.socket"]
    assert s["status"] == "fail" and "no containerd socket at /run/containerd/containerd.sock" in s["summary"]
    assert s["evidence"]["address"] == {"value": "/run/containerd/containerd.sock", "source": "default"}
    assert r["containerd.namespace"]["status"] == "skip"


def test_socket_refused_and_not_a_socket(sandbox):
    sandbox.dead_socket("/run/containerd/containerd.sock")
    assert "refuses" in run(sandbox, "--mode", "rootful")["containerd.socket"]["summary"]
    os.unlink(sandbox.path("/run/containerd/containerd.sock"))
    sandbox.write("/run/containerd/containerd.sock", "")
    assert "not a socket" in run(sandbox, "--mode", "rootful")["containerd.socket"]["summary"]


def test_real_containerd_answers_with_version_and_uuid(sandbox, containerd):
    sandbox.link_real("ctr")
    r = run(sandbox, "--mode", "rootful")
    s = r["containerd.socket"]
    assert s["status"] == "ok", s
    assert s["evidence"]["uuid"] == containerd.uuid()
    assert s["evidence"]["version"]
    # namespace k8s.io absent, then present
    n = r["containerd.namespace"]
    assert n["status"] == "fail" and "k8s.io does not exist" in n["summary"]
    containerd.create_namespace("k8s.io")
    assert run(sandbox, "--mode", "rootful")["containerd.namespace"]["status"] == "ok"
    # another target namespace that does not exist yet is only a warning
    assert run(sandbox, "--mode", "rootful", "--namespace", "dev")["containerd.namespace"]["status"] == "warn"


def test_namespace_via_nerdctl_when_present(sandbox, containerd):
    sandbox.link_real("ctr")
    containerd.create_namespace("k8s.io")
    sandbox.script("nerdctl", """
import subprocess, sys, json, os
args = sys.argv[1:]
with open(os.environ["STANDIN_LOG"], "a") as fh: fh.write(json.dumps({"tool": "nerdctl", "argv": args}) + "\\n")
addr = args[args.index("--address") + 1]
sys.exit(subprocess.call(["/usr/bin/ctr", "--address", addr, "namespaces", "ls", "-q"]))
""", python=True)
    r = run(sandbox, "--mode", "rootful")
    assert r["containerd.namespace"]["status"] == "ok"
    assert any(a[-3:] == ["namespace", "ls", "-q"] for a in sandbox.calls("nerdctl"))


def test_env_address(sandbox, containerd):
    sandbox.link_real("ctr")
    r = run(sandbox, "--mode", "rootful", env={"CONTAINERD_ADDRESS": "/run/other.sock"})
    s = r["containerd.socket"]
    assert s["status"] == "fail" and s["evidence"]["address"] == {"value": "/run/other.sock", "source": "env"}


def test_rootless_through_rootlesskit_state_dir(sandbox):
    """Rootless nerdctl reaches containerd inside RootlessKit's namespaces: /proc/<child_pid>/root/run/..."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        pid = sleeper.pid
        ctd = Containerd(sandbox, logical_socket=f"/proc/{pid}/root/run/containerd/containerd.sock").start()
        try:
            sandbox.link_real("ctr")
            # no state dir yet: nerdctl's own message
            r = run(sandbox, "--mode", "rootless")
            assert r["containerd.socket"]["status"] == "fail"
            assert "rootless containerd not running?" in r["containerd.socket"]["summary"]
            sandbox.write(f"{sandbox.xdg}/containerd-rootless/child_pid", f"{pid}\n")
            r = run(sandbox, "--mode", "rootless")
            s = r["containerd.socket"]
            assert s["status"] == "ok", s
            assert s["evidence"]["address"] == {"value": "/run/containerd/containerd.sock", "source": "rootlesskit"}
            assert s["evidence"]["child_pid"] == pid and s["evidence"]["uuid"] == ctd.uuid()
        finally:
            ctd.stop()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_rootless_user_with_only_rootful_containerd_is_told(sandbox, containerd):
    r = run(sandbox, "--mode", "rootless")
    s = r["containerd.socket"]
    assert s["status"] == "fail" and "only a rootful containerd runs" in s["summary"]
