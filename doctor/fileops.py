"""The doctor's own file operations, each in one place: a bounded read that never opens a FIFO or a device, a
content hash, an atomic write (temp file beside the target, fsync, rename, the original's mode and owner), and an
exclusive backup (never through a link, never over a file), and the safe YAML loader. Used by the Host's reads, the fix applier, the
sudo-side writer, the build cache and the Tilt extension writer."""
from __future__ import annotations

import os
import stat

from . import osapi
from .constants import READ_LIMIT

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)
if TYPE_CHECKING:
    from typing import Any


class HostFileError(Exception):
    """A file could not be read. ``reason``: missing, not-a-file, permission-denied, too-large, dangling-link,
    link-loop, error. The message names the file."""

    def __init__(self, reason: str, path: str, detail: str = "") -> None:
        self.reason = reason
        self.path = path
        self.detail = detail
        super().__init__(f"{path}: {reason.replace('-', ' ')}{': ' + detail if detail else ''}")


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


def read_bounded(path: str, shown: str | None = None, limit: int = READ_LIMIT) -> bytes:
    """A regular file's bytes, at most ``limit``. Anything else raises HostFileError naming ``shown``."""
    shown = path if shown is None else shown
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise HostFileError("dangling-link", shown, f"points to {_readlink(path)}") from None
        raise HostFileError("missing", shown) from None
    except PermissionError:
        raise HostFileError("permission-denied", shown) from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        errno_ = getattr(exc, "errno", None)
        if errno_ == 40:  # ELOOP
            raise HostFileError("link-loop", shown, "symbolic links loop") from None
        if errno_ == 20:  # ENOTDIR: a path component is a file
            raise HostFileError("missing", shown, "a parent is not a directory") from None
        raise HostFileError("error", shown, getattr(exc, "strerror", None) or str(exc)) from None
    if not stat.S_ISREG(st.st_mode):
        raise HostFileError("not-a-file", shown, f"is {kind_of(st.st_mode)}")
    if st.st_size > limit:
        raise HostFileError("too-large", shown, f"{st.st_size} bytes, more than {limit}")
    try:
        fd = os.open(path, osapi.read_flags())
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


def read_or_none(path: str, limit: int = READ_LIMIT) -> bytes | None:
    """A file's bytes, or None when it does not exist; HostFileError for anything else that is not a file."""
    try:
        return read_bounded(path, path, limit)
    except HostFileError as exc:
        if exc.reason == "missing":
            return None
        raise


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def sha256(data: bytes | None) -> str | None:
    if data is None:
        return None
    import hashlib

    return hashlib.sha256(data).hexdigest()


def atomic_write(path: str, data: bytes, like: str | None = None, mode: int = 0o644) -> None:
    """Temp file in the same directory, fsync, rename; mode and owner copied from ``like`` when it exists."""
    import tempfile

    d = os.path.dirname(path) or "."
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        try:
            st = os.stat(like) if like else None
        except OSError:
            st = None
        os.fchmod(fd, (st.st_mode & 0o7777) if st else mode) if hasattr(os, "fchmod") else None
        if st is not None:
            osapi.copy_owner(fd, st.st_uid, st.st_gid)
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    osapi.fsync_dir(d)


def backup_name(path: str, n: int = 0) -> str:
    """The timestamped name of a backup of ``path`` (``n``: the how-manieth try within the same microsecond)."""
    import datetime

    stamp = datetime.datetime.now().strftime("%Y%m%dT%H%M%S%f") + (f"-{n}" if n else "")
    return f"{path}.nerdctl-doctor-{stamp}.bak"


def make_backup(path: str, data: bytes, st: os.stat_result, name: str | None = None) -> str:
    """A timestamped copy beside ``path`` (or exactly ``name``, chosen and journaled beforehand), created
    exclusively (never through a link, never over a file), with the original's mode and owner from the start,
    complete and synced before it is named."""
    for n in range(1 if name else 100):
        backup = name or backup_name(path, n)
        try:
            fd = osapi.open_exclusive(backup, 0o600)
        except FileExistsError:
            if name:
                raise
            continue
        try:
            osapi.copy_owner(fd, st.st_uid, st.st_gid)
            if hasattr(os, "fchmod"):
                os.fchmod(fd, st.st_mode & 0o7777)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            try:
                os.unlink(backup)  # never leave a short backup behind (a full disk, RLIMIT_FSIZE)
            except OSError:
                pass
            raise
        os.close(fd)
        return backup
    raise OSError(f"cannot create a backup of {path}")


def load_yaml(text: str) -> Any:
    """YAML text from the diagnosed system (a kubeconfig, a Lima or kubelet config), safely: PyYAML's libyaml loader
    where the installed PyYAML has it (10-1000x faster on large files, and it refuses nesting past libyaml's limit
    at once instead of scanning for seconds), else its pure-Python one. Raises yaml.YAMLError, RecursionError, or
    ValueError (an integer past Python's digit limit)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
