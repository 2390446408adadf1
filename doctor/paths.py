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


def version_of(text: str, prefix: str = "") -> tuple[int, int, int] | None:
    """The first dotted version in ``text`` (after ``prefix`` when given): 'nerdctl version 1.7.6' -> (1, 7, 6).
    Bounded: only the first 4 KiB are read and a number has at most 9 digits, so a tool printing 100,000 digits
    costs microseconds (no backtracking blow-up) and never makes an integer past Python's digit limit."""
    import re

    m = re.search(re.escape(prefix) + r"v?(?<!\d)(\d{1,9})\.(\d{1,9})(?:\.(\d{1,9}))?(?!\d)", (text or "")[:4096])
    if not m:
        return None
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
