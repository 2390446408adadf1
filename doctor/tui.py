"""The interactive Textual TUI (placeholder until its issue lands: falls back to the text report)."""
from __future__ import annotations


def run_tui(host, checks, strict: bool = False) -> int:
    from .model import exit_code_for
    from .report import TextReport
    from .runner import RunFinished, run_checks

    report = TextReport(host, checks)
    report.header()
    runs = []
    for ev in run_checks(checks, host):
        report(ev)
        if isinstance(ev, RunFinished):
            runs = ev.runs
    return exit_code_for([r.result.status for r in runs], strict)
