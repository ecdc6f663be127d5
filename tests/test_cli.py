"""The `pouw` command: run as a real subprocess of the installed entry point."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pouw

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config"


def pouw_cmd(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("pouw")
    cmd = [exe] if exe else [sys.executable, "-m", "pouw"]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=300)


def test_version_and_help():
    r = pouw_cmd("--version")
    assert r.returncode == 0 and pouw.__version__ in r.stdout
    r = pouw_cmd("--help")
    assert r.returncode == 0 and "node" in r.stdout
    r = pouw_cmd("node", "--help")
    assert r.returncode == 0 and "--intents" in r.stdout and "--json" in r.stdout


@pytest.mark.parametrize(
    "mode, workers", [("disabled", None), ("local", "0"), ("local", "2"), ("remote", None)]
)
def test_node_json_report(mode, workers, tmp_path):
    args = ["node", str(CONFIG / f"pouw-{mode}.toml"), "--intents", "60", "--seed", "1", "--json"]
    if mode == "remote":  # the shipped config's SQLite file lives beside it: not in tests
        args += ["--db", str(tmp_path / "remote.sqlite3")]
    if workers is not None:
        args += ["--workers", workers]
    r = pouw_cmd(*args)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    for key in (
        "mode",
        "zk_mode",
        "intents",
        "ledger_entries",
        "entries_with_job_ids",
        "jobs",
        "proofs_verified",
        "elapsed_s",
        "intents_per_s",
    ):
        assert key in report
    assert report["mode"] == mode and report["zk_mode"] == "mock"
    assert report["intents"] == 60 and report["ledger_entries"] == 60
    jobs = report["jobs"]
    assert set(jobs) == {"pending", "in_progress", "completed", "failed", "expired"}
    if mode == "disabled":
        assert report["entries_with_job_ids"] == 0 and sum(jobs.values()) == 0
    elif mode == "local":
        assert jobs["completed"] == 60 and report["proofs_verified"] == 60
        assert report["entries_with_job_ids"] == 60
    else:
        assert jobs["pending"] == 60 and "note" in report
        assert report["entries_with_job_ids"] == 60


def test_human_report():
    r = pouw_cmd("node", str(CONFIG / "pouw-local.toml"), "--intents", "10")
    assert r.returncode == 0, r.stderr
    assert "proofs verified" in r.stdout and "intents/s" in r.stdout


def test_user_errors_exit_nonzero_without_traceback(tmp_path):
    r = pouw_cmd("node", str(tmp_path / "nope.toml"))
    assert r.returncode == 2 and "not found" in r.stderr and "Traceback" not in r.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('pouw_mode = "sideways"\n')
    r = pouw_cmd("node", str(bad))
    assert r.returncode == 2 and "pouw_mode" in r.stderr and "Traceback" not in r.stderr
    r = pouw_cmd("node", str(CONFIG / "pouw-local.toml"), "--intents", "-3")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = pouw_cmd()
    assert r.returncode == 2


def test_remote_batch_run_persists_and_a_rerun_goes_on(tmp_path):
    db = str(tmp_path / "r.sqlite3")
    base = ["node", str(CONFIG / "pouw-remote.toml"), "--seed", "1", "--json", "--db", db]
    first = json.loads(pouw_cmd(*base, "--intents", "20").stdout)
    assert first["jobs"]["pending"] == 20 and db in first["note"]
    # another seed: the same seed on the restored state may draw an intent the node
    # already holds (a failed one, whose nonce did not move), which it takes once
    again = pouw_cmd(*base[:2], "--seed", "2", "--json", "--db", db, "--intents", "5")
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert second["ledger_entries"] == 25 and second["jobs"]["pending"] == 25


def test_token_new_stores_only_the_hash(tmp_path):
    cfg = tmp_path / "n.toml"
    cfg.write_text((CONFIG / "pouw-remote.toml").read_text())
    r = pouw_cmd("token", "new", "--worker", "alice", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    token = r.stdout.splitlines()[-1]  # alone on the last line, printed once
    assert re.fullmatch(r"pouw_[A-Za-z0-9_-]{43}", token) and r.stdout.endswith(token + "\n")
    assert r.stdout.count(token) == 1 and token not in r.stderr
    assert token not in cfg.read_text() and token[5:] not in cfg.read_text()
    from pouw.node import NodeConfig
    from pouw.remote.auth import TokenChecker, hash_token

    conf = NodeConfig.from_toml(cfg)
    assert dict(conf.tokens)["alice"] == hash_token(token)
    assert TokenChecker(conf.tokens).worker_for(f"Bearer {token}") == "alice"
    assert TokenChecker(conf.tokens).worker_for(f"Bearer {token}x") is None
    r2 = pouw_cmd("token", "new", "--worker", "alice", "--config", str(cfg))  # rotates
    assert dict(NodeConfig.from_toml(cfg).tokens)["alice"] == hash_token(r2.stdout.split()[-1])


def test_token_new_rejects_bad_worker_ids_and_missing_configs(tmp_path):
    cfg = tmp_path / "n.toml"
    cfg.write_text("")
    r = pouw_cmd("token", "new", "--worker", "bad id!", "--config", str(cfg))
    assert r.returncode == 2 and "Traceback" not in r.stderr and cfg.read_text() == ""
    r = pouw_cmd("token", "new", "--worker", "a", "--config", str(tmp_path / "none.toml"))
    assert r.returncode == 2 and "not found" in r.stderr


def test_remote_commands_help():
    for cmd, flags in (
        ("worker", ("--url", "--token", "--concurrency", "--exit-when-idle")),
        ("submit", ("--url", "--intents")),
        ("jobs", ("--url", "--json")),
        ("node", ("--listen", "--db")),
    ):
        r = pouw_cmd(cmd, "--help")
        assert r.returncode == 0 and all(f in r.stdout for f in flags)


def test_unreachable_node_is_a_user_error():
    r = pouw_cmd("jobs", "--url", "http://127.0.0.1:9")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_ci_installs_the_server_extra_so_the_remote_tests_run():
    # .ci/run installs '.[dev]'; the dev extra must carry every server dependency,
    # or tests/remote would be skipped in CI (their conftest skips without them)
    import tomllib

    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert "'.[dev]'" in (REPO / ".ci" / "run").read_text()
    assert set(extras["server"]) <= set(extras["dev"])
    names = {d.split(">")[0].split("=")[0].split("[")[0] for d in extras["server"]}
    assert {"starlette", "uvicorn", "httpx"} <= names


def test_a_closed_stdout_is_not_an_error(tmp_path):
    """`pouw ... | head`: the reader leaving early is a quiet exit 0, not a
    'Broken pipe' error; the same run with a reader prints its report."""
    env = dict(os.environ, PYTHONPATH=str(Path(pouw.__file__).parents[1]))
    cmd = [
        sys.executable,
        "-m",
        "pouw",
        "node",
        str(CONFIG / "pouw-disabled.toml"),
        "--intents",
        "5",
    ]
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write now fails with EPIPE
    try:
        res = subprocess.run(cmd, stdout=write_end, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    finally:
        os.close(write_end)
    assert res.returncode == 0, res.stderr
    assert b"Broken pipe" not in res.stderr
    ok = subprocess.run(cmd, capture_output=True, env=env, cwd=tmp_path)
    assert ok.returncode == 0 and b"intents" in ok.stdout


def test_node_waits_for_its_local_jobs_once(monkeypatch, capsys):
    # the batch run waited twice (once inside the timing, once after it)
    from pouw.cli import main
    from pouw.node import NodeContext

    calls = []
    real = NodeContext.wait_for_local_jobs

    def counted(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(NodeContext, "wait_for_local_jobs", counted)
    assert main(["node", str(CONFIG / "pouw-local.toml"), "--intents", "5", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["jobs"]["completed"] == 5 and len(calls) == 1


@pytest.mark.parametrize("workers", ["1025", "100000"])
def test_workers_flag_has_the_bound_of_workers_count(workers):
    r = pouw_cmd("node", str(CONFIG / "pouw-local.toml"), "--intents", "1", "--workers", workers)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.count("\n") == 1 and "--workers" in r.stderr and "1024" in r.stderr
    assert r.stdout == ""


@pytest.mark.parametrize(
    "raw",
    [
        'pouw_mode = "local"\n# caf\xe9\n'.encode("latin-1"),
        'pouw_mode = "local"\n'.encode("utf-16"),  # with its byte order mark
    ],
    ids=["latin-1", "utf-16"],
)
def test_a_config_that_is_not_utf8_is_a_one_line_error(tmp_path, raw):
    from pouw import ConfigError
    from pouw.node import NodeConfig

    cfg = tmp_path / "n.toml"
    cfg.write_bytes(raw)
    with pytest.raises(ConfigError, match="not UTF-8"):
        NodeConfig.from_toml(cfg)
    for args in (["node", str(cfg)], ["token", "new", "--worker", "a", "--config", str(cfg)]):
        r = pouw_cmd(*args)
        assert r.returncode == 2 and "Traceback" not in r.stderr, args
        assert r.stderr.count("\n") == 1 and "not UTF-8" in r.stderr, args
    assert cfg.read_bytes() == raw  # token new left the file alone
