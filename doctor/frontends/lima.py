"""Lima (UPSTREAM.md section 8): `nerdctl.lima` runs `limactl shell --preserve-env $LIMA_INSTANCE nerdctl`; the
default template runs rootless containerd and `default-buildkit.service` in the VM; HOME is mounted read-only."""
from __future__ import annotations

import os
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from .base import LimaVM, home_path

if TYPE_CHECKING:
    from typing import Any, ClassVar
    from ..host import Host, Outcome


class Lima(LimaVM):
    name: ClassVar[str | None] = "lima"
    label: ClassVar[str] = "the Lima VM"
    vm: ClassVar[bool] = True
    needs_sudo: ClassVar[bool] = False  # rootless containerd as the VM's user
    preflight_checks: ClassVar[tuple[str, ...]] = ("lima.nerdctl",)
    path_check: ClassVar[str | None] = "lima.nerdctl"

    def containerd_mode(self) -> tuple[str | None, "Outcome | None"]:
        """Which containerd runs in the VM: "user" (rootless, Lima's default template), "system", or None."""
        probe = ('if [ -d "/run/user/$(id -u)/containerd-rootless" ]; then echo user; '
                 'elif [ -S /run/containerd/containerd.sock ]; then echo system; else echo none; fi')
        argv = self.vm_argv(["sh", "-c", probe], sudo=False)
        if argv is None:
            return None, None
        out = self.host.run(argv)
        mode = out.stdout.strip() if out.ok else ""
        return (mode if mode in ("user", "system") else None), out

    def worker_advice(self, namespace: str) -> str:
        return (f"Inside the Lima VM run `CONTAINERD_NAMESPACE={namespace} containerd-rootless-setuptool.sh "
                "install-buildkit-containerd` (limactl shell " + self.instance() + ").")

    def lima_home(self) -> str | None:
        return self.host.getenv("LIMA_HOME") or home_path(self.host, ".lima")

    def instance(self) -> str:
        return self.host.getenv("LIMA_INSTANCE") or "default"

    @classmethod
    def wraps(cls, host: "Host", nerdctl: str) -> bool:
        return os.path.basename(nerdctl) == "nerdctl.lima" or any(
            os.path.basename(p) == "nerdctl.lima" for p in host.link_chain(nerdctl))

    def installed(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if self.host.which("limactl"):
            found["limactl"] = self.host.which("limactl")
        lh = self.lima_home()
        if lh and self.host.is_dir(lh):
            found["lima_home"] = lh
            found["instances"] = [d for d in self.host.listdir(lh) if not d.startswith("_")
                                  and self.host.exists(os.path.join(lh, d, "lima.yaml"))]
        return found

    def running(self) -> "tuple[bool, Outcome | None]":
        def compute() -> "tuple[bool, Outcome | None]":
            limactl = self.host.which("limactl")
            if limactl is None:
                return False, None
            out = self.host.run([limactl, "ls", "--json", self.instance()])
            return out.ok and '"Running"' in out.stdout, out

        return self.host.memo(("lima-running", self.instance()), compute)

    def trouble(self) -> str | None:
        return None if self.running()[0] else "lima.nerdctl"

    def mounts(self) -> list[str]:
        from .rancher_desktop import lima_yaml_mounts

        lh = self.lima_home()
        found = lima_yaml_mounts(self.host, os.path.join(lh, self.instance(), "lima.yaml")) if lh else []
        return found or ([self.host.home] if self.host.home else [])

    def forwards_host_env(self) -> bool:
        return True  # --preserve-env: a host BUILDKIT_HOST or CONTAINERD_* reaches the VM
