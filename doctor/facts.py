"""Facts several checks (and the build backend) share, each modelled on upstream behaviour exactly
(UPSTREAM.md sections 1 and 4). Every function takes a Host, reads through it and memoises on it."""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from typing import Any

from .host import Host, HostFileError, unix_path

NERDCTL_TOML_KEYS = frozenset(
    {
        "debug", "debug_full", "address", "namespace", "snapshotter", "cni_path", "cni_netconfpath", "data_root",
        "cgroup_manager", "insecure_registry", "hosts_dir", "experimental", "host_gateway_ip", "bridge_ip",
        "kube_hide_dupe", "cdi_spec_dirs", "userns_remap", "dns", "dns_opts", "dns_search", "disable_hc_systemd",
        "selinux_enabled",
    }
)
NERDCTL_DEFAULTS = {
    "address": "/run/containerd/containerd.sock",
    "namespace": "default",
    "snapshotter": "overlayfs",
}
K3S_SOCKET = "/run/k3s/containerd/containerd.sock"  # k3s, and Rancher Desktop inside its VM
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


def config_home(host: Host) -> str | None:
    x = host.getenv("XDG_CONFIG_HOME")
    if x:
        return x
    return os.path.join(host.home, ".config") if host.home else None


def data_home(host: Host) -> str | None:
    x = host.getenv("XDG_DATA_HOME")
    if x:
        return x
    return os.path.join(host.home, ".local", "share") if host.home else None


def nerdctl_toml_path(host: Host) -> tuple[str | None, str]:
    """(path, how it was chosen): NERDCTL_TOML, else the rootful or rootless default."""
    env = host.getenv("NERDCTL_TOML")
    if env:
        return env, "env NERDCTL_TOML"
    if host.rootless:
        ch = config_home(host)
        return (os.path.join(ch, "nerdctl", "nerdctl.toml") if ch else None), "rootless default"
    return "/etc/nerdctl/nerdctl.toml", "rootful default"


@dataclass
class NerdctlConfig:
    path: str | None
    path_source: str
    present: bool = False
    error: str = ""  # nerdctl would refuse to start with this message
    error_kind: str = ""  # malformed, unknown-keys, unreadable
    unknown_keys: list[str] = field(default_factory=list)
    toml: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict] = field(default_factory=dict)  # name -> {"value", "source"}

    def value(self, name: str) -> str:
        return self.values[name]["value"]


def nerdctl_config(host: Host) -> NerdctlConfig:
    """nerdctl's effective address, namespace and snapshotter with their source: flag > env (set-but-empty
    counts) > toml > default."""

    def compute() -> NerdctlConfig:
        path, how = nerdctl_toml_path(host)
        cfg = NerdctlConfig(path, how)
        if path:
            try:
                raw = host.read_bytes(path)
                cfg.present = True
                try:
                    cfg.toml = tomllib.loads(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    cfg.error_kind, cfg.error = "malformed", f"not UTF-8: {exc}"
                except tomllib.TOMLDecodeError as exc:
                    cfg.error_kind, cfg.error = "malformed", str(exc)
                else:
                    cfg.unknown_keys = sorted(k for k in cfg.toml if k not in NERDCTL_TOML_KEYS)
                    if cfg.unknown_keys:
                        cfg.error_kind = "unknown-keys"
                        cfg.error = "unknown key(s): " + ", ".join(cfg.unknown_keys)
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
            elif name in cfg.toml and not cfg.error and isinstance(cfg.toml[name], str):
                cfg.values[name] = {"value": cfg.toml[name], "source": "toml"}
            else:
                cfg.values[name] = {"value": NERDCTL_DEFAULTS[name], "source": "default"}
        return cfg

    return host.memo(("nerdctl-config",), compute)


def rootlesskit_state_dir(host: Host) -> str:
    x = host.getenv("ROOTLESSKIT_STATE_DIR")
    if x:
        return x
    return os.path.join(runtime_dir(host), "containerd-rootless")


@dataclass
class ContainerdTarget:
    """Where nerdctl's containerd is: ``address`` {"value", "source"} as nerdctl names it, and ``path``, the
    logical path at which the doctor can reach the socket from outside (rootless: through
    /proc/<child_pid>/root)."""

    address: dict
    path: str | None
    error: str = ""
    child_pid: int | None = None
    state_dir: str | None = None


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
        try:
            pid = int(host.read_text(pid_file, limit=64).strip())
        except HostFileError as exc:
            msg = ("rootless containerd not running? (hint: use `containerd-rootless-setuptool.sh install` to "
                   "start rootless containerd)")
            return ContainerdTarget(addr, None, error=f"{msg}; {exc}", state_dir=state)
        except ValueError:
            return ContainerdTarget(addr, None, error=f"{pid_file} does not hold a pid", state_dir=state)
        addr.setdefault("via", "rootlesskit")
        return ContainerdTarget(addr, f"/proc/{pid}/root{path}", child_pid=pid, state_dir=state)

    return host.memo(("containerd-target",), compute)


@dataclass
class ContainerdServer:
    """What the containerd nerdctl talks to says about itself (``ctr version``), when it answers."""

    answered: bool
    version: str | None = None
    uuid: str | None = None
    outcome: Any = None  # the Outcome of the ctr call, or None when it was not run
    error: str = ""


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
            out = host.run(["sudo", "ctr", "--address", K3S_SOCKET, "version"], vm=True)
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
    flag = (getattr(host, "flags", None) or {}).get("buildkit_host")
    if flag:
        return [{"address": flag, "source": "flag"}]
    env = host.getenv("BUILDKIT_HOST")
    if env:  # set-but-empty does not count: nerdctl checks for a non-empty value
        return [{"address": env, "source": "env"}]
    run = "/run" if host.vm else runtime_dir(host)
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
