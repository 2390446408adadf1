"""containerd: the socket nerdctl will use and the target namespace in it."""
from ._util import not_implemented

CHECKS = [
    not_implemented("containerd.socket", "containerd socket nerdctl will use"),
    not_implemented("containerd.namespace", "Target namespace in containerd", ("containerd.socket",)),
]
