"""The TUI's dialogs: help, consent to a fix (the exact steps on screen), and a fix running with live output."""
from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, RichLog, Static

from ..events import Rechecked, StepOutput, StepStarted
from ..evidence import clean


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
        from ..fixes.render import describe_fix

        lines = describe_fix(self.host, self.fix)
        body = Text()
        for i, line in enumerate(lines[1:]):
            style = "bold yellow" if "[privileged]" in line else ""
            if line.lstrip().startswith("+") and not line.lstrip().startswith("+++"):
                style = "green"
            elif line.lstrip().startswith("-") and not line.lstrip().startswith("---"):
                style = "red"
            body.append(clean(line) + "\n", style=style)
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
        from ..fixes.apply import apply_fix
        from ..fixes.render import describe_step

        def on_event(ev) -> None:
            if isinstance(ev, StepStarted):
                self.app.call_from_thread(self._log, describe_step(self.host, ev.step, ev.index)[0])
            elif isinstance(ev, StepOutput):
                self.app.call_from_thread(self._log, "    " + clean(ev.line))
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
