"""colima (UPSTREAM.md section 8): present, its profiles, the one nerdctl's wrapper uses, and that it runs with
the containerd runtime."""
from __future__ import annotations



from ..model import Deps, Result, check

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from ..frontends.colima import Colima
    from typing import Any
    from ..host import Host


def colima(host) -> "Colima":
    from ..frontends.colima import Colima

    return host.frontend if isinstance(host.frontend, Colima) else Colima(host)


@check("colima.installed", title="colima installed")
def installed(host: Host, deps: Deps) -> Result:
    fe = colima(host)
    found = fe.installed()
    if not found:
        return Result.skip("colima is not installed", evidence={"looked_in": [fe.colima_home()]})
    found["profile_used_by_nerdctl"] = fe.profile()
    return Result.ok(f"colima found; nerdctl's wrapper uses profile {fe.profile()}", evidence=found)


@check("colima.running", title="colima runs with the containerd runtime", requires=("colima.installed",))
def running(host: Host, deps: Deps) -> Result:
    from ..fixes import frontends as fixes
    import json

    fe = colima(host)
    ok, out = fe.running()
    ev: dict[str, Any] = {"profile": fe.profile(), "command": out.to_json() if out else None}
    start = f"colima start{'' if fe.profile() == 'default' else ' --profile ' + fe.profile()} --runtime containerd"
    if out is None:
        return Result.fail("the colima command is not on PATH", evidence=ev, action="put colima on PATH")
    if out.kind == "timeout":  # a hung colima says nothing about the profile: an error, not "stopped"
        return Result.error(f"`colima status` did not answer within {host.timeout:g}s", evidence=ev,
                            action="check colima (`colima status`), then run the doctor again")
    if not ok:
        return Result.fail(f"colima profile {fe.profile()} is not running: nerdctl's wrapper cannot reach its VM",
                           evidence=ev, fixes=[fixes.colima_use_containerd(f"Start it: `{start}`")])
    try:
        status = json.loads(out.stdout)
    except (ValueError, RecursionError):
        status = {}
    runtime = status.get("runtime") if isinstance(status, dict) else None
    ev["status"] = status
    if runtime != "containerd":
        return Result.fail(
            f"colima profile {fe.profile()} runs the {runtime or 'unknown'} runtime: `colima nerdctl` fails with "
            "`nerdctl only supports containerd runtime`", evidence=ev,
            fixes=[fixes.colima_use_containerd(
                f"A runtime change needs a new profile, or `colima delete{'' if fe.profile() == 'default' else ' --profile ' + fe.profile()}` "
                f"first; then `{start}" + (" --kubernetes`" if status.get("kubernetes") else "`"))])
    return Result.ok(f"colima profile {fe.profile()} runs containerd"
                     + (" with Kubernetes" if status.get("kubernetes") else ""), evidence=ev)


CHECKS = [installed, running]
