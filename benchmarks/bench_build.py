#!/usr/bin/env python3
"""Build backend overhead (SPEC section 9): `nerdctl-doctor build` against running the same `nerdctl build` and
`nerdctl image inspect` by hand, on the first build (cold preflight) and with a cached preflight, as ratios to one
start of the doctor's own interpreter.

    .venv/bin/python benchmarks/bench_build.py [--runs N] [--check]

Budgets: overhead at most 8x one interpreter start cold, at most 2x cached.
"""
from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from harness import Sandbox  # noqa: E402
from wheelenv import floor_argv, probes_chain, run, stdlib_modules  # noqa: E402

UUID = "0f6e1c58-5a43-4c45-9c8a-3a3e6c0a4a11"


def once(argv, env, cwd) -> float:
    t0 = time.perf_counter()
    cp = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dt = time.perf_counter() - t0
    if cp.returncode != 0:
        raise SystemExit(f"{argv} exited {cp.returncode}")
    return dt


def main() -> int:
    return run(measure, runs=8)


def measure(args, python: str, doctor_cmd: list[str]) -> int:
    ok = True
    sb = Sandbox()
    try:
        sb.install("nerdctl")
        sb.install("buildctl")
        sb.hung_socket("/run/containerd/containerd.sock")
        sb.start_buildkitd("--oci-worker=false", "--containerd-worker=true", "--containerd-worker-namespace=k8s.io",
                           addr="unix:///run/buildkit-k8s.io/buildkitd.sock", env={"STANDIN_CONTAINERD_UUID": UUID})
        cache = sb.base / "cache"
        env = dict(sb.env, STANDIN_NERDCTL_STATE=str(sb.base / "state"), XDG_CACHE_HOME=str(cache),
                   EXPECTED_REF="app:tilt-1")
        env.pop("STANDIN_LOG", None)
        ctx = sb.base / "app"
        ctx.mkdir()
        (ctx / "Dockerfile").write_text("FROM alpine\n")
        direct = [str(sb.bin / "nerdctl"), "--namespace", "k8s.io", "build", "-t", "app:tilt-1", str(ctx)]
        inspect = [str(sb.bin / "nerdctl"), "--namespace", "k8s.io", "image", "inspect", "app:tilt-1"]
        doctor = [*doctor_cmd, "build", "--mode", "rootful", str(ctx)]
        once(doctor, env, str(sb.base))  # the cache holds a passing preflight now
        # the floor of the cached path: the interpreter plus exactly the standard-library modules it imports
        mods = stdlib_modules(python, doctor[1:], env, str(sb.base))
        # round after round, each command in turn: a slow spell of a shared machine slows all of them alike, and
        # each overhead is taken against the build by hand of the same round
        t: dict[str, list[float]] = {k: [] for k in ("pass", "hand", "cold", "cached", "floor")}
        for _ in range(args.runs):
            t["pass"].append(once([python, "-c", "pass"], None, None))
            hand = once(direct, env, str(sb.base)) + once(inspect, env, str(sb.base))
            t["hand"].append(hand)
            t["cached"].append(once(doctor, env, str(sb.base)) - hand)
            t["floor"].append(once(floor_argv(python, mods), env, None))
            shutil.rmtree(cache, ignore_errors=True)
            t["cold"].append(once(doctor, env, str(sb.base)) - hand)
        base, hand, floor = (statistics.median(t[k]) for k in ("pass", "hand", "floor"))
        print(f"interpreter start: {base * 1000:.1f} ms; nerdctl build + nerdctl image inspect by hand: "
              f"{hand * 1000:.0f} ms")
        for name, key, budget in (("first build (cold preflight)", "cold", 8.0), ("cached preflight", "cached", 2.0)):
            over = statistics.median(t[key])
            ratio = over / base
            good = ratio <= budget
            ok &= good
            print(f"{name}: overhead {over * 1000:.0f} ms = {ratio:.1f}x interpreter start (budget {budget}x): "
                  f"{'ok' if good else 'OVER BUDGET'}")
        # the preflight's probes: the longest chain of its checks' durations, from the diagnosis of the same checks
        # (each stand-in is a Python script: about an interpreter start or two, where the real tools are Go binaries)
        from nerdctl_doctor.build.preflight import PREFLIGHT_IDS

        chains = [probes_chain(subprocess.run([*doctor_cmd, "--json", "--mode", "rootful", "--only",
                                               ",".join(PREFLIGHT_IDS)], env=env, cwd=str(sb.base),
                                              capture_output=True, text=True).stdout) for _ in range(args.runs)]
        chain = statistics.median(chains)
        cold_own = statistics.median(t["cold"]) - chain
        print(f"    first build: of its overhead, the preflight's probes' longest chain {chain * 1000:.0f} ms "
              f"= {chain / base:.1f}x; the rest {cold_own * 1000:.0f} ms = {cold_own / base:.1f}x")
        own = statistics.median(t["cached"]) - floor
        print(f"    floor of the cached path: the interpreter plus the {len(mods)} standard-library modules it imports "
              f"= {floor * 1000:.0f} ms = {floor / base:.1f}x; the doctor's own share of the cached overhead above it "
              f"{own * 1000:.0f} ms = {own / base:.1f}x")
    finally:
        sb.cleanup()
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
