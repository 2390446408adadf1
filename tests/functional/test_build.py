"""`nerdctl-doctor build`: exact argv, stdin, exit codes, preflight, explained failures, verify."""
import json
import os
import shlex

import pytest

UUID = "0f6e1c58-5a43-4c45-9c8a-3a3e6c0a4a11"


@pytest.fixture
def bhost(sandbox):
    """A host a build works on: stand-in nerdctl, buildctl and a containerd-worker buildkitd for k8s.io, and a
    containerd socket that accepts connections."""
    sb = sandbox
    sb.install("nerdctl")
    sb.install("buildctl")
    sb.hung_socket("/run/containerd/containerd.sock")  # accepts: containerd.socket is ok (no ctr: no version)
    sb.start_buildkitd("--oci-worker=false", "--containerd-worker=true", "--containerd-worker-namespace=k8s.io",
                       addr="unix:///run/buildkit-k8s.io/buildkitd.sock", env={"STANDIN_CONTAINERD_UUID": UUID})
    sb.env["STANDIN_NERDCTL_STATE"] = str(sb.base / "nerdctl-state")
    sb.env["XDG_CACHE_HOME"] = str(sb.base / "cache")
    ctx = sb.base / "app"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM alpine\n")
    sb.ctx = ctx
    return sb


def builds(sb):
    return [c for c in sb.calls("nerdctl") if "build" in c]


def test_minimal_build_argv_and_verify(bhost):
    cp = bhost.doctor("build", "--mode", "rootful", str(bhost.ctx), env={"EXPECTED_REF": "app:tilt-1"})
    assert cp.returncode == 0, cp.stderr
    assert builds(bhost)[-1] == ["--namespace", "k8s.io", "build", "-t", "app:tilt-1", str(bhost.ctx)]
    inspect = [c for c in bhost.calls("nerdctl") if "inspect" in c]
    assert inspect[-1] == ["--namespace", "k8s.io", "image", "inspect", "app:tilt-1"]
    assert "#1 [internal] load build definition" in cp.stderr  # nerdctl's output streams through
    assert "unpacking app:tilt-1" in cp.stdout


def test_every_option_in_nerdctls_order(bhost):
    other = bhost.base / "Dockerfile.dev"
    other.write_text("FROM alpine\n")
    cp = bhost.doctor("build", "--mode", "rootful", "--ref", "reg.example/app:1", "--address", "/run/containerd/containerd.sock",
                      "--buildkit-host", "unix:///run/buildkit-k8s.io/buildkitd.sock",
                      "--build-arg", "A=1", "--build-arg", "B=two words", "-f", str(other), "--target", "dev",
                      "--ssh", "default", "--ssh", "gh=/k", "--secret", "id=npm,src=/s", "--platform", "linux/amd64",
                      "--extra-tag", "app:latest", "--extra-tag", "app:dev", "--cache-from", "type=local,src=/c",
                      "--namespace", "k8s.io", str(bhost.ctx))
    assert cp.returncode == 0, cp.stderr
    assert builds(bhost)[-1] == [
        "--address", "/run/containerd/containerd.sock", "--namespace", "k8s.io", "build",
        "--buildkit-host", "unix:///run/buildkit-k8s.io/buildkitd.sock",
        "--build-arg", "A=1", "--build-arg", "B=two words", "-f", str(other), "--target", "dev",
        "--ssh", "default", "--ssh", "gh=/k", "--secret", "id=npm,src=/s", "--platform", "linux/amd64",
        "-t", "app:latest", "-t", "app:dev", "--cache-from", "type=local,src=/c", "-t", "reg.example/app:1",
        str(bhost.ctx)]


def test_dry_run_prints_argv(bhost):
    cp = bhost.doctor("build", "--dry-run", "--ref", "x:1", "--target", "a b", str(bhost.ctx))
    assert cp.returncode == 0
    assert shlex.split(cp.stdout) == ["nerdctl", "--namespace", "k8s.io", "build", "--target", "a b", "-t", "x:1",
                                      str(bhost.ctx)]
    assert builds(bhost) == []


def test_dockerfile_contents_byte_for_byte_on_stdin(bhost):
    text = 'FROM alpine\nRUN echo "a\\\\nb" $HOME %PATH% \'q\' \\\n  && printf "%s\\n" x\n'
    cp = bhost.doctor("build", "--mode", "rootful", "--ref", "x:1", "--dockerfile-contents-env", "DF", str(bhost.ctx),
                      env={"DF": text})
    assert cp.returncode == 0, cp.stderr
    call = [c for c in bhost.log.read_text().splitlines() if '"build"' in c][-1]
    rec = json.loads(call)
    assert rec["stdin"] == text
    assert rec["argv"][rec["argv"].index("-f") + 1] == "-"


@pytest.mark.parametrize("args,env", [
    (["--dockerfile-contents-env", "DF", "-f", "Dockerfile"], {"DF": "FROM x\n", "EXPECTED_REF": "x"}),
    ([], {}),  # neither --ref nor EXPECTED_REF
    (["--dockerfile-contents-env", "UNSET_VAR"], {"EXPECTED_REF": "x"}),
])
def test_usage_errors_exit_2(bhost, args, env):
    cp = bhost.doctor("build", *args, str(bhost.ctx), env=env)
    assert cp.returncode == 2 and "Traceback" not in cp.stderr
    assert builds(bhost) == []


@pytest.mark.parametrize("code", [1, 3, 42])
def test_exit_code_passes_through(bhost, code):
    cp = bhost.doctor("build", "--mode", "rootful", "--ref", "x:1", str(bhost.ctx),
                      env={"STANDIN_NERDCTL_BUILD_EXIT": str(code), "STANDIN_NERDCTL_BUILD_OUTPUT": "boom"})
    assert cp.returncode == code
    assert "boom" in cp.stderr


def test_preflight_missing_nerdctl_points_at_rd_bin(bhost):
    os.unlink(bhost.bin / "nerdctl")
    rd = bhost.home / ".rd" / "bin"
    bhost.install("nerdctl", where=rd)
    cp = bhost.doctor("build", "--mode", "rootful", "--ref", "x:1", str(bhost.ctx))
    assert cp.returncode == 1
    assert "nerdctl.installed" in cp.stderr and str(rd / "nerdctl") in cp.stderr
    assert "exit status 127" in cp.stderr
    assert builds(bhost) == []


def test_preflight_missing_dockerfile_and_containerfile(bhost):
    os.unlink(bhost.ctx / "Dockerfile")
    cp = bhost.doctor("build", "--mode", "rootful", "--ref", "x:1", str(bhost.ctx))
    assert cp.returncode == 1 and "Containerfile" in cp.stderr
    (bhost.ctx / "Containerfile").write_text("FROM alpine\n")
    assert bhost.doctor("build", "--mode", "rootful", "--ref", "x:1", str(bhost.ctx)).returncode == 0
    cp = bhost.doctor("build", "--mode", "rootful", "--ref", "x:1", "-f", "nope/Dockerfile", str(bhost.ctx))
    assert cp.returncode == 1 and "nope/Dockerfile does not exist" in cp.stderr


def test_preflight_missing_buildkit(bhost):
    os.unlink(bhost.bin / "buildctl")
    cp = bhost.doctor("build", "--mode", "rootful", "--ref", "x:1", str(bhost.ctx))
    assert cp.returncode == 1 and "buildctl" in cp.stderr and "fix: nerdctl-doctor fix buildkit.install" in cp.stderr
    assert builds(bhost) == []


def test_preflight_no_daemon(bhost):
    for p in bhost._procs:
        p.terminate()
        p.wait()
    assert not bhost.path("/run/buildkit-k8s.io/buildkitd.sock").exists()  # the daemon removed it
    cp = bhost.doctor("build", "--mode", "rootful", "--ref", "x:1", str(bhost.ctx))
    assert cp.returncode == 1 and "no buildkit host is available" in cp.stderr


def test_preflight_is_cached_then_rerun_on_known_failure(bhost):
    env = {"EXPECTED_REF": "x:1"}
    assert bhost.doctor("build", "--mode", "rootful", str(bhost.ctx), env=env).returncode == 0
    n = len(bhost.calls("buildctl"))
    assert n > 0
    assert bhost.doctor("build", "--mode", "rootful", str(bhost.ctx), env=env).returncode == 0
    assert len(bhost.calls("buildctl")) == n  # cached: no probe at all
    # a file the preflight never read (buildkitd.toml is not part of it) leaves the cached pass alone...
    bhost.write("/etc/buildkit/buildkitd.toml", "[worker.oci]\nenabled = false\n")
    bhost.doctor("build", "--mode", "rootful", str(bhost.ctx), env=env)
    assert len(bhost.calls("buildctl")) == n
    # ...and a change to one it read (nerdctl.toml decides containerd's address) invalidates it
    bhost.write("/etc/nerdctl/nerdctl.toml", 'namespace = "k8s.io"\n')
    bhost.doctor("build", "--mode", "rootful", str(bhost.ctx), env=env)
    assert len(bhost.calls("buildctl")) > n
    # a corrupt cache is a miss, not a crash
    for f in (bhost.base / "cache" / "nerdctl-doctor").iterdir():
        f.write_text("{not json")
    assert bhost.doctor("build", "--mode", "rootful", str(bhost.ctx), env=env).returncode == 0
    # nerdctl fails with a known message: preflight runs again without the cache and the cause is appended
    m = len(bhost.calls("buildctl"))
    cp = bhost.doctor("build", "--mode", "rootful", str(bhost.ctx),
                      env={**env, "STANDIN_NERDCTL_BUILD_EXIT": "1",
                           "STANDIN_NERDCTL_BUILD_OUTPUT": 'error: failed to solve: myapp-base:latest: pull access '
                                                           'denied, repository does not exist or may require '
                                                           'authorization'})
    assert cp.returncode == 1
    assert len(bhost.calls("buildctl")) > m
    assert "a FROM image was not found" in cp.stderr
    assert "checked buildkit.host, buildkit.worker: no problem found there" in cp.stderr


def test_known_failure_names_the_oci_worker(bhost):
    for p in bhost._procs:
        p.terminate()
        p.wait()
    bhost.start_buildkitd("--oci-worker=true", "--containerd-worker=false", addr="unix:///run/buildkit/buildkitd.sock")
    cp = bhost.doctor("build", "--mode", "rootful", "--ref", "x:1", str(bhost.ctx),
                      env={"STANDIN_NERDCTL_BUILD_EXIT": "1",
                           "STANDIN_NERDCTL_BUILD_OUTPUT": "error: failed to solve: base:1: not found"})
    assert cp.returncode == 1
    assert "[warn] BuildKit worker the daemon runs (buildkit.worker)" in cp.stderr
    assert "fix: nerdctl-doctor fix buildkit.configure-containerd-worker" in cp.stderr


def test_no_preflight_skips_it(bhost):
    os.unlink(bhost.bin / "buildctl")
    cp = bhost.doctor("build", "--mode", "rootful", "--no-preflight", "--ref", "x:1", str(bhost.ctx))
    assert cp.returncode == 0


def test_verify_fails_when_image_lands_elsewhere(bhost):
    cp = bhost.doctor("build", "--mode", "rootful", "--ref", "x:1", str(bhost.ctx),
                      env={"STANDIN_NERDCTL_BUILD_NAMESPACE": "buildkit"})
    assert cp.returncode == 1
    assert "not in containerd namespace k8s.io" in cp.stderr
    cp = bhost.doctor("build", "--mode", "rootful", "--ref", "x:2", "--no-verify", str(bhost.ctx),
                      env={"STANDIN_NERDCTL_BUILD_NAMESPACE": "buildkit"})
    assert cp.returncode == 0


def rd_vm_host(sb, engine="containerd"):
    rd = sb.home / ".rd" / "bin"
    sb.install("nerdctl", where=rd)
    sb.script("rdctl", 'case "$1" in list-settings) exit 0;; shell) shift; exec "$@";; esac; exit 1\n', where=rd)
    sb.write(f"{sb.home}/.config/rancher-desktop/settings.json", json.dumps({"containerEngine": {"name": engine}}))
    sb.env["PATH"] = f"{rd}:{sb.bin}"
    return rd


def test_vm_moby_engine_fails_preflight(sandbox):
    rd_vm_host(sandbox, engine="moby")
    ctx = sandbox.home / "app"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM alpine\n")
    cp = sandbox.doctor("build", "--ref", "x:1", str(ctx))
    assert cp.returncode == 1
    assert "rd.engine" in cp.stderr and "moby" in cp.stderr and "rd.use-containerd" in cp.stderr


def test_vm_context_outside_mounts_fails_preflight(sandbox):
    rd_vm_host(sandbox)
    ctx = sandbox.base / "outside"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM alpine\n")
    cp = sandbox.doctor("build", "--ref", "x:1", str(ctx))
    assert cp.returncode == 1
    assert "outside the Rancher Desktop VM's mounts" in cp.stderr


# ------------------------------------------------------------------ hostile build input (issue 22)


def test_a_context_that_starts_with_a_dash_is_a_context(sandbox):
    sandbox.install("nerdctl")
    ctx = sandbox.base / "-app"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch\n")
    cp = sandbox.doctor("build", "--ref", "app:1", "--dry-run", "-app", cwd=str(sandbox.base))
    assert cp.returncode == 0, cp.stderr
    assert cp.stdout.split()[-1] == "./-app"
    cp = sandbox.doctor("build", "--ref", "app:1", "--no-preflight", "--no-verify", "--load", "none", "-app",
                        cwd=str(sandbox.base),
                        env={"STANDIN_NERDCTL_STATE": str(sandbox.base / "st")})
    assert cp.returncode == 0, cp.stderr
    (build,) = [a for a in sandbox.calls("nerdctl") if "build" in a]
    assert build[-1] == "./-app"


@pytest.mark.parametrize("kind,words", [("fifo", "FIFO"), ("directory", "directory"), ("device", "device")])
def test_a_dockerfile_that_is_not_a_file_fails_the_preflight_saying_what_it_is(sandbox, kind, words):
    sandbox.install("nerdctl")
    ctx = sandbox.base / "ctx"
    ctx.mkdir()
    if kind == "fifo":
        os.mkfifo(ctx / "Dockerfile")
        args = []
    elif kind == "directory":
        (ctx / "Dockerfile").mkdir()
        args = []
    else:
        args = ["-f", "/dev/null"]
    cp = sandbox.doctor("build", "--ref", "app:1", *args, str(ctx), timeout=30)
    assert cp.returncode == 1 and words in cp.stderr, cp.stderr
    assert not [a for a in sandbox.calls("nerdctl") if "build" in a]


def test_an_empty_dockerfile_contents_env_is_a_usage_error(sandbox):
    cp = sandbox.doctor("build", "--ref", "app:1", "--dockerfile-contents-env", "", str(sandbox.base))
    assert cp.returncode == 2 and "needs the name" in cp.stderr


def test_sigint_during_the_preflight_exits_130_and_leaves_nothing_running(sandbox):
    import signal
    import subprocess
    import time

    from harness import doctor_argv

    sandbox.install("nerdctl")
    sandbox.install("buildctl")
    sandbox.hung_socket("/run/buildkit-k8s.io/buildkitd.sock")  # the preflight waits on it
    ctx = sandbox.base / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch\n")
    p = subprocess.Popen([*doctor_argv(), "build", "--ref", "a:1", "--mode", "rootful", "--timeout", "10", str(ctx)],
                         env=sandbox.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(sandbox.base))
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 130 and b"Traceback" not in err, err
    assert not [a for a in sandbox.calls("nerdctl") if "build" in a]


ESCAPES = "\x1b[2J \x1b]0;owned\x07 \x1b]52;c;ZXZpbA==\x07 \x9b31m"


@pytest.mark.parametrize("where", ["preflight", "after the build"])
def test_what_a_tool_prints_reaches_the_terminal_escaped(bhost, where):
    """A screen clear, a title, an OSC 52 clipboard write, a C1 CSI printed by a tool: build's own diagnosis on
    stderr shows them escaped, never as control sequences (nerdctl's own build output passes through as it is)."""
    if where == "preflight":  # buildctl cannot say its version: the preflight stops the build and explains
        bhost.script("buildctl", f"printf '%s\\n' 'err {ESCAPES}' >&2; exit 1\n")
        cp = bhost.doctor("build", "--mode", "rootful", "--ref", "x:1", str(bhost.ctx))
    else:  # nerdctl fails with a known message: the build is explained after the fact
        bhost.script("nerdctl", "echo 'no buildkit host is available' >&2; exit 1\n")
        bhost.script("buildctl", f"printf '%s\\n' 'err {ESCAPES}' >&2; exit 1\n")
        cp = bhost.doctor("build", "--no-preflight", "--mode", "rootful", "--ref", "x:1", str(bhost.ctx))
    assert cp.returncode == 1 and "buildkit.buildctl" in cp.stderr, cp.stderr
    assert not any(c in cp.stderr for c in "\x1b\x07\x9b"), repr(cp.stderr[-400:])
    assert "\\x1b]52;c;ZXZpbA==\\x07" in cp.stderr  # shown, escaped
