"""Rootless containerd prerequisites (UPSTREAM.md sections 4 and 5), each missing piece with its install hint for
this distribution."""
from __future__ import annotations

import os

from ..model import Deps, Result, check

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from typing import Any
    from ..host import Host

NETWORK_DRIVERS = ("slirp4netns", "vpnkit", "gvisor-tap-vsock", "pasta")

# package that provides each tool, per distribution family
PACKAGES = {
    "debian": {"rootlesskit": "rootlesskit", "nsenter": "util-linux", "newuidmap": "uidmap", "newgidmap": "uidmap",
               "slirp4netns": "slirp4netns", "pasta": "passt", "systemctl": "systemd dbus-user-session"},
    "fedora": {"rootlesskit": "rootlesskit", "nsenter": "util-linux", "newuidmap": "shadow-utils",
               "newgidmap": "shadow-utils", "slirp4netns": "slirp4netns", "pasta": "passt", "systemctl": "systemd"},
    "arch": {"rootlesskit": "rootlesskit", "nsenter": "util-linux", "newuidmap": "shadow", "newgidmap": "shadow",
             "slirp4netns": "slirp4netns", "pasta": "passt", "systemctl": "systemd"},
    "suse": {"rootlesskit": "rootlesskit", "nsenter": "util-linux", "newuidmap": "shadow", "newgidmap": "shadow",
             "slirp4netns": "slirp4netns", "pasta": "passt", "systemctl": "systemd"},
}
INSTALLER = {"debian": "sudo apt-get install -y", "fedora": "sudo dnf install -y", "arch": "sudo pacman -S",
             "suse": "sudo zypper install -y"}
BUNDLE = "the nerdctl-full bundle (https://github.com/containerd/nerdctl/releases), extracted into ~/.local or /usr/local"


def family(host) -> str | None:
    d = host.distro()
    ids = {d.get("id", "")} | set((d.get("like") or "").split())
    for fam, members in (("debian", {"debian", "ubuntu", "linuxmint", "pop", "raspbian"}),
                         ("fedora", {"fedora", "rhel", "centos", "rocky", "almalinux"}),
                         ("arch", {"arch", "manjaro", "endeavouros"}),
                         ("suse", {"opensuse", "suse", "sles", "opensuse-leap", "opensuse-tumbleweed"})):
        if ids & members:
            return fam
    return None


def hint(host, tool: str) -> str:
    fam = family(host)
    if tool in ("containerd-rootless-setuptool.sh", "containerd-rootless.sh"):
        return f"install {BUNDLE} (it ships {tool})"
    if tool == "vpnkit" or tool == "gvisor-tap-vsock":
        return f"install {BUNDLE}"
    if fam and tool in PACKAGES[fam]:
        return f"`{INSTALLER[fam]} {PACKAGES[fam][tool]}`"
    return f"install {tool} from your distribution's packages or {BUNDLE}"


def subid_entry(host, path: str, user: str, uid: int) -> tuple[bool | None, str]:
    from ..fileops import HostFileError
    try:
        text = host.read_text(path)
    except HostFileError as exc:
        if exc.reason == "missing":
            return False, f"{path} does not exist"
        return None, f"{path} cannot be read ({exc}): fix the file itself"
    for line in text.splitlines():
        parts = line.strip().split(":")
        if len(parts) >= 3 and parts[0] in (user, str(uid)):
            try:
                if int(parts[2]) >= 65536:
                    return True, line.strip()
                return False, f"{line.strip()} has fewer than 65536 ids"
            except ValueError:
                continue
    return False, f"no entry for {user} in {path}"


@check("rootless.prereqs", title="Rootless containerd prerequisites")
def prereqs(host: Host, deps: Deps) -> Result:
    from ..facts import rootlesskit_state_dir
    if host.mode != "rootless":
        return Result.skip(f"not rootless (mode {host.mode})")
    items: list[dict[str, Any]] = []

    def item(name: str, ok: bool, detail: str, fix: str = "") -> None:
        items.append({"name": name, "ok": ok, "detail": detail, **({"hint": fix} if not ok and fix else {})})

    xdg = host.getenv("XDG_RUNTIME_DIR")
    if not xdg:
        item("XDG_RUNTIME_DIR", False, "not set",
             "log in through a session that sets it (systemd-logind / pam_systemd), or `export "
             f"XDG_RUNTIME_DIR=/run/user/{host.euid}` if that directory exists")
    elif not host.is_dir(xdg):
        item("XDG_RUNTIME_DIR", False, f"{xdg} does not exist", "log in again through systemd-logind")
    elif not os.access(xdg, os.W_OK):
        item("XDG_RUNTIME_DIR", False, f"{xdg} is not writable", "it must belong to you")
    else:
        item("XDG_RUNTIME_DIR", True, xdg)
    home = host.home
    if not home or not host.is_dir(home):
        item("HOME", False, "not set" if not home else f"{home} does not exist",
             "containerd-rootless-setuptool.sh needs a writable HOME")
    for tool in ("rootlesskit", "nsenter", "newuidmap", "newgidmap", "containerd-rootless-setuptool.sh",
                 "containerd-rootless.sh"):
        p = host.which(tool)
        item(tool, bool(p), p or "not on PATH", hint(host, tool))
    nets = {t: host.which(t) for t in NETWORK_DRIVERS}
    found = [t for t, p in nets.items() if p]
    item("network driver", bool(found), ", ".join(found) if found else "none of " + ", ".join(NETWORK_DRIVERS),
         hint(host, "slirp4netns") + " (or pasta: " + hint(host, "pasta") + ")")
    user = host.user
    for f in ("/etc/subuid", "/etc/subgid"):
        ok, detail = subid_entry(host, f, user, host.euid if host.euid is not None else -1)
        item(f, bool(ok), detail, "" if ok is None else
             f"`sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 {user}`")
    sc = host.run(["systemctl", "--user", "show-environment"])
    if sc.kind == "not-found":
        item("systemctl --user", False, "systemctl not on PATH", hint(host, "systemctl"))
    elif not sc.ok:
        item("systemctl --user", False, sc.describe(),
             "the user's systemd instance must run: log in through systemd-logind, "
             f"`sudo loginctl enable-linger {user}`, and on Debian/Ubuntu install dbus-user-session")
    else:
        item("systemctl --user", True, "the user's systemd answers")
    state = rootlesskit_state_dir(host)
    child = os.path.join(state, "child_pid")
    if host.exists(child):
        item("RootlessKit state dir", True, host.show(state))
    else:
        item("RootlessKit state dir", False, f"{host.show(state)} has no child_pid: rootless containerd not running?",
             "`containerd-rootless-setuptool.sh install` (then `systemctl --user start containerd`)")
    missing = [i for i in items if not i["ok"]]
    ev = {"items": items, "state_dir": state, "distribution": host.distro_label()}
    if missing:
        lines = [f"- {i['name']}: {i['detail']}" + (f"; fix: {i['hint']}" if i.get("hint") else "") for i in missing]
        names = ", ".join(i["name"] for i in missing)
        first = missing[0]
        return Result.fail(f"rootless containerd is missing: {names}", details="\n".join(lines), evidence=ev,
                           action=f"{first['name']}: {first.get('hint') or first['detail']}")
    return Result.ok("every rootless prerequisite is present", evidence=ev)


CHECKS = [prereqs]
