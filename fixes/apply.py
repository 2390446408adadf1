"""The one applier: performs a Fix's steps in order, for `nerdctl-doctor fix` and the TUI alike.

It never prints or prompts (consent is the caller's job); progress goes to an ``on_event`` callback:
("step-start", index, step), ("output", index, line), ("step-done", index, StepReport), ("recheck", CheckRun).
Run steps: argv only, env validated, privileged ones through sudo when euid != 0, output streamed, a failing step
stops the fix. Edit steps: computed from the file at apply time, written atomically (temp file in the same
directory, fsync, rename), a timestamped backup beside the original, recorded in a journal for `fix --undo`.
"""
from __future__ import annotations

import datetime
import json
import os
import re
import tempfile
from ..records import Record

from .. import osapi
from ..constants import registry_value_path, valid_namespace
from ..fileops import HostFileError, atomic_write, backup_name, make_backup, read_bounded, read_or_none, sha256
from ..events import Rechecked, StepDone, StepOutput, StepReport, StepStarted
from ..model import AdviceStep, CheckRun, EditStep, Fix, RunStep, Status
from .edits import EditError, new_text, unified

ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
STEP_TIMEOUT = 600.0

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from typing import Any, Callable, Sequence
    from ..events import FixEvent

    OnEvent = Callable[[FixEvent], None]


class ApplyResult(Record):
    __slots__ = ("fix", "applied", "steps", "recheck", "resolved", "message", "remaining")
    _frozen = False

    def __init__(self, fix: Fix, applied: bool) -> None:
        self.fix = fix
        self.applied = applied
        self.steps: list[StepReport] = []
        self.recheck: list[CheckRun] = []
        self.resolved = False
        self.message = ""
        self.remaining: list[str] = []  # what only the user can do now

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
        if k == "CONTAINERD_NAMESPACE" and not valid_namespace(v):
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
        # sudo resets the environment: pass it through `env K=V`. Off a terminal sudo must not wait for a
        # password nobody can type: -n makes it fail at once and say so.
        return [*sudo_prefix(), "env", *[f"{k}={v}" for k, v in env.items()], *argv], {}
    return argv, env


def sudo_prefix() -> list[str]:
    """`sudo`, or off a terminal `sudo -n`, which fails at once instead of waiting for a password nobody can type."""
    return ["sudo"] if _on_terminal() else ["sudo", "-n"]


def root_write(host, target: str, content: str | None, expected_sha: str | None, backup: str | None = None) -> Any:
    """fixes/rootwrite.py run as root through sudo (see its command); the run's Outcome. What happened is judged
    from the file afterwards, not from what it printed."""
    from .rootwrite import command

    return host.run_streaming([*sudo_prefix(), *command(target, content, expected_sha, backup)], lambda line: None,
                              timeout=STEP_TIMEOUT, inherit_terminal=_on_terminal())


def _on_terminal() -> bool:
    import sys

    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


# --------------------------------------------------------------------------- journal (for --undo)


def state_dir(host) -> str | None:
    base = host.state_home()
    return os.path.join(base, "nerdctl-doctor") if base else None


def journal_ready(host) -> str | None:
    """Why the undo journal cannot be written (then the fix must not start), or None."""
    p = journal_path(host)
    if p is None:
        return "neither HOME nor XDG_STATE_HOME is set: no undo journal can be kept"
    d = os.path.dirname(p)
    try:
        os.makedirs(d, exist_ok=True)
    except OSError as exc:
        return f"cannot create {d} for the undo journal: {exc.strerror or exc}"
    if not os.path.isdir(d) or not os.access(d, os.W_OK):
        return f"{d} is not a writable directory for the undo journal"
    if os.path.lexists(p) and not os.path.isfile(p):
        return f"{p} is not a regular file"
    return None


def journal_path(host) -> str | None:
    d = state_dir(host)
    return os.path.join(d, "journal.json") if d else None


class Journal:
    """Every applied fix's edits, newest last (undo takes the latest first). An edit is recorded, complete and
    synced, after its backup exists and before the file is replaced, so a fix killed at any point can be undone;
    when the record cannot be written, nothing is changed."""

    def __init__(self, host, fix: Fix) -> None:
        self.path = journal_path(host)
        self.edits: list[dict] = []
        self.record: dict = {"fix": fix.id, "time": datetime.datetime.now().isoformat(timespec="seconds"),
                             "root": str(host.root), "edits": self.edits}
        self.fixes = read_fixes(host)

    def add(self, edit: dict) -> None:
        self.edits.append(edit)
        try:
            self._write(self.fixes + [self.record])
        except OSError:
            self.edits.pop()
            raise

    def discard_last(self) -> None:
        """Forget the edit just recorded: it was not made (best effort: undo also recognises an edit never made)."""
        if self.edits:
            self.edits.pop()
            try:
                self._write(self.fixes + ([self.record] if self.edits else []))
            except OSError:
                pass

    def _write(self, fixes: list[dict]) -> None:
        if self.path:
            atomic_write(self.path, (json.dumps({"fixes": fixes}, indent=2) + "\n").encode(), mode=0o600)


def read_fixes(host) -> list[dict]:
    """The journal's applied fixes, oldest first; [] when there is none. Raises EditError when it is not a valid
    journal."""
    p = journal_path(host)
    if not p or not os.path.lexists(p):
        return []
    try:
        doc = json.loads(read_bounded(p, p, 1 << 20))
    except HostFileError as exc:
        raise EditError(f"the undo journal cannot be read: {exc}") from None
    except (ValueError, RecursionError):
        raise EditError(f"the undo journal {p} is not valid JSON; nothing was restored") from None
    fixes = doc.get("fixes") if isinstance(doc, dict) else None
    ok = isinstance(fixes, list) and all(
        isinstance(f, dict) and isinstance(f.get("edits"), list) and all(
            isinstance(e, dict) and isinstance(e.get("resolved"), str) and isinstance(e.get("path"), str)
            and "\0" not in e["resolved"] and (e.get("backup") is None or isinstance(e.get("backup"), str))
            for e in f["edits"]) for f in fixes)
    if not ok or not isinstance(fixes, list):
        raise EditError(f"the undo journal {p} is not one nerdctl-doctor wrote; nothing was restored")
    return fixes


def read_journal(host) -> dict | None:
    """The latest applied fix that edited something (what `fix --undo` restores), or None."""
    fixes = [f for f in read_fixes(host) if f["edits"]]
    return fixes[-1] if fixes else None


def drop_latest(host) -> None:
    fixes = [f for f in read_fixes(host) if f["edits"]]
    p = journal_path(host)
    if p:
        atomic_write(p, (json.dumps({"fixes": fixes[:-1]}, indent=2) + "\n").encode(), mode=0o600)


# --------------------------------------------------------------------------- steps


def _raw(path: str) -> bytes | None:
    """A file's bytes for an edit or an undo; None when absent; larger than configuration ever is: not edited."""
    try:
        return read_or_none(path)
    except HostFileError as exc:
        raise EditError(str(exc)) from None


def write_registry(host, key: str, name: str, kind: str, data: str | None) -> None:
    """Set (or, with None, delete) a registry value of the diagnosed system, keeping its type: in the JSON file
    NERDCTL_DOCTOR_REGISTRY when diagnosing a copy (written atomically), else this machine's registry."""
    path = host.env.get("NERDCTL_DOCTOR_REGISTRY")
    if not path:
        osapi.write_registry(key, name, kind, data)
        return
    raw = read_or_none(path)
    doc = json.loads(raw) if raw else {}
    if not isinstance(doc, dict):
        raise StepError(f"{path} is not a registry document")
    k = next((x for x in doc if x.lower() == key.lower()), key)
    values = doc.setdefault(k, {})
    n = next((x for x in values if x.lower() == name.lower()), name)
    if data is None:
        values.pop(n, None)
    else:
        values[n] = [kind, data]
    atomic_write(path, (json.dumps(doc, indent=2) + "\n").encode(), like=path if raw is not None else None)


def apply_registry_edit(host, step: EditStep, key: str, name: str, edits: "Journal") -> StepReport:
    """Windows Path in the registry: the value's type (REG_EXPAND_SZ) and every other entry kept, journaled with
    its old value for `fix --undo` (never `setx`, which truncates at 1024 characters)."""
    cur = host.registry(key, name)
    old = None if cur is None else str(cur[1])
    new = new_text(host, step, old)
    if new == old:
        return StepReport(step, 0, f"{step.path}: already as wanted, unchanged")
    kind = cur[0] if cur is not None else "REG_EXPAND_SZ"
    edits.add({"path": step.path, "resolved": step.path, "backup": None, "written_sha256": sha256(new.encode()),
               "registry": {"key": key, "name": name, "old": list(cur) if cur is not None else None,
                            "written": [kind, new]}})
    try:
        write_registry(host, key, name, kind, new)
    except OSError as exc:
        raise StepError(f"cannot write {step.path}: {exc}") from None
    old_lines = None if old is None else "\n".join(old.split(";")) + "\n"
    return StepReport(step, 0, unified(step.path, old_lines, "\n".join(new.split(";")) + "\n") +
                      f"({kind} kept; `nerdctl-doctor fix --undo` restores the old value)\n", changed=True)


def apply_edit(host, step: EditStep, edits: "Journal") -> StepReport:
    reg = registry_value_path(step.path)
    if reg is not None:
        return apply_registry_edit(host, step, reg[0], reg[1], edits)
    physical = host.resolve(step.path)
    resolved = os.path.realpath(physical)  # a symlinked file is edited where it points
    if not host.contained(physical):  # SPEC 5: under --root, never outside it (a link, or a HOME/PATH entry)
        raise StepError(f"{step.path} resolves to {resolved}, outside the diagnosed root {host.root}: refused (a "
                        "fix of a mounted system must not edit this machine's files)")
    for _attempt in range(3):
        old_bytes = _raw(resolved)
        try:
            old = None if old_bytes is None else old_bytes.decode("utf-8")
        except UnicodeDecodeError:
            raise EditError(f"{step.path} is not UTF-8 text; it was not changed") from None
        new = new_text(host, step, old)
        if new == old:
            return StepReport(step, 0, f"{step.path}: already as wanted, unchanged")
        d = os.path.dirname(resolved) or "."
        while not os.path.isdir(d) and os.path.dirname(d) not in (d, ""):  # the directories to make: their parent
            d = os.path.dirname(d)
        if read_only(d):  # neither we nor sudo can write there
            raise StepError(f"cannot write {step.path}: read-only file system; it was not changed")
        if not os.access(d, os.W_OK):
            if step.privileged and host.euid != 0:
                return sudo_edit(host, step, resolved, old_bytes, old, new, edits)
            raise StepError(f"cannot write {resolved}: permission denied")
        backup = None
        st = os.stat(resolved) if old_bytes is not None else None
        if old_bytes is not None and st is not None:
            try:
                backup = make_backup(resolved, old_bytes, st)
            except OSError as exc:  # make_backup leaves nothing partial behind
                raise StepError(f"cannot back up {step.path}: {why(exc)}; it was not changed") from None
        # The file must not change between our read and our rename: if it did, start again from its new content.
        if _raw(resolved) != old_bytes:
            if backup:
                os.unlink(backup)
            continue
        data = new.encode()
        try:  # the journal first: an edit that cannot be undone is not made
            edits.add({"path": step.path, "resolved": resolved, "backup": backup, "written_sha256": sha256(data),
                       "backup_sha256": sha256(old_bytes)})
        except OSError as exc:
            if backup:
                os.unlink(backup)
            raise StepError(f"the undo journal cannot be written ({exc.strerror or exc}); {step.path} was not "
                            "changed") from None
        try:
            write_over(resolved, data, st)
        except OSError as exc:
            if _raw(resolved) != old_bytes:  # changed in part (written in place): the backup and journal stay
                raise StepError(f"cannot write {step.path}: {why(exc)}; it was changed only in part: "
                                "`nerdctl-doctor fix --undo` restores it") from None
            edits.discard_last()  # nothing changed: nothing of this edit is left behind
            if backup:
                try:
                    os.unlink(backup)
                except OSError:
                    pass
            raise StepError(f"cannot write {step.path}: {why(exc)}; it was not changed") from None
        diff = unified(step.path, old, new)
        return StepReport(step, 0, diff + (f"backup: {backup}\n" if backup else f"created {resolved}\n"), changed=True)
    raise StepError(f"{step.path} kept changing while it was being edited; nothing was written")


def read_only(directory: str) -> bool:
    """Is ``directory`` on a file system mounted read-only? (False where that cannot be told.)"""
    try:
        return bool(os.statvfs(directory).f_flag & getattr(os, "ST_RDONLY", 1))
    except (AttributeError, OSError):  # no statvfs (Windows), or the directory is not there
        return False


def why(exc: OSError) -> str:
    import errno

    if exc.errno == errno.EROFS:
        return "read-only file system"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "no space left on the file system"
    if exc.errno == errno.EFBIG:
        return "the file size limit (RLIMIT_FSIZE) is smaller than the file"
    return exc.strerror or str(exc)


def write_over(path: str, data: bytes, st: os.stat_result | None) -> None:
    """Replace a file's content: atomically (temp file, fsync, rename) with its mode and owner; in place when
    renaming would break something (a hard-linked file, whose other names must see the change; a file another user
    owns, which a rename by us would make ours)."""
    in_place = st is not None and (st.st_nlink > 1 or (osapi.effective_uid() not in (0, None)
                                                        and st.st_uid != osapi.effective_uid()))
    if not in_place:
        atomic_write(path, data, like=path if st is not None else None)
        return
    import errno

    fd = os.open(path, os.O_WRONLY)
    try:
        if hasattr(os, "posix_fallocate") and data:
            try:  # the space first: a full file system refuses here, before the content is touched
                os.posix_fallocate(fd, 0, len(data))
            except OSError as exc:
                if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
                    raise
        view = memoryview(data)
        os.ftruncate(fd, 0)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def sudo_edit(host, step: EditStep, resolved: str, old_bytes: bytes | None, old: str | None, new: str,
              edits: "Journal") -> StepReport:
    """A privileged edit by a non-root user: the new content goes through sudo to fixes/rootwrite.py, which checks
    the file is still the one consented to, backs it up and writes it atomically as root."""
    data = new.encode()
    backup = None if old_bytes is None else backup_name(resolved)
    try:  # the journal first, naming the backup root will make: an edit that cannot be undone is not made
        edits.add({"path": step.path, "resolved": resolved, "backup": backup, "written_sha256": sha256(data),
                   "backup_sha256": sha256(old_bytes), "privileged": True})
    except OSError as exc:
        raise StepError(f"the undo journal cannot be written ({exc.strerror or exc}); {step.path} was not "
                        "changed") from None
    fd, tmp = tempfile.mkstemp(prefix="nerdctl-doctor-edit-", suffix=".new")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        out = root_write(host, resolved, tmp, sha256(old_bytes), backup)
    finally:
        os.unlink(tmp)
    if sha256(_raw(resolved)) != sha256(data):  # what the file holds now decides, not what sudo printed
        edits.discard_last()
        raise StepError(f"sudo could not write {step.path}: " + (out.describe() if not out.ok else
                                                                 "the file does not hold the new content"))
    return StepReport(step, 0, unified(step.path, old, new) + (f"backup: {backup}\n" if backup else
                                                                 f"created {resolved}\n"), changed=True)


def apply_fix(host, fix: Fix, all_checks: Sequence | None = None, offering: str | None = None,
              on_event: "OnEvent | None" = None, confirm: Callable[[str], bool] | None = None) -> ApplyResult:
    """``confirm(question)``: asked once per question before a run step that wants its own consent (a restart);
    a step declined there is not run and becomes what is left for the user. None: consent covers every step."""
    emit = on_event or (lambda ev: None)
    res = ApplyResult(fix, applied=False)
    if fix.advice_only:
        res.message = "this fix is advice: only you can act on it"
        return res
    edits: Journal | None = None
    if any(isinstance(s, EditStep) for s in fix.steps):
        why = journal_ready(host)
        if why is None:
            try:
                edits = Journal(host, fix)
            except EditError as exc:
                why = str(exc)
        if why:
            res.message = f"not started: {why} (nothing was changed)"
            return res

    answers: dict[str, bool] = {}

    def ask_once(question: str) -> bool:
        if question not in answers:
            answers[question] = bool(confirm(question)) if confirm is not None else True
        return answers[question]

    def stop(i: int, rep: StepReport, message: str) -> ApplyResult:
        res.steps.append(rep)
        emit(StepDone(i, rep))
        res.message = message
        return res

    for i, step in enumerate(fix.steps):
        emit(StepStarted(i, step))
        if isinstance(step, AdviceStep):
            rep = StepReport(step, None, step.text)
            res.remaining.append(step.text)
        elif isinstance(step, RunStep) and step.confirm and confirm is not None and not ask_once(step.confirm):
            rep = StepReport(step, None, "not run: you said no")
            res.remaining.append("run later: " + " ".join(step.argv))
        elif isinstance(step, RunStep):
            try:
                argv, env = run_argv(host, step)
            except StepError as exc:
                return stop(i, StepReport(step, None, str(exc)), str(exc))
            out = host.run_streaming(argv, lambda line, i=i: emit(StepOutput(i, line)), env=env,
                                     timeout=STEP_TIMEOUT, inherit_terminal=argv[0] == "sudo")
            code = out.exit_code if out.kind == "exited" else None
            rep = StepReport(step, code, out.stdout if out.kind == "exited" else out.describe())
            if code != 0:
                return stop(i, rep, f"step {i + 1} failed: {out.describe()}")
        elif isinstance(step, EditStep):
            assert edits is not None  # made above whenever the fix has an edit step
            try:
                rep = apply_edit(host, step, edits)
            except (StepError, EditError, OSError) as exc:
                return stop(i, StepReport(step, None, str(exc)), f"step {i + 1} failed: {exc}")
            for line in rep.output.splitlines():
                emit(StepOutput(i, line))
        else:  # pragma: no cover
            raise TypeError(step)
        res.steps.append(rep)
        emit(StepDone(i, rep))
    res.applied = True
    if all_checks is not None:
        res.recheck = recheck(host, fix, all_checks, offering, emit)
        res.resolved = problem_gone(fix, res.recheck, offering)
        res.remaining += what_remains(fix, res.recheck)
    else:
        res.resolved = True
    return res


def what_remains(fix: Fix, runs: Sequence[CheckRun]) -> list[str]:
    """What only the user can do now that the fix ran: open a new shell, restart Tilt or the front-end."""
    out = []
    for r in runs:
        if r.result.status in (Status.OK, Status.SKIP):
            continue
        if r.result.action:
            out.append(f"{r.check.id}: {r.result.action}")
        elif r.result.status == Status.WARN:
            out.append(f"{r.check.id}: {r.result.summary}")
    if any(isinstance(s, EditStep) and "rc" in s.editor or getattr(s, "editor", "") == "rd-path-block"
           for s in fix.steps):
        out.append("open a new terminal (and restart Tilt from it): running shells keep their old PATH")
    return list(dict.fromkeys(out))


def recheck(host, fix: Fix, all_checks: Sequence, offering: str | None, emit: "OnEvent") -> list[CheckRun]:
    from ..runner import run_to_end, select

    ids = list(fix.rechecks) or ([offering] if offering else [])
    if offering and offering not in ids:
        ids.append(offering)
    known = {c.id for c in all_checks}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValueError(f"fix {fix.id} re-checks unknown check(s) {', '.join(unknown)}")
    if not ids:
        return []
    chosen = select(all_checks, ids)
    runs = [r for r in run_to_end(chosen, host.fresh()) if r.check.id in ids]
    for r in runs:
        emit(Rechecked(r))
    return runs


def problem_gone(fix: Fix, runs: Sequence[CheckRun], offering: str | None) -> bool:
    for r in runs:
        if any(f.id == fix.id for f in r.result.fixes):
            return False
        if r.check.id == offering and r.result.status in (Status.FAIL, Status.ERROR):
            return False
    return True


# --------------------------------------------------------------------------- undo


def undo(host, force: bool = False, dry_run: bool = False) -> tuple[bool, list[str]]:
    """Restore the files the latest applied fix edited: content, mode and owner. (ok, messages). ``dry_run``:
    say what would be restored, change nothing."""
    doc = read_journal(host)
    if doc is None:
        return False, ["no applied fix to undo"]
    problems = []
    for e in doc["edits"]:
        if isinstance(e.get("registry"), dict):
            r = e["registry"]
            now = host.registry(r["key"], r["name"])
            if (None if now is None else [now[0], now[1]]) != r.get("written") and not force:
                problems.append(f"{e['path']} changed since nerdctl-doctor wrote it; not restored (use --force)")
            continue
        cur = _raw(e["resolved"])
        if sha256(cur) == e.get("backup_sha256") != e.get("written_sha256"):
            e["never_made"] = True  # journaled, then the fix stopped before writing: the file is as it was
            continue
        if sha256(cur) != e.get("written_sha256"):
            if not force:
                problems.append(f"{e['path']} changed since nerdctl-doctor wrote it; not restored (use --force)")
            elif cur is not None and not dry_run:  # --force keeps a copy of the later edit it overwrites
                e["later_copy"] = make_backup(e["resolved"], cur, os.stat(e["resolved"]))
        if e.get("backup"):
            b = _raw(e["backup"])
            if b is None:
                problems.append(f"backup {e['backup']} is missing")
            elif e.get("backup_sha256") and sha256(b) != e["backup_sha256"]:
                problems.append(f"backup {e['backup']} changed since it was made; not restored")
    if problems:
        return False, problems
    if dry_run:
        return True, [f"{e['path']} is as it was before the fix (the fix stopped before writing it): nothing to "
                      "restore" if e.get("never_made") else
                      f"would restore {e['path']}" + (f" from {e['backup']}" if e.get("backup") else
                                                      " (remove it: the fix created it)" if not e.get("registry")
                                                      else " to its value before the fix") for e in doc["edits"]]
    msgs: list[str] = [f"kept the later edit of {e['path']} as {e['later_copy']}" for e in doc["edits"]
                       if e.get("later_copy")]
    for e in reversed(doc["edits"]):
        if isinstance(e.get("registry"), dict):
            r = e["registry"]
            old = r.get("old")
            write_registry(host, r["key"], r["name"], old[0] if old else "REG_EXPAND_SZ", old[1] if old else None)
            msgs.append(f"restored {e['path']} to its value before the fix" if old else f"removed {e['path']}")
            continue
        p = e["resolved"]
        if e.get("never_made"):
            msgs.append(f"{e['path']} is as it was before the fix (the fix stopped before writing it): nothing to "
                        "restore")
            continue
        if e.get("backup") and e.get("privileged") and host.euid != 0 and not os.access(os.path.dirname(p), os.W_OK):
            out = root_write(host, p, e["backup"], e.get("written_sha256"))
            if not out.ok:
                return False, msgs + [f"sudo could not restore {e['path']}: {out.describe()}"]
            msgs.append(f"restored {e['path']} from {e['backup']} (through sudo)")
        elif e.get("backup"):
            data = _raw(e["backup"]) or b""
            atomic_write(p, data, like=e["backup"])
            msgs.append(f"restored {e['path']} from {e['backup']}")
        elif e.get("privileged") and host.euid != 0 and not os.access(os.path.dirname(p), os.W_OK):
            out = root_write(host, p, None, e.get("written_sha256"))
            if not out.ok:
                return False, msgs + [f"sudo could not remove {e['path']}: {out.describe()}"]
            msgs.append(f"removed {e['path']}, which the fix had created (through sudo)")
        else:
            if os.path.lexists(p):
                os.unlink(p)
            msgs.append(f"removed {e['path']}, which the fix had created")
    drop_latest(host)
    return True, msgs
