"""Loading a built image into kind, k3d or minikube, which Tilt never does for custom_build images: `nerdctl save`
to a temporary archive, then the cluster's own loader, output streamed (SPEC section 6)."""
from __future__ import annotations

import os
import sys
TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from ..host import Host


def target(host: "Host") -> tuple[str, str, str] | None:
    """(product, cluster name, loader path) when the current context is kind, k3d or minikube with its CLI."""
    from ..kubeconfig import LOADERS, load_kubeconfig, product, product_from_location

    merged, _files, error = load_kubeconfig(host)
    if error or not merged or not merged.get("current-context"):
        return None
    cur = merged["current-context"]
    ctx = merged["contexts"].get(cur) or {}
    cluster = ctx["cluster"] if isinstance(ctx.get("cluster"), str) else ""
    prod = product(cluster) or product_from_location(host, merged["clusters"].get(cluster) or {}, ctx.get("_file"))
    if prod not in LOADERS:
        return None
    cli = host.which(LOADERS[prod])
    if cli is None:
        return None
    if prod == "kind":
        name = cluster[len("kind-"):] if cluster.startswith("kind-") else "kind"
    elif prod == "k3d":
        name = cluster[len("k3d-"):]
    else:
        name = cluster or "minikube"
    return prod, name, cli


def load(host: "Host", nerdctl_prefix: list[str], ref: str) -> tuple[bool, str]:
    t = target(host)
    if t is None:
        return True, ""
    prod, name, cli = t
    import tempfile

    with tempfile.TemporaryDirectory(prefix="nerdctl-doctor-") as d:
        archive = os.path.join(d, "image.tar")
        save = host.run_streaming([*nerdctl_prefix, "save", "-o", archive, ref], _echo, timeout=1800)
        if not save.ok:
            return False, f"`nerdctl save` failed: {save.describe()}"
        argv = {"kind": [cli, "load", "image-archive", archive, "--name", name],
                "k3d": [cli, "image", "import", archive, "-c", name],
                "minikube": [cli, "image", "load", archive, "-p", name]}[prod]
        out = host.run_streaming(argv, _echo, timeout=1800)
        if not out.ok:
            return False, f"loading into {prod} cluster {name} failed: {out.describe()}"
    return True, f"loaded {ref} into {prod} cluster {name}"


def _echo(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
