"""Running nerdctl for the build: no shell, output streamed through unchanged (a bounded copy kept to recognise
known failures), tracked so that an interruption ends it."""
from __future__ import annotations

import subprocess
import sys
import threading
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from ..host import procs

if TYPE_CHECKING:
    from typing import IO, Any
    from ..host import Host

CAPTURE_LIMIT = 4 << 20


def run(host: "Host", argv: list[str], stdin_data: bytes | None) -> tuple[int, str]:
    """(nerdctl's exit code, what it printed). SIGINT/SIGTERM/SIGHUP propagate to the caller as exceptions; the
    CLI then ends nerdctl (it is tracked) and exits 128 + the signal."""
    exe = host.which(argv[0]) or argv[0]
    captured: list[bytes] = []
    size = [0]
    lock = threading.Lock()
    try:
        proc = subprocess.Popen([exe, *argv[1:]], stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=host.env, start_new_session=True)
    except OSError as exc:
        sys.stderr.write(f"nerdctl-doctor: cannot run {exe}: {exc.strerror or exc}\n")
        return 127, ""
    procs.track(proc)

    def pump(src: IO[bytes], dst: Any) -> None:
        out = getattr(dst, "buffer", dst)
        alive = True
        while True:
            chunk = src.read1(65536) if hasattr(src, "read1") else src.read(65536)
            if not chunk:
                break
            if alive:
                try:
                    out.write(chunk)
                    out.flush()
                except (BrokenPipeError, ValueError, OSError):
                    alive = False  # the reader went away: keep draining, so nerdctl never blocks
            with lock:
                if size[0] < CAPTURE_LIMIT:
                    captured.append(chunk)
                    size[0] += len(chunk)

    assert proc.stdout is not None and proc.stderr is not None
    threads = [threading.Thread(target=pump, args=(proc.stdout, sys.stdout), daemon=True),
               threading.Thread(target=pump, args=(proc.stderr, sys.stderr), daemon=True)]
    for t in threads:
        t.start()
    try:
        if stdin_data is not None and proc.stdin is not None:
            try:
                proc.stdin.write(stdin_data)
                proc.stdin.close()
            except BrokenPipeError:
                pass
        code = proc.wait()
        for t in threads:
            t.join()
    finally:
        procs.untrack(proc) if proc.poll() is not None else None
    return code, b"".join(captured).decode("utf-8", "replace")
