#!/usr/bin/env python3
"""Regenerate screenshots/*.svg: the real TUI on hosts laid out like a user's machine.

    sudo python3 screenshots/regenerate.py        (Linux, root: it needs a private mount namespace)

Each state is built inside `unshare -m`, where /home, /run, /opt and /usr/local are empty tmpfs and /etc, /var and
/usr/lib/systemd are throwaway overlays, so the TUI diagnoses `--root /` and shows the paths a user would see (/home/alex,
/usr/local/bin/nerdctl, /Users/alex/.rd/bin), never a test harness's. The healthy host runs a real containerd;
BuildKit, nerdctl, rdctl and Tilt are the test stand-ins. Nothing outside the namespace changes, except that
/Users, /Applications and /Library are created as empty mount points when missing and removed again.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent / "tests" / "functional"))
MAC_DIRS = ("/Users", "/Applications", "/Library", "/c")  # /c: drive C: of a Windows system
UUID = "0f6e1c58-5a43-4c45-9c8a-3a3e6c0a4a11"


def in_namespace() -> None:
    """Give this process throwaway system directories (called once, inside `unshare -m`)."""
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    for d in ("/home", "/run", "/opt", "/usr/local", *MAC_DIRS):
        subprocess.run(["mount", "-t", "tmpfs", "nd-shot", d], check=True)
    os.makedirs("/run/nd-overlay", exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "nd-overlay", "/run/nd-overlay"], check=True)
    for d in ("/etc", "/var", "/usr/lib/systemd"):  # /lib/systemd/system is /usr/lib/systemd/system: a unit a
        name = d.strip("/").replace("/", "-")     # state writes there must not reach this machine
        os.makedirs(d, exist_ok=True)
        up, work = f"/run/nd-overlay/{name}-up", f"/run/nd-overlay/{name}-work"
        os.makedirs(up)
        os.makedirs(work)
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={d},upperdir={up},workdir={work}", d],
                       check=True)


def linux_user():
    from harness import Sandbox

    sb = Sandbox.real(base="/var/lib/nd-shot", home="/home/alex", xdg="/run/user/1000", bin="/usr/local/bin")
    sb.write("/etc/os-release", 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
                                'VERSION_ID="12"\nID=debian\nVERSION_CODENAME=bookworm\n')
    sb.env["STANDIN_NERDCTL_STATE"] = "/var/lib/nd-shot/nerdctl-state"
    sb.env["STANDIN_NERDCTL_NAMESPACES"] = "k8s.io"
    return sb


def kubeconfig(context: str, cluster: str) -> str:
    return (f"apiVersion: v1\nkind: Config\ncurrent-context: {context}\ncontexts:\n- name: {context}\n  context:\n"
            f"    cluster: {cluster}\n    user: u\nclusters:\n- name: {cluster}\n  cluster:\n"
            "    server: https://127.0.0.1:6443\nusers:\n- name: u\n  user: {}\n")


def rootful(buildkitd_toml: str):
    """Debian 12, rootful: a real containerd, nerdctl and BuildKit from the bundle, a kubeadm-style kubelet, and a
    buildkitd started with this buildkitd.toml."""
    from harness import Containerd

    sb = linux_user()
    ctd = Containerd(sb).start()
    ctd.create_namespace("k8s.io")
    sb.install("nerdctl")
    sb.install("buildctl")
    sb.script("tilt", 'echo "v0.33.17, built 2024-06-12"\n')
    sb.write("/etc/nerdctl/nerdctl.toml", 'namespace = "k8s.io"\n')
    sb.write("/etc/buildkit/buildkitd.toml", buildkitd_toml)
    sb.start_buildkitd("--config=/etc/buildkit/buildkitd.toml", addr="unix:///run/buildkit/buildkitd.sock")
    sb.write(f"{sb.home}/.kube/config", kubeconfig("kubernetes-admin@kubernetes", "kubernetes"))
    sb.write("/var/lib/kubelet/kubeadm-flags.env",
             'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock"\n')
    return sb, "rootful", [ctd.stop]


def healthy():
    """A containerd-worker buildkitd for k8s.io."""
    return rootful('[worker.oci]\n  enabled = false\n\n[worker.containerd]\n  enabled = true\n  namespace = "k8s.io"\n')


def rd_broken_macos():
    """macOS: Rancher Desktop on moby, ~/.rd/bin off PATH, a stale /usr/local/bin/nerdctl link, app stopped."""
    from harness import Sandbox

    sb = Sandbox.real(base="/var/lib/nd-shot", home="/Users/alex", xdg="/var/lib/nd-shot/xdg", bin="/opt/homebrew/bin")
    sb.env.update(PATH="/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin", NERDCTL_DOCTOR_PLATFORM="darwin",
                  SHELL="/bin/zsh")
    del sb.env["XDG_RUNTIME_DIR"]
    rd = Path("/Users/alex/.rd/bin")
    sb.install("nerdctl", where=rd)
    sb.script("rdctl", 'echo "Error: failed to get backend state: connect: connection refused" >&2; exit 1\n', where=rd)
    sb.write("/Users/alex/Library/Preferences/rancher-desktop/settings.json",
             json.dumps({"version": 10, "containerEngine": {"name": "moby"},
                         "application": {"pathManagementStrategy": "manual"}}))
    res = "/Applications/Rancher Desktop.app/Contents/Resources/resources/darwin/bin"
    sb.symlink("/usr/local/bin/nerdctl", f"{res}/nerdctl")  # the app moved on: the old link dangles
    sb.write("/Users/alex/.kube/config", kubeconfig("rancher-desktop", "rancher-desktop"))
    sb.script("tilt", 'echo "v0.33.17, built 2024-06-12"\n')
    return sb, "auto", []


def rootless_oci():
    """Debian 12, rootless containerd with `install-buildkit` (OCI worker): local base images are invisible."""
    from harness import Containerd

    sb = linux_user()
    ctd = Containerd(sb).start()  # RootlessKit's child sees it at /proc/<child_pid>/root/run/containerd
    for tool in ("rootlesskit", "nsenter", "newuidmap", "newgidmap", "slirp4netns", "containerd-rootless.sh"):
        sb.script(tool, "exit 0\n")
    sb.install("containerd-rootless-setuptool.sh")
    sb.install("buildkitd")
    sb.env.update(STANDIN_ALLOW_ROOT="1", STANDIN_ROOT="/", STANDIN_CONTAINERD_UUID=UUID)
    sb.install("systemctl")
    sb.install("nerdctl")
    sb.install("buildctl")
    sb.script("tilt", 'echo "v0.33.17, built 2024-06-12"\n')
    sb.write("/etc/subuid", "alex:100000:65536\n")
    sb.write("/etc/subgid", "alex:100000:65536\n")
    sb.write("/run/user/1000/containerd-rootless/child_pid", f"{os.getpid()}\n")
    sb.link_real("ctr")
    sb.write("/home/alex/.config/systemd/user/buildkit.service",
             "[Service]\nExecStart=/usr/local/bin/containerd-rootless-setuptool.sh nsenter -- buildkitd "
             "--oci-worker=true --oci-worker-rootless=true --containerd-worker=false\n")
    sb.start_buildkitd("--oci-worker=true", "--oci-worker-rootless=true", "--containerd-worker=false",
                       addr="unix:///run/user/1000/buildkit/buildkitd.sock")
    return sb, "rootless", [ctd.stop]


def rootful_oci():
    """buildkitd from the distribution's unit, with the OCI worker enabled in buildkitd.toml."""
    sb, mode, stops = rootful("# BuildKit daemon settings\n[grpc]\n  address = [\"unix:///run/buildkit/buildkitd.sock\"]"
                              "\n\n[worker.oci]\n  enabled = true  # set by the installer\n")
    sb.write("/lib/systemd/system/buildkit.service", "[Unit]\nDescription=BuildKit\n\n[Service]\n"
             "ExecStart=/usr/bin/buildkitd --config /etc/buildkit/buildkitd.toml\n")
    return sb, mode, stops


def colima_host():
    """Linux, colima with the containerd runtime and Kubernetes: its buildkitd's worker is in namespace buildkit."""
    from test_frontends import colima, kubeconfig as kc

    sb = linux_user()
    stops: list = []
    colima(sb, stops)
    sb.env["PATH"] = f"{sb.bin}:/usr/bin:/bin"
    sb.script("tilt", 'echo "v0.33.17, built 2024-06-12"\n')
    sb.write(f"{sb.home}/.kube/config", kc("colima", "colima"))
    return sb, "auto", stops


def debian_no_buildkit():
    """Debian 12: nerdctl from the bundle, containerd installed but stopped, no BuildKit."""
    sb = linux_user()
    sb.install("nerdctl")
    sb.dead_socket("/run/containerd/containerd.sock")
    return sb, "rootful", []


def windows_user():
    """A Windows 11 user's machine (drive C: is /c here, SPEC section 1), Tilt installed."""
    from harness import Sandbox

    sb = Sandbox.real(base="/var/lib/nd-shot", home="/var/lib/nd-shot/home", xdg="/var/lib/nd-shot/xdg",
                      bin="/var/lib/nd-shot/bin", user="alex")
    return sb


def windows_moby():
    """Windows: Rancher Desktop 1.9+ with its default engine, moby: no containerd and no buildkitd in its distro."""
    from winhost import drive, windows_host

    sb = windows_user()
    windows_host(sb, engine="moby", user="alex")
    vm = sb.base / "vm"
    for d in ("run", "usr/local/bin", "etc"):
        (vm / d).mkdir(parents=True, exist_ok=True)
    (vm / "run/wsl-init.pid").write_text("1\n")
    sb.install("nerdctl", where=vm / "usr/local/bin")
    sb.env["STANDIN_VM_ROOT"] = str(vm)
    sb.script("tilt.exe", 'echo "v0.33.17, built 2024-06-12"\n', where=drive(sb, "C:\\Users\\alex\\bin"))
    sb.env["Path"] += ";C:\\Users\\alex\\bin"
    drive(sb, "C:\\Users\\alex\\.kube").mkdir(parents=True, exist_ok=True)
    (drive(sb, "C:\\Users\\alex\\.kube") / "config").write_text(kubeconfig("rancher-desktop", "rancher-desktop"))
    return sb, "auto", []


def windows_path_in_registry():
    """Windows: Rancher Desktop installed per user while the terminal (and Tilt) were open: its win32\\bin is on
    the user's Path in the registry, not on the running programs' Path."""
    from winhost import USER_ENV, WIN32_BIN, distro_vm, drive, windows_host

    sb = windows_user()
    stops: list = []
    bin_dir = "C:\\Users\\alex\\AppData\\Local\\Programs\\Rancher Desktop" + WIN32_BIN
    windows_host(sb, install="per-user", on_path=False, user="alex",
                 reg={USER_ENV: {"Path": ["REG_EXPAND_SZ", "%USERPROFILE%\\AppData\\Local\\Microsoft\\WindowsApps;"
                                          + bin_dir]}})
    distro_vm(sb, stops)
    sb.script("tilt.exe", 'echo "v0.33.17, built 2024-06-12"\n', where=drive(sb, "C:\\Users\\alex\\bin"))
    sb.env["Path"] += ";C:\\Users\\alex\\bin"
    drive(sb, "C:\\Users\\alex\\.kube").mkdir(parents=True, exist_ok=True)
    (drive(sb, "C:\\Users\\alex\\.kube") / "config").write_text(kubeconfig("rancher-desktop", "rancher-desktop"))
    return sb, "auto", stops


def shoot(name: str, build, size=(100, 32), fix_on: str | None = None, cursor: str | None = None) -> None:
    from textual._doc import take_svg_screenshot

    from nerdctl_doctor.options import make_host
    from nerdctl_doctor.registry import load_checks
    from nerdctl_doctor.tui import DoctorApp

    sb, mode, stops = build()
    try:
        import argparse

        args = argparse.Namespace(root="/", namespace=None, mode=mode, timeout=5.0, frontend="auto")
        app = DoctorApp(make_host(args, env=sb.env), load_checks(), spinner=False)

        async def before(pilot):
            deadline = time.monotonic() + 30
            while (app.running or len(app.runs) < len(app.checks)) and time.monotonic() < deadline:
                await pilot.pause(0.05)
            await pilot.pause()
            await pilot.pause()
            if cursor:
                app.query_one("Tree").move_cursor(app.nodes[cursor])
                await pilot.pause()
            if fix_on:
                app.query_one("Tree").move_cursor(app.nodes[fix_on])
                await pilot.pause()
                await pilot.press("f")
            await pilot.pause()

        svg = take_svg_screenshot(app=app, terminal_size=size, run_before=before)
        svg = svg.replace("<svg ", '<svg xml:space="preserve" ', 1)  # rsvg keeps the non-breaking spaces
        (HERE / f"{name}.svg").write_text(svg)
        print(f"wrote screenshots/{name}.svg", flush=True)
    finally:
        for stop in stops:
            stop()
        sb.cleanup()


SHOTS = {
    "healthy": lambda: shoot("healthy", healthy),
    "healthy-80x24": lambda: shoot("healthy-80x24", healthy, size=(80, 24)),
    "rd-broken-macos": lambda: shoot("rd-broken-macos", rd_broken_macos),
    "rootless-oci-worker": lambda: shoot("rootless-oci-worker", rootless_oci, cursor="buildkit.worker"),
    "debian-no-buildkit": lambda: shoot("debian-no-buildkit", debian_no_buildkit),
    "colima-host": lambda: shoot("colima-host", colima_host, cursor="buildkit.worker"),
    "fix-confirmation": lambda: shoot("fix-confirmation", rootful_oci, fix_on="buildkit.worker"),
    "windows-rd-moby": lambda: shoot("windows-rd-moby", windows_moby, cursor="rd.engine"),
    "windows-path-only-in-registry": lambda: shoot("windows-path-only-in-registry", windows_path_in_registry,
                                                   cursor="nerdctl.installed"),
}


def main() -> int:
    if "--inside" in sys.argv:  # one state, in its own namespace
        in_namespace()
        SHOTS[sys.argv[sys.argv.index("--inside") + 1]]()
        return 0
    if os.geteuid() != 0:
        print("screenshots/regenerate.py needs root (a private mount namespace)", file=sys.stderr)
        return 2
    made = [d for d in MAC_DIRS if not os.path.exists(d)]
    for d in made:
        os.mkdir(d)
    try:
        for name in sys.argv[1:] or SHOTS:
            code = subprocess.call(["unshare", "--mount", "--propagation", "private", sys.executable, __file__,
                                    "--inside", name])
            if code:
                return code
        return 0
    finally:
        for d in made:
            os.rmdir(d)


if __name__ == "__main__":
    sys.exit(main())
