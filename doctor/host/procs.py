"""Running programs: never through a shell, always with a timeout, output capped, and every child still running
ended when the doctor is interrupted."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)
if TYPE_CHECKING:
    from typing import IO, Any, Callable, Mapping, Sequence

OUTPUT_LIMIT = 1 << 20  # what is kept of a tool's stdout (and of its stderr); the rest is read and dropped

_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()


def track(proc: "subprocess.Popen[bytes]") -> None:
    with _LIVE_LOCK:
        _LIVE.add(proc)


def untrack(proc: "subprocess.Popen[bytes]") -> None:
    with _LIVE_LOCK:
        _LIVE.discard(proc)


def end_children(grace: float = 1.0) -> None:
    """End every program the doctor started that still runs: SIGTERM to its process group, SIGKILL after
    ``grace`` seconds."""
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for p in procs:
        signal_group(p, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            signal_group(p, signal.SIGKILL)
        except Exception:  # noqa: BLE001
            pass


def signal_group(proc: "subprocess.Popen[bytes]", sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except OSError:
        try:
            proc.send_signal(sig)
        except OSError:
            pass


class Outcome:
    """What running a program came to. ``kind``: exited, not-found, not-executable, timeout, error. ``where``:
    local, or the front-end whose VM ran it."""

    def __init__(self, argv: list[str], kind: str, exit_code: int | None = None, stdout: str = "", stderr: str = "",
                 duration_ms: int = 0, where: str = "local", detail: str = "", truncated: bool = False) -> None:
        self.argv, self.kind, self.exit_code = argv, kind, exit_code
        self.stdout, self.stderr, self.duration_ms = stdout, stderr, duration_ms
        self.where, self.detail, self.truncated = where, detail, truncated

    def __repr__(self) -> str:
        return f"Outcome({self.argv!r}, {self.kind!r}, exit_code={self.exit_code!r})"

    @property
    def ok(self) -> bool:
        return self.kind == "exited" and self.exit_code == 0

    @property
    def output(self) -> str:
        return (self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).strip()

    def describe(self) -> str:
        cmd = " ".join(self.argv)
        if self.kind == "exited":
            return f"`{cmd}` exited {self.exit_code}" + (f": {last_line(self.output)}" if self.exit_code else "")
        if self.kind == "timeout":
            return f"`{cmd}` did not answer within {self.duration_ms / 1000:.1f}s"
        if self.kind == "not-found":
            return f"`{self.argv[0]}` not found on PATH"
        if self.kind == "not-executable":
            return f"`{self.argv[0]}` is not executable" + (f" ({self.detail})" if self.detail else "")
        return f"`{cmd}` could not run: {self.detail}"

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"argv": self.argv, "outcome": self.kind, "exit_code": self.exit_code,
                             "output": truncate(self.output, 4000), "where": self.where}
        if self.truncated:
            d["output_truncated"] = True  # the tool printed more than is kept
        return d


def last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"


def _drain(src: IO[bytes], keep: list[bytes], limit: int, on_chunk: Callable[[bytes], None] | None = None) -> None:
    size = 0
    try:
        while True:
            chunk = src.read1(65536) if hasattr(src, "read1") else src.read(65536)
            if not chunk:
                break
            if on_chunk is not None:
                on_chunk(chunk)
            if size < limit:
                keep.append(chunk[: limit - size])
            size += len(chunk)
    except (OSError, ValueError):
        pass


def run(exe: str, argv: Sequence[str], env: Mapping[str, str], timeout: float, input: bytes | None = None,
        cwd: str | None = None, where: str = "local") -> Outcome:
    """Run ``exe`` with ``argv[1:]`` (argv[0] is what is shown), bounded by ``timeout``."""
    shown = [str(a) for a in argv]
    start = time.monotonic()
    try:
        proc = subprocess.Popen([exe, *shown[1:]], stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(env), cwd=cwd,
                                start_new_session=True)
    except PermissionError as exc:
        return Outcome(shown, "not-executable", where=where, detail=exc.strerror or str(exc))
    except FileNotFoundError as exc:  # e.g. a script whose interpreter is missing
        return Outcome(shown, "not-executable", where=where, detail=f"cannot execute: {exc.strerror}")
    except OSError as exc:
        return Outcome(shown, "error", where=where, detail=exc.strerror or str(exc))
    track(proc)
    out: list[bytes] = []
    err: list[bytes] = []
    assert proc.stdout is not None and proc.stderr is not None
    readers = [threading.Thread(target=_drain, args=(proc.stdout, out, OUTPUT_LIMIT), daemon=True),
               threading.Thread(target=_drain, args=(proc.stderr, err, OUTPUT_LIMIT), daemon=True)]
    for t in readers:
        t.start()
    try:
        if input is not None and proc.stdin is not None:
            try:
                proc.stdin.write(input)
                proc.stdin.close()
            except OSError:
                pass
        # Wait on the readers: they end the moment the program closes its output, without the polling sleeps of
        # Popen.wait(timeout=...), which cost short tools up to half their run time again.
        deadline = start + timeout
        for t in readers:
            t.join(timeout=max(0.0, deadline - time.monotonic()))
        try:
            proc.wait(timeout=max(0.01, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            signal_group(proc, signal.SIGKILL)
            try:
                proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
            return Outcome(shown, "timeout", duration_ms=int((time.monotonic() - start) * 1000), where=where)
    except BaseException:  # interrupted: the program must not outlive the doctor
        signal_group(proc, signal.SIGKILL)
        raise
    finally:
        untrack(proc)
    dur = int((time.monotonic() - start) * 1000)
    o, e = b"".join(out), b"".join(err)
    return Outcome(shown, "exited", exit_code=proc.returncode, stdout=o.decode("utf-8", "replace"),
                   stderr=e.decode("utf-8", "replace"), duration_ms=dur, where=where,
                   truncated=len(o) >= OUTPUT_LIMIT or len(e) >= OUTPUT_LIMIT)


def run_streaming(exe: str, argv: Sequence[str], env: Mapping[str, str], on_line: Callable[[str], None],
                  timeout: float, inherit_terminal: bool = False) -> Outcome:
    """Run a program, handing each line of its merged output to ``on_line`` as it comes (fix steps). With
    ``inherit_terminal`` it keeps the doctor's session and terminal (sudo must be able to ask for a password)."""
    shown = [str(a) for a in argv]
    start = time.monotonic()
    try:
        proc = subprocess.Popen([exe, *shown[1:]], stdin=None if inherit_terminal else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(env),
                                start_new_session=not inherit_terminal)
    except OSError as exc:
        return Outcome(shown, "not-executable" if isinstance(exc, PermissionError) else "error",
                       detail=exc.strerror or str(exc))
    track(proc)
    lines: list[str] = []
    kept = 0
    timed_out = threading.Event()

    def expire() -> None:
        timed_out.set()
        signal_group(proc, signal.SIGKILL) if not inherit_terminal else proc.kill()

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    try:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if kept < OUTPUT_LIMIT:
                lines.append(line)
                kept += len(line) + 1
            on_line(line)
        proc.wait()
    except BaseException:  # interrupted: end the step (its whole group) before the doctor exits
        signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            signal_group(proc, signal.SIGKILL)
        raise
    finally:
        timer.cancel()
        untrack(proc)
    dur = int((time.monotonic() - start) * 1000)
    if timed_out.is_set():
        return Outcome(shown, "timeout", stdout="\n".join(lines), duration_ms=dur)
    return Outcome(shown, "exited", exit_code=proc.returncode, stdout="\n".join(lines), duration_ms=dur)
