"""Kubernetes: will the cluster see images built with nerdctl?"""
from ._util import not_implemented

CHECKS = [
    not_implemented("kube.context", "Kubernetes context sees the built images"),
]
