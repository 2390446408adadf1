"""The one record style of the package: a slotted class with an explicit ``__init__``, compared and shown by its
fields, immutable unless it says ``_frozen = False``.

Chosen by measurement (benchmarks/bench.py, the built wheel in a plain venv): the stdlib's ``dataclasses`` pulls in
``inspect`` on import, about 6-9 ms on these machines, half of one interpreter start, on every command's start-up
path, where SPEC 9 allows the whole of `--list-checks` 3 starts; ``typing.NamedTuple`` costs ``typing`` (4-5 ms).
This base costs nothing to import. tests/functional/test_hygiene.py keeps dataclasses, inspect and typing off the
start-up paths."""
from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: start-up cost (mypy honours this name)
if TYPE_CHECKING:
    from typing import Any


class Record:
    __slots__: tuple[str, ...] = ()
    _frozen = True

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and all(getattr(self, f) == getattr(other, f) for f in self.__slots__)

    def __hash__(self) -> int:
        if not self._frozen:
            raise TypeError(f"unhashable type: {type(self).__name__!r}")
        return hash((type(self).__name__, *(_hashable(getattr(self, f)) for f in self.__slots__)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(" + ", ".join(f"{f}={getattr(self, f, None)!r}" for f in self.__slots__) + ")"

    def __setattr__(self, name: str, value: Any) -> None:
        if self._frozen and hasattr(self, name):
            raise AttributeError(f"{type(self).__name__} is immutable")
        object.__setattr__(self, name, value)


def _hashable(v: Any) -> Any:
    if isinstance(v, dict):
        return tuple(sorted((k, _hashable(x)) for k, x in v.items()))
    if isinstance(v, (list, tuple)):
        return tuple(_hashable(x) for x in v)
    return v
