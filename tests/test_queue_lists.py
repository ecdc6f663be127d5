"""Conformance tests of the paged reads (``list_jobs``, ``dead_letters``).

Run against every backend of tests/queue_backends.py: the in-memory store
answers from its per-(status, tier) indexes, SQLite from its table, and both
must give the same pages as a scan of every record would. The last tests pin
the in-memory index itself (its sorted set, its bounded catch-up).
"""

from __future__ import annotations

import random

import pytest

import queue_backends
from pouw import JobNotFound, JobQueue, JobStatus, JobTier
from pouw.queue import JobUnavailable
from pouw.queue.memory_index import DIRTY_MAX, SeqSet
from support import synthetic_job

# the backend fixtures (every test runs once per backend)
new_store = queue_backends.new_store
store = queue_backends.store

LEASE = 1000
TIERS = list(JobTier)


def job_at(clock, i, tier=JobTier.MACRO, ttl_ms=600_000):
    return synthetic_job(i, ttl_ms=ttl_ms, created_at_ms=clock.now, tier=tier)


def scan(store, ids, status=None, tier=None, after=0, limit=None):
    """The reference answer: every retained record, filtered and sorted by seq."""
    recs = []
    for job_id in ids:
        try:
            recs.append(store.get(job_id))
        except JobNotFound:
            continue  # dropped by retention
    recs = [
        r
        for r in recs
        if r.seq > after
        and (status is None or r.status is status)
        and (tier is None or r.job.tier is tier)
    ]
    recs.sort(key=lambda r: r.seq)
    return [r.job_id for r in recs[:limit]]


def churn(store, clock, n_jobs, seed):
    """Enqueue ``n_jobs`` of mixed tiers and move them through every status."""
    rng = random.Random(seed)
    ids = []
    for i in range(n_jobs):
        job = job_at(clock, i, tier=rng.choice(TIERS), ttl_ms=rng.choice([50, 600_000]))
        store.enqueue(job)
        ids.append(job.job_id)
        if rng.random() < 0.6:
            rec = store.claim_next(f"w{rng.randrange(3)}", LEASE)
            if rec is not None:
                roll = rng.random()
                if roll < 0.4:
                    store.complete_by(rec.job_id, rec.worker_id, b"p")
                elif roll < 0.7:
                    store.fail(rec.job_id, rec.worker_id, "crashed")
        if rng.random() < 0.05:
            clock.advance(rng.choice([10, LEASE + 1]))
            store.sweep()
    return ids


@pytest.mark.parametrize("retention", [10_000, 40])
def test_list_jobs_equals_a_scan_for_every_filter(new_store, clock, retention):
    store = new_store(max_attempts=2, retention=retention)
    ids = churn(store, clock, 3 * DIRTY_MAX // 2, seed=retention)  # past a writer's flush
    for status in [None, *JobStatus]:
        for tier in [None, *TIERS]:
            every = scan(store, ids, status, tier)
            got = [r.job_id for r in store.list_jobs(status, tier, limit=10_000)]
            assert got == every, (status, tier)
            if every:  # from a cursor in the middle, with a limit
                mid = store.get(every[len(every) // 2]).seq
                page = store.list_jobs(status, tier, limit=5, after_seq=mid)
                assert [r.job_id for r in page] == scan(store, ids, status, tier, mid, 5)
    dead = [r.job_id for r in store.dead_letters()]
    assert dead == scan(store, ids, JobStatus.FAILED)
    assert [r.job_id for r in store.dead_letters(limit=3)] == dead[:3]
    if retention > len(ids):  # nothing dropped: the list is every failure (stats stay exact)
        assert len(dead) == store.stats().failed_count > 0


def test_filters_exclude_other_statuses_and_tiers(store, clock):
    micro = job_at(clock, 1, tier=JobTier.MICRO)
    macro = job_at(clock, 2, tier=JobTier.MACRO)
    store.enqueue(micro)
    store.enqueue(macro)
    store.claim(macro.job_id, "w", LEASE)
    assert [r.job_id for r in store.list_jobs(JobStatus.PENDING)] == [micro.job_id]
    assert [r.job_id for r in store.list_jobs(tier=JobTier.MACRO)] == [macro.job_id]
    assert store.list_jobs(JobStatus.PENDING, JobTier.MACRO) == []
    assert store.list_jobs(JobStatus.COMPLETED) == []
    assert store.list_jobs(after_seq=store.get(macro.job_id).seq) == []


def test_dead_letters_in_enqueue_order_not_failure_order(new_store, clock):
    store = new_store(max_attempts=1)
    jobs = [job_at(clock, i) for i in range(4)]
    for j in jobs:
        store.enqueue(j)
    for j in reversed(jobs[:3]):  # fail newest first
        store.claim(j.job_id, "w", LEASE)
        store.fail(j.job_id, "w", "bad")
    assert [r.job_id for r in store.dead_letters()] == [j.job_id for j in jobs[:3]]
    assert [r.job_id for r in store.dead_letters(limit=2)] == [j.job_id for j in jobs[:2]]
    assert all(r.error == "bad" for r in store.dead_letters())


def test_paging_while_jobs_change_status(new_store, clock):
    # A client pages through PENDING (limit 7) while workers claim, fail and
    # complete jobs between its pages. Jobs that stayed pending throughout must
    # each come exactly once; no job comes twice; every job came while pending.
    store = new_store(capacity=10_000, max_attempts=5)
    rng = random.Random(7)
    jobs = [job_at(clock, i, tier=rng.choice(TIERS)) for i in range(600)]
    for j in jobs:
        store.enqueue(j)
    left_pending: set[str] = set()
    seen: list[str] = []
    cursor = 0
    while True:
        page = store.list_jobs(JobStatus.PENDING, limit=7, after_seq=cursor)
        assert all(r.status is JobStatus.PENDING for r in page)
        seen += [r.job_id for r in page]
        if not page:
            break
        cursor = page[-1].seq
        for _ in range(3):  # workers act between two pages
            j = rng.choice(jobs)
            try:
                rec = store.claim(j.job_id, f"w{rng.randrange(4)}", LEASE)
            except JobUnavailable:
                continue
            left_pending.add(j.job_id)
            if rng.random() < 0.5:
                store.fail(j.job_id, rec.worker_id, "again")  # back to pending
            else:
                store.complete_by(j.job_id, rec.worker_id, b"p")
    assert len(seen) == len(set(seen))  # never twice
    stayed = {j.job_id for j in jobs} - left_pending
    assert stayed <= set(seen)  # never skipped
    assert len(stayed) > 300  # the test did page through many untouched jobs


def test_paging_a_large_store_by_tier(new_store, clock):
    store = new_store(capacity=5000)
    jobs = [job_at(clock, i, tier=TIERS[i % 3]) for i in range(2000)]
    for j in jobs:
        store.enqueue(j)
    for tier in TIERS:
        want = [j.job_id for j in jobs if j.tier is tier]
        got, cursor = [], 0
        while page := store.list_jobs(JobStatus.PENDING, tier, limit=97, after_seq=cursor):
            got += [r.job_id for r in page]
            cursor = page[-1].seq
        assert got == want


# -- the in-memory index itself -------------------------------------------------


def test_seq_set_matches_a_sorted_list():
    rng = random.Random(3)
    s, ref = SeqSet(), set()
    for _ in range(20_000):
        k = rng.randrange(5000) if rng.random() < 0.5 else 5000 + len(ref)
        if k in ref:
            s.remove(k)
            ref.discard(k)
        else:
            s.add(k)
            ref.add(k)
    assert len(s) == len(ref)
    for after in (-1, 0, 17, 2500, 4999, 10**9):
        assert list(s.after(after)) == sorted(x for x in ref if x > after)


def test_seq_set_refuses_removing_a_missing_key():
    s = SeqSet()
    s.add(5)
    with pytest.raises(KeyError):
        s.remove(4)
    with pytest.raises(KeyError):
        s.remove(6)
    assert list(s.after(0)) == [5]


def test_writers_keep_the_index_catch_up_bounded(clock):
    # a read does at most DIRTY_MAX catch-up steps, however many writes preceded it
    store = JobQueue(clock=clock, capacity=10_000)
    for i in range(5 * DIRTY_MAX):
        j = job_at(clock, i)
        store.enqueue(j)
        store.claim(j.job_id, "w", LEASE)
        assert len(store._index.dirty) < DIRTY_MAX
    assert len(store.list_jobs(JobStatus.IN_PROGRESS, limit=10_000)) == 5 * DIRTY_MAX
    assert len(store._index.dirty) == 0


def test_memory_list_does_not_scan_every_record(clock, monkeypatch):
    # the index answers; a full scan of the records (the old way) is not taken
    store = JobQueue(clock=clock, capacity=10_000)
    for i in range(3000):
        store.enqueue(job_at(clock, i))
    store.list_jobs(limit=1)  # flush
    calls = []
    real = type(store._records)

    class Watched(real):  # type: ignore[misc,valid-type]
        def values(self):
            calls.append("values")
            return super().values()

    store._records = Watched(store._records)
    assert len(store.list_jobs(JobStatus.PENDING, limit=10, after_seq=2000)) == 10
    assert len(store.dead_letters()) == 0
    assert calls == []
