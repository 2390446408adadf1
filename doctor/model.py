"""The data model: checks, results, fixes and their steps (SPEC sections 2, 3 and 5).

Nothing here touches the outside world or imports a UI.
"""
from __future__ import annotations

import enum
import math

from .records import Record

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from typing import Any, Callable, Mapping, Sequence
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


class RunStep(Record):
    """Run a program: argv only, never a shell string."""

    __slots__ = ("argv", "env", "privileged", "confirm")
    kind = "run"

    def __init__(self, argv: Sequence[str], env: Mapping[str, str] | None = None, privileged: bool = False,
                 confirm: str = "") -> None:
        self.argv: tuple[str, ...] = tuple(argv)
        self.env: dict[str, str] = dict(env or {})
        self.privileged = privileged
        # a question asked on its own before this step runs (a restart): declined, the step becomes advice
        self.confirm = confirm


class EditStep(Record):
    """Change one file. ``editor`` names a registered edit function (fixes/edits.py) that maps the file's
    current text (None when absent) to the new text; ``params`` are its arguments. The diff is always computed
    from the file as it is when it is shown or applied, never stored."""

    __slots__ = ("path", "editor", "params", "privileged")
    kind = "edit"

    def __init__(self, path: str, editor: str, params: Mapping[str, Any] | None = None,
                 privileged: bool = False) -> None:
        self.path = path  # logical path, as the diagnosed system names it
        self.editor = editor
        self.params: dict[str, Any] = dict(params or {})
        self.privileged = privileged


class AdviceStep(Record):
    """What only a person can do."""

    __slots__ = ("text",)
    kind = "advice"
    privileged = False

    def __init__(self, text: str) -> None:
        self.text = text


Step = RunStep | EditStep | AdviceStep


class Fix(Record):
    __slots__ = ("id", "title", "steps", "rechecks")

    def __init__(self, id: str, title: str, steps: Sequence[Step], rechecks: Sequence[str] = ()) -> None:
        self.id = id
        self.title = title
        self.steps: tuple[Step, ...] = tuple(steps)
        self.rechecks: tuple[str, ...] = tuple(rechecks)  # check ids to run again; empty = the offering check

    @property
    def privileged(self) -> bool:
        return any(getattr(s, "privileged", False) for s in self.steps)

    @property
    def advice_only(self) -> bool:
        """A fix made only of advice changes nothing: it is shown, never "applied"."""
        return all(isinstance(s, AdviceStep) for s in self.steps)


# --------------------------------------------------------------------------- results


class Result(Record):
    """What a check found. Mutable (the runner and reports may add details)."""

    __slots__ = ("status", "summary", "details", "evidence", "fixes", "action", "cause")
    _frozen = False

    def __init__(self, status: Status | str, summary: str, details: str = "",
                 evidence: dict[str, Any] | None = None, fixes: list[Fix] | None = None, action: str = "",
                 cause: str | None = None) -> None:
        self.status = Status(status)
        self.summary = summary
        self.details = details
        self.evidence: dict[str, Any] = evidence if evidence is not None else {}
        self.fixes: list[Fix] = list(fixes or [])
        # What a person should do when no fix can (one line, specific to this platform): for the next steps.
        self.action = action
        # The id of the check whose problem this one's failure is, as this check found it at run time (its own
        # reason, not a table): when that check fails too, its next step explains this one.
        self.cause = cause

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


if TYPE_CHECKING:
    Deps = Mapping[str, Result]  # the results of a check's prerequisites, by id
    CheckFunc = Callable[["Host", Deps], Result]
else:  # the names exist at run time too (checks import them), without importing typing
    Deps = CheckFunc = object


class Check(Record):
    """A registered check. ``func(host, deps)`` gets the Host and the results of its prerequisites (by id)
    and returns a Result. It must not print, prompt or exit."""

    __slots__ = ("id", "category", "title", "func", "requires", "source")

    def __init__(self, id: str, category: str, title: str, func: CheckFunc, requires: Sequence[str] = (),
                 source: str = "builtin") -> None:
        self.id = id
        self.category = category
        self.title = title
        self.func = func
        self.requires: tuple[str, ...] = tuple(requires)
        self.source = source

    def run(self, host: "Host", deps: Deps) -> Result:
        result = self.func(host, deps)
        if not isinstance(result, Result):
            raise TypeError(f"check {self.id} returned {type(result).__name__}, not Result")
        return result


def check(id: str, *, category: str | None = None, title: str,
          requires: Sequence[str] = ()) -> Callable[[CheckFunc], Check]:
    """Decorator: turn ``def f(host, deps) -> Result`` into a Check."""

    def wrap(func: CheckFunc) -> Check:
        return Check(id=id, category=category or id.split(".", 1)[0], title=title, func=func, requires=tuple(requires))

    return wrap


class CheckRun(Record):
    """A check's result as the runner delivers it."""

    __slots__ = ("check", "result", "duration_ms")
    _frozen = False

    def __init__(self, check: Check, result: Result, duration_ms: int = 0) -> None:
        self.check = check
        self.result = result
        self.duration_ms = duration_ms


JSON_NODES = 20_000  # the most values one check's evidence may hold; a plugin's can be anything


def jsonable(value: Any, _depth: int = 0, _budget: list[int] | None = None, _path: set[int] | None = None,
             limit: int | None = JSON_NODES) -> Any:
    """Evidence is free-form; make it JSON-safe: NaN and infinities become strings, bytes are decoded, other
    objects become their str(), nesting deeper than 64 levels is cut, a container inside itself is named, and at
    most JSON_NODES values are kept (a structure that shares itself exponentially costs that much, not more)."""
    budget = [limit if limit is not None else 1 << 62] if _budget is None else _budget
    path: set[int] = set() if _path is None else _path
    budget[0] -= 1
    if budget[0] < 0:
        return "(too large)"
    if _depth > 64:
        return "(nested too deeply)"
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        if id(value) in path:
            return "(contains itself)"
        path.add(id(value))
        try:
            if isinstance(value, dict):
                return {_key(k): jsonable(v, _depth + 1, budget, path) for k, v in list(value.items())[:JSON_NODES]}
            return [jsonable(v, _depth + 1, budget, path) for v in list(value)[:JSON_NODES]]
        finally:
            path.discard(id(value))
    if isinstance(value, enum.Enum):
        return jsonable(value.value, _depth + 1, budget, path)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates escaped
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "replace")
    try:
        return jsonable(str(value), _depth + 1, budget, path)
    except Exception:  # noqa: BLE001 - a hostile __str__
        return f"<{type(value).__name__}>"


def _key(k: Any) -> str:
    try:
        s = k if isinstance(k, str) else str(k)
    except Exception:  # noqa: BLE001 - a hostile __str__
        s = f"<{type(k).__name__}>"
    return s.encode("utf-8", "backslashreplace").decode("utf-8")


