"""Start-up cost: what ``import pouw``, ``import pouw.zk`` and the ``pouw`` command
line load before anything is used.

The packages re-export their names lazily (PEP 562): each check runs a clean
interpreter in a subprocess and reads its ``sys.modules``, with a twin showing
that using the name does load the module (so the check can fail)."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

import pouw
import pouw.prover
import pouw.zk
import pouw.zk.formats

PACKAGES = [pouw, pouw.zk, pouw.zk.formats, pouw.prover]


def _env() -> dict[str, str]:
    """This test's pouw first on the child's path (a relative PYTHONPATH may not hold)."""
    root = str(Path(pouw.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}


def _loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    probe = textwrap.dedent(code) + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    res = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=_env(), check=True
    )
    return set(json.loads(res.stdout.splitlines()[-1]))


def test_import_pouw_loads_neither_the_zk_layer_nor_the_job_layer():
    loaded = _loaded_after("import pouw")
    assert not {"pouw.zk", "pouw.job", "pouw.queue", "numpy"} & loaded


def test_using_a_pouw_name_loads_its_module():
    loaded = _loaded_after("import pouw\npouw.JobQueue")
    assert {"pouw.queue", "pouw.queue.memory"} <= loaded
    assert "pouw.zk" not in loaded


def test_import_pouw_zk_defers_the_constraint_system():
    loaded = _loaded_after("import pouw.zk")
    deferred = {"pouw.zk.constraint_system", "pouw.zk.pairing", "pouw.zk.ntt", "pouw.zk.field"}
    assert not (deferred | {"pouw.zk.points", "pouw.zk.groth16", "numpy"}) & loaded


def test_using_a_pouw_zk_name_loads_its_module():
    loaded = _loaded_after("import pouw.zk\npouw.zk.ConstraintSystem")
    assert "pouw.zk.constraint_system" in loaded
    assert "pouw.zk.pairing" not in loaded  # only what that name needs


def test_import_pouw_prover_defers_the_groth16_stack():
    loaded = _loaded_after("import pouw.prover\npouw.prover.MockProver")
    assert not {"pouw.prover.groth16", "pouw.zk", "numpy"} & loaded


def test_using_groth16_prover_loads_it():
    loaded = _loaded_after("import pouw.prover\npouw.prover.Groth16Prover")
    assert {"pouw.prover.groth16", "pouw.zk.groth16"} <= loaded


@pytest.mark.parametrize("module", ["points", "msm", "curve_encoding"])
def test_the_modules_behind_pouw_zk_curve_do_not_import_it(module):
    # pouw.zk.curve re-exports from these: importing it back would be a cycle
    loaded = _loaded_after(f"import pouw.zk.{module}")
    assert f"pouw.zk.{module}" in loaded and "pouw.zk.curve" not in loaded


def test_formats_load_only_the_reader_asked_for():
    loaded = _loaded_after("from pouw.zk.formats import read_wtns")
    assert "pouw.zk.formats.wtns" in loaded
    assert not {"pouw.zk.formats.solidity", "pouw.zk.formats.zkey_writer"} & loaded


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_every_public_name_resolves_and_is_listed(package):
    for name in package.__all__:
        assert getattr(package, name) is not None
        assert name in dir(package)
    namespace: dict[str, object] = {}
    exec(f"from {package.__name__} import *", namespace)
    assert set(package.__all__) <= set(namespace)


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_an_unknown_name_is_still_an_attribute_error(package):
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        package.no_such_name  # noqa: B018
    with pytest.raises(ImportError):
        exec(f"from {package.__name__} import no_such_name", {})


def test_submodules_the_eager_init_loaded_stay_attributes():
    names = "pouw.queue, pouw.zk.curve, pouw.zk.formats.binfile"
    loaded = _loaded_after(f"import pouw.zk.formats\nprint({names})")
    assert {"pouw.queue", "pouw.zk.curve", "pouw.zk.formats.binfile"} <= loaded


#: Orders of first use: the package attributes ntt and pairing are the modules
#: whichever comes first (the import system binds a loaded submodule onto its
#: package, which hid a lazily re-exported function of the same name before).
FIRST_USES = {
    "attribute": "import pouw.zk\npouw.zk.pairing.pairing_check\npouw.zk.ntt.ntt",
    "import as": "import pouw.zk.pairing as P\nimport pouw.zk.ntt as N\nP.pairing_check\nN.ntt",
    "lazy names": "from pouw.zk import pairing_check, ntt_inplace\nimport pouw.zk",
    "functions": "from pouw.zk.pairing import pairing\nfrom pouw.zk.ntt import ntt\nimport pouw.zk",
}


@pytest.mark.parametrize("first", FIRST_USES.values(), ids=FIRST_USES.keys())
def test_ntt_and_pairing_are_the_modules_whatever_is_used_first(first):
    _loaded_after(
        f"""
        {textwrap.indent(first, " " * 8).strip()}
        import sys
        import pouw.zk
        from pouw.zk import ntt_inplace, pairing_check
        from pouw.zk.ntt import ntt
        from pouw.zk.pairing import pairing
        for name in ("ntt", "pairing"):
            assert getattr(pouw.zk, name) is sys.modules["pouw.zk." + name], name
        assert pouw.zk.pairing.pairing is pairing and pouw.zk.ntt.ntt is ntt
        assert pouw.zk.pairing.pairing_check is pairing_check
        assert pouw.zk.ntt.ntt_inplace is ntt_inplace
        assert callable(pairing) and callable(ntt)
        """
    )  # a failed assert in the child makes _loaded_after raise


POSEIDON_FIRST_USES = {
    "attribute": "import pouw.zk\npouw.zk.poseidon.poseidon",
    "lazy name": "from pouw.zk import poseidon_batch\nimport pouw.zk",
    "function": "from pouw.zk.poseidon import poseidon\nimport pouw.zk",
}


@pytest.mark.parametrize("first", POSEIDON_FIRST_USES.values(), ids=POSEIDON_FIRST_USES.keys())
def test_poseidon_is_the_module_whatever_is_used_first(first):
    _loaded_after(
        f"""
        {textwrap.indent(first, " " * 8).strip()}
        import sys
        import pouw.zk
        from pouw.zk import poseidon_batch
        from pouw.zk.poseidon import poseidon
        assert pouw.zk.poseidon is sys.modules["pouw.zk.poseidon"]
        assert pouw.zk.poseidon.poseidon is poseidon and callable(poseidon)
        assert pouw.zk.poseidon.poseidon_batch is poseidon_batch
        """
    )  # a failed assert in the child makes _loaded_after raise


def test_import_pouw_zk_defers_poseidon():
    assert not {"pouw.zk.poseidon", "pouw.zk.poseidon_params"} & _loaded_after("import pouw.zk")


def test_the_pairing_module_loads_on_first_use_of_the_attribute():
    loaded = _loaded_after("import pouw.zk\npouw.zk.pairing.pairing_check")
    assert "pouw.zk.pairing" in loaded
    assert not {"pouw.zk.ntt", "pouw.zk.constraint_system"} & loaded


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_no_lazy_name_is_a_submodule_name(package):
    # a name that is also a submodule's would be replaced by the module as soon
    # as anything imported it: pouw.zk.ntt and pouw.zk.pairing were both
    submodules = {m.name for m in pkgutil.iter_modules(package.__path__)}
    assert not (set(package._LAZY) | set(package.__all__)) & submodules
    assert submodules >= package._SUBMODULES  # each attribute-only entry exists
    for name in package._SUBMODULES:
        assert isinstance(getattr(package, name), types.ModuleType), name


def test_pouw_node_builds_no_other_command():
    loaded = _loaded_after("from pouw.cli import _build_parser\n_build_parser(['node', 'x.toml'])")
    assert not {"pouw.zk", "pouw.cli.groth16", "pouw.cli.remote", "pouw.remote"} & loaded


def test_pouw_without_a_command_builds_them_all():
    loaded = _loaded_after("from pouw.cli import _build_parser\n_build_parser([])")
    assert {"pouw.cli.groth16", "pouw.cli.remote"} <= loaded
    assert "numpy" not in loaded  # the groth16 parser alone does not need the zk kernels


def test_the_single_command_parser_parses_as_the_full_one():
    from pouw.cli import _build_parser

    argv = ["groth16", "prove", "k.zkey", "w.wtns", "p.json", "q.json", "--no-cache"]
    assert vars(_build_parser(argv).parse_args(argv)) == vars(_build_parser().parse_args(argv))


def test_version_and_help_are_unchanged():
    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pouw", *argv], capture_output=True, text=True, env=_env()
        )

    assert run("--version").stdout == f"pouw {pouw.__version__}\n"
    help_text = run("--help").stdout
    for command in ("node", "groth16", "token", "worker", "submit", "jobs"):
        assert f"    {command}" in help_text
    typo = run("nodee")
    assert typo.returncode == 2 and "'groth16'" in typo.stderr  # choices listed in full
