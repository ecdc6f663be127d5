"""The packages' lazy re-exports (PEP 562), one mechanism for ``pouw``,
``pouw.zk`` and ``pouw.zk.formats``: a public name is imported from its
submodule on first access, so a bare ``import pouw`` stays cheap and a command
loads only the layers it uses."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_exports(
    package: str,
    namespace: dict[str, object],
    names: Mapping[str, str],
    submodules: frozenset[str],
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` for ``package``.

    ``names`` maps a public name to the module defining it, relative to the
    package (``"queue"`` or ``".queue"``; ``"..errors"`` for a parent's
    module). ``submodules`` stay reachable as attributes after a bare import,
    as they were when the package imported them eagerly. A resolved name is
    stored in ``namespace`` (the package's ``globals()``), so later lookups
    skip ``__getattr__``.
    """

    def __getattr__(name: str) -> object:
        module = names.get(name)
        if module is not None:
            relative = module if module.startswith(".") else f".{module}"
            value = getattr(importlib.import_module(relative, package), name)
            namespace[name] = value
            return value
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*namespace, *namespace["__all__"]})  # type: ignore[misc]

    return __getattr__, __dir__
