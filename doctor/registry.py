"""Check discovery through the entry-point group ``nerdctl_doctor.checks`` (SPEC section 7).

The built-in checks are one entry point like any plugin's. An entry point names a module with a ``CHECKS``
iterable or a callable returning an iterable of Check objects. A plugin that fails to import or load, or whose
import does not finish within --timeout, becomes one ``error`` check named after its entry point; the others
still load. Entry points are read straight from the installed distributions' entry_points.txt (importlib.metadata
costs more than the whole start-up budget).
"""
from __future__ import annotations

import importlib
import os
import sys
import time
import types
from .records import Record

from .fileops import HostFileError, read_bounded
from .model import Check, Result

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)
if TYPE_CHECKING:
    from typing import Any, Iterable

GROUP = "nerdctl_doctor.checks"
BUILTIN = "builtin"


class EntryPoint(Record):
    __slots__ = ("name", "value", "dist")

    def __init__(self, name: str, value: str, dist: str) -> None:
        self.name, self.value, self.dist = name, value, dist

    def load(self) -> Any:
        module, _, attr = self.value.partition(":")
        obj: Any = importlib.import_module(module.strip())
        for part in filter(None, attr.strip().split(".")):
            obj = getattr(obj, part)
        return obj


def entry_points(group: str = GROUP) -> list[EntryPoint]:
    """The group's entry points of every distribution on sys.path, first one of a name wins."""
    found: dict[str, EntryPoint] = {}
    for base in sys.path:
        try:
            names = os.listdir(base or ".")
        except OSError:
            continue
        for n in sorted(names):
            if not n.endswith((".dist-info", ".egg-info")):
                continue
            try:  # bounded: never a FIFO, a device or a huge file; bytes that are not UTF-8 do not stop the run
                text = read_bounded(os.path.join(base or ".", n, "entry_points.txt"), limit=1 << 20).decode(
                    "utf-8", "replace")
            except HostFileError:
                continue
            section = None
            for line in text.splitlines():
                line = line.strip()
                if not line or line.startswith(("#", ";")):
                    continue
                if line.startswith("[") and line.endswith("]"):
                    section = line[1:-1].strip()
                elif section == group and "=" in line:
                    k, v = line.split("=", 1)
                    name = k.strip()
                    ep = EntryPoint(name, v.strip(), n)
                    if name == BUILTIN and ours(ep):
                        found[name] = ep  # nerdctl-doctor's own built-ins, wherever it sits on sys.path
                    elif name == BUILTIN:
                        found.setdefault(f"{name}@{n}", ep)  # another package's: reported, never loaded
                    else:
                        found.setdefault(name, ep)
    return sorted(found.values(), key=lambda ep: (not (ep.name == BUILTIN and ours(ep)), ep.name))


def ours(ep: EntryPoint) -> bool:
    """Is this entry point nerdctl-doctor's own distribution's (its dist-info or egg-info directory)?"""
    return ep.dist.lower().replace("-", "_").startswith("nerdctl_doctor")


def _broken(ep: EntryPoint, why: str) -> Check:
    msg = f"plugin entry point {ep.name} ({ep.value}) {why}"

    def report(host: Any, deps: Any, _msg: str = msg) -> Result:
        return Result.error(_msg, evidence={"entry_point": ep.name, "value": ep.value},
                            action=f"upgrade or uninstall the package that provides {ep.name}")

    return Check(id=f"plugin.{ep.name}", category="plugin", title=f"plugin {ep.name} ({ep.value})", func=report,
                 source=ep.name)


MAX_CHECKS = 1000  # a plugin's CHECKS past this is a plugin bug (an endless generator), not a list of checks


def _items(obj: Any) -> Iterable[Any]:
    import itertools

    if isinstance(obj, types.ModuleType):
        items = getattr(obj, "CHECKS", None)
        if items is None:
            raise TypeError(f"module {obj.__name__} has no CHECKS")
    else:
        items = obj() if callable(obj) else obj
    out = list(itertools.islice(iter(items), MAX_CHECKS + 1))
    if len(out) > MAX_CHECKS:
        raise ValueError(f"it gives more than {MAX_CHECKS} checks")
    return out


class _Loading:
    """A plugin's import running in a daemon thread: every plugin starts importing at once and all share one
    deadline, so that several hanging imports cost at most one --timeout together."""

    def __init__(self, ep: EntryPoint) -> None:
        import threading  # plugins only: the built-in checks load without a thread

        self.ep = ep
        self.box: dict[str, Any] = {}
        self.thread = threading.Thread(target=self._work, name=f"load:{ep.name}", daemon=True)
        self.thread.start()

    def _work(self) -> None:
        try:
            self.box["items"] = _items(self.ep.load())
        except Exception as exc:  # noqa: BLE001 - a broken plugin is a diagnosis
            self.box["error"] = exc
        except SystemExit as exc:  # a plugin calling sys.exit() at import is broken, not the end of the run
            self.box["error"] = RuntimeError(f"sys.exit({exc.code}) at import")
        except BaseException as exc:  # KeyboardInterrupt raised by a plugin itself (this thread gets no signal)
            self.box["error"] = RuntimeError(f"{type(exc).__name__} at import")

    def result(self, deadline: float, timeout: float) -> list[Any]:
        t = self.thread
        while t.is_alive() and time.monotonic() < deadline:  # in slices: signals are acted on meanwhile
            t.join(min(0.2, max(0.0, deadline - time.monotonic())))
        if t.is_alive():
            raise TimeoutError(f"did not finish importing within {timeout:g}s")
        if "error" in self.box:
            raise self.box["error"]
        return self.box["items"]


def load_checks(timeout: float = 5.0) -> list[Check]:
    """Every registered check: built-ins first (in their own order), then plugins by entry-point name."""
    checks: list[Check] = []
    ids: set[str] = set()
    eps = entry_points()
    deadline = time.monotonic() + timeout
    loading = {id(ep): _Loading(ep) for ep in eps if ep.name != BUILTIN}  # all at once, one deadline
    for ep in eps:
        if ep.name == BUILTIN and not ours(ep):
            reserved = _broken(ep, f"comes from {ep.dist}: the name `{BUILTIN}` is nerdctl-doctor's own")
            reserved = Check(f"plugin.{ep.dist.split('-')[0]}", "plugin", reserved.title, reserved.func, source=ep.dist)
            if reserved.id not in ids:
                ids.add(reserved.id)
                checks.append(reserved)
            continue
        try:
            loaded = loading[id(ep)].result(deadline, timeout) if ep.name != BUILTIN else _items(ep.load())
            for c in loaded:
                if not isinstance(c, Check):
                    raise TypeError(f"{c!r} is not a nerdctl_doctor Check")
                if not isinstance(c.id, str) or not c.id.strip() or c.id in ids:
                    raise ValueError(f"check id {c.id!r} is empty, not text, or already registered")
            for c in loaded:
                ids.add(c.id)
                checks.append(Check(c.id, c.category, c.title, c.func, c.requires, ep.name))
        except Exception as exc:  # noqa: BLE001 - a broken plugin is a diagnosis; interruptions propagate
            broken = _broken(ep, f"failed to load: {type(exc).__name__}: {str(exc)[:300]}")
            if broken.id not in ids:
                ids.add(broken.id)
                checks.append(broken)
    return checks


def validate_fixes(checks: Iterable[Check]) -> list[str]:
    """Problems with the fix catalog against the loaded checks: rechecks that name no check. Checked by the test
    suite (tests/unit/test_layers.py), not at every start: the applier refuses a fix whose re-check is unknown."""
    from .fixes.all import SPECS

    known = {c.id for c in checks}
    return [f"fix {spec.id} re-checks unknown check {r}" for spec in SPECS for r in spec.rechecks if r not in known]
