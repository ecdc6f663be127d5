"""What only the durable store does: WAL, restart recovery, the ledger in the
same database, batches, and the node restored from its file."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from pouw import JobStatus, PouwError, QueueFull, QueueStats
from pouw.node import NodeConfig, NodeContext, generate_intents
from pouw.node.ledger import LedgerEntryMeta
from pouw.node.ledger_store import SqliteLedgerStore
from pouw.store import SqliteJobQueue
from pouw.store.filelock import StoreInUse
from support import FakeClock, synthetic_job

LEASE = 1000


def open_store(path: Path, clock: FakeClock, **kw) -> SqliteJobQueue:
    return SqliteJobQueue(path, clock=clock, **kw)


def crash(store: SqliteJobQueue) -> None:
    # what a killed process leaves: no clean close; the kernel drops its file lock
    store._db.close()
    store._file_lock.close()


def test_wal_and_synchronous(tmp_path, clock):
    for sync, level in (("full", 2), ("normal", 1)):
        s = open_store(tmp_path / f"{sync}.db", clock, synchronous=sync)
        assert s._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s._db.execute("PRAGMA synchronous").fetchone()[0] == level
        s.close()


def test_rejects_bad_settings(tmp_path, clock):
    with pytest.raises(ValueError):
        open_store(tmp_path / "a.db", clock, synchronous="off")
    with pytest.raises(ValueError):
        open_store(tmp_path / "b.db", clock, max_attempts=0)


def test_restart_recovery(tmp_path, clock):
    path = tmp_path / "jobs.db"
    s = open_store(path, clock)
    pending, leased, local, done, reserved = (
        synthetic_job(i, created_at_ms=clock.now) for i in range(5)
    )
    for j in (pending, leased, local, done, reserved):
        s.enqueue(j)
    s.claim(leased.job_id, "w1", LEASE)
    s.mark_in_progress(local.job_id, "local-thread")
    s.claim(done.job_id, "w2", LEASE)
    s.complete_by(done.job_id, "w2", b"proof")
    assert s.pop_next() == pending  # reserved by a caller that dies with the process
    crash(s)
    clock.advance(LEASE + 1)  # the lease lapsed while the node was down
    s2 = open_store(path, clock)
    assert s2.get_status(pending.job_id) is JobStatus.PENDING
    rec = s2.get(leased.job_id)
    assert rec.status is JobStatus.PENDING and rec.attempts == 1 and "lapsed" in rec.error
    assert s2.get_status(local.job_id) is JobStatus.PENDING
    assert s2.get(done.job_id).proof == b"proof"
    assert s2.stats() == QueueStats(4, 0, 1, 0, 0)
    assert s2.pop_next() == pending  # the dead reservation is gone
    s2.close()


def test_a_lease_still_running_survives_a_restart(tmp_path, clock):
    path = tmp_path / "jobs.db"
    s = open_store(path, clock)
    job = synthetic_job(1, created_at_ms=clock.now)
    s.enqueue(job)
    s.claim(job.job_id, "w1", LEASE)
    s.close()
    s2 = open_store(path, clock)
    assert s2.get(job.job_id).worker_id == "w1"
    assert s2.heartbeat(job.job_id, "w1", LEASE) == clock.now + LEASE
    s2.close()


class _Entry:
    """What the ledger store reads of a ledger entry and its intent."""

    def __init__(self, height: int, job) -> None:
        self.height, self.intent_id = height, job.intent_id
        self.meta = LedgerEntryMeta([job.job_id], zk_mode="mock")

    def to_dict(self) -> dict:
        return {"height": self.height, "post_root": "", "proven": False}


def _append(ledger: SqliteLedgerStore, store: SqliteJobQueue, height: int, job) -> None:
    with store.batch():  # what the node does: the entry and its job in one transaction
        ledger.append(_Entry(height, job), SimpleNamespace(to_dict=dict))
        store.enqueue(job)


def test_ledger_entry_and_job_in_one_transaction(tmp_path, clock):
    s = open_store(tmp_path / "l.db", clock, capacity=1)
    ledger = SqliteLedgerStore(s)
    a, b = synthetic_job(1, created_at_ms=clock.now), synthetic_job(2, created_at_ms=clock.now)
    _append(ledger, s, 0, a)
    with pytest.raises(QueueFull):  # the job is refused, so the entry is not written either
        _append(ledger, s, 1, b)
    rows = ledger.rows()
    assert [r["job_ids"] for r in rows] == [[a.job_id]]
    s.claim(a.job_id, "w", LEASE)
    with s.batch():
        s.complete_by(a.job_id, "w", b"proof-a")
        ledger.attach_proof(a.job_id, b"proof-a")
    assert ledger.rows()[0]["parts"][0].proof == b"proof-a"
    s.close()


def test_the_queue_schema_knows_nothing_of_the_ledger(tmp_path, clock):
    s = open_store(tmp_path / "q.db", clock)
    tables = {r[0] for r in s._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert not {"ledger", "ledger_parts", "intake"} & tables
    SqliteLedgerStore(s)  # the node's tables come with the node's ledger store
    tables = {r[0] for r in s._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"ledger", "ledger_parts", "intake"} <= tables
    s.close()


def test_batch_is_one_transaction_with_per_operation_savepoints(tmp_path, clock):
    path = tmp_path / "b.db"
    s = open_store(path, clock, capacity=2)
    jobs = [synthetic_job(i, created_at_ms=clock.now) for i in range(3)]
    with s.batch():
        s.enqueue(jobs[0])
        s.enqueue(jobs[1])
        with pytest.raises(QueueFull):
            s.enqueue(jobs[2])  # this one alone is undone
        other = sqlite3.connect(path)  # nothing visible outside before the commit
        assert other.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 0
    assert other.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 2
    other.close()
    assert s.stats().pending_count == 2
    s.close()


def test_a_batch_that_raises_is_rolled_back_whole(tmp_path, clock):
    s = open_store(tmp_path / "r.db", clock)
    with pytest.raises(RuntimeError), s.batch():
        s.enqueue(synthetic_job(1, created_at_ms=clock.now))
        raise RuntimeError("crash inside")
    assert s.stats() == QueueStats()
    s.close()


def remote_config(tmp_path, **extra) -> NodeConfig:
    data = {"pouw_mode": "remote", "state": {"accounts": 64}, "store": {"path": "node.sqlite3"}}
    data.update(extra)
    return NodeConfig.from_dict(data, source=tmp_path / "node.toml")


def test_store_path_resolves_against_the_config_directory(tmp_path):
    assert remote_config(tmp_path).store_path == tmp_path / "node.sqlite3"
    absolute = NodeConfig.from_dict({"store": {"path": "/x/y.db"}}, source=tmp_path / "n.toml")
    assert absolute.store_path == Path("/x/y.db")


def test_node_restores_state_and_ledger_from_its_file(tmp_path):
    config = remote_config(tmp_path)
    ctx = NodeContext.from_config(config)
    ctx.submit_intents(generate_intents(30, seed=3, n_accounts=64))
    ctx.process_all()
    first = ctx.ledger.entries[0].meta.job_ids[0]
    rec = ctx.job_queue.claim(first, "w", LEASE)
    proof = ctx.prover.prove_job(rec.job)
    ctx.accept_proof(first, "w", proof)
    root, entries = ctx.state.root, [e.to_dict() for e in ctx.ledger.entries]
    crash(ctx.job_queue)
    again = NodeContext.from_config(config)
    assert again.state.root == root
    assert [e.to_dict() for e in again.ledger.entries] == [
        dict(e, proven=e["job_ids"][0] == first) for e in entries
    ]
    assert again.ledger.entry_for_job(first).meta.proof == proof
    assert again.job_queue.stats() == QueueStats(29, 0, 1, 0, 0)
    again.close()


def test_node_refuses_a_file_from_another_genesis(tmp_path):
    ctx = NodeContext.from_config(remote_config(tmp_path))
    ctx.submit_intents(generate_intents(5, n_accounts=64))
    ctx.process_all()
    ctx.close()
    with pytest.raises(PouwError, match="diverged"):
        NodeContext.from_config(remote_config(tmp_path, state={"accounts": 64, "balance": 7}))


def test_an_intent_that_raises_keeps_the_batch_before_it(tmp_path):
    config = remote_config(tmp_path, queue={"capacity": 3})
    ctx = NodeContext.from_config(config)
    ctx.submit_intents(generate_intents(5, n_accounts=64))
    with pytest.raises(QueueFull):
        ctx.process_all()
    assert len(ctx.ledger) == 3 and len(ctx.ledger_store.rows()) == 3
    ctx.close()


def test_disabled_mode_over_a_store_keeps_inline_proofs(tmp_path):
    config = remote_config(tmp_path, pouw_mode="disabled")
    ctx = NodeContext.from_config(config)
    ctx.submit_intents(generate_intents(4, n_accounts=64))
    ctx.process_all()
    ctx.close()
    store = SqliteJobQueue(config.store_path)
    rows = SqliteLedgerStore(store).rows()
    store.close()
    assert len(rows) == 4 and all(r["parts"][0].proof and r["job_ids"] == [] for r in rows)


def test_local_mode_over_a_store(tmp_path):
    config = remote_config(tmp_path, pouw_mode="local", workers={"count": 2})
    with NodeContext.from_config(config) as ctx:
        ctx.submit_intents(generate_intents(40, n_accounts=64))
        ctx.process_all()
        ctx.wait_for_local_jobs(60)
        assert ctx.job_queue.stats().completed_count == 40
        assert all(r["parts"][0].proof for r in ctx.ledger_store.rows())


def test_a_second_open_of_the_same_file_is_refused(tmp_path, clock):
    # two nodes on one file would write conflicting ledger heights
    s = open_store(tmp_path / "one.db", clock)
    with pytest.raises(StoreInUse, match="in use"):
        open_store(tmp_path / "one.db", clock)
    assert s.stats() == QueueStats()  # the first is unharmed
    s.close()
    open_store(tmp_path / "one.db", clock).close()  # free again once closed


def test_a_refused_node_lets_go_of_its_file(tmp_path):
    ctx = NodeContext.from_config(remote_config(tmp_path))
    ctx.submit_intents(generate_intents(2, n_accounts=64))
    ctx.process_all()
    ctx.close()
    with pytest.raises(PouwError, match="diverged"):
        NodeContext.from_config(remote_config(tmp_path, state={"accounts": 64, "balance": 7}))
    NodeContext.from_config(remote_config(tmp_path)).close()  # not left locked


def test_a_node_process_holds_its_file(tmp_path):
    config = remote_config(tmp_path)
    with NodeContext.from_config(config), pytest.raises(StoreInUse):
        NodeContext.from_config(config)


def _complete_first_pending(ctx: NodeContext) -> None:
    rec = ctx.job_queue.claim_next("w", LEASE)
    ctx.accept_proof(rec.job_id, "w", ctx.prover.prove_job(rec.job))


def test_a_full_queue_leaves_the_intent_waiting_and_the_state_with_the_ledger(tmp_path):
    # executing an intent whose job the store then refused left the state ahead
    # of the ledger: the file no longer replayed ("diverged") and the node could
    # not restart
    config = remote_config(tmp_path, queue={"capacity": 3})
    ctx = NodeContext.from_config(config)
    ctx.submit_intents(generate_intents(5, n_accounts=64))
    with pytest.raises(QueueFull, match="waits"):
        ctx.process_all()
    assert len(ctx.ledger) == 3 and ctx.waiting_intents == 2
    _complete_first_pending(ctx)  # a prover makes room for one more
    assert ctx.process_next_intent() is not None
    root = ctx.state.root
    ctx.close()
    again = NodeContext.from_config(config)  # replays without diverging
    assert len(again.ledger) == 4 and again.state.root == root
    again.close()


def test_the_serving_pipeline_waits_for_room_instead_of_failing(tmp_path):
    import threading

    ctx = NodeContext.from_config(remote_config(tmp_path, queue={"capacity": 1}))
    ctx.submit_intents(generate_intents(2, n_accounts=64))
    stop = threading.Event()
    pipeline = threading.Thread(target=ctx.serve_intents, args=(stop, 0.01))

    def wait_for_ledger(n: int) -> None:
        for _ in range(1000):  # at most ~10 s; no assert on time
            if len(ctx.ledger) >= n or not pipeline.is_alive():
                return
            stop.wait(0.01)

    pipeline.start()
    try:
        wait_for_ledger(1)
        assert len(ctx.ledger) == 1 and ctx.waiting_intents == 1  # full: the intent waits
        _complete_first_pending(ctx)
        wait_for_ledger(2)
        assert len(ctx.ledger) == 2 and pipeline.is_alive()  # it went on, and still runs
    finally:
        stop.set()
        pipeline.join(10)
        ctx.close()


def test_a_remote_job_this_process_wrote_is_not_hashed_or_decoded_again(tmp_path, monkeypatch):
    # claim and accept reuse the job made from the trace in memory: its bytes were
    # hashed once, when the trace was made (about six BLAKE3 passes per job before)
    from pouw.store import ops, schema

    ctx = NodeContext.from_config(remote_config(tmp_path))
    ctx.submit_intents(generate_intents(5, n_accounts=64))
    ctx.process_all()
    checked = []
    real_job_from_row = schema.job_from_row
    monkeypatch.setattr(
        ops,
        "job_from_row",
        lambda row, check_trace: (
            checked.append(check_trace) or real_job_from_row(row, check_trace=check_trace)
        ),
    )
    while (rec := ctx.job_queue.claim_next("w", LEASE)) is not None:
        assert rec.job._trace is not None  # the decoded trace from the executor, reused
        proof = ctx.prover.prove_job(rec.job)
        assert ctx.accept_proof(rec.job_id, "w", proof).result.value == "completed"
    assert ctx.job_queue.stats().completed_count == 5
    assert True not in checked  # no trace re-hashed on claim or accept
    ctx.close()
    # and the completions are in the file
    again = NodeContext.from_config(remote_config(tmp_path))
    assert again.job_queue.stats().completed_count == 5
    again.close()


def test_a_restarted_local_node_proves_the_jobs_left_pending(tmp_path):
    # jobs in the file from an earlier run reached no worker of the new pool
    ctx = NodeContext.from_config(remote_config(tmp_path))
    ctx.submit_intents(generate_intents(12, n_accounts=64))
    ctx.process_all()
    ctx.close()  # twelve jobs pending in the file
    local = NodeContext.from_config(
        remote_config(tmp_path, pouw_mode="local", workers={"count": 2})
    )
    try:
        assert local.pool is not None and local.wait_for_local_jobs(60)
        for _ in range(600):  # the resumed jobs are fed from a thread: at most ~6 s
            if local.job_queue.stats().completed_count == 12:
                break
            time.sleep(0.01)
        assert local.job_queue.stats().completed_count == 12
        assert all(e.meta.proof is not None for e in local.ledger.entries)
    finally:
        local.close()
