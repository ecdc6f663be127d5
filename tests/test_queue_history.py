"""Conformance tests of the job history and its analytics, on every backend of
tests/queue_backends.py: the times a job collects (claimed, proved, submitted,
verified, completed), counts and p50/p95/p99 latencies per tier and per
worker over a time window -- the same numbers from every store for the same
history -- and a history that outlives the jobs table's retention and is
pruned by age."""

from __future__ import annotations

import pytest

import queue_backends
from pouw import JobTier
from pouw.queue.analytics import ProofTimes, percentile, summarize
from support import synthetic_job

new_store = queue_backends.new_store
store = queue_backends.store
LEASE = 60_000


def test_nearest_rank_percentiles():
    values = list(range(1, 101))
    assert [percentile(values, p) for p in (50, 95, 99, 100)] == [50, 95, 99, 100]
    assert percentile([7], 99) == 7 and percentile([], 50) is None
    assert [percentile([1, 2, 3, 4], p) for p in (50, 95)] == [2, 4]


def test_proof_times_are_ordered_and_bounded_by_the_completion():
    assert ProofTimes().resolved(100) == (100, 100, 100)
    assert ProofTimes(90, 95, 99).resolved(100) == (90, 95, 99)
    assert ProofTimes(120, None, 300).resolved(100) == (100, 100, 100)  # never after now


def run_history(store, clock):
    """Ten Macro jobs: job i waits 10 (i + 1) ms, is proven in 100 (i + 1) ms by
    w1 (odd i) or w2 (even i), and all complete at t0 + 1150; one Full job
    fails for good on w3; one Macro job expires unclaimed."""
    t0 = clock.now
    jobs = [synthetic_job(i, ttl_ms=10**9, created_at_ms=t0) for i in range(10)]
    for j in jobs:
        store.enqueue(j)
    claims = []
    for i, j in enumerate(jobs):
        clock.advance(10)
        claims.append((store.claim(j.job_id, "w1" if i % 2 else "w2", LEASE), clock.now))
    clock.now = t0 + 1150
    for i, (rec, claimed) in enumerate(claims):
        times = ProofTimes(proved_at_ms=claimed + 100 * (i + 1), submitted_at_ms=clock.now - 2)
        store.complete_by(rec.job_id, rec.worker_id, b"p", attempt=rec.attempts, times=times)
    bad = synthetic_job(99, ttl_ms=10**9, created_at_ms=clock.now, tier=JobTier.FULL)
    store.enqueue(bad)
    for _ in range(store.max_attempts):
        store.claim(bad.job_id, "w3", LEASE)
        store.fail(bad.job_id, "w3", "oom")
        clock.advance(LEASE + 1)  # past the preference for other workers
    late = synthetic_job(98, ttl_ms=5, created_at_ms=clock.now)
    store.enqueue(late)
    clock.advance(10)
    store.sweep()
    return t0


def test_latency_stats_per_tier_and_worker(new_store, clock):
    # exact numbers, asserted on every backend: every store reports the same
    store = new_store(max_attempts=2)
    t0 = run_history(store, clock)
    got = store.latency_stats(t0)
    assert got["tiers"]["macro"] == {
        "completed": 10,
        "failed": 0,
        "expired": 1,
        "queue_wait_ms": {"p50": 50, "p95": 100, "p99": 100},
        "proving_ms": {"p50": 500, "p95": 1000, "p99": 1000},
        "end_to_end_ms": {"p50": 1150, "p95": 1150, "p99": 1150},
    }
    full = got["tiers"]["full"]
    assert (full["completed"], full["failed"], full["expired"]) == (0, 1, 0)
    assert set(got["workers"]) == {"w1", "w2", "w3"}
    w1 = got["workers"]["w1"]  # jobs 1, 3, 5, 7, 9
    assert w1["completed"] == 5 and w1["proving_ms"] == {"p50": 600, "p95": 1000, "p99": 1000}
    assert got["all"]["completed"] == 10 and got["all"]["failed"] == 1
    # the record carries the times too
    rec = store.get(store.list_jobs(limit=1)[0].job_id)
    assert rec.proved_at_ms == rec.started_at_ms + 100
    assert rec.submitted_at_ms == t0 + 1148 and rec.verified_at_ms == t0 + 1150
    assert rec.to_dict()["proved_at_ms"] == rec.proved_at_ms
    # a window that ends before the first completion sees nothing
    assert store.latency_stats(t0, t0 + 1)["all"]["completed"] == 0


def test_the_history_outlives_retention_and_is_pruned_by_age(new_store, clock):
    store = new_store(retention=1, history_ms=10_000)
    t0 = clock.now
    for i in range(5):
        j = synthetic_job(i, ttl_ms=10**9, created_at_ms=clock.now)
        store.enqueue(j)
        rec = store.claim_next("w", LEASE)
        store.complete_by(rec.job_id, "w", b"p", attempt=rec.attempts)
    assert store.latency_stats(t0)["all"]["completed"] == 5  # the jobs table keeps one
    clock.advance(10_001)
    store.sweep()
    assert store.latency_stats(t0)["all"]["completed"] == 0
    with pytest.raises(ValueError, match="history_ms"):
        new_store(history_ms=0)


def test_summarize_ignores_rows_outside_the_window():
    rows = [("macro", "completed", "w", 1, 0, 10, 20, 21, 22, 30)]
    assert summarize(rows, since_ms=31, until_ms=99)["all"]["completed"] == 0
    assert summarize(rows, since_ms=0, until_ms=30)["all"]["end_to_end_ms"]["p50"] == 30
