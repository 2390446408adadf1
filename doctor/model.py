"""The data model: checks, results, fixes and their steps (SPEC sections 2, 3 and 5).

Nothing here touches the outside world or imports a UI.
"""
from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

if TYPE_CHECKING:
    from .host import Host


class Status(str, enum.Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"

    def __str__(self) -> str:  # "ok", not "Status.OK"
        return self.value

    @property
    def passable(self) -> bool:
        """A prerequisite in this state lets dependent checks run."""
        return self in (Status.OK, Status.WARN)


STATUS_ORDER = (Status.OK, Status.WARN, Status.FAIL, Status.SKIP, Status.ERROR)


# --------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class RunStep:
    """Run a program: argv only, never a shell string."""

    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    privileged: bool = False
    kind: str = field(default="run", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "argv", tuple(self.argv))
        object.__setattr__(self, "env", dict(self.env))



@dataclass(frozen=True)
class EditStep:
    """Change one file. ``editor`` names a registered edit function (fixes/edits.py) that maps the file's
    current text (None when absent) to the new text; ``params`` are its arguments. The diff is always computed
    from the file as it is when it is shown or applied, never stored."""

    path: str  # logical path, as the diagnosed system names it
    editor: str
    params: Mapping[str, Any] = field(default_factory=dict)
    privileged: bool = False
    kind: str = field(default="edit", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", dict(self.params))


@dataclass(frozen=True)
class AdviceStep:
    """What only a person can do."""

    text: str
    kind: str = field(default="advice", init=False)
    privileged: bool = False



Step = RunStep | EditStep | AdviceStep


@dataclass(frozen=True)
class Fix:
    id: str
    title: str
    steps: Sequence[Step]
    rechecks: Sequence[str] = ()  # check ids to run again after applying; empty = the offering check

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))
        object.__setattr__(self, "rechecks", tuple(self.rechecks))

    @property
    def privileged(self) -> bool:
        return any(getattr(s, "privileged", False) for s in self.steps)

    @property
    def advice_only(self) -> bool:
        """A fix made only of advice changes nothing: it is shown, never "applied"."""
        return all(isinstance(s, AdviceStep) for s in self.steps)


# --------------------------------------------------------------------------- results


@dataclass
class Result:
    status: Status
    summary: str
    details: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    fixes: list[Fix] = field(default_factory=list)
    # What a person should do when no fix can (one line, specific to this platform): for the next steps.
    action: str = ""

    def __post_init__(self) -> None:
        self.status = Status(self.status)

    # Short constructors: Result.ok("...", evidence=...)
    @classmethod
    def ok(cls, summary: str, **kw: Any) -> "Result":
        return cls(Status.OK, summary, **kw)

    @classmethod
    def warn(cls, summary: str, **kw: Any) -> "Result":
        return cls(Status.WARN, summary, **kw)

    @classmethod
    def fail(cls, summary: str, **kw: Any) -> "Result":
        return cls(Status.FAIL, summary, **kw)

    @classmethod
    def skip(cls, summary: str, **kw: Any) -> "Result":
        return cls(Status.SKIP, summary, **kw)

    @classmethod
    def error(cls, summary: str, **kw: Any) -> "Result":
        return cls(Status.ERROR, summary, **kw)


Deps = Mapping[str, Result]  # the results of a check's prerequisites, by id
CheckFunc = Callable[["Host", Deps], Result]


@dataclass(frozen=True)
class Check:
    """A registered check. ``func(host, deps)`` gets the Host and the results of its prerequisites (by id)
    and returns a Result. It must not print, prompt or exit."""

    id: str
    category: str
    title: str
    func: CheckFunc
    requires: tuple[str, ...] = ()
    source: str = "builtin"

    def __post_init__(self) -> None:
        object.__setattr__(self, "requires", tuple(self.requires))

    def run(self, host: Any, deps: Mapping[str, Result]) -> Result:
        result = self.func(host, deps)
        if not isinstance(result, Result):
            raise TypeError(f"check {self.id} returned {type(result).__name__}, not Result")
        return result


def check(id: str, *, category: str | None = None, title: str, requires: Sequence[str] = ()) -> Callable[[CheckFunc], Check]:
    """Decorator: turn ``def f(host, deps) -> Result`` into a Check."""

    def wrap(func: CheckFunc) -> Check:
        return Check(id=id, category=category or id.split(".", 1)[0], title=title, func=func, requires=tuple(requires))

    return wrap


@dataclass
class CheckRun:
    """A check's result as the runner delivers it."""

    check: Check
    result: Result
    duration_ms: int = 0



def jsonable(value: Any, _depth: int = 0) -> Any:
    """Evidence is free-form; make it JSON-safe: NaN and infinities become strings, bytes are decoded, other
    objects become their str(), and nesting deeper than 64 levels is cut (a plugin's evidence can be anything)."""
    if _depth > 64:
        return "(nested too deeply)"
    if isinstance(value, dict):
        return {str(k): jsonable(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v, _depth + 1) for v in value]
    if isinstance(value, enum.Enum):
        return jsonable(value.value, _depth + 1)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a hostile __str__
        return f"<{type(value).__name__}>"


