"""Tilt: present, new enough for custom_build(env=), and able to find nerdctl on its own PATH."""
from __future__ import annotations

import os

from ..model import Result, check
from ._util import read_version, vstr

MIN_ENV = (0, 33, 5)  # custom_build(env=, dir=)
MIN_PULL_POLICY = (0, 33, 9)  # IfNotPresent instead of Never for skips_local_docker images


def running_tilts(host) -> list[dict]:
    out = []
    for p in host.processes(lambda p: p.name == "tilt" or (p.cmdline and os.path.basename(p.cmdline[0]) == "tilt")):
        env = host.process_environ(p.pid)
        rec = {"pid": p.pid, "cmdline": p.cmdline, "PATH": None, "nerdctl": None}
        if env is not None:
            path = env.get("PATH", "")
            rec["PATH"] = path
            rec["nerdctl"] = host.which("nerdctl", path=[d for d in path.split(os.pathsep) if d])
        out.append(rec)
    return out


@check("tilt.installed", title="Tilt on PATH")
def installed(host, deps) -> Result:
    tilts = running_tilts(host)
    ev = {"running": tilts}
    blind = [t for t in tilts if t["PATH"] is not None and not t["nerdctl"]]
    if blind:
        t = blind[0]
        return Result.fail(
            f"the running Tilt (pid {t['pid']}) was started with a PATH that lacks nerdctl: its builds fail with "
            "`exit status 127` even though your shell finds nerdctl",
            details=f"Tilt's PATH: {t['PATH']}\nRestart Tilt from a shell whose PATH has nerdctl, or use "
                    "nerdctl-doctor's Tilt extension, which runs by absolute path.",
            evidence=ev)
    out = host.run(["tilt", "version"])
    ev["command"] = out.to_json()
    if out.kind == "not-found":
        if tilts:
            return Result.warn("tilt is not on this PATH, but a Tilt is running with nerdctl on its PATH", evidence=ev)
        return Result.fail("tilt is not on PATH", evidence=ev)
    v, err = read_version(out, "Tilt", ev)
    if err:
        return err
    if v < MIN_ENV:
        return Result.fail(f"Tilt v{vstr(v)} is older than v0.33.5: custom_build has no env=", evidence=ev)
    if v < MIN_PULL_POLICY:
        return Result.warn(
            f"Tilt v{vstr(v)} is older than v0.33.9: it deploys nerdctl images with imagePullPolicy Never "
            "(ErrImageNeverPull when the image is anywhere else)",
            evidence=ev,
        )
    return Result.ok(f"Tilt v{vstr(v)}" + (f"; {len(tilts)} running, nerdctl on its PATH" if tilts else ""),
                     evidence=ev)


CHECKS = [installed]
