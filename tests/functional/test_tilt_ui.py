"""The diagnosis in Tilt's UI (issue 20, SPEC 6): the extension's nerdctl_doctor() defines a local_resource that
runs this installation's text report. Its Tiltfile is evaluated with starlark-pyo3 against a stand-in of Tilt's
local_resource (its real parameters: an unknown one is an error, as Tilt makes it), and the exact argv is run from
the wheel installed in a fresh venv, with the environment Tilt gives a command, on a broken and a healthy host."""
from __future__ import annotations

import os
import re
import subprocess

import pytest
import starlark as sl

from harness import user_install

# Tilt's local_resource (api.go, v0.33+): every parameter it takes
LOCAL_RESOURCE_PARAMS = {"name", "cmd", "deps", "trigger_mode", "resource_deps", "ignore", "auto_init", "serve_cmd",
                         "cmd_bat", "serve_cmd_bat", "allow_parallel", "links", "tags", "env", "serve_env",
                         "readiness_probe", "dir", "serve_dir", "labels"}
TRIGGER_MODE_AUTO, TRIGGER_MODE_MANUAL = 1, 2


class TiltUI:
    def __init__(self) -> None:
        self.resources: list[dict] = []

    def local_resource(self, *args, **kw):
        if len(args) > 2:
            raise TypeError("local_resource: too many positional arguments")
        kw.update(zip(("name", "cmd"), args))
        unknown = set(kw) - LOCAL_RESOURCE_PARAMS
        if unknown:
            raise TypeError(f"local_resource: unexpected keyword argument {sorted(unknown)[0]!r}")
        self.resources.append(kw)

    def evaluate(self, src: str):
        m = sl.Module()
        m.add_callable("local_resource", self.local_resource)
        m.add_callable("custom_build", lambda *a, **k: None)

        def fail(msg):
            raise RuntimeError(f"fail(): {msg}")

        m.add_callable("fail", fail)
        m.add_callable("_abspath", lambda p: os.path.normpath(os.path.join("/work/proj", p)))
        prelude = (f"os = struct(path=struct(abspath=_abspath))\nTRIGGER_MODE_AUTO = {TRIGGER_MODE_AUTO}\n"
                   f"TRIGGER_MODE_MANUAL = {TRIGGER_MODE_MANUAL}\n")
        glb = sl.Globals.extended_by([sl.LibraryExtension.StructType])
        return sl.eval(m, sl.parse("Tiltfile", prelude + src, sl.Dialect.extended()), glb)


@pytest.fixture(scope="module")
def installed():
    return user_install()


@pytest.fixture
def ext(installed, tmp_path):
    """The extension as the installed wheel writes it (its argv runs that installation)."""
    home = tmp_path / "home"
    home.mkdir()
    cp = subprocess.run([str(installed / "bin" / "nerdctl-doctor"), "tilt-extension"], capture_output=True, text=True,
                        env={"HOME": str(home), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert cp.returncode == 0, cp.stderr
    with open(os.path.join(cp.stdout.strip(), "nerdctl_doctor", "Tiltfile")) as fh:
        return fh.read()


def test_the_resource_with_its_defaults(ext, installed):
    t = TiltUI()
    t.evaluate(ext + "\nnerdctl_doctor()\n")
    (r,) = t.resources
    assert r["name"] == "nerdctl-doctor" and r["labels"] == ["nerdctl"]
    assert r["cmd"] == [str(installed / "bin" / "python"), "-m", "nerdctl_doctor", "--plain", "--no-color",
                        "--namespace", "k8s.io"]
    assert r["trigger_mode"] == TRIGGER_MODE_MANUAL and r["auto_init"] is True  # runs once, then on its button
    assert "deps" not in r and "resource_deps" not in r  # needs nothing: no cluster, no file


def test_every_option_reaches_the_argv(ext):
    t = TiltUI()
    t.evaluate(ext + "\nnerdctl_doctor(name='chain', labels='infra', namespace='dev', mode='vm', "
                     "frontend='colima', only=['buildkit', 'nerdctl'], skip='kube', strict=True)\n")
    (r,) = t.resources
    assert r["name"] == "chain" and r["labels"] == ["infra"]
    assert r["cmd"][3:] == ["--plain", "--no-color", "--namespace", "dev", "--mode", "vm", "--frontend", "colima",
                            "--only", "buildkit", "--only", "nerdctl", "--skip", "kube", "--strict"]


def test_the_stand_in_rejects_what_tilt_rejects():
    """The test can fail: a parameter local_resource does not have is an error, as in Tilt."""
    t = TiltUI()
    with pytest.raises(Exception, match="unexpected keyword argument 'colour'"):
        t.evaluate("local_resource('x', cmd=['true'], colour=False)\n")


def test_nerdctl_build_keeps_working_without_it(ext):
    t = TiltUI()
    t.evaluate(ext + "\nnerdctl_build(ref='app', context='.')\n")
    assert t.resources == []


def tilt_env(sb) -> dict[str, str]:
    """What Tilt gives a local_resource's command (UPSTREAM.md section 7)."""
    return {**sb.env, "LINES": "24", "COLUMNS": "80", "PYTHONUNBUFFERED": "1", "TILT_HOST": "localhost",
            "TILT_PORT": "10350", "TILT_DISABLE_ANALYTICS": "1", "GIT_TERMINAL_PROMPT": "0", "TERM": "xterm-256color"}


def run_resource(ext, sandbox, **opts) -> subprocess.CompletedProcess:
    t = TiltUI()
    args = ", ".join(f"{k}={v!r}" for k, v in opts.items())
    t.evaluate(ext + f"\nnerdctl_doctor({args})\n")
    (r,) = t.resources
    return subprocess.run(r["cmd"], env=tilt_env(sandbox), cwd=str(sandbox.base), capture_output=True, text=True,
                          timeout=120)


CSI = re.compile(r"\x1b[\[\]]")


def test_on_a_broken_host_the_resource_is_red_and_the_log_reads_well(ext, sandbox):
    cp = run_resource(ext, sandbox, mode="rootful")
    assert cp.returncode == 1, cp.stderr  # Tilt shows the resource red
    log = cp.stdout
    assert not CSI.search(log) and "Traceback" not in cp.stderr  # no colour, no cursor movement
    lines = log.splitlines()
    first_check = next(i for i, ln in enumerate(lines) if ln.startswith("  [") or ln.startswith("  ["))
    steps = lines.index("Next steps, in this order:")
    assert steps < first_check  # next steps first
    numbered = [ln for ln in lines[steps + 1:] if re.match(r"  \d+\. \[", ln)]
    assert numbered and all("nerdctl-doctor fix" in ln or len(ln.split("] ", 1)[1]) > 10 for ln in numbered)


def test_on_a_healthy_host_the_resource_is_green(ext, sandbox):
    sandbox.install("buildctl")
    cp = run_resource(ext, sandbox, only=["buildkit.buildctl"], mode="rootful")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "Summary: 1 ok" in cp.stdout and not CSI.search(cp.stdout)


def test_strict_turns_a_warning_red(ext, sandbox):
    sandbox.install("buildctl")
    sandbox.install("nerdctl")
    sandbox.write("/etc/nerdctl/nerdctl.toml", 'namespace = "default"\n')  # plain nerdctl's namespace differs: warn
    assert run_resource(ext, sandbox, only=["nerdctl.config"], mode="rootful").returncode == 0
    assert run_resource(ext, sandbox, only=["nerdctl.config"], mode="rootful", strict=True).returncode == 1
