"""Rancher Desktop (UPSTREAM.md section 6): tools in ~/.rd/bin, rdctl by absolute path, `rdctl shell sudo ...`
into its Lima VM, k3s's containerd and a rootful buildkitd inside, mounts from the VM's lima.yaml."""
from __future__ import annotations

import os
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from ..constants import K3S_SOCKET
from .base import Frontend, home_path

if TYPE_CHECKING:
    from typing import Any, ClassVar
    from ..host import Host
    from ..host.procs import Outcome

RESOURCES = {
    "linux": "/opt/rancher-desktop/resources/resources/linux/bin",
    "darwin": "/Applications/Rancher Desktop.app/Contents/Resources/resources/darwin/bin",
}
TOOLS = ("nerdctl", "docker", "docker-compose", "docker-buildx", "docker-credential-ecr-login",
         "docker-credential-none", "docker-credential-pass", "docker-credential-secretservice",
         "docker-credential-osxkeychain", "helm", "kubectl", "kuberlr", "rdctl", "spin")


class RancherDesktop(Frontend):
    name: ClassVar[str | None] = "rancher-desktop"
    label: ClassVar[str] = "the Rancher Desktop VM"
    vm: ClassVar[bool] = True
    containerd_address: ClassVar[str] = K3S_SOCKET
    needs_sudo: ClassVar[bool] = True
    preflight_checks: ClassVar[tuple[str, ...]] = ("rd.engine",)
    kube_products: ClassVar[tuple[str, ...]] = ("rancher-desktop",)

    def serves_cluster(self, cluster: str) -> tuple[bool, str]:
        return True, "Rancher Desktop's kubelet uses the VM's k3s containerd, the one its nerdctl wrapper builds into"

    def worker_advice(self, namespace: str) -> str:
        return (f"Rancher Desktop starts buildkitd without a namespace flag (worker namespace `buildkit`) and rewrites "
                "/etc/conf.d/buildkitd on every start, so it cannot be fixed for good: builds still reach "
                f"{namespace} through the tarball path; to use a locally built image in FROM, push it to a registry "
                "or refer to it by digest.")

    # -- where things are
    def bin_dir(self) -> str | None:
        return home_path(self.host, ".rd", "bin")

    def resources(self) -> str:
        return RESOURCES.get(self.host.platform, RESOURCES["linux"])

    def tool_dirs(self) -> list[str]:
        return [d for d in (self.bin_dir(), self.resources()) if d]

    def rdctl(self) -> str | None:
        """rdctl by absolute path: ~/.rd/bin is exactly what is missing from PATH when rdctl is."""
        for d in (self.bin_dir(), self.resources()):
            if d:
                p = os.path.join(d, "rdctl")
                if self.host.is_executable(p):
                    return p
        return None

    def settings_paths(self) -> list[str]:
        h = self.host
        if h.platform == "darwin":
            p = home_path(h, "Library", "Preferences", "rancher-desktop", "settings.json")
            return [p] if p else []
        ch = h.config_home()
        return [os.path.join(ch, "rancher-desktop", "settings.json")] if ch else []

    def locked_profiles(self) -> list[str]:
        h = self.host
        if h.platform == "darwin":
            name = "io.rancherdesktop.profile.locked.plist"
            out = [f"/Library/Managed Preferences/{name}", f"/Library/Preferences/{name}"]
            p = home_path(h, "Library", "Preferences", name)
            return out + ([p] if p else [])
        out = ["/etc/rancher-desktop/locked.json", "/usr/etc/rancher-desktop/locked.json"]
        p = home_path(h, ".config", "rancher-desktop.locked.json")
        return out + ([p] if p else [])

    def lima_home(self) -> str | None:
        h = self.host
        if h.platform == "darwin":
            return home_path(h, "Library", "Application Support", "rancher-desktop", "lima")
        dh = h.data_home()
        return os.path.join(dh, "rancher-desktop", "lima") if dh else None

    # -- detection
    @classmethod
    def wraps(cls, host: "Host", nerdctl: str) -> bool:
        fe = cls(host)
        rd_bin = fe.bin_dir()
        res = list(RESOURCES.values())
        for p in [nerdctl, *host.link_chain(nerdctl)]:
            if rd_bin and os.path.dirname(p) == rd_bin:
                return True
            if any(p.startswith(d + "/") for d in res):
                return True
        return False

    def installed(self) -> dict[str, Any]:
        h = self.host
        found: dict[str, Any] = {}
        for p in self.settings_paths():
            if h.lexists(p):
                found["settings"] = p
                break
        b = self.bin_dir()
        if b and h.is_dir(b):
            found["rd_bin"] = b
        if h.is_dir(self.resources()):
            found["resources"] = self.resources()
        return found

    # -- inside the VM
    def vm_argv(self, argv: list[str], sudo: bool) -> list[str] | None:
        rdctl = self.rdctl()
        if rdctl is None:
            return None
        return [rdctl, "shell", *(["sudo"] if sudo else []), *argv]

    def why_no_vm(self) -> str:
        return "rdctl is neither in ~/.rd/bin nor in Rancher Desktop's resources"

    def running(self) -> "tuple[bool, Outcome | None]":
        def compute() -> "tuple[bool, Outcome | None]":
            rdctl = self.rdctl()
            if rdctl is None:
                return False, None
            out = self.host.run([rdctl, "list-settings"])
            return out.ok, out

        return self.host.memo(("rd-running",), compute)

    def mounts(self) -> list[str]:
        """The VM's lima.yaml mounts[].location is the truth; the documented defaults otherwise."""
        h = self.host
        lh = self.lima_home()
        found: list[str] = []
        if lh:
            found = lima_yaml_mounts(h, os.path.join(lh, "0", "lima.yaml"))
        if found:
            return found
        home = h.home or "/nonexistent-home"
        out = [home, "/tmp/rancher-desktop"]
        if h.platform == "darwin":
            out += ["/Volumes", "/var/folders", "/private/tmp", "/private/var/folders"]
        return out

    def forwards_host_env(self) -> bool:
        return False


def lima_yaml_mounts(host: "Host", path: str) -> list[str]:
    """mounts[].location of a Lima instance's lima.yaml, ~ expanded; [] when unreadable."""
    from ..fileops import HostFileError

    try:
        text = host.read_text(path)
    except HostFileError:
        return []
    try:
        import yaml

        data = yaml.safe_load(text)
    except Exception:  # noqa: BLE001 - malformed or hostile YAML is simply no information
        return []
    out = []
    mounts = data.get("mounts") if isinstance(data, dict) else None
    for m in mounts if isinstance(mounts, list) else []:
        loc = m.get("location") if isinstance(m, dict) else None
        if isinstance(loc, str) and loc:
            if loc == "~" or loc.startswith("~/"):
                loc = (host.home or "") + loc[1:]
            out.append(os.path.normpath(loc))
    return out


def settings_engine(data: dict[str, Any]) -> tuple[str | None, str]:
    ce = data.get("containerEngine")
    if isinstance(ce, dict) and isinstance(ce.get("name"), str):
        return ce["name"], "containerEngine.name"
    k = data.get("kubernetes")
    if isinstance(k, dict) and isinstance(k.get("containerEngine"), str):
        return k["containerEngine"], "kubernetes.containerEngine (settings from Rancher Desktop 1.7 or older)"
    return None, "absent (the default: moby since Rancher Desktop 1.9)"


