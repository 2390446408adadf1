"""rootless.prereqs: each missing piece named, with an install hint for the distribution."""
import os

import pytest

TOOLS = ["rootlesskit", "nsenter", "newuidmap", "newgidmap", "containerd-rootless-setuptool.sh",
         "containerd-rootless.sh", "slirp4netns"]


def complete(sb):
    for t in TOOLS:
        sb.script(t, "exit 0\n")
    sb.script("systemctl", '[ "$1" = --user ] && exit 0; exit 1\n')
    sb.write("/etc/subuid", "tester:100000:65536\n")
    sb.write("/etc/subgid", "tester:100000:65536\n")
    sb.write(f"{sb.xdg}/containerd-rootless/child_pid", "4242\n")


def prereqs(sb, *args, **kw):
    doc = sb.doctor_json("--only", "rootless.prereqs", *args, **kw)
    return sb.check(doc, "rootless.prereqs")


def test_skip_outside_rootless(sandbox):
    assert prereqs(sandbox, "--mode", "rootful")["status"] == "skip"
    assert prereqs(sandbox, "--mode", "vm")["status"] == "skip"


def test_complete_rootless_host_is_ok(sandbox):
    complete(sandbox)
    r = prereqs(sandbox, "--mode", "rootless")
    assert r["status"] == "ok", r["details"]


@pytest.mark.parametrize("missing", TOOLS)
def test_each_missing_tool_is_named_with_a_hint(sandbox, missing):
    complete(sandbox)
    os.unlink(sandbox.bin / missing)
    sandbox.write("/etc/os-release", "ID=debian\nVERSION_ID=12\n")
    r = prereqs(sandbox, "--mode", "rootless")
    assert r["status"] == "fail"
    if missing == "slirp4netns":
        assert "network driver" in r["summary"]
        assert "apt-get install -y slirp4netns" in r["details"]
    else:
        assert missing in r["summary"]
    if missing in ("newuidmap", "newgidmap"):
        assert "apt-get install -y uidmap" in r["details"]


def test_pasta_counts_as_network_driver_and_fedora_hints(sandbox):
    complete(sandbox)
    os.unlink(sandbox.bin / "slirp4netns")
    sandbox.script("pasta", "exit 0\n")
    assert prereqs(sandbox, "--mode", "rootless")["status"] == "ok"
    os.unlink(sandbox.bin / "newuidmap")
    sandbox.write("/etc/os-release", 'ID=fedora\nVERSION_ID="40"\n')
    r = prereqs(sandbox, "--mode", "rootless")
    assert "dnf install -y shadow-utils" in r["details"]


def test_subid_entries_by_name_or_uid(sandbox):
    complete(sandbox)
    sandbox.write("/etc/subuid", "someone:100000:65536\n")
    r = prereqs(sandbox, "--mode", "rootless")
    assert r["status"] == "fail" and "/etc/subuid" in r["summary"] and "usermod" in r["details"]
    sandbox.write("/etc/subuid", f"{os.geteuid()}:100000:65536\n")
    assert prereqs(sandbox, "--mode", "rootless")["status"] == "ok"


def test_missing_xdg_runtime_dir_and_state(sandbox):
    complete(sandbox)
    del sandbox.env["XDG_RUNTIME_DIR"]
    r = prereqs(sandbox, "--mode", "rootless")
    assert r["status"] == "fail" and "XDG_RUNTIME_DIR" in r["summary"]


def test_systemd_user_not_answering(sandbox):
    complete(sandbox)
    sandbox.script("systemctl", 'echo "Failed to connect to bus: No medium found" >&2; exit 1\n')
    r = prereqs(sandbox, "--mode", "rootless")
    assert r["status"] == "fail" and "systemctl --user" in r["summary"] and "enable-linger" in r["details"]


def test_rootlesskit_state_dir_override(sandbox):
    complete(sandbox)
    os.unlink(sandbox.xdg / "containerd-rootless" / "child_pid")
    r = prereqs(sandbox, "--mode", "rootless")
    assert r["status"] == "fail" and "rootless containerd not running?" in r["details"]
    sandbox.write(f"{sandbox.home}/state/child_pid", "1\n")
    r = prereqs(sandbox, "--mode", "rootless", env={"ROOTLESSKIT_STATE_DIR": f"{sandbox.home}/state"})
    assert r["status"] == "ok"
