"""The front-ends nerdctl can run through. ``detect`` picks one from the nerdctl on PATH (or --frontend)."""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from .base import Frontend
from .colima import Colima
from .lima import Lima
from .rancher_desktop import RancherDesktop

if TYPE_CHECKING:
    from ..host import Host

VM_FRONTENDS: dict[str, type[Frontend]] = {"rancher-desktop": RancherDesktop, "colima": Colima, "lima": Lima}


def wrapper_of(host: "Host") -> type[Frontend] | None:
    """The front-end whose wrapper the nerdctl on PATH is, if any."""
    nerdctl = None
    for f in host.which_all("nerdctl"):
        # the first runnable nerdctl on PATH; a link counts when its logical target exists under --root (a link
        # into an app of the diagnosed system); a dangling legacy link is skipped, as the shell would
        chain = host.link_chain(f["path"])
        if f["state"] == "executable" or (f["state"] == "dangling-link" and chain and host.exists(chain[-1])):
            nerdctl = f["path"]
            break
    nerdctl = nerdctl or host.which("nerdctl.lima")
    if not nerdctl:
        return None
    for cls in VM_FRONTENDS.values():
        if cls.wraps(host, nerdctl):
            return cls
    return None


def get(host: "Host", name: str) -> Frontend:
    return VM_FRONTENDS[name](host)


__all__ = ["Colima", "Frontend", "Lima", "RancherDesktop", "VM_FRONTENDS", "get", "wrapper_of"]
