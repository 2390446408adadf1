"""containerd: the socket nerdctl will use (rootless through RootlessKit) and the target namespace in it."""
from __future__ import annotations



from ._util import probes_vm
from ..model import Deps, Result, check

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from typing import Any
    from ..host import Host

ROOTFUL_SOCKET = "/run/containerd/containerd.sock"


def address_evidence(host) -> dict:
    from ..facts import containerd_target
    target = containerd_target(host)
    addr = {"value": target.address["value"], "source": target.address["source"]}
    if host.rootless and addr["source"] == "default":
        addr["source"] = "rootlesskit"
    return addr


@check("containerd.socket", title="containerd socket nerdctl will use")
@probes_vm
def socket(host: Host, deps: Deps) -> Result:
    from ..facts import containerd_server, containerd_target
    target = containerd_target(host)
    ev: dict[str, Any] = {"address": address_evidence(host)}
    if host.vm:
        ev["where"] = f"inside {host.frontend.label}"
        sock = host.frontend.containerd_address
        server = containerd_server(host)
        if server.outcome is not None:
            ev["command"] = server.outcome.to_json()
        if not server.answered:
            text = server.outcome.output if server.outcome is not None else server.error
            return Result.fail(f"containerd inside {host.frontend.label} does not answer: {server.error}",
                               evidence=ev, details=text or "",
                               action=f"start the front-end ({host.frontend.name}) and wait until it is ready")
        ev.update(version=server.version, uuid=server.uuid)
        return Result.ok(f"containerd {server.version} answers at {sock} inside {host.frontend.label}", evidence=ev)
    if target.path is None:
        ev["state_dir"] = target.state_dir
        msg = target.error
        if host.exists(ROOTFUL_SOCKET):
            msg = (f"only a rootful containerd runs ({ROOTFUL_SOCKET}); rootless nerdctl cannot use it: "
                   "run `containerd-rootless-setuptool.sh install`, or use nerdctl as root with --mode rootful")
        return Result.fail(msg, details=target.error, evidence=ev,
                           action="start rootless containerd: `containerd-rootless-setuptool.sh install` (or "
                                  "`systemctl --user start containerd`)",
                           cause="rootless.prereqs")  # when a prerequisite is missing, install that first
    if target.child_pid is not None:
        ev.update(child_pid=target.child_pid, state_dir=target.state_dir)
    probe = host.probe_socket("unix://" + target.path)
    ev["socket"] = probe.to_json()
    shown = host.show(target.path)
    if probe.outcome == "missing":
        extra = ""
        if host.rootless and host.exists(ROOTFUL_SOCKET):
            extra = f"; a rootful containerd runs at {ROOTFUL_SOCKET}, which rootless nerdctl does not use"
        return Result.fail(f"no containerd socket at {shown}{extra}", evidence=ev, action=start_containerd(host))
    if probe.outcome == "not-a-socket":
        return Result.fail(f"{shown} is not a socket ({probe.detail})", evidence=ev)
    if probe.outcome == "refused":
        return Result.fail(f"containerd is not running: {shown} refuses connections (stale socket)", evidence=ev,
                           action=start_containerd(host))
    if probe.outcome == "permission-denied":
        hint = " (you are not root: use --mode rootless with rootless containerd, or sudo)" if host.euid != 0 else ""
        return Result.fail(f"permission denied on {shown}{hint}", evidence=ev)
    if probe.outcome == "timeout":
        return Result.error(f"containerd at {shown} did not answer within {host.timeout:g}s", evidence=ev)
    if probe.outcome != "answered":
        return Result.error(f"cannot connect to {shown}: {probe.detail}", evidence=ev)
    server = containerd_server(host)
    if server.outcome is not None:
        ev["command"] = server.outcome.to_json()
    if server.answered:
        ev.update(version=server.version, uuid=server.uuid)
        return Result.ok(f"containerd {server.version} answers at {target.address['value']}"
                         + (f" (through RootlessKit, pid {target.child_pid})" if target.child_pid else ""),
                         evidence=ev)
    if server.outcome is not None and server.outcome.kind == "not-found":
        return Result.ok(f"containerd answers at {target.address['value']} (ctr not on PATH: version and UUID "
                         "unknown)", evidence=ev)
    if server.outcome is not None and server.outcome.kind == "timeout":
        return Result.error(f"containerd at {shown} accepted but did not answer within {host.timeout:g}s",
                            evidence=ev)
    return Result.warn(f"{shown} accepts connections but `ctr version` failed: {server.error}", evidence=ev)


def start_containerd(host) -> str:
    if host.rootless:
        return "`systemctl --user start containerd` (or `containerd-rootless-setuptool.sh install` first)"
    if host.which("containerd") or host.exists("/usr/bin/containerd") or host.exists("/usr/local/bin/containerd"):
        return "`sudo systemctl enable --now containerd`"
    d = host.distro()
    if "debian" in (d.get("id"), *d.get("like", "").split()) or d.get("id") == "ubuntu":
        return "`sudo apt-get install containerd` then `sudo systemctl enable --now containerd`"
    return "install containerd (the nerdctl-full bundle has it) and `sudo systemctl enable --now containerd`"


def list_namespaces(host) -> tuple[list[str] | None, dict]:
    from ..facts import containerd_target
    if host.vm:
        out = host.run_vm(["ctr", "--address", host.frontend.containerd_address, "namespaces", "ls", "-q"])
    elif host.which("nerdctl"):
        argv = ["nerdctl"]
        if not host.rootless:
            argv += ["--address", host.resolve(containerd_target(host).path)]
        out = host.run([*argv, "namespace", "ls", "-q"])
    else:
        out = host.run(["ctr", "--address", host.resolve(containerd_target(host).path), "namespaces", "ls", "-q"])
    ev = {"command": out.to_json()}
    if not out.ok:
        return None, ev
    return [ln.strip() for ln in out.stdout.splitlines() if ln.strip()], ev


@check("containerd.namespace", title="Target namespace in containerd", requires=("containerd.socket",))
@probes_vm
def namespace(host: Host, deps: Deps) -> Result:
    from ..constants import K3S_SOCKET
    names, ev = list_namespaces(host)
    ev["target"] = host.namespace
    if names is None:
        return Result.error(f"cannot list containerd's namespaces: {ev['command'].get('output') or ev['command']['outcome']}",
                            evidence=ev)
    ev["namespaces"] = names
    if host.namespace in names:
        return Result.ok(f"namespace {host.namespace} exists", evidence=ev)
    if host.namespace == "k8s.io":
        return Result.fail(
            "namespace k8s.io does not exist in this containerd: no kubelet uses it (a kubelet creates k8s.io), so "
            "images built here never reach a cluster",
            details="Point nerdctl at the containerd your cluster uses (see kube.context), e.g. k3s's "
                    f"{K3S_SOCKET}. (The converse is no proof: a containerd-worker buildkitd creates its namespace "
                    "itself.)",
            evidence=ev, action="point nerdctl at the containerd your cluster's kubelet uses (see kube.context)")
    return Result.warn(f"namespace {host.namespace} does not exist yet (nerdctl creates it on first use)",
                       evidence=ev)


CHECKS = [socket, namespace]
