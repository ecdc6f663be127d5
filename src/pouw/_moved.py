"""Old import paths of moved modules, kept working for one release.

A shim at the old path calls :func:`alias`: the import warns
(``DeprecationWarning``) and the old name becomes the new module itself, not a
copy, so private names and attributes a caller patches (a test's
``monkeypatch.setattr("pouw.remote_worker.NodeClient", ...)``) reach the code
that reads them.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from types import ModuleType

__all__ = ["alias", "warn_moved"]


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
