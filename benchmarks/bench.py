#!/usr/bin/env python3
"""Speed budgets of SPEC section 8, measured as ratios to one interpreter start in the same run.

    python3 benchmarks/bench.py [--runs N] [--check]

- `nerdctl-doctor --json` on a healthy host (stand-ins plus a real containerd when this machine can run one):
  at most 7x `python3 -c pass`.
- One hung BuildKit socket (the first candidate accepts and never answers): the whole run ends within
  --timeout + 1 s of its start.
With --check the exit code is 1 when a budget is exceeded (never used by the test suite: budgets are measured,
not asserted).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from harness import Containerd, Sandbox, doctor_argv  # noqa: E402


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
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--check", action="store_true", help="exit 1 when a budget is exceeded")
    args = ap.parse_args()
    ok = True

    base = statistics.median(timed([sys.executable, "-c", "pass"], runs=args.runs))
    print(f"interpreter start (python3 -c pass): {base * 1000:.0f} ms (median of {args.runs})")

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
        ratio = t / base
        verdict = "ok" if ratio <= 7 else "OVER BUDGET"
        ok &= ratio <= 7
        print(f"nerdctl-doctor --json, healthy host: {t * 1000:.0f} ms = {ratio:.1f}x interpreter start "
              f"(budget 7x): {verdict}")

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
