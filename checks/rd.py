"""Rancher Desktop: installation, running app, engine, PATH and stale links (UPSTREAM.md section 6)."""
from __future__ import annotations

import json
import os
from typing import Any

from ..facts import config_home
from ..host import RD_RESOURCE_DIRS, HostFileError
from ..model import EditStep, Fix, Result, RunStep, check

MARK_START = "### MANAGED BY RANCHER DESKTOP START (DO NOT EDIT)"
MARK_END = "### MANAGED BY RANCHER DESKTOP END (DO NOT EDIT)"
RD_TOOLS = ("nerdctl", "docker", "docker-compose", "docker-buildx", "docker-credential-ecr-login",
            "docker-credential-none", "docker-credential-pass", "docker-credential-secretservice",
            "docker-credential-osxkeychain", "helm", "kubectl", "kuberlr", "rdctl", "spin")


def rd_bin(host) -> str | None:
    return os.path.join(host.home, ".rd", "bin") if host.home else None


def settings_paths(host) -> list[str]:
    out = []
    ch = config_home(host)
    if ch:
        out.append(os.path.join(ch, "rancher-desktop", "settings.json"))
    if host.home:
        out.append(os.path.join(host.home, "Library", "Preferences", "rancher-desktop", "settings.json"))
    return out


def find_install(host) -> dict:
    def compute() -> dict:
        found: dict[str, Any] = {}
        for p in settings_paths(host):
            if os.path.lexists(host.resolve(p)):
                found["settings"] = p
                break
        b = rd_bin(host)
        if b and host.is_dir(b):
            found["rd_bin"] = b
        for d in RD_RESOURCE_DIRS:
            if host.is_dir(d):
                found["resources"] = d
                break
        return found

    return host.memo(("rd-install",), compute)


def rd_running(host):
    """(running, Outcome or None): `rdctl list-settings` answers only while the app runs."""

    def compute():
        if not host.rdctl():
            return False, None
        out = host.run(["rdctl", "list-settings"] if host.which("rdctl") else [host.rdctl(), "list-settings"])
        return out.ok, out

    return host.memo(("rd-running",), compute)


@check("rd.installed", title="Rancher Desktop installed")
def installed(host, deps) -> Result:
    found = find_install(host)
    if not found:
        return Result.skip("Rancher Desktop is not installed", evidence={"looked_in": settings_paths(host)
                                                                         + [rd_bin(host)] + list(RD_RESOURCE_DIRS)})
    where = ", ".join(f"{k.replace('_', ' ')} {host.show(v)}" for k, v in found.items())
    return Result.ok(f"Rancher Desktop found: {where}", evidence=found)


@check("rd.running", title="Rancher Desktop running", requires=("rd.installed",))
def running(host, deps) -> Result:
    ok, out = rd_running(host)
    ev: dict[str, Any] = {"command": out.to_json() if out else None}
    if out is None:
        return Result.fail("rdctl is not on PATH or in ~/.rd/bin: Rancher Desktop cannot be queried", evidence=ev)
    if ok:
        return Result.ok("Rancher Desktop is running (rdctl answers)", evidence=ev)
    status = Result.fail if host.vm else Result.warn
    return status("Rancher Desktop is not running" + (": its nerdctl wrapper prints `Rancher Desktop is not "
                                                      "running. Please start Rancher Desktop to use nerdctl`"
                                                      if host.vm else " (the nerdctl on PATH does not use it)"),
                  evidence=ev, details=out.output)


def read_settings(host) -> tuple[dict | None, dict]:
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
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a JSON object")
    return data, ev


def engine_of(data: dict) -> tuple[str | None, str]:
    ce = data.get("containerEngine")
    if isinstance(ce, dict) and isinstance(ce.get("name"), str):
        return ce["name"], "containerEngine.name"
    k = data.get("kubernetes")
    if isinstance(k, dict) and isinstance(k.get("containerEngine"), str):
        return k["containerEngine"], "kubernetes.containerEngine (old format)"
    return None, "absent (default moby since Rancher Desktop 1.9)"


@check("rd.engine", title="Rancher Desktop container engine", requires=("rd.installed",))
def engine(host, deps) -> Result:
    try:
        data, ev = read_settings(host)
    except ValueError as exc:
        return Result.error(str(exc))
    if data is None:
        return Result.skip("no settings.json: the engine is chosen on first start", evidence=ev)
    name, key = engine_of(data)
    ev.update(engine=name, key=key)
    if name == "containerd":
        return Result.ok(f"container engine is containerd ({key})", evidence=ev)
    running_now, _ = rd_running(host)
    verb = "set" if running_now else "start"
    fix = Fix("rd.use-containerd", "Switch Rancher Desktop to the containerd engine",
              [RunStep(["rdctl", verb, "--container-engine.name=containerd"])],
              rechecks=("rd.engine", "rd.running"))
    return Result.fail(
        f"container engine is {name or 'moby'} ({key}): there is no buildkitd and nerdctl cannot work",
        details="nerdctl needs Rancher Desktop's containerd engine (Preferences > Container Engine).",
        evidence=ev, fixes=[fix])


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
    ch = config_home(host)
    if ch:
        out.append(("fish", os.path.join(ch, "fish", "config.fish")))
    out += [("csh", os.path.join(home, ".cshrc")), ("csh", os.path.join(home, ".tcshrc"))]
    return out


def managed_blocks(host) -> list[str]:
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


@check("rd.path", title="Rancher Desktop tools on PATH", requires=("rd.installed",))
def path(host, deps) -> Result:
    b = rd_bin(host)
    ev: dict[str, Any] = {"rd_bin": b, "PATH": host.path_entries()}
    if b and os.path.normpath(b) in [os.path.normpath(p) for p in host.path_entries()]:
        return Result.ok(f"{b} is on PATH", evidence=ev)
    blocks = managed_blocks(host)
    ev["managed_blocks"] = blocks
    if blocks:
        return Result.warn(
            f"~/.rd/bin is only added by the managed block in {', '.join(blocks)}: only new login shells see it, "
            "and a Tilt started from a desktop launcher or IDE does not read these files",
            details="Start Tilt from a new terminal, or add ~/.rd/bin to the environment your launcher uses "
                    "(e.g. ~/.config/environment.d/rd.conf: PATH=$HOME/.rd/bin:$PATH).",
            evidence=ev)
    fixes = []
    nerdctl_elsewhere = host.which("nerdctl")
    if b and not nerdctl_elsewhere:
        running_now, _ = rd_running(host)
        if running_now:
            steps = [RunStep(["rdctl", "set", "--application.path-management-strategy=rcfiles"])]
        else:
            shell = user_shell(host)
            target = {"bash": os.path.join(host.home, ".bashrc"), "zsh": os.path.join(host.home, ".zshrc"),
                      "csh": os.path.join(host.home, ".cshrc"),
                      "fish": os.path.join(config_home(host) or os.path.join(host.home, ".config"), "fish",
                                           "config.fish")}[shell]
            steps = [EditStep(target, "rd-path-block", {"shell": shell, "dir": b})]
        fixes.append(Fix("rd.add-path", "Put ~/.rd/bin on PATH (Rancher Desktop's managed block)", steps,
                         rechecks=("rd.path", "nerdctl.installed")))
    return Result.fail(f"{b or '~/.rd/bin'} is not on PATH and no shell rc file adds it"
                       + ("" if nerdctl_elsewhere else ": Tilt gets `exit status 127` for nerdctl"),
                       evidence=ev, fixes=fixes)


def is_rd_target(host, target: str) -> bool:
    home = host.home or "//"
    return ("rancher-desktop" in target or "Rancher Desktop.app" in target
            or target.startswith(os.path.join(home, ".rd") + "/"))


@check("rd.legacy-links", title="Stale Rancher Desktop links", requires=("rd.installed",))
def legacy_links(host, deps) -> Result:
    dirs = ["/usr/local/bin"] + ([os.path.join(host.home, ".local", "bin")] if host.home else [])
    stale = []
    for d in dirs:
        for name in RD_TOOLS:
            p = os.path.join(d, name)
            st = host.lstat(p)
            if st is None:
                continue
            import stat as _stat

            if not _stat.S_ISLNK(st.st_mode):
                continue  # never regular files
            try:
                target = os.readlink(host.resolve(p))
            except OSError:
                continue
            dangling = not os.path.exists(host.resolve(p)) and not host.exists(target if os.path.isabs(target) else
                                                                                   os.path.join(d, target))
            if dangling or is_rd_target(host, target):
                stale.append({"path": p, "target": target, "dangling": dangling,
                              "resolved": host.resolve(p)})
    ev = {"links": stale, "looked_in": dirs}
    if not stale:
        return Result.ok("no stale Rancher Desktop links in " + " or ".join(dirs), evidence=ev)
    steps = []
    sys_links = [s["resolved"] for s in stale if s["path"].startswith("/usr/local/bin/")]
    user_links = [s["resolved"] for s in stale if not s["path"].startswith("/usr/local/bin/")]
    if sys_links:
        steps.append(RunStep(["rm", "-f", "--", *sys_links], privileged=True))
    if user_links:
        steps.append(RunStep(["rm", "-f", "--", *user_links]))
    fix = Fix("rd.remove-legacy-links", "Remove the stale Rancher Desktop links", steps,
              rechecks=("rd.legacy-links", "nerdctl.installed"))
    names = ", ".join(s["path"] + (" (dangling)" if s["dangling"] else f" -> {s['target']}") for s in stale)
    breaks = any(os.path.basename(s["path"]) == "nerdctl" for s in stale)
    summary = f"stale links from Rancher Desktop before 1.3: {names}"
    if breaks:
        return Result.fail(summary + ": they can shadow or break nerdctl", evidence=ev, fixes=[fix])
    return Result.warn(summary, evidence=ev, fixes=[fix])


CHECKS = [installed, running, engine, path, legacy_links]
