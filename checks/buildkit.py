"""BuildKit exactly as nerdctl sees it (UPSTREAM.md sections 1 to 3 and 5).

- buildkit.buildctl: the client nerdctl execs for every ping and build.
- buildkit.host: nerdctl's daemon selection: --buildkit-host, else BUILDKIT_HOST (no fall-back), else the
  namespace-aware default candidates, each pinged with `buildctl --addr=H debug workers`, all at once.
- buildkit.worker: the selected daemon's default worker against nerdctl's "sharable" test.
- buildkit.config: buildkitd.toml's worker sections against the target namespace and containerd address.
- buildkit.daemon: running buildkitd processes, their flags, the services that start them, unit collisions.
"""
from __future__ import annotations

import os
import re

from ..model import Deps, Fix, Result, check
from ._util import read_version, vstr, probes_vm

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from typing import Any
    from ..host import Host

MIN_BUILDCTL = (0, 10, 0)


COST = ("nerdctl cannot write the image straight into containerd: it exports a tarball and loads it (slower), and "
        "images in containerd's {ns} namespace, including ones you built earlier, are invisible to FROM "
        "(\"pull access denied\" / \"not found\" for a local base image)")


BUILDCTL_TIMEOUT_NOTE = "a BuildKit daemon that accepts connections but never answers makes every nerdctl build wait"


@check("buildkit.buildctl", title="buildctl (BuildKit client) on PATH")
@probes_vm
def buildctl(host: Host, deps: Deps) -> Result:
    out = host.run_vm(["buildctl", "--version"])
    ev: dict[str, Any] = {"command": out.to_json()}
    if out.kind == "not-found":
        return Result.fail(
            "buildctl is not on PATH: nerdctl build fails with "
            '`exec: "buildctl": executable file not found in $PATH`',
            details="nerdctl runs `buildctl` for every build and every BuildKit ping; install BuildKit (buildctl and "
                    "buildkitd) next to nerdctl.",
            evidence=ev,
            fixes=[install_fix(host)],
        )
    if host.vm and out.kind == "error":
        return Result.fail(f"cannot look inside: {out.detail}", evidence=ev,
                           action=f"start {host.frontend.name} and wait until it is ready")
    v, err = read_version(out, "buildctl", ev)
    if err:
        return err
    path = host.which("buildctl") if not host.vm else None  # inside the VM: the front-end's own
    if path:
        ev["path"] = path
    if v < MIN_BUILDCTL:
        return Result.fail(
            f"buildctl {vstr(v)} is older than 0.10: nerdctl needs `buildctl debug workers --format`",
            details="nerdctl reads the daemon's workers with `buildctl debug workers --format '{{json .}}'` before "
                    "every build and aborts when that fails. Upgrade BuildKit to 0.10 or newer.",
            evidence=ev,
            fixes=[install_fix(host)],
        )
    return Result.ok(f"buildctl {vstr(v)}", evidence=ev)


def _version(d: dict) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in (d.get("version") or "0").split(".")[:2])
    except ValueError:
        return (0,)


def _debian_release(d: dict) -> int:
    return _version(d)[0] if d.get("id") == "debian" else 0


def install_fix(host) -> Fix:
    from ..fixes import buildkit as fixes
    from ..constants import SETUPTOOL
    d = host.distro()
    ids = {d.get("id", "")} | set((d.get("like") or "").split())
    debian_has_buildkit = _debian_release(d) >= 13 or (d.get("id") == "ubuntu" and _version(d) >= (24, 4))
    if host.vm:
        text = (f"BuildKit runs inside {host.frontend.label}; the front-end ships it: restart the front-end with "
                "its containerd runtime/engine rather than installing BuildKit on this machine.")
    elif host.platform == "darwin":
        text = ("macOS runs no containerd or BuildKit itself: use a front-end that runs them in a VM (Rancher "
                "Desktop with the containerd engine, colima with --runtime containerd, or Lima).")
    else:
        bundle = ("the nerdctl-full bundle (https://github.com/containerd/nerdctl/releases: nerdctl, BuildKit, "
                  "RootlessKit, containerd-rootless-setuptool.sh), extracted into "
                  + ("~/.local" if host.rootless else "/usr/local"))
        if ids & {"arch"}:
            first = "Install BuildKit 0.10 or newer: `sudo pacman -S buildkit`"
        elif ids & {"debian", "ubuntu"} and debian_has_buildkit:
            first = "Install BuildKit 0.10 or newer: `sudo apt-get install buildkit`"
        elif ids & {"opensuse", "suse", "sles", "opensuse-tumbleweed"}:
            first = "Install BuildKit 0.10 or newer: `sudo zypper install buildkit`"
        else:
            why = f" ({host.distro_label()} has no buildkit package)" if ids & {"debian", "ubuntu", "fedora"} else ""
            first = f"Install BuildKit 0.10 or newer from the nerdctl-full bundle{why}"
        lines = [first, f"The bundle: {bundle}."]
        if host.rootless:
            lines.append(f"Then run `CONTAINERD_NAMESPACE={host.namespace} {SETUPTOOL} install-buildkit-containerd`.")
        else:
            lines.append("Then `sudo systemctl enable --now buildkit` with a buildkitd.toml that enables the containerd "
                         f"worker for namespace {host.namespace} (see buildkit.config).")
        text = "\n".join(lines)
    return fixes.install(text)


@check("buildkit.host", title="BuildKit daemon nerdctl will use", requires=("buildkit.buildctl",))
@probes_vm
def buildkit_host(host: Host, deps: Deps) -> Result:
    from ..buildkit.probe import dead_host_message, nerdctl_no_host_message, probe_all
    from ..buildkit.units import buildkitd_installed
    probed = probe_all(host)
    selected = next((c["address"] for c in probed if c["outcome"] == "answered"), None)
    evidence: dict[str, Any] = {"candidates": probed, "selected": selected, "namespace": host.namespace}
    if host.vm:
        evidence["where"] = f"inside {host.frontend.label}"
    explicit = probed[0]["source"] if probed and probed[0]["source"] in ("flag", "env") else None
    if selected is None:
        if explicit:
            name = "--buildkit-host" if explicit == "flag" else "BUILDKIT_HOST"
            c = probed[0]
            return Result.fail(
                f"{name}={c['address']} does not answer ({c['outcome']}); nerdctl does not fall back to the "
                "default sockets",
                details=f"nerdctl pings only {c['address']} and fails the build with:\n{dead_host_message(host)}\n"
                        f"({c.get('detail', '')})\n"
                        f"Unset {name} to let nerdctl try the namespace-aware default sockets, or start a daemon there.",
                evidence=evidence,
                action=f"unset {name} (nerdctl does not fall back while it is set), or start a buildkitd at "
                       f"{c['address']}",
            )
        msg = nerdctl_no_host_message(host, probed)
        stale = [c for c in probed if c["outcome"] == "refused"]
        if stale and (host.vm or buildkitd_installed(host)):
            return Result.fail(
                f"no buildkit host is available: the buildkitd of {stale[0]['address']} died and left its socket "
                "behind (connection refused)",
                details="`nerdctl build` will print:\n" + msg, evidence=evidence, fixes=no_host_fixes(host),
                action=restart_advice(host), cause=None if host.vm else "buildkit.daemon")
        return Result.fail(
            f"no buildkit host is available, tried {len(probed)} candidates",
            details="`nerdctl build` will print:\n" + msg,
            evidence=evidence,
            fixes=no_host_fixes(host),
            # why no daemon answers is buildkit.daemon's finding (not installed, installed but stopped)
            cause=None if host.vm else "buildkit.daemon",
        )
    sel = next(c for c in probed if c["address"] == selected)
    who = ""
    if sel.get("listener"):
        lst = sel["listener"]
        who = f" (buildkitd pid {lst.get('pid')})" if lst.get("pid") else ""
    earlier = [c for c in probed[: probed.index(sel)]]
    slow = [c for c in earlier if c["outcome"] == "timeout"]
    if slow:
        return Result.warn(
            f"nerdctl will use {selected}{who}, but first waits on {slow[0]['address']}, which does not answer",
            details=f"{BUILDCTL_TIMEOUT_NOTE}: nerdctl pings candidates in order, and {slow[0]['address']} accepts "
                    "connections without answering. Restart or remove that daemon.",
            evidence=evidence,
        )
    note = ""
    if earlier:
        note = "; " + ", ".join(f"{c['address']} {c['outcome']}" for c in earlier)
    return Result.ok(f"nerdctl will use {selected}{who}{note}", evidence=evidence)


def restart_advice(host) -> str:
    """How to restart a buildkitd that died, for this platform and front-end."""
    from ..buildkit.units import service_units, system_unit
    if host.vm:
        return f"restart {host.frontend.name} (its buildkitd is the front-end's own service)"
    if host.rootless:
        units = [os.path.basename(u["path"]) for u in service_units(host) if u["scope"] == "user"]
        return f"systemctl --user restart {units[0] if units else 'buildkit.service'}"
    if system_unit(host):
        return "sudo systemctl restart buildkit"
    return "start buildkitd again the way it was started (no buildkit.service unit was found)"


def no_host_fixes(host) -> list[Fix]:
    from ..fixes import buildkit as fixes
    from ..buildkit.units import buildkitd_installed, system_unit
    if host.vm or not buildkitd_installed(host):
        return [install_fix(host)]
    if host.rootless:
        f = install_containerd_worker_fix(host)
        return [f] if f else []
    unit = system_unit(host)
    return [fixes.enable_service()] if unit else []


@check("buildkit.worker", title="BuildKit worker the daemon runs", requires=("buildkit.host",))
@probes_vm
def buildkit_worker(host: Host, deps: Deps) -> Result:
    from ..buildkit.probe import LABEL, read_workers, sharable_differences
    selected = deps["buildkit.host"].evidence.get("selected")
    if not selected:
        return Result.skip("no BuildKit daemon answers")
    workers, ev = read_workers(host, selected)
    ev["address"] = selected
    why = None
    if workers is None:
        cmd = ev.get("command", {})
        out = ev.get("parse_error") or cmd.get("output") or cmd.get("outcome") or "no output"
        why = out.strip().splitlines()[-1] if out.strip() else out
    elif not workers:
        why = "the list is empty: nerdctl aborts with `no worker available`"
    elif not isinstance(workers[0].get("labels"), dict) or not workers[0].get("labels"):
        why = "the default worker has no labels: nerdctl aborts with `worker doesn't have labels`"
    if why is not None:
        return Result.fail(
            f"nerdctl cannot use the workers of {selected}: {why}",
            details="nerdctl runs `buildctl debug workers --format '{{json .}}'` before every build and aborts the "
                    "build when it fails, when the list is empty or when the first worker has no labels.",
            evidence=ev,
            action="upgrade buildctl/buildkitd to 0.10 or newer and restart buildkitd",
        )
    assert workers is not None  # narrowed above: why is None only when there are labelled workers
    labels = workers[0]["labels"]
    ev.update(labels=labels, worker_id=workers[0].get("id"), workers=len(workers))
    if len(workers) > 1:
        ev["other_executors"] = [w.get("labels", {}).get(LABEL + "executor") for w in workers[1:]]
    diffs, facts = sharable_differences(host, labels)
    ev["sharable"] = not diffs
    ev["differences"] = diffs
    ev.update(facts)
    if not diffs:
        return Result.ok(f"containerd worker for namespace {host.namespace}: nerdctl writes images straight into "
                         "containerd", evidence=ev)
    first = diffs[0]
    cost = COST.format(ns=host.namespace)
    if first["label"] == "executor":
        summary = f"the default worker is the {first['worker'] or 'unknown'} worker, not containerd: {cost.split(':')[0]}"
        if len(workers) > 1 and "containerd" in ev.get("other_executors", []):
            summary += " (a containerd worker is registered too, but only the first worker builds)"
    else:
        parts = ", ".join(f"{d['label']} {d['worker']!r} (nerdctl uses {d['nerdctl']!r})" for d in diffs)
        summary = f"containerd worker not sharable with nerdctl: {parts}"
    advice = host.frontend.worker_advice(host.namespace) if host.vm else ""
    return Result.warn(summary, details=cost + "." + (f"\n\n{advice}" if advice else ""),
                       evidence=ev, fixes=worker_fixes(host), action=advice.split(":")[0] if advice else "")


def worker_fixes(host) -> list[Fix]:
    from ..fixes.all import build as build_fix
    if host.vm:
        f = build_fix(host.frontend.worker_fix(host.namespace))
        return [f] if f else []
    if host.rootless:
        f = install_containerd_worker_fix(host)
        return [f] if f else []
    return [configure_fix(host)]


def install_containerd_worker_fix(host) -> Fix | None:
    from ..facts import nerdctl_config
    from ..fixes import buildkit as fixes
    from ..buildkit.units import expected_rootless_flags, unit_file, worker_flags
    if not host.rootless:
        return None
    env = {"CONTAINERD_NAMESPACE": host.namespace}
    snap = nerdctl_config(host).value("snapshotter")
    if snap != "overlayfs":
        env["CONTAINERD_SNAPSHOTTER"] = snap
    unit = unit_file(host, f"{host.namespace}-buildkit.service")
    stale = unit is not None and worker_flags(unit["flags"]) != expected_rootless_flags(host)
    return fixes.install_containerd_worker(env, uninstall_first=stale)


def configure_fix(host) -> Fix:
    from ..facts import containerd_target
    from ..fixes import buildkit as fixes
    from ..constants import DEFAULT_CONTAINERD
    from ..buildkit.units import config_path, overriding_flags
    from ..paths import unix_path
    import shlex

    path, _ = config_path(host)
    addr = containerd_target(host).address["value"]
    addr_path = unix_path(addr) or addr
    address = None if host.same_file(addr_path, DEFAULT_CONTAINERD) else addr_path
    drop, unit = overriding_flags(host)
    dropin = None
    if drop and unit:
        name = os.path.basename(unit["path"])
        dropin = f"/etc/systemd/system/{name}.d/nerdctl-doctor.conf"
        keep = [a for a in shlex.split(unit["exec"]) if not any(a.startswith(f.split("=")[0] + "=") or a ==
                                                                 f.split("=")[0] for f in drop)]
        return fixes.configure_containerd_worker(path or "/etc/buildkit/buildkitd.toml", host.namespace, address,
                                                 dropin, drop, exec_line=shlex.join(keep),
                                                 unit=name.removesuffix(".service"))
    return fixes.configure_containerd_worker(path or "/etc/buildkit/buildkitd.toml", host.namespace, address,
                                             None, drop)


@check("buildkit.config", title="buildkitd.toml worker configuration")
def buildkit_config(host: Host, deps: Deps) -> Result:
    from ..facts import containerd_target
    from ..buildkit.config import judge_config, line_col
    from ..buildkit.units import OCI_RUNTIMES, config_path, overriding_flags
    from ..fileops import HostFileError
    if host.vm:
        return Result.skip(f"the buildkitd inside {host.frontend.label} is configured by the front-end "
                           "(see buildkit.daemon and buildkit.worker)")
    path, how = config_path(host)
    runc = any(host.which(r) for r in OCI_RUNTIMES)
    ev: dict[str, Any] = {"path": host.show(path) if path else None, "chosen_by": how, "runc_on_path": runc}
    if path is None:
        return Result.skip("no HOME or XDG_CONFIG_HOME: the rootless buildkitd.toml cannot be located", evidence=ev)
    try:
        raw = host.read_bytes(path)
    except HostFileError as exc:
        if exc.reason == "missing":
            ev["defaults"] = ("OCI worker enabled wherever runc is on PATH, and it is the default worker; containerd "
                              "worker enabled when containerd answers, in namespace `buildkit`")
            return Result.skip(f"{path} is absent: buildkitd uses its defaults (OCI worker first"
                               f"{' — runc is on PATH' if runc else ''}; containerd worker in namespace `buildkit`)",
                               evidence=ev)
        return Result.error(f"cannot read {path}: {exc}", evidence=ev)
    import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return Result.fail(f"{path} is not UTF-8 text: buildkitd refuses it ({exc.reason})", evidence=ev)
    except RecursionError:
        return Result.fail(f"{path} is nested too deeply: buildkitd refuses to start", evidence=ev,
                           action=f"rewrite {path} (see buildkit.config's fix)")
    except ValueError as exc:  # TOMLDecodeError, or an integer past Python's digit limit
        line, col = line_col(exc)
        ev.update(line=line, column=col, error=str(exc))
        where = f" at line {line}, column {col}" if line else ""
        return Result.fail(f"{path} is malformed{where}: buildkitd refuses to start", details=str(exc), evidence=ev)
    status, findings, eff = judge_config(host, data, runc, containerd_target(host).address["value"])
    ev["effective"] = eff
    ev["findings"] = findings
    if status == "fail":
        return Result.fail(f"{path}: {findings[0]}", details="\n".join(findings), evidence=ev)
    if status == "warn":
        drop, _unit = overriding_flags(host) if not host.rootless else ([], None)
        ev["overriding_flags"] = drop
        note = ("\n\nThe running buildkitd's flags override this file: " + " ".join(drop)) if drop else ""
        fx = [configure_fix(host)] if not host.rootless else []
        return Result.warn(f"{path}: {findings[0]}", details="\n".join(findings) + note, evidence=ev, fixes=fx)
    return Result.ok(f"{path}: containerd worker for namespace {host.namespace}, OCI worker disabled", evidence=ev)


@check("buildkit.daemon", title="buildkitd processes and services")
@probes_vm
def buildkit_daemon(host: Host, deps: Deps) -> Result:
    from ..fixes import buildkit as fixes
    from ..constants import SETUPTOOL
    from ..buildkit.units import daemons, expected_rootless_flags, oci_enabled, service_units, system_unit, unit_runs_oci, worker_flags
    if host.vm:
        return vm_daemon(host)
    procs = daemons(host)
    units = service_units(host)
    ev: dict[str, Any] = {"processes": procs if procs is not None else "not visible (no /proc under the root)",
                          "units": units}
    findings: list[str] = []
    fixes_: list[Fix] = []
    plain = next((u for u in units if u["scope"] == "user" and os.path.basename(u["path"]) == "buildkit.service"), None)
    ns_unit = next((u for u in units if os.path.basename(u["path"]) == f"{host.namespace}-buildkit.service"), None)
    if host.rootless and plain and unit_runs_oci(host, plain) and not ns_unit:
        findings.append(
            f"{plain['path']} runs the OCI worker (from `install-buildkit`); a plain `{SETUPTOOL} "
            "install-buildkit-containerd` skips an existing unit of that name (`File already exists, skipping`) and "
            f"keeps the OCI worker: install with CONTAINERD_NAMESPACE={host.namespace} instead")
    if ns_unit and host.rootless:
        have, want = worker_flags(ns_unit["flags"]), expected_rootless_flags(host)
        if have and have != want:
            diff = " ".join(f"{k}={v}" for k, v in want.items() if have.get(k) != v)
            findings.append(f"{ns_unit['path']} was installed with other worker flags (wants {diff})")
    if findings and host.rootless:
        f = install_containerd_worker_fix(host)
        if f:
            fixes_.append(f)
    for d in procs or []:
        on, why = oci_enabled(host, d["flags"])
        d["oci_worker"] = why
        if on:
            findings.append(f"buildkitd pid {d['pid']} enables the OCI worker ({why}): it registers first and is the "
                            "default worker")
    ev["findings"] = findings
    if not procs:
        answering = _answering_daemon(deps, host)
        if answering:
            return Result.ok(f"no buildkitd process is visible{' here' if procs is None else ''}, but {answering} "
                             "answers", evidence=ev)
        if not units and not host.which("buildkitd"):
            # with buildctl missing too, BuildKit is not installed at all: one root cause, buildkit.buildctl's
            return Result.fail("no buildkitd is installed or running", evidence=ev, fixes=[install_fix(host)],
                               cause=None if host.which("buildctl") else "buildkit.buildctl")
        cause = containerd_cause(host, units)
        stale = stale_sockets(host)
        if stale:
            ev["stale_sockets"] = stale
            return Result.fail(f"buildkitd is not running: it died and left {stale[0]} behind (connection refused)",
                               evidence=ev, action=restart_advice(host), cause=cause,
                               fixes=[fixes.enable_service()] if (not host.rootless and system_unit(host)) else [])
        if host.rootless:
            name = os.path.basename(ns_unit["path"]) if ns_unit else None
            fx = [] if ns_unit else [f for f in [install_containerd_worker_fix(host)] if f]
            return Result.fail("buildkitd is installed but not running", evidence=ev, fixes=fx,
                               action=f"systemctl --user start {name}" if name else "", cause=cause)
        unit = system_unit(host)
        if unit:
            return Result.fail(f"buildkitd is installed but not running ({unit['path']} exists)", evidence=ev,
                               fixes=[fixes.enable_service()], cause=cause)
        return Result.fail("buildkitd is installed but not running, and no buildkit.service unit exists", evidence=ev,
                           action="start buildkitd with a containerd-worker config (e.g. install the nerdctl-full "
                                  "bundle's buildkit.service into /usr/local/lib/systemd/system)")
    if findings:
        return Result.warn(findings[0], details="\n".join(findings), evidence=ev, fixes=fixes_)
    bits = [f"pid {d['pid']} " + " ".join(f"{k}={v}" for k, v in d["flags"].items() if k in (
        "--addr", "--oci-worker", "--containerd-worker", "--containerd-worker-namespace", "--containerd-worker-addr",
        "--config")) for d in procs]
    return Result.ok(f"{len(procs)} buildkitd running: " + "; ".join(bits), evidence=ev)


def stale_sockets(host) -> list[str]:
    """Default BuildKit sockets that exist but refuse connections: a daemon that died."""
    from ..facts import buildkit_candidates as candidates
    from ..paths import unix_path
    out = []
    for c in candidates(host):
        p = unix_path(c["address"])
        if p and host.probe_socket(c["address"], timeout=min(host.timeout, 2.0)).outcome == "refused":
            out.append(c["address"])
    return out


def containerd_cause(host, units: list[dict]) -> str | None:
    """An installed buildkitd that runs only the containerd worker cannot start while containerd is down: then
    this failure is containerd.socket's. One with the OCI worker starts regardless."""
    from ..facts import containerd_server
    from ..buildkit.units import oci_enabled, system_unit, unit_runs_oci
    unit = system_unit(host) if not host.rootless else next((u for u in units if u["scope"] == "user"), None)
    oci = unit_runs_oci(host, unit) if unit else oci_enabled(host, {})[0]
    if oci:
        return None
    return None if containerd_server(host).answered else "containerd.socket"


def _answering_daemon(deps, host) -> str | None:
    from ..facts import buildkit_candidates as candidates
    from ..paths import unix_path
    for c in candidates(host):
        p = unix_path(c["address"])
        if p and host.probe_socket(c["address"], timeout=min(host.timeout, 2.0)).outcome == "answered":
            return c["address"]
    return None


def vm_daemon(host) -> Result:
    from ..buildkit.units import parse_flags
    import shlex

    out = host.run_vm(["cat", "/etc/conf.d/buildkitd"], sudo=False)
    ev: dict[str, Any] = {"where": f"inside {host.frontend.label}", "conf": out.to_json()}
    if not out.ok:
        return Result.skip(f"no /etc/conf.d/buildkitd inside {host.frontend.label} ({out.describe()}); "
                           "buildkitd there is the front-end's own", evidence=ev)
    try:
        flags = parse_flags(shlex.split(" ".join(re.findall(r'"([^"]*)"', out.stdout)) or out.stdout))
    except ValueError:
        flags = {}
    ev["flags"] = flags
    ns = flags.get("--containerd-worker-namespace")
    source = "--containerd-worker-namespace"
    if ns is None:  # not on its command line: buildkitd takes it from /etc/buildkit/buildkitd.toml, else `buildkit`
        toml = host.run_vm(["cat", "/etc/buildkit/buildkitd.toml"], sudo=False)
        ev["buildkitd_toml"] = toml.to_json()
        ns, source = "buildkit", "the default (no flag, no /etc/buildkit/buildkitd.toml namespace)"
        if toml.ok:
            import tomllib

            try:
                ctd = (tomllib.loads(toml.stdout).get("worker") or {}).get("containerd") or {}
                if isinstance(ctd, dict) and isinstance(ctd.get("namespace"), str):
                    ns, source = ctd["namespace"], "/etc/buildkit/buildkitd.toml"
            except (ValueError, AttributeError, RecursionError):
                pass
    ev["namespace"] = {"value": ns, "source": source}
    if ns != host.namespace:
        fx = worker_fixes(host)
        return Result.warn(
            f"the VM's buildkitd uses worker namespace {ns!r}: images reach {host.namespace} through the tarball "
            "path and local FROM images are invisible",
            details="The front-end rewrites /etc/conf.d/buildkitd and /etc/init.d/buildkitd on every start; "
                    + (host.frontend.worker_advice(host.namespace) if fx else "only advice can change this: build "
                       "base images you need into the registry, or pull them by name."),
            evidence=ev, fixes=fx)
    return Result.ok(f"the VM's buildkitd uses namespace {ns} ({source})", evidence=ev)


CHECKS = [buildctl, buildkit_host, buildkit_worker, buildkit_config, buildkit_daemon]
