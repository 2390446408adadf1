"""The current Kubernetes context as kubectl merges it, and the cluster product as Tilt names it (UPSTREAM.md
section 7). Shared by kube.context and the build backend's --load; YAML is imported only when a kubeconfig exists."""
from __future__ import annotations

import os
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

from .fileops import HostFileError

if TYPE_CHECKING:
    from typing import Any
    from .host import Host


def kubeconfig_files(host: Host) -> list[str]:
    env = host.getenv("KUBECONFIG")
    if env:
        # each file once (kubectl reads a repeated one once too), and at most 16 of them: bounded work
        return list(dict.fromkeys(p for p in env.split(";" if host.windows else os.pathsep) if p))[:16]
    return [host.join(host.home, ".kube", "config")] if host.home else []


def load_kubeconfig(host: Host) -> tuple[dict | None, list[str], str]:
    """Merged like kubectl: the first file to set a value wins. (merged, files read, error)."""
    merged: dict[str, Any] = {"current-context": None, "contexts": {}, "clusters": {}}
    read: list[str] = []
    for p in kubeconfig_files(host):
        try:
            text = host.read_text(p)
        except HostFileError as exc:
            if exc.reason == "missing":
                continue
            return None, read, str(exc)
        import yaml  # only once there is a kubeconfig to read

        from .fileops import load_yaml

        try:
            data = load_yaml(text)
        except RecursionError:  # the pure-Python loader
            return None, read, f"{p} is nested too deeply to be a kubeconfig"
        except ValueError:  # an integer past Python's digit limit
            return None, read, f"{p} holds a number too large to be a kubeconfig's"
        except yaml.YAMLError as exc:
            if "nesting depth" in str(getattr(exc, "problem", "")):  # libyaml's own limit
                return None, read, f"{p} is nested too deeply to be a kubeconfig"
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
            items = data.get(kind)
            for item in items if isinstance(items, list) else []:  # a field of the wrong type is no entry
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    value = item.get(key)
                    entry = dict(value) if isinstance(value, dict) else {}
                    entry["_file"] = p
                    merged[kind].setdefault(item["name"], entry)
    if not read:
        return None, read, ""
    return merged, read, ""


def product(cluster: str) -> str | None:
    """Tilt's cluster product from the context's cluster field (UPSTREAM.md section 7), prefixes in Tilt's order."""
    for prefix, prod in (("minikube", "minikube"), ("docker-for-desktop-cluster", "docker-desktop"),
                         ("docker-desktop", "docker-desktop"), ("gke", "gke")):
        if cluster.startswith(prefix):
            return prod
    if cluster.startswith("arn:aws:eks:") or cluster.endswith(".eksctl.io"):
        return "eks"
    if cluster == "kind" or cluster.startswith("kind-"):
        return "kind"
    for prefix, prod in (("microk8s", "microk8s"), ("api-crc-testing", "crc"), ("krucible-", "krucible"),
                         ("k3d-", "k3d"), ("rancher-desktop", "rancher-desktop"), ("colima", "colima")):
        if cluster.startswith(prefix):
            return prod
    return "orbstack" if cluster == "orbstack" else None


def product_from_location(host: Host, cluster: dict, context_file: str | None) -> str | None:
    """Tilt's fallback: where the kubeconfig entry came from."""
    home = host.home or "/nonexistent"
    f = context_file or ""
    if f.startswith(os.path.join(home, ".config", "k3d", "")):
        return "k3d"
    ca = cluster.get("certificate-authority")
    if isinstance(ca, str) and ca.startswith(os.path.join(home, ".minikube", "")):
        return "minikube"
    if os.path.basename(f).startswith("kind-config-"):
        return "kind"
    return None


LOADERS = {"kind": "kind", "k3d": "k3d", "minikube": "minikube"}
