"""Kernels import only C and numpy (DESIGN.md, "Packages and what each may import").

Every ``.pyx`` and ``.pxd`` of ``src/pouw/_native`` is read as text: a ``cimport``
may name ``cython``, ``libc``, ``cpython``, ``posix``, ``numpy`` or the package's
own ``_native`` modules; a Python ``import`` only ``numpy``, ``cython`` or those
same modules. A pouw layer (``pouw.errors``), another package (``blake3``) or
the standard library (``threading``) fails the test: raise built-ins or return
codes and let the typed face one layer up map them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

NATIVE = Path(__file__).resolve().parents[2] / "src" / "pouw" / "_native"

CIMPORT_ROOTS = {"cython", "libc", "cpython", "posix", "numpy"}
IMPORT_ROOTS = {"cython", "numpy"}
OWN = "pouw._native"

_STRINGS = re.compile(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'')
_FROM = re.compile(r"^\s*from\s+([\w.]+)\s+(cimport|import)\b")
_PLAIN = re.compile(r"^\s*(cimport|import)\s+(.+)$")


def _allowed(module: str, kind: str) -> bool:
    if module.startswith(".") or module == OWN or module.startswith(OWN + "."):
        return True
    roots = CIMPORT_ROOTS if kind == "cimport" else IMPORT_ROOTS
    return module.split(".")[0] in roots


def violations(source: str) -> list[str]:
    """The import statements of a Cython source that a kernel may not have."""
    bad = []
    code = _STRINGS.sub(lambda m: "\n" * m.group().count("\n"), source)
    for line in code.splitlines():
        line = line.split("#", 1)[0].rstrip()
        if "__import__" in line or "importlib" in line:
            bad.append(line.strip())
            continue
        if m := _FROM.match(line):
            if not _allowed(m.group(1), m.group(2)):
                bad.append(line.strip())
        elif m := _PLAIN.match(line):
            for part in m.group(2).split(","):
                module = part.split(" as ")[0].strip()
                if not _allowed(module, m.group(1)):
                    bad.append(line.strip())
    return bad


def kernel_sources() -> list[Path]:
    files = sorted([*NATIVE.glob("*.pyx"), *NATIVE.glob("*.pxd")])
    assert len(files) >= 10, f"no kernel sources under {NATIVE}"
    return files


@pytest.mark.parametrize("path", kernel_sources(), ids=lambda p: p.name)
def test_kernel_imports_only_c_numpy_and_itself(path):
    assert violations(path.read_text()) == [], f"{path.name} imports above the kernel layer"


@pytest.mark.parametrize(
    "line",
    [
        "from pouw.errors import QueueFull",
        "from blake3 import blake3 as _blake3",
        "import threading",
        "import numpy as np, os",
        "from operator import index as _index",
        "    from pouw.trace import ExecutionTrace  # inside a function",
        "from pouw.queue cimport x",
        "cimport blake3",
        "mod = __import__('pouw.errors')",
    ],
)
def test_the_scan_rejects_other_imports(line):
    assert violations(line) == [line.split("  #")[0].strip()]


def test_the_scan_accepts_c_numpy_and_own_modules():
    source = '''
cimport cython
from libc.stdint cimport uint8_t, uint64_t
from cpython.mem cimport PyMem_Malloc
from posix.time cimport timespec
cimport numpy as cnp
from .pw_hash cimport (
    pw_leaf_hash,
)
from pouw._native.field cimport backend_code
import numpy as np
from . import field
"""A docstring may say: from pouw.errors import QueueFull."""
# import threading (a comment)
'''
    assert violations(source) == []
