"""Rancher Desktop: installation, running app, engine, PATH and stale links (UPSTREAM.md section 6)."""
from __future__ import annotations

import os

from ..model import Deps, Result, check

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)

if TYPE_CHECKING:
    from ..frontends.rancher_desktop import RancherDesktop
    from typing import Any
    from ..host import Host

MARK_START = "### MANAGED BY RANCHER DESKTOP START (DO NOT EDIT)"
MARK_END = "### MANAGED BY RANCHER DESKTOP END (DO NOT EDIT)"


def rd(host) -> RancherDesktop:
    from ..frontends.rancher_desktop import RancherDesktop
    return host.frontend if isinstance(host.frontend, RancherDesktop) else RancherDesktop(host)


def rd_bin(host) -> str | None:
    return rd(host).bin_dir()


def find_install(host) -> dict:
    return host.memo(("rd-install",), lambda: rd(host).installed())


def rd_running(host):
    return rd(host).running()


@check("rd.installed", title="Rancher Desktop installed")
def installed(host: Host, deps: Deps) -> Result:
    found = find_install(host)
    if not found:
        fe = rd(host)
        return Result.skip("Rancher Desktop is not installed",
                           evidence={"looked_in": fe.settings_paths() + fe.tool_dirs()})
    where = ", ".join(f"{k.replace('_', ' ')} {host.show(v)}" for k, v in found.items())
    return Result.ok(f"Rancher Desktop found: {where}", evidence=found)


@check("rd.running", title="Rancher Desktop running", requires=("rd.installed",))
def running(host: Host, deps: Deps) -> Result:
    ok, out = rd_running(host)
    ev: dict[str, Any] = {"command": out.to_json() if out else None}
    if out is None:
        return Result.fail(f"{rd(host).why_no_vm()}: Rancher Desktop cannot be queried", evidence=ev,
                           action="reinstall Rancher Desktop")
    if out.kind == "timeout":  # a hung rdctl or wsl.exe says nothing about whether the app runs
        tool = out.argv[0].replace("\\", "/").rsplit("/", 1)[-1]  # the program's name, a Windows path's too
        return Result.error(f"`{' '.join([tool, *out.argv[1:3]])}` did not answer within {host.timeout:g}s",
                            evidence=ev,
                            action="check Rancher Desktop (restart it if it hangs), then run the doctor again")
    if ok:
        how = (f"the {rd(host).distro()} WSL distro runs and its init is up" if host.windows else "rdctl answers")
        return Result.ok(f"Rancher Desktop is running ({how})", evidence=ev)
    if host.windows:
        return Result.fail(f"Rancher Desktop is not running: the {rd(host).distro()} WSL distro is not running or "
                           "not initialised, and nerdctl.exe fails", evidence=ev, details=out.output,
                           action="start Rancher Desktop and wait until it is ready",
                           cause="rd.engine" if rd(host).engine() not in (None, "containerd") else None)
    status = Result.fail if host.vm else Result.warn
    # on moby, the engine's fix (`rdctl start --container-engine.name=containerd`) starts it too
    cause = "rd.engine" if rd(host).engine() not in (None, "containerd") else None
    return status("Rancher Desktop is not running" + (": its nerdctl wrapper prints `Rancher Desktop is not "
                                                      "running. Please start Rancher Desktop to use nerdctl`"
                                                      if host.vm else " (the nerdctl on PATH does not use it)"),
                  evidence=ev, details=out.output, action="start Rancher Desktop and wait until it is ready",
                  cause=cause)


def read_settings(host) -> tuple[dict | None, dict]:
    from ..fileops import HostFileError
    import json

    found = find_install(host)
    path = found.get("settings")
    ev: dict[str, Any] = {"settings": path}
    if not path:
        return None, ev
    try:
        data = json.loads(host.read_text(path))
    except HostFileError as exc:
        raise ValueError(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is malformed JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from None
    except RecursionError:
        raise ValueError(f"{path} is nested too deeply to be Rancher Desktop's settings") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a JSON object")
    return data, ev


def engine_of(data: dict) -> tuple[str | None, str]:
    from ..frontends.rancher_desktop import settings_engine
    return settings_engine(data)


def locked_engine(host) -> tuple[str | None, str | None]:
    """(the profile file, or on Windows the registry key, that locks the engine, its engine) from a locked
    deployment profile."""
    from ..frontends.rancher_desktop import settings_engine
    from ..fileops import HostFileError
    import json

    if host.windows:
        found = rd(host).locked_registry()
        return found if found else (None, None)
    for p in rd(host).locked_profiles():
        try:
            text = host.read_text(p, limit=256 << 10)
        except HostFileError:
            continue
        if p.endswith(".json"):
            try:
                data = json.loads(text)
            except (ValueError, RecursionError):
                continue
            name, _ = settings_engine(data) if isinstance(data, dict) else (None, "")
            if name:
                return p, name
        elif "containerEngine" in text:
            import re

            m = re.search(r"<key>name</key>\s*<string>([^<]+)</string>", text)
            return p, (m.group(1) if m else "locked")
    return None, None


@check("rd.engine", title="Rancher Desktop container engine", requires=("rd.installed",))
def engine(host: Host, deps: Deps) -> Result:
    from ..fixes import frontends as fixes
    try:
        data, ev = read_settings(host)
    except ValueError as exc:
        return Result.error(str(exc), action="fix or remove the named settings file, then restart Rancher Desktop")
    if data is None:
        return Result.skip("no settings.json: the engine is chosen on first start", evidence=ev)
    name, key = engine_of(data)
    ev.update(engine=name, key=key)
    if name == "containerd":
        return Result.ok(f"container engine is containerd ({key})", evidence=ev)
    locked, _engine = locked_engine(host)
    ev["locked_by"] = locked
    summary = f"container engine is {name or 'moby'} ({key}): there is no buildkitd and nerdctl cannot work"
    if host.windows:
        summary += (" (nerdctl.exe fails with `cannot access containerd socket "
                    "\"/run/k3s/containerd/containerd.sock\"`)")
    if locked:
        return Result.fail(summary + f"; the engine is locked by {locked}", evidence=ev,
                           details="A locked deployment profile pins the engine: `rdctl set` cannot change it.",
                           action=f"ask whoever manages {locked} to allow the containerd engine")
    rdctl = rd(host).rdctl()
    running_now, _ = rd_running(host)
    fx = [fixes.rd_use_containerd(rdctl, running_now)] if rdctl else []
    return Result.fail(summary,
                       details="nerdctl needs Rancher Desktop's containerd engine (Preferences > Container Engine).",
                       evidence=ev, fixes=fx,
                       action="" if fx else "Preferences > Container Engine: containerd, then restart Rancher Desktop")


def rc_files(host) -> list[tuple[str, str]]:
    """(shell, path) of the rc files Rancher Desktop manages (logical paths under HOME)."""
    home = host.home
    if not home:
        return []
    out = [("bash", os.path.join(home, ".bashrc")), ("zsh", os.path.join(home, ".zshrc"))]
    for n in (".bash_profile", ".bash_login", ".profile"):
        p = os.path.join(home, n)
        if os.path.exists(p):
            out.append(("bash", p))
            break
    ch = host.config_home()
    if ch:
        out.append(("fish", os.path.join(ch, "fish", "config.fish")))
    out += [("csh", os.path.join(home, ".cshrc")), ("csh", os.path.join(home, ".tcshrc"))]
    return out


def managed_blocks(host) -> list[str]:
    from ..fileops import HostFileError
    found = []
    for _shell, p in rc_files(host):
        try:
            text = host.read_text(p)
        except HostFileError:
            continue
        if MARK_START in text and MARK_END in text:
            block = text[text.index(MARK_START):text.index(MARK_END)]
            if ".rd/bin" in block:
                found.append(p)
    return found


def user_shell(host) -> str:
    s = os.path.basename(host.getenv("SHELL") or "bash")
    return {"tcsh": "csh"}.get(s, s if s in ("bash", "zsh", "fish", "csh") else "bash")


def leftover_temp_files(host) -> list[str]:
    return [p + ".rd-temp" for _shell, p in rc_files(host) if host.lexists(p + ".rd-temp")]


def same_dir(a: str, b: str) -> bool:
    return a.replace("/", "\\").rstrip("\\").lower() == b.replace("/", "\\").rstrip("\\").lower()


RESTART = "a running Tilt, your terminal and your IDE (anything started before the Path changed)"


def path_windows(host) -> Result:
    """Windows: Rancher Desktop's win32\\bin on this process's Path; the installer puts it on the user's (per-user
    install) or the machine's Path in the registry, and a program keeps the Path it was started with."""
    from ..fixes import frontends as fixes
    from ..constants import REG_MACHINE_ENV, REG_USER_ENV
    res = rd(host).resources()
    process = host.path_entries()
    user, machine = host.registry_path(REG_USER_ENV), host.registry_path(REG_MACHINE_ENV)
    ev: dict[str, Any] = {"win32_bin": res, "Path": process, "registry_user_path": user,
                          "registry_machine_path": machine}
    if any(same_dir(p, res) for p in process):
        return Result.ok(f"{res} is on Path", evidence=ev)
    where = [n for n, entries in (("user", user), ("machine", machine)) if any(same_dir(p, res) for p in entries)]
    if where:
        return Result.warn(f"{res} is on the {' and '.join(where)} Path in the registry but not on this process's "
                           f"Path: restart {RESTART}", evidence=ev,
                           details="Windows gives a program the Path of the moment it started; Tilt started from an "
                                   "older terminal or IDE says `exit status 9009` or `executable file not found in "
                                   "%PATH%` for nerdctl.",
                           action=f"restart {RESTART}")
    return Result.fail(f"{res} is on no Path (this process's, the user's or the machine's): Tilt cannot find "
                       "nerdctl.exe", evidence=ev, fixes=[fixes.rd_add_path_windows(res, RESTART)])


@check("rd.path", title="Rancher Desktop tools on PATH", requires=("rd.installed",))
def path(host: Host, deps: Deps) -> Result:
    from ..fixes import frontends as fixes
    if host.windows:
        return path_windows(host)
    b = rd_bin(host)
    ev: dict[str, Any] = {"rd_bin": b, "PATH": host.path_entries()}
    temps = leftover_temp_files(host)
    ev["leftover_temp_files"] = temps
    temp_note = (f"; leftover {', '.join(temps)} stops Rancher Desktop from managing the rc files (remove it)"
                 if temps else "")
    if b and os.path.normpath(b) in [os.path.normpath(p) for p in host.path_entries()]:
        if temps:
            return Result.warn(f"{b} is on PATH{temp_note}", evidence=ev, action=f"rm {' '.join(temps)}")
        return Result.ok(f"{b} is on PATH", evidence=ev)
    blocks = managed_blocks(host)
    ev["managed_blocks"] = blocks
    zdotdir = host.getenv("ZDOTDIR")
    shell = user_shell(host)
    if blocks:
        unread = ""
        if shell == "zsh" and zdotdir and os.path.normpath(zdotdir) != os.path.normpath(host.home or ""):
            zshrc = os.path.join(host.home or "", ".zshrc")
            if zshrc in blocks and not any(p.startswith(os.path.join(zdotdir, "")) for p in blocks):
                unread = (f"; your zsh reads {zdotdir}/.zshrc (ZDOTDIR), never {zshrc}, where Rancher Desktop "
                          "writes its block")
        return Result.warn(
            f"~/.rd/bin is only added by the managed block in {', '.join(blocks)}: only new login shells see it, "
            f"and a Tilt started from a desktop launcher or IDE does not read these files{unread}{temp_note}",
            details="Start Tilt from a new terminal, or add ~/.rd/bin to the environment your launcher uses "
                    "(e.g. ~/.config/environment.d/rd.conf: PATH=$HOME/.rd/bin:$PATH).",
            evidence=ev, action="open a new terminal and start Tilt from it")
    fx = []
    if b and not host.which("nerdctl") and host.home:
        running_now, _ = rd_running(host)
        rdctl = rd(host).rdctl()
        if running_now and rdctl and not temps:
            fx.append(fixes.rd_add_path_rdctl(rdctl))
        else:
            rc = rc_target(host, shell)
            fx.append(fixes.rd_add_path_rcfile(rc, shell, b))
    return Result.fail(f"{b or '~/.rd/bin'} is not on PATH and no shell rc file adds it"
                       + ("" if host.which("nerdctl") else ": Tilt gets `exit status 127` for nerdctl") + temp_note,
                       evidence=ev, fixes=fx,
                       action="" if fx else "Preferences > Application > Environment: Configure PATH: Automatic")


def rc_target(host, shell: str) -> str:
    """The rc file this user's shell reads (ZDOTDIR for zsh)."""
    home = host.home or ""
    if shell == "zsh":
        return os.path.join(host.getenv("ZDOTDIR") or home, ".zshrc")
    if shell == "fish":
        return os.path.join(host.config_home() or os.path.join(home, ".config"), "fish", "config.fish")
    if shell == "csh":
        return os.path.join(home, ".cshrc")
    if host.platform == "darwin":
        return os.path.join(home, ".bash_profile")
    return os.path.join(home, ".bashrc")


def is_rd_target(host, target: str) -> bool:
    return rd(host).owns(target)


@check("rd.legacy-links", title="Stale Rancher Desktop links", requires=("rd.installed",))
def legacy_links(host: Host, deps: Deps) -> Result:
    from ..fixes import frontends as fixes
    from ..frontends.rancher_desktop import TOOLS as RD_TOOLS
    if host.windows:
        return Result.skip("Windows has no stale links: Rancher Desktop never linked its tools there")
    dirs = ["/usr/local/bin"] + ([os.path.join(host.home, ".local", "bin")] if host.home else [])
    stale: list[dict[str, Any]] = []
    for d in dirs:
        for name in RD_TOOLS:
            p = os.path.join(d, name)
            # /usr/local/bin is the diagnosed system's, even when this machine's own is on PATH
            phys = host.resolve_system(p) if d == "/usr/local/bin" else host.resolve(p)
            try:
                st = os.lstat(phys)
            except (OSError, ValueError):
                st = None
            if st is None:
                continue
            import stat as _stat

            if not _stat.S_ISLNK(st.st_mode):
                continue  # never regular files
            try:
                target = os.readlink(phys)
            except OSError:
                continue
            dangling = not os.path.exists(phys) and not host.exists(target if os.path.isabs(target) else
                                                                    os.path.join(d, target))
            if dangling or is_rd_target(host, target):
                stale.append({"path": p, "target": target, "dangling": dangling, "resolved": phys})
    ev = {"links": stale, "looked_in": dirs}
    if not stale:
        return Result.ok("no stale Rancher Desktop links in " + " or ".join(dirs), evidence=ev)
    sys_links = [s["resolved"] for s in stale if s["path"].startswith("/usr/local/bin/")]
    user_links = [s["resolved"] for s in stale if not s["path"].startswith("/usr/local/bin/")]
    fix = fixes.rd_remove_legacy_links(sys_links, user_links)
    names = ", ".join(s["path"] + (" (dangling)" if s["dangling"] else f" -> {s['target']}") for s in stale)
    breaks = any(os.path.basename(s["path"]) == "nerdctl" for s in stale)
    summary = f"stale links from Rancher Desktop before 1.3: {names}"
    if breaks:
        return Result.fail(summary + ": they can shadow or break nerdctl", evidence=ev, fixes=[fix])
    return Result.warn(summary, evidence=ev, fixes=[fix])


def wsl_conf_append_windows_path(host) -> bool | None:
    """[interop] appendWindowsPath in /etc/wsl.conf (default true); None when unreadable."""
    from ..fileops import HostFileError
    try:
        text = host.read_text("/etc/wsl.conf", limit=64 << 10)
    except HostFileError as exc:
        return True if exc.reason == "missing" else None
    section = ""
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip().lower()
        elif section == "interop" and "=" in line:
            k, v = (x.strip() for x in line.split("=", 1))
            if k.lower() == "appendwindowspath":
                return v.lower() not in ("false", "0", "no")
    return True


@check("rd.wsl-integration", title="Rancher Desktop's WSL integration for this distro", requires=("rd.installed",))
def wsl_integration(host: Host, deps: Deps) -> Result:
    from ..fixes import frontends as fixes
    from ..fileops import HostFileError
    import json

    distro = host.wsl_distro()
    if distro is None:
        return Result.skip("not inside a WSL distro")
    stub = "/mnt/wsl/rancher-desktop/bin/nerdctl"
    ev: dict[str, Any] = {"distro": distro, "stub": stub}
    if distro == "rancher-desktop":
        return Result.fail("this is Rancher Desktop's own distro: building from inside it fails (`lstat "
                           "/Containerfile`)", evidence=ev, action="run Tilt in your own WSL distro, or on Windows")
    settings = rd(host).windows_settings()
    ev["settings"] = settings
    integrations: Any = None
    if settings:
        try:
            data = json.loads(host.read_text(settings))
            integrations = (data.get("WSL") or {}).get("integrations") if isinstance(data, dict) else None
        except (HostFileError, ValueError, AttributeError, RecursionError):
            integrations = None
    on = bool(isinstance(integrations, dict) and integrations.get(distro) is True)
    ev["integration_on"] = on
    st = host.stat(stub)
    import stat as _stat

    setuid = bool(st and _stat.S_ISREG(st.st_mode) and st.st_uid == 0 and st.st_mode & _stat.S_ISUID)
    ev["stub_setuid_root"] = setuid
    append = wsl_conf_append_windows_path(host)
    ev["appendWindowsPath"] = append
    if not on:
        return Result.fail(f"Rancher Desktop's WSL integration is off for {distro}: nerdctl here cannot reach it",
                           evidence=ev, fixes=[fixes.rd_wsl_integration(distro)])
    if append is False:
        return Result.fail("[interop] appendWindowsPath = false in /etc/wsl.conf: Rancher Desktop's nerdctl, found "
                           "through the Windows Path, is not on this distro's PATH", evidence=ev,
                           action="remove appendWindowsPath = false from /etc/wsl.conf, then `wsl --shutdown` on "
                                  "Windows")
    if not setuid:
        why = "missing" if st is None else "not setuid root"
        return Result.fail(f"{stub} is {why}: Rancher Desktop creates it while it runs with the integration on",
                           evidence=ev, action="start Rancher Desktop (or toggle this distro's integration off and "
                                               "on in Preferences > WSL)")
    return Result.ok(f"WSL integration is on for {distro}; {stub} is setuid root", evidence=ev)


CHECKS = [installed, running, engine, path, legacy_links, wsl_integration]
