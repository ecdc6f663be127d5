"""A job row damaged on disk (its trace bytes no longer hash to its trace hash)
is quarantined as a dead letter with the reason, and the queue goes on serving:
it once made every claim-next and jobs/list answer 500."""

from __future__ import annotations

import sqlite3

from pouw.node import NodeConfig, NodeContext, generate_intents
from pouw.status import JobStatus
from remote_support import LiveServer, auth, config_dict


def durable_config(tmp_path) -> NodeConfig:
    cfg = config_dict()
    cfg["store"] = {"path": str(tmp_path / "jobs.sqlite3"), "synchronous": "normal"}
    cfg["queue"] = {"priority": "fifo"}  # the first job is the first claim meets
    return NodeConfig.from_dict(cfg)


def test_a_damaged_row_is_quarantined_and_the_queue_goes_on(tmp_path):
    config = durable_config(tmp_path)
    ctx = NodeContext.from_config(config)
    ctx.submit_intents(generate_intents(3, n_accounts=64))
    ctx.process_all()
    first, *others = [e.meta.job_ids[0] for e in ctx.ledger.entries]
    ctx.close()
    db = sqlite3.connect(tmp_path / "jobs.sqlite3")
    db.execute(
        "UPDATE jobs SET trace_data = CAST('rotten bytes' AS BLOB) WHERE job_id = ?", (first,)
    )
    db.commit()
    db.close()

    ctx = NodeContext.from_config(config)  # a restarted node: nothing of the job in memory
    live = LiveServer(ctx, background=False)
    try:
        listed = live.http.post("/pouw/jobs/list", json={})
        assert listed.status_code == 200  # the damaged row is listed, not a 500
        claimed = live.http.post("/pouw/jobs/claim-next", json={}, headers=auth("w1"))
        assert claimed.status_code == 200, claimed.text
        assert claimed.json()["job_id"] in others  # the next job is served
        rec = ctx.job_queue.get(first)
        assert rec.status is JobStatus.FAILED and "does not hash" in rec.error
        assert [r.job_id for r in ctx.job_queue.dead_letters()] == [first]
        again = live.http.post("/pouw/jobs/claim-next", json={}, headers=auth("w2"))
        assert again.status_code == 200 and again.json()["job_id"] in others
        by_id = live.http.post(f"/pouw/jobs/{first}/claim", json={}, headers=auth("w3"))
        assert by_id.status_code == 409  # a dead letter is not claimable
        assert ctx.job_queue.stats().failed_count == 1
    finally:
        live.close()
        ctx.close()


def test_a_damaged_row_claimed_by_id_is_quarantined_not_handed_out(tmp_path):
    # the claim by id checks the row as claim-next does (it once read the wrong column)
    config = durable_config(tmp_path)
    ctx = NodeContext.from_config(config)
    ctx.submit_intents(generate_intents(2, n_accounts=64))
    ctx.process_all()
    first = ctx.ledger.entries[0].meta.job_ids[0]
    ctx.close()
    db = sqlite3.connect(tmp_path / "jobs.sqlite3")
    db.execute(
        "UPDATE jobs SET trace_data = CAST('rotten bytes' AS BLOB) WHERE job_id = ?", (first,)
    )
    db.commit()
    db.close()
    ctx = NodeContext.from_config(config)
    live = LiveServer(ctx, background=False)
    try:
        by_id = live.http.post(f"/pouw/jobs/{first}/claim", json={}, headers=auth("w1"))
        assert by_id.status_code == 409, by_id.text
        rec = ctx.job_queue.get(first)
        assert rec.status is JobStatus.FAILED and "does not hash" in rec.error
        assert rec.attempts == 0 and not rec.holders  # never handed to the worker
    finally:
        live.close()
        ctx.close()
