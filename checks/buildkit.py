"""BuildKit exactly as nerdctl sees it (UPSTREAM.md sections 1 to 3 and 5)."""
from __future__ import annotations

from ..model import Result, check
from ._util import not_implemented, parse_version, vstr

MIN_BUILDCTL = (0, 10, 0)


@check("buildkit.buildctl", title="buildctl (BuildKit client) on PATH")
def buildctl(host, deps) -> Result:
    out = host.run(["buildctl", "--version"], vm=host.vm)
    ev = {"command": out.to_json()}
    if out.kind == "not-found":
        return Result.fail(
            "buildctl is not on PATH: nerdctl build fails with "
            '`exec: "buildctl": executable file not found in $PATH`',
            evidence=ev,
        )
    if not out.ok:
        return Result.error(f"cannot read buildctl's version: {out.describe()}", evidence=ev)
    v = parse_version(out.stdout)
    ev["version"] = vstr(v)
    if v is None:
        return Result.error(f"cannot read buildctl's version from {out.stdout.strip()!r}", evidence=ev)
    if v < MIN_BUILDCTL:
        return Result.fail(
            f"buildctl {vstr(v)} is older than 0.10: nerdctl needs `buildctl debug workers --format`",
            evidence=ev,
        )
    return Result.ok(f"buildctl {vstr(v)}", evidence=ev)


CHECKS = [
    buildctl,
    not_implemented("buildkit.host", "BuildKit daemon nerdctl will use", ("buildkit.buildctl",)),
    not_implemented("buildkit.worker", "BuildKit worker the daemon runs", ("buildkit.host",)),
    not_implemented("buildkit.config", "buildkitd.toml worker configuration"),
    not_implemented("buildkit.daemon", "buildkitd processes and services"),
]
