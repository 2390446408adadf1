"""The bundled Tilt extension, evaluated with starlark-pyo3 against stand-ins for Tilt's builtins."""
import json
import os
import subprocess

import pytest
import starlark as sl



@pytest.fixture
def ext_dir(sandbox):
    cp = sandbox.doctor("tilt-extension")
    assert cp.returncode == 0, cp.stderr
    d = cp.stdout.strip()
    assert os.path.isfile(os.path.join(d, "nerdctl_doctor", "Tiltfile"))
    return d


class Tilt:
    """Just enough of Tilt to evaluate a Tiltfile: custom_build records its call, fail raises."""

    def __init__(self, tiltfile_dir="/work/proj"):
        self.calls = []
        self.resources = []
        self.dir = tiltfile_dir

    def evaluate(self, src: str):
        m = sl.Module()
        m.add_callable("custom_build", lambda *a, **k: self.calls.append(k))
        m.add_callable("local_resource", lambda *a, **k: self.resources.append((a, k)))

        def fail(msg):
            raise RuntimeError(f"fail(): {msg}")

        m.add_callable("fail", fail)
        m.add_callable("_abspath", lambda p: os.path.normpath(os.path.join(self.dir, p)))
        prelude = "os = struct(path=struct(abspath=_abspath))\nTRIGGER_MODE_AUTO = 1\nTRIGGER_MODE_MANUAL = 2\n"
        glb = sl.Globals.extended_by([sl.LibraryExtension.StructType])
        return sl.eval(m, sl.parse("Tiltfile", prelude + src, sl.Dialect.extended()), glb)


def load_ext(ext_dir):
    with open(os.path.join(ext_dir, "nerdctl_doctor", "Tiltfile")) as fh:
        return fh.read()


def prefix(ext_dir):
    src = load_ext(ext_dir)
    line = next(ln for ln in src.splitlines() if ln.startswith("_NERDCTL_DOCTOR = "))
    return json.loads(line.split("=", 1)[1])


def test_extension_runs_this_installation_by_absolute_path(ext_dir):
    argv = prefix(ext_dir)
    assert os.path.isabs(argv[0]) and argv[1:] == ["-m", "nerdctl_doctor", "build"]
    cp = subprocess.run([*argv, "--help"], capture_output=True, text=True, env={})  # no PATH at all
    assert cp.returncode == 0 and "CONTEXT" in cp.stdout


def test_minimal_call(ext_dir):
    t = Tilt()
    t.evaluate(load_ext(ext_dir) + "\nnerdctl_build(ref='registry.example.com/my-image', context='.')\n")
    (call,) = t.calls
    assert call == {
        "ref": "registry.example.com/my-image",
        "command": prefix(ext_dir) + ["--namespace", "k8s.io", "."],
        "deps": ["."],
        "skips_local_docker": True,
        "disable_push": True,
        "live_update": [],
        "match_in_env_vars": False,
        "ignore": [],
        "entrypoint": [],
        "env": {},
    }


def test_every_parameter(ext_dir):
    t = Tilt()
    t.evaluate(load_ext(ext_dir) + """
nerdctl_build(
    ref='app', context='src', build_args={'A': '1', 'B': 'x y'}, dockerfile='../docker/Dockerfile.dev',
    live_update=['sync'], match_in_env_vars=True, ignore=['*.md'], entrypoint=['/bin/app'], target='dev',
    ssh=['default', 'gh=/k'], secret='id=npm,src=/s', extra_tag=['app:latest', 'app:dev'], cache_from='type=local,src=/c',
    platform='linux/amd64')
""")
    (call,) = t.calls
    assert call["command"] == prefix(ext_dir) + [
        "--namespace", "k8s.io", "--build-arg", "A=1", "--build-arg", "B=x y", "-f", "../docker/Dockerfile.dev",
        "--target", "dev", "--ssh", "default", "--ssh", "gh=/k", "--secret", "id=npm,src=/s",
        "--platform", "linux/amd64", "--extra-tag", "app:latest", "--extra-tag", "app:dev",
        "--cache-from", "type=local,src=/c", "src"]
    assert call["deps"] == ["src", "../docker/Dockerfile.dev"]  # a Dockerfile outside the context is watched
    assert call["live_update"] == ["sync"] and call["match_in_env_vars"] is True
    assert call["ignore"] == ["*.md"] and call["entrypoint"] == ["/bin/app"]


def test_dockerfile_inside_context_is_not_an_extra_dep(ext_dir):
    t = Tilt()
    t.evaluate(load_ext(ext_dir) + "\nnerdctl_build('app', 'src', dockerfile='src/Dockerfile.prod')\n")
    assert t.calls[0]["deps"] == ["src"]


def test_dockerfile_contents_go_through_env_untouched(ext_dir):
    t = Tilt()
    t.evaluate(load_ext(ext_dir) + '\nnerdctl_build("app", ".", dockerfile_contents="FROM a\\nRUN echo \\"\\\\n\\" $X %Y%\\n")\n')
    call = t.calls[0]
    assert call["env"] == {"NERDCTL_DOCTOR_DOCKERFILE": 'FROM a\nRUN echo "\\n" $X %Y%\n'}
    assert call["command"][-3:] == ["--dockerfile-contents-env", "NERDCTL_DOCTOR_DOCKERFILE", "."]


def test_dockerfile_and_contents_together_fail(ext_dir):
    t = Tilt()
    with pytest.raises(Exception, match="not both"):
        t.evaluate(load_ext(ext_dir) + "\nnerdctl_build('app', '.', dockerfile='D', dockerfile_contents='FROM a')\n")
    assert t.calls == []


def test_tilt_extension_is_idempotent(sandbox, ext_dir):
    p = os.path.join(ext_dir, "nerdctl_doctor", "Tiltfile")
    before = os.stat(p).st_mtime_ns
    cp = sandbox.doctor("tilt-extension")
    assert cp.stdout.strip() == ext_dir and os.stat(p).st_mtime_ns == before


def test_end_to_end_tilt_command_builds(sandbox, ext_dir):
    """Run the exact command the extension gives Tilt, with Tilt's env, against a working host."""
    sandbox.install("nerdctl")
    t = Tilt(tiltfile_dir=str(sandbox.base))
    (sandbox.base / "Dockerfile").write_text("FROM alpine\n")
    t.evaluate(load_ext(ext_dir) + "\nnerdctl_build('app', '.', dockerfile_contents='FROM alpine\\n')\n")
    call = t.calls[0]
    env = {**sandbox.env, **call["env"], "EXPECTED_REF": "app:tilt-0123", "STANDIN_NERDCTL_STATE": str(sandbox.base / "st")}
    cp = subprocess.run([*call["command"][:-1], "--no-preflight", call["command"][-1]], env=env, cwd=str(sandbox.base),
                        capture_output=True, text=True)
    assert cp.returncode == 0, cp.stderr
    rec = [json.loads(line) for line in sandbox.log.read_text().splitlines() if '"build"' in line][-1]
    assert rec["stdin"] == "FROM alpine\n" and rec["argv"][-3:] == ["-t", "app:tilt-0123", "."]
