"""The one evidence renderer, shared by the text report and the TUI (SPEC 8): aligned `key: value` lines, lists
and nested maps indented beneath their key, never raw JSON; and ``clean``, which keeps what a tool printed from
reaching the user's terminal as control sequences (screen clears, titles, OSC 52 clipboard writes)."""
from __future__ import annotations

import re
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from .model import jsonable

if TYPE_CHECKING:
    from typing import Any

SCALAR_LIMIT = 400
# C0 controls but tab and newline, DEL, and C1 controls (ESC sequences, OSC, CSI)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def system_label(h: dict[str, Any]) -> str:
    """The diagnosed system in a header, from the JSON "host" block: `linux debian 12`, `macOS`, `Windows`."""
    named = {"darwin": "macOS", "windows": "Windows"}
    if h.get("platform") in named:
        return named[h["platform"]]
    return f"{h.get('platform', '')} {h.get('distro') or 'unknown'}".strip()


def clean(text: str) -> str:
    """Text for a person's terminal: control characters shown escaped (\\x1b), never interpreted."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class Cleaned:
    """A text stream for a person through which everything written is ``clean``: what a fix shows and streams (file
    diffs, a step's output) may hold what a file or a tool put there."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(clean(text))

    def flush(self) -> None:
        self.stream.flush()


def evidence_lines(value: Any, indent: str = "") -> list[str]:
    """Aligned `key: value` lines; lists and nested maps indented beneath their key."""
    value = jsonable(value)
    out: list[str] = []
    if isinstance(value, dict):
        width = max((len(k) for k in value), default=0)
        for k, v in value.items():
            k = clean(k)
            if isinstance(v, (dict, list)) and v:
                out.append(f"{indent}{k}:")
                out += evidence_lines(v, indent + "  ")
            else:
                out.append(f"{indent}{k + ':':<{width + 1}} {scalar(v)}")
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, (dict, list)) and v:
                sub = evidence_lines(v, indent + "  ")
                out.append(f"{indent}- {sub[0].lstrip()}")
                out += sub[1:]
            else:
                out.append(f"{indent}- {scalar(v)}")
    else:
        out.append(f"{indent}{scalar(value)}")
    return out


def scalar(v: Any) -> str:
    if v is None:
        return "(none)"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, (dict, list)):
        return "(empty)"
    s = str(v)
    if len(s) > SCALAR_LIMIT:
        s = s[:SCALAR_LIMIT] + "…"
    return clean(s.replace("\n", "\\n"))
