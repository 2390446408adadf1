"""Runs checks concurrently and streams their results as events.

Each check runs in its own daemon thread as soon as its prerequisites are done. A check whose prerequisite is
not ok/warn is ``skip`` naming it; a crash is an ``error`` for that check alone; a check that has not finished
by its deadline (one --timeout after it started, and never later than --timeout + 0.9 s after the run started)
is an ``error`` and the run moves on without it.
"""
from __future__ import annotations

import os
import queue
import sys
import threading
import time

from .events import CheckFinished, CheckStarted, RunFinished
from .model import Check, CheckRun, Result

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from typing import Callable, Iterable, Iterator, Sequence
    from .events import RunEvent
    from .host import Host

GRACE = 0.5  # seconds a check may take beyond one --timeout (its own bookkeeping)
RUN_GRACE = 0.9  # the whole run ends within --timeout + this
# While checks run, a thread that becomes ready (its probe answered, a result to hand on) takes the interpreter from
# one that parses or imports after this long rather than after Python's 5 ms: the threads mostly wait on programs,
# and each hand-over along the longest chain of prerequisites otherwise waits. Measured with benchmarks/bench.py on
# the built wheel (healthy host, the doctor's own work): about a quarter less.
SWITCH_INTERVAL = 0.0005




def select(checks: Sequence[Check], only: Sequence[str] = (), skip: Sequence[str] = ()) -> list[Check]:
    """--only/--skip by id or category; prerequisites of a selected check still run. Unknown names are the
    caller's usage error (see unknown_names)."""

    def hit(c: Check, names: Sequence[str]) -> bool:
        return c.id in names or c.category in names

    chosen = [c for c in checks if (not only or hit(c, only)) and not hit(c, skip)]
    by_id = {c.id: c for c in checks}
    wanted = {c.id for c in chosen}
    # transitive closure of prerequisites
    stack = list(wanted)
    while stack:
        cid = stack.pop()
        for req in by_id[cid].requires:
            if req in by_id and req not in wanted:
                wanted.add(req)
                stack.append(req)
    return [c for c in checks if c.id in wanted]


def unknown_names(checks: Sequence[Check], names: Iterable[str]) -> list[str]:
    known = {c.id for c in checks} | {c.category for c in checks}
    return [n for n in names if n not in known]


def _critical_first(checks: Sequence[Check]) -> list[Check]:
    """The checks in launch order: the longest chain of checks waiting on one first (it bounds the run), otherwise
    in registration order. Starting a thread waits for it to run, so the order is what the first check sees."""
    waiting_on: dict[str, list[str]] = {}
    for c in checks:
        for req in c.requires:
            waiting_on.setdefault(req, []).append(c.id)
    depth: dict[str, int] = {}
    for c in checks:  # depth-first, without recursion (a plugin may chain hundreds of checks)
        stack = [(c.id, False)]
        on_path: set[str] = set()
        while stack:
            cid, expanded = stack.pop()
            if expanded:
                on_path.discard(cid)
                depth[cid] = 1 + max((depth.get(d, 0) for d in waiting_on.get(cid, ())), default=0)
            elif cid not in depth and cid not in on_path:  # on_path: a cycle, which the runner reports
                on_path.add(cid)
                stack.append((cid, True))
                stack.extend((d, False) for d in waiting_on.get(cid, ()) if d not in depth)
    return sorted(checks, key=lambda c: -depth.get(c.id, 0))


def run_checks(checks: Sequence[Check], host: "Host", timeout: float | None = None) -> Iterator[RunEvent]:
    """Run ``checks`` against ``host``; yield events as they happen, ending with RunFinished."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, SWITCH_INTERVAL))
    try:
        yield from _run_checks(checks, host, host.timeout if timeout is None else timeout)
    finally:
        sys.setswitchinterval(previous)


def _run_checks(checks: Sequence[Check], host: "Host", timeout: float) -> Iterator[RunEvent]:
    start = time.monotonic()
    run_deadline = start + timeout + RUN_GRACE
    by_id = {c.id: c for c in checks}
    events: "queue.Queue[tuple[str, Check, Result, int]]" = queue.Queue()
    results: dict[str, CheckRun] = {}
    started: dict[str, float] = {}
    pending = _critical_first(checks)
    cut_off: list[str] = []

    def worker(c: Check, deps: dict[str, Result]) -> None:
        t0 = time.monotonic()
        try:
            result = c.run(host, deps)
        except BaseException as exc:  # a crash is an error for this check alone (KeyboardInterrupt or SystemExit
            # raised by a check's own code included: this thread gets no signal)
            tb = ""
            if os.environ.get("NERDCTL_DOCTOR_DEBUG") == "1":
                import traceback  # 15 ms of imports: only when asked for

                tb = traceback.format_exc(limit=6)
            result = Result.error(f"the check crashed: {type(exc).__name__}: {str(exc)[:300]}", details=tb)
        events.put(("done", c, result, int((time.monotonic() - t0) * 1000)))

    def launch(c: Check) -> Iterator[RunEvent]:
        missing_or_bad = []
        deps: dict[str, Result] = {}
        for req in c.requires:
            if req not in by_id:
                continue  # a prerequisite that is not registered (plugin) does not block
            r = results[req].result
            deps[req] = r
            if not r.status.passable:
                missing_or_bad.append((req, r.status))
        if missing_or_bad:
            names = ", ".join(f"{req} is {st.value}" for req, st in missing_or_bad)
            finish(c, Result.skip(f"prerequisite not ok: {names}", evidence={"prerequisites": {r: s.value for r, s in missing_or_bad}}), 0)
            return
        started[c.id] = time.monotonic()
        yield CheckStarted(c)
        threading.Thread(target=worker, args=(c, deps), name=f"check:{c.id}", daemon=True).start()

    finished_order: list[CheckRun] = []

    def finish(c: Check, r: Result, ms: int) -> None:
        cr = CheckRun(c, r, ms)
        results[c.id] = cr
        finished_order.append(cr)

    emitted = 0
    while True:
        # launch everything whose prerequisites are done
        progressed = True
        while progressed:
            progressed = False
            for c in list(pending):
                if all(req in results or req not in by_id for req in c.requires):
                    pending.remove(c)
                    yield from launch(c)
                    progressed = True
            while emitted < len(finished_order):
                yield CheckFinished(finished_order[emitted])
                emitted += 1
        running = [cid for cid in started if cid not in results]
        if not running and not pending:
            break
        if not running:  # pending checks whose prerequisites can never finish (cycle): error them
            for c in pending:
                finish(c, Result.error("prerequisites form a cycle or never finished"), 0)
            pending.clear()
            continue
        now = time.monotonic()
        next_deadline = min(min(started[cid] + timeout + GRACE, run_deadline) for cid in running)
        try:
            # in short slices: a signal the kernel handed to a check's thread is acted on by this one when it wakes
            kind, c, r, ms = events.get(timeout=min(0.2, max(0.0, next_deadline - now)))
            if c.id not in results:
                finish(c, r, ms)
        except queue.Empty:
            now = time.monotonic()
            for cid in running:
                if now >= min(started[cid] + timeout + GRACE, run_deadline):
                    cut_off.append(cid)
                    finish(by_id[cid], Result.error(f"did not finish within the {timeout:g}s timeout"),
                           int((now - started[cid]) * 1000))
        while emitted < len(finished_order):
            yield CheckFinished(finished_order[emitted])
            emitted += 1
    ordered = [results[c.id] for c in checks if c.id in results]
    if cut_off:  # a check cut by its deadline left its tool running: nothing else of ours runs now
        procs = sys.modules.get("nerdctl_doctor.host.procs")
        if procs is not None:
            procs.end_children(grace=0.2)
    yield RunFinished(ordered, int((time.monotonic() - start) * 1000))


def run_to_end(checks: Sequence[Check], host: "Host",
               on_event: Callable[[RunEvent], None] | None = None) -> list[CheckRun]:
    """Run the checks to the end, handing every event to ``on_event``; the runs in registration order."""
    runs: list[CheckRun] = []
    for ev in run_checks(checks, host):
        if on_event is not None:
            on_event(ev)
        if isinstance(ev, RunFinished):
            runs = ev.runs
    return runs
