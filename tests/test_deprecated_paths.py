"""The old import paths of moved modules: each still works for one release, warns
with a ``DeprecationWarning`` that names the new path, and is the new module
itself (so a patched attribute reaches the code that reads it)."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pouw

SERVER_EXTRA = ("starlette", "uvicorn", "httpx")

#: old path -> new path
ALIASES = {
    "pouw.zk.cli": "pouw.cli.groth16",
    "pouw.cli_remote": "pouw.cli.remote",
    "pouw.remote_worker": "pouw.remote.worker",
    **{f"pouw.server.{m}": f"pouw.remote.{m}" for m in ("app", "auth", "bodies", "client")},
    **{f"pouw.server.{m}": f"pouw.remote.{m}" for m in ("errors", "limits", "metrics", "openapi")},
    "pouw.server.run": "pouw.remote.serving",
}


def _needs_server_extra(path: str) -> None:
    if path.startswith(("pouw.server", "pouw.remote")):
        for name in SERVER_EXTRA:
            pytest.importorskip(name)


def _import_afresh(old: str) -> object:
    """Import ``old`` as a first import would, recording its warnings."""
    for name in [n for n in sys.modules if n == old or n == "pouw.server"]:
        del sys.modules[name]
    with pytest.warns(DeprecationWarning) as caught:
        module = importlib.import_module(old)
    return module, [str(w.message) for w in caught]


@pytest.mark.parametrize("old, new", ALIASES.items())
def test_an_old_module_path_warns_and_is_the_new_module(old, new):
    _needs_server_extra(new)
    module, messages = _import_afresh(old)
    assert module is importlib.import_module(new)
    assert any(old in m and new in m for m in messages), messages
    assert sys.modules[old] is module


def test_the_warning_blames_the_importer_not_the_shim():
    with pytest.warns(DeprecationWarning) as caught:
        for name in [n for n in sys.modules if n == "pouw.cli_remote"]:
            del sys.modules[name]
        import pouw.cli_remote  # noqa: F401
    assert caught[0].filename == __file__


def test_a_patched_attribute_of_an_old_path_reaches_the_new_module(monkeypatch):
    _needs_server_extra("pouw.remote")
    old, _ = _import_afresh("pouw.remote_worker")
    sentinel = object()
    monkeypatch.setattr("pouw.remote_worker.NodeClient", sentinel)
    assert importlib.import_module("pouw.remote.worker").NodeClient is sentinel
    assert old.RemoteWorker is importlib.import_module("pouw.remote").RemoteWorker


def test_the_old_server_package_reexports_create_app_and_serve():
    _needs_server_extra("pouw.server")
    module, messages = _import_afresh("pouw.server")
    from pouw.remote import create_app, serve

    assert module.create_app is create_app and module.serve is serve
    assert any("pouw.remote" in m for m in messages)


def test_parse_listen_moved_to_the_node_config():
    from pouw.node.config import parse_listen

    module, messages = _import_afresh("pouw.server_address")
    assert module.parse_listen is parse_listen
    assert any("pouw.node.config" in m for m in messages)


def test_the_new_paths_do_not_warn():
    code = (
        "import warnings; warnings.simplefilter('error')\n"
        "import pouw.cli, pouw.cli.node, pouw.cli.groth16, pouw.cli.remote, pouw.node.config\n"
    )
    _run_python("-c", code)


def test_python_m_of_the_old_groth16_module_still_runs_the_command():
    res = _run_python("-m", "pouw.zk.cli", "groth16", "--help")
    assert "prove" in res.stdout and "DeprecationWarning" in res.stderr


def test_python_m_pouw_cli_runs_the_command_line():
    assert _run_python("-m", "pouw.cli", "--version").stdout == f"pouw {pouw.__version__}\n"


def _run_python(*argv: str) -> subprocess.CompletedProcess[str]:
    root = str(Path(pouw.__file__).resolve().parents[1])
    res = subprocess.run(
        [sys.executable, "-W", "default::DeprecationWarning", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": root},
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    return res
