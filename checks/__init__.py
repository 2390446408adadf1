"""The built-in checks, one module per area, in the order of SPEC section 4. Registered through the
``nerdctl_doctor.checks`` entry point ``builtin``, exactly like a plugin."""
from . import buildkit, colima, containerd, kube, lima, nerdctl, rd, rootless, tilt

CHECKS = [
    *nerdctl.CHECKS,
    *containerd.CHECKS,
    *rootless.CHECKS,
    *buildkit.CHECKS,
    *rd.CHECKS,
    *kube.CHECKS,
    *tilt.CHECKS,
    *colima.CHECKS,
    *lima.CHECKS,
]
