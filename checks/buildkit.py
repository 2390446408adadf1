"""BuildKit exactly as nerdctl sees it (UPSTREAM.md sections 1 to 3 and 5).

- buildkit.buildctl: the client nerdctl execs for every ping and build.
- buildkit.host: nerdctl's daemon selection: --buildkit-host, else BUILDKIT_HOST (no fall-back), else the
  namespace-aware default candidates, each pinged with `buildctl --addr=H debug workers`, all at once.
- buildkit.worker: the selected daemon's default worker against nerdctl's "sharable" test.
- buildkit.config: buildkitd.toml's worker sections against the target namespace and containerd address.
- buildkit.daemon: running buildkitd processes, their flags, the services that start them, unit collisions.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import threading
import tomllib
from typing import Any

from ..facts import (buildkit_candidates as candidates, config_home, containerd_server, containerd_target,
                     data_home, nerdctl_config, physical_address, runtime_dir)
from ..host import HostFileError, unix_path
from ..model import AdviceStep, EditStep, Fix, Result, RunStep, check
from ._util import read_version, vstr

MIN_BUILDCTL = (0, 10, 0)
LABEL = "org.mobyproject.buildkit.worker."
DEFAULT_CONTAINERD = "/run/containerd/containerd.sock"
K3S_CONTAINERD = "/run/k3s/containerd/containerd.sock"
SETUPTOOL = "containerd-rootless-setuptool.sh"
NO_HOST_HINT = ("`buildctl` needs to be installed and `buildkitd` needs to be running, see "
                "https://github.com/moby/buildkit")
ROOTLESS_HINT = ("Hint: you can install BuildKit as follows: `$ containerd-rootless-setuptool.sh install-buildkit` "
                 "(OCI worker) or `$ containerd-rootless-setuptool.sh install-buildkit-containerd` (containerd worker)")
COST = ("nerdctl cannot write the image straight into containerd: it exports a tarball and loads it (slower), and "
        "images in containerd's {ns} namespace, including ones you built earlier, are invisible to FROM "
        "(\"pull access denied\" / \"not found\" for a local base image)")
BUILDCTL_TIMEOUT_NOTE = "a BuildKit daemon that accepts connections but never answers makes every nerdctl build wait"


# --------------------------------------------------------------------------- buildctl


@check("buildkit.buildctl", title="buildctl (BuildKit client) on PATH")
def buildctl(host, deps) -> Result:
    out = host.run(["buildctl", "--version"], vm=host.vm)
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
    v, err = read_version(out, "buildctl", ev)
    if err:
        return err
    path = host.which("buildctl") if not host.vm else None
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


def install_fix(host) -> Fix:
    d = host.distro()
    ids = {d.get("id", "")} | set((d.get("like") or "").split())
    if host.vm:
        text = ("Rancher Desktop ships BuildKit inside its VM: select the containerd engine (Preferences > Container "
                "Engine) and restart Rancher Desktop.")
    else:
        lines = ["Install BuildKit (buildctl and buildkitd, 0.10 or newer):",
                 "- the nerdctl-full bundle (https://github.com/containerd/nerdctl/releases) contains nerdctl, "
                 "BuildKit, RootlessKit and containerd-rootless-setuptool.sh; extract it into /usr/local "
                 "(rootful) or ~/.local (rootless)."]
        if ids & {"arch"}:
            lines.append("- Arch Linux: `pacman -S buildkit`")
        elif ids & {"fedora", "rhel", "centos"}:
            lines.append("- Fedora: `dnf install buildkit` where packaged, else the nerdctl-full bundle")
        elif ids & {"debian", "ubuntu"}:
            lines.append("- Debian/Ubuntu: `apt-get install buildkit` where packaged (Debian 13+), else the "
                         "nerdctl-full bundle")
        elif ids & {"opensuse", "suse", "sles", "opensuse-tumbleweed"}:
            lines.append("- openSUSE: `zypper install buildkit`")
        else:
            lines.append("- or your distribution's `buildkit` package, where it has one")
        if host.rootless:
            lines.append(f"Then run `CONTAINERD_NAMESPACE={host.namespace} {SETUPTOOL} install-buildkit-containerd`.")
        else:
            lines.append("Then `sudo systemctl enable --now buildkit` with a containerd-worker buildkitd.toml.")
        text = "\n".join(lines)
    return Fix("buildkit.install", "Install BuildKit (buildctl and buildkitd)", [AdviceStep(text)],
               rechecks=("buildkit.buildctl", "buildkit.host", "buildkit.worker"))


# --------------------------------------------------------------------------- host selection


def classify_buildctl_error(text: str) -> str:
    t = text.lower()
    if "no such file or directory" in t:
        return "missing"
    if "connection refused" in t:
        return "refused"
    if "permission denied" in t:
        return "permission-denied"
    if "executable file not found" in t:
        return "no-buildctl"
    if "deadline exceeded" in t or "timeout" in t:
        return "timeout"
    return "error"


def ping(host, address: str) -> dict:
    """Ping one candidate the way nerdctl does. Memoised per address, so a timed-out daemon is asked once."""

    def compute() -> dict:
        rec: dict[str, Any] = {}
        p = unix_path(address) if address.startswith("unix:") else None
        if p is not None and not host.vm:
            st = host.stat(p)
            if st is None:
                rec.update(outcome="missing", detail=f"{host.show(p)} does not exist")
                return rec
            import stat as _stat

            if not _stat.S_ISSOCK(st.st_mode):
                rec.update(outcome="not-a-socket", detail=f"{host.show(p)} is not a socket")
                return rec
        out = host.run(["buildctl", f"--addr={physical_address(host, address)}", "debug", "workers"], vm=host.vm)
        rec["command"] = out.to_json()
        if out.ok:
            rec["outcome"] = "answered"
            if p is not None and not host.vm:
                lst = host.socket_listener(host.resolve(p))
                if lst:
                    rec["listener"] = lst
        elif out.kind == "timeout":
            rec.update(outcome="timeout", detail=f"did not answer within {host.timeout:g}s")
        elif out.kind == "not-found":
            rec.update(outcome="no-buildctl", detail='exec: "buildctl": executable file not found in $PATH')
        elif out.kind == "exited":
            err = (out.stderr or out.stdout).strip()
            rec.update(outcome=classify_buildctl_error(err), detail=err.splitlines()[-1] if err else "")
        else:
            rec.update(outcome="error", detail=out.describe())
        return rec

    return host.memo(("buildctl-ping", address), compute)


def probe_all(host) -> list[dict]:
    cands = candidates(host)
    results: list[dict | None] = [None] * len(cands)

    def one(i: int) -> None:
        try:
            results[i] = ping(host, cands[i]["address"])
        except Exception as exc:  # noqa: BLE001
            results[i] = {"outcome": "error", "detail": f"{type(exc).__name__}: {exc}"}

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(cands))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [{**c, **(r or {"outcome": "error"})} for c, r in zip(cands, results)]


def buildkitd_installed(host) -> bool:
    if host.vm:
        return True
    if host.which("buildkitd"):
        return True
    return bool(service_units(host))


def nerdctl_no_host_message(host, probed: list[dict]) -> str:
    lines = [NO_HOST_HINT]
    if host.rootless:
        lines.append(ROOTLESS_HINT)
    lines.append(f"no buildkit host is available, tried {len(probed)} candidates: ")
    for c in probed:
        why = c.get("detail") or c["outcome"]
        lines.append(f"failed to ping to host {c['address']}: {why}")
    return "\n".join(lines)


@check("buildkit.host", title="BuildKit daemon nerdctl will use", requires=("buildkit.buildctl",))
def buildkit_host(host, deps) -> Result:
    probed = probe_all(host)
    selected = next((c["address"] for c in probed if c["outcome"] == "answered"), None)
    evidence: dict[str, Any] = {"candidates": probed, "selected": selected, "namespace": host.namespace}
    if host.vm:
        evidence["where"] = "inside the Rancher Desktop VM (rdctl shell)"
    explicit = probed[0]["source"] if probed and probed[0]["source"] in ("flag", "env") else None
    if selected is None:
        if explicit:
            name = "--buildkit-host" if explicit == "flag" else "BUILDKIT_HOST"
            c = probed[0]
            return Result.fail(
                f"{name}={c['address']} does not answer ({c['outcome']}); nerdctl does not fall back to the "
                "default sockets",
                details=f"nerdctl pings only {c['address']} and fails the build: {c.get('detail', '')}\n"
                        f"Unset {name} to let nerdctl try the namespace-aware default sockets, or start a daemon there.",
                evidence=evidence,
            )
        msg = nerdctl_no_host_message(host, probed)
        return Result.fail(
            f"no buildkit host is available, tried {len(probed)} candidates",
            details="`nerdctl build` will print:\n" + msg,
            evidence=evidence,
            fixes=no_host_fixes(host),
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


def no_host_fixes(host) -> list[Fix]:
    if host.vm:
        return [install_fix(host)]
    if not buildkitd_installed(host):
        return [install_fix(host)]
    if host.rootless:
        f = install_containerd_worker_fix(host)
        return [f] if f else []
    return [Fix("buildkit.enable-service", "Start buildkitd and enable it at boot",
                [RunStep(["systemctl", "enable", "--now", "buildkit"], privileged=True)],
                rechecks=("buildkit.host", "buildkit.worker", "buildkit.daemon"))]


# --------------------------------------------------------------------------- workers


def parse_workers_verbose(text: str) -> list[dict]:
    """Parse `buildctl debug workers -v`: per worker `ID:`, `Platforms:`, `BuildKit:`, `Labels:` with tab-indented
    `key:\\tvalue` lines, then `GC Policy rule#N:` blocks, which are not labels. Never raises."""
    workers: list[dict] = []
    cur: dict | None = None
    section = None
    for raw in (text or "").splitlines():
        if not raw.strip():
            continue
        indented = raw[:1] in ("\t", " ")
        line = raw.strip()
        if not indented:
            key, _, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if key == "ID":
                cur = {"id": value, "labels": {}, "platforms": [], "gcPolicy": []}
                workers.append(cur)
                section = None
            elif cur is None:
                continue
            elif key == "Platforms":
                plats = []
                for p in filter(None, (x.strip() for x in value.split(","))):
                    parts = p.split("/")
                    d = {"os": parts[0], "architecture": parts[1] if len(parts) > 1 else ""}
                    if len(parts) > 2:
                        d["variant"] = parts[2]
                    plats.append(d)
                cur["platforms"] = plats
                section = None
            elif key == "BuildKit":
                parts = value.split()
                cur["buildkitVersion"] = {"package": parts[0] if parts else "",
                                          "version": parts[1] if len(parts) > 1 else "",
                                          "revision": parts[2] if len(parts) > 2 else ""}
                section = None
            elif key == "Labels":
                section = "labels"
            elif key.startswith("GC Policy rule"):
                section = "gc"
                cur["gcPolicy"].append({})
            else:
                section = None
        elif cur is not None and section == "labels":
            key, sep, value = line.partition(":")
            if sep:
                cur["labels"][key.strip()] = value.strip()
        elif cur is not None and section == "gc":
            key, sep, value = line.partition(":")
            if sep and cur["gcPolicy"]:
                cur["gcPolicy"][-1][key.strip()] = value.strip()
    return workers


def read_workers(host, address: str) -> tuple[list[dict] | None, dict]:
    """The daemon's workers as nerdctl reads them; falls back to `-v` parsing. (workers, evidence)."""

    def compute():
        phys = physical_address(host, address)
        out = host.run(["buildctl", f"--addr={phys}", "debug", "workers", "--format", "{{json .}}"], vm=host.vm)
        ev: dict[str, Any] = {"command": out.to_json()}
        if out.ok:
            try:
                data = json.loads(out.stdout)
                if isinstance(data, list) and all(isinstance(w, dict) for w in data):
                    return data, ev
                ev["parse_error"] = "not a JSON array of worker records"
            except json.JSONDecodeError as exc:
                ev["parse_error"] = str(exc)
        if out.kind == "timeout":
            return None, ev
        vout = host.run(["buildctl", f"--addr={phys}", "debug", "workers", "-v"], vm=host.vm)
        ev["fallback"] = vout.to_json()
        if vout.ok:
            ws = parse_workers_verbose(vout.stdout)
            if ws:
                ev["parsed_from"] = "-v"
                return ws, ev
        return None, ev

    return host.memo(("buildctl-workers", address), compute)


def sharable_differences(host, labels: dict) -> tuple[list[dict], dict]:
    """nerdctl's test for writing the image straight into containerd. (differences, facts)."""
    cfg = nerdctl_config(host)
    want_snap = cfg.value("snapshotter")
    diffs: list[dict] = []
    executor = labels.get(LABEL + "executor")
    facts: dict[str, Any] = {"target_namespace": host.namespace, "nerdctl_snapshotter": want_snap}
    if executor != "containerd":
        diffs.append({"label": "executor", "worker": executor, "nerdctl": "containerd"})
        return diffs, facts
    ns = labels.get(LABEL + "containerd.namespace")
    if ns != host.namespace:
        diffs.append({"label": "containerd.namespace", "worker": ns, "nerdctl": host.namespace})
    server = containerd_server(host)
    uuid = labels.get(LABEL + "containerd.uuid")
    if server.answered and server.uuid:
        facts["containerd_uuid"] = server.uuid
        if uuid != server.uuid:
            diffs.append({"label": "containerd.uuid", "worker": uuid, "nerdctl": server.uuid})
    else:
        facts["containerd_uuid"] = None
        facts["containerd_uuid_note"] = "nerdctl's containerd did not answer; the UUID was not compared" + (
            f" ({server.error})" if server.error else "")
    snap = labels.get(LABEL + "snapshotter")
    if snap != want_snap:
        diffs.append({"label": "snapshotter", "worker": snap, "nerdctl": want_snap})
    return diffs, facts


@check("buildkit.worker", title="BuildKit worker the daemon runs", requires=("buildkit.host",))
def buildkit_worker(host, deps) -> Result:
    selected = deps["buildkit.host"].evidence.get("selected")
    if not selected:
        return Result.skip("no BuildKit daemon answers")
    workers, ev = read_workers(host, selected)
    ev["address"] = selected
    if not workers:
        cmd = ev.get("command", {})
        why = cmd.get("output") or cmd.get("outcome") or "no workers"
        return Result.fail(
            f"nerdctl cannot read the workers of {selected}: {why.splitlines()[-1] if why else why}",
            details="nerdctl runs `buildctl debug workers --format '{{json .}}'` before every build and aborts "
                    "when it fails.",
            evidence=ev,
        )
    labels = workers[0].get("labels") or {}
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
    return Result.warn(summary, details=cost[0].upper() + cost[1:] + ".", evidence=ev, fixes=worker_fixes(host))


def worker_fixes(host) -> list[Fix]:
    if host.vm:
        return []
    if host.rootless:
        f = install_containerd_worker_fix(host)
        return [f] if f else []
    return [configure_fix(host)]


# --------------------------------------------------------------------------- fixes


def _unit_dir(host) -> str | None:
    ch = config_home(host)
    return os.path.join(ch, "systemd", "user") if ch else None


def expected_rootless_flags(host) -> list[str]:
    ns = host.namespace
    xdg = host.getenv("XDG_RUNTIME_DIR") or runtime_dir(host)
    dh = data_home(host) or "~/.local/share"
    flags = ["--oci-worker=false", "--containerd-worker=true", "--containerd-worker-rootless=true",
             f"--addr=unix://{xdg}/buildkit-{ns}/buildkitd.sock", f"--root={dh}/buildkit-{ns}",
             f"--containerd-worker-namespace={ns}"]
    snap = nerdctl_config(host).value("snapshotter")
    if snap != "overlayfs":
        flags.append(f"--containerd-worker-snapshotter={snap}")
    return flags


def install_containerd_worker_fix(host) -> Fix | None:
    if not host.rootless:
        return None
    env = {"CONTAINERD_NAMESPACE": host.namespace}
    snap = nerdctl_config(host).value("snapshotter")
    if snap != "overlayfs":
        env["CONTAINERD_SNAPSHOTTER"] = snap
    steps: list = []
    unit = unit_file(host, f"{host.namespace}-buildkit.service")
    if unit is not None:
        flags = unit["flags"]
        want = expected_rootless_flags(host)
        if sorted(f for f in flags if f.startswith("--") and not f.startswith("--root=")) != sorted(
                f for f in want if not f.startswith("--root=")):
            steps.append(RunStep([SETUPTOOL, "uninstall-buildkit-containerd"], env=env))
    steps.append(RunStep([SETUPTOOL, "install-buildkit-containerd"], env=env))
    return Fix("buildkit.install-containerd-worker",
               f"Install a rootless containerd-worker buildkitd for namespace {host.namespace}", steps,
               rechecks=("buildkit.host", "buildkit.worker", "buildkit.daemon"))


def config_path(host) -> tuple[str | None, str]:
    """buildkitd.toml: the --config of a running daemon, else the rootful or rootless default."""
    for d in daemons(host):
        if d["flags"].get("--config"):
            return d["flags"]["--config"], f"--config of buildkitd pid {d['pid']}"
    if host.rootless:
        ch = config_home(host)
        return (os.path.join(ch, "buildkit", "buildkitd.toml") if ch else None), "rootless default"
    return "/etc/buildkit/buildkitd.toml", "rootful default"


def configure_fix(host) -> Fix:
    path, _ = config_path(host)
    addr = containerd_target(host).address["value"]
    addr_path = unix_path(addr) or addr
    params = {"namespace": host.namespace, "address": addr_path if addr_path != DEFAULT_CONTAINERD else None}
    return Fix(
        "buildkit.configure-containerd-worker",
        f"Configure buildkitd's containerd worker for namespace {host.namespace}",
        [EditStep(path or "/etc/buildkit/buildkitd.toml", "buildkitd-containerd-worker", params, privileged=True),
         RunStep(["systemctl", "restart", "buildkit"], privileged=True)],
        rechecks=("buildkit.config", "buildkit.host", "buildkit.worker"),
    )


# --------------------------------------------------------------------------- config


def _line_col(exc: tomllib.TOMLDecodeError) -> tuple[int | None, int | None]:
    m = re.search(r"line (\d+), column (\d+)", str(exc))
    return (int(m.group(1)), int(m.group(2))) if m else (None, None)


def judge_config(host, data: Any, runc: bool, containerd_addr: str) -> tuple[str, list[str], dict]:
    """(status, findings, effective) for a parsed buildkitd.toml. Never raises on odd input."""
    findings: list[str] = []
    eff: dict[str, Any] = {}
    if not isinstance(data, dict):
        return "fail", ["the document is not a table"], eff
    worker = data.get("worker", {})
    if not isinstance(worker, dict):
        return "fail", ["`worker` is not a table: buildkitd refuses to load this file"], eff
    oci = worker.get("oci", {})
    ctd = worker.get("containerd", {})
    bad = []
    for name, sect in (("worker.oci", oci), ("worker.containerd", ctd)):
        if not isinstance(sect, dict):
            bad.append(f"[{name}] is not a table")
            continue
        en = sect.get("enabled")
        if en is not None and not isinstance(en, bool):
            bad.append(f"{name}.enabled = {en!r} is not a boolean")
        for key in ("namespace", "address", "snapshotter"):
            if key in sect and not isinstance(sect[key], str):
                bad.append(f"{name}.{key} = {sect[key]!r} is not a string")
    if bad:
        return "fail", [b + ": buildkitd refuses to load this file" for b in bad], eff
    oci_en = oci.get("enabled")
    ctd_en = ctd.get("enabled")
    oci_on = oci_en is True or (oci_en is None and runc)
    eff["oci"] = {"enabled": oci_en if oci_en is not None else f"auto ({'runc on PATH' if runc else 'no runc on PATH'})"}
    ns = ctd.get("namespace", "buildkit")
    addr = ctd.get("address", DEFAULT_CONTAINERD)
    eff["containerd"] = {"enabled": ctd_en if ctd_en is not None else "auto (when containerd answers)",
                         "namespace": ns, "address": addr, "snapshotter": ctd.get("snapshotter", "overlayfs")}
    status = "ok"
    if oci_on:
        status = "warn"
        why = "enabled = true" if oci_en is True else "not disabled and runc is on PATH"
        findings.append(f"[worker.oci] is {why}: the OCI worker registers first and is the default worker")
    if ctd_en is False:
        status = "warn"
        findings.append("[worker.containerd] enabled = false: no containerd worker")
    else:
        if ns != host.namespace:
            status = "warn"
            dflt = " (the default when unset is `buildkit`)" if "namespace" not in ctd else ""
            findings.append(f"[worker.containerd] namespace = {ns!r}{dflt}, not {host.namespace!r}")
        want = unix_path(containerd_addr) or containerd_addr
        have = unix_path(addr) or addr
        if os.path.normpath(have) != os.path.normpath(want):
            status = "warn"
            dflt = " (the default when unset)" if "address" not in ctd else ""
            findings.append(f"[worker.containerd] address = {addr!r}{dflt}, but nerdctl's containerd is {want!r}")
    return status, findings, eff


@check("buildkit.config", title="buildkitd.toml worker configuration")
def buildkit_config(host, deps) -> Result:
    if host.vm:
        return Result.skip("Rancher Desktop configures its buildkitd with flags in the VM's /etc/conf.d/buildkitd "
                           "(see buildkit.daemon)")
    path, how = config_path(host)
    runc = bool(host.which("runc"))
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
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return Result.fail(f"{path} is not UTF-8 text: buildkitd refuses it ({exc.reason})", evidence=ev)
    except tomllib.TOMLDecodeError as exc:
        line, col = _line_col(exc)
        ev.update(line=line, column=col, error=str(exc))
        where = f" at line {line}, column {col}" if line else ""
        return Result.fail(f"{path} is malformed{where}: buildkitd refuses to start", details=str(exc), evidence=ev)
    status, findings, eff = judge_config(host, data, runc, containerd_target(host).address["value"])
    ev["effective"] = eff
    ev["findings"] = findings
    if status == "fail":
        return Result.fail(f"{path}: {findings[0]}", details="\n".join(findings), evidence=ev)
    if status == "warn":
        fixes = [configure_fix(host)] if not host.rootless else []
        return Result.warn(f"{path}: {findings[0]}", details="\n".join(findings) + "\n\nFlags given to buildkitd "
                           "override this file.", evidence=ev, fixes=fixes)
    return Result.ok(f"{path}: containerd worker for namespace {host.namespace}, OCI worker disabled", evidence=ev)


# --------------------------------------------------------------------------- daemon


def parse_flags(args: list[str]) -> dict[str, str]:
    flags: dict[str, str] = {}
    i = 0
    while i < len(args):
        a = args[i]
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


def daemons(host) -> list[dict]:
    def compute() -> list[dict]:
        out = []
        if host.vm:
            return out
        for p in host.processes(lambda p: p.name == "buildkitd" or any(
                os.path.basename(a) == "buildkitd" for a in p.cmdline[:2])):
            args = p.cmdline
            idx = next((i for i, a in enumerate(args) if os.path.basename(a) == "buildkitd"), 0)
            out.append({"pid": p.pid, "user": p.username, "cmdline": args, "flags": parse_flags(args[idx + 1:])})
        return out

    return host.memo(("buildkitd-processes",), compute)


def unit_file(host, name: str, user: bool = True) -> dict | None:
    dirs = [_unit_dir(host)] if user else ["/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"]
    for d in dirs:
        if not d:
            continue
        path = os.path.join(d, name)
        try:
            text = host.read_text(path)
        except HostFileError:
            continue
        execs = [ln.split("=", 1)[1].strip() for ln in text.splitlines() if ln.strip().startswith("ExecStart=")]
        argv: list[str] = []
        if execs:
            try:
                argv = shlex.split(execs[-1])
            except ValueError:
                argv = execs[-1].split()
        return {"path": path, "scope": "user" if user else "system", "exec": execs[-1] if execs else "",
                "flags": [a for a in argv[1:]]}
    return None


def service_units(host) -> list[dict]:
    units = []
    sys_unit = unit_file(host, "buildkit.service", user=False)
    if sys_unit:
        units.append(sys_unit)
    d = _unit_dir(host)
    if d:
        for name in host.listdir(d):
            if name.endswith("buildkit.service"):
                u = unit_file(host, name, user=True)
                if u:
                    units.append(u)
    return units


@check("buildkit.daemon", title="buildkitd processes and services")
def buildkit_daemon(host, deps) -> Result:
    if host.vm:
        return vm_daemon(host)
    procs = daemons(host)
    units = service_units(host)
    ev: dict[str, Any] = {"processes": procs, "units": units}
    findings: list[str] = []
    status = "ok"
    # the unit-name collision of UPSTREAM.md section 5
    plain = next((u for u in units if u["scope"] == "user" and os.path.basename(u["path"]) == "buildkit.service"), None)
    ns_unit = next((u for u in units if os.path.basename(u["path"]) == f"{host.namespace}-buildkit.service"), None)
    fixes: list[Fix] = []
    if host.rootless and plain and any(f.startswith("--oci-worker=true") for f in plain["flags"]) and not ns_unit:
        status = "warn"
        findings.append(
            f"{plain['path']} runs the OCI worker (from `install-buildkit`); a plain `{SETUPTOOL} "
            "install-buildkit-containerd` skips an existing unit of that name (`File already exists, skipping`) and "
            f"keeps the OCI worker: install with CONTAINERD_NAMESPACE={host.namespace} instead")
        f = install_containerd_worker_fix(host)
        if f:
            fixes.append(f)
    if ns_unit and host.rootless:
        want = expected_rootless_flags(host)
        missing = [f for f in want if not f.startswith("--root=") and not f.startswith("--addr=") and f not in ns_unit["flags"]]
        if missing:
            status = "warn"
            findings.append(f"{ns_unit['path']} lacks {' '.join(missing)}: it was installed with other settings")
            f = install_containerd_worker_fix(host)
            if f and not fixes:
                fixes.append(f)
    for d in procs:
        on, why = oci_enabled(host, d["flags"])
        d["oci_worker"] = why
        if on:
            status = "warn"
            findings.append(f"buildkitd pid {d['pid']} enables the OCI worker ({why}): it registers first and is the "
                            "default worker")
    if not procs:
        if not units and not host.which("buildkitd"):
            return Result.fail("no buildkitd is installed or running", evidence=ev, fixes=[install_fix(host)])
        if host.rootless:
            name = os.path.basename(ns_unit["path"]) if ns_unit else (os.path.basename(units[0]["path"]) if units else None)
            fixes = [install_containerd_worker_fix(host)] if not ns_unit else []
            return Result.fail(
                "buildkitd is installed but not running" + (f" (start it: `systemctl --user start {name}`)" if name else ""),
                evidence=ev, fixes=[f for f in fixes if f])
        return Result.fail("buildkitd is installed but not running", evidence=ev,
                           fixes=[Fix("buildkit.enable-service", "Start buildkitd and enable it at boot",
                                      [RunStep(["systemctl", "enable", "--now", "buildkit"], privileged=True)],
                                      rechecks=("buildkit.host", "buildkit.worker", "buildkit.daemon"))])
    summary_bits = [f"pid {d['pid']} " + " ".join(f"{k}={v}" for k, v in d["flags"].items()
                                                   if k in ("--addr", "--oci-worker", "--containerd-worker",
                                                            "--containerd-worker-namespace",
                                                            "--containerd-worker-addr", "--config"))
                    for d in procs]
    ev["findings"] = findings
    if status == "warn":
        return Result.warn(findings[0], details="\n".join(findings), evidence=ev, fixes=fixes)
    return Result.ok(f"{len(procs)} buildkitd running: " + "; ".join(summary_bits), evidence=ev)


def oci_enabled(host, flags: dict) -> tuple[bool, str]:
    """Does this daemon run the OCI worker? Flags override its config file; `auto` means: when runc is on PATH."""
    v = flags.get("--oci-worker")
    if v is not None and v != "auto":
        return v in ("true", "1"), f"--oci-worker={v}"
    enabled = None
    path = flags.get("--config")
    if not path:
        if host.rootless:
            ch = config_home(host)
            path = os.path.join(ch, "buildkit", "buildkitd.toml") if ch else None
        else:
            path = "/etc/buildkit/buildkitd.toml"
    if path and v is None:
        try:
            data = tomllib.loads(host.read_text(path))
            oci = (data.get("worker") or {}).get("oci") or {}
            enabled = oci.get("enabled") if isinstance(oci, dict) else None
        except (HostFileError, tomllib.TOMLDecodeError, AttributeError):
            enabled = None
    if isinstance(enabled, bool):
        return enabled, f"[worker.oci] enabled = {str(enabled).lower()} in {path}"
    runc = bool(host.which("runc"))
    return runc, f"OCI worker on auto, {'runc is on PATH' if runc else 'no runc on PATH'}"


def vm_daemon(host) -> Result:
    out = host.run(["cat", "/etc/conf.d/buildkitd"], vm=True)
    ev: dict[str, Any] = {"where": "inside the Rancher Desktop VM (OpenRC /etc/init.d/buildkitd)", "conf": out.to_json()}
    if not out.ok:
        return Result.error(f"cannot read the VM's /etc/conf.d/buildkitd: {out.describe()}", evidence=ev)
    flags = parse_flags(shlex.split(" ".join(re.findall(r'"([^"]*)"', out.stdout)) or out.stdout))
    ev["flags"] = flags
    ns = flags.get("--containerd-worker-namespace", "buildkit")
    if ns != host.namespace:
        return Result.warn(
            f"Rancher Desktop's buildkitd uses worker namespace {ns!r}: images reach {host.namespace} through the "
            "tarball path and local FROM images are invisible",
            evidence=ev)
    return Result.ok(f"Rancher Desktop's buildkitd uses namespace {ns}", evidence=ev)


CHECKS = [buildctl, buildkit_host, buildkit_worker, buildkit_config, buildkit_daemon]
