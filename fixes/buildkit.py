"""The BuildKit fixes (SPEC section 5)."""
from __future__ import annotations

from ..constants import SETUPTOOL
from ..model import AdviceStep, EditStep, Fix, RunStep
from .catalog import FixSpec, make

INSTALL = FixSpec("buildkit.install", "Install BuildKit (buildctl and buildkitd)",
                 ("buildkit.buildctl", "buildkit.host", "buildkit.worker"), "no BuildKit at all")
INSTALL_CONTAINERD_WORKER = FixSpec(
    "buildkit.install-containerd-worker", "Install a rootless buildkitd with the containerd worker for the namespace",
    ("buildkit.host", "buildkit.worker", "buildkit.daemon"),
    "rootless, no sharable containerd worker for the target namespace")
CONFIGURE_CONTAINERD_WORKER = FixSpec(
    "buildkit.configure-containerd-worker", "Configure buildkitd's containerd worker for the namespace",
    ("buildkit.config", "buildkit.host", "buildkit.worker", "buildkit.daemon"),
    "rootful, OCI worker or a containerd worker of another namespace/address")
ENABLE_SERVICE = FixSpec("buildkit.enable-service", "Start buildkitd and enable it at boot",
                        ("buildkit.host", "buildkit.worker", "buildkit.daemon"),
                        "rootful, buildkitd installed but not running, a buildkit unit exists")



SPECS = (INSTALL, INSTALL_CONTAINERD_WORKER, CONFIGURE_CONTAINERD_WORKER, ENABLE_SERVICE,)

def install(text: str) -> Fix:
    return make(INSTALL, [AdviceStep(text)])


def install_containerd_worker(env: dict[str, str], uninstall_first: bool) -> Fix:
    steps = []
    if uninstall_first:
        steps.append(RunStep([SETUPTOOL, "uninstall-buildkit-containerd"], env=env))
    steps.append(RunStep([SETUPTOOL, "install-buildkit-containerd"], env=env))
    return make(INSTALL_CONTAINERD_WORKER, steps,
                f"Install a rootless buildkitd with the containerd worker for namespace {env['CONTAINERD_NAMESPACE']}")


def configure_containerd_worker(path: str, namespace: str, address: str | None, dropin: str | None,
                                flags_to_drop: list[str], exec_line: str = "", unit: str = "buildkit") -> Fix:
    """Edit buildkitd.toml; when the running daemon's flags override it, also a systemd drop-in that restarts
    buildkitd without them (or advice when no unit is known)."""
    steps: list[EditStep | RunStep | AdviceStep] = [
        EditStep(path, "buildkitd-containerd-worker", {"namespace": namespace, "address": address},
                 privileged=True)]
    if flags_to_drop:
        if dropin:
            steps.append(EditStep(dropin, "systemd-exec-dropin", {"exec": exec_line}, privileged=True))
            steps.append(RunStep(["systemctl", "daemon-reload"], privileged=True))
        else:
            steps.append(AdviceStep("The running buildkitd's flags override buildkitd.toml: remove "
                                    + " ".join(flags_to_drop) + " from wherever it is started."))
    steps.append(RunStep(["systemctl", "restart", unit], privileged=True))
    return make(CONFIGURE_CONTAINERD_WORKER, steps, f"Configure buildkitd's containerd worker for namespace {namespace}")


def enable_service(unit: str = "buildkit") -> Fix:
    return make(ENABLE_SERVICE, [RunStep(["systemctl", "enable", "--now", unit], privileged=True)])
