"""The plain host as a front-end (commands run here, sockets are this system's: the VM protocol's defaults, see
host/vm.py), and what the Lima-based front-ends share (`limactl shell INSTANCE`)."""
from __future__ import annotations

import os
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from ..host.core import Frontend

if TYPE_CHECKING:
    from ..host import Host


class Plain(Frontend):
    """No VM: nerdctl, containerd and BuildKit are this system's."""


class LimaVM(Frontend):
    """A front-end whose VM is a Lima instance entered with `limactl shell INSTANCE` (colima, Lima)."""

    def instance(self) -> str:
        raise NotImplementedError

    def vm_argv(self, argv: list[str], sudo: bool) -> list[str] | None:
        limactl = self.host.which("limactl")
        if limactl is None:
            return None
        return [limactl, "shell", self.instance(), *(["sudo"] if sudo else []), *argv]

    def why_no_vm(self) -> str:
        return f"limactl (which {self.name} runs its VM with) is not on PATH"


def home_path(host: "Host", *parts: str) -> str | None:
    return os.path.join(host.home, *parts) if host.home else None
