import pytest

from harness import Containerd, Sandbox


@pytest.fixture
def sandbox():
    """A hermetic host: temp root, HOME, XDG_RUNTIME_DIR and a PATH of stand-ins (see harness.py)."""
    sb = Sandbox()
    try:
        yield sb
    finally:
        sb.cleanup()


@pytest.fixture
def containerd(sandbox):
    """A real containerd serving /run/containerd/containerd.sock inside the sandbox root. Skips with a reason
    where it cannot start; under CI=true it fails instead."""
    c = Containerd(sandbox).start()
    try:
        yield c
    finally:
        c.stop()
