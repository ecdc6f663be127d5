"""Conformance tests of the claim order, on every backend of tests/queue_backends.py:
higher fee per unit of work first, first in first out within a bucket, aging
that bounds how long a low-fee job waits while higher-fee jobs keep coming,
and FIFO when asked for. The order rules themselves are pouw.queue.priority."""

from __future__ import annotations

import pytest
from blake3 import blake3

import queue_backends
from pouw import JobStatus, JobTier
from pouw.job import ProofJob
from pouw.queue.priority import MAX_BUCKET, check_priority, fee_bucket, order_key, work_units
from support import synthetic_job

new_store = queue_backends.new_store
store = queue_backends.store
LEASE = 1000
AGING = 100


def job(clock, i, fee):
    return synthetic_job(i, ttl_ms=10**9, created_at_ms=clock.now, fee=fee)


def sized(n: int, *, fee: int, step: int | None = None) -> ProofJob:
    data = bytes(n)
    return ProofJob(
        tier="micro" if step is not None else "macro",
        intent_id=blake3(b"i").hexdigest(),
        trace_hash=blake3(data).hexdigest(),
        fee_budget=fee,
        created_at_ms=0,
        deadline_ms=10,
        trace_data=data,
        step=step,
    )


def test_the_bucket_is_the_log2_of_the_fee_per_unit_of_work():
    small = synthetic_job(1, fee=0)  # an 7-byte trace: one unit
    assert work_units(small) == 1 and fee_bucket(small) == 0
    assert [fee_bucket(synthetic_job(1, fee=f)) for f in (1, 2, 3, 4, 1023, 1024)] == [
        0, 1, 1, 2, 9, 10,
    ]  # fmt: skip
    assert fee_bucket(synthetic_job(1, fee=(1 << 64) - 1)) == 63 <= MAX_BUCKET
    big = sized(4096, fee=4096)
    assert work_units(big) == 4 and fee_bucket(big) == 10  # 1024 per KiB
    step = sized(4096, fee=4096, step=0)
    assert work_units(step) == 1 and fee_bucket(step) == 12  # one step: one unit


def test_order_keys_and_settings():
    assert order_key("fifo", AGING, 5, 1000, 7) == 7
    # a bucket is worth aging_ms of waiting
    assert order_key("fee", AGING, 1, 1000, 1) < order_key("fee", AGING, 0, 901, 1)
    assert order_key("fee", AGING, 1, 1000, 1) > order_key("fee", AGING, 0, 899, 1)
    for bad in ("lifo", None):
        with pytest.raises(ValueError, match="priority"):
            check_priority(bad, AGING)
    for bad in (0, -1, 1.5, True, 1 << 30):
        with pytest.raises(ValueError, match="aging_ms"):
            check_priority("fee", bad)


def test_higher_fee_per_unit_first_and_fifo_within_a_bucket(new_store, clock):
    store = new_store(aging_ms=10**6)
    fees = [1, 1000, 1, 5000, 1000, 0]
    jobs = [job(clock, i, f) for i, f in enumerate(fees)]
    for j in jobs:
        store.enqueue(j)
        clock.advance(1)
    got = [store.claim_next("w", LEASE).job_id for _ in jobs]
    want = [jobs[i].job_id for i in (3, 1, 4, 0, 2, 5)]  # buckets 12, 9, 9, 0, 0, 0
    assert got == want
    assert store.claim_next("w", LEASE) is None


def test_claim_batches_and_pop_next_follow_the_same_order(new_store, clock):
    store = new_store(aging_ms=10**6)
    jobs = [job(clock, i, 1 << i) for i in range(6)]
    for j in jobs:
        store.enqueue(j)
    recs = store.claim_next("w", LEASE, batch=3)
    assert [r.job_id for r in recs] == [j.job_id for j in jobs[:2:-1]]
    assert store.pop_next().job_id == jobs[2].job_id


def test_fifo_remains_available(new_store, clock):
    store = new_store(priority="fifo")
    jobs = [job(clock, i, f) for i, f in enumerate([1, 10**6, 5, 10**9])]
    for j in jobs:
        store.enqueue(j)
    assert [store.claim_next("w", LEASE).job_id for _ in jobs] == [j.job_id for j in jobs]


def test_a_job_given_back_keeps_its_bucket(new_store, clock):
    store = new_store(aging_ms=10**6)
    rich = job(clock, 0, 10**6)
    store.enqueue(rich)
    poor = [job(clock, i, 1) for i in range(1, 4)]
    for j in poor:
        store.enqueue(j)
    assert store.claim_next("w1", LEASE).job_id == rich.job_id
    clock.advance(5)
    store.fail(rich.job_id, "w1", "oom")
    # back in the order ahead of the older low-fee jobs (w2: w1 is kept from it)
    assert store.claim_next("w2", LEASE).job_id == rich.job_id


def test_aging_bounds_the_wait_of_a_zero_fee_job_under_a_stream_of_richer_ones(new_store, clock):
    # steady state: every ms one rich job (bucket 10) arrives and one job is
    # claimed, over a backlog of 20 rich jobs. Without aging the zero-fee job
    # would wait for ever; with it, it is claimed once the jobs that joined
    # within 10 * AGING ms after it (the bound: bucket difference x aging_ms)
    # and the backlog are served.
    store = new_store(aging_ms=AGING, capacity=100_000)
    i = 0
    for _ in range(20):
        store.enqueue(job(clock, i := i + 1, 1024))
    poor = job(clock, 0, 0)
    store.enqueue(poor)
    joined = clock.now
    claimed_at = None
    for _ in range(20 * AGING):
        clock.advance(1)
        store.enqueue(job(clock, i := i + 1, 1024))
        rec = store.claim_next("w", 10**8)
        if rec.job_id == poor.job_id:
            claimed_at = clock.now
            break
    assert claimed_at is not None, "the zero-fee job starved"
    bound = 10 * AGING + 20 + 2  # the aging bound, plus the backlog ahead of it
    assert claimed_at - joined <= bound
    assert claimed_at - joined >= 10 * AGING - 25  # and not before the richer jobs
    assert store.get(poor.job_id).status is JobStatus.IN_PROGRESS


def test_fifo_serves_a_zero_fee_job_in_arrival_order(new_store, clock):
    store = new_store(priority="fifo")
    for i in range(1, 6):
        store.enqueue(job(clock, i, 1024))
    poor = job(clock, 0, 0)
    store.enqueue(poor)
    got = [store.claim_next("w", LEASE).job_id for _ in range(6)]
    assert got[-1] == poor.job_id


def test_the_order_is_per_tier_too(new_store, clock):
    store = new_store(aging_ms=10**6)
    a = synthetic_job(1, tier=JobTier.MICRO, fee=1, created_at_ms=clock.now, ttl_ms=10**9)
    b = synthetic_job(2, tier=JobTier.MICRO, fee=10**5, created_at_ms=clock.now, ttl_ms=10**9)
    c = synthetic_job(3, tier=JobTier.FULL, fee=10**9, created_at_ms=clock.now, ttl_ms=10**9)
    for j in (a, b, c):
        store.enqueue(j)
    got = [store.claim_next("w", LEASE, JobTier.MICRO).job_id for _ in range(2)]
    assert got == [b.job_id, a.job_id]
