"""Every fix spec of every area, gathered once, explicitly (no import side effects), with each id checked to be
defined once; and ``build``, which turns a fix request (an id and the facts a front-end found) into a Fix, so that
front-ends describe what to fix without building fixes themselves."""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from . import buildkit, frontends, nerdctl

if TYPE_CHECKING:
    from typing import Any, Callable
    from ..model import Fix
    from .catalog import FixSpec

SPECS: tuple[FixSpec, ...] = (*buildkit.SPECS, *nerdctl.SPECS, *frontends.SPECS)

_seen: set[str] = set()
for _spec in SPECS:
    if _spec.id in _seen:
        raise ValueError(f"fix {_spec.id} is defined twice")
    _seen.add(_spec.id)

# fix requests that front-ends make (VM protocol's worker_fix): id -> builder taking the request's facts
BUILDERS: dict[str, Callable[..., Fix]] = {
    frontends.COLIMA_CONFIGURE_CONTAINERD_WORKER.id: frontends.colima_configure_containerd_worker,
    frontends.RD_BUILDKIT_NAMESPACE.id: frontends.rd_buildkit_namespace,
}


def build(request: tuple[str, dict[str, Any]] | None) -> Fix | None:
    if request is None:
        return None
    fix_id, facts = request
    return BUILDERS[fix_id](**facts)
