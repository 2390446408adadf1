"""The one applier: performs a Fix's steps in order, for `nerdctl-doctor fix` and the TUI alike.

It never prints or prompts (consent is the caller's job); progress goes to an ``on_event`` callback:
("step-start", index, step), ("output", index, line), ("step-done", index, StepReport), ("recheck", CheckRun).
Run steps: argv only, env validated, privileged ones through sudo when euid != 0, output streamed, a failing step
stops the fix. Edit steps: computed from the file at apply time, written atomically (temp file in the same
directory, fsync, rename), a timestamped backup beside the original, recorded in a journal for `fix --undo`.
"""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from ..model import AdviceStep, CheckRun, EditStep, Fix, RunStep, Status
from .edits import EditError, current_text, new_text, unified

NAMESPACE_RE = re.compile(r"^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
STEP_TIMEOUT = 600.0

Event = tuple
OnEvent = Callable[[Event], None]


@dataclass
class StepReport:
    step: Any
    exit_code: int | None
    output: str = ""
    changed: bool = False

    def to_json(self, host=None) -> dict:
        return {"step": self.step.to_json(host), "exit_code": self.exit_code, "output": self.output}


@dataclass
class ApplyResult:
    fix: Fix
    applied: bool
    steps: list[StepReport] = field(default_factory=list)
    recheck: list[CheckRun] = field(default_factory=list)
    resolved: bool = False
    message: str = ""

    @property
    def exit_code(self) -> int:
        return 0 if self.applied and self.resolved else 1


class StepError(Exception):
    pass


def validate_env(env: dict) -> None:
    for k, v in env.items():
        if not ENV_NAME_RE.match(k):
            raise StepError(f"invalid environment variable name {k!r}")
        if "\x00" in v or "\n" in v:
            raise StepError(f"invalid value for {k}")
        if k == "CONTAINERD_NAMESPACE" and not (NAMESPACE_RE.match(v) and len(v) <= 76):
            raise StepError(f"CONTAINERD_NAMESPACE={v!r} is not a valid containerd namespace")
        if k == "CONTAINERD_SNAPSHOTTER" and not re.match(r"^[A-Za-z0-9_.-]+$", v):
            raise StepError(f"CONTAINERD_SNAPSHOTTER={v!r} is not a snapshotter name")


def run_argv(host, step: RunStep) -> tuple[list[str], dict]:
    """The argv actually executed, and the env to add. Privileged steps go through sudo when not root, with
    their env passed through `env K=V` (sudo resets the environment)."""
    argv = list(step.argv)
    if not argv or not all(isinstance(a, str) and a for a in argv):
        raise StepError("a run step needs a non-empty argv of strings")
    env = dict(step.env)
    validate_env(env)
    if step.privileged and host.euid != 0:
        return ["sudo", "env", *[f"{k}={v}" for k, v in env.items()], *argv], {}
    return argv, env


# --------------------------------------------------------------------------- journal (for --undo)


def state_dir(host) -> str | None:
    x = host.getenv("XDG_STATE_HOME")
    if x:
        return os.path.join(x, "nerdctl-doctor")
    if host.home:
        return os.path.join(host.home, ".local", "state", "nerdctl-doctor")
    return None


def journal_path(host) -> str | None:
    d = state_dir(host)
    return os.path.join(d, "last-fix.json") if d else None


def sha256(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


def atomic_write(path: str, data: bytes, like: str | None = None) -> None:
    """Temp file in the same directory, fsync, rename; mode and owner copied from ``like`` when it exists."""
    d = os.path.dirname(path) or "."
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if like and os.path.exists(like):
            st = os.stat(like)
            os.chmod(tmp, st.st_mode & 0o7777)
            if os.geteuid() == 0:
                try:
                    os.chown(tmp, st.st_uid, st.st_gid)
                except OSError:
                    pass
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def write_journal(host, fix: Fix, edits: list[dict]) -> None:
    p = journal_path(host)
    if not p or not edits:
        return
    doc = {"fix": fix.id, "time": datetime.datetime.now().isoformat(timespec="seconds"), "root": str(host.root),
           "edits": edits}
    atomic_write(p, (json.dumps(doc, indent=2) + "\n").encode())


def read_journal(host) -> dict | None:
    p = journal_path(host)
    if not p or not os.path.exists(p):
        return None
    try:
        with open(p, "rb") as fh:
            doc = json.load(fh)
        return doc if isinstance(doc, dict) and isinstance(doc.get("edits"), list) else None
    except (OSError, ValueError):
        return None


# --------------------------------------------------------------------------- steps


def _raw(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def apply_edit(host, step: EditStep, edits: list[dict]) -> StepReport:
    resolved = host.resolve(step.path)
    for _attempt in range(3):
        current_text(host, step)  # size cap, dangling links, directories: a clear error before anything else
        old_bytes = _raw(resolved)
        try:
            old = None if old_bytes is None else old_bytes.decode("utf-8")
        except UnicodeDecodeError:
            raise EditError(f"{step.path} is not UTF-8 text; it was not changed") from None
        new = new_text(host, step, old)
        if new == old:
            return StepReport(step, 0, f"{step.path}: already as wanted, unchanged")
        if host.euid != 0 and not os.access(os.path.dirname(resolved) or ".", os.W_OK):
            raise StepError(f"cannot write {resolved}: permission denied (run as root, or with sudo)")
        backup = None
        if old_bytes is not None:
            stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S%f")
            backup = f"{resolved}.nerdctl-doctor-{stamp}.bak"
            shutil.copy2(resolved, backup)
        # The file must not change between our read and our rename: if it did, start again from its new content.
        if _raw(resolved) != old_bytes:
            if backup:
                os.unlink(backup)
            continue
        data = new.encode()
        atomic_write(resolved, data, like=resolved if old_bytes is not None else None)
        edits.append({"path": step.path, "resolved": resolved, "backup": backup, "written_sha256": sha256(data)})
        diff = unified(step.path, old, new)
        return StepReport(step, 0, diff + (f"backup: {backup}\n" if backup else f"created {resolved}\n"), changed=True)
    raise StepError(f"{step.path} kept changing while it was being edited; nothing was written")


def apply_fix(host, fix: Fix, all_checks: Sequence | None = None, offering: str | None = None,
              on_event: OnEvent | None = None) -> ApplyResult:
    emit = on_event or (lambda ev: None)
    res = ApplyResult(fix, applied=False)
    edits: list[dict] = []
    try:
        for i, step in enumerate(fix.steps):
            emit(("step-start", i, step))
            if isinstance(step, AdviceStep):
                rep = StepReport(step, None, step.text)
            elif isinstance(step, RunStep):
                try:
                    argv, env = run_argv(host, step)
                except StepError as exc:
                    rep = StepReport(step, None, str(exc))
                    res.steps.append(rep)
                    emit(("step-done", i, rep))
                    res.message = str(exc)
                    return res
                out = host.run_streaming(argv, lambda line, i=i: emit(("output", i, line)), env=env,
                                         timeout=STEP_TIMEOUT)
                code = out.exit_code if out.kind == "exited" else None
                text = out.stdout if out.kind == "exited" else out.describe()
                rep = StepReport(step, code, text)
                if code != 0:
                    res.steps.append(rep)
                    emit(("step-done", i, rep))
                    res.message = f"step {i + 1} failed: {out.describe()}"
                    return res
            elif isinstance(step, EditStep):
                try:
                    rep = apply_edit(host, step, edits)
                except (StepError, EditError, OSError) as exc:
                    rep = StepReport(step, None, str(exc))
                    res.steps.append(rep)
                    emit(("step-done", i, rep))
                    res.message = f"step {i + 1} failed: {exc}"
                    return res
                for line in rep.output.splitlines():
                    emit(("output", i, line))
            else:  # pragma: no cover
                raise TypeError(step)
            res.steps.append(rep)
            emit(("step-done", i, rep))
        res.applied = True
    finally:
        if edits:
            write_journal(host, fix, edits)
    if all_checks is not None:
        res.recheck = recheck(host, fix, all_checks, offering, emit)
        res.resolved = problem_gone(fix, res.recheck, offering)
    else:
        res.resolved = True
    return res


def recheck(host, fix: Fix, all_checks: Sequence, offering: str | None, emit: OnEvent) -> list[CheckRun]:
    from ..runner import RunFinished, run_checks, select

    ids = list(fix.rechecks) or ([offering] if offering else [])
    if offering and offering not in ids:
        ids.append(offering)
    known = {c.id for c in all_checks}
    ids = [i for i in ids if i in known]
    if not ids:
        return []
    chosen = select(all_checks, ids)
    runs: list[CheckRun] = []
    for ev in run_checks(chosen, host.fresh()):
        if isinstance(ev, RunFinished):
            runs = [r for r in ev.runs if r.check.id in ids]
    for r in runs:
        emit(("recheck", r))
    return runs


def problem_gone(fix: Fix, runs: Sequence[CheckRun], offering: str | None) -> bool:
    for r in runs:
        if any(f.id == fix.id for f in r.result.fixes):
            return False
        if r.check.id == offering and r.result.status in (Status.FAIL, Status.ERROR):
            return False
    return True


# --------------------------------------------------------------------------- undo


def undo(host, force: bool = False) -> tuple[bool, list[str]]:
    """Restore the files the last applied fix edited. (ok, messages)."""
    doc = read_journal(host)
    if doc is None:
        return False, ["no applied fix to undo"]
    msgs: list[str] = []
    problems = []
    for e in doc["edits"]:
        p = e["resolved"]
        cur = open(p, "rb").read() if os.path.exists(p) else None
        if sha256(cur) != e.get("written_sha256") and not force:
            problems.append(f"{e['path']} changed since nerdctl-doctor wrote it; not restored (use --force)")
        if e.get("backup") and not os.path.exists(e["backup"]):
            problems.append(f"backup {e['backup']} is missing")
    if problems:
        return False, problems
    for e in reversed(doc["edits"]):
        p = e["resolved"]
        if e.get("backup"):
            with open(e["backup"], "rb") as fh:
                data = fh.read()
            atomic_write(p, data, like=e["backup"])
            msgs.append(f"restored {e['path']} from {e['backup']}")
        else:
            if os.path.exists(p):
                os.unlink(p)
            msgs.append(f"removed {e['path']}, which the fix had created")
    jp = journal_path(host)
    if jp:
        done = jp + ".undone"
        os.replace(jp, done)
    return True, msgs
