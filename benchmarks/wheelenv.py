"""The installation the budgets are measured on (SPEC 9): this checkout's wheel, built and installed into a plain
(non-editable) venv of the base interpreter, as a user gets it. An editable install's .pth files double the
interpreter's own start and flatter every ratio; the floor is `<that venv's python> -c pass`."""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from harness import build_dist, install_wheel  # noqa: E402


def add_option(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--venv", metavar="DIR", help="measure the nerdctl-doctor installed in this venv (default: build "
                                                  "this checkout's wheel and install it into a fresh plain venv)")


def installation(args: argparse.Namespace) -> tuple[str, list[str], str | None]:
    """(the installation's python, the doctor's argv, a directory to remove afterwards or None)."""
    if args.venv:
        venv = Path(args.venv)
        cleanup = None
    else:
        cleanup = tempfile.mkdtemp(prefix="nd-bench-")
        wheel = build_dist(Path(cleanup) / "dist")
        base = getattr(sys, "_base_executable", None) or sys.executable
        venv = install_wheel(wheel, Path(cleanup) / "venv", base)
    python = str(venv / "bin" / "python")
    if not (venv / "bin" / "nerdctl-doctor").is_file():
        remove(cleanup)
        raise SystemExit(f"--venv {venv}: no bin/nerdctl-doctor there (give the venv's own directory, the one holding "
                         "bin/python)")
    # compile what the wheel installed, as pip does by default (PYTHONDONTWRITEBYTECODE may be set here)
    subprocess.run([python, "-m", "compileall", "-q", str(venv / "lib")], capture_output=True)
    pth = [p.name for p in (venv / "lib").glob("python*/site-packages/*.pth")]
    print(f"installation: {venv} (plain venv, .pth files: {', '.join(pth) or 'none'})")
    return python, [str(venv / "bin" / "nerdctl-doctor")], cleanup


def run(measure, runs: int) -> int:
    """Parse --runs/--check/--venv, measure on the installation, clean up: what every benchmark's main does."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=runs)
    ap.add_argument("--check", action="store_true", help="exit 1 when a budget is exceeded")
    add_option(ap)
    args = ap.parse_args()
    python, doctor, cleanup = installation(args)
    try:
        return measure(args, python, doctor)
    finally:
        remove(cleanup)


def remove(d: str | None) -> None:
    if d:
        shutil.rmtree(d, ignore_errors=True)


def env_without_bytecode_flag(env: dict[str, str]) -> dict[str, str]:
    e = dict(env)
    e.pop("PYTHONDONTWRITEBYTECODE", None)
    return e


# Runs the doctor's console-script entry exactly as installed, and records which modules the run imported.
_RECORD = """
import atexit, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write("\\n".join(sorted(sys.modules))))
import re  # the console script pip writes imports re first
from nerdctl_doctor.entry import entry
entry()
"""


def stdlib_modules(python: str, argv: list[str], env: dict[str, str] | None, cwd: str | None = None) -> list[str]:
    """The standard-library modules one run of ``nerdctl-doctor ARGV`` imports, minus what a bare interpreter
    already has (atexit, the recorder's own, is a built-in module)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run([python, "-c", _RECORD, f.name, *argv], env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        mods = Path(f.name).read_text().split()
    bare = subprocess.run([python, "-c", "import sys; print(' '.join(sys.modules))"], capture_output=True,
                          text=True).stdout.split()
    candidates = [m for m in mods if m not in bare and m.split(".")[0] not in ("nerdctl_doctor", "__main__")]
    code = ("import importlib.util as u, sys, sysconfig\n"
            "site = sysconfig.get_paths()['purelib']\n"
            "for m in sys.argv[1:]:\n"
            "    try:\n"
            "        s = u.find_spec(m)\n"
            "    except (ImportError, ValueError):\n"
            "        s = None\n"
            "    o = getattr(s, 'origin', None) or ''\n"
            "    print(m if s is not None and not o.startswith(site) else '')\n")
    listed = subprocess.run([python, "-c", code, *candidates], capture_output=True, text=True).stdout.split()
    # third-party packages, and modules their extensions register without a spec, are dropped
    out = [m for m in listed if m]
    check = subprocess.run(floor_argv(python, out), capture_output=True, text=True)
    if check.returncode != 0:
        raise SystemExit(f"the floor run fails: {check.stderr.strip()[-300:]}")
    return out


def floor_argv(python: str, modules: list[str]) -> list[str]:
    """A Python run that imports exactly those standard-library modules and does nothing else: the least any
    implementation in Python of that path could cost, nothing of the doctor's included."""
    return [python, "-c", "import " + ", ".join(modules) if modules else "pass"]


def probes_chain(document: str) -> float:
    """Seconds of a run that were its probes: the longest chain of prerequisites in its --json document (checks run
    concurrently, each after its own), from the durations the document reports."""
    import json

    from nerdctl_doctor.registry import load_checks

    requires = {c.id: c.requires for c in load_checks()}
    dur = {c["id"]: c["duration_ms"] / 1000 for c in json.loads(document)["checks"]}
    finish: dict[str, float] = {}

    def done(cid: str) -> float:
        if cid not in finish:
            finish[cid] = dur.get(cid, 0.0) + max((done(r) for r in requires.get(cid, ()) if r in dur), default=0.0)
        return finish[cid]

    return max(done(c) for c in dur)


__all__ = ["floor_argv", "probes_chain", "stdlib_modules", "add_option", "env_without_bytecode_flag", "installation", "os", "remove", "run"]
