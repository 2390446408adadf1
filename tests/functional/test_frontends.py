"""Front-ends (issue 12): Rancher Desktop on Linux and macOS, colima, Lima, and images loaded into kind, k3d and
minikube. "Inside the VM" is a private mount namespace whose /run is the VM's (tests/standins/vm), commands run as
the VM's unprivileged user unless they use sudo, and a real containerd serves the VM's k3s socket."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from harness import SYSTEM_PYTHON, Containerd

WRAPPER = """#!/bin/sh
# Rancher Desktop's nerdctl wrapper: the VM must run, then nerdctl runs in it with sudo
if ! limactl ls --json 2>/dev/null | grep -q '"name":"0","status":"Running"'; then
  echo "Rancher Desktop is not running. Please start Rancher Desktop to use nerdctl"; exit 1
fi
exec rdctl shell sudo --preserve-env=SSH_AUTH_SOCK nerdctl "$@"
"""
RD_CONF = ('buildkitd_opts="--addr=unix:///run/buildkit/buildkitd.sock --containerd-worker=true '
           '--containerd-worker-addr=/run/k3s/containerd/containerd.sock --containerd-worker-gc --oci-worker=false"\n')


def vm_root(sb, *dirs: str) -> Path:
    vm = sb.base / "vm"
    for d in ("run", "usr/local/bin", "etc/conf.d", *dirs):
        (vm / d).mkdir(parents=True, exist_ok=True)
    for d in (sb.base, vm, vm / "run", vm / "usr", vm / "usr/local", vm / "usr/local/bin"):
        os.chmod(d, 0o755)
    return vm


def rancher_desktop(sb, stops, running=True, engine="containerd", settings_dir=None):
    """~/.rd/bin (wrapper, rdctl, limactl) and a VM with a real k3s containerd and Rancher Desktop's buildkitd."""
    vm = vm_root(sb, "run/k3s/containerd", "run/buildkit")
    rd = sb.home / ".rd" / "bin"
    rd.mkdir(parents=True)
    for n in ("rdctl", "limactl"):
        sb.install("vm", where=rd, as_name=n)
    sb.script("nerdctl", WRAPPER, where=rd)
    sb.install("nerdctl", where=vm / "usr/local/bin")
    sb.install("buildctl", where=vm / "usr/local/bin", interpreter=SYSTEM_PYTHON)
    os.symlink(shutil.which("ctr", path="/usr/bin:/usr/sbin:/bin") or "/usr/bin/ctr", vm / "usr/local/bin/ctr")
    settings = Path(settings_dir or sb.home / ".config/rancher-desktop") / "settings.json"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"containerEngine": {"name": engine}}))
    state = sb.base / "vm-state.json"
    state.write_text(json.dumps({"running": running, "instance": "0"}))
    sb.env.update(STANDIN_VM_ROOT=str(vm), STANDIN_VM_STATE=str(state), STANDIN_RD_SETTINGS=str(settings),
                  STANDIN_NERDCTL_STATE=str(sb.base / "nerdctl-state"), PATH=f"{rd}:{sb.bin}:/usr/bin:/bin")
    (vm / "etc/conf.d/buildkitd").write_text(RD_CONF)
    ctd = Containerd(sb, socket_path=vm / "run/k3s/containerd/containerd.sock", name="vmctd").start()
    stops.append(ctd.stop)
    ctd.create_namespace("k8s.io")
    sb.link_real("ctr")  # the stand-in buildkitd asks containerd for its UUID
    sb.start_buildkitd("--containerd-worker=true", "--containerd-worker-addr=/run/k3s/containerd/containerd.sock",
                       "--oci-worker=false", addr="unix:///run/buildkit/buildkitd.sock", env={"STANDIN_ROOT": str(vm)})
    os.chmod(vm / "run/buildkit", 0o700)  # root-only, as in the VM: only `sudo buildctl` reaches the socket
    os.chmod(vm / "run/k3s", 0o700)
    return vm, ctd


def by_id(doc):
    return {c["id"]: c for c in doc["checks"]}


@pytest.mark.containerd
def test_rancher_desktop_linux_is_probed_inside_its_vm_with_sudo(sandbox, stops):
    vm, ctd = rancher_desktop(sandbox, stops)
    doc = sandbox.doctor_json()
    assert doc["host"]["mode"] == "vm" and doc["host"]["frontend"] == "rancher-desktop"
    r = by_id(doc)
    s = r["containerd.socket"]
    assert s["status"] == "ok" and s["evidence"]["uuid"] == ctd.uuid(), s
    assert s["evidence"]["address"]["value"] == "/run/k3s/containerd/containerd.sock"
    h = r["buildkit.host"]
    assert h["status"] == "ok" and h["evidence"]["selected"] == "unix:///run/buildkit/buildkitd.sock", h
    assert h["evidence"]["candidates"][0]["command"]["argv"][1:4] == ["shell", "sudo", "buildctl"]
    w = r["buildkit.worker"]
    assert w["status"] == "warn" and "containerd.namespace 'buildkit'" in w["summary"]
    assert "rewrites" in w["details"]  # advice: Rancher Desktop rewrites its buildkitd config on every start
    assert r["buildkit.daemon"]["status"] == "warn" and r["nerdctl.version"]["status"] == "ok"


@pytest.mark.containerd
def test_inside_the_vm_a_probe_without_sudo_is_refused(sandbox, stops):
    rancher_desktop(sandbox, stops)
    host = sandbox.host()
    argv = ["buildctl", "--addr=unix:///run/buildkit/buildkitd.sock", "debug", "workers"]
    without = host.run_vm(argv, sudo=False)
    assert not without.ok and "permission denied" in without.output, without.output
    assert host.run_vm(argv).ok  # the front-end's own rule: sudo, as its wrapper uses


@pytest.mark.containerd
def test_host_settings_the_wrapper_does_not_forward_change_nothing(sandbox, stops):
    rancher_desktop(sandbox, stops)
    sandbox.write("/etc/nerdctl/nerdctl.toml", "bogus_key = 1\n")
    doc = sandbox.doctor_json(env={"BUILDKIT_HOST": "unix:///nowhere.sock", "CONTAINERD_ADDRESS": "/nowhere.sock",
                                   "NERDCTL_TOML": str(sandbox.root / "etc/nerdctl/nerdctl.toml")})
    r = by_id(doc)
    assert r["buildkit.host"]["status"] == "ok" and r["buildkit.host"]["evidence"]["candidates"][0]["source"] == "default"
    assert r["containerd.socket"]["status"] == "ok" and r["nerdctl.config"]["status"] != "fail"


@pytest.mark.containerd
def test_stopped_rancher_desktop_is_the_first_step(sandbox, stops):
    rancher_desktop(sandbox, stops, running=False)
    doc = sandbox.doctor_json()
    r = by_id(doc)
    assert r["nerdctl.version"]["status"] == "fail" and r["rd.running"]["status"] == "fail"
    assert doc["next_steps"][0]["check"] == "rd.running"
    assert "not running" in r["buildkit.buildctl"]["summary"]


@pytest.mark.containerd
def test_use_containerd_runs_rdctl_by_absolute_path_when_rd_bin_is_off_path(sandbox, stops):
    rancher_desktop(sandbox, stops, engine="moby")
    rd = sandbox.home / ".rd" / "bin"
    cp = sandbox.doctor("fix", "rd.use-containerd", "--yes", "--mode", "rootful", env={"PATH": str(sandbox.bin)})
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert ["set", "--container-engine.name=containerd"] in sandbox.calls("rdctl")
    assert json.loads(Path(sandbox.env["STANDIN_RD_SETTINGS"]).read_text())["containerEngine"]["name"] == "containerd"
    assert f"{rd}/rdctl set" in cp.stdout


def test_locked_profile_pins_the_engine_no_rdctl_fix(sandbox):
    (sandbox.home / ".rd" / "bin").mkdir(parents=True)
    sandbox.write(f"{sandbox.home}/.config/rancher-desktop/settings.json", '{"containerEngine": {"name": "moby"}}')
    sandbox.write("/etc/rancher-desktop/locked.json", '{"containerEngine": {"name": "moby"}}')
    e = by_id(sandbox.doctor_json("--only", "rd.engine"))["rd.engine"]
    assert e["status"] == "fail" and e["fixes"] == [] and "/etc/rancher-desktop/locked.json" in e["summary"]


def test_macos_shaped_home_zdotdir_rd_temp_and_lima_yaml_mounts(sandbox):
    sb = sandbox
    sb.env.update(NERDCTL_DOCTOR_PLATFORM="darwin", SHELL="/bin/zsh", ZDOTDIR=f"{sb.home}/.config/zsh")
    rd = sb.home / ".rd" / "bin"
    sb.install("nerdctl", where=rd)
    sb.write(f"{sb.home}/Library/Preferences/rancher-desktop/settings.json", '{"containerEngine": {"name": "containerd"}}')
    sb.write(f"{sb.home}/.zshrc", f"### MANAGED BY RANCHER DESKTOP START (DO NOT EDIT)\nexport PATH=\"{rd}:$PATH\"\n"
                                  "### MANAGED BY RANCHER DESKTOP END (DO NOT EDIT)\n")
    sb.write(f"{sb.home}/.zshrc.rd-temp", "")
    r = by_id(sb.doctor_json("--only", "rd"))
    p = r["rd.path"]
    assert p["status"] == "warn" and "ZDOTDIR" in p["summary"] and ".zshrc.rd-temp" in p["summary"], p["summary"]
    # the VM's lima.yaml is the truth for what a build may see
    lima = sb.home / "Library/Application Support/rancher-desktop/lima/0/lima.yaml"
    lima.parent.mkdir(parents=True)
    lima.write_text("mounts:\n- location: \"~\"\n  writable: true\n- location: /private/var/folders\n")
    (sb.home / "app").mkdir()
    (sb.home / "app" / "Dockerfile").write_text("FROM scratch\n")
    (sb.base / "srv").mkdir()
    (sb.base / "srv" / "Dockerfile").write_text("FROM scratch\n")
    sb.env["PATH"] = f"{rd}:{sb.bin}"
    inside = sb.doctor("build", "--ref", "a:1", str(sb.home / "app"))
    outside = sb.doctor("build", "--ref", "a:1", str(sb.base / "srv"))
    assert "outside" not in inside.stderr.split("build.vm-mounts")[-1][:200] or "mounts" not in inside.stderr
    assert "is outside the Rancher Desktop VM's mounts" in outside.stderr, outside.stderr


# ---------------------------------------------------------------------------- colima


def colima(sb, stops, runtime="containerd", running=True, profile="default"):
    vm = vm_root(sb, "run/containerd")
    chome = sb.home / ".colima"
    pdir = chome / profile
    (pdir / "containerd").mkdir(parents=True)
    (pdir / "colima.yaml").write_text(f"runtime: {runtime}\nkubernetes:\n  enabled: true\n")
    (pdir / "containerd" / "buildkitd.toml").write_text("[grpc]\n  gid = 1000\n")
    for n in ("colima", "limactl"):
        sb.install("vm", as_name=n)
    sb.script("nerdctl", f'#!/bin/sh\nexec colima nerdctl --profile {profile} -- "$@"\n')  # `colima nerdctl install`
    sb.install("nerdctl", where=vm / "usr/local/bin")
    sb.install("buildctl", where=vm / "usr/local/bin")  # the VM's own
    sb.install("buildctl")  # and one on this host, which reaches the forwarded socket
    os.symlink(shutil.which("ctr", path="/usr/bin:/usr/sbin:/bin") or "/usr/bin/ctr", vm / "usr/local/bin/ctr")
    state = sb.base / "vm-state.json"
    state.write_text(json.dumps({"running": running, "runtime": runtime, "kubernetes": True, "profile": profile,
                                 "instance": "colima" if profile == "default" else f"colima-{profile}"}))
    sb.env.update(STANDIN_VM_ROOT=str(vm), STANDIN_VM_STATE=str(state), COLIMA_HOME=str(chome),
                  STANDIN_COLIMA_HOME=str(chome), STANDIN_NERDCTL_STATE=str(sb.base / "nerdctl-state"))
    ctd = Containerd(sb, socket_path=vm / "run/containerd/containerd.sock", name="vmctd").start()
    stops.append(ctd.stop)
    ctd.create_namespace("k8s.io")
    sb.link_real("ctr")
    # the VM's buildkitd, forwarded to the host at ~/.colima/P/buildkitd.sock
    sb.start_buildkitd("--oci-worker=false", "--containerd-worker=true", addr=f"unix://{pdir}/buildkitd.sock",
                       env={"STANDIN_CONTAINERD_UUID": ctd.uuid()})
    os.chmod(vm / "run/containerd", 0o700)
    return pdir, ctd


@pytest.mark.containerd
def test_colima_with_the_containerd_runtime(sandbox, stops):
    pdir, ctd = colima(sandbox, stops)
    sandbox.write(f"{sandbox.home}/.kube/config", kubeconfig("colima", "colima"))
    doc = sandbox.doctor_json()
    assert doc["host"]["frontend"] == "colima"
    r = by_id(doc)
    assert r["colima.installed"]["status"] == "ok", r["colima.installed"]["summary"]
    assert r["colima.running"]["status"] == "ok", r["colima.running"]["summary"]
    assert r["containerd.socket"]["status"] == "ok" and r["containerd.socket"]["evidence"]["uuid"] == ctd.uuid()
    h = r["buildkit.host"]
    assert h["status"] == "ok" and h["evidence"]["selected"] == f"unix://{pdir}/buildkitd.sock"
    w = r["buildkit.worker"]
    assert w["status"] == "warn" and w["fixes"][0]["id"] == "colima.configure-containerd-worker"
    assert r["kube.context"]["status"] == "ok", r["kube.context"]["summary"]
    cp = sandbox.doctor("fix", "colima.configure-containerd-worker", "--yes")
    toml = (pdir / "containerd" / "buildkitd.toml").read_text()
    assert "gid = 1000" in toml and 'namespace = "k8s.io"' in toml and "enabled = false" in toml
    assert ["restart", "default"] in sandbox.calls("colima"), cp.stdout + cp.stderr


@pytest.mark.containerd
def test_colima_before_0_10_2_gets_the_upgrade_as_advice(sandbox, stops):
    """Before 0.10.2 colima rewrote ~/.colima/P/containerd/buildkitd.toml at every start: no edit, advice."""
    pdir, ctd = colima(sandbox, stops)
    sandbox.env["STANDIN_COLIMA_VERSION"] = "0.8.4"
    w = by_id(sandbox.doctor_json("--only", "buildkit.worker"))["buildkit.worker"]
    (fix,) = w["fixes"]
    assert fix["id"] == "colima.configure-containerd-worker" and [s["kind"] for s in fix["steps"]] == ["advice"]
    assert "0.10.2" in fix["steps"][0]["text"] and "0.8.4" in fix["steps"][0]["text"]
    cp = sandbox.doctor("fix", "colima.configure-containerd-worker", "--yes")
    assert cp.returncode == 0 and "upgrade colima" in cp.stdout
    assert not (pdir / "containerd" / "buildkitd.toml").exists() or "k8s.io" not in (
        pdir / "containerd" / "buildkitd.toml").read_text()


@pytest.mark.containerd
def test_colima_other_profile_context_and_docker_runtime(sandbox, stops):
    colima(sandbox, stops)
    sandbox.write(f"{sandbox.home}/.kube/config", kubeconfig("colima-work", "colima-work"))
    k = by_id(sandbox.doctor_json("--only", "kube.context"))["kube.context"]
    assert k["status"] == "fail" and "'colima-work'" in k["summary"]
    state = Path(sandbox.env["STANDIN_VM_STATE"])
    st = json.loads(state.read_text())
    st["runtime"] = "docker"
    state.write_text(json.dumps(st))
    c = by_id(sandbox.doctor_json("--only", "colima"))["colima.running"]
    assert c["status"] == "fail" and "nerdctl only supports containerd runtime" in c["summary"]
    assert c["fixes"][0]["id"] == "colima.use-containerd" and "--runtime containerd" in c["fixes"][0]["steps"][0]["text"]


# ---------------------------------------------------------------------------- Lima


def test_lima_alias_is_invisible_to_tilt_and_host_env_is_forwarded(sandbox):
    sb = sandbox
    sb.install("vm", as_name="limactl")
    sb.script("nerdctl.lima", 'exec limactl shell --preserve-env "${LIMA_INSTANCE:-default}" nerdctl "$@"\n')
    lima = sb.home / ".lima" / "default"
    lima.mkdir(parents=True)
    (lima / "lima.yaml").write_text("mounts:\n- location: \"~\"\n")
    state = sb.base / "vm-state.json"
    state.write_text(json.dumps({"running": True, "instance": "default"}))
    vm = vm_root(sb)
    sb.env.update(STANDIN_VM_STATE=str(state), STANDIN_VM_ROOT=str(vm))
    sb.write(f"{sb.home}/.bashrc", "alias nerdctl=nerdctl.lima\n")
    (sb.home / ".local" / "bin").mkdir(parents=True)
    sb.env["PATH"] = f"{sb.home}/.local/bin:{sb.bin}:/usr/bin:/bin"
    r = by_id(sb.doctor_json("--only", "lima"))["lima.nerdctl"]
    assert r["status"] == "fail" and "alias nerdctl=nerdctl.lima" in r["summary"]
    fix = r["fixes"][0]
    assert fix["id"] == "lima.link-nerdctl" and fix["steps"][0]["argv"][-1] == f"{sb.home}/.local/bin/nerdctl"
    cp = sb.doctor("fix", "lima.link-nerdctl", "--yes")
    assert (sb.home / ".local/bin/nerdctl").is_symlink(), cp.stdout + cp.stderr
    r = by_id(sb.doctor_json("--only", "lima"))["lima.nerdctl"]
    assert r["status"] == "fail" and "no containerd runs inside Lima instance default" in r["summary"]
    (vm / "run/user/65534/containerd-rootless").mkdir(parents=True)  # rootless containerd, as the VM's user
    r = by_id(sb.doctor_json("--only", "lima"))["lima.nerdctl"]
    assert r["status"] == "ok" and "user mode" in r["summary"], r["summary"]
    r = by_id(sb.doctor_json("--only", "lima", env={"BUILDKIT_HOST": "unix:///run/user/1000/bk.sock"}))["lima.nerdctl"]
    assert r["status"] == "warn" and "BUILDKIT_HOST" in r["summary"]


# ---------------------------------------------------------------------------- kind, k3d, minikube


def kubeconfig(context, cluster):
    return (f"apiVersion: v1\nkind: Config\ncurrent-context: {context}\ncontexts:\n- name: {context}\n  context:\n"
            f"    cluster: {cluster}\n    user: u\nclusters:\n- name: {cluster}\n  cluster:\n    server: https://x\n")


@pytest.mark.parametrize("cli,context,loader_argv", [
    ("kind", "kind-dev", ["load", "image-archive", "ARCHIVE", "--name", "dev"]),
    ("k3d", "k3d-web", ["image", "import", "ARCHIVE", "-c", "web"]),
    ("minikube", "minikube", ["image", "load", "ARCHIVE", "-p", "minikube"])])
def test_build_loads_the_image_into_kind_k3d_and_minikube(sandbox, cli, context, loader_argv):
    sb = sandbox
    sb.install("nerdctl")
    sb.install("clusterload", as_name=cli)
    (sb.base / "ctx").mkdir()
    (sb.base / "ctx" / "Dockerfile").write_text("FROM scratch\n")
    sb.write(f"{sb.home}/.kube/config", kubeconfig(context, context))
    name = loader_argv[loader_argv.index("ARCHIVE") + 2]
    env = {"STANDIN_NERDCTL_STATE": str(sb.base / "st"), "STANDIN_CLUSTERS": name}
    cp = sb.doctor("build", "--no-preflight", "--ref", "app:1", str(sb.base / "ctx"), env=env)
    assert cp.returncode == 0, cp.stderr
    saves = [c for c in sb.calls("nerdctl") if "save" in c]
    assert saves and saves[0][-3:-1] == ["-o", saves[0][-2]] and saves[0][-1] == "app:1"
    (call,) = sb.calls(cli)
    archive = call[loader_argv.index("ARCHIVE")]
    assert [a if a != archive else "ARCHIVE" for a in call] == loader_argv
    assert not os.path.exists(archive)  # the temporary archive is gone
    assert f"loaded app:1 into {cli} cluster {name}" in cp.stderr
    failed = sb.doctor("build", "--no-preflight", "--ref", "app:1", str(sb.base / "ctx"),
                       env={**env, "STANDIN_CLUSTERS": "other"})
    assert failed.returncode == 1 and f"loading into {cli} cluster {name} failed" in failed.stderr
    none = len(sb.calls(cli))
    assert sb.doctor("build", "--no-preflight", "--load", "none", "--ref", "app:1", str(sb.base / "ctx"),
                     env=env).returncode == 0
    assert len(sb.calls(cli)) == none


OVERRIDE = """# my Rancher Desktop overrides -- keep them!
cpus: 6   # the laptop has 8
provision:
# a user's own script
- mode: user
  script: |
    #!/bin/sh
    echo hello from the user's provisioning
env:
  HTTP_PROXY: http://proxy.example:3128
"""


@pytest.mark.containerd
def test_rd_buildkit_namespace_makes_builds_land_in_k8s_io_directly_and_lasts(sandbox, stops):
    """rd.buildkit-namespace (issue 19): a provisioning entry in Rancher Desktop's Lima override.yaml writes
    /etc/buildkit/buildkitd.toml at every boot; after the restart the VM's buildkitd (which reads that file the way
    the real one does: a flag not on its command line takes the file's value) has a k8s.io worker, nerdctl writes
    the image straight into containerd, and undo removes exactly what was added."""
    vm, ctd = rancher_desktop(sandbox, stops)
    sandbox._procs[-1].terminate()  # boot the VM the way Rancher Desktop does instead: provisioning, then buildkitd
    sandbox._procs[-1].wait()
    (vm / "run/buildkit/buildkitd.sock").unlink(missing_ok=True)
    override = sandbox.home / ".local/share/rancher-desktop/lima/_config/override.yaml"
    override.parent.mkdir(parents=True)
    override.write_text(OVERRIDE)
    rdctl = sandbox.home / ".rd/bin/rdctl"
    import subprocess

    def boot():
        subprocess.run([str(rdctl), "start"], env=sandbox.env, check=True, capture_output=True, timeout=60)
        os.chmod(vm / "run/buildkit", 0o700)

    boot()
    r = by_id(sandbox.doctor_json())
    w = r["buildkit.worker"]
    assert w["status"] == "warn" and "containerd.namespace 'buildkit'" in w["summary"]
    (fix,) = w["fixes"]
    assert fix["id"] == "rd.buildkit-namespace"
    assert [s["kind"] for s in fix["steps"]] == ["edit", "advice", "run", "run"]
    assert "never deletes image records" in fix["steps"][1]["text"]  # what BuildKit's GC may remove in k8s.io
    assert fix["steps"][2]["argv"] == [str(rdctl), "shutdown"] and fix["steps"][3]["argv"] == [str(rdctl), "start"]
    assert r["buildkit.daemon"]["fixes"][0]["id"] == "rd.buildkit-namespace"
    cp = sandbox.doctor("fix", "rd.buildkit-namespace", "--yes", spawn=True)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    os.chmod(vm / "run/buildkit", 0o700)
    text = override.read_text()
    assert text.startswith(OVERRIDE.split("env:")[0].rstrip("\n"))  # the user's keys, entries and comments kept
    assert "# a user's own script" in text and "HTTP_PROXY: http://proxy.example:3128" in text
    import yaml

    prov = yaml.safe_load(text)["provision"]
    assert [p["mode"] for p in prov] == ["user", "system"] and 'namespace = "k8s.io"' in prov[1]["script"]
    assert (vm / "etc/buildkit/buildkitd.toml").read_text().count('namespace = "k8s.io"') == 1
    assert ["shutdown"] in sandbox.calls("rdctl") and ["start"] in sandbox.calls("rdctl")
    r = by_id(sandbox.doctor_json())
    assert r["buildkit.worker"]["status"] == "ok", r["buildkit.worker"]["summary"]
    assert r["buildkit.daemon"]["status"] == "ok" and "/etc/buildkit/buildkitd.toml" in r["buildkit.daemon"]["summary"]
    # it lasts: an upgrade of the VM image loses /etc; the next start writes the file again
    (vm / "etc/buildkit/buildkitd.toml").unlink()
    subprocess.run([str(rdctl), "shutdown"], env=sandbox.env, check=True, capture_output=True, timeout=60)
    boot()
    assert by_id(sandbox.doctor_json())["buildkit.worker"]["status"] == "ok"
    # the build backend's image lands in k8s.io directly: no export and load
    ctx = sandbox.home / "app"  # inside the VM's mounts
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM alpine\n")
    cp = sandbox.doctor("build", "--ref", "app:tilt-1", str(ctx), env={"XDG_CACHE_HOME": str(sandbox.base / "c")})
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert sandbox.calls("nerdctl-build-output")[-1] == ["direct"]
    # idempotent, then undone exactly
    again = sandbox.doctor("fix", "rd.buildkit-namespace", "--yes")
    assert again.returncode == 2  # not offered any more: the worker is sharable
    cp = sandbox.doctor("fix", "--undo", "--yes")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert override.read_text() == OVERRIDE


def test_rd_buildkit_namespace_edit_is_idempotent_and_creates_the_file():
    from nerdctl_doctor.fixes.edits import EDITORS

    ed = EDITORS["rd-override-provision"]
    first = ed(None, {"namespace": "k8s.io"})
    assert ed(first, {"namespace": "k8s.io"}) == first
    other = ed(first, {"namespace": "dev"})
    assert other.count("nerdctl-doctor: rd.buildkit-namespace\n") == 2 and 'namespace = "dev"' in other  # replaced
    import yaml

    assert len(yaml.safe_load(other)["provision"]) == 1
