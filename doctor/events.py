"""Typed events: what the runner and the fix applier report, and what every view (text, JSON, TUI) renders."""
from __future__ import annotations

from .records import Record

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)
if TYPE_CHECKING:
    from typing import Union
    from .model import Check, CheckRun, Step


class CheckStarted(Record):
    __slots__ = ("check",)

    def __init__(self, check: "Check") -> None:
        self.check = check


class CheckFinished(Record):
    __slots__ = ("run",)

    def __init__(self, run: "CheckRun") -> None:
        self.run = run


class RunFinished(Record):
    __slots__ = ("runs", "duration_ms")

    def __init__(self, runs: "list[CheckRun]", duration_ms: int) -> None:
        self.runs = runs  # in registration order
        self.duration_ms = duration_ms


class StepStarted(Record):
    __slots__ = ("index", "step")

    def __init__(self, index: int, step: "Step") -> None:
        self.index, self.step = index, step


class StepOutput(Record):
    __slots__ = ("index", "line")

    def __init__(self, index: int, line: str) -> None:
        self.index, self.line = index, line


class StepDone(Record):
    __slots__ = ("index", "report")

    def __init__(self, index: int, report: "StepReport") -> None:
        self.index, self.report = index, report


class Rechecked(Record):
    __slots__ = ("run",)

    def __init__(self, run: "CheckRun") -> None:
        self.run = run


class StepReport(Record):
    """What one step of a fix came to. ``exit_code`` is None for advice, and for a step that could not run."""

    __slots__ = ("step", "exit_code", "output", "changed")
    _frozen = False

    def __init__(self, step: "Step", exit_code: int | None, output: str = "", changed: bool = False) -> None:
        self.step, self.exit_code, self.output, self.changed = step, exit_code, output, changed


if TYPE_CHECKING:
    RunEvent = Union[CheckStarted, CheckFinished, RunFinished]
    FixEvent = Union[StepStarted, StepOutput, StepDone, Rechecked]
