"""`nerdctl-doctor build`: the Tilt build backend (SPEC section 6), and `tilt-extension`.

    nerdctl [--address A] --namespace NS build [--buildkit-host H] [--build-arg K=V]... [-f FILE | -f -]
            [--target T] [--ssh S]... [--secret S]... [--platform P] [-t EXTRA]... [--cache-from C]... -t REF CONTEXT

Before nerdctl runs, a preflight (the doctor's own checks, concurrently) turns Tilt's opaque `exit status 127` or
`no buildkit host is available` into the cause and its fix. A passing preflight is cached, keyed on cheap stat()
identities of everything it read, so a rebuild loop pays for it once. nerdctl's output streams through unchanged
and its exit code is ours; known upstream failures get their cause appended; afterwards the image must be in the
target namespace.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from .cli import UsageError, add_common

PREFLIGHT_IDS = ("nerdctl.installed", "buildkit.buildctl", "buildkit.host", "containerd.socket")
VM_IDS = ("rd.engine",)
CACHE_MAX_AGE = 3600.0
DOCKERFILE_ENV_DEFAULT = "NERDCTL_DOCTOR_DOCKERFILE"
VM_MOUNTS_LINUX = ("{home}", "/tmp/rancher-desktop")
VM_MOUNTS_DARWIN = ("{home}", "/tmp/rancher-desktop", "/Volumes", "/var/folders", "/private/tmp")

KNOWN_FAILURES = [
    (re.compile(r"no buildkit host is available"), "no BuildKit daemon answered nerdctl",
     ("buildkit.buildctl", "buildkit.host", "buildkit.daemon")),
    (re.compile(r"pull access denied|failed to resolve source metadata|: not found", re.I),
     "a FROM image was not found: with the OCI worker, or a containerd worker of another namespace, images in "
     "containerd (including ones you built) are invisible to the build", ("buildkit.host", "buildkit.worker")),
    (re.compile(r"failed to create lease"), "nerdctl talks to a containerd (or namespace) the build cannot use",
     ("containerd.socket", "containerd.namespace", "buildkit.worker")),
    (re.compile(r"no image was built"), "BuildKit built nothing into containerd", ("buildkit.worker",)),
    (re.compile(r"rootless containerd not running\?"), "rootless containerd is not running",
     ("containerd.socket", "rootless.prereqs")),
    (re.compile(r"Rancher Desktop is not running"), "Rancher Desktop is not running",
     ("rd.running", "rd.engine")),
]


# --------------------------------------------------------------------------- options and argv


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="nerdctl-doctor build",
                                description="Build an image for Tilt with nerdctl, diagnosing before and after.")
    p.add_argument("context", metavar="CONTEXT")
    p.add_argument("--ref", help="image reference (default $EXPECTED_REF, set by Tilt)")
    p.add_argument("--build-arg", action="append", default=[], metavar="K=V")
    p.add_argument("-f", "--file", metavar="FILE")
    p.add_argument("--dockerfile-contents-env", metavar="VAR",
                   help="read the Dockerfile text from env VAR and give it to nerdctl on stdin (-f -)")
    p.add_argument("--target")
    p.add_argument("--ssh", action="append", default=[])
    p.add_argument("--secret", action="append", default=[])
    p.add_argument("--extra-tag", action="append", default=[])
    p.add_argument("--cache-from", action="append", default=[])
    p.add_argument("--platform")
    p.add_argument("--buildkit-host", metavar="H")
    p.add_argument("--address", metavar="A", help="containerd address for nerdctl")
    p.add_argument("--dry-run", action="store_true", help="print the nerdctl argv and exit")
    p.add_argument("--no-preflight", action="store_true")
    p.add_argument("--no-verify", action="store_true")
    add_common(p)
    return p


def nerdctl_argv(args, ref: str, namespace: str) -> list[str]:
    argv = ["nerdctl"]
    if args.address:
        argv += ["--address", args.address]
    argv += ["--namespace", namespace, "build"]
    if args.buildkit_host:
        argv += ["--buildkit-host", args.buildkit_host]
    for ba in args.build_arg:
        argv += ["--build-arg", ba]
    if args.dockerfile_contents_env:
        argv += ["-f", "-"]
    elif args.file:
        argv += ["-f", args.file]
    if args.target:
        argv += ["--target", args.target]
    for s in args.ssh:
        argv += ["--ssh", s]
    for s in args.secret:
        argv += ["--secret", s]
    if args.platform:
        argv += ["--platform", args.platform]
    for t in args.extra_tag:
        argv += ["-t", t]
    for c in args.cache_from:
        argv += ["--cache-from", c]
    argv += ["-t", ref, args.context]
    return argv


def dockerfile_for(args) -> str | None:
    """The Dockerfile nerdctl will use: -f relative to the current directory; else CONTEXT/Dockerfile, else
    CONTEXT/Containerfile (Dockerfile wins when both exist)."""
    if args.dockerfile_contents_env:
        return None
    if args.file:
        return os.path.abspath(args.file)
    for name in ("Dockerfile", "Containerfile"):
        p = os.path.join(os.path.abspath(args.context), name)
        if os.path.exists(p):
            return p
    return None


# --------------------------------------------------------------------------- build-specific checks


def build_checks(args, host):
    from .model import Check, Result

    def dockerfile(h, deps) -> Result:
        ctx = os.path.abspath(args.context)
        if not os.path.isdir(ctx):
            return Result.fail(f"build context {args.context} is not a directory ({ctx})")
        if args.dockerfile_contents_env:
            return Result.ok(f"Dockerfile from ${args.dockerfile_contents_env} on nerdctl's stdin")
        if args.file:
            p = os.path.abspath(args.file)
            if not os.path.isfile(p):
                return Result.fail(f"Dockerfile {args.file} does not exist ({p}; -f is relative to the current "
                                   f"directory {os.getcwd()})")
            return Result.ok(f"Dockerfile {p}")
        p = dockerfile_for(args)
        if p is None:
            return Result.fail(f"neither {ctx}/Dockerfile nor {ctx}/Containerfile exists: nerdctl build fails")
        return Result.ok(f"Dockerfile {p}")

    checks = [Check("build.dockerfile", "build", "Build context and Dockerfile", dockerfile, source="build")]
    if host.vm:
        def mounts(h, deps) -> Result:
            home = h.home or "~"
            tmpl = VM_MOUNTS_DARWIN if sys.platform == "darwin" else VM_MOUNTS_LINUX
            roots = [m.format(home=home) for m in tmpl]
            paths = [("CONTEXT", os.path.abspath(args.context))]
            if args.file:
                paths.append(("-f", os.path.abspath(args.file)))
            for s in args.secret:
                for part in s.split(","):
                    if part.startswith("src=") or part.startswith("source="):
                        paths.append(("--secret", os.path.abspath(part.split("=", 1)[1])))
            outside = [(what, p) for what, p in paths
                       if not any(p == r or p.startswith(r.rstrip("/") + "/") for r in roots)]
            ev = {"mounts": roots, "paths": dict(paths)}
            if outside:
                what, p = outside[0]
                return Result.fail(f"{what} {p} is outside the Rancher Desktop VM's mounts ({', '.join(roots)}): the "
                                   "build inside the VM cannot see it", evidence=ev)
            return Result.ok("the build's files are inside the VM's mounts", evidence=ev)

        checks.append(Check("build.vm-mounts", "build", "Build files visible inside the Rancher Desktop VM", mounts,
                            source="build"))
    return checks


# --------------------------------------------------------------------------- preflight and its cache


def _stat_id(path: str | None) -> list:
    if not path:
        return [None]
    try:
        st = os.stat(path)
        return [path, st.st_ino, st.st_mtime_ns, st.st_size, st.st_mode]
    except OSError as exc:
        return [path, exc.errno]


def cache_key(args, host) -> str:
    """Everything the preflight read, as cheap stat() identities."""
    from .facts import buildkit_candidates as candidates
    from .facts import containerd_target, nerdctl_toml_path, physical_address

    env_keys = ("PATH", "HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "CONTAINERD_ADDRESS", "CONTAINERD_NAMESPACE",
                "CONTAINERD_SNAPSHOTTER", "BUILDKIT_HOST", "NERDCTL_TOML", "ROOTLESSKIT_STATE_DIR")
    parts: list[Any] = [2, str(host.root), host.mode, host.namespace, args.address, args.buildkit_host,
                        os.path.abspath(args.context), args.file and os.path.abspath(args.file),
                        args.dockerfile_contents_env, args.secret, os.getcwd(),
                        {k: host.env.get(k) for k in env_keys}]
    parts.append([_stat_id(d) for d in host.path_entries()])
    for tool in ("nerdctl", "buildctl"):
        parts.append(_stat_id(host.which(tool)))
    toml, _ = nerdctl_toml_path(host)
    parts.append(_stat_id(toml and host.resolve(toml)))
    parts.append(_stat_id(host.resolve("/etc/buildkit/buildkitd.toml")))
    for c in candidates(host):
        a = physical_address(host, c["address"])
        parts.append(_stat_id(a[len("unix://"):] if a.startswith("unix://") else None))
    t = containerd_target(host)
    parts.append(_stat_id(t.path and host.resolve(t.path)))
    parts.append(_stat_id(dockerfile_for(args)))
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def cache_dir(host) -> str | None:
    x = host.getenv("XDG_CACHE_HOME")
    if x:
        return os.path.join(x, "nerdctl-doctor")
    return os.path.join(host.home, ".cache", "nerdctl-doctor") if host.home else None


def cache_hit(host, key: str) -> bool:
    d = cache_dir(host)
    if not d:
        return False
    try:
        with open(os.path.join(d, f"preflight-{key}.json")) as fh:
            doc = json.load(fh)
        return bool(doc.get("ok")) and time.time() - float(doc.get("time", 0)) < CACHE_MAX_AGE
    except (OSError, ValueError, TypeError, AttributeError):
        return False  # a missing or corrupt cache entry is a miss


def cache_store(host, key: str) -> None:
    d = cache_dir(host)
    if not d:
        return
    try:
        from .fixes.apply import atomic_write

        atomic_write(os.path.join(d, f"preflight-{key}.json"), json.dumps({"ok": True, "time": time.time()}).encode())
    except OSError:
        pass  # a cache that cannot be written only costs time


def preflight(args, host, extra_ids: tuple[str, ...] = ()):
    """Run the relevant checks concurrently. Returns the CheckRuns that failed (fail/error)."""
    from .model import Status
    from .registry import load_checks
    from .runner import RunFinished, run_checks, select

    all_checks = load_checks()
    ids = list(PREFLIGHT_IDS) + (list(VM_IDS) if host.vm else []) + list(extra_ids)
    chosen = select(all_checks, [i for i in ids if i in {c.id for c in all_checks}])
    chosen = chosen + build_checks(args, host)
    runs = []
    for ev in run_checks(chosen, host):
        if isinstance(ev, RunFinished):
            runs = ev.runs
    return [r for r in runs if r.result.status in (Status.FAIL, Status.ERROR)], runs


def explain(runs, out=sys.stderr, host=None) -> None:
    from .fixes.render import describe_fix

    for r in runs:
        out.write(f"nerdctl-doctor: [{r.result.status.value}] {r.check.title} ({r.check.id}): {r.result.summary}\n")
        if r.result.details:
            for ln in r.result.details.rstrip().splitlines():
                out.write(f"    {ln}\n")
        for f in r.result.fixes:
            out.write(f"  fix: nerdctl-doctor fix {f.id}\n")
            if host is not None:
                for ln in describe_fix(host, f)[1:]:
                    out.write(f"  {ln}\n")
    out.flush()


# --------------------------------------------------------------------------- running nerdctl


def run_nerdctl(host, argv: list[str], stdin_data: bytes | None) -> tuple[int, str]:
    """Run nerdctl without a shell; its stdout and stderr stream through unchanged (and a copy is kept to
    recognise known failures). Returns (exit code, captured text)."""
    exe = host.which(argv[0]) or argv[0]
    captured: list[bytes] = []
    lock = threading.Lock()
    try:
        proc = subprocess.Popen([exe, *argv[1:]], stdin=subprocess.PIPE if stdin_data is not None else None,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=host.env)
    except OSError as exc:
        sys.stderr.write(f"nerdctl-doctor: cannot run {exe}: {exc.strerror or exc}\n")
        return 127, ""

    def pump(src, dst) -> None:
        for chunk in iter(lambda: src.read1(65536) if hasattr(src, "read1") else src.read(65536), b""):
            dst.write(chunk)
            dst.flush()
            with lock:
                if sum(map(len, captured)) < (4 << 20):
                    captured.append(chunk)

    threads = [threading.Thread(target=pump, args=(proc.stdout, sys.stdout.buffer), daemon=True),
               threading.Thread(target=pump, args=(proc.stderr, sys.stderr.buffer), daemon=True)]
    for t in threads:
        t.start()

    def forward(signum, frame):
        try:
            proc.send_signal(signum)
        except OSError:
            pass

    old = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        if stdin_data is not None:
            try:
                proc.stdin.write(stdin_data)
                proc.stdin.close()
            except BrokenPipeError:
                pass
        code = proc.wait()
        for t in threads:
            t.join()
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    return code, b"".join(captured).decode("utf-8", "replace")


def verify(host, args, ref: str, namespace: str) -> tuple[bool, str]:
    argv = ["nerdctl"] + (["--address", args.address] if args.address else []) + \
        ["--namespace", namespace, "image", "inspect", ref]
    out = host.run(argv, timeout=max(host.timeout, 30.0))
    if out.ok:
        return True, ""
    return False, out.output


# --------------------------------------------------------------------------- the command


def cmd_build(argv) -> int:
    from .cli import make_host

    args = parser().parse_args(argv)
    ref = args.ref or os.environ.get("EXPECTED_REF")
    if not ref:
        raise UsageError("build needs --ref or $EXPECTED_REF (Tilt sets it)")
    if args.dockerfile_contents_env and args.file:
        raise UsageError("--dockerfile-contents-env and -f/--file exclude each other")
    stdin_data = None
    if args.dockerfile_contents_env:
        var = args.dockerfile_contents_env
        if var not in os.environ:
            raise UsageError(f"--dockerfile-contents-env {var}: ${var} is not set")
        stdin_data = os.environb[var.encode()] if hasattr(os, "environb") else os.environ[var].encode()
    host = make_host(args)
    host.flags = {"address": args.address, "buildkit_host": args.buildkit_host}
    namespace = host.namespace
    argv_ = nerdctl_argv(args, ref, namespace)
    if args.dry_run:
        print(shlex.join(argv_))
        return 0
    key = None
    if not args.no_preflight:
        key = cache_key(args, host)
        if not cache_hit(host, key):
            failed, _ = preflight(args, host)
            if failed:
                sys.stderr.write(f"nerdctl-doctor: not building {ref}: the preflight found what would make "
                                 "`nerdctl build` fail\n")
                explain(failed, host=host)
                return 1
            cache_store(host, key)
    code, text = run_nerdctl(host, argv_, stdin_data)
    if code != 0:
        known = [(why, ids) for rx, why, ids in KNOWN_FAILURES if rx.search(text)]
        if code == 127 and not host.which("nerdctl"):
            known.append(("nerdctl is not on PATH", ("nerdctl.installed",)))
        if known:
            ids = tuple(dict.fromkeys(i for _, group in known for i in group))
            fresh = host.fresh()
            failed, runs = preflight(args, fresh, extra_ids=ids)
            sys.stderr.write(f"nerdctl-doctor: nerdctl build failed (exit {code}): {known[0][0]}\n")
            interesting = [r for r in runs if r.check.id in ids and r.result.status.value in ("fail", "error", "warn")]
            found = failed + [r for r in interesting if r not in failed]
            if found:
                explain(found, host=fresh)
            else:
                sys.stderr.write(f"nerdctl-doctor: checked {', '.join(ids)}: no problem found there, so the cause "
                                 "is likely in the build itself (a missing image, a registry login, a typo).\n")
        return code
    if args.no_verify:
        return 0
    ok, output = verify(host, args, ref, namespace)
    if ok:
        return 0
    sys.stderr.write(f"nerdctl-doctor: the build succeeded but image {ref} is not in containerd namespace "
                     f"{namespace}" + (f" ({output.strip().splitlines()[-1]})" if output.strip() else "") + ".\n"
                     "  Likely cause: BuildKit's worker wrote it elsewhere (another namespace or containerd), or a "
                     "--platform other than this machine's was exported; see `nerdctl-doctor --only buildkit`.\n")
    _, runs = preflight(args, host.fresh(), extra_ids=("buildkit.worker", "containerd.namespace"))
    explain([r for r in runs if r.result.status.value in ("warn", "fail", "error")], host=host)
    return 1


# --------------------------------------------------------------------------- tilt-extension


def extension_dir(host_env: dict | None = None) -> str:
    env = os.environ if host_env is None else host_env
    base = env.get("XDG_DATA_HOME") or (os.path.join(env["HOME"], ".local", "share") if env.get("HOME") else None)
    if not base:
        raise UsageError("neither XDG_DATA_HOME nor HOME is set: nowhere to put the Tilt extension")
    return os.path.join(base, "nerdctl-doctor", "tilt-extensions")


def render_tiltfile(argv_prefix: list[str]) -> str:
    from importlib.resources import files

    tmpl = files("nerdctl_doctor").joinpath("tilt", "nerdctl_doctor", "Tiltfile").read_text()
    return tmpl.replace("__NERDCTL_DOCTOR_ARGV__", json.dumps(argv_prefix))


def cmd_tilt_extension(argv) -> int:
    p = argparse.ArgumentParser(prog="nerdctl-doctor tilt-extension",
                                description="Print a directory usable as a Tilt extension repo: "
                                            "v1alpha1.extension_repo(name='nerdctl-doctor', url='file://' + DIR)")
    p.parse_args(argv)
    d = extension_dir()
    # this very installation, by absolute path: a Tilt started from an IDE lacks the shell's PATH
    text = render_tiltfile([os.path.realpath(sys.executable), "-m", "nerdctl_doctor", "build"])
    path = os.path.join(d, "nerdctl_doctor", "Tiltfile")
    try:
        with open(path) as fh:
            same = fh.read() == text
    except OSError:
        same = False
    if not same:
        from .fixes.apply import atomic_write

        atomic_write(path, text.encode())
    print(d)
    return 0
