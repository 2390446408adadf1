"""Every fix id, defined once, as data: its title and the checks to run again after applying it. Builders in
the area modules (buildkit.py, nerdctl.py, frontends.py) turn a spec and the parameters a check found into a
Fix; an unknown id or recheck is an error when the checks load (registry.validate_fixes)."""
from __future__ import annotations

from ..records import dataclass
from typing import Sequence

from ..model import Fix, Step


@dataclass(frozen=True)
class FixSpec:
    id: str
    title: str
    rechecks: tuple[str, ...]
    offered_by: str  # when a check offers it (documentation, shown by --help)


FIXES: dict[str, FixSpec] = {}


def define(id: str, title: str, rechecks: Sequence[str], offered_by: str) -> FixSpec:
    if id in FIXES:
        raise ValueError(f"fix {id} is defined twice")
    spec = FixSpec(id, title, tuple(rechecks), offered_by)
    FIXES[id] = spec
    return spec


def make(spec: FixSpec, steps: Sequence[Step], title: str | None = None) -> Fix:
    return Fix(spec.id, title or spec.title, tuple(steps), spec.rechecks)


def all_specs() -> list[FixSpec]:
    from . import buildkit, frontends, nerdctl  # noqa: F401 - each module defines its area's fixes

    return list(FIXES.values())
