"""The house rules, checked on every import statement of the package, lazy (inside functions) and type-only
(`if TYPE_CHECKING:`) ones included: every module sits on one layer and imports only its own layer or lower ones,
and nothing imports in a cycle. docs/architecture.md draws the same map for newcomers."""
from __future__ import annotations

import ast

import pytest

from harness import REPO

PACKAGES = {"doctor": "nerdctl_doctor", "checks": "nerdctl_doctor.checks", "fixes": "nerdctl_doctor.fixes"}

# The layers, from the bottom. A module belongs to the first entry that names it or a package above it.
LAYERS: list[tuple[str, ...]] = [
    ("nerdctl_doctor.constants", "nerdctl_doctor.exitcodes", "nerdctl_doctor.records", "nerdctl_doctor.paths"),
    ("nerdctl_doctor.osapi",),                              # the doctor's own OS services
    ("nerdctl_doctor.fileops",),                            # bounded read, atomic write, backup
    ("nerdctl_doctor.fixes.rootwrite",),                    # the sudo side of a privileged edit
    ("nerdctl_doctor.host",),                               # the Host: every contact with the diagnosed system
    ("nerdctl_doctor.frontends",),                          # one module per front-end
    ("nerdctl_doctor.model", "nerdctl_doctor.events"),      # checks, results, fixes, events (no I/O)
    ("nerdctl_doctor.facts", "nerdctl_doctor.kubeconfig", "nerdctl_doctor.buildkit"),  # upstream facts
    ("nerdctl_doctor.fixes.catalog",),                      # FixSpec: fix ids as data
    ("nerdctl_doctor.fixes.buildkit", "nerdctl_doctor.fixes.nerdctl", "nerdctl_doctor.fixes.frontends",
     "nerdctl_doctor.fixes.edits"),                         # fix specs and builders by area, the editors
    ("nerdctl_doctor.fixes.all", "nerdctl_doctor.fixes.render"),
    ("nerdctl_doctor.checks",),                             # the built-in checks
    ("nerdctl_doctor.registry", "nerdctl_doctor.runner", "nerdctl_doctor.diagnosis"),
    ("nerdctl_doctor.fixes.apply",),                        # the one applier (re-checks come from its caller)
    ("nerdctl_doctor.evidence", "nerdctl_doctor.documents", "nerdctl_doctor.text"),  # views of the engine
    ("nerdctl_doctor.options", "nerdctl_doctor.build"),
    ("nerdctl_doctor.tui",),                                # the only user of Textual
    ("nerdctl_doctor.commands",),
    ("nerdctl_doctor.cli", "nerdctl_doctor.entry", "nerdctl_doctor.__main__", "nerdctl_doctor"),  # entry points and the public API
]


def module_files() -> dict[str, tuple[str, object]]:
    """module name -> (package it sits in, parsed tree), as installed under nerdctl_doctor."""
    out: dict[str, tuple[str, object]] = {}
    for top, pkgname in PACKAGES.items():
        for path in (REPO / top).rglob("*.py"):
            rel = path.relative_to(REPO / top).with_suffix("")
            if top == "doctor" and rel.parts and rel.parts[0] in ("checks", "fixes"):
                continue
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([pkgname, *parts])
            pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
            out[name] = (pkg, ast.parse(path.read_text()))
    return out


FILES = module_files()
NAMES = set(FILES)


def imports(name: str) -> set[str]:
    """Every package module ``name`` imports anywhere in its text (functions and TYPE_CHECKING blocks too)."""
    pkg, tree = FILES[name]
    found: set[str] = set()
    for node in ast.walk(tree):  # type: ignore[arg-type]
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # `from pkg import sub` imports the submodule when there is one, else the package's name
            mods = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in NAMES else mod for a in node.names]
        else:
            continue
        for m in mods:
            while m and m not in NAMES and "." in m:
                m = m.rsplit(".", 1)[0]  # an attribute of a module: the module
            if m in NAMES and m != name:
                found.add(m)
    return found


GRAPH = {n: imports(n) for n in NAMES}


def layer(name: str) -> int:
    best = None
    for i, names in enumerate(LAYERS):
        for prefix in names:
            if name == prefix or name.startswith(prefix + "."):
                if best is None or len(prefix) > best[1]:
                    best = (i, len(prefix))
    assert best is not None, f"{name} is on no layer: add it to LAYERS (and docs/architecture.md)"
    return best[0]


def test_every_module_is_on_a_layer():
    for n in sorted(NAMES):
        layer(n)


@pytest.mark.parametrize("name", sorted(NAMES))
def test_no_upward_import(name):
    up = sorted(m for m in GRAPH[name] if layer(m) > layer(name))
    assert not up, f"{name} (layer {layer(name)}) imports upward: " + ", ".join(f"{m} (layer {layer(m)})" for m in up)


def cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle():
    assert cycles() == []


def test_the_layer_test_can_fail():
    """The rules above see lazy and type-only imports: a cycle and an upward edge planted in a copy are found."""
    saved = {k: set(v) for k, v in GRAPH.items()}
    try:
        GRAPH["nerdctl_doctor.constants"].add("nerdctl_doctor.cli")
        assert cycles(), "a planted cycle was not found"
        assert layer("nerdctl_doctor.cli") > layer("nerdctl_doctor.constants")
    finally:
        GRAPH.clear()
        GRAPH.update(saved)


def test_only_the_tui_imports_textual():
    users = set()
    for n, (_pkg, tree) in FILES.items():
        for node in ast.walk(tree):  # type: ignore[arg-type]
            mods = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                    [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            if any(m.split(".")[0] in ("textual", "rich") for m in mods):
                users.add(n.split(".")[1] if n.count(".") else n)
    assert users == {"tui"}


def test_the_model_imports_nothing_of_the_system_at_run_time():
    """model and events may name the Host in type hints only."""
    for name in ("nerdctl_doctor.model", "nerdctl_doctor.events"):
        pkg, tree = FILES[name]
        typing_only = {id(n) for branch in ast.walk(tree) if isinstance(branch, ast.If)  # type: ignore[arg-type]
                       and getattr(branch.test, "id", None) == "TYPE_CHECKING" for n in ast.walk(branch)}
        bad = [ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)  # type: ignore[arg-type]
               and n.level and id(n) not in typing_only and n.module not in ("records", "model", "constants")]
        assert not bad, f"{name}: {bad}"


def test_commands_never_import_each_other():
    for name, imps in GRAPH.items():
        if name.startswith("nerdctl_doctor.commands."):
            others = {m for m in imps if m.startswith("nerdctl_doctor.commands.")}
            assert not others, f"{name} imports {others}"


def test_every_fix_id_is_defined_once_and_every_recheck_names_a_check():
    from nerdctl_doctor.fixes.all import SPECS
    from nerdctl_doctor.registry import load_checks, validate_fixes

    ids = [s.id for s in SPECS]
    assert len(ids) == len(set(ids))
    assert validate_fixes(load_checks()) == []
