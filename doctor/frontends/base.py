"""What every front-end knows: where its tools live, how to run a command inside its VM (with sudo exactly where
its own nerdctl uses it), its containerd and BuildKit inside the VM, its mounts, whether it runs. The plain host
is a front-end too: commands run here, sockets are this system's."""
from __future__ import annotations

import os
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from typing import Any, ClassVar
    from ..host import Host
    from ..model import Fix
    from ..host.procs import Outcome


class Frontend:
    name: ClassVar[str | None] = None  # None: the plain host
    label: ClassVar[str] = "this host"
    vm: ClassVar[bool] = False

    def __init__(self, host: "Host") -> None:
        self.host = host

    # -- detection
    @classmethod
    def wraps(cls, host: "Host", nerdctl: str) -> bool:
        """Is this nerdctl (a logical path on PATH) this front-end's wrapper?"""
        return False

    def tool_dirs(self) -> list[str]:
        """Where the front-end keeps its nerdctl (logical paths)."""
        return []

    def installed(self) -> dict[str, Any]:
        """Evidence of the front-end's presence; empty when it is not installed."""
        return {}

    # -- running things inside
    def vm_argv(self, argv: list[str], sudo: bool) -> list[str] | None:
        """The host argv that runs ``argv`` where nerdctl's containerd lives; None when that is impossible."""
        return list(argv)

    def why_no_vm(self) -> str:
        return ""

    def running(self) -> "tuple[bool, Outcome | None]":
        return True, None

    # -- what lives inside
    containerd_address: ClassVar[str] = "/run/containerd/containerd.sock"
    buildkit_run_dir: ClassVar[str] = "/run"
    needs_sudo: ClassVar[bool] = False  # buildctl/ctr inside need sudo, as the front-end's nerdctl does

    # the check that says whether the front-end can build at all (the build preflight runs it)
    preflight_checks: ClassVar[tuple[str, ...]] = ()
    # Tilt's product name(s) for the clusters this front-end runs
    kube_products: ClassVar[tuple[str, ...]] = ()

    def serves_cluster(self, cluster: str) -> tuple[bool, str]:
        """Is this Tilt cluster (of one of kube_products) the one whose kubelet sees this front-end's images?
        (yes/no, why)."""
        return False, f"the cluster {cluster!r} is not {self.label}'s"

    def worker_fix(self, namespace: str) -> "Fix | None":
        """The fix that gives this front-end's buildkitd a containerd worker for ``namespace``, if one can."""
        return None

    def worker_advice(self, namespace: str) -> str:
        return ""

    def forwarded_buildkit(self) -> str | None:
        """A BuildKit socket of the VM forwarded to this host (probed here, without the VM's shell)."""
        return None

    def mounts(self) -> list[str]:
        """Host directories visible inside the VM at the same path (empty: not a VM)."""
        return []

    def forwards_host_env(self) -> bool:
        """Does the wrapper forward BUILDKIT_HOST, CONTAINERD_* and the host's nerdctl.toml into the VM?"""
        return not self.vm

    def describe(self) -> str:
        return self.label


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
