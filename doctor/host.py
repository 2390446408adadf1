"""The Host: the one object that touches the outside world.

Environment, files under ``--root``, PATH lookups, subprocesses (always with a timeout), unix sockets and
processes all go through here, so every check is a plain function of a Host and can be tested with a built one.
Diagnosis through a Host never writes anything.
"""
from __future__ import annotations

import errno
import os
import signal
import socket
import stat
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

MODES = ("auto", "rootful", "rootless", "vm")
DEFAULT_NAMESPACE = "k8s.io"
READ_LIMIT = 1 << 20  # 1 MiB: configuration files larger than this are not configuration
OUTPUT_LIMIT = 1 << 20

# Where Rancher Desktop keeps its tools (UPSTREAM.md section 6). Logical paths.
RD_RESOURCE_DIRS = (
    "/opt/rancher-desktop/resources/resources/linux/bin",
    "/Applications/Rancher Desktop.app/Contents/Resources/resources/darwin/bin",
)
XDG_VARS = ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME")


_LIVE: set = set()  # child processes still running, killed on interrupt
_LIVE_LOCK = threading.Lock()


def kill_children() -> None:
    """Kill every program a Host started that is still running (their own sessions never see our SIGINT)."""
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for p in procs:
        _kill_group(p)


class HostFileError(Exception):
    """A file could not be read. ``reason`` is one of missing, not-a-file, permission-denied, too-large,
    dangling-link, error."""

    def __init__(self, reason: str, path: str, detail: str = "") -> None:
        self.reason = reason
        self.path = path
        self.detail = detail
        super().__init__(f"{path}: {reason.replace('-', ' ')}{': ' + detail if detail else ''}")


@dataclass
class Outcome:
    """What running a program came to. ``kind``: exited, not-found, not-executable, timeout, error."""

    argv: list[str]
    kind: str
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    duration_ms: int = 0
    where: str = "local"  # or "vm" (through rdctl shell)
    detail: str = ""

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

    def to_json(self) -> dict:
        return {
            "argv": self.argv,
            "outcome": self.kind,
            "exit_code": self.exit_code,
            "output": truncate(self.output, 4000),
            "where": self.where,
        }


@dataclass
class SocketProbe:
    """A unix-socket probe. ``outcome``: missing, not-a-socket, refused, permission-denied, timeout, answered,
    error. ``answered`` means a connection was accepted."""

    address: str  # logical address, e.g. unix:///run/buildkit/buildkitd.sock
    path: str  # logical path
    resolved: str  # the path actually probed
    outcome: str
    detail: str = ""
    listener: dict | None = None  # {"pid", "name", "cmdline"} of the process listening, when known

    def to_json(self) -> dict:
        d = {"address": self.address, "path": self.path, "outcome": self.outcome}
        if self.resolved != self.path:
            d["resolved"] = self.resolved
        if self.detail:
            d["detail"] = self.detail
        if self.listener:
            d["listener"] = self.listener
        return d


@dataclass
class ProcInfo:
    pid: int
    name: str
    cmdline: list[str]
    username: str | None = None
    exe: str | None = None
    _env: dict | None = field(default=None, repr=False)

    def to_json(self) -> dict:
        return {"pid": self.pid, "name": self.name, "cmdline": self.cmdline, "user": self.username}


def last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text) - limit} more characters)"


def unix_path(address: str) -> str | None:
    """The filesystem path of a unix socket address (``unix:///p``, ``unix:/p`` or a bare path), else None."""
    if address.startswith("unix://"):
        return address[len("unix://"):]
    if address.startswith("unix:"):
        return address[len("unix:"):]
    if "://" in address:
        return None
    return address


class Host:
    """Everything the doctor knows about, and may touch on, the system being diagnosed."""

    def __init__(
        self,
        root: str | os.PathLike = "/",
        env: Mapping[str, str] | None = None,
        mode: str = "auto",
        namespace: str | None = None,
        timeout: float = 5.0,
        euid: int | None = None,
        flags: Mapping[str, str | None] | None = None,
    ) -> None:
        self.env: dict[str, str] = dict(os.environ if env is None else env)
        # nerdctl flags the modelled command line carries (the build backend's --address, --buildkit-host)
        self.flags: dict[str, str | None] = dict(flags or {})
        self.root = Path(os.path.abspath(root))
        self.timeout = float(timeout)
        self.euid = os.geteuid() if euid is None else euid
        self.namespace = namespace or self.env.get("NERDCTL_DOCTOR_NAMESPACE") or DEFAULT_NAMESPACE
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.requested_mode = mode
        self._memo: dict[Any, Any] = {}
        self._memo_locks: dict[Any, threading.Lock] = {}
        self._memo_guard = threading.Lock()
        self.mode = self._decide_mode(mode)

    def fresh(self) -> "Host":
        """The same host with nothing remembered: for re-running checks after a fix or on request."""
        return Host(root=self.root, env=self.env, mode=self.requested_mode, namespace=self.namespace,
                    timeout=self.timeout, euid=self.euid, flags=self.flags)

    # ------------------------------------------------------------------ identity
    @property
    def rooted(self) -> bool:
        """True when --root is not /."""
        return str(self.root) != "/"

    @property
    def rootless(self) -> bool:
        return self.mode == "rootless"

    @property
    def vm(self) -> bool:
        return self.mode == "vm"

    def getenv(self, name: str) -> str | None:
        return self.env.get(name)

    @property
    def home(self) -> str | None:
        h = self.env.get("HOME")
        return h if h else None

    @property
    def user(self) -> str:
        u = self.env.get("USER") or self.env.get("LOGNAME")
        if u:
            return u
        try:
            import pwd

            return pwd.getpwuid(self.euid).pw_name
        except (KeyError, ImportError):
            return str(self.euid)

    @property
    def platform(self) -> str:
        import sys

        return "darwin" if sys.platform == "darwin" else "linux" if sys.platform.startswith("linux") else sys.platform

    def distro(self) -> dict[str, str]:
        """{"id", "version", "name", "like"} from the diagnosed root's os-release."""

        def compute() -> dict[str, str]:
            try:
                import distro as _distro

                if self.rooted:
                    d = _distro.LinuxDistribution(root_dir=str(self.root), include_lsb=False,
                                                  include_uname=False, include_oslevel=False)
                else:
                    d = _distro.LinuxDistribution(include_lsb=False, include_uname=False, include_oslevel=False)
                return {"id": d.id(), "version": d.version(), "name": d.name(), "like": d.like()}
            except Exception:
                return {"id": "", "version": "", "name": "", "like": ""}

        return self.memo(("distro",), compute)

    def distro_label(self) -> str:
        d = self.distro()
        return " ".join(x for x in (d["id"], d["version"]) if x) or "unknown"

    # ------------------------------------------------------------------ mode
    def _decide_mode(self, mode: str) -> str:
        if mode != "auto":
            return mode
        if self.rd_wrapper(self.which("nerdctl")):
            return "vm"
        return "rootless" if self.euid != 0 else "rootful"

    def rd_wrapper(self, path: str | None) -> bool:
        """Is this nerdctl Rancher Desktop's wrapper? It is when it lives in ~/.rd/bin or links (logically,
        as the diagnosed system names it) into Rancher Desktop's resources."""
        if not path:
            return False
        home = self.home
        chain = [path] + self.link_chain(path)
        for p in chain:
            if home and os.path.dirname(p) == os.path.join(home, ".rd", "bin"):
                return True
            if any(p.startswith(d + "/") for d in RD_RESOURCE_DIRS):
                return True
        return False

    def link_chain(self, path: str, limit: int = 16) -> list[str]:
        """The logical targets of a symlink chain (absolute targets are logical paths of the diagnosed
        system and are followed under --root)."""
        out: list[str] = []
        cur = path
        for _ in range(limit):
            try:
                target = os.readlink(self.resolve(cur))
            except OSError:
                break
            if not os.path.isabs(target):
                target = os.path.normpath(os.path.join(os.path.dirname(cur), target))
            out.append(target)
            cur = target
        return out

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
        return pre

    def is_user_path(self, logical: str) -> bool:
        p = os.path.normpath(logical)
        for pre in self._as_given_prefixes():
            if pre != "/" and (p == pre or p.startswith(pre.rstrip("/") + "/")):
                return True
        return False

    def resolve(self, logical: str | os.PathLike) -> str:
        """The path to open for a logical path: system paths are joined under --root; paths under HOME, the
        XDG_* variables and PATH are used as given."""
        s = os.fspath(logical)
        if not self.rooted or not os.path.isabs(s) or self.is_user_path(s):
            return s
        root = str(self.root)
        if s == root or s.startswith(root.rstrip("/") + "/"):
            return s  # already resolved
        return os.path.join(root, s.lstrip("/"))

    def show(self, logical: str) -> str:
        """The logical path, with the resolved one when they differ (for evidence)."""
        r = self.resolve(logical)
        return logical if r == logical else f"{logical} (at {r})"

    def exists(self, logical: str) -> bool:
        return os.path.exists(self.resolve(logical))

    def is_dir(self, logical: str) -> bool:
        return os.path.isdir(self.resolve(logical))

    def lstat(self, logical: str) -> os.stat_result | None:
        try:
            return os.lstat(self.resolve(logical))
        except OSError:
            return None

    def stat(self, logical: str) -> os.stat_result | None:
        try:
            return os.stat(self.resolve(logical))
        except OSError:
            return None

    def listdir(self, logical: str) -> list[str]:
        try:
            return sorted(os.listdir(self.resolve(logical)))
        except OSError:
            return []

    def read_bytes(self, logical: str, limit: int = READ_LIMIT) -> bytes:
        """Read a file, at most ``limit`` bytes; raise HostFileError with a reason otherwise."""
        path = self.resolve(logical)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            if os.path.islink(path):
                raise HostFileError("dangling-link", logical, f"points to {os.readlink(path)}") from None
            raise HostFileError("missing", logical) from None
        except PermissionError:
            raise HostFileError("permission-denied", logical) from None
        except OSError as exc:
            raise HostFileError("error", logical, exc.strerror or str(exc)) from None
        if stat.S_ISDIR(st.st_mode):
            raise HostFileError("not-a-file", logical, "is a directory")
        if st.st_size > limit:
            raise HostFileError("too-large", logical, f"{st.st_size} bytes, more than {limit}")
        try:
            with open(path, "rb") as fh:
                data = fh.read(limit + 1)
        except PermissionError:
            raise HostFileError("permission-denied", logical) from None
        except OSError as exc:
            raise HostFileError("error", logical, exc.strerror or str(exc)) from None
        if len(data) > limit:
            raise HostFileError("too-large", logical, f"more than {limit} bytes")
        return data

    def read_text(self, logical: str, limit: int = READ_LIMIT) -> str:
        return self.read_bytes(logical, limit).decode("utf-8", "replace")

    # ------------------------------------------------------------------ PATH
    def path_entries(self) -> list[str]:
        return [p for p in self.env.get("PATH", "").split(os.pathsep) if p]

    def which(self, name: str, path: Sequence[str] | None = None) -> str | None:
        """The first executable regular file named ``name`` on PATH (as given, not under --root)."""
        if "/" in name:
            return name if self._is_exe(name) else None
        for d in path if path is not None else self.path_entries():
            cand = os.path.join(d, name)
            if self._is_exe(cand):
                return cand
        return None

    def which_all(self, name: str, path: Sequence[str] | None = None) -> list[dict]:
        """Every file called ``name`` on PATH, each with what it is: executable, not-executable,
        dangling-link, directory."""
        found = []
        for d in path if path is not None else self.path_entries():
            cand = os.path.join(d, name)
            st = self.lstat(cand) if os.path.isabs(cand) else None
            if st is None and not os.path.lexists(cand):
                continue
            found.append({"path": cand, "state": self.file_state(cand)})
        return found

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
        return "executable" if os.access(path, os.X_OK) else "not-executable"

    def _is_exe(self, p: str) -> bool:
        return os.path.isfile(p) and os.access(p, os.X_OK)

    # ------------------------------------------------------------------ processes
    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        input: bytes | str | None = None,
        vm: bool = False,
        cwd: str | None = None,
    ) -> Outcome:
        """Run a program without a shell, bounded by ``timeout`` (default --timeout). With ``vm`` it runs
        inside the Rancher Desktop VM through ``rdctl shell``. Never raises for the program's sake."""
        argv = [str(a) for a in argv]
        where = "local"
        if vm:
            rdctl = self.rdctl()
            if rdctl is None:
                return Outcome(argv, "not-found", where="vm", detail="rdctl not found on PATH or in ~/.rd/bin")
            argv = [rdctl, "shell", *argv]
            where = "vm"
        exe = self.which(argv[0]) if "/" not in argv[0] else argv[0]
        if exe is None:
            return Outcome(argv, "not-found", where=where)
        state = self.file_state(exe) if "/" in argv[0] else "executable"
        if state != "executable":
            return Outcome(argv, "not-executable" if state != "missing" else "not-found", where=where, detail=state)
        full_env = dict(self.env)
        if env:
            full_env.update(env)
        t = self.timeout if timeout is None else timeout
        start = time.monotonic()
        try:
            proc = subprocess.Popen(
                [exe, *argv[1:]],
                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=full_env,
                cwd=cwd,
                start_new_session=True,
            )
        except PermissionError as exc:
            return Outcome(argv, "not-executable", where=where, detail=str(exc))
        except FileNotFoundError as exc:  # e.g. a script whose interpreter is missing
            return Outcome(argv, "not-executable", where=where, detail=f"cannot execute: {exc.strerror}")
        except OSError as exc:
            return Outcome(argv, "error", where=where, detail=exc.strerror or str(exc))
        data = input.encode() if isinstance(input, str) else input
        with _LIVE_LOCK:
            _LIVE.add(proc)
        try:
            out, err = proc.communicate(data, timeout=t)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            try:
                proc.communicate(timeout=1)
            except Exception:
                pass
            return Outcome(argv, "timeout", duration_ms=int((time.monotonic() - start) * 1000), where=where)
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(proc)
        dur = int((time.monotonic() - start) * 1000)
        return Outcome(
            argv,
            "exited",
            exit_code=proc.returncode,
            stdout=out[:OUTPUT_LIMIT].decode("utf-8", "replace"),
            stderr=err[:OUTPUT_LIMIT].decode("utf-8", "replace"),
            duration_ms=dur,
            where=where,
        )

    def run_streaming(
        self,
        argv: Sequence[str],
        on_line: Callable[[str], None],
        *,
        timeout: float = 600.0,
        env: Mapping[str, str] | None = None,
    ) -> Outcome:
        """Run a program (no shell) and hand each line of its merged stdout/stderr to ``on_line`` as it comes.
        For fix steps, which may legitimately take minutes: bounded by ``timeout`` (default 10 minutes)."""
        argv = [str(a) for a in argv]
        exe = self.which(argv[0]) if "/" not in argv[0] else (argv[0] if self._is_exe(argv[0]) else None)
        if exe is None:
            return Outcome(argv, "not-found")
        full_env = dict(self.env)
        if env:
            full_env.update(env)
        start = time.monotonic()
        try:
            proc = subprocess.Popen([exe, *argv[1:]], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, env=full_env, start_new_session=True)
        except OSError as exc:
            return Outcome(argv, "not-executable" if isinstance(exc, PermissionError) else "error",
                           detail=exc.strerror or str(exc))
        with _LIVE_LOCK:
            _LIVE.add(proc)
        lines: list[str] = []
        timer = threading.Timer(timeout, _kill_group, args=(proc,))
        timer.daemon = True
        timer.start()
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if sum(len(x) for x in lines) < OUTPUT_LIMIT:
                    lines.append(line)
                on_line(line)
            proc.wait()
        finally:
            timer.cancel()
            with _LIVE_LOCK:
                _LIVE.discard(proc)
        dur = int((time.monotonic() - start) * 1000)
        if dur >= timeout * 1000 and proc.returncode is not None and proc.returncode < 0:
            return Outcome(argv, "timeout", stdout="\n".join(lines), duration_ms=dur)
        return Outcome(argv, "exited", exit_code=proc.returncode, stdout="\n".join(lines), duration_ms=dur)

    def rdctl(self) -> str | None:
        found = self.which("rdctl")
        if found:
            return found
        if self.home:
            cand = os.path.join(self.home, ".rd", "bin", "rdctl")
            if self._is_exe(cand):
                return cand
        return None

    # ------------------------------------------------------------------ sockets
    def probe_socket(self, address: str, timeout: float | None = None) -> SocketProbe:
        """Connect to a unix socket (logical address) and say what happened."""
        logical = unix_path(address)
        if logical is None:
            return SocketProbe(address, address, address, "error", detail="not a unix socket address")
        resolved = self.resolve(logical)
        st = None
        try:
            st = os.stat(resolved)
        except FileNotFoundError:
            return SocketProbe(address, logical, resolved, "missing")
        except PermissionError:
            return SocketProbe(address, logical, resolved, "permission-denied", detail="cannot reach the directory")
        except OSError as exc:
            return SocketProbe(address, logical, resolved, "error", detail=exc.strerror or str(exc))
        if not stat.S_ISSOCK(st.st_mode):
            kind = "directory" if stat.S_ISDIR(st.st_mode) else "regular file" if stat.S_ISREG(st.st_mode) else "file"
            return SocketProbe(address, logical, resolved, "not-a-socket", detail=f"a {kind}")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout if timeout is None else timeout)
        try:
            s.connect(_connectable(resolved))
            outcome, detail = "answered", ""
        except socket.timeout:
            outcome, detail = "timeout", "connect did not complete"
        except ConnectionRefusedError:
            outcome, detail = "refused", "connection refused (nothing is listening)"
        except PermissionError:
            outcome, detail = "permission-denied", "permission denied"
        except OSError as exc:
            if exc.errno == errno.EACCES:
                outcome, detail = "permission-denied", "permission denied"
            elif exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                outcome, detail = "timeout", "the listener's backlog is full: it is not accepting connections"
            else:
                outcome, detail = "error", exc.strerror or str(exc)
        finally:
            s.close()
        probe = SocketProbe(address, logical, resolved, outcome, detail)
        if outcome == "answered":
            probe.listener = self.socket_listener(resolved)
        return probe

    def socket_listener(self, resolved_path: str) -> dict | None:
        """The process listening on a unix socket path, when psutil can see it."""
        try:
            import psutil

            for conn in psutil.net_connections(kind="unix"):
                if conn.laddr == resolved_path and conn.pid:
                    try:
                        p = psutil.Process(conn.pid)
                        return {"pid": conn.pid, "name": p.name(), "cmdline": p.cmdline()}
                    except psutil.Error:
                        return {"pid": conn.pid}
        except Exception:
            return None
        return None

    def processes(self, match: Callable[[ProcInfo], bool] | None = None) -> list[ProcInfo]:
        """Running processes (via psutil), optionally filtered."""
        try:
            import psutil
        except ImportError:  # pragma: no cover
            return []
        out = []
        for p in psutil.process_iter(["pid", "name", "cmdline", "username", "exe"]):
            info = p.info
            pi = ProcInfo(info["pid"], info.get("name") or "", list(info.get("cmdline") or []),
                          info.get("username"), info.get("exe"))
            if match is None or match(pi):
                out.append(pi)
        return out

    def process_environ(self, pid: int) -> dict[str, str] | None:
        try:
            import psutil

            return psutil.Process(pid).environ()
        except Exception:
            return None

    # ------------------------------------------------------------------ memo
    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Compute a fact once per Host, even when several checks ask at the same time. A probe that timed
        out is remembered as such, so dependent checks never retry it."""
        with self._memo_guard:
            if key in self._memo:
                return self._memo[key]
            lock = self._memo_locks.setdefault(key, threading.Lock())
        with lock:
            with self._memo_guard:
                if key in self._memo:
                    return self._memo[key]
            value = compute()
            with self._memo_guard:
                self._memo[key] = value
            return value

    def describe(self) -> dict:
        """The "host" block of the JSON document."""
        return {
            "platform": self.platform,
            "distro": self.distro_label(),
            "mode": self.mode,
            "namespace": self.namespace,
            "root": str(self.root),
            "user": self.user,
        }


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        try:
            proc.kill()
        except OSError:
            pass


def _connectable(path: str) -> str:
    """AF_UNIX paths are limited to 107 bytes; reach longer ones through /proc/self/fd of their directory is
    not portable, so go through a short symlink-free alias when needed."""
    if len(path.encode()) < 107:
        return path
    # Use the directory's file descriptor path, which is short.
    d = os.path.dirname(path)
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    # keep the fd open for the lifetime of the process; this is rare (deep --root trees)
    return f"/proc/self/fd/{fd}/{os.path.basename(path)}"


def iter_lines(text: str) -> Iterable[str]:
    return (ln for ln in text.splitlines())
