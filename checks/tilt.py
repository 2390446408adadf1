"""Tilt: present, new enough for custom_build(env=), and able to find nerdctl."""
from __future__ import annotations

from ..model import Result, check
from ._util import parse_version, vstr

MIN_ENV = (0, 33, 5)  # custom_build(env=, dir=)
MIN_PULL_POLICY = (0, 33, 9)  # IfNotPresent instead of Never for skips_local_docker images


@check("tilt.installed", title="Tilt on PATH")
def installed(host, deps) -> Result:
    out = host.run(["tilt", "version"])
    ev = {"command": out.to_json()}
    if out.kind == "not-found":
        return Result.fail("tilt is not on PATH", evidence=ev)
    if not out.ok:
        return Result.error(f"cannot read Tilt's version: {out.describe()}", evidence=ev)
    v = parse_version(out.stdout)
    ev["version"] = vstr(v)
    if v is None:
        return Result.error(f"cannot read Tilt's version from {out.stdout.strip()!r}", evidence=ev)
    if v < MIN_ENV:
        return Result.fail(f"Tilt v{vstr(v)} is older than v0.33.5: custom_build has no env=", evidence=ev)
    if v < MIN_PULL_POLICY:
        return Result.warn(
            f"Tilt v{vstr(v)} is older than v0.33.9: it deploys nerdctl images with imagePullPolicy Never "
            "(ErrImageNeverPull when the image is anywhere else)",
            evidence=ev,
        )
    return Result.ok(f"Tilt v{vstr(v)}", evidence=ev)


CHECKS = [installed]
