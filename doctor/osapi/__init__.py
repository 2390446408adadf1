"""The operating-system services the doctor's OWN process needs, one function each, with a POSIX and a Windows
implementation (posix.py, windows.py): identity and elevation, starting and ending children, the signals that end
a run, safe file creation, ownership, directory sync. Nothing else in the package branches on the running OS; the
diagnosed system's platform (Host.platform) is another matter and may differ (NERDCTL_DOCTOR_PLATFORM).

Callers use ``osapi.NAME(...)`` (attribute lookup at call time), never ``from .osapi import NAME``."""
from __future__ import annotations

import os

if os.name == "nt":  # pragma: no cover - exercised on Linux through tests/unit/test_osapi.py's stand-ins
    from .windows import *  # noqa: F401,F403
    from .windows import __all__  # noqa: F401
else:
    from .posix import *  # noqa: F401,F403
    from .posix import __all__  # noqa: F401
