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
from wheelenv import run  # noqa: E402


def timed(argv, env=None, runs=10) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        out.append(time.perf_counter() - t0)
    return out


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

    def budget(name: str, seconds: float, limit: float) -> None:
        nonlocal ok
        ratio = seconds / base
        good = ratio <= limit
        ok &= good
        print(f"{name}: {seconds * 1000:.0f} ms = {ratio:.1f}x interpreter start (budget {limit:g}x): "
              f"{'ok' if good else 'OVER BUDGET'}")

    empty = Sandbox()
    try:
        env = dict(empty.env)
        env.pop("STANDIN_LOG", None)
        budget("nerdctl-doctor --list-checks", statistics.median(timed([*doctor_argv(), "--list-checks"], env=env,
                                                                         runs=args.runs)), 3)
        budget("nerdctl-doctor --json, none of the tools", statistics.median(
            timed([*doctor_argv(), "--json", "--mode", "rootful"], env=env, runs=args.runs)), 5)
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
        t = statistics.median(timed([*doctor_argv(), "--json", "--mode", "rootful"], env=env, runs=args.runs))
        # the probes' share: the longest chain of prerequisites (checks run concurrently, each after its own)
        from nerdctl_doctor.registry import load_checks

        requires = {c.id: c.requires for c in load_checks()}
        dur = {c["id"]: c["duration_ms"] / 1000 for c in doc["checks"]}
        finish: dict[str, float] = {}

        def done(cid: str) -> float:
            if cid not in finish:
                finish[cid] = dur.get(cid, 0.0) + max((done(r) for r in requires.get(cid, ()) if r in dur), default=0.0)
            return finish[cid]

        chain = max(done(c) for c in dur)
        print(f"nerdctl-doctor --json, healthy host: {t * 1000:.0f} ms, of which the probes' longest chain "
              f"{chain * 1000:.0f} ms")
        budget("  the doctor's own work (run minus the probes' chain)", max(0.0, t - chain), 3)

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
