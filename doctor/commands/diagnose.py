"""`nerdctl-doctor [--json | --plain [-v]] [--list-checks]`: the diagnosis."""
from __future__ import annotations

import argparse
import os
import sys

from ..constants import VERSION
from ..options import EXIT_CODES_HELP, DocumentOut, add_common, help_formatter, make_host, selected_checks

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)
if TYPE_CHECKING:
    from typing import Sequence, TextIO

EXAMPLES = """commands:
  nerdctl-doctor fix FIX_ID       apply a fix the diagnosis offers (with consent; --dry-run shows it)
  nerdctl-doctor fix --undo       restore the files the last fix edited
  nerdctl-doctor build CONTEXT    the Tilt build backend (diagnoses, builds, verifies, loads)
  nerdctl-doctor tilt-extension   print the directory of this installation's Tilt extension

examples:
  nerdctl-doctor                           TUI on a terminal, the text report otherwise
  nerdctl-doctor --plain -v                the text report with evidence
  nerdctl-doctor --json > report.json      one JSON document for CI
  nerdctl-doctor --only buildkit,kube      some checks (prerequisites still run)
  nerdctl-doctor --root /mnt/img --mode rootful   diagnose a mounted system

"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nerdctl-doctor",
        description="Find and fix what stands between Tilt, `nerdctl build`, BuildKit, containerd and your "
                    "Kubernetes cluster.",
        epilog=EXAMPLES + EXIT_CODES_HELP, formatter_class=help_formatter)
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON document (schema nerdctl-doctor/1); "
                                                         "never prompts")
    out.add_argument("--plain", action="store_true", help="the text report even on a terminal")
    p.add_argument("-v", "--verbose", action="store_true", help="text report: show every check's evidence and "
                                                                 "the checks skipped because of another")
    p.add_argument("--no-color", action="store_true", help="text report: no colour even on a terminal (also when "
                                                            "NO_COLOR is set); Tilt's nerdctl_doctor() resource uses it")
    p.add_argument("--list-checks", action="store_true", help="list every registered check without running any "
                                                              "(with --json: as a JSON document)")
    p.add_argument("--version", action="version", version=f"nerdctl-doctor {VERSION}")
    add_common(p)
    return p


def run(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    if args.json:  # the document alone on stdout: whatever plugins print goes to stderr
        with DocumentOut() as out:
            return _run(args, out)
    return _run(args, sys.stdout)


def _run(args: argparse.Namespace, out: TextIO) -> int:
    if args.list_checks:
        return list_checks(args, out)
    host = make_host(args)
    all_checks, checks = selected_checks(args)
    if not args.json and not args.plain and sys.stdin.isatty() and sys.stdout.isatty():
        from ..tui import run_tui  # Textual is imported here and only here

        return run_tui(host, checks, strict=args.strict, all_checks=all_checks)
    from ..diagnosis import diagnose

    if args.json:
        def prepare(ev: object, done: list[bool] = []) -> None:
            """The document's modules (json among them) load while the first probes run, not after the last."""
            if not done:
                done.append(True)
                from .. import documents  # noqa: F401

        diag = diagnose(checks, host, strict=args.strict, on_event=prepare)
        from ..documents import dump_json, report_document

        dump_json(report_document(diag), out)
        return diag.exit_code
    from ..text import TextReport

    colour = False if (args.no_color or os.environ.get("NO_COLOR")) else None
    report = TextReport(host, checks, verbose=args.verbose, strict=args.strict, colour=colour)
    report.header()
    diag = diagnose(checks, host, strict=args.strict, on_event=report)
    report.footer(diag)
    return diag.exit_code


def list_checks(args: argparse.Namespace, out: TextIO) -> int:
    from ..registry import load_checks

    checks = load_checks(timeout=args.timeout)
    if args.json:
        from ..documents import dump_json, list_checks_document

        dump_json(list_checks_document(checks), out)
        return 0
    width = max((len(c.id) for c in checks), default=0)
    for c in checks:
        req = f"  (requires {', '.join(c.requires)})" if c.requires else ""
        src = f"  [{c.source}]" if c.source != "builtin" else ""
        print(f"{c.id:<{width}}  {c.title}{req}{src}")
    return 0
