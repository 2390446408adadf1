"""How the TUI draws things: status labels, the next-steps panel, a category's and a check's detail (evidence through
the one renderer the text report uses too)."""
from __future__ import annotations

from rich.text import Text

from ..constants import STATUS_SYMBOLS
from ..diagnosis import NextStep
from ..evidence import clean, evidence_lines
from ..model import CheckRun, Status

SYMBOL = {s: STATUS_SYMBOLS[s.value][0] for s in Status}
STYLE = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "bold red", Status.SKIP: "dim", Status.ERROR: "magenta"}


SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


def fit(text: Text, width: int | None) -> Text:
    """Cut a label to ``width`` cells, ending with an ellipsis when anything was cut."""
    if width is None or width <= 1 or text.cell_len <= width:
        return text
    out = text.copy()
    out.truncate(width - 1)
    out.append("…", style="dim")
    return out


def status_label(run: CheckRun | None, check, frame: int = 0, width: int | None = None) -> Text:
    name = check.id.split(".", 1)[1] if check.id.startswith(check.category + ".") else check.id
    if run is None:
        head = (f"{SPINNER[frame % len(SPINNER)]} ....  ", "cyan")
    else:
        st = run.result.status
        head = (f"{SYMBOL[st]} {st.value:<5} ", STYLE[st])
    return fit(Text.assemble(head, (name, "bold"), ("  " + check.title, "dim"), no_wrap=True), width)


def next_steps_text(steps: list[NextStep] | None, running: bool, warns: list[str] | None = None) -> Text:
    t = Text(no_wrap=True, overflow="ellipsis")  # one line per step: all of them stay in view
    if running and steps is None:
        t.append("Next steps: the checks are running…", style="dim")
        return t
    if not steps:
        t.append("✓ No check failed.", style="green")
        if warns:
            t.append(f" Pitfalls that will bite (warn): {', '.join(warns)}", style="yellow")
        return t
    t.append("Next steps, in this order:\n", style="bold")
    shown = steps if len(steps) <= 5 else steps[:4]
    for i, s in enumerate(shown, 1):
        t.append(f"{i}. ", style="bold")
        t.append(f"[{s.check}] ", style="yellow")
        t.append(s.text)
        if i < len(shown):
            t.append("\n")
    if len(shown) < len(steps):
        t.append(f"\n… and {len(steps) - len(shown)} more (select a failed check for its fix)", style="dim")
    return t


def category_text(category: str, checks, runs: dict) -> Text:
    t = Text()
    t.append(f"{category}\n\n", style="bold")
    for c in checks:
        r = runs.get(c.id)
        if r is None:
            t.append(f"  … {c.id}: running\n", style="cyan")
        else:
            st = r.result.status
            t.append(f"  {SYMBOL[st]} {c.id}: ", style=STYLE[st])
            t.append(r.result.summary + "\n")
    return t


def detail_text(run: CheckRun | None, check, host) -> Text:
    t = Text()
    t.append(f"{check.title}\n", style="bold")
    t.append(f"{check.id}  ·  category {check.category}", style="dim")
    if check.requires:
        t.append(f"  ·  requires {', '.join(check.requires)}", style="dim")
    t.append("\n\n")
    if run is None:
        t.append("running…\n", style="cyan")
        return t
    r = run.result
    t.append(f"{SYMBOL[r.status]} {r.status.value.upper()}  ", style=STYLE[r.status])
    t.append(clean(r.summary) + "\n")
    if r.details:
        t.append("\n" + clean(r.details.rstrip()) + "\n")
    if r.fixes and r.status != Status.OK:
        acting = any(not f.advice_only for f in r.fixes)
        t.append("\nFixes (press f):\n" if acting else "\nWhat to do (advice; press f to read it):\n", style="bold")
        from ..fixes.render import describe_fix

        for f in r.fixes:
            for i, line in enumerate(describe_fix(host, f)):
                t.append(("  " if i else "• ") + clean(line) + "\n", style="bold" if i == 0 else "")
    if r.action and not r.fixes:
        t.append("\nWhat to do: ", style="bold")
        t.append(clean(r.action) + "\n")
    if r.evidence:
        t.append("\nEvidence:\n", style="bold")
        t.append("\n".join(evidence_lines(r.evidence)) + "\n", style="dim")
    return t
