"""The front-ends nerdctl can run through, and ``decide``: which one a Host diagnoses (from the nerdctl on PATH, or
--frontend/--mode), handed to the Host by whoever builds it."""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from .base import Plain

if TYPE_CHECKING:
    from ..host import Host
    from ..host.core import Frontend
    from .colima import Colima
    from .lima import Lima
    from .rancher_desktop import RancherDesktop

_VM: dict[str, type[Frontend]] = {}


def vm_frontends() -> dict[str, type[Frontend]]:
    """--frontend name -> front-end, in the order auto-detection tries them. Imported when first needed: a run
    with an explicit rootful or rootless mode never loads them before its checks start."""
    if not _VM:
        from .colima import Colima
        from .lima import Lima
        from .rancher_desktop import RancherDesktop

        _VM.update({"rancher-desktop": RancherDesktop, "colima": Colima, "lima": Lima})
    return _VM


def __getattr__(name: str):  # VM_FRONTENDS and the classes, loaded on first use
    if name == "VM_FRONTENDS":
        return vm_frontends()
    if name in ("Colima", "Lima", "RancherDesktop"):
        return next(c for c in vm_frontends().values() if c.__name__ == name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    for cls in vm_frontends().values():
        if cls.wraps(host, nerdctl):
            return cls
    return None


def decide(host: "Host") -> "tuple[str, Frontend]":
    """(mode, front-end) for a Host (SPEC section 1): on Windows always Rancher Desktop in `vm` mode; else `vm` with
    the front-end whose wrapper is the nerdctl on PATH
    (or the one --frontend names); on macOS an installed front-end even with its wrapper off PATH, since nothing
    else runs nerdctl there; else rootless when euid != 0, rootful as root; an explicit mode wins."""
    mode = host.requested_mode
    if host.windows:  # on Windows nerdctl.exe runs only through Rancher Desktop's WSL distro
        return "vm", vm_frontends()["rancher-desktop"](host)
    wrapper = wrapper_of(host) if mode in ("auto", "vm") else None
    if host.requested_frontend != "auto" and mode in ("auto", "vm"):
        return "vm", vm_frontends()[host.requested_frontend](host)
    if mode == "vm":
        installed = next((cls for cls in vm_frontends().values() if cls(host).installed()), None)
        return "vm", (wrapper or installed or next(iter(vm_frontends().values())))(host)
    if mode == "auto" and wrapper is not None:
        return "vm", wrapper(host)
    if mode == "auto" and host.platform == "darwin":
        for cls in vm_frontends().values():
            if cls(host).installed():
                return "vm", cls(host)
    if mode == "auto":
        mode = "rootless" if host.euid not in (0, None) else "rootful"
    return mode, Plain(host)


__all__ = ["Colima", "Lima", "Plain", "RancherDesktop", "VM_FRONTENDS", "decide", "vm_frontends", "wrapper_of"]
