"""nerdctl: the binary Tilt will run, its version and its configuration (UPSTREAM.md sections 4 and 6)."""
from __future__ import annotations

import os
from typing import Any

from ..facts import NERDCTL_TOML_KEYS, nerdctl_config
from ..host import RD_RESOURCE_DIRS
from ..model import Result, check
from ._util import read_version, vstr

MIN_VERSION = (0, 18, 0)
WHY_127 = "Tilt's custom_build fails with `exit status 127` (command not found on Tilt's PATH)"


def other_places(host) -> list[str]:
    """Where nerdctl may really be when it is not on PATH (logical paths)."""
    places = []
    if host.home:
        places += [os.path.join(host.home, ".rd", "bin", "nerdctl"), os.path.join(host.home, ".local", "bin", "nerdctl")]
    places += [os.path.join(d, "nerdctl") for d in RD_RESOURCE_DIRS]
    places += ["/usr/local/bin/nerdctl", "/usr/bin/nerdctl", "/opt/nerdctl/bin/nerdctl"]
    if host.home:
        places.append(os.path.join(host.home, "bin", "nerdctl"))
    return places


@check("nerdctl.installed", title="nerdctl on PATH")
def installed(host, deps) -> Result:
    on_path = host.which_all("nerdctl")
    path = host.which("nerdctl")
    ev: dict[str, Any] = {"PATH": host.path_entries(), "on_path": on_path}
    if path:
        ev["path"] = path
        chain = host.link_chain(path)
        if chain:
            ev["links_to"] = chain
        if host.rd_wrapper(path):
            ev["rancher_desktop_wrapper"] = True
        shadowed = [f for f in on_path if f["path"] != path and f["state"] != "executable"]
        note = ""
        if shadowed and on_path[0]["path"] != path:
            note = f" (skipping {on_path[0]['path']}: {on_path[0]['state'].replace('-', ' ')})"
        return Result.ok(f"nerdctl is {path}{note}" + (" (Rancher Desktop's wrapper)" if ev.get("rancher_desktop_wrapper") else ""),
                         evidence=ev)
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
    rd_bin = os.path.join(host.home, ".rd", "bin") if host.home else None
    if runnable:
        where = runnable[0]["path"]
        d = os.path.dirname(where)
        how = f"add {d} to the PATH Tilt is started with"
        if rd_bin and d == rd_bin:
            how = ("add ~/.rd/bin to PATH: Rancher Desktop > Preferences > Application > Environment > "
                   "\"Configure PATH: Automatic\", or `nerdctl-doctor fix rd.add-path`")
        summary = f"nerdctl is not on PATH but is at {where}: {WHY_127}; {how}"
    else:
        summary = f"nerdctl is not on PATH: {WHY_127}; install nerdctl (or Rancher Desktop in containerd mode)"
    if reasons:
        summary = f"{reasons[0]}: {WHY_127}" + (f"; nerdctl is at {runnable[0]['path']}" if runnable else "")
    details = "\n".join(reasons + [f"found {f['path']} ({f['state']})" for f in found])
    return Result.fail(summary, details=details, evidence=ev)


@check("nerdctl.version", title="nerdctl version", requires=("nerdctl.installed",))
def version(host, deps) -> Result:
    out = host.run(["nerdctl", "--version"])
    ev = {"command": out.to_json()}
    if not out.ok and "Rancher Desktop is not running" in out.output:
        return Result.fail("Rancher Desktop is not running: its nerdctl wrapper cannot answer", evidence=ev,
                           details=out.output)
    v, err = read_version(out, "nerdctl", ev)
    if err:
        return err
    if v < MIN_VERSION:
        return Result.fail(
            f"nerdctl {vstr(v)} is older than 0.18: no namespace-aware BuildKit sockets and no direct image output",
            details="nerdctl 0.18 introduced the buildkit-<namespace> socket candidates and writing images straight "
                    "into containerd. Upgrade nerdctl.",
            evidence=ev)
    extra = "" if v >= (0, 22, 0) else " (before 0.22: no Containerfile support)"
    return Result.ok(f"nerdctl {vstr(v)}{extra}", evidence=ev)


@check("nerdctl.config", title="nerdctl configuration")
def config(host, deps) -> Result:
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
        msg = f"failed to load nerdctl config (not daemon config) from {cfg.path}"
        if cfg.error_kind == "unknown-keys":
            return Result.fail(f"{msg}: unknown key(s) {', '.join(cfg.unknown_keys)}: every nerdctl command fails",
                               details="nerdctl parses nerdctl.toml strictly. Known keys: "
                                       + ", ".join(sorted(NERDCTL_TOML_KEYS)), evidence=ev)
        if cfg.error_kind == "malformed":
            return Result.fail(f"{msg}: {cfg.error}", evidence=ev)
        return Result.error(f"cannot read {cfg.path}: {cfg.error}", evidence=ev)
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
