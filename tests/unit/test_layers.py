"""The house rules, checked: layers never import upward, only the TUI imports Textual, start-up stays lean."""
from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from harness import REPO

PACKAGES = {"doctor": "nerdctl_doctor", "checks": "nerdctl_doctor.checks", "fixes": "nerdctl_doctor.fixes"}


def modules() -> dict[str, set[str]]:
    """module name -> the absolute modules it imports (relative imports resolved)."""
    out: dict[str, set[str]] = {}
    for top in ("doctor", "checks", "fixes"):
        for path in (REPO / top).rglob("*.py"):
            rel = path.relative_to(REPO / top).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([PACKAGES[top], *parts])
            pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
            found: set[str] = set()
            tree = ast.parse(path.read_text())
            typing_only = {id(n) for branch in ast.walk(tree) if isinstance(branch, ast.If)
                           and getattr(branch.test, "id", None) == "TYPE_CHECKING" for n in ast.walk(branch)}
            for node in ast.walk(tree):
                if id(node) in typing_only:
                    continue  # imports for type checking only: nothing is loaded at run time
                if isinstance(node, ast.Import):
                    found |= {a.name for a in node.names}
                elif isinstance(node, ast.ImportFrom):
                    if node.level:
                        base = pkg.split(".")
                        base = base[: len(base) - node.level + 1]
                        mod = ".".join(base + ([node.module] if node.module else []))
                    else:
                        mod = node.module or ""
                    found.add(mod)
                    found |= {f"{mod}.{a.name}" for a in node.names}
            out[name] = found
    return out


MODS = modules()


@pytest.mark.parametrize("name", sorted(n for n in MODS if n.startswith(("nerdctl_doctor.checks",
                                                                           "nerdctl_doctor.fixes"))))
def test_checks_and_fixes_never_import_the_ui_or_the_commands(name):
    bad = {m for m in MODS[name] if m.startswith(("nerdctl_doctor.tui", "nerdctl_doctor.commands",
                                                   "nerdctl_doctor.cli", "nerdctl_doctor.text", "textual", "rich"))}
    assert not bad, f"{name} imports {bad}"


def test_only_the_tui_imports_textual():
    users = sorted(n for n, imps in MODS.items() if any(m.split(".")[0] in ("textual", "rich") for m in imps))
    assert users == ["nerdctl_doctor.tui"]


def test_the_model_imports_nothing_of_the_system():
    for name in ("nerdctl_doctor.model", "nerdctl_doctor.events"):
        bad = {m for m in MODS[name] if m.startswith("nerdctl_doctor.") and not m.startswith("nerdctl_doctor.records")
               and m not in (
            "nerdctl_doctor.model", "nerdctl_doctor.model.Check", "nerdctl_doctor.model.CheckRun",
            "nerdctl_doctor.model.Step")}
        assert not bad, f"{name} imports {bad}"


def test_commands_never_import_each_other():
    for name, imps in MODS.items():
        if name.startswith("nerdctl_doctor.commands."):
            others = {m for m in imps if m.startswith("nerdctl_doctor.commands.") and not m.startswith(name)}
            assert not others, f"{name} imports {others}"


def test_diagnosis_and_list_checks_never_load_textual():
    code = ("import sys, io, contextlib\nfrom nerdctl_doctor.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    main(['--list-checks'])\n    main(['--json', '--only', 'tilt'])\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'importlib_metadata')))")
    cp = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                        env={"PATH": "/nonexistent", "HOME": "/nonexistent"})
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.strip().splitlines()[-1] == "[]"


def test_every_fix_recheck_names_a_registered_check():
    from nerdctl_doctor.registry import load_checks, validate_fixes

    assert validate_fixes(load_checks()) == []
