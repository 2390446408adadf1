"""nerdctl: the binary Tilt will run, its version and its configuration."""
from __future__ import annotations

from ..model import Result, check
from ._util import not_implemented


@check("nerdctl.installed", title="nerdctl on PATH")
def installed(host, deps) -> Result:
    path = host.which("nerdctl")
    if path:
        ev = {"path": path}
        if host.rd_wrapper(path):
            ev["rancher_desktop_wrapper"] = True
        return Result.ok(f"nerdctl is {path}", evidence=ev)
    return Result.fail(
        "nerdctl is not on PATH: Tilt's custom_build fails with `exit status 127`",
        evidence={"PATH": host.path_entries()},
    )


CHECKS = [
    installed,
    not_implemented("nerdctl.version", "nerdctl version", ("nerdctl.installed",)),
    not_implemented("nerdctl.config", "nerdctl configuration"),
]
