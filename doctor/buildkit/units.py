"""buildkitd as the diagnosed system runs it (UPSTREAM.md sections 3 and 5): its processes and their flags, the
systemd units that start it (user and system, nerdctl's setup tool's flags by version), which config file it reads,
whether it enables the OCI worker, and the flags that override its config file."""
from __future__ import annotations

import os
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from ..facts import nerdctl_config
from ..fileops import HostFileError

if TYPE_CHECKING:
    pass

OCI_RUNTIMES = ("runc", "buildkit-runc")


SYSTEM_UNIT_DIRS = ("/etc/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system",
                    "/lib/systemd/system")


WORKER_FLAGS = ("--oci-worker", "--containerd-worker", "--containerd-worker-rootless", "--oci-worker-rootless",
                "--containerd-worker-namespace", "--containerd-worker-snapshotter", "--containerd-worker-addr")


OVERRIDING = ("--oci-worker", "--containerd-worker", "--containerd-worker-addr", "--containerd-worker-namespace",
              "--containerd-worker-snapshotter")


def unit_dir(host) -> str | None:
    ch = host.config_home()
    return os.path.join(ch, "systemd", "user") if ch else None


def worker_flags(flags: list[str] | dict) -> dict[str, str]:
    items = flags.items() if isinstance(flags, dict) else parse_flags(list(flags)).items()
    return {k: v for k, v in items if k in WORKER_FLAGS}


def expected_rootless_flags(host) -> dict[str, str]:
    """The worker flags `CONTAINERD_NAMESPACE=<ns> install-buildkit-containerd` writes (nerdctl 2.0+)."""
    want = {"--oci-worker": "false", "--containerd-worker": "true", "--containerd-worker-rootless": "true",
            "--containerd-worker-namespace": host.namespace}
    snap = nerdctl_config(host).value("snapshotter")
    if snap != "overlayfs":
        want["--containerd-worker-snapshotter"] = snap
    return want


def parse_flags(args: list[str]) -> dict[str, str]:
    flags: dict[str, str] = {}
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            i += 1
            continue
        if a.startswith("--"):
            if "=" in a:
                k, v = a.split("=", 1)
                flags[k] = v
            elif i + 1 < len(args) and not args[i + 1].startswith("--"):
                flags[a] = args[i + 1]
                i += 1
            else:
                flags[a] = "true"
        i += 1
    return flags


def daemons(host) -> list[dict] | None:
    """buildkitd processes of the diagnosed system; None when its /proc is not visible."""

    def compute() -> list[dict] | None:
        if host.vm:
            return []
        procs = host.processes(lambda p: p.name == "buildkitd" or any(
            os.path.basename(a) == "buildkitd" for a in p.cmdline[:4]))
        if procs is None:
            return None
        out = []
        for p in procs:
            args = p.cmdline
            idx = next((i for i, a in enumerate(args) if os.path.basename(a) == "buildkitd"), 0)
            out.append({"pid": p.pid, "uid": p.uid, "cmdline": args, "flags": parse_flags(args[idx + 1:])})
        return out

    return host.memo(("buildkitd-processes",), compute)


def _read_unit(host, path: str, scope: str) -> dict | None:
    import shlex

    try:
        text = host.read_text(path, limit=256 << 10)
    except HostFileError:
        return None
    execs = [ln.split("=", 1)[1].strip() for ln in text.splitlines() if ln.strip().startswith("ExecStart=")]
    execs = [e for e in execs if e]
    argv: list[str] = []
    if execs:
        try:
            argv = shlex.split(execs[-1])
        except ValueError:
            argv = execs[-1].split()
    idx = next((i for i, a in enumerate(argv) if os.path.basename(a) == "buildkitd"), 0)
    return {"path": path, "scope": scope, "exec": execs[-1] if execs else "", "flags": argv[idx + 1:]}


def unit_file(host, name: str, user: bool = True) -> dict | None:
    dirs = [unit_dir(host)] if user else list(SYSTEM_UNIT_DIRS)
    for d in dirs:
        if d:
            u = _read_unit(host, os.path.join(d, name), "user" if user else "system")
            if u:
                return u
    return None


def system_unit(host) -> dict | None:
    return unit_file(host, "buildkit.service", user=False)


def service_units(host) -> list[dict]:
    units = []
    sys_unit = system_unit(host)
    if sys_unit:
        units.append(sys_unit)
    d = unit_dir(host)
    if d:
        for name in host.listdir(d):
            if name.endswith("buildkit.service"):
                u = unit_file(host, name, user=True)
                if u:
                    units.append(u)
    return units


def oci_enabled(host, flags: dict) -> tuple[bool, str]:
    """Does this daemon run the OCI worker? Flags override its config file (`--oci-worker=auto` resets to auto);
    auto means: when runc or buildkit-runc is on PATH."""
    v = flags.get("--oci-worker")
    if v is not None and v != "auto":
        return v in ("true", "1"), f"--oci-worker={v}"
    enabled = None
    path = flags.get("--config")
    if not path:
        if host.rootless:
            ch = host.config_home()
            path = os.path.join(ch, "buildkit", "buildkitd.toml") if ch else None
        else:
            path = "/etc/buildkit/buildkitd.toml"
    if path and v is None:
        try:
            text = host.read_text(path)
            import tomllib  # only once there is a file to parse

            data = tomllib.loads(text)
            oci = (data.get("worker") or {}).get("oci") or {}
            enabled = oci.get("enabled") if isinstance(oci, dict) else None
        except (HostFileError, ValueError, AttributeError, RecursionError):  # TOMLDecodeError is a ValueError
            enabled = None
    if isinstance(enabled, bool):
        return enabled, f"[worker.oci] enabled = {str(enabled).lower()} in {path}"
    runtime = next((r for r in OCI_RUNTIMES if host.which(r)), None)
    return bool(runtime), f"OCI worker on auto, {runtime + ' is on PATH' if runtime else 'no runc on PATH'}"


def unit_runs_oci(host, unit: dict) -> bool:
    """Does this unit start the OCI worker? Units from nerdctl 1.7 and older carry no worker flags: then the
    toml (or buildkitd's defaults: OCI whenever runc is on PATH) decides."""
    flags = worker_flags(unit["flags"])
    if "--oci-worker" in flags:
        return flags["--oci-worker"] == "true"
    on, _ = oci_enabled(host, parse_flags(unit["flags"]))
    return on


def buildkitd_installed(host) -> bool:
    if host.vm:
        return True
    if host.which("buildkitd"):
        return True
    return bool(service_units(host))


def config_path(host) -> tuple[str | None, str]:
    """buildkitd.toml: the --config of a running daemon, else the rootful or rootless default."""
    for d in daemons(host) or []:
        if d["flags"].get("--config"):
            return d["flags"]["--config"], f"--config of buildkitd pid {d['pid']}"
    if host.rootless:
        ch = host.config_home()
        return (os.path.join(ch, "buildkit", "buildkitd.toml") if ch else None), "rootless default"
    return "/etc/buildkit/buildkitd.toml", "rootful default"


def overriding_flags(host) -> tuple[list[str], dict | None]:
    """Flags of the running daemon (or of its unit) that override buildkitd.toml, and that unit."""
    unit = system_unit(host)
    flags: dict[str, str] = {}
    for d in daemons(host) or []:
        flags.update(d["flags"])
    if not flags and unit:
        flags = parse_flags(unit["flags"])
    return [f"{k}={v}" for k, v in flags.items() if k in OVERRIDING], unit
