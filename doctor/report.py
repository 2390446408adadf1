"""Text and JSON reports. Both render the runner's events; neither imports a UI toolkit."""
from __future__ import annotations

import json
import sys
from typing import IO, Sequence

from . import __version__
from .model import STATUS_ORDER, CheckRun, Status, exit_code_for, jsonable
from .runner import CheckFinished, Event, RunFinished

SCHEMA = "nerdctl-doctor/1"

SYMBOLS = {
    Status.OK: ("✓", "[+]"),
    Status.WARN: ("!", "[!]"),
    Status.FAIL: ("✗", "[x]"),
    Status.SKIP: ("-", "[-]"),
    Status.ERROR: ("?", "[?]"),
}
COLOURS = {Status.OK: "32", Status.WARN: "33", Status.FAIL: "31", Status.SKIP: "2", Status.ERROR: "35"}


def summary_counts(runs: Sequence[CheckRun]) -> dict[str, int]:
    counts = {s.value: 0 for s in STATUS_ORDER}
    for r in runs:
        counts[r.result.status.value] += 1
    return counts


def json_document(host, runs: Sequence[CheckRun], strict: bool = False) -> dict:
    return {
        "schema": SCHEMA,
        "version": __version__,
        "host": host.describe(),
        "checks": [r.to_json(host) for r in runs],
        "summary": summary_counts(runs),
        "exit_code": exit_code_for([r.result.status for r in runs], strict),
    }


def dump_json(doc: dict, out: IO[str]) -> None:
    json.dump(jsonable(doc), out, indent=2, ensure_ascii=False)
    out.write("\n")


class TextReport:
    """flutter-doctor-like: one line per check, grouped by category, streamed in registration order."""

    def __init__(self, host, checks, out: IO[str] | None = None, verbose: bool = False, colour: bool | None = None):
        self.host = host
        self.order = [c.id for c in checks]
        self.out = out or sys.stdout
        self.verbose = verbose
        self.colour = self.out.isatty() if colour is None else colour
        enc = (getattr(self.out, "encoding", None) or "ascii").lower()
        self.unicode = enc.replace("-", "").startswith("utf")
        self._done: dict[str, CheckRun] = {}
        self._printed = 0
        self._category: str | None = None

    def header(self) -> None:
        h = self.host.describe()
        line = (f"nerdctl-doctor {__version__} · {h['platform']} {h['distro']} · {h['mode']} · "
                f"namespace {h['namespace']}" + (f" · root {h['root']}" if h["root"] != "/" else ""))
        self._w(self._t(line) + "\n")

    def _t(self, s: str) -> str:
        return s if self.unicode else s.replace("·", "-").replace("—", "-").replace("✓", "+").replace("✗", "x")

    def _w(self, s: str) -> None:
        self.out.write(s)
        self.out.flush()

    def __call__(self, ev: Event) -> None:
        if isinstance(ev, CheckFinished):
            self._done[ev.run.check.id] = ev.run
            while self._printed < len(self.order) and self.order[self._printed] in self._done:
                self._line(self._done[self.order[self._printed]])
                self._printed += 1
        elif isinstance(ev, RunFinished):
            for r in ev.runs:
                if r.check.id not in self._done:
                    self._done[r.check.id] = r
            while self._printed < len(self.order):
                cid = self.order[self._printed]
                if cid in self._done:
                    self._line(self._done[cid])
                self._printed += 1
            self._footer(ev.runs)

    def _sym(self, st: Status) -> str:
        sym = SYMBOLS[st][0] if self.unicode else SYMBOLS[st][1]
        text = f"[{sym}]" if self.unicode else sym
        if self.colour:
            return f"\x1b[{COLOURS[st]}m{text}\x1b[0m"
        return text

    def _line(self, run: CheckRun) -> None:
        c, r = run.check, run.result
        if c.category != self._category:
            self._category = c.category
            self._w(f"\n{c.category}\n")
        self._w(self._t(f"  {self._sym(r.status)} {r.status.value:<5} {c.title} ({c.id}): {r.summary}") + "\n")
        pad = "          "
        if r.fixes and r.status != Status.OK:
            for f in r.fixes:
                priv = " [privileged]" if f.privileged else ""
                self._w(self._t(f"{pad}fix: nerdctl-doctor fix {f.id} — {f.title}{priv}") + "\n")
        if self.verbose:
            if r.details:
                for ln in r.details.rstrip().splitlines():
                    self._w(f"{pad}{ln}\n")
            if r.evidence:
                text = json.dumps(jsonable(r.evidence), indent=2, ensure_ascii=not self.unicode)
                for ln in text.splitlines():
                    self._w(f"{pad}{ln}\n")

    def _footer(self, runs: Sequence[CheckRun]) -> None:
        counts = summary_counts(runs)
        parts = ", ".join(f"{n} {k}" for k, n in counts.items())
        self._w(f"\nSummary: {parts}\n")
        bad = [r for r in runs if r.result.status in (Status.FAIL, Status.ERROR)]
        if bad:
            self._w(self._t(f"{len(bad)} problem(s) found; run with -v for evidence, "
                            "or `nerdctl-doctor fix ID --dry-run` to see a fix.") + "\n")
