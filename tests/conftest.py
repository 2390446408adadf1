import pytest

from harness import Containerd, Sandbox, WrongInstallation, check_installation


def pytest_sessionstart(session):
    """Fail loudly, before any test, when the nerdctl-doctor the tests would run is not this checkout's."""
    try:
        check_installation()
    except WrongInstallation as exc:
        raise pytest.UsageError(f"nerdctl-doctor under test is not this checkout's: {exc}") from None


@pytest.fixture
def sandbox():
    """A hermetic host: temp root, HOME, XDG_RUNTIME_DIR and a PATH of stand-ins (see harness.py)."""
    sb = Sandbox()
    try:
        yield sb
    finally:
        sb.cleanup()


@pytest.fixture
def stops():
    """Things to stop after the test (a VM's containerd, say), last in first out is not needed: each is separate."""
    todo = []
    yield todo
    for f in todo:
        f()


@pytest.fixture
def containerd(sandbox):
    """A real containerd serving /run/containerd/containerd.sock inside the sandbox root. Skips with a reason
    where it cannot start; under CI=true it fails instead."""
    c = Containerd(sandbox).start()
    try:
        yield c
    finally:
        c.stop()


def pytest_xdist_auto_num_workers(config):
    """`-n auto`: two workers a core. Most of the suite waits (on stand-in daemons, timeouts, a real containerd)
    rather than computes, so one worker a core leaves the cores idle half the time."""
    import os

    return 2 * (os.cpu_count() or 1)
