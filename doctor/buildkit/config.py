"""buildkitd.toml judged the way buildkitd reads it (UPSTREAM.md section 3): unknown keys ignored, type errors
fatal, the worker sections against the target namespace and containerd address."""
from __future__ import annotations

import re
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from ..constants import DEFAULT_CONTAINERD
from ..paths import unix_path

if TYPE_CHECKING:
    from typing import Any

def line_col(exc: Exception) -> tuple[int | None, int | None]:
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
        if not host.same_file(have, want):  # /var/run is a link to /run: the same socket
            status = "warn"
            dflt = " (the default when unset)" if "address" not in ctd else ""
            findings.append(f"[worker.containerd] address = {addr!r}{dflt}, but nerdctl's containerd is {want!r}")
    return status, findings, eff
