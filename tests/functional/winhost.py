"""A Windows-shaped system diagnosed from Linux (SPEC section 1): drive C: is <root>/c, the environment a Windows
user has (USERPROFILE, LOCALAPPDATA, ProgramFiles, SystemRoot, PATHEXT, Path), the registry as the JSON file
NERDCTL_DOCTOR_REGISTRY, and Rancher Desktop's Windows tools (tests/standins/vm as wsl.exe, rdctl.exe and its
nerdctl.exe stub) whose `rancher-desktop` distro is the stand-in VM (a private mount namespace with its own /run)."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from harness import SYSTEM_PYTHON, Containerd, Sandbox

USER = "dev"
PROFILE = f"C:\\Users\\{USER}"
LOCAL = PROFILE + "\\AppData\\Local"
PER_MACHINE = "C:\\Program Files\\Rancher Desktop"
PER_USER = LOCAL + "\\Programs\\Rancher Desktop"
WIN32_BIN = "\\resources\\resources\\win32\\bin"
USER_ENV = "HKCU\\Environment"
MACHINE_ENV = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment"
RD_CONF = ('buildkitd_opts="--addr=unix:///run/buildkit/buildkitd.sock --containerd-worker=true '
           '--containerd-worker-addr=/run/k3s/containerd/containerd.sock --containerd-worker-gc --oci-worker=false"\n')


def drive(sb: Sandbox, win: str) -> Path:
    """Where a Windows path of the diagnosed system lives: C:\\x\\y is <root>/c/x/y."""
    assert win[1:3] == ":\\", win
    return sb.root / win[0].lower() / win[3:].replace("\\", "/")


def registry(sb: Sandbox, doc: dict) -> Path:
    p = sb.base / "registry.json"
    p.write_text(json.dumps(doc, indent=2))
    return p


def windows_host(sb: Sandbox, install: str = "per-machine", on_path: bool = True, engine: str = "containerd",
                 running: bool = True, reg: dict | None = None, user: str = USER) -> dict:
    """A Windows user's machine with Rancher Desktop. Returns facts the tests use."""
    profile = f"C:\\Users\\{user}"
    local = profile + "\\AppData\\Local"
    app = PER_MACHINE if install == "per-machine" else local + "\\Programs\\Rancher Desktop"
    bin_dir = app + WIN32_BIN
    system32 = "C:\\Windows\\System32"
    wsl = sb.install("vm", where=drive(sb, system32), as_name="wsl.exe")
    os.symlink(wsl, sb.bin / "wsl.exe")  # System32 is on every Windows program's PATH, the stub's included
    for n in ("rdctl.exe", "nerdctl.exe"):
        sb.install("vm", where=drive(sb, bin_dir), as_name=n)
    (drive(sb, app) / "resources/resources/linux/bin").mkdir(parents=True, exist_ok=True)
    settings = drive(sb, local + "\\rancher-desktop\\settings.json")
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"version": 10, "containerEngine": {"name": engine},
                                    "application": {"pathManagementStrategy": "manual"}}))
    drive(sb, local + "\\Temp").mkdir(parents=True, exist_ok=True)
    path = [system32, "C:\\Windows"] + ([bin_dir] if on_path else [])
    reg_doc = reg if reg is not None else {USER_ENV: {"Path": ["REG_EXPAND_SZ", "%USERPROFILE%\\AppData\\Local\\"
                                                                             "Microsoft\\WindowsApps"]}}
    state = sb.base / "vm-state.json"
    state.write_text(json.dumps({"running": running, "distros": ["rancher-desktop", "Ubuntu"],
                                 "distros_running": ["rancher-desktop"] if running else []}))
    sb.env.update({
        "NERDCTL_DOCTOR_PLATFORM": "windows", "USERPROFILE": profile, "LOCALAPPDATA": local,
        "APPDATA": profile + "\\AppData\\Roaming", "ProgramFiles": "C:\\Program Files", "SystemRoot": "C:\\Windows",
        "PATHEXT": ".COM;.EXE;.BAT;.CMD;.VBS;.JS;.PY", "Path": ";".join(path), "TEMP": local + "\\Temp",
        "USERNAME": user, "NERDCTL_DOCTOR_REGISTRY": str(registry(sb, reg_doc)),
        "STANDIN_VM_STATE": str(state), "STANDIN_RD_SETTINGS": str(settings),
        "STANDIN_NERDCTL_STATE": str(sb.base / "nerdctl-state"), "STANDIN_WIN_CWD": profile + "\\app",
        "PATH": f"{sb.bin}:/usr/bin:/bin",
    })
    sb.env.pop("HOME", None)
    sb.env.pop("XDG_RUNTIME_DIR", None)
    return {"app": app, "bin": bin_dir, "settings": settings, "state": state}


def distro_vm(sb: Sandbox, stops: list, wsl_init: bool = True) -> tuple[Path, Containerd]:
    """The `rancher-desktop` distro: k3s's containerd (a real one), Rancher Desktop's buildkitd (worker namespace
    `buildkit`), nerdctl and buildctl in /usr/local/bin, /run/wsl-init.pid while Rancher Desktop runs."""
    vm = sb.base / "vm"
    for d in ("run/k3s/containerd", "run/buildkit", "usr/local/bin", "etc/conf.d"):
        (vm / d).mkdir(parents=True, exist_ok=True)
    for d in (sb.base, vm, vm / "run", vm / "usr", vm / "usr/local", vm / "usr/local/bin"):
        os.chmod(d, 0o755)
    sb.install("nerdctl", where=vm / "usr/local/bin")
    sb.install("buildctl", where=vm / "usr/local/bin", interpreter=SYSTEM_PYTHON)
    os.symlink(shutil.which("ctr", path="/usr/bin:/usr/sbin:/bin") or "/usr/bin/ctr", vm / "usr/local/bin/ctr")
    (vm / "etc/conf.d/buildkitd").write_text(RD_CONF)
    if wsl_init:
        (vm / "run/wsl-init.pid").write_text("1\n")
    sb.env["STANDIN_VM_ROOT"] = str(vm)
    ctd = Containerd(sb, socket_path=vm / "run/k3s/containerd/containerd.sock", name="vmctd").start()
    stops.append(ctd.stop)
    ctd.create_namespace("k8s.io")
    sb.link_real("ctr")
    sb.start_buildkitd("--containerd-worker=true", "--containerd-worker-addr=/run/k3s/containerd/containerd.sock",
                       "--oci-worker=false", addr="unix:///run/buildkit/buildkitd.sock", env={"STANDIN_ROOT": str(vm)})
    return vm, ctd
