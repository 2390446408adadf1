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

# The order in which to act on root causes (what stands under what: the front-end, then nerdctl, containerd,
# BuildKit, the cluster, Tilt). Which failure a root cause explains is never decided here: each result names its
# own cause (Result.cause), found by its check at run time.
ORDER = ("rd", "colima", "lima", "nerdctl", "rootless", "containerd", "buildkit", "kube", "tilt")


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


def root_cause(run: CheckRun, bad: dict[str, CheckRun], order: dict[str, int]) -> str:
    """Follow each result's own cause while it names another failing check of this run; the last one is the root.
    Causes that loop (a plugin's, say) have one root too: the first of the loop in registration order."""
    chain = [run.check.id]
    cur = run
    while cur.result.cause and cur.result.cause in bad:
        nxt = cur.result.cause
        if nxt in chain:
            return min(chain[chain.index(nxt):], key=lambda c: order[c])
        chain.append(nxt)
        cur = bad[nxt]
    return cur.check.id


def next_steps(runs: Sequence[CheckRun]) -> list[NextStep]:
    """One step per root cause, in the order to act on them, each fail/error explained by exactly one step."""
    bad = {r.check.id: r for r in runs if r.result.status in BAD}
    order = {r.check.id: i for i, r in enumerate(runs)}
    explained: dict[str, list[str]] = {}
    for r in runs:
        if r.check.id in bad:
            root = root_cause(r, bad, order)
            explained.setdefault(root, [])
            if root != r.check.id:
                explained[root].append(r.check.id)

    def rank(cid: str) -> tuple[int, int]:
        cat = bad[cid].check.category
        return (ORDER.index(cat) if cat in ORDER else len(ORDER), order[cid])

    steps = []
    for cid in sorted(explained, key=rank):
        step = step_for(bad[cid])
        step.explains = sorted(explained[cid], key=lambda x: order[x])
        steps.append(step)
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
