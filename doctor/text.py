"""The plain text report (SPEC section 8): the next steps first, then every check grouped by category, checks
skipped because of another folded under it (unless -v), evidence as aligned `key: value` lines with -v."""
from __future__ import annotations

import sys

from .constants import STATUS_SYMBOLS, VERSION
from .evidence import clean, evidence_lines, system_label
from .model import Check, CheckRun, Status

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from typing import Any, IO, Sequence
    from .events import RunEvent
    from .diagnosis import Diagnosis
    from .host import Host

COLOURS = {Status.OK: "32", Status.WARN: "33", Status.FAIL: "31", Status.SKIP: "2", Status.ERROR: "35"}
PAD = "        "


class TextReport:
    def __init__(self, host: "Host", checks: Sequence[Check], out: IO[str] | None = None, verbose: bool = False,
                 strict: bool = False, colour: bool | None = None) -> None:
        self.host = host
        self.checks = list(checks)
        self.out = out or sys.stdout
        self.verbose = verbose
        self.strict = strict
        self.colour = _isatty(self.out) if colour is None else colour
        enc = (getattr(self.out, "encoding", None) or "ascii").lower().replace("-", "")
        self.unicode = enc.startswith("utf")

    def _w(self, s: str = "") -> None:
        if not self.unicode:
            s = s.replace("·", "-").replace("—", "-").replace("…", "...").replace("→", "->")
            s = s.encode("ascii", "replace").decode("ascii")
        self.out.write(s + "\n")

    def header(self) -> None:
        h = self.host.describe()
        fe = f" ({h['frontend']})" if h.get("frontend") else ""
        line = (f"nerdctl-doctor {VERSION} · {system_label(h)} · {h['mode']}{fe} · "
                f"namespace {h['namespace']}" + (f" · root {h['root']}" if h["root"] != "/" else ""))
        self._w(line)
        self.out.flush()

    def __call__(self, ev: RunEvent) -> None:
        """Results are shown together once the run ends: the next steps lead, and they need every result."""

    def sym(self, st: Status) -> str:
        s = f"[{STATUS_SYMBOLS[st.value][0 if self.unicode else 1]}]"
        return f"\x1b[{COLOURS[st]}m{s}\x1b[0m" if self.colour else s

    def footer(self, diag: "Diagnosis") -> None:
        runs = diag.runs
        steps = diag.next_steps
        if steps:
            self._w("")
            self._w("Next steps, in this order:")
            for i, s in enumerate(steps, 1):
                also = f"  (also explains {', '.join(s.explains)})" if s.explains else ""
                self._w(f"  {i}. [{s.check}] {clean(s.text)}{also}")
        folded: dict[str, list[str]] = {}
        if not self.verbose:
            causes = {r.check.id: _skipped_because(r) for r in runs}
            for r in runs:
                cause = causes[r.check.id]
                hops = 0
                while cause and causes.get(cause) and hops < len(runs):  # fold under the first visible cause
                    cause, hops = causes[cause], hops + 1
                if cause:
                    folded.setdefault(cause, []).append(r.check.id)
        hidden = {cid for ids in folded.values() for cid in ids}
        category = None
        for r in runs:
            if r.check.id in hidden:
                continue
            if r.check.category != category:
                category = r.check.category
                self._w("")
                self._w(category)
            self._line(r, folded.get(r.check.id, []))
        counts = diag.counts()
        flagged = [r for r in runs if r.result.status in (Status.FAIL, Status.ERROR)
                   or (self.strict and r.result.status == Status.WARN)]
        self._w("")
        self._w("Summary: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
        if flagged:
            what = "fail/error/warn (--strict)" if self.strict else "fail/error"
            hint = "" if self.verbose else "; -v shows the evidence"
            self._w(f"{len(flagged)} check(s) with {what}: start with the next steps above{hint}.")
        self.out.flush()

    def _line(self, run: CheckRun, folded: list[str]) -> None:
        c, r = run.check, run.result
        self._w(f"  {self.sym(r.status)} {clean(c.id)}: {clean(r.summary)}")
        if r.status not in (Status.OK, Status.SKIP):
            for f in r.fixes:
                priv = " [privileged]" if f.privileged else ""
                kind = "advice" if f.advice_only else "fix"
                self._w(f"{PAD}{kind}: nerdctl-doctor fix {clean(f.id)} — {clean(f.title)}{priv}")
            if r.action and not r.fixes:
                self._w(f"{PAD}do: {clean(r.action)}")
        if folded:
            self._w(f"{PAD}(skipped because of this: {', '.join(folded)})")
        if self.verbose:
            if r.details:
                for ln in r.details.rstrip().splitlines():
                    self._w(f"{PAD}{clean(ln)}")
            if r.evidence:
                for ln in evidence_lines(r.evidence):
                    self._w(f"{PAD}{ln}")


def _skipped_because(run: CheckRun) -> str | None:
    if run.result.status != Status.SKIP:
        return None
    pre = run.result.evidence.get("prerequisites") if isinstance(run.result.evidence, dict) else None
    if isinstance(pre, dict) and pre:
        return next(iter(pre))
    return None


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
