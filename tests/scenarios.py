"""Named host states for the TUI snapshots, the screenshots and manual trials. Each builder puts a harness
Sandbox into that state with stand-ins (no real containerd needed) and returns the --mode to diagnose it with."""
from __future__ import annotations

import json

UUID = "0f6e1c58-5a43-4c45-9c8a-3a3e6c0a4a11"
OS_RELEASE = 'ID=debian\nVERSION_ID="12"\nNAME="Debian GNU/Linux"\n'


def _common(sb) -> None:
    sb.write("/etc/os-release", OS_RELEASE)
    sb.env["STANDIN_NERDCTL_STATE"] = str(sb.base / "nerdctl-state")
    sb.env["STANDIN_NERDCTL_NAMESPACES"] = "k8s.io"


def healthy(sb) -> str:
    """Rootful containerd + a containerd-worker buildkitd for k8s.io, kubeadm-style cluster, current Tilt."""
    _common(sb)
    sb.install("nerdctl")
    sb.install("buildctl")
    sb.script("tilt", 'echo "v0.33.17, built 2024-06-12"\n')
    sb.hung_socket("/run/containerd/containerd.sock")
    sb.write("/etc/nerdctl/nerdctl.toml", 'namespace = "k8s.io"\n')
    sb.write("/etc/buildkit/buildkitd.toml",
             '[worker.oci]\n  enabled = false\n\n[worker.containerd]\n  enabled = true\n  namespace = "k8s.io"\n')
    sb.start_buildkitd("--config=/etc/buildkit/buildkitd.toml", addr="unix:///run/buildkit-k8s.io/buildkitd.sock",
                       env={"STANDIN_CONTAINERD_UUID": UUID})
    sb.write(f"{sb.home}/.kube/config", kubeconfig("kubernetes-admin@kubernetes", "kubernetes"))
    sb.write("/var/lib/kubelet/kubeadm-flags.env",
             'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock"\n')
    return "rootful"


def rd_broken(sb) -> str:
    """macOS: Rancher Desktop on moby, ~/.rd/bin not on PATH, a stale /usr/local/bin/nerdctl link, app not
    running."""
    _common(sb)
    sb.env["NERDCTL_DOCTOR_PLATFORM"] = "darwin"
    sb.env["SHELL"] = "/bin/zsh"
    rd = sb.home / ".rd" / "bin"
    sb.install("nerdctl", where=rd)
    sb.script("rdctl", 'echo "Error: failed to get backend state: connect: connection refused" >&2; exit 1\n',
              where=rd)
    sb.write(f"{sb.home}/Library/Preferences/rancher-desktop/settings.json",
             json.dumps({"version": 10, "containerEngine": {"name": "moby"},
                         "application": {"pathManagementStrategy": "manual"}}))
    sb.symlink("/usr/local/bin/nerdctl", "/Applications/Rancher Desktop.app/Contents/Resources/resources/darwin/bin/nerdctl")
    sb.write(f"{sb.home}/.kube/config", kubeconfig("rancher-desktop", "rancher-desktop"))
    sb.script("tilt", 'echo "v0.33.6, built 2023-10-02"\n')
    return "rootful"


def rootless_oci(sb) -> str:
    """Rootless containerd with `install-buildkit` (OCI worker): builds work, local base images are invisible."""
    _common(sb)
    for tool in ("rootlesskit", "nsenter", "newuidmap", "newgidmap", "slirp4netns", "containerd-rootless.sh"):
        sb.script(tool, "exit 0\n")
    sb.install("containerd-rootless-setuptool.sh")
    sb.install("buildkitd")
    sb.env["STANDIN_ALLOW_ROOT"] = "1"  # the tests run as root; the real tool refuses
    sb.env["STANDIN_ROOT"] = str(sb.root)
    sb.env["STANDIN_CONTAINERD_UUID"] = UUID
    sb.install("systemctl")
    sb.install("nerdctl")
    sb.install("buildctl")
    sb.script("tilt", 'echo "v0.33.17, built 2024-06-12"\n')
    sb.write("/etc/subuid", "tester:100000:65536\n")
    sb.write("/etc/subgid", "tester:100000:65536\n")
    sb.write(f"{sb.xdg}/containerd-rootless/child_pid", "4242\n")
    sb.hung_socket("/proc/4242/root/run/containerd/containerd.sock")
    sb.write(f"{sb.home}/.config/systemd/user/buildkit.service",
             "[Service]\nExecStart=rootlesskit buildkitd --oci-worker=true --oci-worker-rootless=true "
             "--containerd-worker=false\n")
    sb.script("runc", "exit 0\n")
    sb.start_buildkitd("--oci-worker=true", "--oci-worker-rootless=true", "--containerd-worker=false",
                       addr=f"unix://{sb.xdg}/buildkit/buildkitd.sock")
    return "rootless"


def no_buildkit(sb) -> str:
    """Debian 12: nerdctl installed, containerd installed but stopped, no BuildKit, no Tilt."""
    _common(sb)
    sb.install("nerdctl")
    sb.write("/usr/bin/containerd", "#!/bin/sh\n", mode=0o755)
    sb.dead_socket("/run/containerd/containerd.sock")
    return "rootful"


SCENARIOS = {"healthy": healthy, "rd-broken": rd_broken, "rootless-oci": rootless_oci, "no-buildkit": no_buildkit}


def kubeconfig(context: str, cluster: str) -> str:
    return (f"apiVersion: v1\nkind: Config\ncurrent-context: {context}\ncontexts:\n- name: {context}\n  context:\n"
            f"    cluster: {cluster}\n    user: u\nclusters:\n- name: {cluster}\n  cluster:\n"
            "    server: https://127.0.0.1:6443\nusers:\n- name: u\n  user: {}\n")


def rootless_worker_step(sb, setuptool: str) -> str:
    """The least a rootless host needs for `fix buildkit.install-containerd-worker` to be on offer and run its step:
    the rootless prerequisites, buildctl, an OCI-worker buildkitd, and `containerd-rootless-setuptool.sh` running
    ``setuptool`` (a shell body: what the step does)."""
    for tool in ("rootlesskit", "nsenter", "newuidmap", "newgidmap", "slirp4netns", "containerd-rootless.sh"):
        sb.script(tool, "exit 0\n")
    sb.install("buildctl")
    sb.script("containerd-rootless-setuptool.sh", setuptool)
    sb.start_buildkitd("--oci-worker=true", "--containerd-worker=false", addr=f"unix://{sb.xdg}/buildkit/buildkitd.sock")
    return "rootless"
