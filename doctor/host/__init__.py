"""The Host: the one object through which the doctor touches the diagnosed system (core.py), over the one
subprocess runner (procs.py) and socket probes (sockets.py); bounded file reads are fileops.py's. Nothing is
imported here at run time (import the module you need), so a command that runs no program pays for none of it."""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)
if TYPE_CHECKING:
    from .core import Host, ProcInfo
    from .outcome import Outcome
    from .sockets import SocketProbe

__all__ = ["Host", "Outcome", "ProcInfo", "SocketProbe"]
