"""The one way the doctor runs a program: never through a shell, always bounded (a timeout, or none only where the
caller says so: a build), output capped, optionally streamed as it comes, and every child still running ended
when the doctor is interrupted. Probes, fix steps, sudo's writes and the build backend's nerdctl all go through
``run``; the OS-specific parts (process groups, ending a child) are osapi's."""
from __future__ import annotations

import signal
import subprocess
import threading
import time
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from .. import osapi
from ..constants import OUTPUT_LIMIT
from .outcome import Outcome, last_line, truncate  # noqa: F401 - the runner's result, re-exported

if TYPE_CHECKING:
    from typing import IO, Any, Callable, Mapping, Sequence

LINE_LIMIT = 64 << 10  # a "line" longer than this is handed on in pieces (a tool printing one huge line)
PIPE_GRACE = 0.5  # after the program exits, how long its output may still take (a child that kept the pipe)

_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()
# Starting a program and tracking it happen under this lock, and ending the children takes it too: a program that a
# thread is starting at that very moment is either tracked in time to be ended, or ended as it is tracked.
_SPAWN_LOCK = threading.Lock()
_ENDING = [False]
# Signal handlers run in the main thread, between any two steps of its Python code, Popen's own included: a Ctrl-C
# that lands after the program started but before it is tracked would leave it running. While the main thread is
# starting a program, the doctor's handlers hold the signal (``held``); it is raised again once the program is
# tracked. [depth, signals held]
_HOLD: list = [0, []]


def held(signum: int) -> bool:
    """For the doctor's signal handlers: True when the main thread is starting a program, and the signal was kept
    to be raised again as soon as the program is tracked (then it ends the program with the doctor)."""
    if _HOLD[0] > 0:
        _HOLD[1].append(signum)
        return True
    return False


def track(proc: "subprocess.Popen[bytes]") -> None:
    with _LIVE_LOCK:
        _LIVE.add(proc)
        ending = _ENDING[0]
    if ending:  # the doctor is ending: a program started now must not outlive it
        osapi.end_process(proc, force=True)


def untrack(proc: "subprocess.Popen[bytes]") -> None:
    with _LIVE_LOCK:
        _LIVE.discard(proc)


SLICE = 0.2  # the longest the main thread blocks at a time: a signal another thread received waits for this


def wait_for(event: threading.Event, timeout: float | None) -> bool:
    """Event.wait, in slices: the kernel may hand SIGINT/SIGTERM to any thread, and Python runs its handler only
    when the main thread wakes up; a single long wait would sit on it until the wait ends."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        left = SLICE if deadline is None else min(SLICE, deadline - time.monotonic())
        if left <= 0:
            return event.is_set()
        if event.wait(left):
            return True


def resume() -> None:
    """Programs may be started again (after end_children(final=True), for a caller that goes on: tests, the TUI)."""
    with _LIVE_LOCK:
        _ENDING[0] = False


def end_children(grace: float = 1.0, final: bool = False) -> None:
    """End every program the doctor started that still runs: asked first (its whole group), then forced after
    ``grace`` seconds. A program that ignores the request is ended all the same. ``final``: the doctor is ending,
    so a program another thread starts from now on is ended as it starts."""
    with _SPAWN_LOCK:
        with _LIVE_LOCK:
            _ENDING[0] = True
            procs = list(_LIVE)
    for p in procs:
        osapi.end_process(p, force=False)
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            osapi.end_process(p, force=True)
        except Exception:  # noqa: BLE001
            pass
    if not final:
        resume()


class Lines:
    """Turns the chunks ``run`` streams into whole lines for ``on_line`` (bounded: a huge line comes in pieces).
    Call ``flush()`` after the run for a last line without a newline."""

    def __init__(self, on_line: Callable[[str], None]) -> None:
        self.on_line = on_line
        self.buf = b""

    def __call__(self, stream: int, chunk: bytes) -> None:
        self.buf += chunk
        while True:
            i = self.buf.find(b"\n")
            if i < 0:
                break
            line, self.buf = self.buf[:i], self.buf[i + 1:]
            self.on_line(line.decode("utf-8", "replace").rstrip("\r"))
        while len(self.buf) > LINE_LIMIT:
            piece, self.buf = self.buf[:LINE_LIMIT], self.buf[LINE_LIMIT:]
            self.on_line(piece.decode("utf-8", "replace"))

    def flush(self) -> None:
        if self.buf:
            self.on_line(self.buf.decode("utf-8", "replace").rstrip("\r"))
            self.buf = b""


def _drain(src: IO[bytes], stream: int, keep: list[bytes], limit: int,
           on_output: Callable[[int, bytes], None] | None, lock: threading.Lock) -> None:
    size = 0
    try:
        while True:
            chunk = src.read1(65536) if hasattr(src, "read1") else src.read(65536)
            if not chunk:
                break
            if on_output is not None:
                with lock:  # one chunk at a time reaches the caller, whichever stream it came from
                    on_output(stream, chunk)
            if size < limit:
                keep.append(chunk[: limit - size])
            size += len(chunk)
    except (OSError, ValueError):
        pass


def run(exe: str, argv: Sequence[str], env: Mapping[str, str], timeout: float | None, input: bytes | None = None,
        cwd: str | None = None, where: str = "local", *, on_output: Callable[[int, bytes], None] | None = None,
        merge: bool = False, terminal: bool = False, keep: int = OUTPUT_LIMIT) -> Outcome:
    """Run ``exe`` with ``argv[1:]`` (argv[0] is what is shown). ``timeout`` None: no limit (a build). Output is
    kept up to ``keep`` bytes per stream and, with ``on_output(stream, chunk)`` (1 stdout, 2 stderr), handed on as
    it comes; ``merge`` puts stderr into stdout. ``terminal``: the program keeps the doctor's terminal and
    session (sudo asking for a password); otherwise it gets a process group of its own and no stdin."""
    shown = [str(a) for a in argv]
    start = time.monotonic()
    kwargs: dict[str, Any] = {} if terminal else osapi.new_group_kwargs()
    stdin: Any = subprocess.PIPE if input is not None else (None if terminal else subprocess.DEVNULL)
    main = threading.current_thread() is threading.main_thread()
    try:
        with _SPAWN_LOCK:
            if main:
                _HOLD[0] += 1
            try:
                proc = subprocess.Popen([exe, *shown[1:]], stdin=stdin, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT if merge else subprocess.PIPE, env=dict(env),
                                        cwd=cwd, **kwargs)
                track(proc)
            finally:
                if main:
                    _HOLD[0] -= 1
                    pending, _HOLD[1][:] = _HOLD[1][:], []
                    for sig in dict.fromkeys(pending):
                        signal.raise_signal(sig)  # its handler runs now, with the program tracked
    except PermissionError as exc:
        return Outcome(shown, "not-executable", where=where, detail=exc.strerror or str(exc))
    except FileNotFoundError as exc:  # e.g. a script whose interpreter is missing
        return Outcome(shown, "not-executable", where=where, detail=f"cannot execute: {exc.strerror}")
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in an argument or the environment
        return Outcome(shown, "error", where=where, detail=getattr(exc, "strerror", None) or str(exc))
    group = not terminal
    out: list[bytes] = []
    err: list[bytes] = []
    lock = threading.Lock()
    assert proc.stdout is not None
    readers = [threading.Thread(target=_drain, args=(proc.stdout, 1, out, keep, on_output, lock), daemon=True)]
    if proc.stderr is not None:
        readers.append(threading.Thread(target=_drain, args=(proc.stderr, 2, err, keep, on_output, lock),
                                        daemon=True))
    for t in readers:
        t.start()
    # A blocking wait in a thread: no polling sleeps (Popen.wait(timeout=...) costs short tools up to half their
    # run time again), and the program's exit is seen even when a child it left behind keeps the pipes open.
    exited = threading.Event()

    def waiter() -> None:
        proc.wait()
        exited.set()

    threading.Thread(target=waiter, daemon=True).start()
    timed_out = False
    try:
        if input is not None and proc.stdin is not None:
            try:
                proc.stdin.write(input)
                proc.stdin.close()
            except (OSError, ValueError):
                pass
        if not wait_for(exited, None if timeout is None else max(0.0, start + timeout - time.monotonic())):
            timed_out = True
            osapi.end_process(proc, force=True, group=group)
            exited.wait(1.0)
        for t in readers:
            t.join(timeout=PIPE_GRACE)
        if any(t.is_alive() for t in readers):  # what it left behind still holds the output: end it
            if group:
                osapi.end_process(proc, force=True, group=True)  # in its process group
                for t in readers:
                    t.join(timeout=0.2)
            if any(t.is_alive() for t in readers):  # in a session of its own (setsid): found by the pipe
                fds = []
                for f in (proc.stdout, proc.stderr):
                    try:
                        if f is not None:
                            fds.append(f.fileno())
                    except (ValueError, OSError):
                        pass
                osapi.end_pipe_holders(fds)
                for t in readers:
                    t.join(timeout=0.2)
    except BaseException:  # interrupted: the program must not outlive the doctor
        osapi.end_process(proc, force=False, group=group)
        if not exited.wait(1.0):
            osapi.end_process(proc, force=True, group=group)
            exited.wait(1.0)  # reaped here, not left to whoever inherits it
        raise
    finally:
        untrack(proc)
    dur = int((time.monotonic() - start) * 1000)
    with lock:
        o, e = b"".join(out), b"".join(err)
    if timed_out:
        return Outcome(shown, "timeout", stdout=o.decode("utf-8", "replace"), stderr=e.decode("utf-8", "replace"),
                       duration_ms=dur, where=where)
    return Outcome(shown, "exited", exit_code=proc.returncode, stdout=o.decode("utf-8", "replace"),
                   stderr=e.decode("utf-8", "replace"), duration_ms=dur, where=where,
                   truncated=len(o) >= keep or len(e) >= keep)
