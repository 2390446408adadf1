"""Kubernetes: will the current context's kubelet see an image built into nerdctl's containerd and namespace?
(UPSTREAM.md section 7)."""
from __future__ import annotations


from ..model import Deps, Fix, Result, check

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from typing import Any
    from ..host import Host

MICROK8S_SOCKET = "/var/snap/microk8s/common/run/containerd.sock"
KUBEADM_SOCKET = "/run/containerd/containerd.sock"
NOT_LOADED = ("Tilt does not load skips_local_docker images into {p} nodes: their kubelet's containerd runs inside "
              "the node container or VM, never the host's")


def kubeadm_endpoint(host) -> str | None:
    """The kubelet's runtime endpoint on a kubeadm-style host, when one is configured here."""
    from ..fileops import HostFileError
    for p in ("/var/lib/kubelet/kubeadm-flags.env", "/etc/default/kubelet", "/etc/sysconfig/kubelet"):
        try:
            text = host.read_text(p)
        except HostFileError:
            continue
        for tok in text.replace('"', " ").split():
            if tok.startswith("--container-runtime-endpoint="):
                v = tok.split("=", 1)[1]
                return v[len("unix://"):] if v.startswith("unix://") else v
    try:
        from ..fileops import load_yaml

        data = load_yaml(host.read_text("/var/lib/kubelet/config.yaml")) or {}
        v = data.get("containerRuntimeEndpoint") if isinstance(data, dict) else None
        if isinstance(v, str) and v:
            return v[len("unix://"):] if v.startswith("unix://") else v
        return KUBEADM_SOCKET
    except (HostFileError, Exception):
        pass
    if host.exists("/etc/kubernetes/kubelet.conf"):
        return KUBEADM_SOCKET
    return None


def use_cluster_fix(host, socket: str) -> Fix:
    from ..facts import nerdctl_toml_path
    from ..fixes import nerdctl as fixes
    path, _ = nerdctl_toml_path(host)
    return fixes.use_cluster_containerd(path or "/etc/nerdctl/nerdctl.toml", socket, privileged=not host.rootless)


@check("kube.context", title="Kubernetes context sees the built images")
def context(host: Host, deps: Deps) -> Result:
    from ..facts import containerd_target
    from ..kubeconfig import LOADERS, kubeconfig_files, load_kubeconfig, product, product_from_location
    merged, files, error = load_kubeconfig(host)
    ev: dict[str, Any] = {"kubeconfig": files or kubeconfig_files(host)}
    if error:
        return Result.error(error, evidence=ev)
    if merged is None:
        return Result.skip("no kubeconfig (" + (", ".join(kubeconfig_files(host)) or "HOME is not set") + ")",
                           evidence=ev)
    cur = merged["current-context"]
    if not cur:
        return Result.skip("the kubeconfig has no current context", evidence=ev)
    ctx = merged["contexts"].get(cur)
    if ctx is None:
        return Result.error(f"current context {cur!r} is not defined in the kubeconfig", evidence=ev)
    cluster = ctx.get("cluster") if isinstance(ctx.get("cluster"), str) else ""
    cl = merged["clusters"].get(cluster) or {}
    prod = product(cluster) or product_from_location(host, cl, ctx.get("_file"))
    ev.update(context=cur, cluster=cluster, product=prod or "unknown", target_namespace=host.namespace)
    nerd = containerd_target(host).address["value"]
    nerd_path = nerd[len("unix://"):] if nerd.startswith("unix://") else nerd
    ev["nerdctl_containerd"] = nerd_path
    if prod in LOADERS:
        cli = host.which(LOADERS[prod])
        ev["loader"] = cli
        if cli:
            return Result.warn(
                f"context {cur} is a {prod} cluster: Tilt never loads nerdctl images into it; only "
                f"`nerdctl-doctor build` (the bundled Tilt extension) does, with {LOADERS[prod]}",
                details=NOT_LOADED.format(p=prod) + ". Use nerdctl-doctor's Tilt extension: it saves each image and "
                        f"loads it with `{LOADERS[prod]}`.", evidence=ev,
                action="use nerdctl-doctor's Tilt extension (`nerdctl-doctor tilt-extension`)")
        return Result.fail(f"context {cur} is a {prod} cluster, and `{LOADERS[prod]}` is not on PATH: images built "
                           "with nerdctl never reach it", details=NOT_LOADED.format(p=prod), evidence=ev,
                           action=f"install the {LOADERS[prod]} CLI so `nerdctl-doctor build` can load images")
    r = _visibility(host, ev, cur, cluster, prod, nerd_path)
    if prod is None and ev.get("product") in (None, "unknown", "k3s", "kubeadm-style"):
        refuse = (f"Tilt does not know cluster {cluster!r}: it stops with `Stop! {cur} might be production.` unless "
                  f"the Tiltfile has allow_k8s_contexts('{cur}')")
        ev["tilt_product"] = "unknown"
        if r.status.value in ("ok", "warn"):
            return Result.warn(refuse + "; " + r.summary, evidence=ev, details=r.details,
                               action=f"add allow_k8s_contexts('{cur}') to your Tiltfile")
        r.details = (r.details + "\n" if r.details else "") + refuse
    return r


def _visibility(host, ev, cur, cluster, prod, nerd_path) -> Result:
    from ..constants import K3S_SOCKET
    from ..frontends import VM_FRONTENDS
    kubelet = None
    owner = next((cls for cls in VM_FRONTENDS.values() if prod in cls.kube_products), None)
    if owner is not None:  # a front-end's own cluster: is nerdctl that front-end's wrapper, and the right VM?
        fe = host.frontend if host.vm and isinstance(host.frontend, owner) else None
        if fe is None:
            label = owner(host).label
            return Result.fail(f"context {cur} is {prod}, whose kubelet uses the containerd inside {label}, but the "
                               f"nerdctl on PATH is not its wrapper: images land elsewhere", evidence=ev,
                               action=f"put {prod}'s nerdctl first on PATH (see the {prod} checks)")
        ok, why = fe.serves_cluster(cluster)
        ev["kubelet_containerd"] = f"{fe.containerd_address} inside {fe.label}"
        if not ok:
            return Result.fail(f"context {cur}: {why}", evidence=ev,
                               action=f"switch to the context of the VM nerdctl builds in, or point nerdctl at {cluster}")
        return _namespace_verdict(host, ev, f"context {cur}: {why}")
    if prod == "microk8s":
        kubelet = MICROK8S_SOCKET
    elif prod in ("docker-desktop", "orbstack", "gke", "eks", "crc", "krucible"):
        return Result.warn(f"context {cur} is {prod}: whether its kubelet sees nerdctl's images depends on its "
                           "runtime; nerdctl-doctor cannot tell", evidence=ev)
    elif host.exists(K3S_SOCKET) or host.exists("/etc/rancher/k3s/k3s.yaml"):
        kubelet, prod = K3S_SOCKET, "k3s"
    else:
        kubelet = kubeadm_endpoint(host)
        prod = "kubeadm-style" if kubelet else None
    ev["product"] = prod or "unknown"
    if not kubelet:
        return Result.warn(f"context {cur} (cluster {cluster}): no kubelet configuration on this host; cannot tell "
                           "whether it uses nerdctl's containerd", evidence=ev)
    ev["kubelet_containerd"] = kubelet
    if host.rootless:
        return Result.fail(f"context {cur} is {prod}, whose kubelet uses the rootful containerd {kubelet}; rootless "
                           "nerdctl builds into your rootless containerd, which no kubelet reads",
                           details=f"Run nerdctl as root against {kubelet} (--mode rootful), e.g. with sudo.",
                           evidence=ev, action=f"build as root against {kubelet} (sudo nerdctl), not rootless")
    if not host.same_file(kubelet, nerd_path):
        return Result.fail(f"context {cur} is {prod}, whose kubelet uses {kubelet}, but nerdctl talks to {nerd_path}: "
                           "images never reach the cluster", evidence=ev, fixes=[use_cluster_fix(host, kubelet)])
    return _namespace_verdict(host, ev, f"context {cur} is {prod}; its kubelet uses {kubelet}, the containerd "
                                        "nerdctl talks to")


def _namespace_verdict(host, ev, ok_text: str) -> Result:
    if host.namespace != "k8s.io":
        return Result.fail(f"the target namespace is {host.namespace!r}, but the kubelet reads only k8s.io",
                           evidence=ev, action="build with --namespace k8s.io")
    return Result.ok(ok_text + ", namespace k8s.io", evidence=ev)


CHECKS = [context]
