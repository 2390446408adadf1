"""Import hygiene: each start-up path runs in a fresh interpreter and reports which modules it loaded. Start-up is
part of the product (SPEC 9): the paths a user and Tilt hit most must not load Textual, rich, YAML, tomlkit,
dataclasses or inspect (and the lightest of them not even typing). A failure names the module and the importer
chain to look at (`python -X importtime`)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from harness import Sandbox

HEAVY = {"textual", "rich", "yaml", "tomlkit", "tomllib", "dataclasses", "inspect", "typing", "psutil", "distro",
         "importlib.metadata", "asyncio"}
PROBE = """
import sys
from nerdctl_doctor.cli import main
code = main(sys.argv[1:])
loaded = sorted(sys.modules)
import json, os
os.write(int(os.environ["ND_PROBE_FD"]), json.dumps({"code": code, "modules": loaded}).encode())
"""


def loaded(args: list[str], env: dict[str, str], cwd: str) -> tuple[int, set[str]]:
    import os

    r, w = os.pipe()
    try:
        cp = subprocess.run([sys.executable, "-c", PROBE, *args], env={**env, "ND_PROBE_FD": str(w)}, cwd=cwd,
                            capture_output=True, text=True, timeout=120, pass_fds=(w,))
        os.close(w)
        w = -1
        data = os.read(r, 1 << 22)
    finally:
        if w >= 0:
            os.close(w)
        os.close(r)
    assert data, cp.stderr
    doc = json.loads(data)
    return doc["code"], {m for m in doc["modules"] if m in HEAVY or m.split(".")[0] in HEAVY}


@pytest.fixture
def sb():
    s = Sandbox()
    try:
        yield s
    finally:
        s.cleanup()


def test_list_checks_loads_nothing_heavy(sb):
    code, heavy = loaded(["--list-checks"], sb.env, str(sb.base))
    assert code == 0
    assert heavy == set(), f"--list-checks loaded {sorted(heavy)}"


def test_json_on_a_bare_host_loads_no_ui_no_yaml_no_dataclasses(sb):
    code, heavy = loaded(["--json"], sb.env, str(sb.base))
    assert code == 1  # nothing is installed: failures
    # tomllib is read only when a TOML file exists, yaml only when a kubeconfig does
    assert heavy == set(), f"--json loaded {sorted(heavy)}"


def test_cached_build_loads_only_what_the_build_needs(sb):
    sb.install("nerdctl")
    sb.install("buildctl")
    sb.hung_socket("/run/containerd/containerd.sock")
    sb.start_buildkitd("--oci-worker=false", "--containerd-worker=true", "--containerd-worker-namespace=k8s.io",
                       addr="unix:///run/buildkit-k8s.io/buildkitd.sock",
                       env={"STANDIN_CONTAINERD_UUID": "0f6e1c58-5a43-4c45-9c8a-3a3e6c0a4a11"})
    env = dict(sb.env, STANDIN_NERDCTL_STATE=str(sb.base / "state"), XDG_CACHE_HOME=str(sb.base / "cache"),
               EXPECTED_REF="app:tilt-1")
    ctx = sb.base / "app"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM alpine\n")
    first, _ = loaded(["build", "--mode", "rootful", str(ctx)], env, str(sb.base))
    assert first == 0
    code, heavy = loaded(["build", "--mode", "rootful", str(ctx)], env, str(sb.base))
    assert code == 0
    assert heavy == set(), f"a cached build loaded {sorted(heavy)}"


def test_the_probe_sees_a_heavy_import():
    """The test can fail: a path that loads the TUI's dependencies is reported."""
    s = Sandbox()
    try:
        code = "import textual\n"
        cp = subprocess.run([sys.executable, "-c", code + "import sys; print('textual' in sys.modules)"],
                            capture_output=True, text=True, timeout=60)
        assert cp.stdout.strip() == "True"
    finally:
        s.cleanup()
