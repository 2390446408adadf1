"""The front-end fixes: Rancher Desktop, colima, Lima (SPEC section 5)."""
from __future__ import annotations

from ..model import AdviceStep, EditStep, Fix, RunStep
from ..constants import REG_USER_ENV
from .catalog import FixSpec, make

RD_USE_CONTAINERD = FixSpec("rd.use-containerd", "Switch Rancher Desktop to the containerd engine",
                           ("rd.engine", "rd.running"), "rd.engine fail, engine not locked")
RD_ADD_PATH = FixSpec("rd.add-path", "Put ~/.rd/bin on PATH (Rancher Desktop's managed block)",
                     ("rd.path", "nerdctl.installed"), "nerdctl only in ~/.rd/bin, rd.path not ok")
RD_REMOVE_LEGACY_LINKS = FixSpec("rd.remove-legacy-links", "Remove the stale Rancher Desktop links",
                                ("rd.legacy-links", "nerdctl.installed"), "rd.legacy-links")
RD_WSL_INTEGRATION = FixSpec("rd.wsl-integration", "Turn on Rancher Desktop's WSL integration for this distro",
                             ("rd.wsl-integration", "nerdctl.installed"), "rd.wsl-integration fail for integration off")
RD_BUILDKIT_NAMESPACE = FixSpec(
    "rd.buildkit-namespace", "Make Rancher Desktop's buildkitd build straight into the namespace",
    ("buildkit.worker", "buildkit.daemon"), "Rancher Desktop's worker namespace is not the target namespace")
COLIMA_CONFIGURE_CONTAINERD_WORKER = FixSpec(
    "colima.configure-containerd-worker", "Configure colima's buildkitd with the containerd worker for the namespace",
    ("buildkit.worker",), "colima, worker not sharable for the target namespace")
COLIMA_USE_CONTAINERD = FixSpec("colima.use-containerd", "Start colima with the containerd runtime",
                               ("colima.running",), "colima.running fail (docker runtime or stopped)")
LIMA_LINK_NERDCTL = FixSpec("lima.link-nerdctl", "Link nerdctl to nerdctl.lima where Tilt finds it",
                           ("lima.nerdctl", "nerdctl.installed"), "lima.nerdctl fail for an alias")


SPECS = (RD_USE_CONTAINERD, RD_ADD_PATH, RD_WSL_INTEGRATION, RD_BUILDKIT_NAMESPACE, RD_REMOVE_LEGACY_LINKS, COLIMA_CONFIGURE_CONTAINERD_WORKER, COLIMA_USE_CONTAINERD, LIMA_LINK_NERDCTL,)

def rd_use_containerd(rdctl: str, running: bool) -> Fix:
    verb = "set" if running else "start"
    return make(RD_USE_CONTAINERD, [RunStep([rdctl, verb, "--container-engine.name=containerd"])])


def rd_add_path_rdctl(rdctl: str) -> Fix:
    return make(RD_ADD_PATH, [RunStep([rdctl, "set", "--application.path-management-strategy=rcfiles"])])


def rd_add_path_rcfile(rc_file: str, shell: str, directory: str) -> Fix:
    return make(RD_ADD_PATH, [EditStep(rc_file, "rd-path-block", {"shell": shell, "dir": directory})])


def rd_add_path_windows(directory: str, restart: str) -> Fix:
    """Windows: Rancher Desktop's win32\\bin appended to the user's Path in HKCU\\Environment (type and every
    other entry kept, journaled, undoable; never `setx`), then what must be restarted to see it."""
    return make(RD_ADD_PATH, [EditStep(REG_USER_ENV + "\\Path", "windows-path-append", {"dir": directory}),
                              AdviceStep(f"Restart {restart}: a running program keeps the Path it was started with.")],
                "Add Rancher Desktop's win32\\bin to your Path (HKCU\\Environment)")


def rd_wsl_integration(distro: str) -> Fix:
    return make(RD_WSL_INTEGRATION, [AdviceStep(
        f"Rancher Desktop > Preferences > WSL > Integrations: check `{distro}`, then Apply (rdctl has no setting "
        "for a distro's integration). Rancher Desktop then links /mnt/wsl/rancher-desktop/bin/nerdctl into this "
        "distro; open a new shell in it.")])


GC_NOTE = ("BuildKit's garbage collection (Rancher Desktop runs buildkitd with --containerd-worker-gc) then works in "
           "{ns} too: it removes only BuildKit's own build cache, by deleting its own leases; it never deletes image "
           "records, so images the kubelet pulled and images your builds exported keep their content. After pruning it "
           "asks containerd to collect what nothing references any more (no image, lease or container). One thing "
           "does change: a build tagged with the name of an image already in {ns} replaces that image record.")


def rd_buildkit_namespace(path: str, namespace: str, rdctl: str | None, windows: bool) -> Fix:
    """A provisioning script that writes /etc/buildkit/buildkitd.toml at every boot of Rancher Desktop's VM (its
    /etc does not survive an upgrade of the VM image, and /etc/conf.d/buildkitd is rewritten at every start), then
    Rancher Desktop's restart, asked for on its own."""
    editor = "rd-provision-start" if windows else "rd-override-provision"
    steps: list[EditStep | RunStep | AdviceStep] = [
        EditStep(path, editor, {"namespace": namespace}),
        AdviceStep(GC_NOTE.format(ns=namespace))]
    restart = "Restart Rancher Desktop now, so that its buildkitd starts with the new namespace?"
    if rdctl:
        steps += [RunStep([rdctl, "shutdown"], confirm=restart), RunStep([rdctl, "start"], confirm=restart)]
    else:
        steps.append(AdviceStep("Restart Rancher Desktop (File > Quit, then start it): the change takes effect at its "
                                "next start."))
    return make(RD_BUILDKIT_NAMESPACE, steps, f"Make Rancher Desktop's buildkitd build straight into {namespace}")


def rd_remove_legacy_links(system_links: list[str], user_links: list[str]) -> Fix:
    # `find P -maxdepth 0 -type l -delete` removes P only if it is still a link when the step runs: a link
    # replaced by a regular file while the user read the prompt is left alone.
    steps = []
    if system_links:
        steps.append(RunStep(["find", *system_links, "-maxdepth", "0", "-type", "l", "-delete"], privileged=True))
    if user_links:
        steps.append(RunStep(["find", *user_links, "-maxdepth", "0", "-type", "l", "-delete"]))
    return make(RD_REMOVE_LEGACY_LINKS, steps)


def colima_configure_containerd_worker(toml_path: str, namespace: str, colima: str, profile: str,
                                       too_old: str | None = None) -> Fix:
    if too_old:  # colima before 0.10.2 overwrites the file on every start: an edit would not last
        return make(COLIMA_CONFIGURE_CONTAINERD_WORKER, [AdviceStep(
            f"colima {too_old} rewrites {toml_path} on every start, so an edit would not last: upgrade colima to "
            f"0.10.2 or later (`brew upgrade colima`), then run `nerdctl-doctor fix "
            f"{COLIMA_CONFIGURE_CONTAINERD_WORKER.id}` again.")])
    return make(COLIMA_CONFIGURE_CONTAINERD_WORKER,
                [EditStep(toml_path, "buildkitd-containerd-worker", {"namespace": namespace, "address": None}),
                 RunStep([colima, "restart", profile])])


def colima_use_containerd(text: str) -> Fix:
    return make(COLIMA_USE_CONTAINERD, [AdviceStep(text)])


def lima_link_nerdctl(link: str, target: str, privileged: bool) -> Fix:
    return make(LIMA_LINK_NERDCTL, [RunStep(["ln", "-s", "--", target, link], privileged=privileged)])
