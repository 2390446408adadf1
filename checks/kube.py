"""Kubernetes: will the current context's kubelet see an image built into nerdctl's containerd and namespace?
(UPSTREAM.md section 7)."""
from __future__ import annotations

import os
from typing import Any

from ..facts import K3S_SOCKET, containerd_target, nerdctl_toml_path
from ..host import HostFileError
from ..model import EditStep, Fix, Result, check

MICROK8S_SOCKET = "/var/snap/microk8s/common/run/containerd.sock"
KUBEADM_SOCKET = "/run/containerd/containerd.sock"
NOT_LOADED = ("Tilt does not load skips_local_docker images into {p} nodes: their kubelet's containerd runs inside "
              "the node container or VM, never the host's")


def kubeconfig_files(host) -> list[str]:
    env = host.getenv("KUBECONFIG")
    if env:
        return [p for p in env.split(os.pathsep) if p]
    return [os.path.join(host.home, ".kube", "config")] if host.home else []


def load_kubeconfig(host) -> tuple[dict | None, list[str], str]:
    """Merged like kubectl: the first file to set a value wins. (merged, files read, error)."""
    import yaml

    merged: dict[str, Any] = {"current-context": None, "contexts": {}, "clusters": {}}
    read = []
    for p in kubeconfig_files(host):
        try:
            text = host.read_text(p)
        except HostFileError as exc:
            if exc.reason == "missing":
                continue
            return None, read, str(exc)
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            return None, read, f"{p} is malformed YAML{where}"
        read.append(p)
        if data is None:
            continue
        if not isinstance(data, dict):
            return None, read, f"{p} is not a kubeconfig (not a mapping)"
        if not merged["current-context"] and isinstance(data.get("current-context"), str):
            merged["current-context"] = data["current-context"]
        for kind, key in (("contexts", "context"), ("clusters", "cluster")):
            for item in data.get(kind) or []:
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    merged[kind].setdefault(item["name"], item.get(key) if isinstance(item.get(key), dict) else {})
    if not read:
        return None, read, ""
    return merged, read, ""


def product(name: str) -> str | None:
    """Tilt's cluster product from the cluster name (UPSTREAM.md section 7)."""
    if name.startswith("rancher-desktop"):
        return "rancher-desktop"
    if name.startswith("k3d-"):
        return "k3d"
    if name.startswith("kind-") or name == "kind":
        return "kind"
    for p in ("minikube", "docker-desktop", "colima", "microk8s"):
        if name.startswith(p):
            return p
    if name == "orbstack":
        return "orbstack"
    return None


def kubeadm_endpoint(host) -> str | None:
    """The kubelet's runtime endpoint on a kubeadm-style host, when one is configured here."""
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
        import yaml

        data = yaml.safe_load(host.read_text("/var/lib/kubelet/config.yaml")) or {}
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
    path, _ = nerdctl_toml_path(host)
    return Fix("nerdctl.use-cluster-containerd", f"Point nerdctl at the cluster's containerd ({socket})",
               [EditStep(path or "/etc/nerdctl/nerdctl.toml", "nerdctl-toml-set",
                         {"address": socket, "namespace": "k8s.io"}, privileged=not host.rootless)],
               rechecks=("kube.context", "nerdctl.config", "containerd.socket"))


@check("kube.context", title="Kubernetes context sees the built images")
def context(host, deps) -> Result:
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
    cluster = ctx.get("cluster") if isinstance(ctx.get("cluster"), str) and ctx.get("cluster") else cur
    prod = product(cluster) or product(cur)
    ev.update(context=cur, cluster=cluster, product=prod, target_namespace=host.namespace)
    nerd = containerd_target(host).address["value"]
    nerd_path = nerd[len("unix://"):] if nerd.startswith("unix://") else nerd
    ev["nerdctl_containerd"] = nerd_path
    if prod in ("kind", "k3d", "minikube"):
        return Result.fail(
            f"context {cur} is a {prod} cluster: " + NOT_LOADED.format(p=prod),
            details=f"Images built with nerdctl stay in this host's containerd. For {prod}, use Tilt's docker_build "
                    "(Tilt loads images into the cluster) or push to a registry the cluster pulls from.",
            evidence=ev)
    kubelet = None
    if prod == "rancher-desktop":
        ev["kubelet_containerd"] = f"{K3S_SOCKET} inside the Rancher Desktop VM"
        if host.vm:
            return _namespace_verdict(host, ev, f"context {cur} is Rancher Desktop and nerdctl is its wrapper: "
                                                "images land in the VM's containerd")
        return Result.fail(f"context {cur} is Rancher Desktop, whose kubelet uses the containerd inside its VM, but "
                           "the nerdctl on PATH is not Rancher Desktop's wrapper: images land elsewhere",
                           details="Put ~/.rd/bin first on PATH (see rd.path).", evidence=ev)
    if prod == "microk8s":
        kubelet = MICROK8S_SOCKET
    elif prod in ("docker-desktop", "colima", "orbstack"):
        return Result.warn(f"context {cur} is {prod}: whether its kubelet sees nerdctl's images depends on its "
                           "runtime; nerdctl-doctor cannot tell", evidence=ev)
    elif host.exists(K3S_SOCKET) or host.exists("/etc/rancher/k3s/k3s.yaml"):
        kubelet, prod = K3S_SOCKET, "k3s"
    else:
        kubelet = kubeadm_endpoint(host)
        prod = "kubeadm-style" if kubelet else None
    ev["product"] = prod
    if not kubelet:
        return Result.warn(f"context {cur} (cluster {cluster}): no kubelet configuration on this host; cannot tell "
                           "whether it uses nerdctl's containerd", evidence=ev)
    ev["kubelet_containerd"] = kubelet
    if host.rootless:
        return Result.fail(f"context {cur} is {prod}, whose kubelet uses the rootful containerd {kubelet}; rootless "
                           "nerdctl builds into your rootless containerd, which no kubelet reads",
                           details=f"Run nerdctl as root against {kubelet} (--mode rootful), e.g. with sudo.",
                           evidence=ev)
    if os.path.normpath(kubelet) != os.path.normpath(nerd_path):
        return Result.fail(f"context {cur} is {prod}, whose kubelet uses {kubelet}, but nerdctl talks to {nerd_path}: "
                           "images never reach the cluster", evidence=ev, fixes=[use_cluster_fix(host, kubelet)])
    return _namespace_verdict(host, ev, f"context {cur} is {prod}; its kubelet uses {kubelet}, the containerd "
                                        "nerdctl talks to")


def _namespace_verdict(host, ev, ok_text: str) -> Result:
    if host.namespace != "k8s.io":
        return Result.fail(f"the target namespace is {host.namespace!r}, but the kubelet reads only k8s.io",
                           evidence=ev)
    return Result.ok(ok_text + ", namespace k8s.io", evidence=ev)


CHECKS = [context]
