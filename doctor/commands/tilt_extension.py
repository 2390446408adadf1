"""`nerdctl-doctor tilt-extension`: print the directory of this installation's Tilt extension repo (SPEC
section 6). Each installation has its own directory, and its Tiltfile runs this installation's interpreter by
absolute path, as its environment names it (a venv's or pipx's bin/python, never the base interpreter)."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys

from ..options import help_formatter
from ..exitcodes import ExitCode, UsageError

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)
if TYPE_CHECKING:
    from typing import Sequence

EPILOG = """In your Tiltfile (DIR is what this command prints):

  v1alpha1.extension_repo(name='nerdctl-doctor', url='file://' + DIR)
  v1alpha1.extension(name='nerdctl_doctor', repo_name='nerdctl-doctor', repo_path='nerdctl_doctor')
  load('ext://nerdctl_doctor', 'nerdctl_build')
  nerdctl_build(ref='my-image', context='.')
"""


def interpreter() -> str:
    """This installation's interpreter as its environment names it: sys.executable made absolute, never
    resolved through the venv's link to the base interpreter (which does not have the package)."""
    exe = sys.executable
    if not exe:
        raise UsageError("cannot tell which Python runs nerdctl-doctor (sys.executable is empty)")
    return os.path.abspath(exe)


def extension_dir(env: dict[str, str] | None = None) -> str:
    from .. import osapi

    env = dict(os.environ if env is None else env)
    base = osapi.data_home(env)
    if not base:
        raise UsageError("no data directory (XDG_DATA_HOME or HOME; on Windows LOCALAPPDATA): nowhere to put the Tilt "
                         "extension")
    prefix = os.path.abspath(sys.prefix)
    slug = hashlib.sha256(f"{prefix}\0{interpreter()}".encode()).hexdigest()[:12]
    return os.path.join(base, "nerdctl-doctor", "tilt-extensions", slug)


def render_tiltfile(argv_prefix: list[str]) -> str:
    from importlib.resources import files

    tmpl = files("nerdctl_doctor").joinpath("tilt", "nerdctl_doctor", "Tiltfile").read_text()
    return tmpl.replace("__NERDCTL_DOCTOR_ARGV__", json.dumps(argv_prefix))


def run(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="nerdctl-doctor tilt-extension",
                                description="Print a directory usable as a Tilt extension repo, whose "
                                            "nerdctl_doctor/Tiltfile defines nerdctl_build() running this "
                                            "installation by absolute path.",
                                epilog=EPILOG, formatter_class=help_formatter)
    p.parse_args(argv)
    d = extension_dir()
    text = render_tiltfile([interpreter(), "-m", "nerdctl_doctor", "build"])
    path = os.path.join(d, "nerdctl_doctor", "Tiltfile")
    try:
        with open(path, encoding="utf-8") as fh:
            same = fh.read(1 << 20) == text
    except OSError:
        same = False
    if not same:
        from ..fileops import atomic_write

        try:
            atomic_write(path, text.encode())
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(d)
    return ExitCode.OK
