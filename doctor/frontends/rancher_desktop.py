"""Rancher Desktop (UPSTREAM.md section 6): tools in ~/.rd/bin, rdctl by absolute path, `rdctl shell sudo ...`
into its Lima VM, k3s's containerd and a rootful buildkitd inside, mounts from the VM's lima.yaml. On Windows: a
per-user or per-machine install whose `win32\bin` holds nerdctl.exe (a stub) and rdctl.exe, settings under
%LOCALAPPDATA%, locked profiles in the registry, and the `rancher-desktop` WSL distro entered with
`wsl.exe --distribution rancher-desktop --exec /usr/local/bin/wsl-exec ...` (root there: no sudo)."""
from __future__ import annotations

import os
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from ..constants import K3S_SOCKET
from ..fileops import HostFileError
from .base import Frontend, home_path

if TYPE_CHECKING:
    from typing import Any, ClassVar
    from ..host import Host
    from ..host.outcome import Outcome

RESOURCES = {
    "linux": "/opt/rancher-desktop/resources/resources/linux/bin",
    "darwin": "/Applications/Rancher Desktop.app/Contents/Resources/resources/darwin/bin",
}
TOOLS = ("nerdctl", "docker", "docker-compose", "docker-buildx", "docker-credential-ecr-login",
         "docker-credential-none", "docker-credential-pass", "docker-credential-secretservice",
         "docker-credential-osxkeychain", "helm", "kubectl", "kuberlr", "rdctl", "spin")


WSL_DISTRO = "rancher-desktop"
WSL_EXEC = "/usr/local/bin/wsl-exec"
WIN_BIN = ("resources", "resources", "win32", "bin")
POLICIES = "SOFTWARE\\Policies\\Rancher Desktop"


class RancherDesktop(Frontend):
    name: ClassVar[str | None] = "rancher-desktop"
    label: ClassVar[str] = "the Rancher Desktop VM"
    vm: ClassVar[bool] = True
    containerd_address: ClassVar[str] = K3S_SOCKET
    needs_sudo: ClassVar[bool] = True
    preflight_checks: ClassVar[tuple[str, ...]] = ("rd.engine",)
    kube_products: ClassVar[tuple[str, ...]] = ("rancher-desktop",)
    path_check: ClassVar[str | None] = "rd.path"
    links_check: ClassVar[str | None] = "rd.legacy-links"

    def owns(self, target: str) -> bool:
        home = self.host.home or "//"
        return ("rancher-desktop" in target or "Rancher Desktop.app" in target
                or target.startswith(os.path.join(home, ".rd") + "/"))

    def serves_cluster(self, cluster: str) -> tuple[bool, str]:
        return True, "Rancher Desktop's kubelet uses the VM's k3s containerd, the one its nerdctl wrapper builds into"

    def worker_fix(self, namespace: str) -> "tuple[str, dict[str, Any]] | None":
        """A provisioning script that makes buildkitd read `namespace` from /etc/buildkit/buildkitd.toml at every
        boot: in the Lima override.yaml (macOS, Linux) or a Windows provisioning `.start` file."""
        h = self.host
        if h.windows:
            local = h.getenv("LOCALAPPDATA")
            if not local:
                return None
            path = h.join(local, "rancher-desktop", "provisioning", "nerdctl-doctor-buildkit-namespace.start")
        else:
            lh = self.lima_home()
            if not lh:
                return None
            path = os.path.join(lh, "_config", "override.yaml")
        return "rd.buildkit-namespace", {"path": path, "namespace": namespace, "rdctl": self.rdctl(),
                                         "windows": h.windows}

    def worker_advice(self, namespace: str) -> str:
        return (f"Rancher Desktop starts buildkitd without a namespace flag (worker namespace `buildkit`) and rewrites "
                "/etc/conf.d/buildkitd on every start, but buildkitd also reads /etc/buildkit/buildkitd.toml: a "
                "provisioning script can write it at every boot (`nerdctl-doctor fix rd.buildkit-namespace`), and "
                f"then builds land in {namespace} directly and local images resolve in FROM.")

    def __init__(self, host: "Host") -> None:
        super().__init__(host)
        if host.windows:
            self.needs_sudo = False  # type: ignore[misc]  # the distro's default user is root

    # -- where things are
    def bin_dir(self) -> str | None:
        if self.host.windows:
            return None  # no ~/.rd/bin: the installer puts win32\bin on the user's or the machine's Path
        return home_path(self.host, ".rd", "bin")

    def app_dirs(self) -> list[tuple[str, str]]:
        """Windows: (kind, directory) of the per-user and the per-machine install, in that order."""
        h = self.host
        out = []
        local = h.getenv("LOCALAPPDATA")
        if local:
            out.append(("per-user", h.join(local, "Programs", "Rancher Desktop")))
        out.append(("per-machine", h.join(h.getenv("ProgramFiles") or "C:\\Program Files", "Rancher Desktop")))
        return out

    def app_dir(self) -> tuple[str, str] | None:
        """Windows: the install that is there (per-user first)."""
        return next(((k, d) for k, d in self.app_dirs() if self.host.is_dir(d)), None)

    def resources(self) -> str:
        if self.host.windows:
            kind_dir = self.app_dir() or self.app_dirs()[-1]
            return self.host.join(kind_dir[1], *WIN_BIN)
        return RESOURCES.get(self.host.platform, RESOURCES["linux"])

    def exe(self, name: str) -> str:
        return name + ".exe" if self.host.windows else name

    def tool_dirs(self) -> list[str]:
        return [d for d in (self.bin_dir(), self.resources()) if d]

    def rdctl(self) -> str | None:
        """rdctl by absolute path: ~/.rd/bin is exactly what is missing from PATH when rdctl is."""
        for d in (self.bin_dir(), self.resources()):
            if d:
                p = self.host.join(d, self.exe("rdctl"))
                if self.host.is_executable(p):
                    return p
        return None

    def settings_paths(self) -> list[str]:
        h = self.host
        if h.windows:  # the Roaming copy counts only while the Local one is missing (it is migrated then)
            return [h.join(base, "rancher-desktop", "settings.json")
                    for base in (h.getenv("LOCALAPPDATA"), h.getenv("APPDATA")) if base]
        if h.platform == "darwin":
            p = home_path(h, "Library", "Preferences", "rancher-desktop", "settings.json")
            return [p] if p else []
        ch = h.config_home()
        return [os.path.join(ch, "rancher-desktop", "settings.json")] if ch else []

    def windows_settings(self) -> str | None:
        """Inside a WSL distro: Rancher Desktop's settings.json on the Windows side (%LOCALAPPDATA% when WSLENV
        brings it, else the user profile under /mnt/c/Users that has one)."""
        h = self.host
        local = h.getenv("LOCALAPPDATA")
        cands = []
        if local and local[1:3] in (":\\", ":/"):
            cands.append("/mnt/" + local[0].lower() + local[2:].replace("\\", "/") + "/rancher-desktop/settings.json")
        for user in h.listdir("/mnt/c/Users"):
            cands.append(f"/mnt/c/Users/{user}/AppData/Local/rancher-desktop/settings.json")
        return next((c for c in cands if h.exists(c)), None)

    def locked_profiles(self) -> list[str]:
        h = self.host
        if h.windows:
            return []  # the registry (locked_registry)
        if h.platform == "darwin":
            name = "io.rancherdesktop.profile.locked.plist"
            out = [f"/Library/Managed Preferences/{name}", f"/Library/Preferences/{name}"]
            p = home_path(h, "Library", "Preferences", name)
            return out + ([p] if p else [])
        out = ["/etc/rancher-desktop/locked.json", "/usr/etc/rancher-desktop/locked.json"]
        p = home_path(h, ".config", "rancher-desktop.locked.json")
        return out + ([p] if p else [])

    def locked_registry(self) -> tuple[str, str] | None:
        """Windows: (the registry key that locks the engine, its engine) from a locked deployment profile."""
        for hive in ("HKLM", "HKCU"):
            key = f"{hive}\\{POLICIES}\\Locked\\containerEngine"
            v = self.host.registry(key, "name")
            if v is not None:
                return key, str(v[1])
        return None

    def wsl_exe(self) -> str | None:
        """wsl.exe: on Path, else in %SystemRoot%\\System32 (a 32-bit Python sees it only as Sysnative)."""
        h = self.host
        found = h.which("wsl.exe")
        if found:
            return found
        sysroot = h.getenv("SystemRoot") or "C:\\Windows"
        for sub in ("System32", "Sysnative"):
            p = h.join(sysroot, sub, "wsl.exe")
            if h.is_executable(p):
                return p
        return None

    def distro(self) -> str:
        return self.host.getenv("RD_WSL_DISTRO") or WSL_DISTRO

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
        if host.windows:
            norm = nerdctl.replace("/", "\\").lower()
            return any(norm.startswith(host.join(d, *WIN_BIN).lower() + "\\") for _k, d in fe.app_dirs())
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
        if "settings" not in found and h.wsl_distro():
            win = self.windows_settings()  # this WSL distro's Windows side
            if win:
                found["settings"] = win  # on the Windows side (/mnt/c/...)
        b = self.bin_dir()
        if b and h.is_dir(b):
            found["rd_bin"] = b
        if h.windows:
            app = self.app_dir()
            if app:
                found["install"] = app[0]
                found["app"] = app[1]
        if h.is_dir(self.resources()):
            found["resources"] = self.resources()
        return found

    # -- inside the VM
    def vm_argv(self, argv: list[str], sudo: bool) -> list[str] | None:
        if self.host.windows:  # what `rdctl shell` does: wsl-exec enters Rancher Desktop's namespaces, as root
            wsl = self.wsl_exe()
            return [wsl, "--distribution", self.distro(), "--exec", WSL_EXEC, *argv] if wsl else None
        rdctl = self.rdctl()
        if rdctl is None:
            return None
        return [rdctl, "shell", *(["sudo"] if sudo else []), *argv]

    def why_no_vm(self) -> str:
        if self.host.windows:
            return "wsl.exe is neither on Path nor in %SystemRoot%\\System32"
        return "rdctl is neither in ~/.rd/bin nor in Rancher Desktop's resources"

    def running(self) -> "tuple[bool, Outcome | None]":
        if self.host.windows:
            return self.host.memo(("rd-running",), self._running_windows)

        def compute() -> "tuple[bool, Outcome | None]":
            rdctl = self.rdctl()
            if rdctl is None:
                return False, None
            out = self.host.run([rdctl, "list-settings"])
            return out.ok, out

        return self.host.memo(("rd-running",), compute)

    def _running_windows(self) -> "tuple[bool, Outcome | None]":
        """The `rancher-desktop` distro runs (`wsl.exe --list --running --quiet`, locale-independent; UTF-8 asked
        for with WSL_UTF8=1, UTF-16LE understood too) and Rancher Desktop's init has written /run/wsl-init.pid
        (wsl-exec needs it; it is absent while Rancher Desktop is stopped)."""
        wsl = self.wsl_exe()
        if wsl is None:
            return False, None
        out = self.host.run([wsl, "--list", "--running", "--quiet"], env={"WSL_UTF8": "1"})
        if not out.ok:
            return False, out
        names = [n.strip() for n in wsl_text(out.stdout).splitlines() if n.strip()]
        if self.distro() not in names:
            return False, out
        pid = self.host.run([wsl, "--distribution", self.distro(), "--exec", "cat", "/run/wsl-init.pid"])
        return pid.ok, pid

    def engine(self) -> str | None:
        """The container engine settings.json names (None: unreadable or absent)."""
        import json

        for p in self.settings_paths():
            try:
                data = json.loads(self.host.read_text(p))
            except (HostFileError, ValueError, RecursionError):
                continue
            return settings_engine(data)[0] if isinstance(data, dict) else None
        return None

    def trouble(self) -> str | None:
        if self.engine() not in (None, "containerd"):
            return "rd.engine"  # moby: there is no containerd or buildkitd to answer
        if not self.running()[0]:
            return "rd.running"
        return None

    def mounts(self) -> list[str]:
        """The VM's lima.yaml mounts[].location is the truth; the documented defaults otherwise."""
        h = self.host
        if h.windows:
            return []  # every drive is /mnt/<drive> in the distro; paths without a drive letter are not
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


def wsl_text(text: str) -> str:
    """wsl.exe's own output: UTF-16LE (without a BOM) unless WSL_UTF8=1 took effect; read as UTF-8 that shows as
    NUL bytes between the letters."""
    return text.replace("\x00", "").replace("\ufeff", "")


def lima_yaml_mounts(host: "Host", path: str) -> list[str]:
    """mounts[].location of a Lima instance's lima.yaml, ~ expanded; [] when unreadable."""
    try:
        text = host.read_text(path)
    except HostFileError:
        return []
    try:
        from ..fileops import load_yaml

        data = load_yaml(text)
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


