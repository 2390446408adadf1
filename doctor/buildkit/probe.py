"""BuildKit as nerdctl reaches it (UPSTREAM.md sections 1 and 2): its candidates pinged the way nerdctl pings
them (`buildctl --addr=H debug workers`), all at once, memoised per address; the messages nerdctl prints when none
answers; the workers read exactly as nerdctl reads them before every build, and its "sharable" test."""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from ..facts import (buildkit_candidates as candidates, containerd_server, nerdctl_config, nerdctl_version,
                     physical_address)
from ..paths import unix_path

if TYPE_CHECKING:
    from typing import Any
    from ..host import Host, Outcome

LABEL = "org.mobyproject.buildkit.worker."


NO_HOST_HINT = ("`buildctl` needs to be installed and `buildkitd` needs to be running, see "
                "https://github.com/moby/buildkit")


ROOTLESS_HINT = (", and `containerd-rootless-setuptool.sh install-buildkit` for OCI worker or "
                 "`containerd-rootless-setuptool.sh install-buildkit-containerd` for containerd worker")


def classify_buildctl_error(text: str) -> str:
    """A candidate's outcome from buildctl's stderr (shared/upstream files 20-26)."""
    t = text.lower()
    if "error reading server preface" in t or "deadline exceeded" in t:
        return "timeout"  # a daemon that accepts and never answers: buildctl gives up after 20 s
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


def on_this_host(host: Host, address: str) -> bool:
    """Is this BuildKit address reached from here (not through the front-end's VM)?"""
    if not host.vm:
        return True
    fwd = host.frontend.forwarded_buildkit()
    return bool(fwd) and address == f"unix://{fwd}" and host.which("buildctl") is not None


def run_buildctl(host: Host, address: str, *args: str) -> Outcome:
    argv = ["buildctl", f"--addr={physical_address(host, address)}", *args]
    return host.run(argv) if on_this_host(host, address) else host.run_vm(argv)


def ping(host, address: str) -> dict:
    """Ping one candidate the way nerdctl does. Memoised per address, so a timed-out daemon is asked once."""

    def compute() -> dict:
        rec: dict[str, Any] = {}
        p = unix_path(address) if address.startswith("unix:") else None
        if p is not None and on_this_host(host, address):
            st = host.stat(p)
            if st is None:
                rec.update(outcome="missing", detail=f"{host.show(p)} does not exist")
                return rec
            import stat as _stat

            if not _stat.S_ISSOCK(st.st_mode):
                rec.update(outcome="not-a-socket", detail=f"{host.show(p)} is not a socket")
                return rec
        out = run_buildctl(host, address, "debug", "workers")
        rec["command"] = out.to_json()
        if out.ok:
            rec["outcome"] = "answered"
            if p is not None and not host.vm:
                lst = host.socket_listener(host.resolve(p))
                if lst:
                    rec["listener"] = lst
        elif out.kind == "timeout":
            rec.update(outcome="timeout", detail=f"did not answer within {host.timeout:g}s (real buildctl gives up "
                                                 "after 20 s, and nerdctl waits that long on every build)")
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

    import threading

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(len(cands))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [{**c, **(r or {"outcome": "error"})} for c, r in zip(cands, results)]


def candidate_error(c: dict) -> str:
    """What nerdctl says of one candidate: buildctl's exit status (its stderr is thrown away)."""
    return 'exec: "buildctl": executable file not found in $PATH' if c["outcome"] == "no-buildctl" else "exit status 1"


def nerdctl_no_host_message(host, probed: list[dict]) -> str:
    """The log line and error nerdctl prints when no candidate answers (UPSTREAM.md section 1), for the
    installed nerdctl's version."""
    hint = NO_HOST_HINT + (ROOTLESS_HINT if host.rootless else "")
    errors = [f"failed to ping to host {c['address']}: {candidate_error(c)}" for c in probed]
    v = nerdctl_version(host)
    if v is not None and v < (1, 6, 0):
        joined = f"{len(errors)} errors occurred:\n" + "\n".join(f"\t* {e}" for e in errors)
    else:
        joined = "\n".join(errors)
    log = f'level=error msg="{hint}" error="{joined}"'
    return log + "\n" + f"no buildkit host is available, tried {len(probed)} candidates: " + joined


def dead_host_message(host) -> str:
    v = nerdctl_version(host)
    if v is not None and v >= (2, 1, 3):
        return "exit status 1"
    return f"{NO_HOST_HINT}{ROOTLESS_HINT if host.rootless else ''}: exit status 1"


def read_workers(host, address: str) -> tuple[list[dict] | None, dict]:
    """The daemon's workers exactly as nerdctl reads them before every build: `debug workers --format
    '{{json .}}'`. When that fails nerdctl aborts the build, so there is no fallback. (workers, evidence)."""

    def compute():
        out = run_buildctl(host, address, "debug", "workers", "--format", "{{json .}}")
        ev: dict[str, Any] = {"command": out.to_json()}
        if not out.ok:
            return None, ev
        try:
            import json  # only once a daemon answered

            data = json.loads(out.stdout)
        except (ValueError, RecursionError) as exc:  # not JSON, an integer past the digit limit, nested too deeply
            ev["parse_error"] = f"not JSON: {str(exc)[:200] or type(exc).__name__}"
            return None, ev
        if not isinstance(data, list) or not all(isinstance(w, dict) for w in data):
            ev["parse_error"] = "not a JSON array of worker records"
            return None, ev
        for w in data:  # labels are strings in BuildKit's records: anything else is shown as text, never trusted
            if isinstance(w.get("labels"), dict):
                w["labels"] = {str(k): v if isinstance(v, str) else str(v)[:200] for k, v in w["labels"].items()}
        return data, ev

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
