"""Bounded, read-only file access under --root: no read ever blocks on a FIFO or device, or grows without
bound."""
from __future__ import annotations

import os
import stat

READ_LIMIT = 1 << 20  # 1 MiB: configuration files larger than this are not configuration


class HostFileError(Exception):
    """A file could not be read. ``reason``: missing, not-a-file, permission-denied, too-large, dangling-link,
    link-loop, error. The message names the file."""

    def __init__(self, reason: str, path: str, detail: str = "") -> None:
        self.reason = reason
        self.path = path
        self.detail = detail
        super().__init__(f"{path}: {reason.replace('-', ' ')}{': ' + detail if detail else ''}")


def unix_path(address: str) -> str | None:
    """The filesystem path of a unix socket address (``unix:///p``, ``unix:/p`` or a bare path), else None."""
    if address.startswith("unix://"):
        return address[len("unix://"):]
    if address.startswith("unix:"):
        return address[len("unix:"):]
    if "://" in address:
        return None
    return address


def kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISREG(mode):
        return "a regular file"
    return "not a regular file"


def read_bounded(path: str, shown: str, limit: int = READ_LIMIT) -> bytes:
    """Read a regular file, at most ``limit`` bytes. Anything else raises HostFileError naming ``shown``."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise HostFileError("dangling-link", shown, f"points to {_readlink(path)}") from None
        raise HostFileError("missing", shown) from None
    except PermissionError:
        raise HostFileError("permission-denied", shown) from None
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            raise HostFileError("link-loop", shown, "symbolic links loop") from None
        if exc.errno == 20:  # ENOTDIR: a path component is a file
            raise HostFileError("missing", shown, "a parent is not a directory") from None
        raise HostFileError("error", shown, exc.strerror or str(exc)) from None
    if not stat.S_ISREG(st.st_mode):
        raise HostFileError("not-a-file", shown, f"is {kind_of(st.st_mode)}")
    if st.st_size > limit:
        raise HostFileError("too-large", shown, f"{st.st_size} bytes, more than {limit}")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except PermissionError:
        raise HostFileError("permission-denied", shown) from None
    except OSError as exc:
        raise HostFileError("error", shown, exc.strerror or str(exc)) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced between stat and open
            raise HostFileError("not-a-file", shown, "is not a regular file")
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(65536, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise HostFileError("error", shown, exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise HostFileError("too-large", shown, f"more than {limit} bytes")
    return data


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"
