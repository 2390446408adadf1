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


__all__ = ["add_option", "env_without_bytecode_flag", "installation", "os", "remove", "run"]
