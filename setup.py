"""Declares the compiled core; everything else lives in pyproject.toml.

Environment switches (read at build time):

* ``POUW_DEBUG=1``  -- bounds/wraparound checks on, ``-O0 -g``, C asserts kept.
* ``POUW_SANITIZE=1`` -- AddressSanitizer + UndefinedBehaviorSanitizer (``-O1 -g``,
  any UB aborts); a Python host needs ``LD_PRELOAD`` of libasan (``.ci/sanitize``
  runs the native tests so). Combines with ``POUW_DEBUG=1``.
* ``POUW_ONLY=ring,trace`` -- build only the named extensions (developer loop).

Each flavour builds in its own tree (``build/release``, ``build/debug``,
``build/sanitize``, ``build/debug-sanitize``).

No ``-march=native``: wheels must run on any x86-64 (or aarch64) machine, so
CPU-specific fast paths are compiled per function with target attributes and
chosen at run time.
"""

import os
import sys
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent
NATIVE = Path("src") / "pouw" / "_native"
DEBUG = os.environ.get("POUW_DEBUG", "") not in ("", "0")
SANITIZE = os.environ.get("POUW_SANITIZE", "") not in ("", "0")
FLAVOUR = "-".join(name for name, on in (("debug", DEBUG), ("sanitize", SANITIZE)) if on)
# One build tree per flavour (generated C, objects and libraries), so switching between
# flavours never reuses another's files.
BUILD_BASE = str(Path("build") / (FLAVOUR or "release"))
ONLY = {name for name in os.environ.get("POUW_ONLY", "").split(",") if name}

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    # C division in every flavour: with Python semantics a debug build would floor
    # negative quotients and raise ZeroDivisionError where release does neither, so
    # it would test other arithmetic than it ships. (UBSan catches a zero divisor.)
    "cdivision": True,
    "embedsignature": True,
    # Plain C method wrappers instead of Cython's function objects: ~20 ns less per
    # call on hot methods such as RingBuffer.try_push (signatures stay in docstrings).
    "binding": False,
    "freethreading_compatible": True,
}

SANITIZE_FLAGS = [
    "-fsanitize=address,undefined",
    "-fno-omit-frame-pointer",
    "-fno-sanitize-recover=undefined",
]

link_args: list[str] = []
if sys.platform == "win32":
    if SANITIZE:
        sys.exit("POUW_SANITIZE=1 needs gcc or clang")
    compile_args = ["/O2"] if not DEBUG else ["/Od", "/Zi"]
else:
    compile_args = ["-std=c11", "-fno-strict-aliasing", "-Wno-unused-function"]
    if DEBUG:
        compile_args += ["-O0", "-g", "-UNDEBUG"]
    else:
        compile_args += ["-O1", "-g"] if SANITIZE else ["-O3"]
    if SANITIZE:
        compile_args += SANITIZE_FLAGS
        link_args += SANITIZE_FLAGS

macros = [("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]


# Every header and .pxd: a change to any of them recompiles every extension
# (setuptools does not follow #include on its own).
DEPENDS = sorted(str(p) for p in [*NATIVE.glob("csrc/*.h"), *NATIVE.glob("*.pxd")])


def extension(pyx: Path) -> Extension:
    name = "pouw._native." + pyx.stem
    return Extension(
        name,
        sources=[str(pyx)],
        depends=DEPENDS,
        include_dirs=[str(NATIVE), str(NATIVE / "csrc"), numpy.get_include()],
        define_macros=macros,
        extra_compile_args=compile_args,
        extra_link_args=link_args,
        language="c",
    )


class BuildExt(build_ext):
    """``--inplace`` copies the flavour just built into ``src/``, always.

    setuptools copies only when the target is older than the built library, so
    after a debug build a release build that was up to date left the debug
    library in place.
    """

    def copy_extensions_to_source(self) -> None:
        force, self.force = self.force, True
        try:
            super().copy_extensions_to_source()
        finally:
            self.force = force


pyx_files = sorted((HERE / NATIVE).glob("*.pyx"))
extensions = [
    extension(p.relative_to(HERE)) for p in pyx_files if not ONLY or p.stem in ONLY
]

setup(
    cmdclass={"build_ext": BuildExt},
    options={"build": {"build_base": BUILD_BASE}},
    ext_modules=cythonize(
        extensions,
        compiler_directives=directives,
        include_path=[str(NATIVE)],
        # Generated C per build flavour: switching between release and debug
        # regenerates it with the right directives instead of reusing stale C.
        build_dir=str(Path(BUILD_BASE) / "cython"),
        annotate=False,
        gdb_debug=False,
    ),
)
