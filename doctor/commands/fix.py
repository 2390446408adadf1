"""`nerdctl-doctor fix FIX_ID [--yes] [--dry-run] [--json]` and `fix --undo [--yes]` (SPEC section 5)."""
from __future__ import annotations

import argparse
import sys

from ..constants import SCHEMA
from ..exitcodes import ExitCode, UsageError
from ..options import EXIT_CODES_HELP, add_common, help_formatter, make_host, selected_checks

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)
if TYPE_CHECKING:
    from typing import Any, Sequence

EPILOG = """The fixes on offer are the ones the diagnosis lists: run `nerdctl-doctor --plain` (each problem names
its `nerdctl-doctor fix ID`), or `nerdctl-doctor fix` with an id it does not offer to see the list.

examples:
  nerdctl-doctor fix buildkit.configure-containerd-worker --dry-run   show every step and diff, change nothing
  nerdctl-doctor fix rd.add-path                                      ask, then apply (on a terminal)
  nerdctl-doctor fix rd.add-path --yes                                apply without asking (scripts, CI)
  nerdctl-doctor fix --undo                                           restore what the last fix edited

"""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nerdctl-doctor fix",
                                description="Diagnose, then apply a fix the diagnosis offers, with consent: edits "
                                            "are atomic, backed up beside the file and undoable.",
                                epilog=EPILOG + EXIT_CODES_HELP, formatter_class=help_formatter)
    p.add_argument("fix_id", nargs="?", metavar="FIX_ID", help="the fix to apply, as the diagnosis names it")
    p.add_argument("--yes", "-y", action="store_true", help="consent without asking (needed off a terminal)")
    p.add_argument("--dry-run", action="store_true", help="print every step (diffs included), change nothing")
    p.add_argument("--json", action="store_true", help="print the fix document (schema nerdctl-doctor/1)")
    p.add_argument("--undo", action="store_true", help="restore the files the last applied fix edited")
    p.add_argument("--force", action="store_true", help="with --undo: restore even files changed since the fix")
    add_common(p)
    return p


def ask(question: str) -> bool:
    try:
        sys.stderr.write(question + " [y/N] ")
        sys.stderr.flush()
        ans = sys.stdin.readline()
    except (OSError, EOFError, ValueError):
        return False
    return ans.strip().lower() in ("y", "yes")


def interactive() -> bool:
    """Consent can be asked when stdin is a terminal (SPEC 5); the question goes to stderr."""
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def run(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    host = make_host(args)
    if args.undo:
        return undo(host, args)
    if not args.fix_id:
        raise UsageError("fix needs a FIX_ID (or --undo); `nerdctl-doctor --plain` lists the fixes on offer")
    from ..diagnosis import diagnose
    from ..documents import dump_json, fix_document
    from ..fixes.render import describe_fix, describe_step

    from ..evidence import Cleaned

    out: Any = sys.stdout
    if args.json:
        sys.stdout = sys.stderr  # nothing but the document on stdout, whatever a plugin prints
    else:
        out = Cleaned(out)  # diffs and a step's output show what files and tools hold, never as control sequences
    all_checks, checks = selected_checks(args)
    diag = diagnose(checks, host)
    offers = {f.id: (f, r) for f, r in diag.offered()}
    if args.fix_id not in offers:
        names = ", ".join(sorted(offers)) or "none"
        print(f"nerdctl-doctor: fix {args.fix_id} is not offered by the current diagnosis; offered: {names}",
              file=sys.stderr)
        return ExitCode.USAGE
    fix, offering = offers[args.fix_id]
    lines = describe_fix(host, fix)
    if args.dry_run or fix.advice_only:
        if args.json:
            dump_json(fix_document(host, fix, False, [], [], 0), out)
        else:
            print("\n".join(lines), file=out)
            print("(advice: nothing to apply)" if fix.advice_only else "(dry run: nothing was changed)", file=out)
        return ExitCode.OK
    if not args.yes:
        if args.json or not interactive():
            print(f"nerdctl-doctor: refusing to apply {fix.id} without consent: run again with --yes "
                  "(or on a terminal to be asked)", file=sys.stderr)
            return ExitCode.USAGE
        print("\n".join(lines), file=out)
        if not ask(f"Apply {fix.id}?"):
            print("nerdctl-doctor: not applied; nothing was changed", file=sys.stderr)
            return ExitCode.USAGE
        fresh = describe_fix(host, fix)  # the file may have changed while the question was open
        if fresh != lines:
            print("The files changed while you were asked; the steps are now:\n" + "\n".join(fresh), file=out)
            if not ask(f"Apply {fix.id} as shown now?"):
                print("nerdctl-doctor: not applied; nothing was changed", file=sys.stderr)
                return ExitCode.USAGE
    from ..events import StepDone, StepOutput, StepStarted
    from ..fixes.apply import apply_fix

    log = Cleaned(sys.stderr) if args.json else out

    def on_event(ev: Any) -> None:
        if isinstance(ev, StepStarted):
            log.write(describe_step(host, ev.step, ev.index)[0] + "\n")
        elif isinstance(ev, StepOutput):
            log.write("    " + ev.line + "\n")
        elif isinstance(ev, StepDone) and ev.report.exit_code not in (0, None):
            log.write(f"    (exit {ev.report.exit_code})\n")
        log.flush()

    # asked on a terminal without --yes: a step that wants its own consent (a restart) is asked for again
    res = apply_fix(host, fix, all_checks, offering.check.id, on_event,
                    confirm=None if args.yes else (lambda q: ask(q)))
    if args.json:
        dump_json(fix_document(host, fix, res.applied, res.steps, res.recheck, res.exit_code), out)
        return res.exit_code
    if not res.applied:
        print(f"nerdctl-doctor: {fix.id} stopped: {res.message}", file=out)
        return res.exit_code
    for r in res.recheck:
        print(f"  re-check {r.check.id}: {r.result.status.value} — {r.result.summary}", file=out)
    if res.resolved:
        print(f"{fix.id}: applied; the problem is gone.", file=out)
    else:
        print(f"{fix.id}: applied, but the problem is not gone yet.", file=out)
    if res.remaining:
        print("What is left for you to do:", file=out)
        for item in res.remaining:
            print(f"  - {item}", file=out)
    return res.exit_code


def undo(host: Any, args: argparse.Namespace) -> int:
    """`fix --undo`: the latest applied fix's edits restored (asked for on a terminal, --yes off one);
    `--dry-run` says what would be restored; `--json` prints {"schema", "undo": {...}, "exit_code"}."""
    from ..fixes.apply import read_journal, undo as restore
    from ..fixes.edits import EditError

    out = sys.stdout

    def done(code: int, fix: str | None, restored: bool, messages: list[str]) -> int:
        if args.json:
            from ..documents import dump_json

            dump_json({"schema": SCHEMA, "undo": {"fix": fix, "restored": restored, "dry_run": bool(args.dry_run),
                                                  "messages": messages}, "exit_code": int(code)}, out)
        else:
            for m in messages:
                print(("" if code == 0 else "nerdctl-doctor: ") + m, file=out if code == 0 else sys.stderr)
        return code

    try:
        doc = read_journal(host)
    except EditError as exc:
        return done(ExitCode.PROBLEMS, None, False, [str(exc)])
    if doc is None:
        return done(ExitCode.USAGE, None, False, ["there is no applied fix to undo"])
    plan = [f"restore {e['path']} to its value before the fix" if e.get("registry") else
            f"restore {e['path']} from {e['backup']}" if e.get("backup") else
            f"remove {e['path']} (created by the fix)" for e in doc["edits"]]
    if args.dry_run:
        ok, msgs = restore(host, force=args.force, dry_run=True)
        return done(ExitCode.OK if ok else ExitCode.PROBLEMS, doc.get("fix"), False,
                    msgs + ["(dry run: nothing was changed)"])
    if not args.yes:
        if args.json or not interactive():
            return done(ExitCode.USAGE, doc.get("fix"), False,
                        ["refusing to undo without consent: run again with --yes"])
        print(f"Undo {doc.get('fix')} ({doc.get('time')}):\n  " + "\n  ".join(plan), file=sys.stderr)
        if not ask("Restore?"):
            return done(ExitCode.USAGE, doc.get("fix"), False, ["not restored; nothing was changed"])
    try:
        ok, msgs = restore(host, force=args.force)
    except (EditError, OSError) as exc:
        return done(ExitCode.PROBLEMS, doc.get("fix"), False, [f"undo failed: {exc}"])
    return done(ExitCode.OK if ok else ExitCode.PROBLEMS, doc.get("fix"), ok, msgs)
