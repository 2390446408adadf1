"""The console script ``nerdctl-doctor``. Kept apart from cli.py so that a Ctrl-C while the doctor's own modules
are still loading ends the run like any other Ctrl-C (one line, exit 130), never with Python's traceback."""
import sys


def entry() -> None:  # pragma: no cover - the console script (tests run it as installed)
    try:
        from .cli import main

        code = main()
    except KeyboardInterrupt:  # before main installed its handlers, or after it restored them
        try:
            sys.stderr.write("nerdctl-doctor: interrupted\n")
        except (OSError, ValueError, AttributeError):
            pass
        code = 130  # ExitCode.INTERRUPTED, not imported: this module loads nothing before the try
    import signal

    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"):  # the run is over: a late signal must not turn the
        try:                                                  # exit into a traceback or a death by signal
            signal.signal(getattr(signal, name), signal.SIG_IGN)
        except (AttributeError, ValueError, OSError):
            pass
    sys.exit(code)
