"""Edit functions, registered by name. An EditStep names one; it maps the file's current text (None when the
file is absent) and the step's params to the new text. Every editor keeps comments, key order and unrelated keys
(tomlkit for TOML, line-level edits for shell rc files) and is idempotent: edit(edit(x)) == edit(x). Diffs are
always computed from the file as it is now."""
from __future__ import annotations

import difflib

from ..constants import registry_value_path
from ..fileops import HostFileError

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)
if TYPE_CHECKING:
    from typing import Any, Callable

    Editor = Callable[[str | None, dict], str]
EDITORS: dict[str, Editor] = {}

RD_START = "### MANAGED BY RANCHER DESKTOP START (DO NOT EDIT)"
RD_END = "### MANAGED BY RANCHER DESKTOP END (DO NOT EDIT)"


class EditError(Exception):
    """The file cannot be edited safely (e.g. it is malformed): nothing is written."""


def editor(name: str) -> Callable[[Editor], Editor]:
    def wrap(fn: Editor) -> Editor:
        EDITORS[name] = fn
        return fn

    return wrap


def current_text(host, step) -> str | None:
    reg = registry_value_path(step.path)
    if reg is not None:  # a registry value (Windows Path): its data is the text
        v = host.registry(*reg)
        return None if v is None else str(v[1])
    try:
        return host.read_text(step.path)
    except HostFileError as exc:
        if exc.reason == "missing":
            return None
        raise EditError(str(exc)) from None


def new_text(host, step, old: str | None) -> str:
    try:
        fn = EDITORS[step.editor]
    except KeyError:
        raise EditError(f"no editor named {step.editor!r}") from None
    lf = old.replace("\r\n", "\n") if old is not None else None
    try:
        new = fn(lf, dict(step.params))
    except RecursionError:
        raise EditError(f"{step.path} is nested too deeply to edit safely; it was not changed") from None
    if old is not None and lf != old:  # CRLF stays CRLF
        return old if new == lf else new.replace("\r\n", "\n").replace("\n", "\r\n")
    return new


def unified(path: str, old: str | None, new: str) -> str:
    return "".join(
        difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=path if old is not None else "/dev/null",
            tofile=path,
        )
    )


def render_diff(host, step) -> str:
    old = current_text(host, step)
    new = new_text(host, step, old)
    if registry_value_path(step.path) is not None:  # a `;` list reads as one entry per line
        return unified(step.path, None if old is None else "\n".join(old.split(";")) + "\n",
                       "\n".join(new.split(";")) + "\n")
    return unified(step.path, old, new)


# --------------------------------------------------------------------------- TOML


TOML_EDIT_LIMIT = 64 << 10
TOML_EDIT_KEYS = 500


def _parse_toml(old: str | None, what: str):
    import tomllib

    import tomlkit

    if old is None or not old.strip():
        return tomlkit.document() if old is None else tomlkit.parse(old)
    if len(old) > TOML_EDIT_LIMIT or old.count("=") > TOML_EDIT_KEYS:
        # tomlkit's round trip is quadratic on such files (2,500 dotted keys take seconds): configuration is never
        # this large, and an edit that could not be shown in time is not made
        raise EditError(f"{what} is too large to edit safely ({len(old)} bytes, {old.count('=')} keys); it was not "
                        "changed")
    try:
        tomllib.loads(old)  # the strict reader decides validity
        return tomlkit.parse(old)
    except Exception as exc:  # noqa: BLE001
        raise EditError(f"{what} is malformed ({exc}); fix or move it first: it was not changed") from None


def _set(table, key: str, value: Any) -> None:
    """Set only when different, so an unchanged key keeps its formatting and trailing comment."""
    cur = table.get(key)
    plain = cur.unwrap() if hasattr(cur, "unwrap") else cur
    if key in table and type(plain) is type(value) and plain == value:
        return
    table[key] = value


def _subtable(parent, key: str, super_table: bool = False):
    import tomlkit

    t = parent.get(key)
    if t is None:
        t = tomlkit.table(is_super_table=super_table)
        parent[key] = t
        return parent[key]
    if not hasattr(t, "get") or not hasattr(t, "__setitem__"):
        raise EditError(f"`{key}` is not a table")
    return t


@editor("buildkitd-containerd-worker")
def buildkitd_containerd_worker(old: str | None, params: dict) -> str:
    """[worker.oci] enabled = false; [worker.containerd] enabled = true, namespace (and address)."""
    import tomlkit

    doc = _parse_toml(old, "buildkitd.toml")
    worker = _subtable(doc, "worker", super_table=True)
    oci = _subtable(worker, "oci")
    _set(oci, "enabled", False)
    ctd = _subtable(worker, "containerd")
    _set(ctd, "enabled", True)
    _set(ctd, "namespace", str(params["namespace"]))
    if params.get("address"):
        _set(ctd, "address", str(params["address"]))
    out = tomlkit.dumps(doc)
    if old is None:
        out = "# written by nerdctl-doctor: containerd worker for nerdctl build\n" + out
    return out


@editor("nerdctl-toml-set")
def nerdctl_toml_set(old: str | None, params: dict) -> str:
    import tomlkit

    doc = _parse_toml(old, "nerdctl.toml")
    for key in ("address", "namespace"):
        if params.get(key):
            _set(doc, key, str(params[key]))
    return tomlkit.dumps(doc)


@editor("systemd-exec-dropin")
def systemd_exec_dropin(old: str | None, params: dict) -> str:
    """A drop-in that replaces the unit's ExecStart (the flags that overrode buildkitd.toml removed)."""
    text = "# written by nerdctl-doctor: buildkitd without the flags that override buildkitd.toml\n"
    return text + "[Service]\nExecStart=\nExecStart=" + str(params["exec"]).replace("\n", " ") + "\n"


# --------------------------------------------------------------------------- shell rc files


def _dq(d: str) -> str:
    """A value safe inside double quotes of sh/zsh/fish/csh: no expansion can run code."""
    return d.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")


def rd_block_line(shell: str, d: str) -> str:
    if any(c in d for c in "\n\r!"):
        raise EditError(f"the directory {d!r} cannot be written safely into a shell rc file")
    q = _dq(d)
    if shell == "fish":
        return f'set --export --prepend PATH "{q}"'
    if shell == "csh":
        if any(c in d for c in '"$`\\'):
            raise EditError(f"the directory {d!r} cannot be quoted safely for csh")
        return f'setenv PATH "{d}"\\:"$PATH"'
    return f'export PATH="{q}:$PATH"'


@editor("rd-path-block")
def rd_path_block(old: str | None, params: dict) -> str:
    """Append Rancher Desktop's managed PATH block (UPSTREAM.md section 6) when absent; line-level."""
    line = rd_block_line(params.get("shell", "bash"), params["dir"])
    block = f"{RD_START}\n{line}\n{RD_END}\n"
    text = old or ""
    if RD_START in text and RD_END in text and text.index(RD_START) < text.index(RD_END):
        start = text.index(RD_START)
        end = text.index(RD_END) + len(RD_END)
        if text[end:end + 1] == "\n":
            end += 1
        if text[start:end] == block or text[start:end] == block.rstrip("\n"):
            return text
        return text[:start] + block + text[end:]
    if text and not text.endswith("\n"):
        text += "\n"
    if text:
        text += "\n"
    return text + block


@editor("windows-path-append")
def windows_path_append(old: str | None, params: dict) -> str:
    """A `;`-separated Windows Path with ``dir`` appended, every other entry kept as it is (`%VAR%` unexpanded);
    unchanged when an entry already names ``dir`` (case and a trailing backslash aside)."""
    d = str(params["dir"])
    entries = [e for e in (old or "").split(";")]
    while entries and entries[-1] == "":
        entries.pop()
    if any(e.strip('"').rstrip("\\").lower() == d.rstrip("\\").lower() for e in entries):
        return old or ""
    return ";".join([*entries, d])


# --------------------------------------------------------------------------- Rancher Desktop provisioning

PROVISION_MARK = "# nerdctl-doctor: rd.buildkit-namespace"


def provision_script(namespace: str) -> str:
    """What runs in Rancher Desktop's VM at every boot, before buildkitd starts: buildkitd reads
    /etc/buildkit/buildkitd.toml by default, and a flag that is not on its command line (Rancher Desktop passes no
    --containerd-worker-namespace) takes its value from that file (UPSTREAM.md section 6)."""
    return (f"#!/bin/sh\n{PROVISION_MARK}\n"
            f"# BuildKit's containerd worker builds straight into namespace {namespace}\n"
            "mkdir -p /etc/buildkit\n"
            "cat > /etc/buildkit/buildkitd.toml <<'NERDCTL_DOCTOR_EOF'\n"
            f"{PROVISION_MARK}\n[worker.containerd]\n  namespace = \"{namespace}\"\n"
            "NERDCTL_DOCTOR_EOF\n")


@editor("rd-override-provision")
def rd_override_provision(old: str | None, params: dict) -> str:
    """Rancher Desktop's Lima override.yaml with our `provision` entry (mode: system): every other key, entry and
    comment kept byte for byte (ruamel.yaml round-trip); our entry replaced, never doubled."""
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import LiteralScalarString

    yaml = YAML()  # round-trip
    yaml.preserve_quotes = True
    yaml.width = 4096
    try:
        doc = yaml.load(old) if old and old.strip() else None
    except Exception as exc:  # noqa: BLE001 - ruamel raises many kinds: a file we cannot edit safely
        raise EditError(f"override.yaml is not YAML that can be edited safely: {str(exc)[:200]}") from None
    if doc is None:
        doc = CommentedMap()
    if not isinstance(doc, dict):
        raise EditError("override.yaml is not a mapping: it was not changed")
    prov = doc.get("provision")
    if prov is None:
        prov = CommentedSeq()
        doc["provision"] = prov
    if not isinstance(prov, list):
        raise EditError("override.yaml's `provision` is not a list: it was not changed")
    script = provision_script(str(params["namespace"]))
    mine = [i for i, e in enumerate(prov) if isinstance(e, dict) and PROVISION_MARK in str(e.get("script", ""))]
    entry = CommentedMap([("mode", "system"), ("script", LiteralScalarString(script))])
    if mine:
        if str(prov[mine[0]].get("script")) == script and prov[mine[0]].get("mode") == "system":
            return old or ""
        prov[mine[0]] = entry
    else:
        prov.append(entry)
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


@editor("rd-provision-start")
def rd_provision_start(old: str | None, params: dict) -> str:
    """Windows: %LOCALAPPDATA%\\rancher-desktop\\provisioning\\*.start runs inside the distro before containerd and
    buildkitd start (backend/wsl.ts). The file is ours alone."""
    return provision_script(str(params["namespace"])).replace("#!/bin/sh\n", "#!/bin/sh\n", 1)
