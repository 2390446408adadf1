"""Tilt: present, new enough for custom_build(env=), and able to find nerdctl on its own PATH."""
from __future__ import annotations

import os


from ..model import Deps, Result, check
from ._util import read_version, vstr

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from typing import Any
    from ..host import Host

MIN_ENV = (0, 33, 5)  # custom_build(env=, dir=)


def running_tilts(host) -> list[dict]:
    out: list[dict] = []
    procs = host.processes(lambda p: p.name == "tilt" or bool(p.cmdline and os.path.basename(p.cmdline[0]) == "tilt"))
    for p in procs or []:
        env = host.process_environ(p.pid)
        rec = {"pid": p.pid, "cmdline": p.cmdline, "PATH": None, "nerdctl": None}
        if env is not None:
            path = env.get("PATH", "")
            rec["PATH"] = path
            rec["nerdctl"] = host.which("nerdctl", path=[d for d in path.split(os.pathsep) if d])
        out.append(rec)
    return out


@check("tilt.installed", title="Tilt on PATH")
def installed(host: Host, deps: Deps) -> Result:
    tilts = running_tilts(host)
    ev: dict[str, Any] = {"running": tilts}
    blind = [t for t in tilts if t["PATH"] is not None and not t["nerdctl"]]
    if blind:
        t = blind[0]
        return Result.fail(
            f"the running Tilt (pid {t['pid']}) was started with a PATH that lacks nerdctl: its builds fail with "
            "`exit status 127` even though your shell finds nerdctl",
            details=f"Tilt's PATH: {t['PATH']}\nTilt's own `nerdctl` extension runs a shell string, so the shell "
                    "says `exit status 127`. Restart Tilt from a shell whose PATH has nerdctl, or use "
                    "nerdctl-doctor's Tilt extension, which runs by absolute path.",
            evidence=ev, action="restart Tilt from a terminal whose PATH has nerdctl, or use nerdctl-doctor's extension",
            cause="nerdctl.installed")  # when nerdctl is missing for everyone, that is the step to take first
    out = host.run(["tilt", "version"])
    ev["command"] = out.to_json()
    if out.kind == "not-found":
        if tilts:
            return Result.warn("tilt is not on this PATH, but a Tilt is running with nerdctl on its PATH", evidence=ev)
        return Result.fail("tilt is not on PATH", evidence=ev,
                           action="install Tilt (https://docs.tilt.dev/install.html) and put it on PATH")
    v, err = read_version(out, "Tilt", ev)
    if err:
        return err
    if v < MIN_ENV:
        return Result.fail(f"Tilt v{vstr(v)} is older than v0.33.5: custom_build has no env=, which nerdctl builds "
                           "need", evidence=ev, action="upgrade Tilt to v0.33.5 or newer")
    return Result.ok(f"Tilt v{vstr(v)}" + (f"; {len(tilts)} running, nerdctl on its PATH" if tilts else ""),
                     evidence=ev)


CHECKS = [installed]
