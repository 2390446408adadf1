"""The hermetic test host: a temp system root, HOME, XDG_RUNTIME_DIR and a PATH of stand-in executables, the
real `nerdctl-doctor` command run against it as a subprocess, and a real containerd on a socket inside it.

Layout of a Sandbox (short paths: unix socket addresses are limited to 107 bytes):
    /tmp/ndXXXXXX/root   the --root (system paths: /etc, /run, /opt ... are joined under it)
    /tmp/ndXXXXXX/home   HOME
    /tmp/ndXXXXXX/xdg    XDG_RUNTIME_DIR
    /tmp/ndXXXXXX/bin    PATH (only this)
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

STANDINS = Path(__file__).parent / "standins"

# A buildkitd.toml a team keeps by hand: comments, a registry mirror and odd formatting that every edit must keep.
BUILDKITD = """# buildkitd.toml for the team -- keep the mirror!
debug = true

[registry."docker.io"]
  mirrors = ["mirror.example.com"]  # our pull-through cache

[worker.oci]
  enabled = true # default
  gc = true
  gckeepstorage = 9000

[[worker.oci.gcpolicy]]
  keepBytes = 512000000
  keepDuration = 172800
  filters = [ "type==source.local", "type==exec.cachemount"]
"""
IN_CI = os.environ.get("CI", "").lower() == "true"
# an interpreter every user can run (stand-ins that run as a VM's unprivileged user)
SYSTEM_PYTHON = next((p for p in ("/usr/bin/python3", "/usr/local/bin/python3") if os.access(p, os.X_OK)), sys.executable)


REPO = Path(__file__).resolve().parent.parent


class WrongInstallation(Exception):
    """The nerdctl-doctor found is not the installation under test."""


def installation_problem(exe: Path, python: str, repo: Path = REPO) -> str | None:
    """Why ``exe`` is not this checkout's nerdctl-doctor installed in ``python``'s environment, or None."""
    if not exe.is_file() or not os.access(exe, os.X_OK):
        return (f"no nerdctl-doctor console script at {exe}: install this checkout into the environment that runs "
                f"the tests ({sys.prefix}): `{python} -m pip install -e '.[test]'`")
    first = exe.read_bytes()[:512].split(b"\n", 1)[0]
    # compared as the environments name them: two venvs' pythons resolve to the same base interpreter
    if not first.startswith(b"#!") or os.path.dirname(os.path.abspath(first[2:].decode().strip().split()[0])) != \
            os.path.dirname(os.path.abspath(python)):
        return f"{exe} runs {first[2:].decode(errors='replace').strip()!r}, not this environment's {python}"
    cp = subprocess.run([python, "-c", "import nerdctl_doctor, os; print(os.path.realpath(nerdctl_doctor.__file__))"],
                        capture_output=True, text=True, timeout=60)
    where = Path(cp.stdout.strip()) if cp.returncode == 0 else None
    if where is None or where.parent != repo / "doctor":
        return (f"the nerdctl_doctor that {python} imports is {where or cp.stderr.strip()}, not this checkout's "
                f"{repo / 'doctor'} (another installation is under test)")
    return None


def doctor_argv() -> list[str]:
    """This checkout's installation: the console script of the environment running the tests. Anything else
    (a nerdctl-doctor earlier on PATH, another checkout's install) is an error, not a silent substitute."""
    exe = Path(sys.executable).parent / "nerdctl-doctor"
    return [str(exe)]


def check_installation() -> None:
    why = installation_problem(Path(doctor_argv()[0]), sys.executable)
    if why:
        raise WrongInstallation(why)


def build_dist(out: Path, sdist: bool = False) -> Path:
    """Build this checkout's wheel (and sdist) from a copy of its tracked files, so that the checkout is not touched
    and nothing untracked leaks in. Returns the wheel."""
    src = Path(tempfile.mkdtemp(prefix="nd-src-"))
    try:
        files = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z"], capture_output=True, check=True).stdout
        for rel in filter(None, files.decode().split("\0")):
            if (REPO / rel).is_file():
                (src / rel).parent.mkdir(parents=True, exist_ok=True)
                (src / rel).write_bytes((REPO / rel).read_bytes())
        kinds = ["--sdist", "--wheel"] if sdist else ["--wheel"]
        cp = subprocess.run([sys.executable, "-m", "build", "--no-isolation", *kinds, "--outdir", str(out), str(src)],
                            capture_output=True, text=True, timeout=600)
        assert cp.returncode == 0, cp.stdout[-2000:] + cp.stderr[-3000:]
    finally:
        shutil.rmtree(src, ignore_errors=True)
    return next(out.glob("*.whl"))


def install_wheel(wheel: Path, venv: Path, base: str) -> Path:
    """A fresh venv of ``base`` with the wheel installed as a user installs it (not editable)."""
    subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=300, capture_output=True)
    cp = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], capture_output=True,
                        text=True, timeout=900)
    assert cp.returncode == 0, cp.stderr[-3000:]
    return venv


_USER_INSTALL: list[Path] = []


def user_install() -> Path:
    """This checkout's wheel installed, once per test session, in a world-readable venv of the system python (the
    test venv and the checkout may sit in a private directory another user cannot read)."""
    if _USER_INSTALL:
        return _USER_INSTALL[0]
    # the system python every user can run (a pyenv or Homebrew interpreter may live in a private home)
    python = f"/usr/bin/python{sys.version_info[0]}.{sys.version_info[1]}"
    if not os.access(python, os.X_OK):
        python = getattr(sys, "_base_executable", None) or sys.executable
    # one installation per test run, shared by pytest-xdist's workers (the first one builds it, under a lock)
    import atexit
    import fcntl

    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid{os.getpid()}"
    base = Path("/tmp") / f"nd-user-install-{run}"
    lock = open(f"{base}.lock", "a+")
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        venv = base / "venv"
        if not (venv / "bin" / "nerdctl-doctor").exists():
            shutil.rmtree(base, ignore_errors=True)
            base.mkdir(mode=0o755)
            os.chmod(base, 0o755)
            build_dist(base / "dist", sdist=True)
            install_wheel(next((base / "dist").glob("*.whl")), venv, python)
            for d, _dirs, files in os.walk(base):
                os.chmod(d, 0o755)
                for f in files:
                    fp = os.path.join(d, f)
                    if not os.path.islink(fp):
                        os.chmod(fp, os.stat(fp).st_mode | 0o444)
            if not os.environ.get("PYTEST_XDIST_WORKER") or os.environ.get("PYTEST_XDIST_WORKER") == "gw0":
                atexit.register(shutil.rmtree, base, True)
                atexit.register(lambda: os.path.exists(f"{base}.lock") and os.unlink(f"{base}.lock"))
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()
    _USER_INSTALL.append(venv)
    return venv


def as_user(uid: int) -> list[str]:
    """The argv prefix that runs nerdctl-doctor as another user (root only): setpriv, and this checkout's wheel
    installed in a venv that user can read (never the checkout itself, which may be private). Skips where that
    cannot work; under CI=true it fails instead."""
    setpriv = shutil.which("setpriv")
    why = ("needs root to act as another user" if os.geteuid() != 0 else "needs setpriv (util-linux)" if not setpriv
           else None)
    if why:
        if IN_CI:
            pytest.fail(f"CI must run this test: {why}")
        pytest.skip(why)
    venv = user_install()
    return [str(setpriv), f"--reuid={uid}", f"--regid={uid}", "--clear-groups", str(venv / "bin" / "python"), "-m",
            "nerdctl_doctor"]


# what a running interpreter cannot take from a changed os.environ: these need a process of their own
SPAWN_ONLY = ("PYTHONPATH", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONIOENCODING", "PYTHONUTF8")


def in_process(args: list[str], env: dict[str, str], input: str | None, cwd: str) -> subprocess.CompletedProcess:
    """Run the real `nerdctl_doctor.cli.main(args)` in this process with ``env`` as os.environ, ``cwd`` as the
    working directory and ``input`` as stdin (never a terminal), capturing stdout and stderr as bytes."""
    import io

    from nerdctl_doctor.cli import main

    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_std = sys.stdin, sys.stdout, sys.stderr
    out, err = io.BytesIO(), io.BytesIO()
    streams = (io.TextIOWrapper(io.BytesIO((input or "").encode()), encoding="utf-8"),
               io.TextIOWrapper(out, encoding="utf-8", errors="backslashreplace", write_through=True),
               io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace", write_through=True))
    sys.stdin, sys.stdout, sys.stderr = streams
    os.environ.clear()
    os.environ.update(env)
    try:
        os.chdir(cwd)
        code = main(args)
    finally:
        for stream in streams[1:]:
            try:
                stream.flush()
            except ValueError:
                pass
        text = [b.getvalue().decode("utf-8", "replace") for b in (out, err)]
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        sys.stdin, sys.stdout, sys.stderr = saved_std
    return subprocess.CompletedProcess(["nerdctl-doctor", *args], code, text[0], text[1])


def schema(name: str) -> dict:
    from importlib.resources import files

    return json.loads(files("nerdctl_doctor").joinpath("schemas", f"{name}.json").read_text())


def validate(doc: dict, name: str = "report") -> dict:
    import jsonschema

    jsonschema.validate(doc, schema(name))
    return doc


class Sandbox:
    def __init__(self, base: str | None = None) -> None:
        """A fresh sandbox; ``base`` fixes its path (for deterministic snapshots), replacing what was there."""
        if base:
            shutil.rmtree(base, ignore_errors=True)
            os.makedirs(base)
            self.base = Path(base)
        else:
            self.base = Path(tempfile.mkdtemp(prefix="nd", dir="/tmp"))
        self.root = self.base / "root"
        self.home = self.root / "home" / "tester"  # the diagnosed system's: a fix under --root stays inside it
        self.xdg = self.base / "xdg"
        self.bin = self.base / "bin"
        for d in (self.root, self.home, self.xdg, self.bin):
            d.mkdir(parents=True)
        os.chmod(self.xdg, 0o700)
        self.env: dict[str, str] = {
            "PATH": str(self.bin),
            "HOME": str(self.home),
            "XDG_RUNTIME_DIR": str(self.xdg),
            "USER": "tester",
            "LANG": "C.UTF-8",
            "NERDCTL_DOCTOR_ROOT": str(self.root),
        }
        self.log = self.base / "standin.log"
        self.env["STANDIN_LOG"] = str(self.log)
        self._procs: list[subprocess.Popen] = []

    @classmethod
    def real(cls, base: str, home: str, xdg: str, bin: str, user: str = "alex") -> "Sandbox":
        """A host laid out like a user's machine, root `/`: only for a private mount namespace whose /home, /run,
        /usr/local, /etc and /var are throwaway (screenshots/regenerate.py)."""
        sb = cls.__new__(cls)
        sb.base, sb.root, sb.home, sb.xdg, sb.bin = Path(base), Path("/"), Path(home), Path(xdg), Path(bin)
        for d in (sb.base, sb.home, sb.xdg, sb.bin):
            d.mkdir(parents=True, exist_ok=True)
        os.chmod(sb.xdg, 0o700)
        sb.env = {"PATH": f"{bin}:/usr/bin:/bin", "HOME": home, "XDG_RUNTIME_DIR": xdg, "USER": user,
                  "LANG": "C.UTF-8", "NERDCTL_DOCTOR_ROOT": "/", "SHELL": "/bin/bash"}
        sb.log = sb.base / "standin.log"
        sb.env["STANDIN_LOG"] = str(sb.log)
        sb._procs = []
        return sb

    # ---------------------------------------------------------------- files
    def path(self, logical: str) -> Path:
        """Where a logical path lives: under HOME/XDG/bin as given, system paths under the root."""
        s = str(logical)
        if str(self.root) == "/":
            return Path(s)
        for pre in (self.home, self.xdg, self.bin, self.base):
            if s == str(pre) or s.startswith(str(pre) + "/"):
                return Path(s)
        return self.root / s.lstrip("/")

    def write(self, logical: str, text: str | bytes, mode: int | None = None) -> Path:
        p = self.path(logical)
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text)
        if mode is not None:
            os.chmod(p, mode)
        return p

    def symlink(self, logical: str, target: str) -> Path:
        p = self.path(logical)
        p.parent.mkdir(parents=True, exist_ok=True)
        if p.is_symlink() or p.exists():
            p.unlink()
        os.symlink(target, p)
        return p

    # ---------------------------------------------------------------- executables
    def script(self, name: str, body: str, where: str | Path | None = None, python: bool = False) -> Path:
        """An executable in bin (or ``where``). ``python``: body is Python run by this interpreter."""
        d = Path(where) if where else self.bin
        d = self.path(str(d)) if where else d
        d.mkdir(parents=True, exist_ok=True)
        p = d / name
        shebang = f"#!{sys.executable} -IS\n" if python else "#!/bin/sh\n"
        p.write_text(shebang + body.lstrip("\n"))
        os.chmod(p, 0o755)
        return p

    def install(self, name: str, where: str | Path | None = None, as_name: str | None = None,
                interpreter: str | None = None) -> Path:
        """Copy a stand-in from tests/standins into bin (or ``where``), bound to this interpreter (or
        ``interpreter``: one any user can run, for stand-ins that run as a VM's unprivileged user)."""
        src = (STANDINS / name).read_text()
        lines = src.splitlines(keepends=True)
        if lines and lines[0].startswith("#!") and "python" in lines[0]:
            lines[0] = f"#!{interpreter or sys.executable} -IS\n"
        d = self.path(str(where)) if where else self.bin
        d.mkdir(parents=True, exist_ok=True)
        p = d / (as_name or name)
        p.write_text("".join(lines))
        os.chmod(p, 0o755)
        return p

    def link_real(self, name: str) -> Path:
        """Put a real system executable (e.g. ctr) on the sandbox PATH."""
        real = shutil.which(name, path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        if real is None:
            pytest.skip(f"{name} is not installed")
        p = self.bin / name
        if not p.exists():
            os.symlink(real, p)
        return p

    def calls(self, tool: str | None = None) -> list[list[str]]:
        """argv of every stand-in call recorded in STANDIN_LOG."""
        if not self.log.exists():
            return []
        out = []
        for line in self.log.read_text().splitlines():
            rec = json.loads(line)
            if tool is None or rec.get("tool") == tool:
                out.append(rec["argv"])
        return out

    # ---------------------------------------------------------------- daemons
    def start_buildkitd(self, *flags: str, hang: bool = False, env: dict | None = None,
                        addr: str = "unix:///run/buildkit/buildkitd.sock", name: str = "buildkitd") -> subprocess.Popen:
        """Start the stand-in buildkitd (a real process named buildkitd) listening at logical ``addr``."""
        exe = self.bin / name
        if not exe.exists():
            self.install("buildkitd", as_name=name)
        e = dict(self.env)
        e["STANDIN_ROOT"] = str(self.root)
        if hang:
            e["STANDIN_BUILDKITD_HANG"] = "1"
        e.update(env or {})
        sock = self.path(addr[len("unix://"):])
        if e["STANDIN_ROOT"] != str(self.root) and sock.is_relative_to(self.root):  # another root (the VM's)
            sock = Path(e["STANDIN_ROOT"]) / addr[len("unix://"):].lstrip("/")
        argv = [str(exe), f"--addr={addr}", *flags]
        proc = subprocess.Popen(argv, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        self._procs.append(proc)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"stand-in buildkitd exited {proc.returncode}: {err}")
            if sock.is_socket():
                self.fake_proc(proc.pid)
                return proc
            time.sleep(0.02)
        raise RuntimeError("stand-in buildkitd did not start")

    def fake_proc(self, pid: int) -> None:
        """Show a real process of ours in the sandbox's <root>/proc (only these: no other test's daemon, and
        nothing else on this machine, is a process of the diagnosed system)."""
        if str(self.root) == "/":
            return  # the real /proc already shows it
        src = Path("/proc") / str(pid)
        dst = self.root / "proc" / str(pid)
        dst.mkdir(parents=True, exist_ok=True)
        for name in ("status", "cmdline", "environ"):
            try:
                (dst / name).write_bytes((src / name).read_bytes())
            except OSError:
                pass
        if not (dst / "root").is_symlink():
            os.symlink("/", dst / "root")

    def dead_socket(self, logical: str) -> Path:
        """A socket file nobody listens on (connection refused)."""
        p = self.path(logical)
        p.parent.mkdir(parents=True, exist_ok=True)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(str(p))
        s.close()
        return p

    def hung_socket(self, logical: str) -> socket.socket:
        """A socket that accepts connections (backlog) and never answers."""
        p = self.path(logical)
        p.parent.mkdir(parents=True, exist_ok=True)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(str(p))
        s.listen(64)
        self._socks = getattr(self, "_socks", []) + [s]
        return s

    # ---------------------------------------------------------------- the command
    def doctor(self, *args: str, input: str | None = None, timeout: float = 60, env: dict | None = None,
               cwd: str | None = None, spawn: bool = False) -> subprocess.CompletedProcess:
        """`nerdctl-doctor ARGS` against this sandbox. In-process (the real cli.main, with this environment, working
        directory and stdin, its stdout and stderr captured) unless the process itself is the subject: ``spawn``,
        or an environment that only a new interpreter would honour (PYTHONPATH for plugins, the locale)."""
        e = dict(self.env)
        e.update(env or {})
        if spawn or "PYTHONPATH" in e or any(k in (env or {}) for k in SPAWN_ONLY):
            return subprocess.run([*doctor_argv(), *args], env=e, input=input, capture_output=True, text=True,
                                  timeout=timeout, cwd=cwd or str(self.base))
        return in_process(list(args), e, input, cwd or str(self.base))

    def doctor_json(self, *args: str, **kw) -> dict:
        """Run `nerdctl-doctor --json ARGS`; the stdout must be one document valid against the schema."""
        cp = self.doctor("--json", *args, **kw)
        assert cp.returncode in (0, 1), (cp.returncode, cp.stderr)
        assert "Traceback" not in cp.stderr, cp.stderr
        doc = validate(json.loads(cp.stdout))
        assert doc["exit_code"] == cp.returncode
        return doc

    def check(self, doc: dict, check_id: str) -> dict:
        for c in doc["checks"]:
            if c["id"] == check_id:
                return c
        raise AssertionError(f"{check_id} not in {[c['id'] for c in doc['checks']]}")

    def host(self, **kw):
        """An in-process Host over this sandbox (for unit tests of checks)."""
        from nerdctl_doctor.frontends import decide
        from nerdctl_doctor.host.core import Host

        kw.setdefault("decide", decide)
        kw.setdefault("root", str(self.root))
        kw.setdefault("env", dict(self.env))
        kw.setdefault("timeout", 5.0)
        return Host(**kw)

    def cleanup(self) -> None:
        # daemons that stand-in tools started on their own (systemctl, the setuptool) leave pid files behind
        for pidfile in list(self.base.rglob("*.pid")):
            try:
                os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
        for p in self._procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except OSError:
                    pass
                try:
                    p.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
            if p.stderr:
                p.stderr.close()
        for s in getattr(self, "_socks", []):
            s.close()
        if str(self.base) not in ("/", ""):
            shutil.rmtree(self.base, ignore_errors=True)


class Containerd:
    """A real containerd (Debian's package) on a socket inside a sandbox."""

    def __init__(self, sandbox: Sandbox, logical_socket: str = "/run/containerd/containerd.sock",
                 socket_path: Path | None = None, name: str = "ctd") -> None:
        self.sandbox = sandbox
        self.logical = logical_socket
        self.socket = socket_path or sandbox.path(logical_socket)
        self.dir = sandbox.base / name
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Containerd":
        exe = shutil.which("containerd", path="/usr/local/bin:/usr/bin:/usr/sbin:/sbin:/bin")
        why = None
        if exe is None:
            why = "containerd is not installed (apt-get install containerd runc)"
        elif os.geteuid() != 0:
            why = "containerd needs root here"
        if why:
            if IN_CI:
                pytest.fail(f"CI must run the containerd tests: {why}")
            pytest.skip(why)
        self.dir.mkdir(exist_ok=True)
        self.socket.parent.mkdir(parents=True, exist_ok=True)
        cfg = self.dir / "config.toml"
        cfg.write_text(
            "version = 2\n"
            f'root = "{self.dir}/root"\n'
            f'state = "{self.dir}/state"\n'
            'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
            "[grpc]\n"
            f'  address = "{self.socket}"\n'
            "[ttrpc]\n"
            f'  address = "{self.socket}.ttrpc"\n'
            "[debug]\n"
            f'  address = ""\n'
        )
        self.log = open(self.dir / "log", "wb")
        self.proc = subprocess.Popen([exe, "--config", str(cfg)], stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if self.socket.is_socket() and self.ctr("version").returncode == 0:
                return self
            time.sleep(0.05)
        log = (self.dir / "log").read_text(errors="replace")[-2000:]
        self.stop()
        if IN_CI:
            pytest.fail(f"containerd did not start under CI: {log}")
        pytest.skip(f"containerd could not start here: {log[-300:]}")

    def ctr(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["ctr", "--address", str(self.socket), *args], capture_output=True, text=True,
                              timeout=20)

    def uuid(self) -> str:
        for line in self.ctr("version").stdout.splitlines():
            if line.strip().startswith("UUID:"):
                return line.split(":", 1)[1].strip()
        raise AssertionError("ctr version printed no UUID")

    def create_namespace(self, ns: str) -> None:
        cp = self.ctr("namespaces", "create", ns)
        assert cp.returncode == 0, cp.stderr

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()
        # containerd leaves mounts only when containers ran; none do in these tests
