"""What running a program came to (a leaf of the host layer: a probe that finds no program to run loads no
subprocess machinery)."""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)
if TYPE_CHECKING:
    from typing import Any


class Outcome:
    """What running a program came to. ``kind``: exited, not-found, not-executable, timeout, error. ``where``:
    local, or the front-end whose VM ran it."""

    __slots__ = ("argv", "kind", "exit_code", "stdout", "stderr", "duration_ms", "where", "detail", "truncated")

    def __init__(self, argv: list[str], kind: str, exit_code: int | None = None, stdout: str = "", stderr: str = "",
                 duration_ms: int = 0, where: str = "local", detail: str = "", truncated: bool = False) -> None:
        self.argv, self.kind, self.exit_code = argv, kind, exit_code
        self.stdout, self.stderr, self.duration_ms = stdout, stderr, duration_ms
        self.where, self.detail, self.truncated = where, detail, truncated

    def __repr__(self) -> str:
        return f"Outcome({self.argv!r}, {self.kind!r}, exit_code={self.exit_code!r})"

    @property
    def ok(self) -> bool:
        return self.kind == "exited" and self.exit_code == 0

    @property
    def output(self) -> str:
        return (self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).strip()

    def describe(self) -> str:
        cmd = " ".join(self.argv)
        if self.kind == "exited":
            return f"`{cmd}` exited {self.exit_code}" + (f": {last_line(self.output)}" if self.exit_code else "")
        if self.kind == "timeout":
            return f"`{cmd}` did not answer within {self.duration_ms / 1000:.1f}s"
        if self.kind == "not-found":
            return f"`{self.argv[0]}` not found on PATH"
        if self.kind == "not-executable":
            return f"`{self.argv[0]}` is not executable" + (f" ({self.detail})" if self.detail else "")
        return f"`{cmd}` could not run: {self.detail}"

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"argv": self.argv, "outcome": self.kind, "exit_code": self.exit_code,
                             "output": truncate(self.output, 4000), "where": self.where}
        if self.truncated:
            d["output_truncated"] = True  # the tool printed more than is kept
        return d


def last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"

