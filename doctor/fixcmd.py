"""`nerdctl-doctor fix FIX_ID [--yes] [--dry-run] [--json]` and `fix --undo [--yes]` (SPEC sections 1 and 5)."""
from __future__ import annotations

import argparse
import json
import sys

from .cli import EXIT_USAGE, UsageError, add_common, make_host, selected_checks


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nerdctl-doctor fix",
                                description="Diagnose, then apply a fix the diagnosis offers (with consent).")
    p.add_argument("fix_id", nargs="?", metavar="FIX_ID")
    p.add_argument("--yes", "-y", action="store_true", help="consent without asking (needed off a terminal)")
    p.add_argument("--dry-run", action="store_true", help="print every step, change nothing")
    p.add_argument("--json", action="store_true", help="print the fix document (schema nerdctl-doctor/1)")
    p.add_argument("--undo", action="store_true", help="restore the files the last applied fix edited")
    p.add_argument("--force", action="store_true", help="with --undo: restore even files changed since")
    add_common(p)
    return p


def ask(question: str) -> bool:
    try:
        sys.stderr.write(question + " [y/N] ")
        sys.stderr.flush()
        ans = sys.stdin.readline()
    except (OSError, EOFError):
        return False
    return ans.strip().lower() in ("y", "yes")


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def cmd_fix(argv) -> int:
    args = parser().parse_args(argv)
    host = make_host(args)
    if args.undo:
        return cmd_undo(host, args)
    if not args.fix_id:
        raise UsageError("fix needs a FIX_ID (or --undo); `nerdctl-doctor --plain` lists the fixes on offer")
    from .model import Status
    from .runner import RunFinished, run_checks

    all_checks, checks = selected_checks(args)
    runs = []
    for ev in run_checks(checks, host):
        if isinstance(ev, RunFinished):
            runs = ev.runs
    offered = {}
    for r in runs:
        for f in r.result.fixes:
            if r.result.status != Status.OK:
                offered.setdefault(f.id, (f, r.check.id))
    if args.fix_id not in offered:
        names = ", ".join(sorted(offered)) or "none"
        print(f"nerdctl-doctor: fix {args.fix_id} is not offered by the current diagnosis; offered: {names}",
              file=sys.stderr)
        return EXIT_USAGE
    fix, offering = offered[args.fix_id]
    from .fixes.render import describe_fix

    lines = describe_fix(host, fix)
    if args.dry_run:
        if args.json:
            from .report import SCHEMA

            dump({"schema": SCHEMA, "fix": fix.to_json(host), "applied": False, "steps": [], "recheck": [],
                  "exit_code": 0})
        else:
            print("\n".join(lines))
            print("(dry run: nothing was changed)")
        return 0
    if not args.yes:
        if args.json or not interactive():
            print(f"nerdctl-doctor: refusing to apply {fix.id} without consent: run again with --yes "
                  "(or on a terminal to be asked)", file=sys.stderr)
            return EXIT_USAGE
        print("\n".join(lines))
        if not ask(f"Apply {fix.id}?"):
            print("nerdctl-doctor: not applied", file=sys.stderr)
            return EXIT_USAGE
    from .fixes.apply import apply_fix

    out = sys.stderr if args.json else sys.stdout

    def on_event(ev) -> None:
        kind = ev[0]
        if kind == "step-start":
            from .fixes.render import describe_step

            out.write(describe_step(host, ev[2], ev[1])[0] + "\n")
        elif kind == "output":
            out.write("    " + ev[2] + "\n")
        elif kind == "step-done" and ev[2].exit_code not in (0, None):
            out.write(f"    (exit {ev[2].exit_code})\n")
        out.flush()

    res = apply_fix(host, fix, all_checks, offering, on_event)
    if args.json:
        from .report import SCHEMA

        dump({"schema": SCHEMA, "fix": fix.to_json(host), "applied": res.applied,
              "steps": [s.to_json(host) for s in res.steps], "recheck": [r.to_json(host) for r in res.recheck],
              "exit_code": res.exit_code})
        return res.exit_code
    if not res.applied:
        print(f"nerdctl-doctor: {fix.id} stopped: {res.message}")
        return res.exit_code
    for r in res.recheck:
        print(f"  re-check {r.check.id}: {r.result.status.value} — {r.result.summary}")
    print(f"{fix.id}: " + ("the problem is gone" if res.resolved else "applied, but the problem remains"))
    return res.exit_code


def dump(doc: dict) -> None:
    from .model import jsonable

    json.dump(jsonable(doc), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def cmd_undo(host, args) -> int:
    from .fixes.apply import read_journal, undo

    doc = read_journal(host)
    if doc is None:
        print("nerdctl-doctor: there is no applied fix to undo", file=sys.stderr)
        return EXIT_USAGE
    plan = [f"restore {e['path']} from {e['backup']}" if e.get("backup") else f"remove {e['path']} (created by "
            "the fix)" for e in doc["edits"]]
    if not args.yes:
        if not interactive():
            print("nerdctl-doctor: refusing to undo without consent: run again with --yes", file=sys.stderr)
            return EXIT_USAGE
        print(f"Undo {doc.get('fix')} ({doc.get('time')}):\n  " + "\n  ".join(plan))
        if not ask("Restore?"):
            return EXIT_USAGE
    ok, msgs = undo(host, force=args.force)
    for m in msgs:
        print(("" if ok else "nerdctl-doctor: ") + m, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1
