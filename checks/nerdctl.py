"""nerdctl: the binary Tilt will run, its version and its configuration (UPSTREAM.md sections 4 and 6)."""
from __future__ import annotations

import os


from ..model import Deps, Result, check
from ._util import read_version, vstr, probes_vm

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from typing import Any
    from ..host import Host

MIN_VERSION = (0, 18, 0)
WHY_127 = "Tilt's custom_build fails with `exit status 127` (command not found on Tilt's PATH)"


def other_places(host) -> list[str]:
    """Where nerdctl may really be when it is not on PATH (logical paths)."""
    from ..frontends import VM_FRONTENDS
    places = []
    if host.home:
        places += [os.path.join(host.home, ".rd", "bin", "nerdctl"), os.path.join(host.home, ".local", "bin", "nerdctl")]
    for cls in VM_FRONTENDS.values():
        places += [os.path.join(d, "nerdctl") for d in cls(host).tool_dirs()]
    places += ["/usr/local/bin/nerdctl", "/usr/bin/nerdctl", "/opt/nerdctl/bin/nerdctl"]
    if host.home:
        places.append(os.path.join(host.home, "bin", "nerdctl"))
    return places


WHY_9009 = ("Tilt on Windows fails with `exit status 9009` for a string command (\"'nerdctl' is not recognized as an "
            "internal or external command\") and with `exec: \"nerdctl\": executable file not found in %PATH%` for "
            "an argv list")
RESTART = "a running Tilt, your terminal and your IDE (a program keeps the Path it was started with)"


def installed_windows(host) -> Result:
    """Windows: nerdctl.exe through Path and PATHEXT; Rancher Desktop's stub, or a native Windows nerdctl (another
    product: Windows containers); on the registry's Path but not this process's."""
    from ..constants import REG_MACHINE_ENV, REG_USER_ENV
    path = host.which("nerdctl")
    ev: dict[str, Any] = {"Path": host.path_entries(), "PATHEXT": host.pathext()}
    if path:
        ev["path"] = path
        if host.frontend.wraps(host, path):
            return Result.ok(f"nerdctl is {path} ({host.frontend.name}'s stub, which runs nerdctl in its WSL "
                             "distro)", evidence=ev)
        out = host.run([path, "version"])
        ev["command"] = out.to_json()
        native = "windows/" in out.stdout.lower() or not out.ok
        if native:
            return Result.fail(
                f"{path} is a native Windows nerdctl: it builds Windows containers against "
                "npipe:////./pipe/containerd-containerd, not Linux images for your cluster",
                details="`nerdctl.exe version` shows OS/Arch windows/...; Rancher Desktop's stub shows linux.",
                evidence=ev, action="remove that nerdctl from Path, or put Rancher Desktop's "
                                    "resources\\resources\\win32\\bin before it")
        return Result.ok(f"nerdctl is {path} (linux/...)", evidence=ev)
    user, machine = host.registry_path(REG_USER_ENV), host.registry_path(REG_MACHINE_ENV)
    ev["registry_user_path"], ev["registry_machine_path"] = user, machine
    for where, entries in (("user", user), ("machine", machine)):
        found = host.which("nerdctl", path=entries)
        if found:
            ev["in_registry"] = {"scope": where, "path": found}
            return Result.warn(f"nerdctl is {found}, on the {where} Path in the registry but not on this process's "
                               f"Path: restart {RESTART}", details=WHY_9009, evidence=ev,
                               action=f"restart {RESTART}")
    return Result.fail(f"nerdctl.exe is not on Path: {WHY_9009}", evidence=ev,
                       action="install Rancher Desktop (it puts its win32\\bin on your Path), then restart "
                              + RESTART)


@check("nerdctl.installed", title="nerdctl on PATH")
def installed(host: Host, deps: Deps) -> Result:
    if host.windows:
        return installed_windows(host)
    on_path = host.which_all("nerdctl")
    path = host.which("nerdctl")
    ev: dict[str, Any] = {"PATH": host.path_entries(), "on_path": on_path}
    if path:
        ev["path"] = path
        chain = host.link_chain(path)
        if chain:
            ev["links_to"] = chain
        if host.vm and host.frontend.name:
            ev["frontend_wrapper"] = host.frontend.name
        shadowed = [f for f in on_path if f["path"] != path and f["state"] != "executable"]
        note = ""
        if shadowed and on_path[0]["path"] != path:
            note = f" (skipping {on_path[0]['path']}: {on_path[0]['state'].replace('-', ' ')})"
        wrapper = f" ({host.frontend.name}'s wrapper)" if ev.get("frontend_wrapper") else ""
        return Result.ok(f"nerdctl is {path}{note}{wrapper}", evidence=ev)
    # Not runnable from PATH: say exactly why and where it really is.
    found = []
    seen = set()
    for p in other_places(host):
        st = host.file_state(p)
        if st != "missing" and p not in seen:
            seen.add(p)
            found.append({"path": p, "state": st})
    ev["elsewhere"] = found
    reasons = []
    for f in on_path:
        if f["state"] == "dangling-link":
            target = host.link_chain(f["path"])
            reasons.append(f"{f['path']} is a dangling link" + (f" to {target[-1]}" if target else ""))
        elif f["state"] == "not-executable":
            reasons.append(f"{f['path']} is not executable (chmod +x)")
        elif f["state"] == "directory":
            reasons.append(f"{f['path']} is a directory")
    runnable = [f for f in found if f["state"] == "executable"]
    if runnable:
        where = runnable[0]["path"]
        how = f"add {os.path.dirname(where)} to the PATH Tilt is started with"
        summary = f"nerdctl is not on PATH but is at {where}: {WHY_127}"
    else:
        how = ("install a front-end that runs nerdctl in a VM (Rancher Desktop with the containerd engine, colima, "
               "Lima)" if host.platform == "darwin" else
               "install nerdctl (the nerdctl-full bundle from github.com/containerd/nerdctl/releases, into "
               "/usr/local or ~/.local) and put it on PATH")
        summary = f"nerdctl is not on PATH: {WHY_127}"
    if reasons:
        summary = f"{reasons[0]}: {WHY_127}" + (f"; nerdctl is at {runnable[0]['path']}" if runnable else "")
    details = "\n".join(reasons + [f"found {f['path']} ({f['state']})" for f in found])
    return Result.fail(summary, details=details, evidence=ev, action=how, cause=missing_cause(host, on_path, runnable))


def missing_cause(host, on_path: list[dict], runnable: list[dict]) -> str | None:
    """Why nerdctl is not runnable from PATH, as a front-end's check finds it: a stale link of the front-end on
    PATH (its links check), or its nerdctl installed where PATH does not reach (its PATH check)."""
    from ..frontends import VM_FRONTENDS
    fes = [cls(host) for cls in VM_FRONTENDS.values()]
    for f in on_path:
        if f["state"] == "dangling-link":
            target = (host.link_chain(f["path"]) or [""])[0]
            owner = next((fe for fe in fes if fe.links_check and fe.owns(target)), None)
            if owner:
                return owner.links_check
    if runnable:
        where = os.path.dirname(runnable[0]["path"])
        owner = next((fe for fe in fes if fe.path_check and where in fe.tool_dirs()), None)
        if owner:
            return owner.path_check
    if host.which("nerdctl.lima"):
        return next((fe.path_check for fe in fes if fe.path_check and fe.wraps(host, host.which("nerdctl.lima"))),
                    None)
    return None


@check("nerdctl.version", title="nerdctl version", requires=("nerdctl.installed",))
@probes_vm
def version(host: Host, deps: Deps) -> Result:
    found = deps["nerdctl.installed"].evidence if "nerdctl.installed" in deps else {}
    # the nerdctl nerdctl.installed found: on PATH, or (Windows) only on the registry's Path, which a restarted
    # Tilt will see
    exe = found.get("path") or (found.get("in_registry") or {}).get("path") or "nerdctl"
    out = host.run([exe, "--version"])
    ev = {"command": out.to_json()}
    if not out.ok and host.vm:
        return Result.fail(f"{host.frontend.name}'s nerdctl wrapper cannot answer: {out.describe()}", evidence=ev,
                           details=out.output, action=f"start {host.frontend.name}")
    v, err = read_version(out, "nerdctl", ev)
    if err:
        return err
    if v < MIN_VERSION:
        return Result.fail(
            f"nerdctl {vstr(v)} is older than 0.18: no namespace-aware BuildKit sockets and no direct image output",
            details="nerdctl 0.18 introduced the buildkit-<namespace> socket candidates and writing images straight "
                    "into containerd. Upgrade nerdctl.",
            evidence=ev, action="upgrade nerdctl to 0.18 or newer (the nerdctl-full bundle)")
    extra = "" if v >= (0, 22, 0) else " (before 0.22: no Containerfile support)"
    return Result.ok(f"nerdctl {vstr(v)}{extra}", evidence=ev)


@check("nerdctl.config", title="nerdctl configuration")
def config(host: Host, deps: Deps) -> Result:
    from ..facts import TOML_KEYS_SINCE, nerdctl_config
    cfg = nerdctl_config(host)
    ev: dict[str, Any] = {
        "path": host.show(cfg.path) if cfg.path else None,
        "path_source": cfg.path_source,
        "present": cfg.present,
        "address": cfg.values["address"],
        "namespace": cfg.values["namespace"],
        "snapshotter": cfg.values["snapshotter"],
    }
    if cfg.path is None:
        ev["note"] = "HOME and XDG_CONFIG_HOME are unset: no rootless nerdctl.toml can be found"
    if cfg.error:
        ev["error"] = cfg.error
        msg = (f'failed to load nerdctl config (not daemon config) from "{cfg.path}" (Hint: don\'t mix up daemon\'s '
               f'`config.toml` with `nerdctl.toml`): {cfg.error}')
        if cfg.error_kind == "unreadable":
            return Result.error(f"cannot read {cfg.path}: {cfg.error}", evidence=ev,
                                action=f"make {cfg.path} a readable regular file, or remove it")
        what = {"unknown-keys": f"unknown key(s) {', '.join(cfg.unknown_keys)}",
                "wrong-type": "a value of the wrong type", "malformed": "malformed TOML"}[cfg.error_kind]
        return Result.fail(f"{msg} ({what}: every nerdctl command fails)", details="Known keys "
                           "(nerdctl matches them case-insensitively): " + ", ".join(sorted(TOML_KEYS_SINCE)),
                           evidence=ev, action=f"edit {cfg.path}: remove or correct what nerdctl refuses")
    ns = cfg.values["namespace"]
    parts = [f"{k} {v['value']} ({v['source']})" for k, v in cfg.values.items()]
    where = f"{cfg.path}" if cfg.present else f"no {cfg.path}" if cfg.path else "no nerdctl.toml"
    if ns["value"] != host.namespace:
        return Result.warn(
            f"plain `nerdctl` uses namespace {ns['value']!r} ({ns['source']}), not {host.namespace!r}: images you "
            f"build or list without `--namespace {host.namespace}` are invisible to the cluster",
            details=f"{where}; " + "; ".join(parts) + f"\nTilt's extension and `nerdctl-doctor build` pass "
                    f"--namespace {host.namespace}; set `namespace = \"{host.namespace}\"` in nerdctl.toml or "
                    f"CONTAINERD_NAMESPACE={host.namespace} to make plain nerdctl agree.",
            evidence=ev)
    return Result.ok(f"{where}: " + ", ".join(parts), evidence=ev)


CHECKS = [installed, version, config]
