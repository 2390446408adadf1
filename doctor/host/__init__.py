"""The Host: the one object through which the doctor touches the diagnosed system (core.py), over bounded file
reads (files.py), subprocesses (procs.py) and socket probes (sockets.py). Names are exported lazily, so a module
that needs only ``HostFileError`` does not pay for subprocess and socket at start-up."""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from .files import READ_LIMIT, HostFileError, unix_path

if TYPE_CHECKING:
    from typing import Any
    from .core import Host, ProcInfo
    from .procs import Outcome
    from .sockets import SocketProbe

__all__ = ["READ_LIMIT", "Host", "HostFileError", "Outcome", "ProcInfo", "SocketProbe", "unix_path"]
_LAZY = {"Host": "core", "ProcInfo": "core", "Outcome": "procs", "SocketProbe": "sockets"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
