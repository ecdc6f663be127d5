"""What the PostgreSQL store adds to the conformance suite (tests/queue_backends.py
runs that on it too): many processes on one schema, against a real server.

- one sequencer per schema (a second is refused; replicas open beside it);
- a claim skips a row another transaction holds and never waits for it;
- claimers on separate connections take every job exactly once;
- the schema is migrated idempotently, and a newer one is refused;
- connection errors never show the password.
"""

from __future__ import annotations

import os
import threading
import time

import pytest

from pouw import JobStatus, PouwError
from pouw.queue import SubmitResult
from pouw.store import PostgresJobQueue
from pouw.store.filelock import StoreInUse
from support import synthetic_job

URL = os.environ.get("POUW_TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(
    not URL, reason="POUW_TEST_DATABASE_URL is not set (.ci/run sets it)"
)
LEASE = 60_000


def open_store(schema: str, **kw) -> PostgresJobQueue:
    kw.setdefault("synchronous", "normal")
    return PostgresJobQueue(URL, schema=schema, **kw)


def test_one_sequencer_per_schema_and_replicas_beside_it(schema):
    node = open_store(schema)
    try:
        with pytest.raises(StoreInUse, match="in use by another pouw node"):
            open_store(schema)
        replica = open_store(schema, sequencer=False)
        job = synthetic_job(1)
        node.enqueue(job)
        assert replica.claim_next("w", LEASE).job_id == job.job_id  # the same jobs
        assert node.get(job.job_id).status is JobStatus.IN_PROGRESS
        replica.close()
    finally:
        node.close()
    again = open_store(schema)  # the lock went with the session
    again.close()


def test_a_claim_skips_a_row_another_transaction_holds(schema):
    import psycopg

    store = open_store(schema)
    a, b = synthetic_job(1), synthetic_job(2)
    store.enqueue(a)
    store.enqueue(b)
    other = psycopg.connect(URL)
    try:
        other.execute(f'SET search_path TO "{schema}"')
        other.execute("SELECT 1 FROM jobs WHERE job_id = %s FOR UPDATE", (a.job_id,))
        t0 = time.monotonic()
        rec = store.claim_next("w", LEASE)  # b, at once: a is locked by the open transaction
        assert rec.job_id == b.job_id and time.monotonic() - t0 < 2.0
        other.rollback()
        assert store.claim_next("w", LEASE).job_id == a.job_id
    finally:
        other.close()
        store.close()


def test_claimers_on_separate_connections_take_each_job_once(schema):
    node = open_store(schema)
    replicas = [open_store(schema, sequencer=False) for _ in range(3)]
    n = 300
    try:
        for i in range(n):
            node.enqueue(synthetic_job(i, ttl_ms=600_000))
        taken: list[list[str]] = [[] for _ in replicas]

        def claim(k: int) -> None:
            while (rec := replicas[k].claim_next(f"w{k}", LEASE)) is not None:
                replicas[k].complete_by(rec.job_id, f"w{k}", b"proof")
                taken[k].append(rec.job_id)

        threads = [threading.Thread(target=claim, args=(k,)) for k in range(len(replicas))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        ids = [j for t in taken for j in t]
        assert len(ids) == len(set(ids)) == n
        assert sum(1 for t in taken if t) >= 2  # they really worked side by side
        s = node.stats()
        assert (s.completed_count, s.pending_count, s.in_progress_count) == (n, 0, 0)
        assert sum(w["completed"] for w in node.worker_stats().values()) == n
    finally:
        for r in replicas:
            r.close()
        node.close()


def test_the_schema_is_migrated_once_and_a_newer_one_refused(schema):
    import psycopg

    open_store(schema).close()
    open_store(schema).close()  # idempotent
    with psycopg.connect(URL, autocommit=True) as c:
        c.execute(f'SET search_path TO "{schema}"')
        got = c.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
        assert got == [(1,), (2,), (3,)]
        (rows,) = c.execute("SELECT COUNT(*) FROM counters").fetchone()
        assert rows == 5 * 3 * 16  # every (status, tier, shard) from the start
        c.execute("INSERT INTO schema_migrations VALUES (99, 0)")
    with pytest.raises(PouwError, match="newer pouw"):
        open_store(schema)


def test_dead_tuples_are_reported(schema):
    # every claim and completion rewrites a job's row: dead versions the server counts
    store = open_store(schema, pool_size=1)  # one session: its counts flushed below
    try:
        for i in range(20):
            store.enqueue(synthetic_job(i))
        for rec in store.claim_next("w", LEASE, batch=20):
            store.complete_by(rec.job_id, "w", b"proof")
        with store._session() as db:
            db.execute("SELECT pg_stat_force_next_flush()")  # the session's counts
            db.execute("SELECT pg_stat_clear_snapshot()")
        assert store.dead_tuples() >= 20
    finally:
        store.close()


def _vacuums(schema: str) -> int:
    import psycopg

    with psycopg.connect(URL, autocommit=True) as c:
        (n,) = c.execute(
            "SELECT vacuum_count FROM pg_stat_user_tables WHERE schemaname = %s "
            "AND relname = 'jobs'",
            (schema,),
        ).fetchone()
    return int(n)


def test_the_sweeper_vacuums_the_queue_when_dead_rows_pile_up(schema, monkeypatch):
    # the server's autovacuum may be off (it is on the CI machine) or napping: the
    # store's own sweep vacuums the tables whose dead row versions pile up
    import pouw.store.postgres as pg

    monkeypatch.setattr(pg, "_VACUUM_MIN_DEAD", 10)
    clock = [1_000_000]
    store = open_store(schema, pool_size=1, clock=lambda: clock[0])
    try:
        store.sweep()  # nothing dead yet: nothing vacuumed
        assert _vacuums(schema) == 0
        for i in range(30):
            store.enqueue(synthetic_job(i, ttl_ms=10**9, created_at_ms=clock[0]))
        for rec in store.claim_next("w", LEASE, batch=30):
            store.complete_by(rec.job_id, "w", b"proof", attempt=1)
        with store._session() as db:
            db.execute("SELECT pg_stat_force_next_flush()")
        store.sweep()  # looked at once per interval: not yet due again
        assert _vacuums(schema) == 0
        clock[0] += pg._VACUUM_CHECK_MS
        store.sweep()
        assert _vacuums(schema) == 1
        assert store.dead_tuples() < 30
        assert store.stats().completed_count == 30  # nothing of the queue lost
    finally:
        store.close()


def test_vacuum_runs_in_one_process_of_a_schema_at_a_time(schema):
    import psycopg

    from pouw.store.postgres import _lock_key

    store = open_store(schema, vacuum=False)
    try:
        store.sweep()  # vacuum off: the sweeper leaves it to autovacuum
        assert _vacuums(schema) == 0
        with psycopg.connect(URL, autocommit=True) as other:  # another process at it
            other.execute("SELECT pg_advisory_lock(%s)", (_lock_key(schema) ^ 2,))
            assert store.vacuum_hot(force=True) == []
        assert "jobs" in store.vacuum_hot(force=True)
        assert _vacuums(schema) == 1
        with store.batch():  # inside a transaction: refused, and the transaction goes on
            store.enqueue(synthetic_job(1))
            with pytest.raises(PouwError, match="outside a transaction"):
                store.vacuum_hot(force=True)
            store.sweep()  # a sweep inside one works (its vacuum waits for one outside)
        assert store.stats().pending_count == 1
    finally:
        store.close()


def test_a_damaged_row_is_quarantined_and_another_claimed_in_its_place(schema):
    import psycopg

    store = open_store(schema, priority="fifo")
    jobs = [synthetic_job(i) for i in range(3)]
    store.enqueue_many(jobs)
    store.close()
    with psycopg.connect(URL, autocommit=True) as c:
        c.execute(
            f'UPDATE "{schema}".jobs SET trace_data = %s WHERE job_id = %s',
            (b"rotten bytes", jobs[0].job_id),
        )
    store = open_store(schema, priority="fifo")  # a new process: nothing of the jobs cached
    try:
        rec = store.claim_next("w", LEASE)
        assert rec is not None and rec.job_id == jobs[1].job_id
        bad = store.get(jobs[0].job_id)
        assert bad.status is JobStatus.FAILED and "does not hash" in bad.error
        assert store.worker_stats()["w"]["claimed"] == 1  # the damaged one is not counted
        assert [r.job_id for r in store.claim_next("w", LEASE, batch=5)] == [jobs[2].job_id]
        s = store.stats()
        assert (s.in_progress_count, s.failed_count, s.pending_count) == (2, 1, 0)
    finally:
        store.close()


def _generic_plan(store: PostgresJobQueue, query: str, values: list) -> str:
    """The plan PostgreSQL keeps for ``query`` after its fifth call (the generic
    one), with sequential scans priced out: an index it can use, it uses."""
    import re

    import psycopg
    from psycopg import sql

    count = iter(range(1, 1000))
    numbered = re.sub(r"\?", lambda _: f"${next(count)}", query)
    with psycopg.connect(URL, autocommit=True) as c:
        c.execute(f'SET search_path TO "{store.schema}"')
        c.execute("SET plan_cache_mode = force_generic_plan")
        c.execute("SET enable_seqscan = off")
        c.execute(sql.SQL("PREPARE q AS {}").format(sql.SQL(numbered)))
        rows = c.execute(
            sql.SQL("EXPLAIN EXECUTE q({})").format(sql.SQL(", ").join(map(sql.Literal, values)))
        ).fetchall()
    return "\n".join(r[0] for r in rows)


def test_a_claim_picks_through_the_partial_index_under_a_generic_plan(schema):
    # with "status = $1" the generic plan could not prove the partial index's
    # WHERE status = 'pending': from the sixth claim on, every claim scanned
    # and sorted the whole table
    from pouw.store.postgres import _CLAIM

    store = open_store(schema)
    try:
        now = store._clock()
        where, args = store._pending_where(now, "w", None)
        claim = _CLAIM.format(where=" AND ".join(where))
        plan = _generic_plan(store, claim, [*args, 10, "w", now, now + LEASE, LEASE, 0, "w"])
        assert "jobs_pending on jobs" in plan and "Seq Scan on jobs" not in plan, plan
    finally:
        store.close()


def test_a_bad_url_is_one_line_without_the_password():
    with pytest.raises(PouwError) as info:
        PostgresJobQueue("postgresql://alice:s3cret@127.0.0.1:1/none", schema="x")
    assert "s3cret" not in str(info.value) and "alice:***@" in str(info.value)
    with pytest.raises(ValueError, match="schema"):
        PostgresJobQueue(URL or "postgresql://x", schema="Robert'); DROP")


def _terminate(store: PostgresJobQueue) -> None:
    """The server ends every session of the store (its pool's, its lock's)."""
    import psycopg

    with psycopg.connect(URL, autocommit=True) as c:
        (n,) = c.execute(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = %s",
            (f"pouw:{store.schema}",),
        ).fetchone()
    assert n >= 1


def test_a_lost_connection_is_store_unavailable_then_reconnected(schema):
    from pouw.store import StoreUnavailable

    store = open_store(schema)
    try:
        store.enqueue(synthetic_job(1))
        _terminate(store)  # the server ends the session (a restart, a failover, an admin)
        with pytest.raises(StoreUnavailable, match="unavailable"):
            store.enqueue(synthetic_job(2))
        store.enqueue(synthetic_job(2))  # a new session, the sequencer's lock taken again
        assert store.stats().pending_count == 2
        with pytest.raises(StoreInUse):
            open_store(schema)  # still the one sequencer
    finally:
        store.close()


def test_the_api_answers_503_while_the_store_is_unavailable(schema):
    from pouw.node import NodeConfig, NodeContext
    from remote_support import TOKENS, LiveServer, auth, hash_token

    config = NodeConfig.from_dict(
        {
            "pouw_mode": "remote",
            "store": {"url": URL, "schema": schema, "synchronous": "normal"},
            "server": {"tokens": {w: hash_token(t) for w, t in TOKENS.items()}},
        }
    )
    ctx = NodeContext.from_config(config)
    live = LiveServer(ctx, background=False)
    try:
        _terminate(ctx.job_queue)
        r = live.http.post("/pouw/jobs/claim-next", json={}, headers=auth("w1"))
        assert r.status_code == 503 and r.json()["error"]["code"] == "store_unavailable"
        assert r.headers["Retry-After"] == "1"
        r = live.http.post("/pouw/jobs/claim-next", json={}, headers=auth("w1"))
        assert r.status_code == 204  # reconnected: nothing to claim
    finally:
        live.close()
        ctx.close()


def test_a_sequencer_that_lost_its_lock_enqueues_nothing_more(schema):
    # the session holding the sequencer's lock ends (the pool's sessions live on)
    # and another node takes the schema: the first one's next enqueue is refused
    import psycopg

    from pouw.store import StoreUnavailable

    node = open_store(schema)
    try:
        node.enqueue(synthetic_job(1))
        with psycopg.connect(URL, autocommit=True) as c:
            c.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND granted AND pid IN "
                "(SELECT pid FROM pg_stat_activity WHERE application_name = %s)",
                (f"pouw:{schema}",),
            )
        other = open_store(schema)  # the lock is free: a second node takes it
        try:
            with pytest.raises((StoreInUse, StoreUnavailable)):
                node.enqueue(synthetic_job(2))
            with pytest.raises(StoreInUse):
                node.enqueue(synthetic_job(2))
            other.enqueue(synthetic_job(3))
            assert synthetic_job(2).job_id not in other
        finally:
            other.close()
        node.enqueue(synthetic_job(2))  # the lock free again: taken back
        assert node.stats().pending_count == 3
    finally:
        node.close()


def test_operations_of_many_threads_run_on_the_pool_side_by_side(schema):
    # a transaction held open on one thread does not stop another thread's claim
    store = open_store(schema, pool_size=4)
    try:
        for i in range(3):
            store.enqueue(synthetic_job(i))
        inside, release = threading.Event(), threading.Event()

        def hold() -> None:
            with store.transaction():
                store.claim_next("a", LEASE)
                inside.set()
                release.wait(10)

        t = threading.Thread(target=hold)
        t.start()
        assert inside.wait(10)
        t0 = time.monotonic()
        rec = store.claim_next("b", LEASE)  # another connection, another row
        took = time.monotonic() - t0
        release.set()
        t.join(10)
        assert rec is not None and rec.worker_id == "b" and took < 5
        assert store.stats().in_progress_count == 2
    finally:
        store.close()


def test_a_version_1_schema_is_migrated_with_its_worker_counts(schema):
    import psycopg

    store = open_store(schema)
    (job,) = [synthetic_job(1)]
    store.enqueue(job)
    store.claim_next("w1", LEASE)
    store.close()
    with psycopg.connect(URL, autocommit=True) as c:  # back to what version 1 wrote
        c.execute(f'SET search_path TO "{schema}"')
        c.execute("DROP TABLE workers")
        c.execute("ALTER TABLE worker_counts RENAME TO workers")
        c.execute("DELETE FROM schema_migrations WHERE version > 1")
    store = open_store(schema)
    try:
        assert store.worker_stats()["w1"]["claimed"] == 1
        assert store.worker_heartbeat("w1", LEASE) == 1
        assert set(store.workers_seen()) == {"w1"}
    finally:
        store.close()


def test_a_version_2_schema_loses_its_extra_index_writes_and_keeps_its_jobs(schema):
    import psycopg

    store = open_store(schema)
    jobs = [synthetic_job(i) for i in range(2)]
    for j in jobs:
        store.enqueue(j)
    store.claim_next("w1", LEASE, batch=2)
    store.close()
    with psycopg.connect(URL, autocommit=True) as c:  # back to what version 2 wrote
        c.execute(f'SET search_path TO "{schema}"')
        c.execute("CREATE INDEX jobs_status ON jobs (status, seq)")
        c.execute("ALTER TABLE job_history ADD COLUMN seq BIGSERIAL PRIMARY KEY")
        # version 2 kept every holder, the current one too
        c.execute("INSERT INTO holders SELECT job_id, worker_id FROM jobs")
        c.execute("DELETE FROM schema_migrations WHERE version > 2")
    store = open_store(schema)
    try:
        with psycopg.connect(URL, autocommit=True) as c:
            c.execute(f'SET search_path TO "{schema}"')
            (idx,) = c.execute(
                "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = %s AND indexname = "
                "'jobs_status'",
                (schema,),
            ).fetchone()
            (col,) = c.execute(
                "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = %s "
                "AND table_name = 'job_history' AND column_name = 'seq'",
                (schema,),
            ).fetchone()
        assert (idx, col) == (0, 0)
        assert store.complete_by(jobs[0].job_id, "w1", b"p", attempt=1) is SubmitResult.COMPLETED
        # w1 gives the other job back and w2 takes it: w1's late proof is a holder's
        assert store.fail(jobs[1].job_id, "w1", "gave up") is JobStatus.PENDING
        rec = store.claim_next("w2", LEASE)
        assert rec is not None and rec.holders == {"w1", "w2"}
        assert store.complete_by(jobs[1].job_id, "w1", b"q", attempt=1) is (
            SubmitResult.LATE_COMPLETED
        )
        assert store.latency_stats(0)["all"]["completed"] == 2
    finally:
        store.close()


def test_rescuers_in_many_processes_give_each_job_back_once(schema):
    # 60 leases lapse; four stores (as four node or replica processes would) run
    # the rescuer at once: every job pending again with one attempt counted
    clock = [1_000_000]
    node = open_store(schema, clock=lambda: clock[0])
    rescuers = [open_store(schema, sequencer=False, clock=lambda: clock[0]) for _ in range(4)]
    try:
        n = 60
        jobs = [synthetic_job(i, ttl_ms=10**9, created_at_ms=clock[0]) for i in range(n)]
        for j in jobs:
            node.enqueue(j)
        assert len(node.claim_next("silent", 1000, batch=n)) == n
        clock[0] += 1001
        counts = [0] * len(rescuers)
        barrier = threading.Barrier(len(rescuers))

        def rescue(k: int) -> None:
            barrier.wait()
            counts[k] = rescuers[k].lapse_leases()

        threads = [threading.Thread(target=rescue, args=(k,)) for k in range(len(rescuers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        counts.append(node.lapse_leases())
        assert sum(counts) == n
        assert node.stats().pending_count == n
        assert node.worker_stats()["silent"]["lapsed"] == n
        assert {node.get(j.job_id).attempts for j in jobs} == {1}
    finally:
        for r in rescuers:
            r.close()
        node.close()


def test_completions_of_many_threads_go_together_each_counted_once(schema):
    # 16 threads of one process complete 400 jobs: the completions that arrive
    # while a statement runs go in the next one (group commit); a stale attempt
    # among them still goes the full rule's way (late), and every count is exact
    store = open_store(schema, pool_size=4)
    try:
        n = 400
        for i in range(n):
            store.enqueue(synthetic_job(i, ttl_ms=600_000))
        groups: list[int] = []
        run = store._completions._run

        def counted(items):
            groups.append(len(items))
            return run(items)

        store._completions._run = counted
        recs = store.claim_next("w", LEASE, batch=n // 2) + store.claim_next(
            "v", LEASE, batch=n // 2
        )
        results: list = []
        lock = threading.Lock()

        def complete(part) -> None:
            for rec in part:
                stale = rec.attempts + 1 if rec.job_id.endswith("0") else rec.attempts
                try:
                    r = store.complete_by(rec.job_id, rec.worker_id, b"p", attempt=stale)
                except Exception as exc:  # noqa: BLE001
                    r = exc
                with lock:
                    results.append((rec.job_id, r))

        parts = [recs[k::16] for k in range(16)]
        threads = [threading.Thread(target=complete, args=(p,)) for p in parts]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        from pouw.queue import NotHolder, SubmitResult

        never = {j for j, r in results if isinstance(r, NotHolder)}  # attempt 2: never handed out
        done = {j for j, r in results if r is SubmitResult.COMPLETED}
        assert len(results) == n and not [
            r for _, r in results if isinstance(r, Exception) and not isinstance(r, NotHolder)
        ]
        assert never == {r.job_id for r in recs if r.job_id.endswith("0")}
        assert len(done) == n - len(never)
        s = store.stats()
        assert (s.completed_count, s.in_progress_count) == (len(done), len(never))
        counts = store.worker_stats()
        assert counts["w"]["completed"] + counts["v"]["completed"] == len(done)
        assert store.latency_stats(0)["all"]["completed"] == len(done)
        assert sum(groups) == len(done) + len(never) and max(groups) > 1  # grouped
    finally:
        store.close()
