"""Options shared by diagnosis, `fix` and `build` (SPEC section 1), and what they build: the Host and the
selected checks. Every command module imports from here; nothing here imports a command."""
from __future__ import annotations

import argparse
import math
import os
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from .constants import DEFAULT_NAMESPACE, FRONTENDS, MODES, PLATFORMS, valid_namespace
from .exitcodes import UsageError

if TYPE_CHECKING:
    from typing import Any, Mapping, Sequence, TextIO
    from .host.core import Host
    from .model import Check


EXIT_CODES_HELP = """exit codes:
  0    no fail or error (with --strict: no warn either)
  1    at least one fail or error
  2    usage error, a fix that is not offered, or a fix refused for lack of consent
  3    internal error of nerdctl-doctor (set NERDCTL_DOCTOR_DEBUG=1 for the traceback)
  130  interrupted (SIGTERM and SIGHUP: 128 + the signal)"""


def _timeout(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {s!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {s!r}")
    return min(v, 3600.0)  # a probe is never worth more than an hour; keeps deadlines representable


class PipeSafe:
    """stdout that survives a reader closing it early (`| head`): later writes are dropped, so the exit code
    stays the diagnosis's."""

    def __init__(self, stream: Any) -> None:
        self._s = stream
        self.closed_by_reader = False

    def _lost(self) -> None:
        self.closed_by_reader = True
        try:  # so that the interpreter's own flush at exit does not complain either
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, self._s.fileno())
            os.close(fd)
        except (OSError, ValueError, AttributeError):
            pass

    def write(self, s: str) -> int:
        if not self.closed_by_reader:
            try:
                return self._s.write(s)
            except BrokenPipeError:
                self._lost()
        return len(s)

    def flush(self) -> None:
        if not self.closed_by_reader:
            try:
                self._s.flush()
            except BrokenPipeError:
                self._lost()
            except ValueError:
                pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s, name)


class DocumentOut:
    """For --json: the document alone on stdout, whatever else writes there. Python's sys.stdout goes to stderr
    meanwhile, and so does file descriptor 1 itself (a plugin's os.write(1, ...), a child that inherits it); the
    document is written to a copy of the original descriptor. Where stdout is no real descriptor (a test capturing
    it), only sys.stdout is redirected."""

    def __enter__(self) -> "TextIO":
        import sys

        self.saved_stdout = sys.stdout
        self.fd: int | None = None
        try:
            fd = sys.stdout.fileno()
            sys.stdout.flush()
            self.fd, self.copy = fd, os.dup(fd)
            os.dup2(sys.stderr.fileno(), fd)
            self.file = os.fdopen(self.copy, "w", encoding="utf-8", errors="backslashreplace", closefd=True)
            self.out: TextIO = PipeSafe(self.file)  # type: ignore[assignment]  # a reader may close it early
        except (AttributeError, ValueError, OSError):  # io.UnsupportedOperation is both
            self.fd = None
            self.out = sys.stdout
        sys.stdout = sys.stderr
        return self.out

    def __exit__(self, *exc: object) -> None:
        import sys

        sys.stdout = self.saved_stdout
        if self.fd is not None:
            try:
                self.out.flush()
            except (OSError, ValueError):
                pass
            os.dup2(self.copy, self.fd)
            self.file.close()


def help_formatter(prog: str) -> argparse.HelpFormatter:
    """argparse's RawDescriptionHelpFormatter told the width, which it would otherwise ask shutil for on every
    add_argument (shutil pulls in bz2 and lzma: a third of an interpreter start on every command)."""
    try:
        columns = int(os.environ.get("COLUMNS") or os.get_terminal_size(2).columns)
    except (OSError, ValueError):
        columns = 80
    return argparse.RawDescriptionHelpFormatter(prog, width=max(columns - 2, 20))


class _Names(argparse.Action):
    """--only/--skip: repeatable, and comma-separated lists too."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        cur = list(getattr(namespace, self.dest) or [])
        cur += [v.strip() for v in str(values).split(",") if v.strip()]
        setattr(namespace, self.dest, cur)


def add_common(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("what to diagnose")
    g.add_argument("--namespace", metavar="NS", default=None,
                   help="target containerd namespace for images (default k8s.io, the one Kubernetes reads; "
                        "env NERDCTL_DOCTOR_NAMESPACE)")
    g.add_argument("--mode", choices=MODES, default="auto",
                   help="how nerdctl reaches containerd: rootful, rootless (RootlessKit), vm (a front-end's "
                        "wrapper runs nerdctl in a VM); auto decides from the nerdctl on PATH and your euid")
    g.add_argument("--frontend", choices=FRONTENDS, default="auto",
                   help="the VM front-end in vm mode (auto: from the wrapper on PATH)")
    g.add_argument("--root", metavar="DIR", default=None,
                   help="system root to diagnose: system paths, sockets and /proc are read under DIR "
                        "(default /; env NERDCTL_DOCTOR_ROOT)")
    g.add_argument("--only", metavar="ID|CATEGORY", action=_Names, default=[],
                   help="run only these checks (repeatable or comma-separated; prerequisites still run)")
    g.add_argument("--skip", metavar="ID|CATEGORY", action=_Names, default=[],
                   help="do not run these checks (repeatable or comma-separated)")
    g.add_argument("--timeout", metavar="SECONDS", type=_timeout, default=5.0,
                   help="bound for each probe (default 5)")
    g.add_argument("--strict", action="store_true", help="warnings count as failures for the exit code")


def make_host(args: argparse.Namespace, env: Mapping[str, str] | None = None,
              flags: Mapping[str, str | None] | None = None) -> "Host":
    """The Host the shared options describe. Only a --root that does not exist is a usage error."""
    from .frontends import decide
    from .host.core import Host

    environ = dict(os.environ if env is None else env)
    root = args.root or environ.get("NERDCTL_DOCTOR_ROOT") or "/"
    if not os.path.isdir(root):
        raise UsageError(f"--root {root}: no such directory")
    ns = args.namespace if args.namespace is not None else environ.get("NERDCTL_DOCTOR_NAMESPACE")
    if ns is None:
        ns = DEFAULT_NAMESPACE
    if not valid_namespace(ns):
        raise UsageError(f"--namespace {ns!r} is not a valid containerd namespace (letters and digits joined by "
                         ". _ -, at most 76 characters)")
    platform = environ.get("NERDCTL_DOCTOR_PLATFORM") or None
    if platform not in (None, *PLATFORMS):
        raise UsageError(f"NERDCTL_DOCTOR_PLATFORM={platform!r}: must be one of {', '.join(PLATFORMS)}")
    return Host(root=root, env=environ, mode=args.mode, namespace=ns, timeout=args.timeout,
                frontend=getattr(args, "frontend", "auto"), platform=platform, flags=flags, decide=decide)


def selected_checks(args: argparse.Namespace, timeout: float | None = None) -> tuple[list["Check"], list["Check"]]:
    """(every registered check, the ones --only/--skip select plus their prerequisites)."""
    from .registry import load_checks
    from .runner import select, unknown_names

    checks = load_checks(timeout=timeout if timeout is not None else args.timeout)
    unknown = unknown_names(checks, [*args.only, *args.skip])
    if unknown:
        raise UsageError("unknown check id or category: " + ", ".join(unknown)
                         + " (`nerdctl-doctor --list-checks` lists them)")
    return checks, select(checks, args.only, args.skip)


def names(values: Sequence[str]) -> list[str]:
    return [v for v in values if v]
