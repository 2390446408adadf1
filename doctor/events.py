"""Typed events: what the runner and the fix applier report, and what every view (text, JSON, TUI) renders."""
from __future__ import annotations

from .records import dataclass
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from .model import Check, CheckRun, Step


@dataclass(frozen=True)
class CheckStarted:
    check: "Check"


@dataclass(frozen=True)
class CheckFinished:
    run: "CheckRun"


@dataclass(frozen=True)
class RunFinished:
    runs: "list[CheckRun]"  # in registration order
    duration_ms: int


RunEvent = Union[CheckStarted, CheckFinished, RunFinished]


@dataclass(frozen=True)
class StepStarted:
    index: int
    step: "Step"


@dataclass(frozen=True)
class StepOutput:
    index: int
    line: str


@dataclass(frozen=True)
class StepDone:
    index: int
    report: "StepReport"


@dataclass(frozen=True)
class Rechecked:
    run: "CheckRun"


FixEvent = Union[StepStarted, StepOutput, StepDone, Rechecked]


@dataclass
class StepReport:
    """What one step of a fix came to. ``exit_code`` is None for advice, and for a step that could not run."""

    step: "Step"
    exit_code: int | None
    output: str = ""
    changed: bool = False
