"""The layer rule of DESIGN.md ("Packages and what each may import"), checked:
zk never imports the prover, queue, node, store or job layers above it.

Two checks, each with a twin showing it can fail: the import statements of the
installed sources (anywhere in a file, function bodies included), and what a
fresh interpreter has loaded after importing every zk module."""

from __future__ import annotations

import ast
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import pouw
import pouw.zk

#: Package -> the packages it must never import (the layers above it).
FORBIDDEN = {
    "pouw.zk": ("pouw.prover", "pouw.queue", "pouw.node", "pouw.store", "pouw.job"),
}

#: Deprecated modules that forward a moved name to its new, higher layer when the
#: old name is used (pouw._moved.moved_names): the module names they may forward to,
#: never by an import statement.  Both go in the next release.
FORWARDERS = {
    "pouw.zk.groth16": {"pouw.prover.groth16"},
    "pouw.zk.groth16.circuit_prover": {"pouw.prover.groth16", "pouw.zk.groth16.proof_encoding"},
}


def _modules(package: str) -> dict[str, Path]:
    """Every module of ``package`` (its installed sources) by dotted name."""
    root = Path(pouw.__file__).resolve().parent.parent
    base = root.joinpath(*package.split("."))
    found = {}
    for path in sorted(base.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(module: str, path: Path) -> set[str]:
    """The absolute names of the modules ``path`` imports (``from a import b``
    also names ``a.b``, which may be a module)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{node.module}" if node.module else parent
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def _strings(path: Path) -> set[str]:
    return {
        node.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def _above(name: str, forbidden: tuple[str, ...]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


@pytest.mark.parametrize("package", FORBIDDEN)
def test_no_import_statement_reaches_a_higher_layer(package):
    modules = _modules(package)
    assert len(modules) > 20  # the walk found the sources
    bad = {
        module: sorted(n for n in _imports(module, path) if _above(n, FORBIDDEN[package]))
        for module, path in modules.items()
    }
    assert not {m: names for m, names in bad.items() if names}


@pytest.mark.parametrize("package", FORBIDDEN)
def test_only_the_listed_forwarders_name_a_higher_layer(package):
    # a deprecated forwarder names its target as a string; any other module of
    # the package that names a higher module is a hidden import (importlib)
    named = {
        module: {s for s in _strings(path) if _above(s, FORBIDDEN[package])}
        for module, path in _modules(package).items()
    }
    assert {m: s for m, s in named.items() if s} == {
        m: {t for t in targets if _above(t, FORBIDDEN[package])}
        for m, targets in FORWARDERS.items()
        if m.startswith(package)
    }


def test_the_import_check_sees_relative_and_nested_imports(tmp_path):
    source = tmp_path / "circuit_prover.py"
    source.write_text("def f():\n    from ...prover.base import JobProofs\n")
    assert "pouw.prover.base" in _imports("pouw.zk.groth16.circuit_prover", source)
    assert _above("pouw.prover.base", FORBIDDEN["pouw.zk"]) and not _above(
        "pouw.prover_x", ("pouw.prover",)
    )


def _loaded_after(code: str) -> set[str]:
    root = str(Path(pouw.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    res = subprocess.run(
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return set(json.loads(res.stdout.splitlines()[-1]))


def test_importing_every_zk_module_loads_no_higher_layer():
    names = [m.name for m in pkgutil.walk_packages(pouw.zk.__path__, "pouw.zk.")]
    assert {"pouw.zk.groth16.circuit_prover", "pouw.zk.points"} <= set(names)
    loaded = _loaded_after(
        "import importlib\n" + "".join(f"importlib.import_module({n!r})\n" for n in names)
    )
    assert set(names) <= loaded
    assert not {m for m in loaded if _above(m, FORBIDDEN["pouw.zk"])}


def test_using_a_deprecated_name_is_what_loads_the_prover_layer():
    loaded = _loaded_after("import pouw.zk.groth16\npouw.zk.groth16.Groth16Prover")
    assert "pouw.prover.groth16" in loaded
