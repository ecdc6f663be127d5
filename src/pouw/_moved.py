"""Old import paths of moved modules, kept working for one release.

A shim at the old path calls :func:`alias`: the import warns
(``DeprecationWarning``) and the old name becomes the new module itself, not a
copy, so private names and attributes a caller patches (a test's
``monkeypatch.setattr("pouw.remote_worker.NodeClient", ...)``) reach the code
that reads them.

Names that moved out of a module that stays use :func:`moved_names` instead:
the old module's ``__getattr__`` warns on each use of an old name and hands
out the object from its new module, imported only then, so a layer forwards a
name to a layer above it without importing that layer
(``pouw.zk.groth16.Groth16Prover`` -> ``pouw.prover.groth16``).
"""

from __future__ import annotations

import importlib
import sys
import warnings
from collections.abc import Callable, Mapping
from types import ModuleType

__all__ = ["alias", "moved_names", "warn_moved"]


def warn_moved(old: str, new: str, *, stacklevel: int = 3) -> None:
    """Warn that ``old`` moved to ``new`` (blaming, by default, the shim's importer)."""
    warnings.warn(
        f"{old} is deprecated and will be removed in the next release; use {new}",
        DeprecationWarning,
        stacklevel=stacklevel,  # the import machinery's own frames are skipped
    )


def alias(old: str, new: str) -> ModuleType:
    """Make the module being imported as ``old`` an alias of ``new``, with a warning."""
    warn_moved(old, new, stacklevel=4)
    module = importlib.import_module(new)
    sys.modules[old] = module  # the import system hands out what sys.modules holds
    return module


def moved_names(
    module: str, moved: Mapping[str, str], submodules: frozenset[str] = frozenset()
) -> Callable[[str], object]:
    """The module-level ``__getattr__`` of ``module``, whose names in ``moved``
    (old name -> the module that holds it now) moved.

    The object is not stored at the old path, so every use warns (the warnings
    filters decide what is shown), blaming the code that named the old path.
    ``submodules`` of a package stay attributes, imported on first access, as
    when the package imported them; any other name is an AttributeError, as
    without ``__getattr__``.
    """

    def __getattr__(name: str) -> object:
        new = moved.get(name)
        if new is None:
            if name in submodules:
                return importlib.import_module(f"{module}.{name}")
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        warn_moved(f"{module}.{name}", f"{new}.{name}")  # past this frame: the user's
        return getattr(importlib.import_module(new), name)

    return __getattr__
