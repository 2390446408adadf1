"""vm mode: the nerdctl on PATH is Rancher Desktop's wrapper; containerd and BuildKit are probed inside the VM
through `rdctl shell`, and the evidence says so."""
import json

UUID = "5b1e7c1a-0000-4000-8000-00000000c0de"
RD_FLAGS = ["--containerd-worker=true", "--containerd-worker-addr=/run/k3s/containerd/containerd.sock",
            "--oci-worker=false"]


def rd_vm(sb):
    """~/.rd/bin first on PATH; `rdctl shell` runs commands in a stand-in VM whose / is sb.base/vm."""
    rd = sb.home / ".rd" / "bin"
    vm = sb.base / "vm"
    vmbin = vm / "usr" / "bin"
    sb.install("nerdctl", where=rd)
    sb.install("buildctl", where=vmbin)
    sb.script("ctr", f'echo "Client:\\n  Version: v1.7.1\\n\\nServer:\\n  Version: v1.7.1\\n  UUID: {UUID}"\n',
              where=vmbin)
    sb.script("rdctl", f"""
import os, subprocess, sys
args = sys.argv[1:]
if args[:1] == ["list-settings"]:
    print('{{"containerEngine": {{"name": "containerd"}}}}'); sys.exit(0)
if args[:1] != ["shell"]:
    sys.exit(1)
cmd = args[1:]
if cmd[:1] == ["sudo"]:
    cmd = cmd[1:]
vm = {str(vm)!r}
cmd = [a.replace("unix:///run/", "unix://" + vm + "/run/") for a in cmd]
cmd = [vm + a if a.startswith("/etc/") or a.startswith("/run/") else a for a in cmd]
env = dict(os.environ, PATH=vm + "/usr/bin:/usr/bin:/bin")
sys.exit(subprocess.call(cmd, env=env))
""", where=rd, python=True)
    sb.write(f"{sb.home}/.config/rancher-desktop/settings.json", json.dumps({"containerEngine": {"name": "containerd"}}))
    sb.write(str(vm / "etc/conf.d/buildkitd"), 'command_args="--containerd-worker=true '
             '--containerd-worker-addr=/run/k3s/containerd/containerd.sock --oci-worker=false"\n')
    sb.env["PATH"] = f"{rd}:{sb.bin}"
    sb.start_buildkitd(*RD_FLAGS, addr="unix:///run/buildkit/buildkitd.sock",
                       env={"STANDIN_ROOT": str(vm), "STANDIN_CONTAINERD_UUID": UUID})
    return rd


def test_vm_mode_probes_inside_the_vm(sandbox):
    rd_vm(sandbox)
    doc = sandbox.doctor_json()
    assert doc["host"]["mode"] == "vm"
    res = {c["id"]: c for c in doc["checks"]}
    h = res["buildkit.host"]
    assert "Rancher Desktop VM" in h["evidence"]["where"]
    assert [c["address"] for c in h["evidence"]["candidates"]] == [
        "unix:///run/buildkit-k8s.io/buildkitd.sock", "unix:///run/buildkit-default/buildkitd.sock",
        "unix:///run/buildkit/buildkitd.sock"]
    assert h["evidence"]["selected"] == "unix:///run/buildkit/buildkitd.sock"
    assert h["evidence"]["candidates"][0]["command"]["where"] == "rancher-desktop"
    # Rancher Desktop's buildkitd has no namespace flag: worker namespace `buildkit`
    w = res["buildkit.worker"]
    assert w["status"] == "warn" and "containerd.namespace 'buildkit'" in w["summary"]
    assert w["evidence"]["containerd_uuid"] == UUID
    assert res["buildkit.daemon"]["status"] == "warn" and "'buildkit'" in res["buildkit.daemon"]["summary"]
    s = res["containerd.socket"]
    assert s["status"] == "ok" and s["evidence"]["uuid"] == UUID and "Rancher Desktop VM" in s["evidence"]["where"]
    assert s["evidence"]["address"]["value"] == "/run/k3s/containerd/containerd.sock"
    assert res["rootless.prereqs"]["status"] == "skip"
    assert res["rd.engine"]["status"] == "ok" and res["rd.path"]["status"] == "ok"
