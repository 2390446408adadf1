"""A fix id as data (FixSpec: its title, the checks to run again after it, when it is offered) and ``make``, which
turns a spec and the steps a check found into a Fix. Each area module (buildkit.py, nerdctl.py, frontends.py)
defines its specs as plain data in ``SPECS`` with the builders that use them; fixes/all.py gathers them once."""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from ..model import Fix
from ..records import Record

if TYPE_CHECKING:
    from typing import Sequence
    from ..model import Step


class FixSpec(Record):
    __slots__ = ("id", "title", "rechecks", "offered_by")

    def __init__(self, id: str, title: str, rechecks: Sequence[str], offered_by: str) -> None:
        self.id = id
        self.title = title
        self.rechecks: tuple[str, ...] = tuple(rechecks)
        self.offered_by = offered_by  # when a check offers it (documentation)


def make(spec: FixSpec, steps: Sequence[Step], title: str | None = None) -> Fix:
    return Fix(spec.id, title or spec.title, tuple(steps), spec.rechecks)
