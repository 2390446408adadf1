"""Rancher Desktop: installation, running app, engine, PATH and stale links."""
from ._util import not_implemented

CHECKS = [
    not_implemented("rd.installed", "Rancher Desktop installed"),
    not_implemented("rd.running", "Rancher Desktop running", ("rd.installed",)),
    not_implemented("rd.engine", "Rancher Desktop container engine", ("rd.installed",)),
    not_implemented("rd.path", "Rancher Desktop tools on PATH", ("rd.installed",)),
    not_implemented("rd.legacy-links", "Stale Rancher Desktop links", ("rd.installed",)),
]
