"""The TUI: Pilot tests (navigation, fix confirm and cancel, re-run, export), snapshots of the main states, and a
smoke test of the real command in tmux."""
import asyncio
import json
import os
import shutil
import subprocess
import time

import pytest

import scenarios
from harness import Sandbox, doctor_argv

SNAP_BASE = "/tmp/nd-snap-{}"


def make_app(sb, scenario, size_check=True, **kw):
    from nerdctl_doctor.registry import load_checks
    from nerdctl_doctor.tui import DoctorApp

    mode = scenarios.SCENARIOS[scenario](sb)
    host = sb.host(mode=mode)
    checks = load_checks()
    return DoctorApp(host, checks, spinner=kw.pop("spinner", False), **kw)


async def settle(pilot, app, timeout=20.0):
    deadline = time.monotonic() + timeout
    await pilot.pause()
    while (app.running or len(app.runs) < len(app.checks)) and time.monotonic() < deadline:
        await pilot.pause(0.05)
    await pilot.pause()
    await pilot.pause()
    assert not app.running, "the run did not finish"


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def sb():
    s = Sandbox()
    yield s
    s.cleanup()


def test_results_fill_in_and_navigation(sb):
    app = make_app(sb, "healthy")

    async def go():
        async with app.run_test(size=(100, 32)) as pilot:
            await settle(pilot, app)
            # no failure: categories with nothing to act on are folded; the cursor waits on the one warning
            assert app.selected_id() == "kube.context"
            assert "No check failed" in str(app.query_one("#nextsteps").render())
            assert "kube.context" in str(app.query_one("#nextsteps").render())
            app.query_one("Tree").move_cursor(app.categories["nerdctl"])
            await pilot.pause()
            assert "nerdctl.installed" in str(app.query_one("#detail").render())
            await pilot.press("enter")  # unfold
            await pilot.press("j")
            assert app.selected_id() == "nerdctl.installed"
            assert "nerdctl on PATH" in str(app.query_one("#detail").render())
            await pilot.press("j")
            assert app.selected_id() == "nerdctl.version"
            await pilot.press("down", "down")  # through the category node
            await pilot.press("k")
            assert app.selected_id() in ("nerdctl.config", None)
            labels = {cid: str(node.label) for cid, node in app.nodes.items()}
            assert labels["buildkit.worker"].startswith("✓ ok")
            assert labels["rd.installed"].startswith("- skip")
            summary = str(app.query_one("#summary").render())
            assert "0 fail" in summary
            await pilot.press("q")
        return app.return_value

    assert run(go()) == 0


def test_fix_cancel_changes_nothing_and_confirm_applies_and_rechecks(sb):
    app = make_app(sb, "rootless-oci")

    async def go():
        async with app.run_test(size=(100, 32)) as pilot:
            await settle(pilot, app)
            assert app.runs["buildkit.worker"].result.status.value == "warn"
            app.query_one("Tree").move_cursor(app.nodes["buildkit.worker"])
            await pilot.pause()
            await pilot.press("f")
            await pilot.pause()
            from nerdctl_doctor.tui import ConfirmFix, RunFix

            assert isinstance(app.screen, ConfirmFix)
            steps = str(app.screen.query_one("#steps").render())
            assert "containerd-rootless-setuptool.sh install-buildkit-containerd" in steps
            assert "CONTAINERD_NAMESPACE=k8s.io" in steps
            await pilot.press("n")
            await pilot.pause()
            assert not isinstance(app.screen, ConfirmFix)
            assert sb.calls("containerd-rootless-setuptool.sh") == []
            await pilot.press("f")
            await pilot.pause()
            await pilot.press("y")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                await pilot.pause(0.1)
                if isinstance(app.screen, RunFix) and app.screen.result is not None:
                    break
            assert isinstance(app.screen, RunFix)
            res = app.screen.result
            assert res.applied and res.resolved, [(r.check.id, r.result.summary) for r in res.recheck]
            outcome = str(app.screen.query_one("#outcome").render())
            assert "the problem is gone" in outcome
            await pilot.press("escape")
            await pilot.pause()
            assert app.runs["buildkit.worker"].result.status.value == "ok"
            assert str(app.nodes["buildkit.worker"].label).startswith("✓ ok")
            await pilot.press("q")

    run(go())
    assert sb.calls("containerd-rootless-setuptool.sh") == [["install-buildkit-containerd"]]


def test_rerun_and_export(sb, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(sb, "rd-broken")

    async def go():
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            first = dict(app.runs)
            assert first["rd.engine"].result.status.value == "fail"
            # the user switches the engine; r re-runs everything against a fresh host
            sb.write(f"{sb.home}/Library/Preferences/rancher-desktop/settings.json",
                     '{"containerEngine": {"name": "containerd"}}')  # the scenario is a Mac
            await pilot.press("r")
            await settle(pilot, app)
            assert app.runs["rd.engine"].result.status.value == "ok"
            await pilot.press("e")
            await pilot.pause()
            await pilot.press("question_mark")
            await pilot.pause()
            from nerdctl_doctor.tui import HelpScreen

            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
            await pilot.press("q")
        return app.return_value

    assert run(go()) == 1
    (report,) = list(tmp_path.glob("nerdctl-doctor-report-*.json"))
    from harness import validate

    doc = validate(json.loads(report.read_text()))
    assert {c["id"]: c["status"] for c in doc["checks"]}["rd.engine"] == "ok"


# ---------------------------------------------------------------------------------------------- snapshots


def snapshot_app(name):
    sb = Sandbox(base=SNAP_BASE.format(name))
    return sb, make_app(sb, name)


async def _settle_before(pilot):
    await settle(pilot, pilot.app)


@pytest.mark.parametrize("name", ["healthy", "rd-broken", "rootless-oci"])
def test_snapshot_main_states(snap_compare, name):
    sb, app = snapshot_app(name)
    try:
        assert snap_compare(app, terminal_size=(100, 32), run_before=_settle_before)
    finally:
        sb.cleanup()


def test_snapshot_fix_confirmation(snap_compare):
    sb, app = snapshot_app("rootless-oci")

    async def before(pilot):
        await settle(pilot, pilot.app)
        pilot.app.query_one("Tree").move_cursor(pilot.app.nodes["buildkit.worker"])
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()

    try:
        assert snap_compare(app, terminal_size=(100, 32), run_before=before)
    finally:
        sb.cleanup()


# ---------------------------------------------------------------------------------------------- tmux smoke test


@pytest.mark.skipif(shutil.which("tmux") is None and os.environ.get("CI") != "true", reason="tmux is not installed")
def test_real_command_in_tmux(sb):
    mode = scenarios.SCENARIOS["rd-broken"](sb)
    env = " ".join(f"{k}={v}" for k, v in {**sb.env, "TERM": "xterm-256color"}.items())
    marker = sb.base / "exit-code"
    cmd = f"env -i {env} {' '.join(doctor_argv())} --mode {mode}; echo $? > {marker}"
    name = f"nd-smoke-{os.getpid()}"
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", "80", "-y", "24", cmd], check=True)
    try:
        screen = ""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True).stdout
            if "fail" in screen and "....  " not in screen and "Quit" in screen:
                break
            time.sleep(0.3)
        assert "namespace k8s.io" in screen and "✗ fail" in screen and "q Quit" in screen, screen
        subprocess.run(["tmux", "send-keys", "-t", name, "q"], check=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not marker.exists():
            time.sleep(0.2)
        assert marker.read_text().strip() == "1"  # problems found: the same exit code as --json
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)


# ------------------------------------------------------------------ what a person sees (issue 14)


def test_ctrl_c_quits_with_130_and_leaves_a_summary_with_next_steps(sb):
    app = make_app(sb, "rd-broken")

    async def go():
        async with app.run_test(size=(100, 32)) as pilot:
            await settle(pilot, app)
            await pilot.press("ctrl+c")
        return app.return_value

    assert run(go()) == 130
    text = app.farewell()
    assert "fail" in text.splitlines()[0] and "Next steps, in this order:" in text
    assert "1. [rd.engine]" in text  # the root cause first


def test_80x24_leads_with_next_steps_keeps_problems_in_view_and_cuts_with_an_ellipsis(sb):
    app = make_app(sb, "rd-broken")

    async def go():
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            await pilot.pause()
            nxt = str(app.query_one("#nextsteps").render())
            assert nxt.startswith("Next steps, in this order:") and "rd.engine" in nxt
            assert str(app.query_one("#hostline").render()).startswith("nerdctl-doctor ")
            assert app.selected_id() == "rd.engine"  # the cursor waits on the first step, scrolled into view
            tree = app.query_one("Tree")
            lines = [tree.get_node_at_line(i) for i in range(tree.last_line + 1)]
            line = [n.data for n in lines if n is not None].index("rd.engine")
            top = int(tree.scroll_offset.y)
            assert top <= line < top + tree.scrollable_content_region.height
            cut = [str(n.label) for n in lines if n is not None and str(n.label).endswith("…")]
            width = app.label_width()
            assert all(len(str(n.label)) <= width for n in lines if n is not None and n.data in app.nodes)
            assert cut, "at 80 columns some titles must be cut, and cut ones end with an ellipsis"

    run(go())


def test_80x24_healthy_shows_every_category_kube_and_tilt_included(sb):
    app = make_app(sb, "healthy")

    async def go():
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            tree = app.query_one("Tree")
            lines = [tree.get_node_at_line(i) for i in range(tree.last_line + 1)]
            rows = [n.data for n in lines if n is not None]
            assert len(rows) <= tree.scrollable_content_region.height
            assert "category:kube" in rows and "category:tilt" in rows

    run(go())


def test_a_category_row_shows_its_checks_not_the_previous_check(sb):
    app = make_app(sb, "rd-broken")

    async def go():
        async with app.run_test(size=(100, 32)) as pilot:
            await settle(pilot, app)
            tree = app.query_one("Tree")
            tree.move_cursor(app.categories["buildkit"])
            await pilot.pause()
            detail = str(app.query_one("#detail").render())
            assert detail.startswith("buildkit") and "buildkit.host" in detail and "buildkit.worker" in detail

    run(go())


def test_advice_only_fix_shows_text_without_apply(sb):
    app = make_app(sb, "no-buildkit")

    async def go():
        async with app.run_test(size=(100, 32)) as pilot:
            await settle(pilot, app)
            app.query_one("Tree").move_cursor(app.nodes["buildkit.buildctl"])
            await pilot.pause()
            await pilot.press("f")
            await pilot.pause()
            from nerdctl_doctor.tui import ConfirmFix

            assert isinstance(app.screen, ConfirmFix)
            assert not app.screen.query("#apply")
            body = str(app.screen.query_one("#steps").render())
            assert "Install BuildKit" in body
            assert "Nothing changes until you press Apply" not in str(app.screen.query_one("#dialog").render())
            await pilot.press("y")  # no effect: there is nothing to apply
            await pilot.pause()
            assert isinstance(app.screen, ConfirmFix)
            await pilot.press("escape")

    run(go())


def test_dialog_buttons_stay_clear_of_notifications_and_footer_order_is_stable(sb):
    app = make_app(sb, "rootless-oci")

    async def go():
        async with app.run_test(size=(100, 32)) as pilot:
            await settle(pilot, app)

            def keys():
                return [b.binding.key for b in app.screen.active_bindings.values() if b.binding.show]

            first = keys()
            app.query_one("#detail-scroll").focus()
            await pilot.pause()
            assert keys() == first
            app.query_one("Tree").focus()
            app.query_one("Tree").move_cursor(app.nodes["buildkit.worker"])
            await pilot.pause()
            await pilot.press("f")
            await pilot.pause()
            app.notify("a long notification that would cover the dialog's buttons if they were at the bottom")
            await pilot.pause()
            buttons = app.screen.query_one("#buttons").region
            assert buttons.bottom <= 32 - 6, buttons  # toasts live in the bottom rows

    run(go())
