"""Exit codes (SPEC section 2) and the one exception that means "the user asked for something invalid"."""
from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    OK = 0  # no fail/error (with --strict: no warn either)
    PROBLEMS = 1  # at least one fail/error; a fix that did not solve the problem; a failed build
    USAGE = 2  # bad usage, a fix that is not offered, a fix refused for lack of consent
    INTERNAL = 3  # a bug of the doctor itself
    INTERRUPTED = 130  # Ctrl-C; SIGTERM and SIGHUP end with 128 + the signal

    @classmethod
    def for_signal(cls, signum: int) -> int:
        return 128 + signum


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit 2."""


class Interrupted(BaseException):
    """SIGTERM or SIGHUP arrived: end like Ctrl-C, with 128 + the signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
