"""A small stand-in for the part of `dataclasses` this package uses: ``@dataclass``, ``@dataclass(frozen=True)``
and ``field(default=..., default_factory=..., init=..., repr=...)``. It exists for start-up time: importing
dataclasses pulls in `inspect`, which alone costs a third of SPEC's start-up budget."""
from __future__ import annotations

from typing import Any, Callable, dataclass_transform

_MISSING = object()


class _Field:
    __slots__ = ("default", "default_factory", "init", "repr")

    def __init__(self, default: Any, default_factory: Callable[[], Any] | None, init: bool, repr: bool) -> None:
        self.default, self.default_factory, self.init, self.repr = default, default_factory, init, repr


def field(*, default: Any = _MISSING, default_factory: Callable[[], Any] | None = None, init: bool = True,
          repr: bool = True) -> Any:
    return _Field(default, default_factory, init, repr)


@dataclass_transform(field_specifiers=(field,))
def dataclass(cls: Any = None, *, frozen: bool = False) -> Any:
    def wrap(cls: Any) -> Any:
        specs: list[tuple[str, _Field]] = []
        for klass in reversed(cls.__mro__[:-1]):
            for name, ann in klass.__dict__.get("__annotations__", {}).items():
                if str(ann).startswith(("ClassVar", "typing.ClassVar")) or name in dict(specs):
                    continue
                value = klass.__dict__.get(name, _MISSING)
                spec = value if isinstance(value, _Field) else _Field(value, None, True, True)
                specs.append((name, spec))
        for name, spec in specs:  # leave no _Field behind as a class attribute
            if isinstance(cls.__dict__.get(name), _Field):
                if spec.default is _MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, spec.default)
        params = [(n, s) for n, s in specs if s.init]

        def __init__(self: Any, *args: Any, **kw: Any) -> None:
            if len(args) > len(params):
                raise TypeError(f"{cls.__name__}() takes {len(params)} positional arguments")
            for i, (n, s) in enumerate(params):
                if i < len(args):
                    v = args[i]
                    if n in kw:
                        raise TypeError(f"{cls.__name__}() got two values for {n}")
                elif n in kw:
                    v = kw.pop(n)
                elif s.default_factory is not None:
                    v = s.default_factory()
                elif s.default is not _MISSING:
                    v = s.default
                else:
                    raise TypeError(f"{cls.__name__}() missing argument {n!r}")
                object.__setattr__(self, n, v)
            extra = set(kw) - {n for n, _ in params}
            if extra:
                raise TypeError(f"{cls.__name__}() got unexpected arguments {sorted(extra)}")
            for n, s in specs:
                if not s.init:
                    object.__setattr__(self, n, s.default_factory() if s.default_factory else s.default)
            post = getattr(self, "__post_init__", None)
            if post is not None:
                post()

        def __eq__(self: Any, other: object) -> bool:
            return type(self) is type(other) and all(getattr(self, n) == getattr(other, n) for n, _ in specs)

        def __repr__(self: Any) -> str:
            shown = ", ".join(f"{n}={getattr(self, n)!r}" for n, s in specs if s.repr)
            return f"{cls.__name__}({shown})"

        cls.__init__ = __init__
        cls.__eq__ = __eq__
        cls.__repr__ = __repr__
        if frozen:
            def __setattr__(self: Any, name: str, value: Any) -> None:
                raise AttributeError(f"{cls.__name__} is immutable")

            cls.__setattr__ = __setattr__
            cls.__hash__ = lambda self: hash(tuple(repr(getattr(self, n)) for n, _ in specs))
        else:
            cls.__hash__ = None
        return cls

    return wrap(cls) if cls is not None else wrap
