"""The build flavours of setup.py and the CI steps that use them, read as text.

setup.py runs at build time only (it needs Cython), so these tests read it with
``ast``: the checks are about what each flavour compiles, not about a build.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SETUP = ast.parse((REPO / "setup.py").read_text())


def assigned(name: str) -> ast.expr:
    for node in ast.walk(SETUP):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                assert node.value is not None
                return node.value
    raise AssertionError(f"setup.py assigns no {name}")


def test_cdivision_is_the_same_in_every_flavour():
    directives = assigned("directives")
    assert isinstance(directives, ast.Dict)
    values = {
        ast.literal_eval(k): v for k, v in zip(directives.keys, directives.values, strict=True) if k
    }
    # a constant, not `not DEBUG`: a debug build must divide like the release it tests
    assert isinstance(values["cdivision"], ast.Constant) and values["cdivision"].value is True
    for check in ("boundscheck", "wraparound", "initializedcheck"):  # these do flip
        assert isinstance(values[check], ast.Name) and values[check].id == "DEBUG"


def test_sanitize_flavour_flags_and_its_own_build_tree():
    assert ast.literal_eval(assigned("SANITIZE_FLAGS")) == [
        "-fsanitize=address,undefined",
        "-fno-omit-frame-pointer",
        "-fno-sanitize-recover=undefined",
    ]
    text = (REPO / "setup.py").read_text()
    assert 'os.environ.get("POUW_SANITIZE"' in text
    assert "link_args += SANITIZE_FLAGS" in text and "extra_link_args=link_args" in text
    assert '("sanitize", SANITIZE)' in text and 'FLAVOUR or "release"' in text


def test_ci_runs_the_sanitizer_step_after_the_suite():
    run = (REPO / ".ci" / "run").read_text().splitlines()
    suite = next(i for i, line in enumerate(run) if line.endswith(".venv/bin/python -m pytest"))
    assert "bash .ci/sanitize" in run[suite + 1 :]
    script = (REPO / ".ci" / "sanitize").read_text()
    assert "POUW_SANITIZE=1" in script and "LD_PRELOAD" in script
    assert "detect_leaks=0" in script and "tests/native" in script
    assert "sanitize:" in (REPO / "Makefile").read_text()


def test_no_test_skips_when_the_compiled_core_is_missing():
    """The core is required (STYLE.md): a missing extension or CLI hook fails tests,
    it never skips them. Skips for optional tools (Node.js, a CPU feature) stay."""
    bad = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        if path.resolve() == Path(__file__).resolve():
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if "importorskip(" in code and "pouw" in code:
                bad.append(f"{path.name}:{n}: {line.strip()}")
            if ("skipif(" in code or "skip(" in code) and ("_native" in code or "hook" in code):
                bad.append(f"{path.name}:{n}: {line.strip()}")
    assert bad == []
