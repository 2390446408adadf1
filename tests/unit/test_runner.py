"""The runner in-process: the order checks are launched in, and what a chain of prerequisites does to it."""
from __future__ import annotations

from nerdctl_doctor.events import CheckStarted, RunFinished
from nerdctl_doctor.host.core import Host
from nerdctl_doctor.model import Check, Result, Status
from nerdctl_doctor.runner import run_checks


def ok(host, deps):
    return Result.ok("fine")


def check(cid: str, *requires: str) -> Check:
    return Check(id=cid, category=cid.split(".")[0], title=cid, func=ok, requires=requires)


def host(tmp_path) -> Host:
    return Host(root=str(tmp_path), env={"PATH": str(tmp_path)}, mode="rootful", timeout=5.0)


def started(checks, tmp_path) -> list[str]:
    return [ev.check.id for ev in run_checks(checks, host(tmp_path)) if isinstance(ev, CheckStarted)]


def test_the_head_of_the_longest_chain_starts_first(tmp_path):
    # registration order a, b, c, d; c waits on b and d on c: b bounds the run, so it is launched before a
    order = started([check("x.a"), check("x.b"), check("x.c", "x.b"), check("x.d", "x.c")], tmp_path)
    assert order[0] == "x.b"
    assert order.index("x.c") < order.index("x.d")


def test_without_prerequisites_registration_order_holds(tmp_path):
    assert started([check(f"x.{i}") for i in range(6)], tmp_path) == [f"x.{i}" for i in range(6)]


def test_a_long_chain_and_a_cycle_still_run(tmp_path):
    from nerdctl_doctor.runner import _critical_first

    # ordering a chain deeper than Python's recursion limit (a plugin's) needs no recursion
    deep = [check("p.0")] + [check(f"p.{i}", f"p.{i - 1}") for i in range(1, 3000)]
    assert [c.id for c in _critical_first(deep)] == [c.id for c in deep]
    chain = [check("p.0")] + [check(f"p.{i}", f"p.{i - 1}") for i in range(1, 50)]
    cycle = [check("q.a", "q.b"), check("q.b", "q.a")]
    runs = next(ev for ev in run_checks([*cycle, *chain], host(tmp_path)) if isinstance(ev, RunFinished)).runs
    status = {r.check.id: r.result.status for r in runs}
    assert status["p.49"] is Status.OK and status["q.a"] is Status.ERROR


def test_the_switch_interval_is_short_while_checks_run_and_restored_after(tmp_path):
    import sys

    from nerdctl_doctor.runner import SWITCH_INTERVAL

    seen = []

    def probe(host, deps):
        seen.append(sys.getswitchinterval())
        return Result.ok("fine")

    before = sys.getswitchinterval()
    list(run_checks([Check(id="x.a", category="x", title="a", func=probe)], host(tmp_path)))
    assert seen == [SWITCH_INTERVAL] and SWITCH_INTERVAL < before
    assert sys.getswitchinterval() == before
