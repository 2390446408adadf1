"""nerdctl-doctor: diagnose and fix nerdctl + BuildKit + containerd set-ups for Tilt.

The public API for plugin authors::

    from nerdctl_doctor import Check, Result, Status, Fix, RunStep, EditStep, AdviceStep, check

A plugin registers a module with a ``CHECKS`` iterable (or a callable returning one) in the entry-point group
``nerdctl_doctor.checks``. A check is ``def f(host, deps) -> Result`` where ``host`` is the Host (every contact
with the system goes through it) and ``deps`` maps each prerequisite id to its Result.
"""
from .constants import VERSION as __version__

__all__ = ["AdviceStep", "Check", "EditStep", "Fix", "Result", "RunStep", "Status", "check", "__version__"]


def __getattr__(name: str):
    # The public API is imported lazily, so commands that do not need the model start faster.
    if name in __all__ and name != "__version__":
        from . import model

        return getattr(model, name)
    raise AttributeError(f"module 'nerdctl_doctor' has no attribute {name!r}")
