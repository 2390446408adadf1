"""The Host: the one object through which the doctor touches the diagnosed system.

Environment, files under ``--root`` (files.py), subprocesses with a timeout (procs.py), unix sockets
(sockets.py), processes from ``<root>/proc`` and the front-end that runs nerdctl all go through here, so every
check is a plain function of a Host and can be tested with a built one. Diagnosis through a Host never writes.
"""
from __future__ import annotations

import os
import sys
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from .. import osapi
from ..constants import DEFAULT_NAMESPACE, MODES, READ_LIMIT
from ..fileops import HostFileError, read_bounded
from ..paths import drive_path, unix_path

if TYPE_CHECKING:
    from typing import Any, Callable, ClassVar, Mapping, Sequence
    from .outcome import Outcome
    from .sockets import SocketProbe

    Decide = Callable[["Host"], "tuple[str, Frontend]"]

XDG_VARS = ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")



class ProcInfo:
    """A process of the diagnosed system (a plain class: start-up cost matters on this path)."""

    __slots__ = ("pid", "name", "cmdline", "uid")

    def __init__(self, pid: int, name: str, cmdline: list[str], uid: int | None = None) -> None:
        self.pid, self.name, self.cmdline, self.uid = pid, name, cmdline, uid

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "name": self.name, "cmdline": self.cmdline, "uid": self.uid}


# The VM protocol: what the Host needs to know of the front-end that runs nerdctl (where its tools live, how to run a
# command inside its VM with sudo exactly where its own nerdctl uses it, its containerd and BuildKit inside, its
# mounts, whether it runs). The defaults are the plain host's: commands run here, sockets are this system's. The
# front-ends (frontends/) implement it; the Host takes the decision of which one applies as an injected callable, so
# the host layer never imports a front-end.
class Frontend:
    name: ClassVar[str | None] = None  # None: the plain host
    label: ClassVar[str] = "this host"
    vm: ClassVar[bool] = False

    def __init__(self, host: "Host") -> None:
        self.host = host

    # -- detection
    @classmethod
    def wraps(cls, host: "Host", nerdctl: str) -> bool:
        """Is this nerdctl (a logical path on PATH) this front-end's wrapper?"""
        return False

    def tool_dirs(self) -> list[str]:
        """Where the front-end keeps its nerdctl (logical paths)."""
        return []

    def installed(self) -> dict[str, Any]:
        """Evidence of the front-end's presence; empty when it is not installed."""
        return {}

    # -- running things inside
    def vm_argv(self, argv: list[str], sudo: bool) -> list[str] | None:
        """The host argv that runs ``argv`` where nerdctl's containerd lives; None when that is impossible."""
        return list(argv)

    def why_no_vm(self) -> str:
        return ""

    def running(self) -> "tuple[bool, Outcome | None]":
        return True, None

    def trouble(self) -> str | None:
        """The id of this front-end's check that explains why nothing answers inside its VM (its engine, it not
        running), decided from what it finds now; None when the VM should answer."""
        return None

    # -- what lives inside
    containerd_address: ClassVar[str] = "/run/containerd/containerd.sock"
    buildkit_run_dir: ClassVar[str] = "/run"
    needs_sudo: ClassVar[bool] = False  # buildctl/ctr inside need sudo, as the front-end's nerdctl does

    # the check that says whether the front-end can build at all (the build preflight runs it)
    preflight_checks: ClassVar[tuple[str, ...]] = ()
    # Tilt's product name(s) for the clusters this front-end runs
    kube_products: ClassVar[tuple[str, ...]] = ()
    # the check that says whether its nerdctl is where Tilt finds it, and the one about its stale links
    path_check: ClassVar[str | None] = None
    links_check: ClassVar[str | None] = None

    def owns(self, target: str) -> bool:
        """Does a link target point into this front-end's install?"""
        return False

    def serves_cluster(self, cluster: str) -> tuple[bool, str]:
        """Is this Tilt cluster (of one of kube_products) the one whose kubelet sees this front-end's images?
        (yes/no, why)."""
        return False, f"the cluster {cluster!r} is not {self.label}'s"

    def worker_fix(self, namespace: str) -> "tuple[str, dict[str, Any]] | None":
        """The fix that gives this front-end's buildkitd a containerd worker for ``namespace``, if one can: a fix id
        and the facts its builder needs (fixes/all.py turns them into a Fix; front-ends never build fixes)."""
        return None

    def worker_advice(self, namespace: str) -> str:
        return ""

    def forwarded_buildkit(self) -> str | None:
        """A BuildKit socket of the VM forwarded to this host (probed here, without the VM's shell)."""
        return None

    def mounts(self) -> list[str]:
        """Host directories visible inside the VM at the same path (empty: not a VM)."""
        return []

    def forwards_host_env(self) -> bool:
        """Does the wrapper forward BUILDKIT_HOST, CONTAINERD_* and the host's nerdctl.toml into the VM?"""
        return not self.vm

    def describe(self) -> str:
        return self.label


class Host:
    """Everything the doctor knows about, and may touch on, the system being diagnosed."""

    def __init__(self, root: str | os.PathLike[str] = "/", env: Mapping[str, str] | None = None,
                 mode: str = "auto", namespace: str | None = None, timeout: float = 5.0, euid: int | None = None,
                 flags: Mapping[str, str | None] | None = None, frontend: str = "auto",
                 platform: str | None = None, decide: "Decide | None" = None) -> None:
        self.env: dict[str, str] = dict(os.environ if env is None else env)
        # nerdctl flags the modelled command line carries (the build backend's --address, --buildkit-host)
        self.flags: dict[str, str | None] = dict(flags or {})
        self.root = os.path.abspath(root)
        self.timeout = float(timeout)
        self.euid = osapi.effective_uid() if euid is None else euid
        self.namespace = namespace or DEFAULT_NAMESPACE
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.requested_mode = mode
        self.requested_frontend = frontend
        self.platform = platform or self.env.get("NERDCTL_DOCTOR_PLATFORM") or (
            "darwin" if sys.platform == "darwin" else "windows" if sys.platform == "win32" else "linux")
        # Windows: environment names are case-insensitive, paths have drives, programs are found through Path
        # and PATHEXT, and settings live in the registry (or, diagnosing from elsewhere, NERDCTL_DOCTOR_REGISTRY)
        self.windows = self.platform == "windows"
        self._env_ci = {k.upper(): v for k, v in self.env.items()} if self.windows else None
        import threading  # the memo's locks (checks run concurrently)

        self._memo: dict[Any, Any] = {}
        self._memo_locks: dict[Any, Any] = {}
        self._memo_guard = threading.Lock()
        self._new_lock = threading.Lock
        self._prefixes = self._as_given_prefixes()
        # every path this Host looked at, when recording (the build backend's preflight cache validates on them)
        self.touched: set[str] | None = None
        # which front-end runs nerdctl, and so the mode: decided by the caller's callable (frontends.decide), so the
        # host layer never imports a front-end; without one, the plain host in the requested (or euid's) mode
        self._decide = decide
        self.mode, self.frontend = (decide or plain)(self)

    def fresh(self) -> "Host":
        """The same host with nothing remembered: for re-running checks after a fix or on request."""
        return Host(root=self.root, env=self.env, mode=self.requested_mode, namespace=self.namespace,
                    timeout=self.timeout, euid=self.euid, flags=self.flags, frontend=self.requested_frontend,
                    platform=self.platform, decide=self._decide)

    # ------------------------------------------------------------------ identity
    @property
    def rooted(self) -> bool:
        return self.root != "/"

    @property
    def rootless(self) -> bool:
        return self.mode == "rootless"

    @property
    def vm(self) -> bool:
        return self.mode == "vm"

    def getenv(self, name: str) -> str | None:
        if self._env_ci is not None:
            return self._env_ci.get(name.upper())
        return self.env.get(name)

    @property
    def home(self) -> str | None:
        if self.windows:
            return self.getenv("USERPROFILE") or self.getenv("HOME") or None
        return self.env.get("HOME") or None

    def join(self, *parts: str) -> str:
        """Join path parts the way the diagnosed system does (backslashes on Windows)."""
        if self.windows:
            import ntpath

            return ntpath.join(*parts)
        return os.path.join(*parts)

    def pathext(self) -> list[str]:
        """Windows: the extensions that make a file a program (PATHEXT), lower case."""
        return [e.lower() for e in (self.getenv("PATHEXT") or ".COM;.EXE;.BAT;.CMD").split(";") if e.startswith(".")]

    def registry(self, key: str, name: str) -> tuple[str, Any] | None:
        """A registry value of the diagnosed Windows system as (type, data), e.g. ("REG_EXPAND_SZ", "..."); None
        when absent. From the JSON file NERDCTL_DOCTOR_REGISTRY when it is set (diagnosing another system's
        copy: {"HKCU\\Environment": {"Path": ["REG_EXPAND_SZ", "..."]}}), else from this machine's registry."""
        path = self.env.get("NERDCTL_DOCTOR_REGISTRY")
        if path:
            doc = self.memo(("registry-file", path), lambda: self._registry_file(path))
            for k, values in doc.items():
                if k.lower() == key.lower() and isinstance(values, dict):
                    for n, v in values.items():
                        if n.lower() == name.lower() and isinstance(v, list) and len(v) == 2:
                            return str(v[0]), v[1]
            return None
        if self.windows and not self.rooted:
            return osapi.read_registry(key, name)
        return None

    def registry_path(self, key: str) -> list[str]:
        """The entries of a Path in the registry (the user's or the machine's), `%VAR%` expanded from this
        environment as Windows expands a REG_EXPAND_SZ."""
        import re

        v = self.registry(key, "Path")
        if v is None:
            return []
        text = re.sub(r"%([^%]+)%", lambda m: self.getenv(m.group(1)) or m.group(0), str(v[1]))
        return [e.strip('"') for e in text.split(";") if e.strip('"')]

    def _registry_file(self, path: str) -> dict[str, Any]:
        import json

        try:
            doc = json.loads(read_bounded(path, path))
        except (HostFileError, ValueError, RecursionError):
            return {}
        return doc if isinstance(doc, dict) else {}

    def wsl_distro(self) -> str | None:
        """The WSL distro this Linux system is (WSL_DISTRO_NAME, or `microsoft` in /proc/version), else None."""
        if self.platform != "linux":
            return None
        name = self.env.get("WSL_DISTRO_NAME")
        if name:
            return name
        try:
            version = self.read_text("/proc/version", limit=4096)
        except HostFileError:
            return None
        return "unknown" if "microsoft" in version.lower() else None

    def config_home(self) -> str | None:
        return self.env.get("XDG_CONFIG_HOME") or (os.path.join(self.home, ".config") if self.home else None)

    def data_home(self) -> str | None:
        return self.env.get("XDG_DATA_HOME") or (os.path.join(self.home, ".local", "share") if self.home else None)

    def state_home(self) -> str | None:
        return self.env.get("XDG_STATE_HOME") or (os.path.join(self.home, ".local", "state") if self.home else None)

    def cache_home(self) -> str | None:
        return self.env.get("XDG_CACHE_HOME") or (os.path.join(self.home, ".cache") if self.home else None)

    @property
    def user(self) -> str:
        u = (self.getenv("USERNAME") if self.windows else None) or self.env.get("USER") or self.env.get("LOGNAME")
        if u:
            return u
        return osapi.user_name(self.euid) or str(self.euid)

    def distro(self) -> dict[str, str]:
        """{"id", "version", "name", "like", "codename"} from the diagnosed root's os-release (bounded read)."""

        def compute() -> dict[str, str]:
            info = {"id": "", "version": "", "name": "", "like": "", "codename": ""}
            if self.platform == "darwin":
                return {**info, "id": "macos", "name": "macOS"}
            if self.windows:
                return {**info, "id": "windows", "name": "Windows"}
            for p in ("/etc/os-release", "/usr/lib/os-release"):
                try:
                    text = self.read_text(p, limit=64 << 10)
                except HostFileError:
                    continue
                kv = parse_os_release(text)
                return {"id": kv.get("ID", "").lower(), "version": kv.get("VERSION_ID", ""),
                        "name": kv.get("NAME", ""), "like": kv.get("ID_LIKE", "").lower(),
                        "codename": kv.get("VERSION_CODENAME", "")}
            return info

        return self.memo(("distro",), compute)

    def distro_label(self) -> str:
        d = self.distro()
        return " ".join(x for x in (d["id"], d["version"]) if x) or "unknown"

    # ------------------------------------------------------------------ paths
    def _as_given_prefixes(self) -> list[str]:
        pre = []
        for name in ("HOME",) + XDG_VARS:
            v = self.env.get(name)
            if v and os.path.isabs(v):
                pre.append(os.path.normpath(v))
        for d in self.path_entries():
            if os.path.isabs(d):
                pre.append(os.path.normpath(d))
        return sorted({p.rstrip("/") for p in pre if p != "/"})

    def is_user_path(self, logical: str) -> bool:
        p = os.path.normpath(logical)
        # walk up the path's ancestors: linear in its depth, not in the number of PATH entries
        prefixes = set(self._prefixes)
        cur = p
        while True:
            if cur in prefixes:
                return True
            parent = os.path.dirname(cur)
            if parent == cur:
                return False
            cur = parent

    def resolve(self, logical: str | os.PathLike[str]) -> str:
        """The path to open for a logical path: system paths are joined under --root; paths under HOME, the
        XDG_* variables and PATH are used as given. A Windows drive path (`C:\\Users\\a`) diagnosed from elsewhere
        is DIR/c/Users/a."""
        s = os.fspath(logical)
        if self.windows and drive_path(s):
            # on Windows itself a drive path is opened as it is (--root is `/` there); a Windows system
            # diagnosed from elsewhere has its drives under --root
            r = s if osapi.NAME == "windows" and not self.rooted else os.path.join(
                self.root, s[0].lower(), *[p for p in s[3:].replace("\\", "/").split("/") if p])
            if self.touched is not None:
                self.touched.add(r)
            return r
        if not self.rooted or not os.path.isabs(s) or self.is_user_path(s):
            r = s
        elif s == self.root or s.startswith(self.root.rstrip("/") + "/"):
            r = s  # already resolved
        else:
            r = os.path.join(self.root, s.lstrip("/"))
        if self.touched is not None:
            self.touched.add(r)
        return r

    def resolve_system(self, logical: str) -> str:
        """A system path of the diagnosed system, under --root even when the same path is on this PATH (where
        resolve() would take it as given, the live machine's)."""
        return os.path.join(self.root, logical.lstrip("/")) if self.rooted else logical

    def contained(self, physical: str) -> bool:
        """Is a path (links followed) inside the diagnosed root? Always, when the root is `/`."""
        if not self.rooted:
            return True
        real = os.path.realpath(physical)
        base = os.path.realpath(self.root)
        return real == base or real.startswith(base.rstrip("/") + "/")

    def show(self, logical: str) -> str:
        r = self.resolve(logical)
        return logical if r == logical else f"{logical} (at {r})"

    def exists(self, logical: str) -> bool:
        return os.path.exists(self.resolve(logical))

    def lexists(self, logical: str) -> bool:
        return os.path.lexists(self.resolve(logical))

    def is_dir(self, logical: str) -> bool:
        return os.path.isdir(self.resolve(logical))

    def is_executable(self, logical: str) -> bool:
        p = self.resolve(logical)
        if self.windows:
            return os.path.isfile(p) and logical.lower().endswith(tuple(self.pathext()))
        return os.path.isfile(p) and os.access(p, os.X_OK)

    def lstat(self, logical: str) -> os.stat_result | None:
        try:
            return os.lstat(self.resolve(logical))
        except (OSError, ValueError):  # ValueError: a NUL byte in a path
            return None

    def stat(self, logical: str) -> os.stat_result | None:
        try:
            return os.stat(self.resolve(logical))
        except (OSError, ValueError):  # ValueError: a NUL byte in a path
            return None

    def listdir(self, logical: str) -> list[str]:
        try:
            return sorted(os.listdir(self.resolve(logical)))
        except (OSError, ValueError):
            return []

    def readlink(self, logical: str) -> str | None:
        try:
            return os.readlink(self.resolve(logical))
        except (OSError, ValueError):  # ValueError: a NUL byte in a path
            return None

    def read_bytes(self, logical: str, limit: int = READ_LIMIT) -> bytes:
        """A regular file's bytes (at most ``limit``); HostFileError with a reason otherwise."""
        return read_bounded(self.resolve(logical), logical, limit)

    def read_text(self, logical: str, limit: int = READ_LIMIT) -> str:
        return self.read_bytes(logical, limit).decode("utf-8", "replace")

    def link_chain(self, path: str, limit: int = 16) -> list[str]:
        """The logical targets of a symlink chain (absolute targets are followed under --root)."""
        out: list[str] = []
        cur = path
        for _ in range(limit):
            target = self.readlink(cur)
            if target is None:
                break
            if not os.path.isabs(target):
                target = os.path.normpath(os.path.join(os.path.dirname(cur), target))
            out.append(target)
            cur = target
        return out

    def file_state(self, logical: str) -> str:
        """executable, not-executable, dangling-link, directory, missing, other."""
        path = self.resolve(logical)
        if not os.path.lexists(path):
            return "missing"
        if os.path.islink(path) and not os.path.exists(path):
            return "dangling-link"
        if os.path.isdir(path):
            return "directory"
        if not os.path.isfile(path):
            return "other"
        if self.windows:
            return "executable" if logical.lower().endswith(tuple(self.pathext())) else "not-executable"
        return "executable" if os.access(path, os.X_OK) else "not-executable"

    # ------------------------------------------------------------------ PATH
    def path_entries(self) -> list[str]:
        if self.windows:  # `Path` (`PATH` when absent), `;`-separated
            return [p.strip('"') for p in (self.getenv("Path") or "").split(";") if p.strip('"')]
        return [p for p in self.env.get("PATH", "").split(os.pathsep) if p]

    def _names(self, name: str) -> list[str]:
        """Windows: the file names a program name stands for (PATHEXT), as Windows and Go's LookPath try them."""
        if not self.windows:
            return [name]
        exts = self.pathext()
        return [name] if name.lower().endswith(tuple(exts)) else [name + e for e in exts]

    def which(self, name: str, path: Sequence[str] | None = None) -> str | None:
        """The first executable regular file named ``name`` on PATH (as given, not under --root); on Windows
        through Path and PATHEXT."""
        if self.windows:
            if "\\" in name or "/" in name:
                return name if self.is_executable(name) else None
            for d in path if path is not None else self.path_entries():
                for n in self._names(name):
                    cand = self.join(d, n)
                    if os.path.isfile(self.resolve(cand)):
                        return cand
            return None
        if "/" in name:
            return name if self.is_executable(name) else None
        for d in path if path is not None else self.path_entries():
            cand = os.path.join(d, name)
            if self.touched is not None and path is None:
                self.touched.add(d)  # a PATH directory's mtime changes when a tool appears or goes
            if os.path.isfile(cand) and os.access(cand, os.X_OK):
                if self.touched is not None and path is None:
                    self.touched.add(cand)
                return cand
        return None

    def which_all(self, name: str, path: Sequence[str] | None = None) -> list[dict[str, str]]:
        found = []
        for d in path if path is not None else self.path_entries():
            for n in self._names(name):
                cand = self.join(d, n)
                if os.path.lexists(self.resolve(cand) if self.windows else cand):
                    found.append({"path": cand, "state": self.file_state(cand)})
        return found

    # ------------------------------------------------------------------ programs
    def run(self, argv: Sequence[str], *, timeout: float | None = None, env: Mapping[str, str] | None = None,
            input: bytes | str | None = None, cwd: str | None = None, where: str = "local") -> Outcome:
        """Run a program without a shell, bounded by ``timeout`` (default --timeout). Never raises for the
        program's sake."""
        from .outcome import Outcome
        argv = [str(a) for a in argv]
        if not argv:
            return Outcome(argv, "error", detail="empty command")
        given = "/" in argv[0] or (self.windows and "\\" in argv[0])
        exe = self.which(argv[0]) if not given else argv[0]
        if exe is None:
            return Outcome(argv, "not-found", where=where)
        state = self.file_state(exe) if given else "executable"
        if state != "executable":
            return Outcome(argv, "not-executable" if state != "missing" else "not-found", where=where, detail=state)
        if self.windows:
            exe = self.resolve(exe)  # a Windows program of the diagnosed system (under --root when diagnosed from elsewhere)
        from . import procs  # subprocess and threads: only once there is a program to run
        full_env = dict(self.env)
        full_env.update(env or {})
        data = input.encode() if isinstance(input, str) else input
        return procs.run(exe, argv, full_env, self.timeout if timeout is None else timeout, data, cwd, where)

    def run_vm(self, argv: Sequence[str], *, sudo: bool | None = None, timeout: float | None = None) -> Outcome:
        """Run ``argv`` where nerdctl's containerd lives: inside the front-end's VM in vm mode (with sudo exactly
        where its own nerdctl uses it), else here. A VM that is not running is said, not probed."""
        from .outcome import Outcome
        if not self.vm:
            return self.run(argv, timeout=timeout)
        fe = self.frontend
        running, _ = self.memo(("vm-running", fe.name), fe.running)
        if not running:
            return Outcome([str(a) for a in argv], "error", where=fe.name or "vm",
                           detail=f"{fe.label} is not running")
        full = fe.vm_argv([str(a) for a in argv], fe.needs_sudo if sudo is None else sudo)
        if full is None:
            return Outcome([str(a) for a in argv], "not-found", where=fe.name or "vm", detail=fe.why_no_vm())
        out = self.run(full, timeout=timeout, where=fe.name or "vm")
        out.argv = full
        return out

    def run_streaming(self, argv: Sequence[str], on_line: Callable[[str], None], *, timeout: float | None = 600.0,
                      env: Mapping[str, str] | None = None, inherit_terminal: bool = False) -> Outcome:
        """Run a program with its stdout and stderr merged, each line handed to ``on_line`` as it comes (fix
        steps, loaders). ``inherit_terminal``: it keeps the doctor's terminal (sudo asking for a password)."""
        from . import procs
        from .outcome import Outcome
        argv = [str(a) for a in argv]
        given = "/" in argv[0] or (self.windows and "\\" in argv[0])
        exe = self.which(argv[0]) if not given else (argv[0] if self.is_executable(argv[0]) else None)
        if exe is None:
            return Outcome(argv, "not-found")
        if self.windows:
            exe = self.resolve(exe)
        full_env = dict(self.env)
        full_env.update(env or {})
        lines = procs.Lines(on_line)
        out = procs.run(exe, argv, full_env, timeout, on_output=lines, merge=True, terminal=inherit_terminal)
        lines.flush()
        return out

    # ------------------------------------------------------------------ sockets
    def probe_socket(self, address: str, timeout: float | None = None) -> SocketProbe:
        from .sockets import SocketProbe, probe

        logical = unix_path(address)
        if logical is None:
            return SocketProbe(address, address, address, "error", "not a unix socket address")
        return probe(address, logical, self.resolve(logical), self.timeout if timeout is None else timeout)

    def canonical(self, logical: str, hops: int = 40) -> str:
        """A logical path with every symlink in its directory chain followed the way the diagnosed system follows
        it (an absolute target is the system's own path, under --root): /var/run/x is /run/x where /var/run links
        to /run, whether or not x exists."""
        parts = [p for p in os.path.normpath(logical).split("/") if p]
        done: list[str] = []
        while parts:
            part = parts.pop(0)
            cur = "/" + "/".join([*done, part])
            target = self.readlink(cur) if hops > 0 else None
            if target is None:
                done.append(part)
                continue
            hops -= 1
            base = [] if os.path.isabs(target) else list(done)
            parts = [p for p in os.path.normpath("/".join([*base, target])).split("/") if p] + parts
            done = []
        return "/" + "/".join(done)

    def same_file(self, a: str, b: str) -> bool:
        """Do two logical paths name the same file (e.g. /var/run/x and /run/x)? Their directory chains are
        resolved under --root first, so that a socket that does not exist (a stopped daemon) compares too."""
        if os.path.normpath(a) == os.path.normpath(b):
            return True
        if os.path.isabs(a) and os.path.isabs(b) and self.canonical(a) == self.canonical(b):
            return True
        try:
            sa, sb = os.stat(self.resolve(a)), os.stat(self.resolve(b))
        except (OSError, ValueError):
            return False
        return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)

    # ------------------------------------------------------------------ processes
    def processes(self, match: Callable[[ProcInfo], bool] | None = None) -> list[ProcInfo] | None:
        """Live processes of the diagnosed system, read from <root>/proc; None when there is no /proc there.
        Zombies and processes whose root directory is not the system's (containers) are left out."""
        proc = self.resolve("/proc")
        try:
            names = [n for n in os.listdir(proc) if n.isdigit()]
        except (OSError, ValueError):  # ValueError: a NUL byte in a path
            return None
        out = []
        for n in names:
            info = self._proc(proc, int(n))
            if info is not None and (match is None or match(info)):
                out.append(info)
        return sorted(out, key=lambda p: p.pid)

    def _proc(self, proc: str, pid: int) -> ProcInfo | None:
        d = os.path.join(proc, str(pid))
        try:
            status = read_bounded(os.path.join(d, "status"), "status", 64 << 10).decode("utf-8", "replace")
            raw = read_bounded(os.path.join(d, "cmdline"), "cmdline", 256 << 10)
        except HostFileError:
            return None
        fields = dict(ln.split(":", 1) for ln in status.splitlines() if ":" in ln)
        if fields.get("State", "").strip().startswith(("Z", "X")):
            return None  # a zombie is not a daemon
        try:
            root = os.readlink(os.path.join(d, "root"))
        except OSError:
            root = "/"  # unreadable (not ours): assume the system's
        if root != "/":
            return None  # in another root: a container's process, not the diagnosed system's
        cmdline = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
        uid = None
        try:
            uid = int(fields.get("Uid", "").split()[0])
        except (ValueError, IndexError):
            pass
        return ProcInfo(pid, fields.get("Name", "").strip(), cmdline, uid)

    def process_environ(self, pid: int) -> dict[str, str] | None:
        try:
            raw = read_bounded(os.path.join(self.resolve("/proc"), str(pid), "environ"), "environ", 1 << 20)
        except HostFileError:
            return None
        env = {}
        for item in raw.split(b"\0"):
            k, sep, v = item.decode("utf-8", "replace").partition("=")
            if sep:
                env[k] = v
        return env

    def socket_listener(self, resolved_path: str) -> dict[str, Any] | None:
        """The process listening on a unix socket path (only when diagnosing this very machine)."""
        if self.rooted:
            return None
        try:
            import psutil

            for conn in psutil.net_connections(kind="unix"):
                if conn.laddr == resolved_path and conn.pid:
                    return {"pid": conn.pid}
        except Exception:  # noqa: BLE001 - best effort
            return None
        return None

    # ------------------------------------------------------------------ memo
    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Compute a fact once per Host, even when several checks ask at once. A probe that timed out is
        remembered as such, so dependent checks never retry it."""
        with self._memo_guard:
            if key in self._memo:
                return self._memo[key]
            lock = self._memo_locks.setdefault(key, self._new_lock())
        with lock:
            with self._memo_guard:
                if key in self._memo:
                    return self._memo[key]
            value = compute()
            with self._memo_guard:
                self._memo[key] = value
            return value

    def describe(self) -> dict[str, Any]:
        """The "host" block of the JSON document."""
        return {"platform": self.platform, "wsl": self.wsl_distro(), "distro": self.distro_label(), "mode": self.mode,
                "frontend": self.frontend.name, "namespace": self.namespace, "root": self.root,
                "user": self.user}


def plain(host: Host) -> "tuple[str, Frontend]":
    """No front-end: the requested mode, or nerdctl's own rule (rootless whenever euid != 0)."""
    mode = host.requested_mode
    if mode in ("auto", "vm"):
        mode = "rootless" if host.euid not in (0, None) else "rootful"
    return mode, Frontend(host)


def parse_os_release(text: str) -> dict[str, str]:
    import shlex

    out = {}
    for line in text.splitlines()[:200]:
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        try:
            parts = shlex.split(v)
            v = parts[0] if parts else ""
        except ValueError:
            v = v.strip("\"'")
        out[k.strip()] = v[:200]
    return out
