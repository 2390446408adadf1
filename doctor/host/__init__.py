"""The Host: the one object through which the doctor touches the diagnosed system (core.py), over subprocesses
(procs.py, the one runner) and socket probes (sockets.py); bounded file reads are fileops.py's."""
from __future__ import annotations

from .core import Host, ProcInfo
from .procs import Outcome
from .sockets import SocketProbe, unix_path

__all__ = ["Host", "Outcome", "ProcInfo", "SocketProbe", "unix_path"]
