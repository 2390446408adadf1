"""nerdctl.installed, nerdctl.version, nerdctl.config."""
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def run(sb, check_id, *args, **kw):
    doc = sb.doctor_json("--only", check_id, *args, **kw)
    return {c["id"]: c for c in doc["checks"]}


def test_on_path(sandbox):
    sandbox.script("nerdctl", 'echo "nerdctl version 1.7.6"\n')
    r = run(sandbox, "nerdctl.version")
    assert r["nerdctl.installed"]["status"] == "ok"
    assert r["nerdctl.installed"]["evidence"]["path"] == str(sandbox.bin / "nerdctl")
    assert r["nerdctl.version"]["status"] == "ok" and r["nerdctl.version"]["evidence"]["version"] == "1.7.6"


def test_only_in_rd_bin_says_127_and_how(sandbox):
    rd = sandbox.home / ".rd" / "bin"
    sandbox.script("nerdctl", "exit 0\n", where=rd)
    r = run(sandbox, "nerdctl.installed")["nerdctl.installed"]
    assert r["status"] == "fail"
    assert "exit status 127" in r["summary"] and str(rd / "nerdctl") in r["summary"]
    assert "not on PATH but is at" in r["summary"]


def test_dangling_link_on_path(sandbox):
    os.symlink("/Applications/Rancher Desktop.app/Contents/Resources/resources/darwin/bin/nerdctl",
               sandbox.bin / "nerdctl")
    r = run(sandbox, "nerdctl.installed")["nerdctl.installed"]
    assert r["status"] == "fail" and "dangling link" in r["summary"] and "exit status 127" in r["summary"]


def test_not_executable_on_path(sandbox):
    sandbox.write(str(sandbox.bin / "nerdctl"), "#!/bin/sh\n", mode=0o644)
    r = run(sandbox, "nerdctl.installed")["nerdctl.installed"]
    assert r["status"] == "fail" and "not executable" in r["summary"]


def test_found_in_rd_resources_under_root(sandbox):
    sandbox.script("nerdctl", "exit 0\n", where="/opt/rancher-desktop/resources/resources/linux/bin")
    r = run(sandbox, "nerdctl.installed")["nerdctl.installed"]
    assert r["status"] == "fail"
    assert "/opt/rancher-desktop/resources/resources/linux/bin/nerdctl" in r["summary"]


@pytest.mark.parametrize("v,status", [("nerdctl version 0.17.1", "fail"), ("nerdctl version 0.18.0", "ok"),
                                      ("nerdctl version 2.0.3", "ok"), ("garbage", "error")])
def test_version_gate(sandbox, v, status):
    sandbox.script("nerdctl", f'echo "{v}"\n')
    assert run(sandbox, "nerdctl.version")["nerdctl.version"]["status"] == status


def test_rd_wrapper_not_running(sandbox):
    rdbin = sandbox.home / ".rd" / "bin"
    sandbox.script("nerdctl", 'echo "Rancher Desktop is not running. Please start Rancher Desktop to use nerdctl"; '
                              'exit 1\n', where=rdbin)
    sandbox.env["PATH"] = f"{rdbin}:{sandbox.bin}"
    r = run(sandbox, "nerdctl.version")["nerdctl.version"]
    assert r["status"] == "fail" and "not running" in r["summary"]


def test_config_defaults_rootful(sandbox):
    r = run(sandbox, "nerdctl.config", "--mode", "rootful")["nerdctl.config"]
    ev = r["evidence"]
    assert ev["address"] == {"value": "/run/containerd/containerd.sock", "source": "default"}
    assert ev["namespace"] == {"value": "default", "source": "default"}
    assert ev["snapshotter"] == {"value": "overlayfs", "source": "default"}
    assert r["status"] == "warn"  # plain nerdctl uses "default", the target is k8s.io
    assert "'default'" in r["summary"]


def test_config_toml_and_env_precedence(sandbox):
    sandbox.write("/etc/nerdctl/nerdctl.toml", 'address = "/run/k3s/containerd/containerd.sock"\n'
                                               'namespace = "k8s.io"\nsnapshotter = "native"\n')
    r = run(sandbox, "nerdctl.config", "--mode", "rootful")["nerdctl.config"]
    assert r["status"] == "ok"
    assert r["evidence"]["address"] == {"value": "/run/k3s/containerd/containerd.sock", "source": "toml"}
    # env beats toml, and set-but-empty counts as set
    r = run(sandbox, "nerdctl.config", "--mode", "rootful", env={"CONTAINERD_NAMESPACE": "", "CONTAINERD_SNAPSHOTTER": "stargz"})["nerdctl.config"]
    assert r["evidence"]["namespace"] == {"value": "", "source": "env"}
    assert r["evidence"]["snapshotter"] == {"value": "stargz", "source": "env"}
    assert r["status"] == "warn"


def test_config_unknown_key_fails_named(sandbox):
    sandbox.write("/etc/nerdctl/nerdctl.toml", 'namespace = "k8s.io"\nbuildkit_host = "x"\n')
    r = run(sandbox, "nerdctl.config", "--mode", "rootful")["nerdctl.config"]
    assert r["status"] == "fail"
    assert "buildkit_host" in r["summary"] and "failed to load nerdctl config (not daemon config)" in r["summary"]


def test_config_malformed_and_rootless_path_and_env_override(sandbox):
    sandbox.write(f"{sandbox.home}/.config/nerdctl/nerdctl.toml", 'namespace = \n')
    r = run(sandbox, "nerdctl.config", "--mode", "rootless")["nerdctl.config"]
    assert r["status"] == "fail" and "line 1" in r["summary"]
    sandbox.write(f"{sandbox.home}/alt.toml", 'namespace = "k8s.io"\n')
    r = run(sandbox, "nerdctl.config", "--mode", "rootless", env={"NERDCTL_TOML": f"{sandbox.home}/alt.toml"})["nerdctl.config"]
    assert r["status"] == "ok" and r["evidence"]["path_source"] == "env NERDCTL_TOML"
    sandbox.write(f"{sandbox.home}/xdg-config/nerdctl/nerdctl.toml", 'namespace = "k8s.io"\n')
    r = run(sandbox, "nerdctl.config", "--mode", "rootless", env={"XDG_CONFIG_HOME": f"{sandbox.home}/xdg-config"})["nerdctl.config"]
    assert r["status"] == "ok"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_nerdctl_toml_parsing_never_raises(data):
    import tempfile

    from nerdctl_doctor.facts import nerdctl_config
    from nerdctl_doctor.host.core import Host

    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "n.toml"), "wb") as fh:
            fh.write(data)
        cfg = nerdctl_config(Host(root="/", env={"NERDCTL_TOML": os.path.join(d, "n.toml")}, mode="rootful"))
        assert set(cfg.values) == {"address", "namespace", "snapshotter"}
