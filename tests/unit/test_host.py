"""The Host: --root resolution, PATH lookups, subprocess outcomes, socket probes, the containerd fixture."""
import os
import socket
import time

import pytest

from nerdctl_doctor.fileops import HostFileError
from nerdctl_doctor.host.core import Host


def test_resolve_joins_system_paths_and_keeps_user_paths(sandbox):
    h = sandbox.host()
    assert h.resolve("/etc/nerdctl/nerdctl.toml") == f"{sandbox.root}/etc/nerdctl/nerdctl.toml"
    assert h.resolve("/run/buildkit/buildkitd.sock") == f"{sandbox.root}/run/buildkit/buildkitd.sock"
    assert h.resolve("/proc/42/root/run/containerd/containerd.sock") == f"{sandbox.root}/proc/42/root/run/containerd/containerd.sock"
    home_file = f"{sandbox.home}/.config/buildkit/buildkitd.toml"
    assert h.resolve(home_file) == home_file
    assert h.resolve(f"{sandbox.xdg}/buildkit/buildkitd.sock") == f"{sandbox.xdg}/buildkit/buildkitd.sock"
    assert h.resolve(f"{sandbox.bin}/nerdctl") == f"{sandbox.bin}/nerdctl"
    assert h.show("/etc/x") == f"/etc/x (at {sandbox.root}/etc/x)"
    plain = Host(root="/", env={})
    assert plain.resolve("/etc/x") == "/etc/x" and plain.show("/etc/x") == "/etc/x"


def test_socket_probe_outcomes(sandbox):
    h = sandbox.host(timeout=0.5)
    assert h.probe_socket("unix:///run/nope.sock").outcome == "missing"
    sandbox.write("/run/file.sock", "x")
    assert h.probe_socket("unix:///run/file.sock").outcome == "not-a-socket"
    sandbox.dead_socket("/run/dead.sock")
    assert h.probe_socket("unix:///run/dead.sock").outcome == "refused"
    sandbox.hung_socket("/run/live.sock")  # the sandbox keeps it open
    p = h.probe_socket("unix:///run/live.sock")
    assert p.outcome == "answered" and p.path == "/run/live.sock" and p.resolved == f"{sandbox.root}/run/live.sock"
    assert h.probe_socket("tcp://127.0.0.1:1234").outcome == "error"


def test_socket_probe_says_a_full_backlog_is_full(sandbox):
    p = sandbox.path("/run/full.sock")
    p.parent.mkdir(parents=True)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(p))
    s.listen(0)
    fillers = []
    try:
        for _ in range(4):  # fill the backlog so the next connect blocks
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.setblocking(False)
            try:
                c.connect(str(p))
            except (BlockingIOError, OSError):
                pass
            fillers.append(c)
        t0 = time.monotonic()
        out = sandbox.host(timeout=0.5).probe_socket("unix:///run/full.sock")
        # Linux answers EAGAIN at once on a full backlog: an error that says so, not a "timeout" after no wait
        assert out.outcome == "error" and "backlog is full" in out.detail
        assert time.monotonic() - t0 < 5
    finally:
        for c in fillers:
            c.close()
        s.close()


def test_run_outcomes(sandbox):
    h = sandbox.host(timeout=0.5)
    assert h.run(["nope"]).kind == "not-found"
    sandbox.script("ok", "echo out; echo err >&2; exit 3\n")
    o = h.run(["ok"])
    assert (o.kind, o.exit_code, o.stdout.strip(), o.stderr.strip()) == ("exited", 3, "out", "err")
    sandbox.script("slow", "exec /bin/sleep 30\n")
    t0 = time.monotonic()
    assert h.run(["slow"]).kind == "timeout"
    assert time.monotonic() - t0 < 5
    p = sandbox.write(str(sandbox.bin / "noexec"), "#!/bin/sh\n")
    assert h.which("noexec") is None
    assert h.run([str(p)]).kind == "not-executable"
    sandbox.write(str(sandbox.bin / "badinterp"), "#!/no/such/interpreter\n", mode=0o755)
    assert h.run(["badinterp"]).kind == "not-executable"


def test_which_all_and_file_states(sandbox):
    h = sandbox.host()
    other = sandbox.base / "bin2"
    other.mkdir()
    sandbox.env["PATH"] = f"{sandbox.bin}:{other}"
    os.symlink("/no/such/nerdctl", sandbox.bin / "nerdctl")
    sandbox.write(str(other / "nerdctl"), "#!/bin/sh\n", mode=0o644)
    h = sandbox.host()
    assert [f["state"] for f in h.which_all("nerdctl")] == ["dangling-link", "not-executable"]
    assert h.which("nerdctl") is None


def test_read_text_is_size_capped_and_explains(sandbox):
    h = sandbox.host()
    sandbox.write("/etc/big.toml", "x" * (2 << 20))
    with pytest.raises(HostFileError) as e:
        h.read_text("/etc/big.toml")
    assert e.value.reason == "too-large"
    with pytest.raises(HostFileError) as e:
        h.read_text("/etc/missing.toml")
    assert e.value.reason == "missing"
    sandbox.symlink("/etc/dangling.toml", "/nowhere")
    with pytest.raises(HostFileError) as e:
        h.read_text("/etc/dangling.toml")
    assert e.value.reason == "dangling-link"
    (sandbox.root / "etc" / "dir.toml").mkdir()
    with pytest.raises(HostFileError) as e:
        h.read_text("/etc/dir.toml")
    assert e.value.reason == "not-a-file"


def test_memo_computes_once_under_concurrency(sandbox):
    import threading

    h = sandbox.host()
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return 7

    ts = [threading.Thread(target=lambda: h.memo("k", slow)) for _ in range(5)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert calls == [1] and h.memo("k", slow) == 7


def test_distro_is_read_from_the_root(sandbox):
    sandbox.write("/etc/os-release", 'ID=fedora\nVERSION_ID="40"\nNAME="Fedora Linux"\n')
    assert sandbox.host().distro_label() == "fedora 40"


@pytest.mark.containerd
def test_real_containerd_fixture(sandbox, containerd):
    h = sandbox.host()
    p = h.probe_socket("unix:///run/containerd/containerd.sock")
    assert p.outcome == "answered"
    sandbox.link_real("ctr")
    out = h.run(["ctr", "--address", p.resolved, "version"])
    assert out.ok and "UUID:" in out.stdout
    assert containerd.uuid() in out.stdout


@pytest.mark.parametrize("how", ["same group", "own session"])
def test_a_tool_that_exits_at_once_leaving_a_child_on_its_output(sandbox, how):
    """The tool exits; what it left behind keeps the output pipe open. The run ends with the tool, not after the
    timeout, and what was left behind is ended: in the tool's process group, or (setsid) found by the pipe."""
    pidfile = sandbox.base / "left.pid"
    start = "/usr/bin/setsid " if how == "own session" else ""
    sandbox.script("leaves", f"{start}/bin/sh -c 'echo $$ > {pidfile}; exec /bin/sleep 301' &\n"
                             f"while [ ! -s {pidfile} ]; do :; done; echo done; exit 0\n")
    h = sandbox.host(timeout=20)
    t0 = time.monotonic()
    o = h.run(["leaves"])
    assert (o.kind, o.exit_code, o.stdout.strip()) == ("exited", 0, "done")
    assert time.monotonic() - t0 < 5
    pid = int(pidfile.read_text())
    time.sleep(0.2)
    try:
        state = open(f"/proc/{pid}/stat").read().split(")")[-1].split()[0]
    except FileNotFoundError:
        state = "gone"
    assert state in ("gone", "Z"), f"the child left behind ({how}) still runs"
