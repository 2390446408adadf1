"""Rancher Desktop checks over stand-in rdctl and Rancher Desktop trees."""
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nerdctl_doctor.checks.rd import MARK_END, MARK_START, engine_of

RES = "/opt/rancher-desktop/resources/resources/linux/bin"


def rd(sb, *args, **kw):
    doc = sb.doctor_json("--only", "rd", *args, **kw)
    return {c["id"]: c for c in doc["checks"]}


def install_rd(sb, engine="containerd", running=True, old_format=False):
    rdbin = sb.home / ".rd" / "bin"
    rdbin.mkdir(parents=True, exist_ok=True)
    settings_obj = ({"kubernetes": {"containerEngine": engine}} if old_format
                    else {"containerEngine": {"name": engine}, "application": {"pathManagementStrategy": "rcfiles"}})
    sb.write(f"{sb.home}/.config/rancher-desktop/settings.json", json.dumps(settings_obj))
    body = ('case "$1" in list-settings) echo \'{"containerEngine":{"name":"%s"}}\'; exit 0;; '
            'set|start|shell) echo "$@" >> %s/rdctl.calls; exit 0;; esac; exit 1\n' % (engine, sb.base))
    if not running:
        body = ('echo "Error: failed to get backend state: Get \\"http://127.0.0.1:6107/v1/settings\\": dial tcp '
                '127.0.0.1:6107: connect: connection refused" >&2; exit 1\n')
    sb.script("rdctl", body, where=rdbin)
    sb.script("nerdctl", 'echo "nerdctl version 1.7.6"\n', where=rdbin)
    return rdbin


def test_not_installed_everything_skips(sandbox):
    r = rd(sandbox)
    assert {c["status"] for c in r.values()} == {"skip"}
    assert "not installed" in r["rd.installed"]["summary"]


def test_installed_running_containerd_on_path(sandbox):
    rdbin = install_rd(sandbox)
    sandbox.env["PATH"] = f"{rdbin}:{sandbox.bin}"
    r = rd(sandbox)
    assert r["rd.installed"]["status"] == "ok"
    assert r["rd.running"]["status"] == "ok"
    assert r["rd.engine"]["status"] == "ok"
    assert r["rd.path"]["status"] == "ok"
    assert r["rd.legacy-links"]["status"] == "ok"


def test_detected_by_linux_resources_and_macos_settings(sandbox):
    sandbox.script("rdctl", "exit 0\n", where=RES)
    assert rd(sandbox)["rd.installed"]["status"] == "ok"
    os.unlink(sandbox.path(RES) / "rdctl")
    os.rmdir(sandbox.path(RES))
    sandbox.write(f"{sandbox.home}/Library/Preferences/rancher-desktop/settings.json",
                  '{"containerEngine": {"name": "moby"}}')
    assert rd(sandbox)["rd.installed"]["status"] == "skip"  # macOS settings on a Linux system mean nothing
    sandbox.env["NERDCTL_DOCTOR_PLATFORM"] = "darwin"
    r = rd(sandbox)
    assert r["rd.installed"]["status"] == "ok"
    assert r["rd.engine"]["status"] == "fail"


@pytest.mark.parametrize("running,verb", [(True, "set"), (False, "start")])
def test_moby_engine_fails_with_fix(sandbox, running, verb):
    rdbin = install_rd(sandbox, engine="moby", running=running)
    sandbox.env["PATH"] = f"{rdbin}:{sandbox.bin}"
    r = rd(sandbox)
    e = r["rd.engine"]
    assert e["status"] == "fail" and "moby" in e["summary"]
    assert e["fixes"][0]["id"] == "rd.use-containerd"
    # rdctl by absolute path: it is exactly what is missing from PATH when ~/.rd/bin is
    assert e["fixes"][0]["steps"][0]["argv"] == [f"{rdbin}/rdctl", verb, "--container-engine.name=containerd"]
    assert r["rd.running"]["status"] == ("ok" if running else "fail")  # vm mode: the wrapper is on PATH


def test_old_format_and_absent_key_default_moby(sandbox):
    install_rd(sandbox, old_format=True)
    assert rd(sandbox)["rd.engine"]["status"] == "ok"
    sandbox.write(f"{sandbox.home}/.config/rancher-desktop/settings.json", '{"kubernetes": {"enabled": true}}')
    e = rd(sandbox)["rd.engine"]
    assert e["status"] == "fail" and "moby" in e["summary"] and "default" in e["summary"]


@pytest.mark.parametrize("text", ['{"containerEngine": ', "[1, 2]", "\x00\x01"])
def test_malformed_settings_is_error(sandbox, text):
    install_rd(sandbox)
    sandbox.write(f"{sandbox.home}/.config/rancher-desktop/settings.json", text)
    e = rd(sandbox)["rd.engine"]
    assert e["status"] == "error" and "settings.json" in e["summary"]


def test_path_only_in_managed_block_warns(sandbox):
    install_rd(sandbox)
    sandbox.write(f"{sandbox.home}/.bashrc", f'alias ll="ls -l"\n{MARK_START}\nexport PATH="{sandbox.home}/.rd/bin:$PATH"\n{MARK_END}\n')
    p = rd(sandbox)["rd.path"]
    assert p["status"] == "warn" and "launcher or IDE" in p["summary"]


@pytest.mark.parametrize("shell,rc", [("fish", ".config/fish/config.fish"), ("zsh", ".zshrc"), ("csh", ".cshrc")])
def test_path_managed_block_in_other_shells(sandbox, shell, rc):
    install_rd(sandbox)
    line = {"fish": f'set --export --prepend PATH "{sandbox.home}/.rd/bin"',
            "zsh": f'export PATH="{sandbox.home}/.rd/bin:$PATH"',
            "csh": f'setenv PATH "{sandbox.home}/.rd/bin"\\:"$PATH"'}[shell]
    sandbox.write(f"{sandbox.home}/{rc}", f"{MARK_START}\n{line}\n{MARK_END}\n")
    assert rd(sandbox)["rd.path"]["status"] == "warn"


def test_path_missing_fails_with_rcfile_edit_when_not_running(sandbox):
    install_rd(sandbox, running=False)
    p = rd(sandbox, env={"SHELL": "/usr/bin/zsh"})["rd.path"]
    assert p["status"] == "fail" and "exit status 127" in p["summary"]
    step = p["fixes"][0]["steps"][0]
    assert p["fixes"][0]["id"] == "rd.add-path"
    assert step["kind"] == "edit" and step["path"] == f"{sandbox.home}/.zshrc"


def test_path_missing_fails_with_rdctl_when_running(sandbox):
    install_rd(sandbox)
    p = rd(sandbox)["rd.path"]
    assert p["fixes"][0]["steps"][0]["argv"][1:] == ["set", "--application.path-management-strategy=rcfiles"]
    assert p["fixes"][0]["steps"][0]["argv"][0].endswith("/.rd/bin/rdctl")


def test_legacy_links(sandbox):
    install_rd(sandbox)
    sandbox.symlink("/usr/local/bin/nerdctl", "/Applications/Rancher Desktop.app/Contents/Resources/resources/darwin/bin/nerdctl")
    sandbox.symlink(f"{sandbox.home}/.local/bin/kubectl", f"{sandbox.home}/.rd/bin/kubectl")
    sandbox.symlink("/usr/local/bin/helm", "/usr/bin/helm-real")  # dangling, named like an RD tool
    sandbox.write("/usr/local/bin/docker", "#!/bin/sh\n", mode=0o755)  # a regular file is never touched
    sandbox.write("/usr/bin/unrelated", "")
    sandbox.symlink("/usr/local/bin/kubectl", "/usr/bin/unrelated")  # a working link elsewhere: not stale
    l = rd(sandbox)["rd.legacy-links"]
    assert l["status"] == "fail"  # a stale nerdctl link
    paths = sorted(x["path"] for x in l["evidence"]["links"])
    assert paths == sorted(["/usr/local/bin/nerdctl", "/usr/local/bin/helm", f"{sandbox.home}/.local/bin/kubectl"])
    steps = l["fixes"][0]["steps"]
    # `find P -maxdepth 0 -type l -delete`: removes P only if it is still a link when the step runs
    tail = ["-maxdepth", "0", "-type", "l", "-delete"]
    assert steps[0]["privileged"] is True and steps[0]["argv"][0] == "find" and steps[0]["argv"][-5:] == tail
    assert sorted(steps[0]["argv"][1:-5]) == sorted([f"{sandbox.root}/usr/local/bin/nerdctl", f"{sandbox.root}/usr/local/bin/helm"])
    assert steps[1]["argv"] == ["find", f"{sandbox.home}/.local/bin/kubectl", *tail]
    assert steps[1]["privileged"] is False


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
                    lambda c: st.one_of(st.lists(c, max_size=3),
                                        st.dictionaries(st.sampled_from(["containerEngine", "name", "kubernetes"]), c,
                                                        max_size=3)), max_leaves=10))
def test_engine_of_never_raises(data):
    if isinstance(data, dict):
        name, key = engine_of(data)
        assert name is None or isinstance(name, str)


FRONTEND_TOOLS = {  # tool -> (its check, what else makes that check run)
    "rdctl": ("rd.running", "rd"), "colima": ("colima.running", "colima"), "limactl": ("lima.nerdctl", "lima")}
MISBEHAVING = {"hangs": "exec /bin/sleep 30\n",
               "floods": "exec /usr/bin/yes 'flood flood flood flood flood flood flood flood flood'\n",
               "closes its output and hangs": "exec >&- 2>&-; exec /bin/sleep 30\n"}


@pytest.mark.parametrize("how", sorted(MISBEHAVING))
@pytest.mark.parametrize("tool", sorted(FRONTEND_TOOLS))
def test_a_front_end_tool_that_hangs_or_floods_is_an_error_not_a_stopped_vm(sandbox, tool, how):
    """A front-end tool that hangs, floods or closes its output says nothing about whether the VM runs: `error`
    within --timeout, never "not running"."""
    import time

    check, kind = FRONTEND_TOOLS[tool]
    body = MISBEHAVING[how]
    if kind == "rd":
        rd = sandbox.home / ".rd" / "bin"
        rd.mkdir(parents=True)
        sandbox.script("rdctl", body, where=rd)
        sandbox.write(f"{sandbox.home}/.config/rancher-desktop/settings.json",
                      '{"containerEngine": {"name": "containerd"}}')
    elif kind == "colima":
        sandbox.script("colima", body)
        sandbox.write(f"{sandbox.home}/.colima/default/colima.yaml", "runtime: containerd\n")
    else:
        sandbox.script("limactl", body)
        sandbox.script("nerdctl.lima", 'echo "nerdctl version 1.7.6"\n')
        sandbox.script("nerdctl", 'echo "nerdctl version 1.7.6"\n')  # nerdctl.lima reached as Tilt runs it
        sandbox.write(f"{sandbox.home}/.lima/default/lima.yaml", "images: []\n")
    t0 = time.monotonic()
    doc = sandbox.doctor_json("--only", check, "--mode", "rootful", "--timeout", "1")
    assert time.monotonic() - t0 < 1 + 1 + 3  # --timeout + 1 s, and a slow machine's slack
    r = next(c for c in doc["checks"] if c["id"] == check)
    assert r["status"] == "error" and "did not answer within 1s" in r["summary"], r
    assert r["summary"].startswith(f"`{tool} "), r["summary"]  # names the tool that hung


def test_under_a_root_a_home_outside_it_is_never_edited(sandbox, tmp_path):
    """SPEC 5: under --root, a fix never writes outside it, a HOME entry outside it included."""
    outside = tmp_path / "someone-elses-home"
    outside.mkdir()
    (outside / ".zshrc").write_text("# mine\n")
    install_rd(sandbox, running=False)
    rd_home = sandbox.home / ".rd"
    import shutil

    shutil.copytree(rd_home, outside / ".rd", symlinks=True)
    env = {"HOME": str(outside), "SHELL": "/usr/bin/zsh"}
    cp = sandbox.doctor("fix", "rd.add-path", "--yes", env=env)
    assert cp.returncode == 1 and "outside the diagnosed root" in cp.stdout + cp.stderr, cp.stdout + cp.stderr
    assert (outside / ".zshrc").read_text() == "# mine\n"
