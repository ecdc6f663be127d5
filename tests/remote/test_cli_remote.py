"""``pouw submit`` and ``pouw jobs --json`` against a live node process."""

from __future__ import annotations

import json
import signal
import subprocess

from remote_support import NodeProcess, pouw_cmd, start_worker, write_config


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*pouw_cmd(), *args], capture_output=True, text=True, timeout=60)


def test_submit_then_jobs_json(tmp_path):
    node = NodeProcess(write_config(tmp_path))  # --listen without --intents: none of its own
    try:
        out = json.loads(run("jobs", "--url", node.url, "--json").stdout)
        assert out["jobs"] == [] and out["stats"]["pending_count"] == 0
        r = run("submit", "--url", node.url, "--intents", "12", "--accounts", "64")
        assert r.returncode == 0 and json.loads(r.stdout) == {"submitted": 12}
        w = start_worker(node.url, "w1", "--exit-when-idle")
        assert w.wait(60) == 0
        out = json.loads(run("jobs", "--url", node.url, "--json").stdout)
        stats = out["stats"]
        for key in (
            "pending_count",
            "in_progress_count",
            "completed_count",
            "failed_count",
            "expired_count",
        ):
            assert key in stats
        assert stats["completed_count"] == 12 and len(out["jobs"]) == 12
        assert all(j["status"] == "completed" and j["job_id"] for j in out["jobs"])
        table = run("jobs", "--url", node.url).stdout
        assert "completed 12" in table and "w1" in table
        r = run("submit", "--url", node.url + "/nowhere", "--intents", "1")
        assert r.returncode == 2 and "Traceback" not in r.stderr  # refused: a user error
    finally:
        node.stop(signal.SIGTERM)
