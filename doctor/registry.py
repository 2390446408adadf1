"""Check discovery through the entry-point group ``nerdctl_doctor.checks`` (SPEC section 7).

The built-in checks are one entry point like any plugin's. An entry point names a module with a ``CHECKS``
iterable or a callable returning an iterable of Check objects. A plugin that fails to import or load becomes one
``error`` check named after its entry point; the others still load.
"""
from __future__ import annotations

import types
from typing import Iterable

from .model import Check, Result

GROUP = "nerdctl_doctor.checks"
BUILTIN = "builtin"


def _broken(ep_name: str, ep_value: str, exc: BaseException) -> Check:
    msg = f"plugin entry point {ep_name} ({ep_value}) failed to load: {type(exc).__name__}: {exc}"

    def report(host, deps, _msg=msg) -> Result:
        return Result.error(_msg, evidence={"entry_point": ep_name, "value": ep_value})

    return Check(id=f"plugin.{ep_name}", category="plugin", title=f"plugin {ep_name} ({ep_value})", func=report,
                 source=ep_name)


def _items(obj) -> Iterable:
    if isinstance(obj, types.ModuleType):
        items = getattr(obj, "CHECKS", None)
        if items is None:
            raise TypeError(f"module {obj.__name__} has no CHECKS")
        return items
    if callable(obj):
        return obj()
    return obj


def load_checks() -> list[Check]:
    """Every registered check: built-ins first (in their own order), then plugins by entry-point name."""
    from importlib.metadata import entry_points

    eps = list(entry_points(group=GROUP))
    # One distribution may be seen twice (e.g. an editable install plus a build tree): keep the first.
    seen_names: set[str] = set()
    unique = []
    for ep in eps:
        if ep.name not in seen_names:
            seen_names.add(ep.name)
            unique.append(ep)
    unique.sort(key=lambda ep: (ep.name != BUILTIN, ep.name))
    checks: list[Check] = []
    ids: set[str] = set()
    for ep in unique:
        try:
            loaded = list(_items(ep.load()))
            for c in loaded:
                if not isinstance(c, Check):
                    raise TypeError(f"{c!r} is not a nerdctl_doctor Check")
                if c.id in ids:
                    raise ValueError(f"check id {c.id} is already registered")
            batch = []
            for c in loaded:
                ids.add(c.id)
                batch.append(Check(c.id, c.category, c.title, c.func, c.requires, ep.name))
            checks.extend(batch)
        except Exception as exc:  # noqa: BLE001 - a broken plugin is a diagnosis, not a crash
            broken = _broken(ep.name, ep.value, exc)
            if broken.id not in ids:
                ids.add(broken.id)
                checks.append(broken)
    return checks
