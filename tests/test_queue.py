"""Conformance tests of the JobStore protocol, run against every backend.

Backends are listed in tests/queue_backends.py (memory and SQLite); every
test here must pass for each unchanged.
"""

from __future__ import annotations

import threading

import pytest

import queue_backends
from pouw import (
    DuplicateJob,
    InvalidTransition,
    JobNotFound,
    JobQueue,
    JobStatus,
    JobStore,
    PouwError,
    QueueFull,
    QueueStats,
)
from support import synthetic_job

# the backend fixtures (every test runs once per backend)
new_store = queue_backends.new_store
store = queue_backends.store


def job_at(clock, i, ttl_ms=60_000):
    return synthetic_job(i, ttl_ms=ttl_ms, created_at_ms=clock.now)


def test_backend_satisfies_protocol(store):
    assert isinstance(store, JobStore)


def test_seed_worker_sequence(store, clock):
    job = job_at(clock, 1)
    store.enqueue(job)
    assert store.get_status(job.job_id) is JobStatus.PENDING
    popped = store.pop_next()
    assert popped == job
    store.mark_in_progress(job.job_id, "w1")
    rec = store.get(job.job_id)
    assert rec.status is JobStatus.IN_PROGRESS and rec.worker_id == "w1" and rec.attempts == 1
    store.mark_completed(job.job_id, b"proof-bytes")
    rec = store.get(job.job_id)
    assert rec.status is JobStatus.COMPLETED
    assert rec.proof == b"proof-bytes"
    assert rec.job == job
    assert store.stats() == QueueStats(0, 0, 1, 0, 0)


def test_pop_next_fifo_and_none_when_empty(store, clock):
    assert store.pop_next() is None
    jobs = [job_at(clock, i) for i in range(5)]
    for j in jobs:
        store.enqueue(j)
    assert [store.pop_next().job_id for _ in range(5)] == [j.job_id for j in jobs]
    assert store.pop_next() is None


def test_pop_next_hands_each_job_once(store, clock):
    for i in range(3):
        store.enqueue(job_at(clock, i))
    seen = [store.pop_next() for _ in range(3)]
    assert len({j.job_id for j in seen}) == 3
    assert store.pop_next() is None
    # popped but not yet started: still pending in status and stats
    assert store.stats().pending_count == 3


def test_duplicate_job_rejected(store, clock):
    job = job_at(clock, 1)
    store.enqueue(job)
    with pytest.raises(DuplicateJob):
        store.enqueue(job)
    assert store.stats().pending_count == 1


def test_enqueue_many_adds_a_batch_in_order_as_enqueue_would(store, clock):
    jobs = [job_at(clock, i) for i in range(4)]
    # every column as enqueue keeps it (a circuit here; the largest fee below)
    odd = synthetic_job(7, created_at_ms=clock.now, circuit="c" * 64, fee=0)
    jobs.append(odd)
    late = synthetic_job(99, ttl_ms=10, created_at_ms=clock.now - 1000)
    woken: list[int] = []
    store.on_new_jobs(lambda: woken.append(1))
    store.enqueue_many([*jobs[:3], late, *jobs[3:]])
    store.enqueue_many([])  # nothing, no error
    assert store.stats() == QueueStats(5, 0, 0, 0, 1)
    assert store.get_status(late.job_id) is JobStatus.EXPIRED
    assert woken  # one batch, at least one wake-up
    got = [store.pop_next() for _ in range(6)]
    assert [j.job_id for j in got[:5]] == [j.job_id for j in jobs] and got[5] is None
    assert store.get(odd.job_id).job.circuit == "c" * 64
    rich = synthetic_job(8, created_at_ms=clock.now, fee=(1 << 64) - 1)
    store.enqueue_many([rich])
    assert store.get(rich.job_id).job.fee_budget == (1 << 64) - 1


def test_enqueue_many_is_all_or_nothing(new_store, clock):
    store = new_store(capacity=4)
    known = job_at(clock, 1)
    store.enqueue(known)
    fresh = [job_at(clock, i) for i in range(2, 5)]
    with pytest.raises(DuplicateJob):
        store.enqueue_many([*fresh, known])  # one id the store has
    with pytest.raises(DuplicateJob):
        store.enqueue_many([fresh[0], fresh[1], fresh[0]])  # one id twice in the batch
    with pytest.raises(QueueFull):
        store.enqueue_many([*fresh, job_at(clock, 5)])  # 1 + 4 live > 4
    assert store.stats().pending_count == 1  # none of the refused batches' jobs
    for j in fresh:
        with pytest.raises(JobNotFound):
            store.get(j.job_id)
    # an expired job takes no room: 1 + 3 live, plus one past its deadline
    late = synthetic_job(98, ttl_ms=10, created_at_ms=clock.now - 1000)
    store.enqueue_many([*fresh, late])
    assert store.stats() == QueueStats(4, 0, 0, 0, 1)


def test_enqueue_many_local_jobs_wait_for_return_local(store, clock):
    jobs = [job_at(clock, i) for i in range(3)]
    store.enqueue_many(jobs, local=True)
    assert store.stats().pending_count == 3
    assert store.pop_next() is None
    store.return_local([j.job_id for j in jobs])
    assert {store.pop_next().job_id for _ in range(3)} == {j.job_id for j in jobs}


def test_unknown_id_raises_job_not_found(store):
    for call in (
        lambda: store.get("00" * 32),
        lambda: store.get_status("00" * 32),
        lambda: store.mark_in_progress("00" * 32, "w"),
        lambda: store.mark_completed("00" * 32, b"p"),
        lambda: store.mark_failed("00" * 32, "e"),
    ):
        with pytest.raises(JobNotFound):
            call()


@pytest.mark.parametrize(
    "steps",
    [
        ["complete"],  # pending -> completed
        ["fail"],  # pending -> failed
        ["start", "start"],  # in progress -> in progress
        ["start", "complete", "start"],  # completed -> in progress
        ["start", "complete", "fail"],  # completed -> failed
        ["start", "fail", "complete"],  # failed -> completed
        ["release"],  # pending -> pending
    ],
)
def test_illegal_transitions(store, clock, steps):
    job = job_at(clock, 7)
    store.enqueue(job)
    ops = {
        "start": lambda: store.mark_in_progress(job.job_id, "w"),
        "complete": lambda: store.mark_completed(job.job_id, b"p"),
        "fail": lambda: store.mark_failed(job.job_id, "boom"),
        "release": lambda: store.release(job.job_id),
    }
    for op in steps[:-1]:
        ops[op]()
    before = store.get_status(job.job_id)
    with pytest.raises(InvalidTransition):
        ops[steps[-1]]()
    assert store.get_status(job.job_id) is before


def test_failed_keeps_error(store, clock):
    job = job_at(clock, 1)
    store.enqueue(job)
    store.mark_in_progress(job.job_id, "w")
    store.mark_failed(job.job_id, "prover crashed")
    rec = store.get(job.job_id)
    assert rec.status is JobStatus.FAILED and rec.error == "prover crashed"
    assert store.stats().failed_count == 1


def test_release_returns_job_to_pending(store, clock):
    job = job_at(clock, 1)
    store.enqueue(job)
    assert store.pop_next() == job
    store.mark_in_progress(job.job_id, "w1")
    store.release(job.job_id, "lease lost")
    assert store.get_status(job.job_id) is JobStatus.PENDING
    assert store.pop_next() == job
    store.mark_in_progress(job.job_id, "w2")
    assert store.get(job.job_id).attempts == 2


def test_full_queue_raises_queue_full(new_store, clock):
    store = new_store(capacity=2)
    store.enqueue(job_at(clock, 1))
    store.enqueue(job_at(clock, 2))
    with pytest.raises(QueueFull):
        store.enqueue(job_at(clock, 3))
    # finishing a job frees a slot
    j = store.pop_next()
    store.mark_in_progress(j.job_id, "w")
    store.mark_completed(j.job_id, b"p")
    store.enqueue(job_at(clock, 3))


def test_already_expired_job_accepted_and_never_handed_out(store, clock):
    job = synthetic_job(1, ttl_ms=10, created_at_ms=clock.now - 1000)
    store.enqueue(job)
    assert store.get_status(job.job_id) is JobStatus.EXPIRED
    assert store.pop_next() is None
    assert store.stats() == QueueStats(0, 0, 0, 0, 1)


def test_expiry_met_by_pop_next(store, clock):
    short = job_at(clock, 1, ttl_ms=100)
    long = job_at(clock, 2, ttl_ms=10_000)
    store.enqueue(short)
    store.enqueue(long)
    clock.advance(500)
    assert store.pop_next() == long
    assert store.get_status(short.job_id) is JobStatus.EXPIRED
    assert store.stats().expired_count == 1


def test_sweep_expires_pending_and_in_progress(store, clock):
    a, b, c = (job_at(clock, i, ttl_ms=100) for i in range(3))
    for j in (a, b, c):
        store.enqueue(j)
    store.mark_in_progress(b.job_id, "w")
    store.mark_in_progress(c.job_id, "w")
    store.mark_completed(c.job_id, b"p")
    clock.advance(1000)
    assert store.sweep() == 2
    assert store.get_status(a.job_id) is JobStatus.EXPIRED
    assert store.get_status(b.job_id) is JobStatus.EXPIRED
    assert store.get_status(c.job_id) is JobStatus.COMPLETED
    assert store.stats() == QueueStats(0, 0, 1, 0, 2)
    with pytest.raises(InvalidTransition):
        store.mark_completed(b.job_id, b"late")


def test_start_after_deadline_is_refused(store, clock):
    job = job_at(clock, 1, ttl_ms=100)
    store.enqueue(job)
    clock.advance(200)
    with pytest.raises(InvalidTransition):
        store.mark_in_progress(job.job_id, "w")
    assert store.get_status(job.job_id) is JobStatus.EXPIRED


def test_stale_reservation_returns_to_queue(new_store, clock):
    store = new_store(reservation_timeout_ms=1000)
    job = job_at(clock, 1)
    store.enqueue(job)
    assert store.pop_next() == job
    assert store.pop_next() is None
    clock.advance(2000)
    store.sweep()
    assert store.pop_next() == job  # the first caller died between pop and start


def test_list_pending(store, clock):
    jobs = [job_at(clock, i) for i in range(4)]
    for j in jobs:
        store.enqueue(j)
    store.mark_in_progress(jobs[1].job_id, "w")
    assert [j.job_id for j in store.list_pending()] == [jobs[i].job_id for i in (0, 2, 3)]
    assert len(store.list_pending(limit=2)) == 2


def test_retention_bounds_memory_and_stats_stay_exact(new_store, clock):
    store = new_store(retention=3)
    ids = []
    for i in range(10):
        j = job_at(clock, i)
        store.enqueue(j)
        store.mark_in_progress(j.job_id, "w")
        store.mark_completed(j.job_id, b"p%d" % i)
        ids.append(j.job_id)
    assert store.stats().completed_count == 10
    assert store.get(ids[-1]).proof == b"p9"
    with pytest.raises(JobNotFound):
        store.get(ids[0])


def test_get_returns_a_snapshot(store, clock):
    job = job_at(clock, 1)
    store.enqueue(job)
    rec = store.get(job.job_id)
    rec.status = JobStatus.COMPLETED
    assert store.get_status(job.job_id) is JobStatus.PENDING


def test_claim_by_id_without_pop_keeps_order_bounded(clock):
    # the local pool claims by id; the pending order must not grow without bound
    store = JobQueue(clock=clock, capacity=10_000)
    for i in range(5000):
        j = job_at(clock, i)
        store.enqueue(j)
        store.mark_in_progress(j.job_id, "w")
        store.mark_completed(j.job_id, b"p")
    assert len(store._order) <= 2 * store.stats().pending_count + 1024
    assert store.pop_next() is None


def test_errors_are_pouw_errors():
    for exc in (DuplicateJob, InvalidTransition, JobNotFound, QueueFull):
        assert issubclass(exc, PouwError)


def test_rejects_bad_settings():
    with pytest.raises(ValueError):
        JobQueue(0)
    with pytest.raises(ValueError):
        JobQueue(10, retention=-1)


def test_concurrent_producers_consumers_each_job_once(new_store, clock):
    store = new_store(capacity=100_000)
    n_producers, n_consumers, per_producer = 4, 4, 1500
    done = threading.Event()
    taken: list[list[str]] = [[] for _ in range(n_consumers)]

    def produce(p):
        for i in range(per_producer):
            store.enqueue(job_at(clock, p * per_producer + i))

    def consume(c):
        while True:
            job = store.pop_next()
            if job is None:
                if done.is_set():
                    job = store.pop_next()
                    if job is None:
                        return
                else:
                    continue
            store.mark_in_progress(job.job_id, f"w{c}")
            store.mark_completed(job.job_id, b"p")
            taken[c].append(job.job_id)

    producers = [threading.Thread(target=produce, args=(p,)) for p in range(n_producers)]
    consumers = [threading.Thread(target=consume, args=(c,)) for c in range(n_consumers)]
    for t in producers + consumers:
        t.start()
    for t in producers:
        t.join()
    done.set()
    for t in consumers:
        t.join()
    all_taken = [j for t in taken for j in t]
    total = n_producers * per_producer
    assert len(all_taken) == total
    assert len(set(all_taken)) == total
    assert store.stats() == QueueStats(0, 0, total, 0, 0)


def test_stale_reservations_return_oldest_first(new_store, clock):
    store = new_store(reservation_timeout_ms=1000)
    jobs = [job_at(clock, i) for i in range(3)]
    for j in jobs:
        store.enqueue(j)
    popped = [store.pop_next() for _ in range(3)]
    clock.advance(2000)
    store.sweep()
    assert [store.pop_next().job_id for _ in range(3)] == [j.job_id for j in popped]


def test_reservation_timeout_must_be_positive(clock):
    with pytest.raises(ValueError):
        JobQueue(clock=clock, reservation_timeout_ms=0)
