"""Windows (issue 18): Rancher Desktop through WSL, nerdctl.exe on Path and in the registry, rd.add-path on the
registry, the build backend with Rancher Desktop's stub, and a user's own WSL distro. The Windows system is
diagnosed from Linux as SPEC section 1 allows (winhost.py); what only a real Windows machine can confirm is listed in
docs/windows.md."""
from __future__ import annotations

import json
import os
import stat

import pytest

from harness import validate
from winhost import (LOCAL, MACHINE_ENV, PER_USER, USER_ENV, WIN32_BIN, distro_vm, drive, registry, windows_host)


def by_id(doc):
    return {c["id"]: c for c in doc["checks"]}


@pytest.mark.containerd
def test_rancher_desktop_on_windows_is_probed_inside_its_distro_through_wsl_exe(sandbox, stops):
    facts = windows_host(sandbox)
    vm, ctd = distro_vm(sandbox, stops)
    doc = sandbox.doctor_json()
    assert doc["host"]["platform"] == "windows" and doc["host"]["mode"] == "vm"
    assert doc["host"]["frontend"] == "rancher-desktop" and doc["host"]["wsl"] is None and doc["host"]["user"] == "dev"
    r = by_id(doc)
    n = r["nerdctl.installed"]
    assert n["status"] == "ok" and n["evidence"]["path"] == facts["bin"] + "\\nerdctl.exe", n
    assert r["nerdctl.version"]["status"] == "ok"
    s = r["containerd.socket"]
    assert s["status"] == "ok" and s["evidence"]["uuid"] == ctd.uuid(), s
    h = r["buildkit.host"]
    assert h["status"] == "ok" and h["evidence"]["selected"] == "unix:///run/buildkit/buildkitd.sock", h
    argv = h["evidence"]["candidates"][-1]["command"]["argv"]
    # what `rdctl shell` does on Windows: wsl-exec into Rancher Desktop's namespaces, as root (no sudo)
    assert argv[0].endswith("\\wsl.exe") and argv[1:5] == ["--distribution", "rancher-desktop", "--exec",
                                                             "/usr/local/bin/wsl-exec"] and argv[5] == "buildctl"
    w = r["buildkit.worker"]
    assert w["status"] == "warn" and "containerd.namespace 'buildkit'" in w["summary"]
    assert r["rd.running"]["status"] == "ok" and r["rd.engine"]["status"] == "ok"
    assert r["rd.path"]["status"] == "ok" and r["rd.legacy-links"]["status"] == "skip"
    assert r["rd.wsl-integration"]["status"] == "skip"
    assert r["rd.installed"]["evidence"]["install"] == "per-machine"
    calls = sandbox.calls("wsl.exe")
    assert ["--list", "--running", "--quiet"] in calls
    # building straight into k8s.io lasts through a provisioning file Rancher Desktop runs in its distro at start
    (fix,) = w["fixes"]
    assert fix["id"] == "rd.buildkit-namespace"
    edit = fix["steps"][0]
    assert edit["path"] == "C:\\Users\\dev\\AppData\\Local\\rancher-desktop\\provisioning\\" \
                           "nerdctl-doctor-buildkit-namespace.start"
    assert 'namespace = \"k8s.io\"' in edit["diff"] or 'namespace = "k8s.io"' in edit["diff"]
    assert fix["steps"][2]["argv"] == [facts["bin"] + "\\rdctl.exe", "shutdown"]
    cp = sandbox.doctor("fix", "rd.buildkit-namespace", "--yes", env={"STANDIN_VM_STATE": str(facts["state"])})
    start = drive(sandbox, LOCAL + "\\rancher-desktop\\provisioning") / "nerdctl-doctor-buildkit-namespace.start"
    assert start.exists() and "/etc/buildkit/buildkitd.toml" in start.read_text(), cp.stdout + cp.stderr


def test_stopped_rancher_desktop_and_the_wsl_output_encodings(sandbox):
    windows_host(sandbox, running=False)
    sandbox.env["STANDIN_VM_ROOT"] = str(sandbox.base / "vm")
    (sandbox.base / "vm" / "run").mkdir(parents=True)
    r = by_id(sandbox.doctor_json("--only", "rd.running"))["rd.running"]
    assert r["status"] == "fail" and "not running" in r["summary"]
    wsl = drive(sandbox, "C:\\Windows\\System32") / "wsl.exe"
    import subprocess

    env = {**sandbox.env, "STANDIN_VM_STATE": str(sandbox.base / "vm-state.json")}
    (sandbox.base / "vm-state.json").write_text(json.dumps({"running": True}))
    raw = subprocess.run([str(wsl), "--list", "--running", "--quiet"], env=env, capture_output=True).stdout
    assert raw == "rancher-desktop\r\n".encode("utf-16-le")  # no BOM, UTF-16LE: what real wsl.exe writes
    raw8 = subprocess.run([str(wsl), "--list", "--running", "--quiet"], env={**env, "WSL_UTF8": "1"},
                          capture_output=True).stdout
    assert raw8 == b"rancher-desktop\r\n"


def test_an_old_wsl_exe_that_ignores_wsl_utf8_is_read_too(sandbox):
    """The doctor asks for UTF-8 (WSL_UTF8=1); a wsl.exe that answers in UTF-16LE all the same is understood."""
    from nerdctl_doctor.frontends.rancher_desktop import wsl_text

    utf16_read_as_utf8 = "rancher-desktop\r\nUbuntu\r\n".encode("utf-16-le").decode("utf-8", "replace")
    assert [n.strip() for n in wsl_text(utf16_read_as_utf8).splitlines() if n.strip()] == ["rancher-desktop", "Ubuntu"]


def test_moby_engine_fails_with_the_rdctl_exe_fix_and_a_registry_lock_names_itself(sandbox):
    facts = windows_host(sandbox, engine="moby")
    r = by_id(sandbox.doctor_json("--only", "rd.engine"))["rd.engine"]
    assert r["status"] == "fail" and "cannot access containerd socket" in r["summary"]
    (fix,) = r["fixes"]
    assert fix["id"] == "rd.use-containerd"
    assert fix["steps"][0]["argv"][0] == facts["bin"] + "\\rdctl.exe"  # rdctl by absolute path
    key = "HKLM\\SOFTWARE\\Policies\\Rancher Desktop\\Locked\\containerEngine"
    sandbox.env["NERDCTL_DOCTOR_REGISTRY"] = str(registry(sandbox, {key: {"name": ["REG_SZ", "moby"]}}))
    r = by_id(sandbox.doctor_json("--only", "rd.engine"))["rd.engine"]
    assert r["status"] == "fail" and key in r["summary"] and r["fixes"] == []


def test_path_only_in_the_registry_warns_to_restart(sandbox):
    facts = windows_host(sandbox, on_path=False, reg={USER_ENV: {"Path": ["REG_EXPAND_SZ", facts_bin()]}})
    r = by_id(sandbox.doctor_json("--only", "nerdctl.installed,rd.path"))
    n = r["nerdctl.installed"]
    assert n["status"] == "warn" and "restart" in n["summary"] and "user Path in the registry" in n["summary"], n
    assert "exit status 9009" in n["details"] and "executable file not found in %PATH%" in n["details"]
    p = r["rd.path"]
    assert p["status"] == "warn" and "restart" in p["summary"] and facts["bin"] in p["summary"]


def facts_bin() -> str:
    return "C:\\Program Files\\Rancher Desktop" + WIN32_BIN


def test_rd_add_path_appends_to_the_users_registry_path_keeping_its_type_and_undoes(sandbox):
    before = "%USERPROFILE%\\AppData\\Local\\Microsoft\\WindowsApps;C:\\Tools"
    windows_host(sandbox, on_path=False, reg={USER_ENV: {"Path": ["REG_EXPAND_SZ", before]},
                                              MACHINE_ENV: {"Path": ["REG_EXPAND_SZ", "C:\\Windows\\system32"]}})
    doc = sandbox.doctor_json("--only", "rd.path,nerdctl.installed")
    r = by_id(doc)
    assert r["rd.path"]["status"] == "fail" and r["nerdctl.installed"]["status"] == "fail"
    assert "exit status 9009" in r["nerdctl.installed"]["summary"]
    (fix,) = r["rd.path"]["fixes"]
    assert fix["id"] == "rd.add-path" and fix["steps"][0]["path"] == "HKCU\\Environment\\Path"
    assert "+" + facts_bin() in fix["steps"][0]["diff"]
    cp = sandbox.doctor("fix", "rd.add-path", "--yes")
    assert "Traceback" not in cp.stderr, cp.stderr
    reg = json.loads(open(sandbox.env["NERDCTL_DOCTOR_REGISTRY"]).read())
    assert reg[USER_ENV]["Path"] == ["REG_EXPAND_SZ", before + ";" + facts_bin()]  # type and every entry kept
    assert reg[MACHINE_ENV]["Path"] == ["REG_EXPAND_SZ", "C:\\Windows\\system32"]
    # the registry is right now; this process keeps its old Path: the fix says what to restart
    assert cp.returncode == 0 and "Restart a running Tilt" in cp.stdout, cp.stdout  # what is left: a restart
    again = sandbox.doctor("fix", "rd.add-path", "--yes")
    assert json.loads(open(sandbox.env["NERDCTL_DOCTOR_REGISTRY"]).read())[USER_ENV]["Path"][1].count(facts_bin()) == 1
    assert again.returncode in (0, 1, 2)  # idempotent: never a second entry
    cp = sandbox.doctor("fix", "--undo", "--yes")
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert json.loads(open(sandbox.env["NERDCTL_DOCTOR_REGISTRY"]).read())[USER_ENV]["Path"] == ["REG_EXPAND_SZ", before]


def test_a_native_windows_nerdctl_is_the_wrong_nerdctl(sandbox):
    facts = windows_host(sandbox, on_path=False)
    scoop = "C:\\Users\\dev\\scoop\\shims"
    sandbox.install("nerdctl", where=drive(sandbox, scoop), as_name="nerdctl.exe")
    sandbox.env["Path"] = scoop + ";" + sandbox.env["Path"]
    sandbox.env["STANDIN_NERDCTL_OSARCH"] = "windows/amd64"
    n = by_id(sandbox.doctor_json("--only", "nerdctl.installed"))["nerdctl.installed"]
    assert n["status"] == "fail" and "native Windows nerdctl" in n["summary"] and "npipe" in n["summary"]
    assert facts["bin"] not in n["summary"]


def test_per_user_install_and_no_rancher_desktop_at_all(sandbox):
    windows_host(sandbox, install="per-user")
    r = by_id(sandbox.doctor_json("--only", "rd.installed"))["rd.installed"]
    assert r["status"] == "ok" and r["evidence"]["install"] == "per-user" and r["evidence"]["app"] == PER_USER
    header = sandbox.doctor("--plain", "--only", "rd.installed").stdout.splitlines()[0]
    assert header.startswith("nerdctl-doctor ") and " · Windows · vm (rancher-desktop) · " in header, header


@pytest.mark.containerd
def test_build_on_windows_never_hands_dash_f_dash_to_the_stub(sandbox, stops):
    windows_host(sandbox)
    distro_vm(sandbox, stops)
    ctx = "C:\\Users\\dev\\app"
    drive(sandbox, ctx).mkdir(parents=True)
    env = {"NERDCTL_DOCTOR_DOCKERFILE": "FROM alpine\nRUN echo 'C:\\\\x'\n", "EXPECTED_REF": "app:tilt-1",
           "XDG_CACHE_HOME": str(sandbox.base / "cache")}
    cp = sandbox.doctor("build", "--dockerfile-contents-env", "NERDCTL_DOCTOR_DOCKERFILE", ctx, env=env)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    (build,) = [a for a in sandbox.calls("nerdctl") if "build" in a]
    f = build[build.index("-f") + 1]
    assert f != "-" and not f.endswith("/-"), build
    assert f.startswith("/mnt/c/Users/dev/AppData/Local/Temp/nerdctl-doctor-") and f.endswith(".Dockerfile")
    assert build[-1] == "/mnt/c/Users/dev/app"  # the stub rewrote the drive path
    assert list(drive(sandbox, LOCAL + "\\Temp").iterdir()) == []  # removed afterwards
    assert list(drive(sandbox, ctx).iterdir()) == []  # never inside the context Tilt watches


def test_a_context_without_a_drive_letter_is_a_preflight_failure(sandbox):
    windows_host(sandbox)
    cp = sandbox.doctor("build", "--ref", "app:1", "\\\\wsl$\\Ubuntu\\home\\dev\\app")
    assert cp.returncode == 1 and "no drive letter" in cp.stderr and "inside that WSL distro" in cp.stderr
    assert not [a for a in sandbox.calls("nerdctl") if "build" in a]


def test_dry_run_on_windows_shows_the_temp_dockerfile(sandbox):
    windows_host(sandbox)
    cp = sandbox.doctor("build", "--ref", "app:1", "--dry-run", "--dockerfile-contents-env", "D", "C:\\x",
                        env={"D": "FROM alpine\n"})
    assert cp.returncode == 0 and "-f '" + LOCAL + "\\Temp\\nerdctl-doctor-" in cp.stdout.replace('"', "'"), cp.stdout


# ------------------------------------------------------------------------------------------- a user's WSL distro


def wsl_distro(sb, integration: bool | None = True, setuid: bool = True, append: bool = True,
               name: str = "Ubuntu"):
    settings = sb.root / "mnt/c/Users/dev/AppData/Local/rancher-desktop/settings.json"
    settings.parent.mkdir(parents=True)
    doc = {"containerEngine": {"name": "containerd"}}
    if integration is not None:
        doc["WSL"] = {"integrations": {name: integration}}
    settings.write_text(json.dumps(doc))
    stub = sb.root / "mnt/wsl/rancher-desktop/bin/nerdctl"
    stub.parent.mkdir(parents=True)
    stub.write_text("#!/bin/sh\n")
    os.chown(stub, 0, 0)
    os.chmod(stub, 0o4755 if setuid else 0o755)
    sb.write("/proc/version", "Linux version 5.15.167.4-microsoft-standard-WSL2\n")
    if not append:
        sb.write("/etc/wsl.conf", "[interop]\nappendWindowsPath = false\n")
    sb.env["WSL_DISTRO_NAME"] = name


@pytest.mark.parametrize("case,status,words", [
    ("on", "ok", "WSL integration is on for Ubuntu"),
    ("off", "fail", "integration is off for Ubuntu"),
    ("no-setuid", "fail", "not setuid root"),
    ("no-append", "fail", "appendWindowsPath = false"),
    ("rd-distro", "fail", "Rancher Desktop's own distro"),
])
def test_rd_wsl_integration_inside_a_users_distro(sandbox, case, status, words):
    wsl_distro(sandbox, integration=case != "off", setuid=case != "no-setuid", append=case != "no-append",
               name="rancher-desktop" if case == "rd-distro" else "Ubuntu")
    doc = sandbox.doctor_json("--only", "rd.wsl-integration", "--mode", "rootful")
    assert doc["host"]["wsl"] == ("rancher-desktop" if case == "rd-distro" else "Ubuntu")
    r = by_id(doc)
    assert r["rd.installed"]["status"] == "ok", r["rd.installed"]  # found on the Windows side
    w = r["rd.wsl-integration"]
    assert w["status"] == status and words in w["summary"], w
    if case == "off":
        (fix,) = w["fixes"]
        assert fix["id"] == "rd.wsl-integration" and "Preferences > WSL" in fix["steps"][0]["text"]
        cp = sandbox.doctor("fix", "rd.wsl-integration", "--mode", "rootful")
        assert cp.returncode == 0 and "Preferences > WSL" in cp.stdout  # advice: printed whole, nothing applied


def test_wsl_is_recognised_from_proc_version_alone(sandbox):
    sandbox.write("/proc/version", "Linux version 5.15.167.4-microsoft-standard-WSL2\n")
    doc = validate(sandbox.doctor_json("--only", "rd.wsl-integration", "--mode", "rootful"))
    assert doc["host"]["wsl"] == "unknown"
    assert by_id(doc)["rd.wsl-integration"]["status"] == "skip"  # Rancher Desktop is not installed


def test_windows_setuid_check_reads_the_mode(sandbox):
    wsl_distro(sandbox)
    st = os.stat(sandbox.root / "mnt/wsl/rancher-desktop/bin/nerdctl")
    assert st.st_mode & stat.S_ISUID
