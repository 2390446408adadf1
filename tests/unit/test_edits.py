"""Editors: keep comments, order and unrelated keys; idempotent; refuse malformed input."""
import tomllib

import pytest

from harness import BUILDKITD
from hypothesis import given, settings
from hypothesis import strategies as st

from nerdctl_doctor.fixes.edits import EDITORS, RD_END, RD_START, EditError



def test_containerd_worker_fix_changes_only_worker_keys():
    ed = EDITORS["buildkitd-containerd-worker"]
    out = ed(BUILDKITD, {"namespace": "k8s.io", "address": None})
    data = tomllib.loads(out)
    assert data["worker"]["oci"]["enabled"] is False
    assert data["worker"]["containerd"] == {"enabled": True, "namespace": "k8s.io"}
    # everything else survives, comments included
    assert "# buildkitd.toml for the team -- keep the mirror!" in out
    assert "# our pull-through cache" in out
    assert data["registry"]["docker.io"]["mirrors"] == ["mirror.example.com"]
    assert data["worker"]["oci"]["gckeepstorage"] == 9000 and data["worker"]["oci"]["gc"] is True
    assert data["worker"]["oci"]["gcpolicy"][0]["keepBytes"] == 512000000
    assert data["debug"] is True
    old_lines = [ln for ln in BUILDKITD.splitlines() if "enabled" not in ln]
    new_lines = out.splitlines()
    assert all(ln in new_lines for ln in old_lines)
    assert ed(out, {"namespace": "k8s.io", "address": None}) == out  # idempotent


def test_containerd_worker_fix_with_address_and_from_nothing():
    ed = EDITORS["buildkitd-containerd-worker"]
    out = ed(None, {"namespace": "k8s.io", "address": "/run/k3s/containerd/containerd.sock"})
    data = tomllib.loads(out)
    assert data["worker"] == {"oci": {"enabled": False}, "containerd": {
        "enabled": True, "namespace": "k8s.io", "address": "/run/k3s/containerd/containerd.sock"}}
    assert ed(out, {"namespace": "k8s.io", "address": "/run/k3s/containerd/containerd.sock"}) == out


def test_malformed_toml_is_refused():
    with pytest.raises(EditError):
        EDITORS["buildkitd-containerd-worker"]("[worker.oci\n", {"namespace": "k8s.io"})
    with pytest.raises(EditError):
        EDITORS["nerdctl-toml-set"]("address = \n", {"address": "/x", "namespace": "k8s.io"})


def test_nerdctl_toml_set_keeps_the_rest():
    src = '# mine\ndebug = true\nnamespace = "default"  # old\ninsecure_registry = true\n'
    out = EDITORS["nerdctl-toml-set"](src, {"address": "/run/k3s/containerd/containerd.sock", "namespace": "k8s.io"})
    d = tomllib.loads(out)
    assert d == {"debug": True, "namespace": "k8s.io", "insecure_registry": True,
                 "address": "/run/k3s/containerd/containerd.sock"}
    assert out.startswith("# mine\n")
    assert EDITORS["nerdctl-toml-set"](out, {"address": "/run/k3s/containerd/containerd.sock",
                                              "namespace": "k8s.io"}) == out


@pytest.mark.parametrize("shell,line", [
    ("bash", 'export PATH="/home/u/.rd/bin:$PATH"'),
    ("zsh", 'export PATH="/home/u/.rd/bin:$PATH"'),
    ("fish", 'set --export --prepend PATH "/home/u/.rd/bin"'),
    ("csh", 'setenv PATH "/home/u/.rd/bin"\\:"$PATH"'),
])
def test_rd_path_block(shell, line):
    ed = EDITORS["rd-path-block"]
    src = "alias ll='ls -l'\n# my prompt\nPS1='$ '"
    out = ed(src, {"shell": shell, "dir": "/home/u/.rd/bin"})
    assert out.startswith(src + "\n")
    assert out.endswith(f"{RD_START}\n{line}\n{RD_END}\n")
    assert ed(out, {"shell": shell, "dir": "/home/u/.rd/bin"}) == out
    assert ed(None, {"shell": shell, "dir": "/home/u/.rd/bin"}) == f"{RD_START}\n{line}\n{RD_END}\n"


toml_keys = st.text(alphabet="abcdefgh_", min_size=1, max_size=6)
toml_scalars = st.one_of(st.booleans(), st.integers(-1000, 1000), st.text(alphabet="abc xyz#", max_size=8))


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(toml_keys, toml_scalars, max_size=4),
       st.dictionaries(toml_keys, toml_scalars, max_size=4),
       st.sampled_from(["k8s.io", "default", "buildkit"]))
def test_worker_editor_property(top, oci_extra, ns):
    import tomlkit

    doc = tomlkit.document()
    for k, v in top.items():
        if k != "worker":
            doc[k] = v
    w = tomlkit.table(is_super_table=True)
    o = tomlkit.table()
    for k, v in oci_extra.items():
        o[k] = v
    w["oci"] = o
    doc["worker"] = w
    src = "# comment kept\n" + tomlkit.dumps(doc)
    ed = EDITORS["buildkitd-containerd-worker"]
    out = ed(src, {"namespace": ns, "address": None})
    assert ed(out, {"namespace": ns, "address": None}) == out
    d = tomllib.loads(out)
    assert d["worker"]["oci"]["enabled"] is False
    assert d["worker"]["containerd"]["namespace"] == ns
    for k, v in top.items():
        if k != "worker":
            assert d[k] == v
    for k, v in oci_extra.items():
        if k != "enabled":
            assert d["worker"]["oci"][k] == v
    assert "# comment kept" in out


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200), st.sampled_from(["bash", "zsh", "fish", "csh"]))
def test_rd_block_property(text, shell):
    ed = EDITORS["rd-path-block"]
    out = ed(text, {"shell": shell, "dir": "/h/.rd/bin"})
    assert ed(out, {"shell": shell, "dir": "/h/.rd/bin"}) == out
    if RD_START not in text:
        assert out.startswith(text)
