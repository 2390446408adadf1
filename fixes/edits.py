"""Edit functions, registered by name. An EditStep names one; it maps the file's current text (None when the
file is absent) and the step's params to the new text. Diffs are always computed from the file as it is now."""
from __future__ import annotations

import difflib
from typing import Callable

from ..host import HostFileError

Editor = Callable[[str | None, dict], str]
EDITORS: dict[str, Editor] = {}


def editor(name: str) -> Callable[[Editor], Editor]:
    def wrap(fn: Editor) -> Editor:
        EDITORS[name] = fn
        return fn

    return wrap


def current_text(host, step) -> str | None:
    try:
        return host.read_text(step.path)
    except HostFileError as exc:
        if exc.reason == "missing":
            return None
        raise


def new_text(host, step, old: str | None) -> str:
    try:
        fn = EDITORS[step.editor]
    except KeyError:
        raise KeyError(f"no editor named {step.editor!r}") from None
    return fn(old, dict(step.params))


def unified(path: str, old: str | None, new: str) -> str:
    return "".join(
        difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=path if old is not None else "/dev/null",
            tofile=path,
        )
    )


def render_diff(host, step) -> str:
    old = current_text(host, step)
    return unified(step.path, old, new_text(host, step, old))
