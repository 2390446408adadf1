#!/usr/bin/env python3
"""Speed budgets of SPEC section 9, measured as ratios to one start of the doctor's own interpreter
(`<its python> -c pass`) in the same run.

    .venv/bin/python benchmarks/bench.py [--runs N] [--check]

- `nerdctl-doctor --list-checks`: at most 3x (imports and plugin discovery).
- `nerdctl-doctor --json` on a host with none of the tools: at most 5x.
- `--json` on a healthy host (stand-ins plus a real containerd when this machine can run one): the doctor's own
  work (the run minus its slowest probe) within the start-up budget, 3x.
- One hung BuildKit socket (the first candidate accepts and never answers): the whole run ends within
  --timeout + 1 s of its start.
- TUI: the first screen within 1 s of the command starting.
With --check the exit code is 1 when a budget is exceeded (never used by the test suite: budgets are measured,
not asserted).
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from harness import Containerd, Sandbox  # noqa: E402
from wheelenv import floor_argv, probes_chain, run, stdlib_modules  # noqa: E402


def timed(argv, env=None, runs=10) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.append(time.perf_counter() - t0)
    return out


def interleaved(argvs: dict[str, list[str]], env, runs: int) -> dict[str, float]:
    """Median seconds of each command, run in turn round after round: a slow spell of a shared machine slows all of
    them alike instead of one (ratios are taken within the same rounds)."""
    times: dict[str, list[float]] = {k: [] for k in argvs}
    for _ in range(runs):
        for k, argv in argvs.items():
            t0 = time.perf_counter()
            subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[k].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


class _Skip(Exception):
    pass


def healthy_host(sb: Sandbox) -> Containerd | None:
    """A healthy rootful host: nerdctl, buildctl, a containerd-worker buildkitd for k8s.io, containerd, Tilt."""
    ctd = None
    import pytest

    try:
        ctd = Containerd(sb).start()
        ctd.create_namespace("k8s.io")
        sb.link_real("ctr")
        uuid = ctd.uuid()
    except (pytest.skip.Exception, pytest.fail.Exception) as exc:
        print(f"  (no real containerd: {exc}; using a stand-in UUID)")
        ctd = None
        uuid = "11111111-2222-3333-4444-555555555555"
    if (Path(__file__).parent.parent / "tests" / "standins" / "nerdctl").exists():
        sb.install("nerdctl")
    else:
        sb.script("nerdctl", 'case "$*" in *--version*) echo "nerdctl version 1.7.6";; *) echo k8s.io;; esac\n')
    sb.install("buildctl")
    sb.env["STANDIN_NERDCTL_NAMESPACES"] = "k8s.io"
    sb.write("/etc/nerdctl/nerdctl.toml", 'namespace = "k8s.io"\n')
    sb.write(f"{sb.home}/.kube/config", "apiVersion: v1\nkind: Config\ncurrent-context: admin@kubernetes\ncontexts:\n"
             "- name: admin@kubernetes\n  context: {cluster: kubernetes}\nclusters:\n- name: kubernetes\n  cluster: {}\n")
    sb.write("/var/lib/kubelet/kubeadm-flags.env",
             'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock"\n')
    sb.script("tilt", 'echo "v0.33.10, built 2023-12-15"\n')
    sb.write("/etc/buildkit/buildkitd.toml",
             '[worker.oci]\n  enabled = false\n[worker.containerd]\n  enabled = true\n  namespace = "k8s.io"\n')
    sb.start_buildkitd("--oci-worker=false", "--containerd-worker=true", "--containerd-worker-namespace=k8s.io",
                       addr="unix:///run/buildkit-k8s.io/buildkitd.sock", env={"STANDIN_CONTAINERD_UUID": uuid})
    return ctd


def main() -> int:
    return run(measure, runs=10)


def measure(args, python: str, doctor: list[str]) -> int:
    ok = True

    def doctor_argv() -> list[str]:
        return doctor

    base = statistics.median(timed([python, "-c", "pass"], runs=args.runs))
    print(f"interpreter start ({python} -c pass): {base * 1000:.1f} ms (median of {args.runs})")

    def budget(name: str, argv: list[str], env: dict[str, str], limit: float, minus=None) -> None:
        """``nerdctl-doctor ARGV`` against the interpreter start and against its floor: the interpreter plus exactly
        the standard-library modules the path imports, nothing of the doctor's (what any Python implementation of it
        pays). The three run in turn, round after round, so that a slow spell of a shared machine slows all three
        alike. ``minus(stdout)``: seconds of that very run that are not the doctor's own (its probes' chain)."""
        nonlocal ok
        mods = stdlib_modules(python, argv, env)
        cmds = {"pass": [python, "-c", "pass"], "doctor": [*doctor_argv(), *argv], "floor": floor_argv(python, mods)}
        times: dict[str, list[float]] = {k: [] for k in cmds}
        for _ in range(args.runs):
            for k, cmd in cmds.items():
                t0 = time.perf_counter()
                cp = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
                dt = time.perf_counter() - t0
                times[k].append(max(0.0, dt - minus(cp.stdout)) if k == "doctor" and minus else dt)
        b, seconds, floor = (statistics.median(times[k]) for k in ("pass", "doctor", "floor"))
        ratio = seconds / b
        good = ratio <= limit
        ok &= good
        print(f"{name}: {seconds * 1000:.0f} ms = {ratio:.1f}x interpreter start {b * 1000:.1f} ms (budget {limit:g}x): "
              f"{'ok' if good else 'OVER BUDGET'}")
        print(f"    floor: the interpreter plus the {len(mods)} standard-library modules this path imports = "
              f"{floor * 1000:.0f} ms = {floor / b:.1f}x; the doctor's own share above it "
              f"{(seconds - floor) * 1000:.0f} ms = {(seconds - floor) / b:.1f}x")

    empty = Sandbox()
    try:
        env = dict(empty.env)
        env.pop("STANDIN_LOG", None)
        budget("nerdctl-doctor --list-checks", ["--list-checks"], env, 3)
        budget("nerdctl-doctor --json, none of the tools", ["--json", "--mode", "rootful"], env, 5)
        code = ("import time, sys; from nerdctl_doctor.options import make_host; import argparse\n"
                "from nerdctl_doctor.registry import load_checks\nfrom nerdctl_doctor.tui import DoctorApp\n"
                "a = argparse.Namespace(root=None, namespace=None, mode='rootful', timeout=5.0, frontend='auto')\n"
                "app = DoctorApp(make_host(a), load_checks())\n"
                "async def go():\n    async with app.run_test() as p:\n        await p.pause()\n"
                "        print(time.time(), flush=True)\n"
                "import asyncio; asyncio.run(go())\n")
        start = time.time()
        cp = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True)
        first = float(cp.stdout.strip().splitlines()[0]) - start if cp.returncode == 0 else float("nan")
        good = first <= 1.0
        ok &= good
        print(f"TUI first screen: {first * 1000:.0f} ms after the command started (budget 1000 ms): "
              f"{'ok' if good else 'OVER BUDGET'}")
    finally:
        empty.cleanup()

    sb = Sandbox()
    ctd = None
    try:
        ctd = healthy_host(sb)
        env = dict(sb.env)
        env.pop("STANDIN_LOG", None)
        cp = subprocess.run([*doctor_argv(), "--json", "--mode", "rootful"], env=env, capture_output=True, text=True)
        import json

        doc = json.loads(cp.stdout)
        print(f"healthy host: exit {cp.returncode}, summary {doc['summary']}")
        bad = [f"{c['id']}={c['status']}" for c in doc["checks"] if c["status"] in ("fail", "error", "warn")]
        if bad:
            print(f"  (not fully healthy: {', '.join(bad)})")
        budget("nerdctl-doctor --json, healthy host: the doctor's own work (each run minus its probes' chain)",
               ["--json", "--mode", "rootful"], env, 3, minus=probes_chain)

        # one hung socket, as the first BuildKit candidate
        sb.hung_socket("/run/buildkit-default/buildkitd.sock")
        tmo = 1.0
        runs = timed([*doctor_argv(), "--json", "--mode", "rootful", "--timeout", str(tmo), "--namespace", "default"], env=env,
                     runs=max(3, args.runs // 3))
        worst = max(runs)
        verdict = "ok" if worst <= tmo + 1 else "OVER BUDGET"
        ok &= worst <= tmo + 1
        print(f"hung BuildKit socket, --timeout {tmo:g}: worst {worst:.2f} s (budget {tmo + 1:.1f} s): {verdict}")
    finally:
        try:
            if ctd:
                ctd.stop()
        finally:
            sb.cleanup()
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
