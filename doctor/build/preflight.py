"""What the backend checks before nerdctl runs (in parallel, with the doctor's own checks), and how it explains a
failed build afterwards."""
from __future__ import annotations

import argparse
import os
import re
import sys

from ..model import Check, CheckRun, Result, Status
from ..paths import drive_path
from .argv import dockerfile_for

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from typing import Any, IO
    from ..host import Host

PREFLIGHT_IDS = ("nerdctl.installed", "buildkit.buildctl", "buildkit.host", "containerd.socket")

KNOWN_FAILURES = [
    (re.compile(r"no buildkit host is available|`buildctl` needs to be installed"),
     "no BuildKit daemon answered nerdctl", ("buildkit.buildctl", "buildkit.host", "buildkit.daemon")),
    (re.compile(r"pull access denied|failed to resolve source metadata|: not found", re.I),
     "a FROM image was not found: with the OCI worker, or a containerd worker of another namespace, images in "
     "containerd (including ones you built) are invisible to the build", ("buildkit.host", "buildkit.worker")),
    (re.compile(r"failed to create lease"), "nerdctl talks to a containerd (or namespace) the build cannot use",
     ("containerd.socket", "containerd.namespace", "buildkit.worker")),
    (re.compile(r"no image was built"), "BuildKit built nothing into containerd", ("buildkit.worker",)),
    (re.compile(r"rootless containerd not running\?"), "rootless containerd is not running",
     ("containerd.socket", "rootless.prereqs")),
    (re.compile(r"Rancher Desktop is not running"), "Rancher Desktop is not running", ("rd.running", "rd.engine")),
    (re.compile(r"^exit status 1\s*$", re.M), "the BuildKit daemon nerdctl was told to use does not answer",
     ("buildkit.host",)),
]


def local(host: "Host", p: str) -> str:
    """Where a path the build names is opened here: a Windows drive path of a diagnosed Windows system resolves
    under --root; anything else is relative to the current directory."""
    return host.resolve(p) if host.windows and drive_path(p) else os.path.abspath(p)


def not_a_file(path: str) -> str | None:
    """What a Dockerfile path is when it is not a regular file (a FIFO, a directory, a device...), else None."""
    import stat

    from ..fileops import kind_of

    try:
        st = os.stat(path)
    except (OSError, ValueError) as exc:
        return f"unreadable ({getattr(exc, 'strerror', None) or exc})"
    return None if stat.S_ISREG(st.st_mode) else kind_of(st.st_mode)


def secret_sources(args: argparse.Namespace) -> list[str]:
    return [part.split("=", 1)[1] for s in args.secret for part in s.split(",")
            if part.startswith(("src=", "source="))]


def build_checks(args: argparse.Namespace, host: "Host") -> list[Check]:
    def dockerfile(h: "Host", deps: Any) -> Result:
        ctx = local(h, args.context)
        if not os.path.isdir(ctx):
            return Result.fail(f"build context {args.context} is not a directory ({ctx})",
                               action="pass an existing directory as the build context")
        if args.dockerfile_contents_env:
            return Result.ok(f"Dockerfile from ${args.dockerfile_contents_env} on nerdctl's stdin")
        if args.file:
            p = local(h, args.file)
            if not os.path.lexists(p):
                return Result.fail(f"Dockerfile {args.file} does not exist ({p}; -f is relative to the current "
                                   f"directory {os.getcwd()})", action="fix the dockerfile path")
            what = not_a_file(p)
            if what:
                return Result.fail(f"Dockerfile {args.file} is {what}, not a file nerdctl can read",
                                   action="pass a regular file with -f")
            return Result.ok(f"Dockerfile {p}")
        found = dockerfile_for(args, ctx)
        if found is None:
            return Result.fail(f"neither {ctx}/Dockerfile nor {ctx}/Containerfile exists: nerdctl build fails",
                               action="add a Dockerfile to the context or pass -f")
        what = not_a_file(found)
        if what:
            return Result.fail(f"{found} is {what}, not a Dockerfile nerdctl can read",
                               action=f"make {os.path.basename(found)} a regular file")
        return Result.ok(f"Dockerfile {found}")

    checks = [Check("build.dockerfile", "build", "Build context and Dockerfile", dockerfile, source="build")]
    if host.windows:
        def drives(h: "Host", deps: Any) -> Result:
            """Rancher Desktop's nerdctl.exe turns drive paths into /mnt/<drive>/...; a path without a drive letter
            (UNC, \\\\wsl$\\...) is only slash-converted and names nothing inside its distro."""
            paths = [("CONTEXT", args.context)] + ([("-f", args.file)] if args.file else []) + [
                ("--secret src", s) for s in secret_sources(args)]
            full = [(what, p if (drive_path(p) or p.startswith(("\\\\", "//"))) else os.path.abspath(p))
                    for what, p in paths]
            bad = [(what, p) for what, p in full if not drive_path(p)]
            ev = {"paths": dict(full)}
            if bad:
                what, p = bad[0]
                wsl = p.startswith(("\\\\wsl$", "\\\\wsl.localhost", "//wsl$", "//wsl.localhost"))
                return Result.fail(
                    f"{what} {p} has no drive letter: Rancher Desktop's nerdctl.exe cannot hand it to its WSL distro",
                    evidence=ev, action=("run Tilt inside that WSL distro (with Rancher Desktop's WSL integration "
                                         "on)" if wsl else "keep the project on a drive (C:\\...)")
                    + " instead of building from a UNC path")
            return Result.ok("the build's files are on drives the WSL distro sees as /mnt/<drive>", evidence=ev)

        checks.append(Check("build.windows-paths", "build", "Build files on a drive", drives, source="build"))
    elif host.vm:
        def mounts(h: "Host", deps: Any) -> Result:
            roots = [os.path.realpath(m) if os.path.exists(m) else m for m in h.frontend.mounts()]
            paths = [("CONTEXT", os.path.realpath(args.context))]
            if args.file:
                paths.append(("-f", os.path.realpath(args.file)))
            for s in args.secret:
                for part in s.split(","):
                    if part.startswith(("src=", "source=")):
                        paths.append(("--secret", os.path.realpath(part.split("=", 1)[1])))
            outside = [(what, p) for what, p in paths
                       if not any(p == r or p.startswith(r.rstrip("/") + "/") for r in roots)]
            ev = {"mounts": roots, "paths": dict(paths)}
            if outside:
                what, p = outside[0]
                return Result.fail(f"{what} {p} is outside {h.frontend.label}'s mounts ({', '.join(roots)}): the "
                                   "build inside the VM cannot see it", evidence=ev,
                                   action=f"move the build under one of: {', '.join(roots)}")
            return Result.ok("the build's files are inside the VM's mounts", evidence=ev)

        checks.append(Check("build.vm-mounts", "build", "Build files visible inside the VM", mounts, source="build"))
    return checks


def preflight(args: argparse.Namespace, host: "Host", extra_ids: tuple[str, ...] = ()) -> tuple[list[CheckRun],
                                                                                                list[CheckRun]]:
    """Run the relevant checks concurrently: (the runs that failed, all runs)."""
    from ..registry import load_checks
    from ..runner import run_to_end, select

    all_checks = load_checks(timeout=host.timeout)
    known = {c.id for c in all_checks}
    ids = [i for i in (*PREFLIGHT_IDS, *host.frontend.preflight_checks, *extra_ids) if i in known]
    chosen = select(all_checks, ids) + build_checks(args, host)
    runs = run_to_end(chosen, host)
    return [r for r in runs if r.result.status in (Status.FAIL, Status.ERROR)], runs


def explain(runs: list[CheckRun], host: "Host", out: IO[str] | None = None) -> None:
    """The preflight's findings on stderr, for a person reading Tilt's log: what a tool printed into them is shown
    escaped, never interpreted by the terminal (evidence.clean)."""
    from ..evidence import clean
    from ..fixes.render import describe_fix

    out = out or sys.stderr
    for r in runs:
        out.write(clean(f"nerdctl-doctor: [{r.result.status.value}] {r.check.title} ({r.check.id}): "
                        f"{r.result.summary}") + "\n")
        if r.result.details:
            for ln in r.result.details.rstrip().splitlines():
                out.write(f"    {clean(ln)}\n")
        for f in r.result.fixes:
            out.write(f"  fix: nerdctl-doctor fix {f.id}\n")
            for ln in describe_fix(host, f)[1:]:
                out.write(f"  {clean(ln)}\n")
        if r.result.action and not r.result.fixes:
            out.write(f"  do: {clean(r.result.action)}\n")
    out.flush()


def recognise(text: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(why, ids) for rx, why, ids in KNOWN_FAILURES if rx.search(text)]
