"""Every constant more than one module needs, defined once (a leaf: it imports nothing of the package)."""
from __future__ import annotations

VERSION = "0.1.0"
SCHEMA = "nerdctl-doctor/1"

# SPEC section 1
DEFAULT_NAMESPACE = "k8s.io"  # the namespace Kubernetes reads
MODES = ("auto", "rootful", "rootless", "vm")
FRONTENDS = ("auto", "rancher-desktop", "colima", "lima")
PLATFORMS = ("linux", "darwin", "windows")
DEFAULT_TIMEOUT = 5.0

# containerd's namespace rule (identifiers.Validate): labels of [A-Za-z0-9] joined by . _ -, at most 76 characters
NAMESPACE_PATTERN = r"^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$"
NAMESPACE_MAX = 76

# upstream paths and names (UPSTREAM.md)
DEFAULT_CONTAINERD = "/run/containerd/containerd.sock"
K3S_SOCKET = "/run/k3s/containerd/containerd.sock"  # k3s, and Rancher Desktop inside its VM
SETUPTOOL = "containerd-rootless-setuptool.sh"
NERDCTL_DEFAULTS = {"address": DEFAULT_CONTAINERD, "namespace": "default", "snapshotter": "overlayfs"}

# bounds (SPEC section 2: every read bounded, a tool's output capped)
READ_LIMIT = 1 << 20  # configuration files larger than this are not configuration
OUTPUT_LIMIT = 1 << 20  # what is kept of a tool's stdout (and of its stderr); the rest is read and dropped

# how a status is shown: (unicode symbol, ASCII symbol); the text report, the TUI and the farewell share them
STATUS_SYMBOLS = {"ok": ("✓", "+"), "warn": ("!", "!"), "fail": ("✗", "x"), "skip": ("-", "-"), "error": ("?", "?")}


def valid_namespace(ns: str) -> bool:
    import re

    return len(ns) <= NAMESPACE_MAX and re.match(NAMESPACE_PATTERN, ns) is not None

# the Windows registry (UPSTREAM.md section 6, Windows): where Path lives, for the user and for the machine
REG_USER_ENV = "HKCU\\Environment"
REG_MACHINE_ENV = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment"
REG_HIVES = ("HKCU\\", "HKLM\\", "HKEY_CURRENT_USER\\", "HKEY_LOCAL_MACHINE\\")


def registry_value_path(logical: str) -> tuple[str, str] | None:
    """`HKCU\\Environment\\Path` -> (key, value name): an edit step whose target is a registry value."""
    if not logical.upper().startswith(REG_HIVES) or "\\" not in logical:
        return None
    key, _, name = logical.rpartition("\\")
    return key, name
