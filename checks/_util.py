"""Small helpers shared by the built-in checks."""
from __future__ import annotations


from ..model import Result


def parse_version(text: str) -> tuple[int, int, int] | None:
    """The first dotted version in ``text``: 'nerdctl version 1.7.6' -> (1, 7, 6)."""
    from ..paths import version_of
    return version_of(text)


def read_version(out, tool: str, ev: dict):
    """(version, None) from a `--version`-style Outcome, or (None, an error Result saying why not)."""
    if not out.ok:
        return None, Result.error(f"cannot read {tool}'s version: {out.describe()}", evidence=ev)
    v = parse_version(out.stdout)
    ev["version"] = vstr(v)
    if v is None:
        return None, Result.error(f"cannot read {tool}'s version from {out.stdout.strip()!r}", evidence=ev)
    return v, None


def vstr(v: tuple[int, ...] | None) -> str:
    return ".".join(str(x) for x in v) if v else "unknown"


def probes_vm(func):
    """For a check that probes inside the front-end's VM: when it fails there, its cause is what the front-end
    finds wrong with that VM now (its engine, it not running), so that check's next step explains this one."""

    def wrapped(host, deps):
        result = func(host, deps)
        if host.vm and result.status.value in ("fail", "error") and result.cause is None:
            result.cause = host.frontend.trouble()
        return result

    wrapped.__name__, wrapped.__doc__ = func.__name__, func.__doc__
    return wrapped
