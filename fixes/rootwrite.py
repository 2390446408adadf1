"""The root side of a privileged edit run by a non-root user (SPEC 5: privileged edit steps go through sudo).

The user's doctor computes the new content (it can read the file), writes it to a temporary file it owns, and runs
`sudo <its own python> -I -c BOOT ...` with this module: as root it checks the file is still the one the user
consented to (by hash), makes the exclusive backup, and writes atomically with the original's mode and owner, using
the applier's own functions. It prints `backup: PATH` for the journal."""
from __future__ import annotations

import os
import sys

# run by sudo with -I: the doctor passes its own sys.path so this installation (editable or not) is importable
BOOT = ("import os, site, sys\n"
        "paths = [p for p in sys.argv[1].split(os.pathsep) if p]\n"
        "for p in paths:\n"
        "    site.addsitedir(p) if p.endswith('-packages') else None\n"
        "sys.path[:0] = [p for p in paths if p not in sys.path]\n"
        "from nerdctl_doctor.fixes.rootwrite import main\n"
        "sys.exit(main(sys.argv[2:]))\n")


def command(target: str, content: str | None, expected_sha: str | None, backup: str | None = None) -> list[str]:
    """Replace ``target`` with the file ``content`` (None: remove it), if its hash is still ``expected_sha``, after
    copying it to exactly ``backup`` (None: no copy). The caller has journaled that name before: a doctor killed
    while root writes leaves an edit `fix --undo` knows of."""
    return [sys.executable, "-I", "-c", BOOT, os.pathsep.join(sys.path), target, content or "-",
            expected_sha or "-", backup or "-"]


def main(argv: list[str]) -> int:
    from ..fileops import HostFileError, atomic_write, make_backup, read_or_none, sha256

    if len(argv) != 4:
        print("nerdctl-doctor: rootwrite takes TARGET CONTENT EXPECTED_SHA256 BACKUP", file=sys.stderr)
        return 2
    target, content, expected, backup = argv
    try:
        old = read_or_none(target)
    except HostFileError as exc:
        print(f"nerdctl-doctor: {exc}", file=sys.stderr)
        return 1
    if (sha256(old) or "-") != expected:
        print(f"nerdctl-doctor: {target} changed since it was read; nothing was written", file=sys.stderr)
        return 1
    if content == "-":  # undo of a file the fix created
        if old is not None:
            os.unlink(target)
        print("removed: " + target, flush=True)
        return 0
    with open(content, "rb") as fh:
        data = fh.read()
    if old is not None and backup != "-":
        try:
            print("backup: " + make_backup(target, old, os.stat(target), name=backup), flush=True)
        except OSError as exc:
            print(f"nerdctl-doctor: cannot create the backup {backup}: {exc.strerror or exc}; nothing was written",
                  file=sys.stderr)
            return 1
    atomic_write(target, data, like=target if old is not None else None)
    print("written: " + target, flush=True)
    return 0
