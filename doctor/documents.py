"""The JSON documents of SPEC section 3, built here and only here: the report, the check list and the fix
document. Every document is checked against its schema by the tests (schemas/ ships in the package)."""
from __future__ import annotations

import json

from .constants import SCHEMA, VERSION
from .model import AdviceStep, Check, CheckRun, EditStep, Fix, RunStep, Step, jsonable

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from typing import Any, IO, Sequence
    from .diagnosis import Diagnosis
    from .events import StepReport
    from .host import Host



def step_json(host: "Host | None", step: Step) -> dict[str, Any]:
    if isinstance(step, RunStep):
        return {"kind": "run", "argv": list(step.argv), "env": dict(step.env), "privileged": step.privileged}
    if isinstance(step, EditStep):
        diff = ""
        if host is not None:
            from .fixes.render import diff_for

            diff = diff_for(host, step)
        return {"kind": "edit", "path": step.path, "diff": diff, "privileged": step.privileged}
    if isinstance(step, AdviceStep):
        return {"kind": "advice", "text": step.text}
    raise TypeError(f"not a step: {step!r}")


def fix_json(host: "Host | None", fix: Fix) -> dict[str, Any]:
    return {"id": fix.id, "title": fix.title, "privileged": fix.privileged,
            "steps": [step_json(host, s) for s in fix.steps]}


def check_json(host: "Host | None", run: CheckRun) -> dict[str, Any]:
    r = run.result
    return {
        "id": run.check.id,
        "category": run.check.category,
        "title": run.check.title,
        "status": r.status.value,
        "summary": r.summary,
        "details": r.details or "",
        "evidence": jsonable(r.evidence),
        "fixes": [fix_json(host, f) for f in r.fixes],
        "duration_ms": int(run.duration_ms),
    }


def report_document(diag: "Diagnosis") -> dict[str, Any]:
    host = diag.host
    return {
        "schema": SCHEMA,
        "version": VERSION,
        "host": host.describe(),
        "checks": [check_json(host, r) for r in diag.runs],
        "summary": diag.counts(),
        "next_steps": [s.to_json() for s in diag.next_steps],
        "exit_code": diag.exit_code,
    }


def list_checks_document(checks: Sequence[Check]) -> dict[str, Any]:
    return {"schema": SCHEMA, "checks": [
        {"id": c.id, "category": c.category, "title": c.title, "requires": list(c.requires), "source": c.source}
        for c in checks]}


def fix_document(host: "Host", fix: Fix, applied: bool, steps: Sequence["StepReport"],
                 recheck: Sequence[CheckRun], exit_code: int) -> dict[str, Any]:
    return {"schema": SCHEMA, "fix": fix_json(host, fix), "applied": applied,
            "steps": [{"step": step_json(host, s.step), "exit_code": s.exit_code, "output": s.output}
                      for s in steps],
            "recheck": [check_json(host, r) for r in recheck], "exit_code": int(exit_code)}


def dump_json(doc: dict[str, Any], out: IO[str]) -> None:
    # every evidence was cut to its own budget when its check's part was made; the rest is the doctor's own
    json.dump(jsonable(doc, limit=None), out, indent=2, ensure_ascii=False, allow_nan=False)
    out.write("\n")
    out.flush()
