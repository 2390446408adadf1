"""The nerdctl fixes (SPEC section 5)."""
from __future__ import annotations

from ..model import EditStep, Fix
from .catalog import FixSpec, make

USE_CLUSTER_CONTAINERD = FixSpec(
    "nerdctl.use-cluster-containerd", "Point nerdctl at the cluster's containerd",
    ("kube.context", "nerdctl.config", "containerd.socket"),
    "the kubelet's containerd is another socket than nerdctl's (k3s)")


SPECS = (USE_CLUSTER_CONTAINERD,)

def use_cluster_containerd(toml_path: str, socket: str, privileged: bool) -> Fix:
    return make(USE_CLUSTER_CONTAINERD,
                [EditStep(toml_path, "nerdctl-toml-set", {"address": socket, "namespace": "k8s.io"},
                          privileged=privileged)],
                f"Point nerdctl at the cluster's containerd ({socket})")
