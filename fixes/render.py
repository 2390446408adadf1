"""Human rendering of fix steps, shared by `fix --dry-run`, the consent prompt and the TUI."""
from __future__ import annotations

import shlex

from ..model import AdviceStep, EditStep, Fix, RunStep
from .edits import EditError, render_diff

PRIV = "[privileged]"


def diff_for(host, step: EditStep) -> str:
    """The change an edit step makes to the file as it is now; a sentence when it cannot be computed."""
    try:
        return render_diff(host, step)
    except (EditError, KeyError, ValueError) as exc:
        return f"(cannot compute the change: {exc})\n"
    except Exception as exc:  # noqa: BLE001 - a diff is shown, never a crash
        return f"(cannot compute the change: {type(exc).__name__})\n"


def describe_step(host, step, index: int | None = None) -> list[str]:
    n = f"{index + 1}. " if index is not None else ""
    if isinstance(step, RunStep):
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in step.env.items())
        sudo = "sudo " if step.privileged and host.euid != 0 else ""
        cmd = " ".join(shlex.quote(a) for a in step.argv)
        mark = f" {PRIV}" if step.privileged else ""
        return [f"{n}run: {sudo}{env + ' ' if env else ''}{cmd}{mark}"]
    if isinstance(step, EditStep):
        mark = f" {PRIV}" if step.privileged else ""
        lines = [f"{n}edit: {host.show(step.path)}{mark}"]
        diff = diff_for(host, step)
        lines += ["   " + ln for ln in (diff or "(no change: already as wanted)\n").rstrip("\n").splitlines()]
        return lines
    if isinstance(step, AdviceStep):
        text = step.text.rstrip().splitlines() or [""]
        return [f"{n}advice: {text[0]}"] + ["   " + ln for ln in text[1:]]
    return [f"{n}{step!r}"]


def describe_fix(host, fix: Fix) -> list[str]:
    head = f"{fix.id}: {fix.title}" + (f" {PRIV}" if fix.privileged else "") + (
        " (advice: only you can act on it)" if fix.advice_only else "")
    out = [head]
    for i, s in enumerate(fix.steps):
        out += ["  " + ln for ln in describe_step(host, s, i)]
    return out
