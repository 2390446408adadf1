"""Unix-socket probing: connect, say what happened, never hang past the timeout."""
from __future__ import annotations

import errno
import os
import stat
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from ..fileops import kind_of

if TYPE_CHECKING:
    from typing import Any


class SocketProbe:
    """``outcome``: missing, not-a-socket, refused, permission-denied, timeout, answered, error."""

    def __init__(self, address: str, path: str, resolved: str, outcome: str, detail: str = "") -> None:
        self.address, self.path, self.resolved, self.outcome, self.detail = address, path, resolved, outcome, detail

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"address": self.address, "path": self.path, "outcome": self.outcome}
        if self.resolved != self.path:
            d["resolved"] = self.resolved
        if self.detail:
            d["detail"] = self.detail
        return d


def probe(address: str, logical: str, resolved: str, timeout: float) -> SocketProbe:
    try:
        st = os.stat(resolved)
    except FileNotFoundError:
        return SocketProbe(address, logical, resolved, "missing")
    except PermissionError:
        return SocketProbe(address, logical, resolved, "permission-denied", "cannot reach the directory")
    except ValueError:  # a NUL byte in the address
        return SocketProbe(address, logical, resolved, "error", "the address holds a NUL byte")
    except OSError as exc:
        return SocketProbe(address, logical, resolved, "error", exc.strerror or str(exc))
    if not stat.S_ISSOCK(st.st_mode):
        return SocketProbe(address, logical, resolved, "not-a-socket", kind_of(st.st_mode))
    import socket  # only once there is a socket to connect to (the module costs about an interpreter start)

    if not hasattr(socket, "AF_UNIX"):
        return SocketProbe(address, logical, resolved, "error", "unix sockets cannot be reached from here")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)  # a unix connect never waits: it is queued, refused, or the backlog is full (EAGAIN)
    try:
        s.connect(_connectable(resolved))
        outcome, detail = "answered", ""
    except BlockingIOError:
        outcome, detail = "error", ("the listener's backlog is full: it accepts no more connections (the daemon is "
                                    "hung or overloaded)")
    except socket.timeout:
        outcome, detail = "timeout", f"connect did not complete within {timeout:g}s"
    except ConnectionRefusedError:
        outcome, detail = "refused", "connection refused: nothing listens (a stale socket)"
    except PermissionError:
        outcome, detail = "permission-denied", "permission denied"
    except OSError as exc:
        if exc.errno == errno.EACCES:
            outcome, detail = "permission-denied", "permission denied"
        elif exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
            outcome, detail = "error", "the listener's backlog is full: it accepts no more connections"
        else:
            outcome, detail = "error", exc.strerror or str(exc)
    finally:
        s.close()
    return SocketProbe(address, logical, resolved, outcome, detail)


def _connectable(path: str) -> str:
    """AF_UNIX paths are limited to 107 bytes; reach a longer one through /proc/self/fd of its directory."""
    if len(path.encode()) < 107:
        return path
    fd = os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY)
    return f"/proc/self/fd/{fd}/{os.path.basename(path)}"
