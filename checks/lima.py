"""Lima (UPSTREAM.md section 8): present, its instances, and `nerdctl.lima` reachable the way Tilt runs commands."""
from __future__ import annotations

import os

from ..model import Deps, Result, check

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from ..frontends.lima import Lima
    from typing import Any
    from ..host import Host


def lima(host) -> "Lima":
    from ..frontends.lima import Lima

    return host.frontend if isinstance(host.frontend, Lima) else Lima(host)


@check("lima.installed", title="Lima installed")
def installed(host: Host, deps: Deps) -> Result:
    found = lima(host).installed()
    if not found:
        return Result.skip("Lima is not installed", evidence={"looked_in": [lima(host).lima_home()]})
    return Result.ok("Lima found: instances " + (", ".join(found.get("instances", [])) or "none"), evidence=found)


def alias_in_rc(host) -> str | None:
    from ..fileops import HostFileError
    for name in (".bashrc", ".zshrc", ".bash_profile", ".profile"):
        p = os.path.join(host.home or "/nonexistent", name)
        try:
            text = host.read_text(p, limit=256 << 10)
        except HostFileError:
            continue
        if "alias nerdctl=" in text and "nerdctl.lima" in text:
            return p
    return None


@check("lima.nerdctl", title="nerdctl.lima reachable the way Tilt runs commands", requires=("lima.installed",))
def nerdctl(host: Host, deps: Deps) -> Result:
    from ..fixes import frontends as fixes
    fe = lima(host)
    ev: dict[str, Any] = {"instance": fe.instance(), "nerdctl.lima": host.which("nerdctl.lima"),
                          "nerdctl": host.which("nerdctl")}
    forwarded = sorted(k for k in host.env if k == "BUILDKIT_HOST" or k.startswith("CONTAINERD_"))
    ev["forwarded_env"] = forwarded
    alias = alias_in_rc(host)
    if not host.which("nerdctl") and host.which("nerdctl.lima"):
        local_bin = os.path.join(host.home or "", ".local", "bin")
        on_path = os.path.normpath(local_bin) in [os.path.normpath(p) for p in host.path_entries()]
        link = os.path.join(local_bin if on_path else "/usr/local/bin", "nerdctl")
        why = f"`alias nerdctl=nerdctl.lima` in {alias} is invisible to Tilt" if alias else "no `nerdctl` on PATH"
        return Result.fail(f"{why}: Tilt runs commands without your shell", evidence=ev,
                           fixes=[fixes.lima_link_nerdctl(link, host.which("nerdctl.lima") or "nerdctl.lima",
                                                          privileged=not on_path)])
    if not host.which("nerdctl.lima"):
        return Result.skip("nerdctl.lima is not on PATH (nerdctl does not go through Lima)", evidence=ev)
    ok, out = fe.running()
    ev["command"] = out.to_json() if out else None
    if out is not None and out.kind == "timeout":
        return Result.error(f"`limactl ls` did not answer within {host.timeout:g}s", evidence=ev,
                            action="check Lima (`limactl ls`), then run the doctor again")
    if not ok:
        return Result.fail(f"Lima instance {fe.instance()} is not running", evidence=ev,
                           action=f"limactl start {fe.instance()}")
    mode, probe = fe.containerd_mode()
    ev["containerd_mode"] = mode
    if probe is not None:
        ev["containerd_probe"] = probe.to_json()
    if mode is None:
        return Result.fail(f"no containerd runs inside Lima instance {fe.instance()} (neither rootless, as Lima's "
                           "default template runs it, nor system-wide)", evidence=ev,
                           action=f"limactl shell {fe.instance()} containerd-rootless-setuptool.sh install")
    if forwarded:
        return Result.warn(f"nerdctl.lima forwards {', '.join(forwarded)} from this host into the VM "
                           "(--preserve-env), where they point at nothing", evidence=ev,
                           action=f"unset {' '.join(forwarded)} in the environment Tilt starts with")
    return Result.ok(f"nerdctl.lima reaches Lima instance {fe.instance()}, whose containerd runs in {mode} mode",
                     evidence=ev)


CHECKS = [installed, nerdctl]
