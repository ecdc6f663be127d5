"""``pouw submit``, ``pouw jobs --json``, ``pouw worker``'s token and ``pouw node
--listen`` against a live node process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time

import httpx

from remote_support import TOKENS, NodeProcess, pouw_cmd, start_worker, write_config


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
        assert node.stop(signal.SIGTERM) == 0  # a clean shutdown on SIGTERM too


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_bare_listen_serves_on_the_configs_address(tmp_path):
    cfg = write_config(tmp_path)
    port = free_port()
    cfg.write_text(
        cfg.read_text().replace(
            "[server.tokens]", f'[server]\nlisten = "127.0.0.1:{port}"\n[server.tokens]'
        )
    )
    node = NodeProcess(cfg, listen="")  # `--listen` with no value
    try:
        assert node.url == f"http://127.0.0.1:{port}"
        assert json.loads(run("jobs", "--url", node.url, "--json").stdout)["jobs"] == []
    finally:
        assert node.stop(signal.SIGINT) == 0


def test_listen_flag_overrides_the_configs_address(tmp_path):
    cfg = write_config(tmp_path)
    cfg.write_text(
        cfg.read_text().replace(
            "[server.tokens]", '[server]\nlisten = "127.0.0.1:9"\n[server.tokens]'
        )
    )
    node = NodeProcess(cfg)  # --listen 127.0.0.1:0
    try:
        assert not node.url.endswith(":9")
    finally:
        assert node.stop(signal.SIGINT) == 0


def test_worker_takes_its_token_from_the_environment(tmp_path):
    # POUW_TOKEN keeps the token out of the process list (argv is world-readable)
    node = NodeProcess(write_config(tmp_path), "--intents", "2")
    cmd = [*pouw_cmd(), "worker", "--url", node.url, "--exit-when-idle"]
    try:
        env = dict(os.environ, POUW_TOKEN=TOKENS["w1"])
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout.splitlines()[-1])["worker"]["completed"] == 2
        env.pop("POUW_TOKEN")
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and "POUW_TOKEN" in r.stderr and "Traceback" not in r.stderr
    finally:
        assert node.stop(signal.SIGINT) == 0


def test_worker_capability_flags_are_checked_before_it_starts():
    for flags, word in (
        (["--zk-modes", "plonk"], "zk_modes"),
        (["--tiers", "huge"], "tiers"),
        (["--min-units", "9", "--max-units", "3"], "max_units"),
    ):
        r = run("worker", "--url", "http://127.0.0.1:9", "--token", "t", *flags)
        assert r.returncode != 0 and word in r.stderr and "Traceback" not in r.stderr, flags
    r = run("worker", "--url", "http://127.0.0.1:9", "--token", "t", "--device", "tpu")
    assert r.returncode == 2 and "--device" in r.stderr  # argparse's own choice check


def test_a_gpu_worker_declares_itself_and_takes_the_jobs_it_is_configured_for(tmp_path):
    node = NodeProcess(write_config(tmp_path), "--intents", "6")
    try:
        # a worker of Micro jobs only takes nothing from this Macro node
        idle = start_worker(node.url, "w2", "--tiers", "micro")
        time.sleep(1.0)
        gpu = start_worker(
            node.url, "w1", "--exit-when-idle", "--device", "gpu", "--tiers", "macro,full",
            "--zk-modes", "mock", "--min-units", "1",
        )  # fmt: skip
        assert gpu.wait(60) == 0, gpu.stderr.read()
        stats = httpx.get(f"{node.url}/pouw/stats").json()
        assert stats["stats"]["completed_count"] == 6
        assert stats["workers"]["w1"]["completed"] == 6 and "w2" not in stats["workers"]
        assert stats["worker_devices"] == {"w1": "gpu", "w2": "cpu"}
        idle.send_signal(signal.SIGINT)
        assert idle.wait(20) == 0
        assert json.loads(idle.stdout.read()) == {"worker": {}}  # it proved nothing
    finally:
        node.stop(signal.SIGINT)


def test_jobs_stats_reports_latency_percentiles_per_tier_and_worker(tmp_path):
    node = NodeProcess(write_config(tmp_path), "--intents", "8")
    try:
        w = start_worker(node.url, "w1", "--exit-when-idle", delay_ms=30)
        assert w.wait(60) == 0, w.stderr.read()
        r = run("jobs", "stats", "--url", node.url, "--json")
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)
        macro = got["tiers"]["macro"]
        assert macro["completed"] == 8 and got["workers"]["w1"]["completed"] == 8
        # the worker's 30 ms of proving is in the history (reported with each submission)
        assert 30 <= macro["proving_ms"]["p50"] <= macro["end_to_end_ms"]["p50"]
        assert macro["queue_wait_ms"]["p99"] is not None
        text = run("jobs", "stats", "--url", node.url, "--window", "60").stdout
        assert "tier macro" in text and "worker w1" in text
        bad = httpx.get(f"{node.url}/pouw/stats", params={"window_s": "0"})
        assert bad.status_code == 400
        assert run("jobs", "stats", "--url", node.url, "--window", "0").returncode == 2
    finally:
        node.stop(signal.SIGINT)
