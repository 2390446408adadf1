"""The interactive Textual TUI. Textual is imported here and only here.

It renders the same engine events as the text and JSON reports: checks grouped by category fill in live as the
runner reports them; the detail pane shows the selected check's summary, details, evidence and fixes; `f` asks
for consent with the exact steps on screen, runs them through the one applier with live output, then shows the
re-checked results.
"""
from __future__ import annotations

import datetime
import json
import os
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, RichLog, Static, Tree

from .constants import VERSION
from .diagnosis import Diagnosis, NextStep, exit_code_for, next_steps, offered
from .events import CheckFinished, CheckStarted, Rechecked, RunFinished, StepOutput, StepStarted
from .model import CheckRun, Status, jsonable
from .runner import run_checks

SYMBOL = {Status.OK: "✓", Status.WARN: "!", Status.FAIL: "✗", Status.SKIP: "-", Status.ERROR: "?"}
STYLE = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "bold red", Status.SKIP: "dim", Status.ERROR: "magenta"}
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

CSS = """
Screen { layout: vertical; }
#hostline { height: 1; background: $primary-background; color: $text; padding: 0 1; }
#nextsteps { height: auto; max-height: 7; padding: 0 1; border-bottom: solid $warning; text-wrap: nowrap;
             text-overflow: ellipsis; }
#main { height: 1fr; }
#checks { width: 46%; min-width: 34; border: round $primary; overflow-x: hidden; }
#detail-scroll { width: 1fr; border: round $secondary; }
#detail { padding: 0 1; }
#summary { height: 1; padding: 0 1; }
ConfirmFix, RunFix, HelpScreen { align: center top; }
#dialog { width: 90%; height: auto; max-height: 80%; margin-top: 1; border: thick $warning; background: $surface;
          padding: 0 1; }
#dialog-title { height: auto; text-style: bold; }
#steps-scroll { height: auto; max-height: 24; }
#buttons { height: 3; align: center middle; }
#buttons Button { margin: 0 2; }
#runlog { height: 14; border: round $primary; }
#outcome { height: auto; }
"""


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
    t.append(r.summary + "\n")
    if r.details:
        t.append("\n" + r.details.rstrip() + "\n")
    if r.fixes and r.status != Status.OK:
        acting = any(not f.advice_only for f in r.fixes)
        t.append("\nFixes (press f):\n" if acting else "\nWhat to do (advice; press f to read it):\n", style="bold")
        from .fixes.render import describe_fix

        for f in r.fixes:
            for i, line in enumerate(describe_fix(host, f)):
                t.append(("  " if i else "• ") + line + "\n", style="bold" if i == 0 else "")
    if r.action and not r.fixes:
        t.append("\nWhat to do: ", style="bold")
        t.append(r.action + "\n")
    if r.evidence:
        t.append("\nEvidence:\n", style="bold")
        t.append("\n".join(evidence_lines(jsonable(r.evidence))) + "\n", style="dim")
    return t


def _scalar(v) -> str:
    return json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v


def evidence_lines(value, indent: int = 0) -> list[str]:
    """Evidence as readable lines: scalars inline, mappings nested, lists of records one line each."""
    pad = "  " * indent
    out: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                out.append(f"{pad}{k}:")
                out += evidence_lines(v, indent + 1)
            else:
                out.append(f"{pad}{k}: {_scalar(v) if not isinstance(v, (dict, list)) else json.dumps(v)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                flat = all(not isinstance(x, (dict, list)) for x in item.values())
                if flat:
                    out.append(f"{pad}- " + ", ".join(f"{k}={_scalar(v)}" for k, v in item.items()))
                else:
                    sub = evidence_lines(item, indent + 1)
                    out.append(f"{pad}- " + sub[0].strip() if sub else f"{pad}-")
                    out += sub[1:]
            else:
                out.append(f"{pad}- {_scalar(item) if not isinstance(item, list) else json.dumps(item)}")
    else:
        out.append(pad + _scalar(value))
    return out


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        text = ("nerdctl-doctor: what stands between Tilt, nerdctl build, BuildKit and your cluster.\n\n"
                "↑/↓ or j/k   move between checks\n"
                "enter        show the selected check's details\n"
                "f            fix: shows the exact steps and asks before changing anything\n"
                "r            re-run every check\n"
                "e            export the JSON report (same as --json) to a file\n"
                "?            this help\n"
                "q            quit (the exit code is the one --json would give)\n\n"
                "Statuses: ✓ ok · ! warn (works, with a pitfall) · ✗ fail (a Tilt build will fail) · "
                "- skip · ? error (the check could not finish)")
        with Vertical(id="dialog"):
            yield Static("Help", id="dialog-title")
            yield Static(text)
            with Horizontal(id="buttons"):
                yield Button("Close", id="close")

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)


class ConfirmFix(ModalScreen[bool]):
    """Consent: the exact steps (argv, env, diffs, privileged marked) before anything changes."""

    BINDINGS = [Binding("y", "apply", "Apply"), Binding("n,escape", "cancel", "Cancel")]

    def __init__(self, host, fix) -> None:
        super().__init__()
        self.host = host
        self.fix = fix

    def compose(self) -> ComposeResult:
        from .fixes.render import describe_fix

        lines = describe_fix(self.host, self.fix)
        body = Text()
        for i, line in enumerate(lines[1:]):
            style = "bold yellow" if "[privileged]" in line else ""
            if line.lstrip().startswith("+") and not line.lstrip().startswith("+++"):
                style = "green"
            elif line.lstrip().startswith("-") and not line.lstrip().startswith("---"):
                style = "red"
            body.append(line + "\n", style=style)
        advice = self.fix.advice_only
        with Vertical(id="dialog"):
            if advice:
                yield Static(Text(f"What to do: {self.fix.title}", style="bold"), id="dialog-title")
                yield Static(Text("Only you can do this; nerdctl-doctor changes nothing.", style="dim"))
            else:
                yield Static(Text(f"Apply fix {lines[0]}?", style="bold"), id="dialog-title")
                yield Static(Text("Nothing changes until you press Apply. Privileged steps run through sudo when "
                                  "you are not root.", style="dim"))
            with VerticalScroll(id="steps-scroll"):
                yield Static(body, id="steps")
            with Horizontal(id="buttons"):
                if not advice:
                    yield Button("Apply (y)", id="apply", variant="warning")
                yield Button("Cancel (n)" if not advice else "Close (esc)", id="cancel", variant="primary")

    def action_apply(self) -> None:
        if self.fix.advice_only:
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#apply")
    def _apply(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(False)


class RunFix(ModalScreen[Any]):
    """Runs the fix with live output, then shows the re-checked results."""

    BINDINGS = [Binding("escape,enter,q", "close", "Close")]

    def __init__(self, host, fix, all_checks, offering) -> None:
        super().__init__()
        self.host, self.fix, self.all_checks, self.offering = host, fix, all_checks, offering
        self.result = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(f"Applying {self.fix.id}: {self.fix.title}", style="bold"), id="dialog-title")
            yield RichLog(id="runlog", wrap=True, markup=False, highlight=False, min_width=20)
            yield Static("", id="outcome")
            with Horizontal(id="buttons"):
                yield Button("Close", id="close", disabled=True)

    def on_mount(self) -> None:
        self.apply()

    @work(thread=True, exclusive=True)
    def apply(self) -> None:
        from .fixes.apply import apply_fix
        from .fixes.render import describe_step

        def on_event(ev) -> None:
            if isinstance(ev, StepStarted):
                self.app.call_from_thread(self._log, describe_step(self.host, ev.step, ev.index)[0])
            elif isinstance(ev, StepOutput):
                self.app.call_from_thread(self._log, "    " + ev.line)
            elif isinstance(ev, Rechecked):
                r = ev.run
                self.app.call_from_thread(self._log, f"re-check {r.check.id}: {r.result.status.value} — "
                                                     f"{r.result.summary}")

        res = apply_fix(self.host, self.fix, self.all_checks, self.offering, on_event)
        self.app.call_from_thread(self._finish, res)

    def _log(self, line: str) -> None:
        self.query_one(RichLog).write(Text(line))

    def _finish(self, res) -> None:
        self.result = res
        if not res.applied:
            msg = Text(f"✗ stopped: {res.message}", style="bold red")
        elif res.resolved:
            msg = Text("✓ applied: the problem is gone", style="bold green")
        else:
            msg = Text("! applied, but the problem is not gone yet (see the re-checks above)", style="bold yellow")
        for item in res.remaining:
            msg.append(f"\nLeft for you: {item}", style="yellow")
        self.query_one("#outcome", Static).update(msg)
        btn = self.query_one("#close", Button)
        btn.disabled = False
        btn.focus()

    def action_close(self) -> None:
        if self.result is not None:
            self.dismiss(self.result)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.action_close()


class ChecksTree(Tree[str], inherit_bindings=False):
    """The checks tree, without Tree's own `enter` binding: Enter is the app's (details, or fold a category), so
    the footer shows the same keys in the same order wherever the focus is."""

    BINDINGS = [b for b in Tree.BINDINGS if getattr(b, "key", "") != "enter"]


class DoctorApp(App[int]):
    TITLE = "nerdctl-doctor"
    CSS = CSS
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("j", "cursor_down", "Move", key_display="↑↓ j/k"),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("enter", "details", "Details"),
        Binding("f", "fix", "Fix"),
        Binding("r", "rerun", "Re-run"),
        Binding("e", "export", "Export"),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit_app", "Quit"),
        Binding("ctrl+c", "interrupt", "Quit", show=False, priority=True),
    ]

    def __init__(self, host, checks, strict: bool = False, all_checks=None, spinner: bool = True) -> None:
        super().__init__()
        self.host = host
        self.checks = list(checks)
        self.all_checks = list(all_checks or checks)
        self.strict = strict
        self.spinner = spinner  # (not `animate`: that is App.animate)
        self.runs: dict[str, CheckRun] = {}
        self.nodes: dict[str, Any] = {}
        self.running = False
        self.frame = 0
        self.generation = 0

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Static(self.host_line(), id="hostline")
        yield Static(next_steps_text(None, True), id="nextsteps")
        with Horizontal(id="main"):
            tree: Tree = ChecksTree("checks", id="checks")
            tree.show_root = False
            tree.guide_depth = 2
            yield tree
            with VerticalScroll(id="detail-scroll"):
                yield Static("", id="detail")
        yield Static("", id="summary")
        yield Footer()

    def on_mount(self) -> None:
        tree = self.query_one(Tree)
        cats: dict[str, Any] = {}
        for c in self.checks:
            if c.category not in cats:
                cats[c.category] = tree.root.add(Text(c.category, style="bold"), data=f"category:{c.category}",
                                                 expand=True)
            self.nodes[c.id] = cats[c.category].add_leaf(status_label(None, c), data=c.id)
        self.categories = cats
        tree.focus()
        self.call_after_refresh(self._first_cursor)
        if self.spinner:
            self.set_interval(0.1, self.spin)
        self.start_run()

    def _first_cursor(self) -> None:
        first = next(iter(self.nodes.values()), None)
        if first is not None:
            self.query_one(Tree).move_cursor(first)
        self.show_detail()

    # ------------------------------------------------------------------ header and summary
    def host_line(self) -> Text:
        h = self.host.describe()
        mode = h["mode"] + (f" ({h['frontend']})" if h.get("frontend") else "")
        parts = [f"nerdctl-doctor {VERSION}", f"{h['platform']} {h['distro']}", mode, f"namespace {h['namespace']}"]
        n = self.runs.get("nerdctl.installed")
        parts.append("nerdctl " + (n.result.evidence.get("path", "missing") if n else "…"))
        b = self.runs.get("buildkit.host")
        if b:
            parts.append("BuildKit " + (b.result.evidence.get("selected") or "none"))
        else:
            parts.append("BuildKit …")
        if h["root"] != "/":
            parts.append(f"root {h['root']}")
        return Text(" · ".join(parts))

    def update_summary(self) -> None:
        counts = {s: 0 for s in Status}
        for r in self.runs.values():
            counts[r.result.status] += 1
        t = Text()
        if self.running:
            t.append(f"{SPINNER[self.frame % len(SPINNER)]} running {len(self.runs)}/{len(self.checks)} ",
                     style="cyan")
        for s in Status:
            t.append(f"{SYMBOL[s]} {counts[s]} {s.value}   ", style=STYLE[s])
        self.query_one("#summary", Static).update(t)

    def label_width(self) -> int | None:
        """Cells a check's label may take in the tree (guides and scrollbar aside)."""
        w = self.query_one(Tree).content_region.width
        return max(10, w - 5) if w else None

    def relabel(self) -> None:
        width = self.label_width()
        for c in self.checks:
            self.nodes[c.id].set_label(status_label(self.runs.get(c.id), c, self.frame, width))

    def on_resize(self, event) -> None:
        self.call_after_refresh(self.relabel)

    def spin(self) -> None:
        if not self.running:
            return
        self.frame += 1
        width = self.label_width()
        for c in self.checks:
            if c.id not in self.runs:
                self.nodes[c.id].set_label(status_label(None, c, self.frame, width))
        self.update_summary()

    # ------------------------------------------------------------------ running
    def start_run(self) -> None:
        self.generation += 1
        self.running = True
        self.runs = {}
        self.steps: list[NextStep] | None = None
        self.query_one("#nextsteps", Static).update(next_steps_text(None, True))
        for cat, node in self.categories.items():
            node.set_label(Text(cat, style="bold"))
            node.expand()
        for c in self.checks:
            self.nodes[c.id].set_label(status_label(None, c, 0, self.label_width()))
        self.update_summary()
        self.query_one("#hostline", Static).update(self.host_line())
        self.show_detail()
        self.run_engine(self.generation, self.host if self.generation == 1 else self.host.fresh())

    @work(thread=True, exclusive=True, group="engine")
    def run_engine(self, generation: int, host) -> None:
        for ev in run_checks(self.checks, host):
            self.call_from_thread(self.on_engine_event, generation, ev)

    def on_engine_event(self, generation: int, ev) -> None:
        if generation != self.generation:
            return
        if isinstance(ev, CheckFinished):
            self.record(ev.run)
        elif isinstance(ev, RunFinished):
            for r in ev.runs:
                if r.check.id not in self.runs:
                    self.record(r)
            self.running = False
            self.steps = next_steps(ev.runs)
            warns = [r.check.id for r in ev.runs if r.result.status == Status.WARN]
            self.query_one("#nextsteps", Static).update(next_steps_text(self.steps, False, warns))
            self.fold_categories()
            self.call_after_refresh(self.focus_first_step)
            self.update_summary()
            self.query_one("#hostline", Static).update(self.host_line())
        elif isinstance(ev, CheckStarted):
            pass

    def fold_categories(self) -> None:
        """Fold the categories with nothing to act on into one line each, so the problems stay in view."""
        for cat, node in self.categories.items():
            members = [c for c in self.checks if c.category == cat]
            sts = [self.runs[c.id].result.status for c in members if c.id in self.runs]
            if sts and all(st in (Status.OK, Status.SKIP) for st in sts):
                ok, skip = sts.count(Status.OK), sts.count(Status.SKIP)
                summary = ", ".join(x for x in (f"{ok} ok" if ok else "", f"{skip} skip" if skip else "") if x)
                style = STYLE[Status.OK] if ok else STYLE[Status.SKIP]
                node.set_label(Text.assemble((cat, "bold"), (f"  {SYMBOL[Status.OK] if ok else '-'} {summary}", style)))
                node.collapse()

    def focus_first_step(self) -> None:
        """Put the cursor where to start: the first next step's check, else the first row."""
        tree = self.query_one(Tree)
        target = self.nodes.get(self.steps[0].check) if self.steps else None
        if target is None:
            warn = next((c.id for c in self.checks if c.id in self.runs
                         and self.runs[c.id].result.status == Status.WARN), None)
            target = self.nodes.get(warn) if warn else None
        if target is None:
            target = next(iter(self.categories.values()), None)
        if target is not None:
            tree.move_cursor(target)
        self.show_detail()

    def record(self, run: CheckRun) -> None:
        self.runs[run.check.id] = run
        node = self.nodes.get(run.check.id)
        if node is not None:
            node.set_label(status_label(run, run.check, 0, self.label_width()))
        self.update_summary()
        if run.check.id in ("nerdctl.installed", "buildkit.host"):
            self.query_one("#hostline", Static).update(self.host_line())
        if run.check.id == self.selected_id():
            self.show_detail()

    # ------------------------------------------------------------------ selection and detail
    def selected_id(self) -> str | None:
        node = self.query_one(Tree).cursor_node
        return node.data if node is not None else None

    def show_detail(self) -> None:
        """The detail pane always shows the selected row: a check, or a category's checks."""
        cid = self.selected_id()
        detail = self.query_one("#detail", Static)
        if isinstance(cid, str) and cid.startswith("category:"):
            cat = cid.split(":", 1)[1]
            detail.update(category_text(cat, [c for c in self.checks if c.category == cat], self.runs))
            return
        by = {c.id: c for c in self.checks}
        if cid is None or cid not in by:
            return
        detail.update(detail_text(self.runs.get(cid), by[cid], self.host))

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event) -> None:
        self.show_detail()
        self.query_one("#detail-scroll").scroll_home(animate=False)

    @on(Tree.NodeSelected)
    def _selected(self, event) -> None:
        self.show_detail()

    def action_cursor_down(self) -> None:
        self.query_one(Tree).action_cursor_down()

    def action_cursor_up(self) -> None:
        self.query_one(Tree).action_cursor_up()

    def action_details(self) -> None:
        cid = self.selected_id()
        node = self.query_one(Tree).cursor_node
        if isinstance(cid, str) and cid.startswith("category:") and node is not None:
            node.toggle()
            return
        self.show_detail()
        self.query_one("#detail-scroll").focus()

    # ------------------------------------------------------------------ actions
    def action_rerun(self) -> None:
        self.start_run()

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_export(self) -> None:
        from .documents import report_document

        runs = [self.runs[c.id] for c in self.checks if c.id in self.runs]
        doc = report_document(Diagnosis(self.host, runs, self.strict))
        name = f"nerdctl-doctor-report-{datetime.datetime.now():%Y%m%d-%H%M%S}.json"
        path = os.path.abspath(name)
        try:
            from .fileops import atomic_write

            atomic_write(path, (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode())
        except OSError as exc:
            self.notify(f"cannot write {path}: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"report written to {path}")

    def action_fix(self) -> None:
        cid = self.selected_id()
        run = self.runs.get(cid) if cid else None
        offers = [f for f, _ in offered([run])] if run is not None else []  # the one rule, as `fix` and reports
        if not offers:
            self.notify("the selected check offers no fix", severity="warning")
            return
        fix = next((f for f in offers if not f.advice_only), offers[0])

        def confirmed(ok: bool | None) -> None:
            if fix.advice_only:
                return
            if ok:
                self.push_screen(RunFix(self.host, fix, self.all_checks, cid), self.after_fix)
            else:
                self.notify(f"{fix.id}: cancelled, nothing changed")

        self.push_screen(ConfirmFix(self.host, fix), confirmed)

    def after_fix(self, res) -> None:
        if res is None:
            return
        for r in res.recheck:
            if r.check.id in self.nodes:
                self.record(r)
        self.show_detail()

    def action_quit_app(self) -> None:
        self.exit(exit_code_for([r.result.status for r in self.runs.values()], self.strict))

    def action_interrupt(self) -> None:
        self.exit(130)

    def farewell(self) -> str:
        """What stays on the terminal after the TUI: a short summary and the next steps."""
        counts = {s.value: 0 for s in Status}
        for r in self.runs.values():
            counts[r.result.status.value] += 1
        lines = ["nerdctl-doctor: " + ", ".join(f"{n} {k}" for k, n in counts.items())
                 + ("" if len(self.runs) == len(self.checks) else f" (stopped after {len(self.runs)} of "
                                                                 f"{len(self.checks)} checks)")]
        steps = self.steps if self.steps is not None else next_steps(list(self.runs.values()))
        if steps:
            lines.append("Next steps, in this order:")
            lines += [f"  {i}. [{s.check}] {s.text}" for i, s in enumerate(steps, 1)]
        return "\n".join(lines)


def run_tui(host, checks, strict: bool = False, all_checks=None) -> int:
    import sys

    app = DoctorApp(host, checks, strict, all_checks)
    code = app.run()
    try:
        print(app.farewell(), file=sys.stdout)
    except Exception:  # noqa: BLE001 - the summary never turns an exit into a crash
        pass
    return int(code) if isinstance(code, int) else 130
