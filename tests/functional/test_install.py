"""What a user installs: the built wheel and sdist, installed non-editable into a fresh venv whose base
interpreter does not have the package, and a pipx-style layout whose console script is a link. The Tilt extension
that installation writes is evaluated with starlark-pyo3 and the exact argv it hands to custom_build is run."""
from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from harness import REPO, installation_problem, user_install
from test_tiltfile import Tilt

NEEDED = ("nerdctl_doctor/schemas/report.json", "nerdctl_doctor/schemas/fix.json",
          "nerdctl_doctor/schemas/list-checks.json", "nerdctl_doctor/tilt/nerdctl_doctor/Tiltfile",
          "nerdctl_doctor/checks/buildkit.py", "nerdctl_doctor/fixes/apply.py", "nerdctl_doctor/fileops.py",
          "nerdctl_doctor/frontends/rancher_desktop.py", "nerdctl_doctor/build/preflight.py",
          "nerdctl_doctor/commands/build.py")


def base_python() -> str:
    return getattr(sys, "_base_executable", None) or sys.executable


@pytest.fixture(scope="module")
def venv() -> Path:
    """The wheel (built from a copy of the tracked files) installed, not editable, in a fresh venv of a base
    interpreter that does not have the package itself: the test run's one user installation (harness)."""
    d = user_install()
    base = os.path.realpath(d / "bin" / "python")
    probe = subprocess.run([base, "-c", "import nerdctl_doctor"], capture_output=True, text=True,
                           env={"PATH": os.environ.get("PATH", "")})
    assert probe.returncode != 0, (f"the base interpreter {base} has nerdctl_doctor itself: a venv's Tilt extension "
                                   "pointing at it would pass by accident; uninstall it there")
    return d


@pytest.fixture(scope="module")
def dist(venv) -> Path:
    return venv.parent / "dist"


def test_wheel_and_sdist_hold_what_the_program_needs(dist):
    names = zipfile.ZipFile(next(dist.glob("*.whl"))).namelist()
    for n in NEEDED:
        assert n in names, n
    sdist = tarfile.open(next(dist.glob("*.tar.gz")))
    members = [m.split("/", 1)[1] for m in sdist.getnames() if "/" in m]
    for n in ("doctor/schemas/report.json", "doctor/tilt/nerdctl_doctor/Tiltfile", "pyproject.toml", "README.md"):
        assert n in members, n


def run_ext(console: list[str], home: Path, path: str) -> tuple[str, list[str]]:
    env = {"HOME": str(home), "PATH": path}
    cp = subprocess.run([*console, "tilt-extension"], capture_output=True, text=True, env=env, timeout=120)
    assert cp.returncode == 0, cp.stderr
    d = cp.stdout.strip()
    src = Path(d, "nerdctl_doctor", "Tiltfile").read_text()
    t = Tilt(tiltfile_dir=str(home))
    t.evaluate(src + "\nnerdctl_build(ref='app', context='.', dockerfile_contents='FROM alpine\\n')\n")
    (call,) = t.calls
    return d, call["command"]


def test_venv_install_runs_and_its_tilt_extension_runs_this_installation(venv, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    script = venv / "bin" / "nerdctl-doctor"
    cp = subprocess.run([str(script), "--version"], capture_output=True, text=True, env={"HOME": str(home)})
    assert cp.returncode == 0 and cp.stdout.startswith("nerdctl-doctor ")
    d, command = run_ext([str(script)], home, "/usr/bin:/bin")  # venv not activated, not on PATH
    assert command[0] == str(venv / "bin" / "python"), command  # as the venv names it, not the base interpreter
    assert command[1:4] == ["-m", "nerdctl_doctor", "build"]
    # the exact argv Tilt would run, with Tilt's env and no PATH to find anything by
    env = {"HOME": str(home), "EXPECTED_REF": "app:tilt-1", "NERDCTL_DOCTOR_DOCKERFILE": "FROM alpine\n"}
    help_ = subprocess.run([*command[:-1], "--help"], capture_output=True, text=True, env=env, cwd=home)
    assert help_.returncode == 0 and "CONTEXT" in help_.stdout, help_.stderr
    dry = subprocess.run([*command[:-1], "--dry-run", command[-1]], capture_output=True, text=True, env=env, cwd=home)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.split() == ["nerdctl", "--namespace", "k8s.io", "build", "-f", "-", "-t", "app:tilt-1", "."]


def test_pipx_style_link_layout_and_one_extension_directory_per_installation(venv, tmp_path):
    home = tmp_path / "home"
    (home / ".local" / "bin").mkdir(parents=True)
    link = home / ".local" / "bin" / "nerdctl-doctor"
    os.symlink(venv / "bin" / "nerdctl-doctor", link)  # what pipx puts on PATH
    d1, command = run_ext([str(link)], home, f"{home}/.local/bin:/usr/bin:/bin")
    assert command[0] == str(venv / "bin" / "python")
    assert subprocess.run([*command[:-1], "--help"], capture_output=True, env={"HOME": str(home)}).returncode == 0
    # another installation (this test run's own) gets another directory and leaves this one alone
    before = Path(d1, "nerdctl_doctor", "Tiltfile").read_text()
    cp = subprocess.run([sys.executable, "-m", "nerdctl_doctor", "tilt-extension"], capture_output=True, text=True,
                        env={"HOME": str(home), "PATH": "/usr/bin:/bin"})
    assert cp.returncode == 0 and cp.stdout.strip() != d1
    assert Path(d1, "nerdctl_doctor", "Tiltfile").read_text() == before


def test_harness_refuses_another_installation(venv):
    """The harness fails loudly when the command it would run belongs to another installation."""
    assert installation_problem(venv / "bin" / "nerdctl-doctor", str(venv / "bin" / "python")) is not None
    assert installation_problem(venv / "bin" / "nerdctl-doctor", sys.executable) is not None
    assert installation_problem(Path(sys.executable).parent / "nerdctl-doctor", sys.executable) is None


@pytest.mark.parametrize("mode", ["--json", "--plain"])
def test_closed_stdout_keeps_the_diagnosis_exit_code(sandbox, mode):
    """`nerdctl-doctor --json | head -1` under pipefail: the code is the diagnosis's (1: failures), no traceback."""
    from harness import doctor_argv

    p = subprocess.Popen([*doctor_argv(), mode], env=sandbox.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout is not None
    p.stdout.readline()
    p.stdout.close()  # the reader goes away
    _, err = p.communicate(timeout=60)
    assert p.returncode == 1, err
    assert b"Traceback" not in err and b"BrokenPipe" not in err


def test_the_installed_package_type_checks(venv, tmp_path):
    """mypy against what ships (the wheel installed in a fresh venv), with the stubs of its dependencies."""
    cp = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "types-PyYAML", "types-psutil"],
                        capture_output=True, text=True, timeout=600)
    assert cp.returncode == 0, cp.stderr[-2000:]
    cp = subprocess.run([sys.executable, "-m", "mypy", "-p", "nerdctl_doctor", "--python-executable",
                         str(venv / "bin" / "python"), "--config-file", str(REPO / "pyproject.toml"),
                         "--cache-dir", str(tmp_path / "mypy-cache")], capture_output=True, text=True, timeout=600,
                        cwd=tmp_path)
    assert cp.returncode == 0, cp.stdout[-4000:]
