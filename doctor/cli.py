"""The command line (SPEC section 1): dispatches to one module per command (doctor/commands/) and turns every
way a run can end into its exit code. Textual is imported only when the TUI really starts."""
from __future__ import annotations

import importlib
import os
import signal
import sys
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from .exitcodes import ExitCode, Interrupted, UsageError
from .options import PipeSafe

if TYPE_CHECKING:
    from typing import Any, Sequence

# subcommand -> module in .commands; anything else is the diagnosis (options only)
COMMANDS = {"fix": "fix", "build": "build", "tilt-extension": "tilt_extension"}


_ENDING: list[int] = []  # the signal that is ending this run, once one has arrived


def _on_signal(signum: int, frame: Any) -> None:
    """SIGINT raises KeyboardInterrupt, the others Interrupted; a signal that lands while the main thread starts a
    program waits until the program is tracked (host.procs.held), so that the ending reaches it. Once one has been
    raised the run is ending: a second Ctrl-C or SIGTERM is ignored, so that it cannot interrupt the ending itself
    (a program being ended, then forced, wherever the first one landed)."""
    procs = sys.modules.get(__package__ + ".host.procs")
    if procs is not None and procs.held(signum):
        return
    if _ENDING:
        return
    _ENDING.append(signum)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Interrupted(signum)


def _end_children() -> None:
    from .host.procs import end_children

    end_children(final=True)


def _usable_streams() -> None:
    """Standard streams a person or a service manager may have closed (cron, systemd units, `>&-`) become
    /dev/null; output that cannot be encoded (a non-UTF-8 HOME, an ASCII terminal) is escaped, never an error."""
    for name, mode in (("stdin", "r"), ("stdout", "w"), ("stderr", "w")):
        stream = getattr(sys, name)
        if stream is None:
            setattr(sys, name, open(os.devnull, mode, encoding="utf-8"))
        elif name != "stdin":
            try:
                stream.reconfigure(errors="backslashreplace")
            except (AttributeError, ValueError, OSError):
                pass


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    _usable_streams()
    out = PipeSafe(sys.stdout)
    sys.stdout = out  # a duck-typed text stream
    previous = {}
    from . import osapi

    for sig in (signal.SIGINT, *osapi.terminating_signals()):
        try:
            previous[sig] = signal.signal(sig, _on_signal)
        except (ValueError, OSError):  # not the main thread (tests calling main in-process)
            pass

    def ending() -> None:
        """While children are ended, another Ctrl-C or SIGTERM cannot interrupt the ending itself."""
        for sig in (*previous, signal.SIGINT):
            try:
                signal.signal(sig, signal.SIG_IGN)
            except (ValueError, OSError):
                pass
        _end_children()

    try:
        code = int(_dispatch(args))
    except UsageError as exc:
        print(f"nerdctl-doctor: {exc}", file=sys.stderr)
        code = ExitCode.USAGE
    except SystemExit as exc:  # argparse: --help exits 0, its usage errors exit 2
        code = exc.code if isinstance(exc.code, int) else (ExitCode.OK if exc.code is None else ExitCode.USAGE)
    except KeyboardInterrupt:
        ending()
        print("nerdctl-doctor: interrupted", file=sys.stderr)
        code = ExitCode.INTERRUPTED
    except Interrupted as exc:
        ending()
        print(f"nerdctl-doctor: ended by {signal.Signals(exc.signum).name}", file=sys.stderr)
        code = ExitCode.for_signal(exc.signum)
    except Exception as exc:  # the doctor's own bug: say so, exit 3, no traceback unless asked
        ending()
        print(f"nerdctl-doctor: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("NERDCTL_DOCTOR_DEBUG") == "1":
            import traceback

            traceback.print_exc()
        else:
            print("(set NERDCTL_DOCTOR_DEBUG=1 to see the traceback)", file=sys.stderr)
        code = ExitCode.INTERNAL
    finally:
        _ENDING.clear()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        procs = sys.modules.get(__package__ + ".host.procs")
        if procs is not None:
            procs.resume()  # a caller that goes on in this process (a test, an embedding) may start programs
        try:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        except (ValueError, OSError):
            pass
    out.flush()
    sys.stdout = out._s
    return int(code)


def _dispatch(args: list[str]) -> int:
    if args and not args[0].startswith("-"):
        name = args[0]
        if name not in COMMANDS:
            raise UsageError(f"unknown command {name!r}; the commands are: (none: diagnose), "
                             + ", ".join(COMMANDS) + " (see `nerdctl-doctor --help`)")
        module = importlib.import_module(f".commands.{COMMANDS[name]}", __package__)
        return int(module.run(args[1:]))
    from .commands import diagnose

    return int(diagnose.run(args))
