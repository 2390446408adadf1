"""`nerdctl-doctor build [options] CONTEXT`: the Tilt build backend (SPEC section 6)."""
from __future__ import annotations

import os
import sys
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from ..exitcodes import ExitCode, UsageError
from ..options import make_host

if TYPE_CHECKING:
    from typing import Sequence


def run(argv: Sequence[str]) -> int:
    from ..build.argv import nerdctl_argv, parse

    args = parse(list(argv))
    ref = args.ref or os.environ.get("EXPECTED_REF")
    if not ref:
        raise UsageError("build needs --ref or $EXPECTED_REF (Tilt sets it)")
    if args.dockerfile_contents_env is not None and not args.dockerfile_contents_env:
        raise UsageError("--dockerfile-contents-env needs the name of an environment variable")
    if args.dockerfile_contents_env and args.file:
        raise UsageError("--dockerfile-contents-env and -f/--file exclude each other")
    stdin_data = None
    if args.dockerfile_contents_env:
        var = args.dockerfile_contents_env
        if var not in os.environ:
            raise UsageError(f"--dockerfile-contents-env {var}: ${var} is not set")
        stdin_data = os.environb[var.encode()]
    host = make_host(args, flags={"address": args.address, "buildkit_host": args.buildkit_host})
    if host.windows and stdin_data is not None:
        # Rancher Desktop's nerdctl.exe turns `-f -` into a path: the text goes to a file under %TEMP% (never into
        # the context Tilt watches), removed afterwards
        if args.dry_run:
            return _dry_run(nerdctl_argv(args, ref, host.namespace, temp_dockerfile_name(host)))
        logical = temp_dockerfile_name(host)
        local = host.resolve(logical)
        try:
            from ..fileops import atomic_write

            atomic_write(local, stdin_data, mode=0o600)
        except OSError as exc:
            raise UsageError(f"cannot write the Dockerfile to {logical}: {exc.strerror or exc}") from None
        try:
            return _build(args, host, ref, nerdctl_argv(args, ref, host.namespace, logical), None)
        finally:
            try:
                os.unlink(local)
            except OSError:
                pass
    cmd = nerdctl_argv(args, ref, host.namespace)
    if args.dry_run:
        return _dry_run(cmd)
    return _build(args, host, ref, cmd, stdin_data)


def temp_dockerfile_name(host) -> str:
    import secrets

    temp = host.getenv("TEMP") or host.getenv("TMP") or host.join(host.getenv("LOCALAPPDATA") or "C:\\", "Temp")
    return host.join(temp, f"nerdctl-doctor-{secrets.token_hex(6)}.Dockerfile")


def _dry_run(cmd: list[str]) -> int:
    import shlex

    print(shlex.join(cmd))
    return ExitCode.OK


def _build(args, host, ref: str, cmd: list[str], stdin_data: bytes | None) -> int:
    from ..build import cache

    k = None
    if not args.no_preflight:
        k = cache.key(args, host)
        if not cache.hit(host, k):
            from ..build.preflight import explain, preflight

            host.touched = set()  # record what the preflight reads: the cached pass is valid while it stays so
            failed, runs = preflight(args, host)
            if failed:
                sys.stderr.write(f"nerdctl-doctor: not building {ref}: the preflight found what would make "
                                 "`nerdctl build` fail\n")
                explain(failed, host)
                return ExitCode.PROBLEMS
            cache.store(host, k, _live_sockets(runs, host), cache.files_read(args, host))
            host.touched = None
    from ..build.nerdctl import run as run_nerdctl

    code, text = run_nerdctl(host, cmd, stdin_data)
    if code != 0:
        if k:
            cache.drop(host, k)
        _explain_failure(args, host, code, text)
        return code if code > 0 else ExitCode.PROBLEMS  # nerdctl's own code; killed by a signal: 1
    if not args.no_verify:
        prefix = cmd[: cmd.index("build")]
        out = host.run([*prefix, "image", "inspect", ref], timeout=max(host.timeout, 30.0))
        if not out.ok:
            from ..build.preflight import explain, preflight
            from ..evidence import clean

            sys.stderr.write(f"nerdctl-doctor: the build succeeded but image {ref} is not in containerd namespace "
                             f"{host.namespace}" + (f" ({clean(out.output.strip().splitlines()[-1])})"
                                                    if out.output.strip()
                                                    else "") + ".\n  Likely cause: BuildKit's worker wrote it "
                             "elsewhere (another namespace or containerd), or a --platform other than this machine's "
                             "was exported; see `nerdctl-doctor --only buildkit`.\n")
            _, runs = preflight(args, host.fresh(), extra_ids=("buildkit.worker", "containerd.namespace"))
            explain([r for r in runs if r.result.status.value in ("warn", "fail", "error")], host)
            if k:
                cache.drop(host, k)
            return ExitCode.PROBLEMS
    if args.load == "auto":
        from ..build.load import load

        ok, msg = load(host, cmd[: cmd.index("build")], ref)
        if msg:
            from ..evidence import clean

            sys.stderr.write(f"nerdctl-doctor: {clean(msg)}\n")
        if not ok:
            return ExitCode.PROBLEMS
    return ExitCode.OK


def _live_sockets(runs: list, host) -> list[str]:
    """The sockets a cached pass depends on: the selected BuildKit daemon's and containerd's."""
    out = []
    for r in runs:
        ev = r.result.evidence if isinstance(r.result.evidence, dict) else {}
        if r.check.id == "buildkit.host" and isinstance(ev.get("selected"), str) and not host.vm:

            a = ev["selected"]
            if a.startswith("unix:"):
                out.append(a)
        if r.check.id == "containerd.socket" and isinstance(ev.get("socket"), dict):
            out.append("unix://" + ev["socket"]["path"])
    return out


def _explain_failure(args, host, code: int, text: str) -> None:
    from ..build.preflight import explain, preflight, recognise

    known = recognise(text)
    if code == 127 and not host.which("nerdctl"):
        known.append(("nerdctl is not on PATH", ("nerdctl.installed",)))
    if not known:
        return
    ids = tuple(dict.fromkeys(i for _, group in known for i in group))
    fresh = host.fresh()
    failed, runs = preflight(args, fresh, extra_ids=ids)
    sys.stderr.write(f"nerdctl-doctor: nerdctl build failed (exit {code}): {known[0][0]}\n")
    interesting = [r for r in runs if r.check.id in ids and r.result.status.value in ("fail", "error", "warn")]
    found = failed + [r for r in interesting if r not in failed]
    if found:
        explain(found, fresh)
    else:
        sys.stderr.write(f"nerdctl-doctor: checked {', '.join(ids)}: no problem found there, so the cause is likely "
                         "in the build itself (a missing image, a registry login, a typo).\n")
