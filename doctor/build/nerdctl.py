"""Running nerdctl for the build through the one runner: no shell, no time limit (a build takes what it takes),
its output streamed through unchanged as it comes, a bounded copy kept to recognise known failures."""
from __future__ import annotations

import sys
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from ..host import procs

if TYPE_CHECKING:
    from ..host import Host

CAPTURE_LIMIT = 4 << 20


class _PassThrough:
    """nerdctl's stdout to ours and its stderr to ours, byte for byte; a reader that went away is ignored (the
    build keeps draining, so nerdctl never blocks)."""

    def __init__(self) -> None:
        self.alive = {1: True, 2: True}

    def __call__(self, stream: int, chunk: bytes) -> None:
        if not self.alive[stream]:
            return
        dst = sys.stdout if stream == 1 else sys.stderr
        try:
            out = getattr(dst, "buffer", None)
            if out is not None:
                out.write(chunk)
            else:
                dst.write(chunk.decode("utf-8", "replace"))
            dst.flush()
        except (BrokenPipeError, ValueError, OSError):
            self.alive[stream] = False


def run(host: "Host", argv: list[str], stdin_data: bytes | None) -> tuple[int, str]:
    """(nerdctl's exit code, what it printed). SIGINT/SIGTERM/SIGHUP propagate to the caller as exceptions; the
    runner ends nerdctl first and the CLI exits 128 + the signal."""
    exe = host.which(argv[0]) or argv[0]
    if host.windows:
        exe = host.resolve(exe)
    out = procs.run(exe, argv, host.env, None, stdin_data, on_output=_PassThrough(), keep=CAPTURE_LIMIT)
    if out.kind != "exited":
        sys.stderr.write(f"nerdctl-doctor: cannot run {exe}: {out.detail or out.kind}\n")
        return 127, ""
    return int(out.exit_code or 0), (out.stdout + out.stderr)
