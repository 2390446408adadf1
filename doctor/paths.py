"""Pure functions on the names of things the doctor probes (a leaf: no I/O, no imports of the package)."""
from __future__ import annotations


def unix_path(address: str) -> str | None:
    """The filesystem path of a unix socket address (``unix:///p``, ``unix:/p`` or a bare path), else None."""
    if address.startswith("unix://"):
        return address[len("unix://"):]
    if address.startswith("unix:"):
        return address[len("unix:"):]
    if "://" in address:
        return None
    return address


def drive_path(s: str) -> bool:
    """`C:\\...` or `C:/...`: a Windows drive path."""
    return len(s) >= 3 and s[1] == ":" and s[2] in "\\/" and s[0].isalpha()
