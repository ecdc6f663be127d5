"""The remote flow with real processes: ``pouw node --listen`` and ``pouw worker``
subprocesses on 127.0.0.1, a durable store, workers and the node killed."""

from __future__ import annotations

import signal
import socket
import sqlite3
import time

import httpx

from pouw.node import NodeConfig, NodeContext
from pouw.prover import MockProver
from remote_support import NodeProcess, start_worker, wait_for, write_config

N = 40


def stats(url: str) -> dict:
    return httpx.get(f"{url}/pouw/stats", timeout=10).json()


def check_ledger(config_path, n: int) -> None:
    # reopen the store as a restarted node would: every entry has its job id and proof
    ctx = NodeContext.from_config(NodeConfig.from_toml(config_path))
    try:
        assert len(ctx.ledger) == n
        verifier = MockProver()
        for entry in ctx.ledger.entries:
            (job_id,) = entry.meta.job_ids
            rec = ctx.job_queue.get(job_id)
            assert rec.proof == entry.meta.proof is not None
            assert verifier.verify_job(rec.job, rec.proof)
        assert ctx.job_queue.stats().completed_count == n
    finally:
        ctx.close()


def test_two_worker_processes_complete_every_job_once(tmp_path):
    cfg = write_config(tmp_path)
    node = NodeProcess(cfg, "--intents", str(N))
    try:
        workers = [
            start_worker(node.url, w, "--concurrency", "2", "--exit-when-idle")
            for w in ("w1", "w2")
        ]
        for w in workers:
            assert w.wait(60) == 0, w.stderr.read()
        s = stats(node.url)
        assert s["stats"]["completed_count"] == N and s["stats"]["pending_count"] == 0
        per_worker = s["workers"]
        assert sum(c["completed"] for c in per_worker.values()) == N  # each job once
        assert node.stop(signal.SIGINT) == 0  # clean shutdown
    finally:
        node.proc.kill()
        node.proc.wait(10)  # gone, with its hold on the store file
    check_ledger(cfg, N)


def test_worker_killed_mid_proof_job_is_reclaimed(tmp_path):
    cfg = write_config(tmp_path, lease_ms=500)
    node = NodeProcess(cfg, "--intents", "3")
    try:
        slow = start_worker(node.url, "w1", delay_ms=60_000)  # holds a job, never finishes
        wait_for(lambda: stats(node.url)["stats"]["in_progress_count"] == 1)
        slow.send_signal(signal.SIGKILL)
        slow.wait(10)
        w2 = start_worker(node.url, "w2", "--exit-when-idle")
        assert w2.wait(60) == 0, w2.stderr.read()
        s = stats(node.url)
        assert s["stats"]["completed_count"] == 3
        assert s["workers"]["w1"]["lapsed"] == 1 and s["workers"]["w2"]["completed"] == 3
    finally:
        node.proc.kill()
        node.proc.wait(10)  # gone, with its hold on the store file


def test_sigint_worker_gives_its_jobs_back(tmp_path):
    cfg = write_config(tmp_path, lease_ms=60_000)
    node = NodeProcess(cfg, "--intents", "2")
    try:
        w = start_worker(node.url, "w1", "--concurrency", "2", delay_ms=60_000)
        wait_for(lambda: stats(node.url)["stats"]["in_progress_count"] == 2)
        w.send_signal(signal.SIGINT)
        assert w.wait(20) == 0
        s = stats(node.url)  # back at once, not after the minute-long lease
        assert s["stats"]["pending_count"] == 2 and s["workers"]["w1"]["failed"] == 2
    finally:
        node.proc.kill()
        node.proc.wait(10)  # gone, with its hold on the store file


def test_node_killed_and_restarted_on_the_same_database(tmp_path):
    cfg = write_config(tmp_path, lease_ms=500)
    node = NodeProcess(cfg, "--intents", str(N))
    workers = [start_worker(node.url, w, "--concurrency", "2") for w in ("w1", "w2")]
    try:
        wait_for(lambda: stats(node.url)["stats"]["completed_count"] >= N // 4)
        node.proc.send_signal(signal.SIGKILL)  # under load
        node.proc.wait(10)
        node = NodeProcess(cfg)  # same database; the workers retry until it answers
        # the workers' URL changed with the port: start new ones; the old ones keep retrying
        for w in workers:
            w.send_signal(signal.SIGKILL)
            w.wait(10)
        url = node.url
        assert stats(url)["ledger_entries"] == N  # nothing lost
        done = start_worker(url, "w3", "--concurrency", "2", "--exit-when-idle")
        assert done.wait(60) == 0, done.stderr.read()
        s = stats(url)["stats"]
        assert s["completed_count"] == N and s["pending_count"] == s["in_progress_count"] == 0
        node.stop(signal.SIGTERM)
    finally:
        node.proc.kill()
        node.proc.wait(10)  # gone, with its hold on the store file
        for w in workers:
            w.kill()
    check_ledger(cfg, N)
    db = sqlite3.connect(tmp_path / "jobs.sqlite3")
    (completed,) = db.execute("SELECT COUNT(*) FROM jobs WHERE status = 'completed'").fetchone()
    (distinct,) = db.execute("SELECT COUNT(DISTINCT job_id) FROM ledger_parts").fetchone()
    assert completed == distinct == N  # none completed twice, none lost


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_heartbeats_keep_a_long_proof_leased(tmp_path):
    cfg = write_config(tmp_path, lease_ms=300)
    node = NodeProcess(cfg, "--intents", "1")
    try:
        w = start_worker(node.url, "w1", "--exit-when-idle", delay_ms=1200)  # 4 leases long
        assert w.wait(60) == 0, w.stderr.read()
        s = stats(node.url)
        assert s["workers"]["w1"]["lapsed"] == 0 and s["workers"]["w1"]["completed"] == 1
    finally:
        node.proc.kill()
        node.proc.wait(10)  # gone, with its hold on the store file


def test_finished_proof_survives_a_node_restart(tmp_path):
    # the worker proves while the node is down, keeps the proof, and submits it
    # once the node is back on the same address and database
    cfg = write_config(tmp_path, lease_ms=400)
    port = free_port()
    node = NodeProcess(cfg, "--intents", "1", listen=f"127.0.0.1:{port}")
    w = start_worker(node.url, "w1", delay_ms=800)
    try:
        wait_for(lambda: stats(node.url)["stats"]["in_progress_count"] == 1)
        node.proc.send_signal(signal.SIGKILL)
        node.proc.wait(10)
        time.sleep(1.5)  # the proof is done now and its submission is being retried
        node = NodeProcess(cfg, listen=f"127.0.0.1:{port}")
        wait_for(lambda: stats(node.url)["stats"]["completed_count"] == 1)
        s = stats(node.url)
        assert s["workers"]["w1"]["completed"] == 1 and s["stats"]["pending_count"] == 0
        w.send_signal(signal.SIGINT)
        assert w.wait(20) == 0
        assert '"late_completed": 1' in w.stdout.read()  # its lease lapsed while the node was down
    finally:
        node.proc.kill()
        node.proc.wait(10)  # gone, with its hold on the store file
        w.kill()
    check_ledger(cfg, 1)
