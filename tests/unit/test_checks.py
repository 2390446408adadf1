"""Fast in-process unit tests: checks and the engine's pure parts against a Host built over a temp tree (no CLI
subprocess). The functional tests (tests/functional) run the installed command."""
from __future__ import annotations

import os

import pytest

from nerdctl_doctor.diagnosis import Diagnosis, next_steps, offered
from nerdctl_doctor.frontends import decide
from nerdctl_doctor.host.core import Host
from nerdctl_doctor.model import AdviceStep, Check, CheckRun, Fix, Result, RunStep, Status
from nerdctl_doctor.registry import load_checks

CHECKS = {c.id: c for c in load_checks()}


def run(check_id: str, host: Host, **deps: Result) -> Result:
    return CHECKS[check_id].func(host, {k.replace("_", "."): v for k, v in deps.items()})


def host_over(tmp_path, files: dict[str, str] | None = None, **kw) -> Host:
    root = tmp_path / "root"
    home = tmp_path / "home"
    for d in (root, home):
        d.mkdir(exist_ok=True)
    for logical, text in (files or {}).items():
        p = root / logical.lstrip("/") if not logical.startswith("~") else home / logical[2:]
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    env = {"PATH": str(tmp_path / "bin"), "HOME": str(home), "USER": "u", **kw.pop("env", {})}
    kw.setdefault("decide", decide)
    return Host(root=str(root), env=env, **kw)


@pytest.mark.parametrize("toml,status", [
    ('namespace = "k8s.io"\n', Status.OK), ('namespace = "default"\n', Status.WARN), ("bogus = 1\n", Status.FAIL),
    ('debug = "yes"\n', Status.FAIL), ("namespace = \n", Status.FAIL), ('NameSpace = "k8s.io"\n', Status.OK)])
def test_nerdctl_config(tmp_path, toml, status):
    h = host_over(tmp_path, {"/etc/nerdctl/nerdctl.toml": toml}, mode="rootful")
    assert run("nerdctl.config", h).status == status


def test_nerdctl_toml_env_overrides_and_empty_means_no_file(tmp_path):
    h = host_over(tmp_path, {"/etc/nerdctl/nerdctl.toml": "bogus = 1\n"}, mode="rootful",
                  env={"NERDCTL_TOML": "", "CONTAINERD_NAMESPACE": "k8s.io"})
    r = run("nerdctl.config", h)
    assert r.status == Status.OK and r.evidence["namespace"] == {"value": "k8s.io", "source": "env"}


@pytest.mark.parametrize("ns,count", [("default", 2), ("k8s.io", 3)])
def test_buildkit_candidates_in_nerdctls_order(tmp_path, ns, count):
    from nerdctl_doctor.facts import buildkit_candidates

    h = host_over(tmp_path, mode="rootful", namespace=ns)
    addrs = [c["address"] for c in buildkit_candidates(h)]
    assert len(addrs) == count and addrs[-1] == "unix:///run/buildkit/buildkitd.sock"
    r = host_over(tmp_path, mode="rootless", namespace=ns, env={"XDG_RUNTIME_DIR": "/run/user/1000"})
    assert buildkit_candidates(r)[0]["address"].startswith("unix:///run/user/1000/buildkit-")


def test_buildkit_host_env_wins_without_fallback(tmp_path):
    from nerdctl_doctor.facts import buildkit_candidates

    h = host_over(tmp_path, mode="rootful", env={"BUILDKIT_HOST": "tcp://10.0.0.1:1234"})
    assert buildkit_candidates(h) == [{"address": "tcp://10.0.0.1:1234", "source": "env"}]


@pytest.mark.parametrize("cluster,product", [
    ("kind-dev", "kind"), ("kind", "kind"), ("k3d-x", "k3d"), ("minikube", "minikube"), ("rancher-desktop", "rancher-desktop"),
    ("colima-work", "colima"), ("arn:aws:eks:eu:1:cluster/x", "eks"), ("x.eksctl.io", "eks"), ("orbstack", "orbstack"),
    ("orbstack-2", None), ("default", None), ("kindest", None)])
def test_tilt_product_from_the_cluster_field(cluster, product):
    from nerdctl_doctor.kubeconfig import product as prod

    assert prod(cluster) == product


def test_buildkitd_toml_judgement(tmp_path):
    h = host_over(tmp_path, {"/etc/buildkit/buildkitd.toml": '[worker.oci]\nenabled = false\n[worker.containerd]\n'
                                                              'enabled = true\nnamespace = "k8s.io"\n'}, mode="rootful")
    assert run("buildkit.config", h).status == Status.OK
    h = host_over(tmp_path, {"/etc/buildkit/buildkitd.toml": "[worker.oci\n"}, mode="rootful")
    r = run("buildkit.config", h)
    assert r.status == Status.FAIL and "line 1" in r.summary


def test_rootless_prereqs_name_each_missing_piece_with_a_debian_hint(tmp_path):
    h = host_over(tmp_path, {"/etc/os-release": 'ID=debian\nVERSION_ID="12"\n'}, mode="rootless",
                  env={"XDG_RUNTIME_DIR": str(tmp_path)})
    r = run("rootless.prereqs", h)
    assert r.status == Status.FAIL
    hints = {i["name"]: i.get("hint", "") for i in r.evidence["items"]}
    assert "apt-get install -y uidmap" in hints["newuidmap"]


def _run(cid: str, status: Status, fixes=(), action="", cause=None) -> CheckRun:
    return CheckRun(Check(cid, cid.split(".")[0], cid, lambda h, d: Result.ok("")),
                    Result(status, cid, fixes=list(fixes), action=action, cause=cause))


def test_next_steps_follow_each_results_own_cause_root_causes_first():
    runs = [_run("nerdctl.installed", Status.FAIL, action="install nerdctl", cause="rd.path"),
            _run("buildkit.host", Status.FAIL, cause="rd.engine"),
            _run("buildkit.worker", Status.ERROR, cause="buildkit.host"),  # a chain: explained by the root
            _run("rd.engine", Status.FAIL, [Fix("rd.use-containerd", "Switch", [RunStep(["rdctl", "set"])])]),
            _run("rd.path", Status.FAIL, action="fix PATH"), _run("tilt.installed", Status.WARN)]
    steps = next_steps(runs)
    assert [s.check for s in steps] == ["rd.engine", "rd.path"]
    assert steps[0].fix == "rd.use-containerd" and steps[0].explains == ["buildkit.host", "buildkit.worker"]
    assert steps[1].explains == ["nerdctl.installed"] and steps[1].fix is None
    assert Diagnosis(None, runs).exit_code == 1  # type: ignore[arg-type]


def test_no_table_decides_what_explains_what():
    """The same ids without causes are each their own step: tilt missing is not nerdctl's problem, a missing
    buildkitd is not a stopped containerd's (SPEC 3)."""
    runs = [_run("nerdctl.installed", Status.FAIL, action="install nerdctl"),
            _run("containerd.socket", Status.FAIL, action="start containerd"),
            _run("buildkit.daemon", Status.FAIL, action="install BuildKit"),
            _run("tilt.installed", Status.FAIL, action="install Tilt")]
    assert [s.check for s in next_steps(runs)] == ["nerdctl.installed", "containerd.socket", "buildkit.daemon",
                                                   "tilt.installed"]
    assert all(s.explains == [] for s in next_steps(runs))
    # a cause that is not failing in this run explains nothing; a cycle of causes still gives one step each root
    runs = [_run("tilt.installed", Status.FAIL, cause="nerdctl.installed"),
            _run("a.x", Status.FAIL, cause="a.y"), _run("a.y", Status.FAIL, cause="a.x")]
    steps = next_steps(runs)
    explained = [s.check for s in steps] + [x for s in steps for x in s.explains]
    assert sorted(explained) == ["a.x", "a.y", "tilt.installed"]


def test_advice_only_fix_is_offered_as_a_text_not_a_command():
    advice = Fix("buildkit.install", "Install BuildKit", [AdviceStep("Get the bundle.\nThen start it.")])
    runs = [_run("buildkit.buildctl", Status.FAIL, [advice])]
    (step,) = next_steps(runs)
    assert step.fix is None and step.text.startswith("Get the bundle.") and "fix buildkit.install" in step.text
    assert [f.id for f, _ in offered(runs)] == ["buildkit.install"]
    assert offered([_run("x.y", Status.OK, [advice])]) == []


def test_evidence_reads_as_aligned_lines():
    from nerdctl_doctor.evidence import evidence_lines

    lines = evidence_lines({"address": {"value": "/run/x.sock", "source": "env"}, "list": [1, {"a": 2}], "n": None})
    assert lines == ["address:", "  value:  /run/x.sock", "  source: env", "list:", "  - 1", "  - a: 2", "n:       (none)"]


def test_is_user_path_is_linear_in_path_depth_not_path_length(tmp_path):
    h = host_over(tmp_path, env={"PATH": ":".join(f"/opt/p{i}" for i in range(20000))})
    assert h.resolve("/opt/p19999/nerdctl") == "/opt/p19999/nerdctl"  # as given: a PATH entry
    assert h.resolve("/etc/x") == str(tmp_path / "root" / "etc" / "x")


def test_processes_come_from_the_roots_proc(tmp_path):
    h = host_over(tmp_path, mode="rootful")
    assert h.processes() is None  # no /proc under the root: unknown, not "none"
    d = tmp_path / "root" / "proc" / "77"
    d.mkdir(parents=True)
    (d / "status").write_text("Name:\tbuildkitd\nState:\tS (sleeping)\nUid:\t0\t0\t0\t0\n")
    (d / "cmdline").write_bytes(b"/usr/bin/buildkitd\0--oci-worker=false\0")
    os.symlink("/", d / "root")
    (p,) = h.processes()
    assert (p.pid, p.name, p.cmdline, p.uid) == (77, "buildkitd", ["/usr/bin/buildkitd", "--oci-worker=false"], 0)


def test_registry_reads_entry_points_and_bounds_a_hanging_import(tmp_path, monkeypatch):
    import sys
    import time

    from nerdctl_doctor import registry

    (tmp_path / "slowplug.py").write_text("import time\ntime.sleep(30)\nCHECKS = []\n")
    di = tmp_path / "slowplug-1.dist-info"
    di.mkdir()
    (di / "entry_points.txt").write_text("[nerdctl_doctor.checks]\nslow = slowplug\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = {ep.name: ep for ep in registry.entry_points()}
    assert eps["slow"].value == "slowplug" and "builtin" in eps
    t0 = time.monotonic()
    checks = registry.load_checks(timeout=0.5)
    assert time.monotonic() - t0 < 5
    broken = next(c for c in checks if c.id == "plugin.slow")
    assert "did not finish importing" in broken.func(None, {}).summary
    sys.modules.pop("slowplug", None)


def test_a_step_that_wants_its_own_consent_is_asked_once_and_declined_becomes_what_is_left(tmp_path):
    from nerdctl_doctor.fixes.apply import apply_fix

    h = host_over(tmp_path, env={"PATH": "/usr/bin:/bin"})
    marker = tmp_path / "restarted"
    q = "Restart now?"
    fix = Fix("x.restart", "Restart", [RunStep(["sh", "-c", f"echo 1 >> {marker}"], confirm=q),
                                       RunStep(["sh", "-c", f"echo 2 >> {marker}"], confirm=q)])
    asked = []
    res = apply_fix(h, fix, confirm=lambda question: asked.append(question) or False)
    assert asked == [q] and not marker.exists() and res.applied
    assert res.remaining == [f"run later: sh -c echo 1 >> {marker}", f"run later: sh -c echo 2 >> {marker}"]
    res = apply_fix(h, fix, confirm=lambda question: True)
    assert marker.read_text() == "1\n2\n"
    res = apply_fix(h, fix)  # --yes, the TUI: consent to the fix covers every step
    assert marker.read_text() == "1\n2\n1\n2\n"


@pytest.mark.parametrize("depth,nested", [(20000, True), (500, False)])
def test_a_deeply_nested_kubeconfig_is_said_to_be_so(tmp_path, depth, nested):
    from nerdctl_doctor.kubeconfig import load_kubeconfig

    h = host_over(tmp_path, {"~/.kube/config": "current-context: " + "[" * depth + "]" * depth + "\n"})
    merged, _read, error = load_kubeconfig(h)
    assert ("nested too deeply" in error) == nested, error
    assert (merged is None) == nested
