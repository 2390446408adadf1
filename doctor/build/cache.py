"""The preflight cache: a passing preflight is remembered, so Tilt's rebuild loop pays for it once. The entry records
every file the preflight's Host looked at (Host.touched) and counts only while none of them changed and the selected
BuildKit socket and containerd's socket still accept a connection (a dead daemon leaves its socket file behind); a
failed build drops it. It lives in the user's cache
directory, is ignored unless it is a regular file owned by the user, and keeps at most MAX_ENTRIES entries."""
from __future__ import annotations

import argparse
import json
import os
import time
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from .. import osapi
from .argv import dockerfile_for

if TYPE_CHECKING:
    from typing import Any
    from ..host import Host

MAX_AGE = 3600.0
MAX_ENTRIES = 32
MAX_FILES = 4096
ENV_KEYS = ("PATH", "HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "CONTAINERD_ADDRESS", "CONTAINERD_NAMESPACE",
            "CONTAINERD_SNAPSHOTTER", "BUILDKIT_HOST", "NERDCTL_TOML", "ROOTLESSKIT_STATE_DIR", "KUBECONFIG")


def _stat_id(path: str) -> list[Any]:
    try:
        st = os.stat(path)
        return [st.st_ino, st.st_mtime_ns, st.st_size, st.st_mode]
    except OSError as exc:
        return [exc.errno]


def key(args: argparse.Namespace, host: "Host") -> str:
    """The question the preflight answered: the build's options, the environment, where and as whom. What it
    read is not in the key: the entry records it (see store), and a hit needs all of it unchanged."""
    parts: list[Any] = [4, str(host.root), host.mode, host.frontend.name, host.namespace, args.address,
                        args.buildkit_host, os.path.abspath(args.context), args.file and os.path.abspath(args.file),
                        args.dockerfile_contents_env, args.secret, os.getcwd(), osapi.effective_uid(),
                        {k: host.env.get(k) for k in ENV_KEYS}]
    import zlib  # a C module: cheaper to import than hashlib on this hot path; entries are validated anyway

    data = json.dumps(parts, default=str).encode()
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def files_read(args: argparse.Namespace, host: "Host") -> list[str]:
    """Every path the preflight's Host looked at, plus the context and the Dockerfile (read by the build checks)."""
    extra = [os.path.abspath(args.context)] + ([dockerfile_for(args)] if dockerfile_for(args) else [])
    return sorted(set(host.touched or ()) | {p for p in extra if p})[:MAX_FILES]


def directory(host: "Host") -> str | None:
    base = host.cache_home()
    return os.path.join(base, "nerdctl-doctor") if base else None


def _entry(host: "Host", k: str) -> str | None:
    d = directory(host)
    return os.path.join(d, f"preflight-{k}.json") if d else None


def hit(host: "Host", k: str) -> bool:
    from ..fileops import HostFileError, read_bounded

    p = _entry(host, k)
    if not p:
        return False
    try:
        st = os.lstat(p)
        if not os.path.isfile(p) or os.path.islink(p) or (osapi.effective_uid() is not None and st.st_uid != osapi.effective_uid()):
            return False
        doc = json.loads(read_bounded(p, p, 64 << 10))
        if not (doc.get("ok") is True and time.time() - float(doc.get("time", 0)) < MAX_AGE):
            return False
        sockets = doc.get("sockets") or []
        files = doc.get("files") or {}
        if not isinstance(files, dict) or not isinstance(sockets, list):
            return False
        if any(_stat_id(str(p)) != want for p, want in files.items()):
            return False  # something the preflight read has changed since
    except (OSError, ValueError, TypeError, AttributeError, HostFileError):
        return False  # a missing, foreign or corrupt entry is a miss
    for address in sockets:  # still alive? a daemon that died leaves its socket file behind
        if not isinstance(address, str) or host.probe_socket(address, timeout=min(host.timeout, 1.0)).outcome != "answered":
            return False
    return True


def store(host: "Host", k: str, sockets: list[str], files: list[str] | None = None) -> None:
    p = _entry(host, k)
    if not p:
        return
    try:
        from ..fileops import atomic_write

        doc = {"ok": True, "time": time.time(), "sockets": sockets,
               "files": {f: _stat_id(f) for f in files or []}}
        atomic_write(p, json.dumps(doc).encode())
        prune(os.path.dirname(p))
    except OSError:
        pass  # a cache that cannot be written only costs time


def drop(host: "Host", k: str) -> None:
    p = _entry(host, k)
    if p:
        try:
            os.unlink(p)
        except OSError:
            pass


def prune(d: str) -> None:
    try:
        entries = sorted((e for e in os.scandir(d) if e.name.startswith("preflight-")),
                         key=lambda e: e.stat(follow_symlinks=False).st_mtime, reverse=True)
    except OSError:
        return
    for e in entries[MAX_ENTRIES:]:
        try:
            os.unlink(e.path)
        except OSError:
            pass
