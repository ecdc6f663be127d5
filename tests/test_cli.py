"""The `pouw` command: run as a real subprocess of the installed entry point."""

from __future__ import annotations

import json
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
def test_node_json_report(mode, workers):
    args = ["node", str(CONFIG / f"pouw-{mode}.toml"), "--intents", "60", "--seed", "1", "--json"]
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
