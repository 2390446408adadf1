"""POSIX implementations of the doctor's own OS services (see __init__.py)."""
from __future__ import annotations

import os
import signal
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)
if TYPE_CHECKING:
    import subprocess
    from typing import Any

__all__ = ["NAME", "data_home", "read_registry", "write_registry", "copy_owner", "effective_uid", "elevated", "end_process",
           "end_pipe_holders", "fsync_dir", "new_group_kwargs",
           "open_exclusive", "read_flags", "terminating_signals", "user_name"]

NAME = "posix"


def effective_uid() -> int:
    """The doctor's own effective uid."""
    return os.geteuid()


def elevated() -> bool:
    """Does the doctor run with the privileges a system edit needs (root)?"""
    return os.geteuid() == 0


def user_name(uid: int | None) -> str | None:
    if uid is None:
        return None
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (KeyError, ImportError):
        return None


def new_group_kwargs() -> dict[str, Any]:
    """Popen arguments that start a child in a process group of its own, so that it and its children can be
    ended together (and a Ctrl-C at the terminal reaches the doctor first)."""
    return {"start_new_session": True}


def end_process(proc: "subprocess.Popen[bytes]", force: bool, group: bool = True) -> None:
    """Ask a child (its whole group when ``group``) to end (SIGTERM), or end it at once (SIGKILL)."""
    sig = signal.SIGKILL if force else signal.SIGTERM
    if group:
        try:
            os.killpg(proc.pid, sig)
            return
        except OSError:
            pass
    try:
        proc.send_signal(sig)
    except OSError:
        pass


def end_pipe_holders(fds: list[int]) -> int:
    """End (SIGKILL) every other process that still holds one of these pipes: what a program the doctor ran left
    behind in a session of its own (``setsid``), out of reach of its process group, keeping the doctor's output pipe
    open after the program exited. Found through /proc (Linux); where there is none, nothing is ended. Returns how
    many were ended. Only processes this user may signal are visible and ended."""
    pipes = set()
    for fd in fds:
        try:
            pipes.add(f"pipe:[{os.fstat(fd).st_ino}]")
        except OSError:
            pass
    if not pipes or not os.path.isdir("/proc/self/fd"):
        return 0
    me, ended = os.getpid(), 0
    try:
        pids = [int(n) for n in os.listdir("/proc") if n.isdigit() and int(n) != me]
    except OSError:
        return 0
    for pid in pids:
        base = f"/proc/{pid}/fd"
        try:
            held = any(os.readlink(f"{base}/{fd}") in pipes for fd in os.listdir(base))
        except OSError:  # gone, or not ours to look at
            continue
        if held:
            try:
                os.kill(pid, signal.SIGKILL)
                ended += 1
            except OSError:
                pass
    return ended


def terminating_signals() -> list[int]:
    """The signals that end a run like Ctrl-C does (SPEC 2: 128 + the signal)."""
    return [signal.SIGTERM, signal.SIGHUP]


def open_exclusive(path: str, mode: int = 0o600) -> int:
    """Create ``path`` for writing, never through a link and never over an existing file (FileExistsError)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)


def read_flags() -> int:
    """os.open flags for a read that never blocks on a FIFO or becomes a controlling terminal."""
    return os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY


def copy_owner(fd: int, uid: int, gid: int) -> None:
    """Give a file the owner of the one it replaces (only root can; others keep their own)."""
    if os.geteuid() == 0:
        try:
            os.fchown(fd, uid, gid)
        except OSError:
            pass


def fsync_dir(directory: str) -> None:
    """Make a rename in ``directory`` durable."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_registry(key: str, name: str) -> tuple[str, Any] | None:
    """A registry value (type name, data): there is no registry here."""
    return None


def write_registry(key: str, name: str, kind: str, data: Any) -> None:
    raise OSError("there is no Windows registry on this system")


def data_home(env: dict[str, str]) -> str | None:
    """Where this user's programs keep their data: $XDG_DATA_HOME, else ~/.local/share."""
    if env.get("XDG_DATA_HOME"):
        return env["XDG_DATA_HOME"]
    return os.path.join(env["HOME"], ".local", "share") if env.get("HOME") else None
