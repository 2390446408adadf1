"""The command line (SPEC section 1). Small command functions with explicit exit codes; Textual is imported
only when the TUI really starts."""
from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Sequence

from . import __version__

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
SUBCOMMANDS = ("fix", "build", "tilt-extension")
# containerd's namespace rule (identifiers.Validate): labels of [A-Za-z0-9] joined by . _ -, at most 76 chars
NAMESPACE_RE = re.compile(r"^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$")


class UsageError(Exception):
    pass


def valid_namespace(ns: str) -> bool:
    return bool(NAMESPACE_RE.match(ns)) and len(ns) <= 76


def add_common(p: argparse.ArgumentParser) -> None:
    """Options shared by diagnosis, fix and build."""
    g = p.add_argument_group("diagnosis")
    g.add_argument("--namespace", metavar="NS", default=None,
                   help="target containerd namespace for images (default k8s.io; env NERDCTL_DOCTOR_NAMESPACE)")
    g.add_argument("--mode", choices=("auto", "rootful", "rootless", "vm"), default="auto",
                   help="how nerdctl reaches containerd (default auto)")
    g.add_argument("--root", metavar="DIR", default=None,
                   help="system root to diagnose (default /; env NERDCTL_DOCTOR_ROOT)")
    g.add_argument("--only", metavar="ID|CATEGORY", action="append", default=[], help="run only these (repeatable)")
    g.add_argument("--skip", metavar="ID|CATEGORY", action="append", default=[], help="do not run these (repeatable)")
    g.add_argument("--timeout", metavar="SECONDS", type=_positive_float, default=5.0,
                   help="bound for each probe (default 5)")
    g.add_argument("--strict", action="store_true", help="warnings count as failures for the exit code")


def _positive_float(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {s!r}") from None
    if not v > 0 or v != v or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds: {s!r}")
    return v


def make_host(args: argparse.Namespace, env: dict | None = None):
    """Build the Host from the shared options; a --root that does not exist is a usage error."""
    from .host import Host

    env = dict(os.environ if env is None else env)
    root = args.root or env.get("NERDCTL_DOCTOR_ROOT") or "/"
    if not os.path.isdir(root):
        raise UsageError(f"--root {root} does not exist or is not a directory")
    ns = args.namespace or env.get("NERDCTL_DOCTOR_NAMESPACE") or "k8s.io"
    if not valid_namespace(ns):
        raise UsageError(f"--namespace {ns!r} is not a valid containerd namespace")
    return Host(root=root, env=env, mode=args.mode, namespace=ns, timeout=args.timeout)


def selected_checks(args: argparse.Namespace):
    from .registry import load_checks
    from .runner import select, unknown_names

    checks = load_checks()
    unknown = unknown_names(checks, [*args.only, *args.skip])
    if unknown:
        raise UsageError("unknown check id or category: " + ", ".join(unknown)
                         + " (see `nerdctl-doctor --list-checks`)")
    return checks, select(checks, args.only, args.skip)


def diagnosis_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nerdctl-doctor",
        description="Find and fix what stands between Tilt, nerdctl build, BuildKit and your cluster.",
        epilog="commands: fix FIX_ID | fix --undo | build CONTEXT | tilt-extension  (each takes --help)",
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="one JSON document on stdout; never prompts")
    out.add_argument("--plain", action="store_true", help="the text report even on a terminal")
    p.add_argument("-v", "--verbose", action="store_true", help="with the text report: add evidence")
    p.add_argument("--list-checks", action="store_true", help="list every registered check without running any")
    p.add_argument("--version", action="version", version=f"nerdctl-doctor {__version__}")
    add_common(p)
    return p


def cmd_diagnose(argv: Sequence[str]) -> int:
    args = diagnosis_parser().parse_args(argv)
    if args.list_checks:
        return cmd_list_checks(args)
    host = make_host(args)
    all_checks, checks = selected_checks(args)
    if not args.json and not args.plain and sys.stdin.isatty() and sys.stdout.isatty():
        from .tui import run_tui  # Textual is imported here and only here

        return run_tui(host, checks, strict=args.strict, all_checks=all_checks)
    from .model import exit_code_for
    from .runner import RunFinished, run_checks

    if args.json:
        from .report import dump_json, json_document

        runs = []
        for ev in run_checks(checks, host):
            if isinstance(ev, RunFinished):
                runs = ev.runs
        doc = json_document(host, runs, args.strict)
        dump_json(doc, sys.stdout)
        return doc["exit_code"]
    from .report import TextReport

    report = TextReport(host, checks, verbose=args.verbose)
    report.header()
    runs = []
    for ev in run_checks(checks, host):
        report(ev)
        if isinstance(ev, RunFinished):
            runs = ev.runs
    return exit_code_for([r.result.status for r in runs], args.strict)


def cmd_list_checks(args: argparse.Namespace) -> int:
    from .registry import load_checks

    checks = load_checks()
    if args.json:
        from .report import SCHEMA, dump_json

        dump_json({"schema": SCHEMA, "checks": [
            {"id": c.id, "category": c.category, "title": c.title, "requires": list(c.requires), "source": c.source}
            for c in checks]}, sys.stdout)
        return EXIT_OK
    width = max((len(c.id) for c in checks), default=0)
    for c in checks:
        req = f"  (requires {', '.join(c.requires)})" if c.requires else ""
        src = f"  [{c.source}]" if c.source != "builtin" else ""
        print(f"{c.id:<{width}}  {c.title}{req}{src}")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "fix":
            from .fixcmd import cmd_fix

            code = cmd_fix(argv[1:])
        elif argv and argv[0] == "build":
            from .build import cmd_build

            code = cmd_build(argv[1:])
        elif argv and argv[0] == "tilt-extension":
            from .build import cmd_tilt_extension

            code = cmd_tilt_extension(argv[1:])
        else:
            code = cmd_diagnose(argv)
    except UsageError as exc:
        print(f"nerdctl-doctor: {exc}", file=sys.stderr)
        code = EXIT_USAGE
    except SystemExit as exc:  # argparse: --help exits 0, usage errors exit 2
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_USAGE)
    except KeyboardInterrupt:
        from .host import kill_children

        kill_children()
        print("nerdctl-doctor: interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        code = EXIT_OK
    except Exception as exc:  # the doctor's own bug: say so, exit 3, no traceback unless asked
        print(f"nerdctl-doctor: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("NERDCTL_DOCTOR_DEBUG"):
            import traceback

            traceback.print_exc()
        else:
            print("(set NERDCTL_DOCTOR_DEBUG=1 to see the traceback)", file=sys.stderr)
        code = EXIT_INTERNAL
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        pass
    return code


def entry() -> None:  # pragma: no cover
    sys.exit(main())
