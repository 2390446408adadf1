"""A finished diagnosis: the runs, the exit code, the fixes on offer (one rule for every view) and the next
steps (SPEC section 3): root causes before the failures they explain, each fail/error explained by exactly one
step."""
from __future__ import annotations

from .records import Record

from .model import STATUS_ORDER, Check, CheckRun, Fix, Status

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from typing import Any, Callable, Sequence
    from .events import RunEvent
    from .host import Host

BAD = (Status.FAIL, Status.ERROR)

# Root causes first: each check, in the order to act on them, with the checks whose failure it explains.
CAUSES: tuple[tuple[str, frozenset[str]], ...] = tuple((cid, frozenset(explains)) for cid, explains in (
    ("rd.engine", {"rd.running", "nerdctl.version", "containerd.socket", "containerd.namespace", "buildkit.buildctl",
                   "buildkit.host", "buildkit.worker", "buildkit.config", "buildkit.daemon", "kube.context"}),
    ("colima.running", {"nerdctl.version", "containerd.socket", "containerd.namespace", "buildkit.buildctl",
                        "buildkit.host", "buildkit.worker", "buildkit.daemon", "kube.context"}),
    ("rd.running", {"nerdctl.version", "containerd.socket", "containerd.namespace", "buildkit.buildctl",
                    "buildkit.host", "buildkit.worker", "buildkit.daemon"}),
    ("lima.nerdctl", {"nerdctl.installed", "nerdctl.version", "containerd.socket", "containerd.namespace",
                      "buildkit.buildctl", "buildkit.host", "buildkit.worker", "buildkit.daemon"}),
    ("rd.legacy-links", {"nerdctl.installed", "nerdctl.version"}),
    ("rd.path", {"nerdctl.installed", "nerdctl.version", "tilt.installed"}),
    ("nerdctl.installed", {"nerdctl.version", "tilt.installed"}),
    ("nerdctl.config", {"nerdctl.version", "containerd.socket", "containerd.namespace", "buildkit.host",
                        "buildkit.worker"}),
    ("nerdctl.version", set()),
    ("rootless.prereqs", {"containerd.socket", "containerd.namespace", "buildkit.host", "buildkit.worker",
                          "buildkit.daemon"}),
    ("containerd.socket", {"containerd.namespace", "buildkit.worker", "buildkit.daemon", "kube.context"}),
    ("buildkit.buildctl", {"buildkit.host", "buildkit.worker"}),
    ("buildkit.config", {"buildkit.daemon", "buildkit.host", "buildkit.worker"}),
    ("buildkit.daemon", {"buildkit.host", "buildkit.worker"}),
    ("buildkit.host", {"buildkit.worker"}),
    ("containerd.namespace", set()),
    ("buildkit.worker", set()),
    ("kube.context", set()),
    ("tilt.installed", set()),
))
_RANK = {cid: i for i, (cid, _) in enumerate(CAUSES)}
_EXPLAINS = dict(CAUSES)


class NextStep(Record):
    __slots__ = ("check", "fix", "text", "explains")
    _frozen = False

    def __init__(self, check: str, fix: str | None, text: str, explains: list[str] | None = None) -> None:
        self.check, self.fix, self.text = check, fix, text
        self.explains: list[str] = list(explains or [])  # the other fail/error checks this step explains

    def to_json(self) -> dict[str, Any]:
        return {"check": self.check, "fix": self.fix, "text": self.text, "explains": list(self.explains)}


def offered(runs: Sequence[CheckRun]) -> list[tuple[Fix, CheckRun]]:
    """The fixes on offer: those of every check that is not ok or skip, first offer of an id wins."""
    seen: set[str] = set()
    out = []
    for r in runs:
        if r.result.status in (Status.OK, Status.SKIP):
            continue
        for f in r.result.fixes:
            if f.id not in seen:
                seen.add(f.id)
                out.append((f, r))
    return out


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[0] if lines else ""


def step_for(run: CheckRun) -> NextStep:
    r = run.result
    acting = [f for f in r.fixes if not f.advice_only]
    if acting:
        f = acting[0]
        return NextStep(run.check.id, f.id, f"nerdctl-doctor fix {f.id}: {f.title}")
    advice = [f for f in r.fixes if f.advice_only]
    if r.action:
        return NextStep(run.check.id, None, r.action)
    if advice:
        f = advice[0]
        text = "\n".join(getattr(s, "text", "") for s in f.steps)
        more = f" (`nerdctl-doctor fix {f.id}` prints all of it)" if len(text.strip().splitlines()) > 1 else ""
        return NextStep(run.check.id, None, _first_line(text) + more)
    return NextStep(run.check.id, None, f"{r.summary} (see `nerdctl-doctor --plain -v --only {run.check.id}`)")


def next_steps(runs: Sequence[CheckRun]) -> list[NextStep]:
    bad = [r for r in runs if r.result.status in BAD]
    order = {r.check.id: i for i, r in enumerate(runs)}
    bad.sort(key=lambda r: (_RANK.get(r.check.id, len(_RANK)), order[r.check.id]))
    steps: list[NextStep] = []
    for r in bad:
        owner = next((s for s in steps if r.check.id in _EXPLAINS.get(s.check, ())), None)
        if owner is not None:
            owner.explains.append(r.check.id)
        else:
            steps.append(step_for(r))
    return steps


class Diagnosis(Record):
    __slots__ = ("host", "runs", "strict", "next_steps")

    def __init__(self, host: "Host", runs: list[CheckRun], strict: bool = False) -> None:
        self.host, self.runs, self.strict = host, runs, strict
        self.next_steps: list[NextStep] = next_steps(runs)

    @property
    def exit_code(self) -> int:
        return exit_code_for([r.result.status for r in self.runs], self.strict)

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in STATUS_ORDER}
        for r in self.runs:
            counts[r.result.status.value] += 1
        return counts

    def offered(self) -> list[tuple[Fix, CheckRun]]:
        return offered(self.runs)


def exit_code_for(statuses: Sequence[Status], strict: bool = False) -> int:
    bad = set(BAD) | ({Status.WARN} if strict else set())
    return 1 if any(s in bad for s in statuses) else 0


def diagnose(checks: Sequence[Check], host: "Host", strict: bool = False,
             on_event: "Callable[[RunEvent], None] | None" = None) -> Diagnosis:
    """Run the checks to the end and wrap what they found."""
    from .runner import run_to_end

    return Diagnosis(host, run_to_end(checks, host, on_event), strict)
