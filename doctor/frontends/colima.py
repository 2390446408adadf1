"""colima (UPSTREAM.md section 8): `colima nerdctl` runs `limactl shell colima[-P] sudo nerdctl`; containerd and
a rootful buildkitd run in the VM; buildkitd's socket is forwarded to ~/.colima/P/buildkitd.sock."""
from __future__ import annotations

import os
import re
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from ..paths import version_of
from .base import LimaVM, home_path

if TYPE_CHECKING:
    from typing import Any, ClassVar
    from ..host import Host
    from ..host.outcome import Outcome


class Colima(LimaVM):
    name: ClassVar[str | None] = "colima"
    label: ClassVar[str] = "the colima VM"
    vm: ClassVar[bool] = True
    needs_sudo: ClassVar[bool] = True
    preflight_checks: ClassVar[tuple[str, ...]] = ("colima.running",)
    kube_products: ClassVar[tuple[str, ...]] = ("colima",)

    def kube_context(self) -> str:
        p = self.profile()
        return "colima" if p == "default" else f"colima-{p}"

    def serves_cluster(self, cluster: str) -> tuple[bool, str]:
        want = self.kube_context()
        if cluster != want:
            return False, (f"the cluster is colima profile {cluster!r}, but nerdctl's wrapper builds in profile "
                           f"{self.profile()!r} ({want}): images land in another VM")
        return True, f"colima {want} is the VM nerdctl builds in, and its k3s uses that VM's containerd"

    def version(self) -> tuple[int, int, int] | None:
        """`colima version` (memoised)."""
        def compute() -> tuple[int, int, int] | None:
            exe = self.colima()
            out = self.host.run([exe, "version"]) if exe else None
            return version_of(out.stdout, "colima version ") if out is not None and out.ok else None

        return self.host.memo(("colima-version",), compute)

    def worker_fix(self, namespace: str) -> "tuple[str, dict[str, Any]] | None":
        d = self.profile_dir()
        exe = self.colima()
        if not d or not exe:
            return None
        v = self.version()
        # colima 0.10.2 and later read ~/.colima/P/containerd/buildkitd.toml at every start; before, it rewrote it
        old = ".".join(map(str, v)) if v is not None and v < (0, 10, 2) else None
        return "colima.configure-containerd-worker", {
            "toml_path": os.path.join(d, "containerd", "buildkitd.toml"), "namespace": namespace, "colima": exe,
            "profile": self.profile(), "too_old": old}

    def colima_home(self) -> str | None:
        return self.host.getenv("COLIMA_HOME") or home_path(self.host, ".colima")

    def profile(self) -> str:
        """The profile nerdctl's wrapper uses: from `colima nerdctl install`'s script, else `default`."""
        nerdctl = self.host.which("nerdctl")
        if nerdctl:
            try:
                text = self.host.read_text(nerdctl, limit=64 << 10)
            except Exception:  # noqa: BLE001
                text = ""
            m = re.search(r"colima nerdctl --profile (\S+)", text)
            if m:
                return m.group(1).strip("'\"")
        return self.host.getenv("COLIMA_PROFILE") or "default"

    def instance(self) -> str:
        p = self.profile()
        return "colima" if p == "default" else f"colima-{p}"

    def profile_dir(self) -> str | None:
        ch = self.colima_home()
        return os.path.join(ch, self.profile()) if ch else None

    def colima(self) -> str | None:
        return self.host.which("colima")

    @classmethod
    def wraps(cls, host: "Host", nerdctl: str) -> bool:
        try:
            text = host.read_text(nerdctl, limit=64 << 10)
        except Exception:  # noqa: BLE001 - a binary or unreadable nerdctl is not colima's script
            return False
        return "colima nerdctl" in text

    def installed(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.colima():
            found["colima"] = self.colima()
        ch = self.colima_home()
        if ch and self.host.is_dir(ch):
            found["colima_home"] = ch
            found["profiles"] = [d for d in self.host.listdir(ch)
                                 if self.host.exists(os.path.join(ch, d, "colima.yaml"))]
        return found

    def running(self) -> "tuple[bool, Outcome | None]":
        def compute() -> "tuple[bool, Outcome | None]":
            exe = self.colima()
            if exe is None:
                return False, None
            out = self.host.run([exe, "status", "--profile", self.profile(), "--json"])
            return out.ok, out

        return self.host.memo(("colima-running", self.profile()), compute)

    def trouble(self) -> str | None:
        ok, out = self.running()
        if not ok or out is None or '"runtime":"docker"' in out.stdout.replace(" ", ""):
            return "colima.running"  # stopped, or the docker runtime: `nerdctl only supports containerd runtime`
        return None

    def forwarded_buildkit(self) -> str | None:
        """colima 0.8.3 and later forward the VM's /run/buildkit/buildkitd.sock to ~/.colima/P/buildkitd.sock."""
        d = self.profile_dir()
        p = os.path.join(d, "buildkitd.sock") if d else None
        return p if p and self.host.lexists(p) else None

    def mounts(self) -> list[str]:
        from .rancher_desktop import lima_yaml_mounts

        lh = os.path.join(self.colima_home() or "", "_lima")
        found = lima_yaml_mounts(self.host, os.path.join(lh, self.instance(), "lima.yaml"))
        return found or ([self.host.home] if self.host.home else [])

    def forwards_host_env(self) -> bool:
        return False
