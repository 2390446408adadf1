"""The interactive Textual app. It renders the same engine events as the text and JSON reports: checks grouped by
category fill in live as the runner reports them; the detail pane shows the selected check's summary, details,
evidence and fixes; `f` asks for consent with the exact steps on screen, runs them through the one applier with
live output, then shows the re-checked results."""
from __future__ import annotations

import datetime
import json
import os
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Static, Tree

from ..constants import VERSION
from ..diagnosis import Diagnosis, NextStep, exit_code_for, next_steps, offered
from ..events import CheckFinished, CheckStarted, RunFinished
from ..evidence import system_label
from ..model import CheckRun, Status
from ..runner import run_checks
from .render import SPINNER, STYLE, SYMBOL, category_text, detail_text, next_steps_text, status_label
from .screens import ConfirmFix, HelpScreen, RunFix


class ChecksTree(Tree[str], inherit_bindings=False):
    """The checks tree, without Tree's own `enter` binding: Enter is the app's (details, or fold a category), so
    the footer shows the same keys in the same order wherever the focus is."""

    BINDINGS = [b for b in Tree.BINDINGS if getattr(b, "key", "") != "enter"]


class DoctorApp(App[int]):
    TITLE = "nerdctl-doctor"
    CSS_PATH = "tui.tcss"
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
        parts = [f"nerdctl-doctor {VERSION}", system_label(h), mode, f"namespace {h['namespace']}"]
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
        from ..documents import report_document

        runs = [self.runs[c.id] for c in self.checks if c.id in self.runs]
        doc = report_document(Diagnosis(self.host, runs, self.strict))
        name = f"nerdctl-doctor-report-{datetime.datetime.now():%Y%m%d-%H%M%S}.json"
        path = os.path.abspath(name)
        try:
            from ..fileops import atomic_write

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
