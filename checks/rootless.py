"""Rootless containerd prerequisites."""
from ._util import not_implemented

CHECKS = [
    not_implemented("rootless.prereqs", "Rootless containerd prerequisites"),
]
