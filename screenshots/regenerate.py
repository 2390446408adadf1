#!/usr/bin/env python3
"""Regenerate the SVG screenshots of the TUI from the real app against the scenario hosts in tests/scenarios.py.

    python3 screenshots/regenerate.py

Writes screenshots/{healthy,rd-broken,rootless-oci,fix-confirmation}.svg at 100x32 and healthy-80x24.svg.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

import scenarios  # noqa: E402
from harness import Sandbox  # noqa: E402


def shoot(name: str, scenario: str, size=(100, 32), fix_on: str | None = None) -> None:
    from textual._doc import take_svg_screenshot

    from nerdctl_doctor.registry import load_checks
    from nerdctl_doctor.tui import DoctorApp

    sb = Sandbox(base=f"/tmp/nd-shot-{scenario}")
    try:
        mode = scenarios.SCENARIOS[scenario](sb)
        app = DoctorApp(sb.host(mode=mode), load_checks(), animate=False)

        async def before(pilot):
            deadline = time.monotonic() + 20
            while (app.running or len(app.runs) < len(app.checks)) and time.monotonic() < deadline:
                await pilot.pause(0.05)
            if fix_on:
                app.query_one("Tree").move_cursor(app.nodes[fix_on])
                await pilot.pause()
                await pilot.press("f")
            else:
                bad = next((c.id for c in app.checks if app.runs[c.id].result.status.value in ("fail", "warn")), None)
                if bad:
                    app.query_one("Tree").move_cursor(app.nodes[bad])
            await pilot.pause()

        svg = take_svg_screenshot(app=app, terminal_size=size, run_before=before)
        (HERE / f"{name}.svg").write_text(svg)
        print(f"wrote screenshots/{name}.svg")
    finally:
        sb.cleanup()


def main() -> int:
    shoot("healthy", "healthy")
    shoot("healthy-80x24", "healthy", size=(80, 24))
    shoot("rd-broken", "rd-broken")
    shoot("rootless-oci", "rootless-oci")
    shoot("fix-confirmation", "rootless-oci", fix_on="buildkit.worker")
    return 0


if __name__ == "__main__":
    sys.exit(main())
