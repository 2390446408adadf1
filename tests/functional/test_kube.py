"""kube.context over kubeconfigs for rancher-desktop, k3s, k3d, kind, minikube, microk8s and kubeadm-style hosts."""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def kubeconfig(context, cluster=None):
    cluster = cluster or context
    return f"""apiVersion: v1
kind: Config
current-context: {context}
contexts:
- name: {context}
  context:
    cluster: {cluster}
    user: u
clusters:
- name: {cluster}
  cluster:
    server: https://127.0.0.1:6443
users:
- name: u
  user: {{}}
"""


def kube(sb, *args, **kw):
    doc = sb.doctor_json("--only", "kube.context", *args, **kw)
    return sb.check(doc, "kube.context")


def test_no_kubeconfig_skips(sandbox):
    assert kube(sandbox)["status"] == "skip"


@pytest.mark.parametrize("ctx,prod", [("kind-dev", "kind"), ("kind", "kind"), ("k3d-mycluster", "k3d"),
                                      ("minikube", "minikube")])
def test_node_clusters_fail(sandbox, ctx, prod):
    sandbox.write(f"{sandbox.home}/.kube/config", kubeconfig(ctx))
    r = kube(sandbox)
    assert r["status"] == "fail" and r["evidence"]["product"] == prod
    assert f"`{prod}` is not on PATH" in r["summary"] and "never reach it" in r["summary"]
    sandbox.script(prod, "exit 0\n")  # with the cluster's CLI, nerdctl-doctor build can load images
    r = kube(sandbox)
    assert r["status"] == "warn" and "only `nerdctl-doctor build`" in r["summary"]


def test_cluster_name_wins_over_context_name(sandbox):
    sandbox.write(f"{sandbox.home}/.kube/config", kubeconfig("my-work", cluster="kind-dev"))
    r = kube(sandbox)
    assert r["evidence"]["cluster"] == "kind-dev" and r["evidence"]["product"] == "kind"


def test_k3s_wrong_socket_fails_with_fix(sandbox):
    sandbox.write(f"{sandbox.home}/.kube/config", kubeconfig("default"))
    sandbox.dead_socket("/run/k3s/containerd/containerd.sock")
    r = kube(sandbox, "--mode", "rootful")
    assert r["status"] == "fail" and r["evidence"]["product"] == "k3s"
    assert "/run/k3s/containerd/containerd.sock" in r["summary"]
    fix = r["fixes"][0]
    assert fix["id"] == "nerdctl.use-cluster-containerd"
    assert fix["steps"][0]["kind"] == "edit" and fix["steps"][0]["path"] == "/etc/nerdctl/nerdctl.toml"
    # pointed at k3s's containerd: ok
    sandbox.write("/etc/nerdctl/nerdctl.toml", 'address = "unix:///run/k3s/containerd/containerd.sock"\n'
                                               'namespace = "k8s.io"\n')
    r = kube(sandbox, "--mode", "rootful")
    # k3s's context `default` is `unknown` to Tilt: it works only with allow_k8s_contexts('default')
    assert r["status"] == "warn" and "allow_k8s_contexts('default')" in r["summary"]


def test_kubeadm_style_host(sandbox):
    sandbox.write(f"{sandbox.home}/.kube/config", kubeconfig("kubernetes-admin@kubernetes", cluster="kubernetes"))
    sandbox.write("/var/lib/kubelet/kubeadm-flags.env",
                  'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock"\n')
    r = kube(sandbox, "--mode", "rootful")
    assert r["status"] == "warn" and "allow_k8s_contexts('kubernetes-admin@kubernetes')" in r["summary"], r
    assert kube(sandbox, "--mode", "rootful", "--namespace", "default")["status"] == "fail"
    assert kube(sandbox, "--mode", "rootless")["status"] == "fail"


def test_microk8s(sandbox):
    sandbox.write(f"{sandbox.home}/.kube/config", kubeconfig("microk8s"))
    r = kube(sandbox, "--mode", "rootful")
    assert r["status"] == "fail" and "/var/snap/microk8s/common/run/containerd.sock" in r["summary"]


def test_rancher_desktop_needs_its_wrapper(sandbox):
    sandbox.write(f"{sandbox.home}/.kube/config", kubeconfig("rancher-desktop"))
    r = kube(sandbox, "--mode", "rootful")
    assert r["status"] == "fail" and "wrapper" in r["summary"]
    assert kube(sandbox, "--mode", "vm")["status"] == "ok"


def test_kubeconfig_env_list_first_current_context_wins(sandbox):
    sandbox.write(f"{sandbox.home}/a.yaml", "apiVersion: v1\nkind: Config\nclusters: []\n")
    sandbox.write(f"{sandbox.home}/b.yaml", kubeconfig("kind-x"))
    sandbox.write(f"{sandbox.home}/c.yaml", kubeconfig("minikube"))
    r = kube(sandbox, env={"KUBECONFIG": f"{sandbox.home}/missing:{sandbox.home}/a.yaml:{sandbox.home}/b.yaml:{sandbox.home}/c.yaml"})
    assert r["evidence"]["context"] == "kind-x"


@pytest.mark.parametrize("text", ["current-context: [\n", "- just\n- a list\n", "current-context: nope\n"])
def test_malformed_kubeconfig_is_error(sandbox, text):
    sandbox.write(f"{sandbox.home}/.kube/config", text)
    assert kube(sandbox)["status"] == "error"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_kubeconfig_loading_never_raises(text):
    import os
    import tempfile

    from nerdctl_doctor.kubeconfig import load_kubeconfig
    from nerdctl_doctor.host.core import Host

    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "config")
        with open(p, "w") as fh:
            fh.write(text)
        merged, files, err = load_kubeconfig(Host(root="/", env={"KUBECONFIG": p}))
        assert merged is None or isinstance(merged, dict)
