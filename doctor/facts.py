"""Facts several checks (and the build backend) share, each modelled on upstream behaviour exactly
(UPSTREAM.md sections 1 and 4). Every function takes a Host, reads through it and memoises on it."""
from __future__ import annotations

import os
from .records import Record

from .constants import NERDCTL_DEFAULTS
from .fileops import HostFileError
from .paths import unix_path, version_of

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from typing import Any
    from .host import Host

ENV_FOR = {"address": "CONTAINERD_ADDRESS", "namespace": "CONTAINERD_NAMESPACE", "snapshotter": "CONTAINERD_SNAPSHOTTER"}


def runtime_dir(host: Host) -> str:
    """nerdctl's <run> for BuildKit candidates and rootless state (UPSTREAM.md section 1)."""
    if not host.rootless:
        return "/run"
    x = host.getenv("XDG_RUNTIME_DIR")
    if x:
        return x
    parent = host.getenv("ROOTLESSKIT_PARENT_EUID")
    if parent:
        return f"/run/user/{parent}"
    return f"/run/user/{host.euid}"


def nerdctl_version(host: Host) -> tuple[int, int, int] | None:
    """The installed nerdctl's version (`nerdctl --version`, through the front-end's wrapper), memoised."""

    def compute() -> tuple[int, int, int] | None:

        if not host.which("nerdctl"):
            return None
        out = host.run(["nerdctl", "--version"])
        return version_of(out.stdout) if out.ok else None

    return host.memo(("nerdctl-version",), compute)


def nerdctl_toml_path(host: Host) -> tuple[str | None, str]:
    """(path, how it was chosen): NERDCTL_TOML, else the rootful or rootless default."""
    if "NERDCTL_TOML" in host.env:  # set-but-empty means: no file
        env = host.env["NERDCTL_TOML"]
        return (env or None), "env NERDCTL_TOML"
    if host.rootless:
        ch = host.config_home()
        return (os.path.join(ch, "nerdctl", "nerdctl.toml") if ch else None), "rootless default"
    return "/etc/nerdctl/nerdctl.toml", "rootful default"


class NerdctlConfig(Record):
    __slots__ = ("path", "path_source", "present", "error", "error_kind", "unknown_keys", "toml", "values")
    _frozen = False

    def __init__(self, path: str | None, path_source: str) -> None:
        self.path, self.path_source = path, path_source
        self.present = False
        self.error = ""  # nerdctl would refuse to start with this message
        self.error_kind = ""  # malformed, unknown-keys, unreadable
        self.unknown_keys: list[str] = []
        self.toml: dict[str, Any] = {}
        self.values: dict[str, dict] = {}  # name -> {"value", "source"}

    def value(self, name: str) -> str:
        return self.values[name]["value"]


def nerdctl_config(host: Host) -> NerdctlConfig:
    """nerdctl's effective address, namespace and snapshotter with their source: flag > env (set-but-empty
    counts) > toml > default."""

    def compute() -> NerdctlConfig:
        if host.vm and not host.frontend.forwards_host_env():
            # the wrapper runs nerdctl inside the VM: the host's env and nerdctl.toml do not reach it
            cfg = NerdctlConfig(None, f"not used: {host.frontend.label} has its own")
            cfg.values = {"address": {"value": host.frontend.containerd_address, "source": "default"},
                          "namespace": {"value": NERDCTL_DEFAULTS["namespace"], "source": "default"},
                          "snapshotter": {"value": NERDCTL_DEFAULTS["snapshotter"], "source": "default"}}
            return cfg
        path, how = nerdctl_toml_path(host)
        cfg = NerdctlConfig(path, how)
        if path:
            try:
                raw = host.read_bytes(path)
                cfg.present = True
                import tomllib  # only once there is a file to parse
                try:
                    cfg.toml = tomllib.loads(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    cfg.error_kind, cfg.error = "malformed", f"not UTF-8: {exc}"
                except ValueError as exc:  # TOMLDecodeError, or an integer past Python's digit limit
                    cfg.error_kind, cfg.error = "malformed", str(exc)
                except RecursionError:
                    cfg.error_kind, cfg.error = "malformed", "nested too deeply"
                else:
                    judge_toml(host, cfg)
            except HostFileError as exc:
                if exc.reason != "missing":
                    cfg.present = exc.reason != "dangling-link"
                    cfg.error_kind, cfg.error = "unreadable", str(exc)
        flags = getattr(host, "flags", {}) or {}
        for name in ("address", "namespace", "snapshotter"):
            if flags.get(name) is not None:
                cfg.values[name] = {"value": flags[name], "source": "flag"}
            elif ENV_FOR[name] in host.env:
                cfg.values[name] = {"value": host.env[ENV_FOR[name]], "source": "env"}
            elif not cfg.error and isinstance(_ci_get(cfg.toml, name), str):
                cfg.values[name] = {"value": _ci_get(cfg.toml, name), "source": "toml"}
            else:
                cfg.values[name] = {"value": NERDCTL_DEFAULTS[name], "source": "default"}
        return cfg

    return host.memo(("nerdctl-config",), compute)


# nerdctl.toml keys by the nerdctl version that added them (UPSTREAM.md section 4), with their Go types
TOML_KEYS_SINCE: dict[str, tuple[tuple[int, int, int], type]] = {
    **{k: ((0, 18, 0), str) for k in ("address", "namespace", "snapshotter", "cni_path", "cni_netconfpath",
                                      "data_root", "cgroup_manager", "hosts_dir")},
    "debug": ((0, 18, 0), bool), "debug_full": ((0, 18, 0), bool), "insecure_registry": ((0, 18, 0), bool),
    "experimental": ((1, 0, 0), bool), "host_gateway_ip": ((1, 3, 0), str), "bridge_ip": ((2, 1, 0), str),
    "kube_hide_dupe": ((2, 1, 0), bool), "cdi_spec_dirs": ((2, 1, 0), list), "userns_remap": ((2, 1, 0), str),
    "dns": ((2, 2, 0), list), "dns_opts": ((2, 2, 0), list), "dns_search": ((2, 2, 0), list),
    "disable_hc_systemd": ((2, 2, 0), bool), "selinux_enabled": ((2, 3, 0), bool),
}


def _ci_get(table: dict[str, Any], key: str) -> Any:
    """nerdctl matches keys case-insensitively."""
    for k, v in table.items():
        if isinstance(k, str) and k.lower() == key:
            return v
    return None


def judge_toml(host: Host, cfg: "NerdctlConfig") -> None:
    """nerdctl's strict decoding: unknown keys (for the installed version) and values of the wrong type are
    fatal."""
    v = nerdctl_version(host) or (99, 0, 0)
    unknown: list[str] = []
    wrong: list[str] = []
    for k, val in cfg.toml.items():
        spec = TOML_KEYS_SINCE.get(str(k).lower())
        if spec is None or v < spec[0]:
            unknown.append(str(k))
        elif isinstance(val, bool) != (spec[1] is bool) or not isinstance(val, spec[1]):
            wrong.append(f"{k} = {val!r} (wants {'a boolean' if spec[1] is bool else 'a ' + spec[1].__name__})")
    cfg.unknown_keys = sorted(unknown)
    if unknown:
        cfg.error_kind = "unknown-keys"
        cfg.error = "strict mode: fields in the document are missing in the target struct: " + ", ".join(unknown)
    elif wrong:
        cfg.error_kind = "wrong-type"
        cfg.error = "wrong type: " + "; ".join(wrong)


def rootlesskit_state_dir(host: Host) -> str:
    x = host.getenv("ROOTLESSKIT_STATE_DIR")
    if x:
        return x
    return os.path.join(runtime_dir(host), "containerd-rootless")


class ContainerdTarget(Record):
    """Where nerdctl's containerd is: ``address`` {"value", "source"} as nerdctl names it, and ``path``, the
    logical path at which the doctor can reach the socket from outside (rootless: through
    /proc/<child_pid>/root)."""

    __slots__ = ("address", "path", "error", "child_pid", "state_dir")

    def __init__(self, address: dict, path: str | None, error: str = "", child_pid: int | None = None,
                 state_dir: str | None = None) -> None:
        self.address, self.path, self.error, self.child_pid, self.state_dir = address, path, error, child_pid, state_dir


def containerd_target(host: Host) -> ContainerdTarget:
    def compute() -> ContainerdTarget:
        cfg = nerdctl_config(host)
        addr = dict(cfg.values["address"])
        value = addr["value"]
        path = value[len("unix://"):] if value.startswith("unix://") else value
        if not host.rootless:
            return ContainerdTarget(addr, path)
        state = rootlesskit_state_dir(host)
        pid_file = os.path.join(state, "child_pid")
        not_running = ("rootless containerd not running? (hint: use `containerd-rootless-setuptool.sh install` to "
                       "start rootless containerd)")
        if not host.getenv("ROOTLESSKIT_STATE_DIR") and (not host.getenv("XDG_RUNTIME_DIR")
                                                         or not host.is_dir(state)):
            return ContainerdTarget(addr, None, error=not_running, state_dir=state)
        try:
            pid = int(host.read_text(pid_file, limit=64).strip())
        except HostFileError as exc:
            if exc.reason == "missing":
                return ContainerdTarget(addr, None, error=f"stat {pid_file}: no such file or directory",
                                        state_dir=state)
            return ContainerdTarget(addr, None, error=str(exc), state_dir=state)
        except ValueError:
            return ContainerdTarget(addr, None, error=f"{pid_file} does not hold a pid", state_dir=state)
        addr.setdefault("via", "rootlesskit")
        return ContainerdTarget(addr, f"/proc/{pid}/root{path}", child_pid=pid, state_dir=state)

    return host.memo(("containerd-target",), compute)


class ContainerdServer(Record):
    """What the containerd nerdctl talks to says about itself (``ctr version``), when it answers. ``outcome``: the
    Outcome of the ctr call, or None when it was not run."""

    __slots__ = ("answered", "version", "uuid", "outcome", "error")

    def __init__(self, answered: bool, version: str | None = None, uuid: str | None = None, outcome: Any = None,
                 error: str = "") -> None:
        self.answered, self.version, self.uuid, self.outcome, self.error = answered, version, uuid, outcome, error


def parse_ctr_version(text: str) -> tuple[str | None, str | None]:
    """(server version, UUID) from ``ctr version`` output: the Server block's Version: and UUID: lines."""
    version = uuid = None
    in_server = False
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("Server:"):
            in_server = True
            continue
        if s.startswith("Client:"):
            in_server = False
            continue
        if in_server and s.startswith("Version:"):
            version = s.split(":", 1)[1].strip() or None
        elif s.startswith("UUID:"):
            uuid = s.split(":", 1)[1].strip() or None
    return version, uuid


def containerd_server(host: Host) -> ContainerdServer:
    """Ask nerdctl's containerd for its version and UUID with ``ctr`` (inside the VM in vm mode). Memoised: a
    timed-out containerd is asked once per run."""

    def compute() -> ContainerdServer:
        if host.vm:
            out = host.run_vm(["ctr", "--address", host.frontend.containerd_address, "version"])
        else:
            target = containerd_target(host)
            if target.path is None:
                return ContainerdServer(False, error=target.error)
            out = host.run(["ctr", "--address", host.resolve(target.path), "version"])
        if not out.ok:
            return ContainerdServer(False, outcome=out, error=out.describe())
        version, uuid = parse_ctr_version(out.stdout)
        return ContainerdServer(True, version, uuid, out)

    return host.memo(("containerd-server",), compute)


def buildkit_candidates(host) -> list[dict]:
    """nerdctl's candidates for the target namespace, in order, first match wins, no fall-through between
    levels (UPSTREAM.md section 1)."""
    flags = getattr(host, "flags", None) or {}
    flag = flags.get("buildkit_host")
    if flag is not None:  # given, even empty
        return [{"address": flag, "source": "flag"}]
    env = host.getenv("BUILDKIT_HOST") if (not host.vm or host.frontend.forwards_host_env()) else None
    if env:  # set-but-empty does not count: nerdctl checks for a non-empty value
        return [{"address": env, "source": "env"}]
    forwarded = host.frontend.forwarded_buildkit() if host.vm and host.which("buildctl") else None
    if forwarded:  # colima forwards the VM's rootful buildkitd socket to the host: probe it from here
        return [{"address": f"unix://{forwarded}", "source": "default"}]
    run = host.frontend.buildkit_run_dir if host.vm else runtime_dir(host)
    out = []
    if host.namespace != "default":
        out.append(f"unix://{run}/buildkit-{host.namespace}/buildkitd.sock")
    out.append(f"unix://{run}/buildkit-default/buildkitd.sock")
    out.append(f"unix://{run}/buildkit/buildkitd.sock")
    return [{"address": a, "source": "default"} for a in out]


def physical_address(host, address: str) -> str:
    """The address to hand to buildctl: unix paths resolved under --root (never inside the VM)."""
    if host.vm:
        return address
    p = unix_path(address)
    if p is None or not address.startswith("unix:"):
        return address
    return "unix://" + host.resolve(p)
