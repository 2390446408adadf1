"""Windows implementations of the doctor's own OS services (see __init__.py). Every Windows-only module (ctypes'
windll, subprocess's creation flags, signal.CTRL_BREAK_EVENT) is reached inside the function that needs it, so this
module imports anywhere and is tested on Linux against stand-ins of exactly those interfaces."""
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

NAME = "windows"
CREATE_NEW_PROCESS_GROUP = 0x00000200  # subprocess.CREATE_NEW_PROCESS_GROUP
CTRL_BREAK_EVENT = 1  # signal.CTRL_BREAK_EVENT


def effective_uid() -> int | None:
    """Windows has no uids: None (the Host then decides nothing by uid; on Windows nerdctl runs through Rancher
    Desktop's VM)."""
    return None


def elevated() -> bool:
    """An elevated (administrator) process: shell32's IsUserAnAdmin."""
    try:
        import ctypes

        return bool(ctypes.windll.shell32.IsUserAnAdmin())  # type: ignore[attr-defined]
    except (ImportError, AttributeError, OSError):
        return False


def user_name(uid: int | None) -> str | None:
    return os.environ.get("USERNAME") or None


def new_group_kwargs() -> dict[str, Any]:
    """A new console process group: Ctrl-C at the console does not reach the child; CTRL_BREAK_EVENT sent to the
    group asks it to end."""
    import subprocess

    return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", CREATE_NEW_PROCESS_GROUP)}


def end_process(proc: "subprocess.Popen[bytes]", force: bool, group: bool = True) -> None:
    """Ask the child's group to end (CTRL_BREAK_EVENT), or end the child and its descendants at once
    (`taskkill /T /F`, then TerminateProcess)."""
    if not force:
        try:
            os.kill(proc.pid, getattr(signal, "CTRL_BREAK_EVENT", CTRL_BREAK_EVENT))
            return
        except OSError:
            force = True
    if group:
        import subprocess

        try:
            subprocess.run(["taskkill", "/T", "/F", "/PID", str(proc.pid)], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=5)
        except (OSError, subprocess.SubprocessError):
            pass
    try:
        proc.kill()  # TerminateProcess
    except OSError:
        pass


def end_pipe_holders(fds: list[int]) -> int:
    """Windows names no process by the pipe it holds: `taskkill /T` (end_process) reaches a child's descendants
    while their parent lives; what outlived it keeps the pipe until the doctor stops reading (PIPE_GRACE)."""
    return 0


def terminating_signals() -> list[int]:
    """Ctrl-Break (SIGBREAK) ends a run like Ctrl-C; SIGTERM is what os.kill from another Python sends."""
    return [s for s in (getattr(signal, "SIGBREAK", None), signal.SIGTERM) if s is not None]


def open_exclusive(path: str, mode: int = 0o600) -> int:
    """CREATE_NEW: fails on any existing name, a link or junction included (Windows has no O_NOFOLLOW; an
    existing reparse point is an existing name)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)


def read_flags() -> int:
    return os.O_RDONLY | getattr(os, "O_BINARY", 0)


def copy_owner(fd: int, uid: int, gid: int) -> None:
    """A replaced file on Windows inherits its directory's ACL; there is no owner to copy."""


def fsync_dir(directory: str) -> None:
    """Windows cannot open a directory to sync it; the rename (MoveFileEx) is durable once it returns."""


_HIVES = {"HKCU": "HKEY_CURRENT_USER", "HKEY_CURRENT_USER": "HKEY_CURRENT_USER",
          "HKLM": "HKEY_LOCAL_MACHINE", "HKEY_LOCAL_MACHINE": "HKEY_LOCAL_MACHINE"}
_TYPES = {1: "REG_SZ", 2: "REG_EXPAND_SZ", 4: "REG_DWORD", 7: "REG_MULTI_SZ", 11: "REG_QWORD"}


def _open(key: str, write: bool = False) -> Any:
    import winreg as _winreg

    winreg: Any = _winreg  # typed loosely: mypy knows winreg only when it checks for Windows
    hive, _, sub = key.partition("\\")
    root = getattr(winreg, _HIVES[hive.upper()])
    access = (winreg.KEY_READ | winreg.KEY_SET_VALUE) if write else winreg.KEY_READ
    return winreg.OpenKey(root, sub, 0, access)


def read_registry(key: str, name: str) -> tuple[str, Any] | None:
    """A registry value as (type name, data), e.g. ("REG_EXPAND_SZ", "C:\\...;..."); None when absent."""
    try:
        import winreg as _winreg

        winreg: Any = _winreg
        with _open(key) as k:
            data, kind = winreg.QueryValueEx(k, name)
    except (ImportError, KeyError, OSError):
        return None
    return _TYPES.get(kind, str(kind)), data


def write_registry(key: str, name: str, kind: str, data: Any) -> None:
    """Set a value keeping the type given (never `setx`, which truncates at 1024 characters), then tell running
    programs the environment changed (WM_SETTINGCHANGE), as the Control Panel does."""
    import winreg as _winreg

    winreg: Any = _winreg
    code = {v: k for k, v in _TYPES.items()}[kind]
    with _open(key, write=True) as k:
        winreg.SetValueEx(k, name, 0, code, data)
    try:
        import ctypes

        result = ctypes.c_ulong()
        ctypes.windll.user32.SendMessageTimeoutW(0xFFFF, 0x001A, 0, "Environment", 0x0002, 5000,  # type: ignore[attr-defined]
                                                 ctypes.byref(result))
    except (ImportError, AttributeError, OSError):
        pass


def data_home(env: dict[str, str]) -> str | None:
    """Where this user's programs keep their data: %LOCALAPPDATA% (not roaming)."""
    upper = {k.upper(): v for k, v in env.items()}
    if upper.get("LOCALAPPDATA"):
        return upper["LOCALAPPDATA"]
    return os.path.join(upper["USERPROFILE"], "AppData", "Local") if upper.get("USERPROFILE") else None
