"""Conformance tests of leases, retries, late proofs and the API queries.

Run against every backend of tests/queue_backends.py, with a fake clock (no
sleeps): a lease lapses when the clock passes its expiry.
"""

from __future__ import annotations

import pytest

import queue_backends
from pouw import InvalidTransition, JobNotFound, JobStatus, JobTier, QueueStats
from pouw.queue import JobUnavailable, LeaseLost, NotHolder, SubmitResult
from support import synthetic_job

# the backend fixtures (every test runs once per backend)
new_store = queue_backends.new_store
store = queue_backends.store

LEASE = 1000


def job_at(clock, i, ttl_ms=600_000, tier=JobTier.MACRO):
    return synthetic_job(i, ttl_ms=ttl_ms, created_at_ms=clock.now, tier=tier)


def enqueued(store, clock, n=1, **kw):
    jobs = [job_at(clock, i, **kw) for i in range(n)]
    for j in jobs:
        store.enqueue(j)
    return jobs


def test_claim_holds_a_lease(store, clock):
    (job,) = enqueued(store, clock)
    rec = store.claim(job.job_id, "w1", LEASE)
    assert rec.status is JobStatus.IN_PROGRESS and rec.worker_id == "w1"
    assert rec.lease_expires_at_ms == clock.now + LEASE and rec.attempts == 1
    assert rec.job == job
    assert store.leases_held("w1") == 1 and store.leases_held("w2") == 0


def test_claim_rejects_a_job_not_pending(store, clock):
    (job,) = enqueued(store, clock)
    store.claim(job.job_id, "w1", LEASE)
    with pytest.raises(JobUnavailable):
        store.claim(job.job_id, "w2", LEASE)
    with pytest.raises(JobNotFound):
        store.claim("ab" * 32, "w2", LEASE)
    with pytest.raises(ValueError):
        store.claim(job.job_id, "w2", 0)


def test_claim_next_oldest_first_and_none_when_empty(store, clock):
    jobs = enqueued(store, clock, 3)
    got = [store.claim_next("w", LEASE).job_id for _ in range(3)]
    assert got == [j.job_id for j in jobs]
    assert store.claim_next("w", LEASE) is None


def test_claim_next_by_tier(store, clock):
    macro = job_at(clock, 1)
    full = job_at(clock, 2, tier=JobTier.FULL)
    store.enqueue(macro)
    store.enqueue(full)
    assert store.claim_next("w", LEASE, JobTier.FULL).job_id == full.job_id
    assert store.claim_next("w", LEASE, JobTier.FULL) is None
    assert store.claim_next("w", LEASE).job_id == macro.job_id


def test_claim_next_by_circuit(store, clock):
    # a worker claims the jobs of the circuits it has keys for, and jobs without one
    x, y = "1" * 64, "2" * 64
    for_y = synthetic_job(1, created_at_ms=clock.now, circuit=y)
    for_x = synthetic_job(2, created_at_ms=clock.now, circuit=x)
    mock = synthetic_job(3, created_at_ms=clock.now)
    for job in (for_y, for_x, mock):
        store.enqueue(job)
    assert store.claim_next("w", LEASE, circuits=[]).job_id == mock.job_id
    assert store.claim_next("w", LEASE, circuits=[x]).job_id == for_x.job_id
    assert store.claim_next("w", LEASE, circuits=[x]) is None  # only y's is left
    assert store.claim_next("w", LEASE, JobTier.FULL, circuits=[y]) is None
    rec = store.claim_next("w", LEASE, circuits=frozenset({x, y}))
    assert rec.job_id == for_y.job_id and rec.job.circuit == y


def test_claim_next_with_a_batch_size_takes_the_oldest_in_one_call(store, clock):
    jobs = enqueued(store, clock, 5)
    first = store.claim_next("w", LEASE, batch=3)
    assert [r.job_id for r in first] == [j.job_id for j in jobs[:3]]
    for rec in first:
        assert rec.status is JobStatus.IN_PROGRESS and rec.worker_id == "w"
        assert rec.attempts == 1 and rec.lease_expires_at_ms == clock.now + LEASE
        assert rec.holders == {"w"}
    rest = store.claim_next("v", LEASE, batch=10)
    assert [r.job_id for r in rest] == [j.job_id for j in jobs[3:]]
    assert store.claim_next("w", LEASE, batch=10) == []
    assert store.stats().in_progress_count == 5
    assert store.worker_stats()["w"]["claimed"] == 3 and store.worker_stats()["v"]["claimed"] == 2
    # a job given back by w is kept from w for a lease period, by the batch too
    store.fail(jobs[0].job_id, "w", "gpu fell over")
    assert store.claim_next("w", LEASE, batch=10) == []
    (again,) = store.claim_next("v", LEASE, batch=10)
    assert again.job_id == jobs[0].job_id and again.attempts == 2
    assert store.claim_next("v", LEASE) is None  # without batch: one record, or None
    for bad in (0, 1001, True, "3"):
        with pytest.raises(ValueError):
            store.claim_next("w", LEASE, batch=bad)


def test_claim_next_skips_jobs_reserved_by_pop_next(store, clock):
    a, b = enqueued(store, clock, 2)
    assert store.pop_next() == a
    assert store.claim_next("w", LEASE).job_id == b.job_id
    assert store.claim_next("w", LEASE) is None


def test_heartbeat_extends_the_lease(store, clock):
    (job,) = enqueued(store, clock)
    store.claim(job.job_id, "w1", LEASE)
    clock.advance(800)
    assert store.heartbeat(job.job_id, "w1", LEASE) == clock.now + LEASE
    clock.advance(800)  # past the first lease, inside the extended one
    assert store.lapse_leases() == 0
    assert store.get_status(job.job_id) is JobStatus.IN_PROGRESS


def test_heartbeat_rejects_non_holders(store, clock):
    (job,) = enqueued(store, clock)
    with pytest.raises(NotHolder):
        store.heartbeat(job.job_id, "w1", LEASE)
    store.claim(job.job_id, "w1", LEASE)
    with pytest.raises(NotHolder):
        store.heartbeat(job.job_id, "w2", LEASE)
    clock.advance(LEASE + 1)
    with pytest.raises(LeaseLost):  # held once, lapsed since
        store.heartbeat(job.job_id, "w1", LEASE)


def test_a_worker_heartbeat_extends_every_live_lease_it_holds(store, clock):
    jobs = enqueued(store, clock, 4)
    for j in jobs[:3]:
        store.claim(j.job_id, "w1", LEASE)
    store.claim(jobs[3].job_id, "w2", LEASE)
    clock.advance(LEASE // 2)
    assert store.worker_heartbeat("w1", 3 * LEASE) == 3
    for j in jobs[:3]:
        rec = store.get(j.job_id)
        assert rec.lease_expires_at_ms == clock.now + 3 * LEASE and rec.lease_ms == 3 * LEASE
    assert store.get(jobs[3].job_id).lease_expires_at_ms == clock.now + LEASE // 2  # w2's
    assert store.workers_seen() == {"w1": clock.now}
    assert store.worker_heartbeat("w3", LEASE) == 0  # holds nothing: seen all the same
    assert set(store.workers_seen()) == {"w1", "w3"}
    with pytest.raises(ValueError):
        store.worker_heartbeat("w1", 0)


def test_a_slow_worker_that_heartbeats_is_never_rescued(store, clock):
    jobs = enqueued(store, clock, 2)
    for j in jobs:
        store.claim(j.job_id, "slow", LEASE)
    for _ in range(20):  # ten lease periods of proving, a beat every half lease
        clock.advance(LEASE // 2)
        assert store.worker_heartbeat("slow", LEASE) == 2
        assert store.lapse_leases() == 0
        store.sweep()
    assert all(store.get(j.job_id).status is JobStatus.IN_PROGRESS for j in jobs)
    assert store.worker_stats()["slow"]["lapsed"] == 0
    # it falls silent: one lease later the rescuer gives both back, attempt counted
    clock.advance(LEASE + 1)
    assert store.lapse_leases() == 2
    assert store.worker_heartbeat("slow", LEASE) == 0  # too late: nothing to extend
    for j in jobs:
        rec = store.get(j.job_id)
        assert rec.status is JobStatus.PENDING and rec.attempts == 1
    assert store.worker_stats()["slow"]["lapsed"] == 2


def test_lapsed_lease_returns_job_to_pending_with_attempt_counted(store, clock):
    (job,) = enqueued(store, clock)
    store.claim(job.job_id, "w1", LEASE)
    clock.advance(LEASE)
    assert store.lapse_leases() == 0  # the lease includes its last millisecond
    clock.advance(1)
    assert store.lapse_leases() == 1
    rec = store.get(job.job_id)
    assert rec.status is JobStatus.PENDING and rec.attempts == 1 and rec.worker_id is None
    assert "lapsed" in rec.error
    assert store.worker_stats()["w1"]["lapsed"] == 1
    assert store.stats() == QueueStats(1, 0, 0, 0, 0)


def test_sweep_also_ends_lapsed_leases(store, clock):
    (job,) = enqueued(store, clock)
    store.claim(job.job_id, "w1", LEASE)
    clock.advance(LEASE + 1)
    store.sweep()
    assert store.get_status(job.job_id) is JobStatus.PENDING


def test_failed_job_goes_to_another_worker_first(store, clock):
    a, b = enqueued(store, clock, 2)
    store.claim(a.job_id, "w1", LEASE)
    assert store.fail(a.job_id, "w1", "out of memory") is JobStatus.PENDING
    # w1 is offered b, not a; another worker gets a
    assert store.claim_next("w1", LEASE).job_id == b.job_id
    assert store.claim_next("w1", LEASE) is None
    with pytest.raises(JobUnavailable):
        store.claim(a.job_id, "w1", LEASE)
    assert store.claim_next("w2", LEASE).job_id == a.job_id


def test_preference_is_not_a_ban(store, clock):
    (job,) = enqueued(store, clock)
    store.claim(job.job_id, "w1", LEASE)
    clock.advance(LEASE + 1)
    store.lapse_leases()
    assert store.claim_next("w1", LEASE) is None  # others first, for one lease period
    clock.advance(LEASE)
    rec = store.claim_next("w1", LEASE)  # nobody came: the lone worker takes it again
    assert rec.job_id == job.job_id and rec.attempts == 2


def test_max_attempts_fails_for_good_with_last_error(new_store, clock):
    store = new_store(max_attempts=2)
    (job,) = enqueued(store, clock)
    store.claim(job.job_id, "w1", LEASE)
    store.fail(job.job_id, "w1", "first")
    store.claim(job.job_id, "w2", LEASE)
    clock.advance(LEASE + 1)
    store.lapse_leases()
    rec = store.get(job.job_id)
    assert rec.status is JobStatus.FAILED and rec.attempts == 2 and "lapsed" in rec.error
    dead = store.dead_letters()
    assert [r.job_id for r in dead] == [job.job_id]
    assert store.stats().failed_count == 1


def test_fail_at_max_attempts_keeps_its_error(new_store, clock):
    store = new_store(max_attempts=1)
    (job,) = enqueued(store, clock)
    store.claim(job.job_id, "w1", LEASE)
    assert store.fail(job.job_id, "w1", "prover crashed") is JobStatus.FAILED
    assert store.dead_letters()[0].error == "prover crashed"


def test_dead_letters_empty_without_failures(store, clock):
    (job,) = enqueued(store, clock)
    store.claim(job.job_id, "w1", LEASE)
    store.fail(job.job_id, "w1", "retry me")
    assert store.dead_letters() == []


def test_fail_rejects_non_holders(store, clock):
    (job,) = enqueued(store, clock)
    with pytest.raises(NotHolder):
        store.fail(job.job_id, "w1", "e")
    store.claim(job.job_id, "w1", LEASE)
    with pytest.raises(NotHolder):
        store.fail(job.job_id, "w2", "e")
    assert store.get_status(job.job_id) is JobStatus.IN_PROGRESS


def test_complete_by_holder(store, clock):
    (job,) = enqueued(store, clock)
    store.claim(job.job_id, "w1", LEASE)
    assert store.complete_by(job.job_id, "w1", b"proof") is SubmitResult.COMPLETED
    rec = store.get(job.job_id)
    assert rec.status is JobStatus.COMPLETED and rec.proof == b"proof"
    assert store.leases_held("w1") == 0
    assert store.worker_stats()["w1"]["completed"] == 1


def test_duplicate_submit_is_idempotent(store, clock):
    (job,) = enqueued(store, clock)
    store.claim(job.job_id, "w1", LEASE)
    store.complete_by(job.job_id, "w1", b"proof")
    assert store.complete_by(job.job_id, "w1", b"proof") is SubmitResult.DUPLICATE
    assert store.stats() == QueueStats(0, 0, 1, 0, 0)
    assert store.worker_stats()["w1"]["completed"] == 1


def test_complete_by_a_worker_that_never_held_it_is_refused(store, clock):
    (job,) = enqueued(store, clock)
    with pytest.raises(NotHolder):
        store.complete_by(job.job_id, "w1", b"proof")
    store.claim(job.job_id, "w1", LEASE)
    with pytest.raises(NotHolder):
        store.complete_by(job.job_id, "w2", b"proof")
    store.complete_by(job.job_id, "w1", b"proof")
    with pytest.raises(NotHolder):
        store.complete_by(job.job_id, "w2", b"proof")


def test_late_proof_completes_a_pending_job(store, clock):
    (job,) = enqueued(store, clock)
    store.claim(job.job_id, "w1", LEASE)
    clock.advance(LEASE + 1)
    store.lapse_leases()
    assert store.get_status(job.job_id) is JobStatus.PENDING
    assert store.complete_by(job.job_id, "w1", b"late") is SubmitResult.LATE_COMPLETED
    rec = store.get(job.job_id)
    assert rec.status is JobStatus.COMPLETED and rec.proof == b"late"
    assert store.worker_stats()["w1"]["lapsed"] == 1  # the lapse still counts
    assert store.claim_next("w2", LEASE) is None
    assert store.stats() == QueueStats(0, 0, 1, 0, 0)


def test_late_proof_ends_another_workers_lease(store, clock):
    (job,) = enqueued(store, clock)
    store.claim(job.job_id, "w1", LEASE)
    clock.advance(LEASE + 1)
    store.claim_next("w2", LEASE)
    assert store.get(job.job_id).worker_id == "w2"
    assert store.complete_by(job.job_id, "w1", b"late") is SubmitResult.LATE_COMPLETED
    assert store.leases_held("w2") == 0
    with pytest.raises(LeaseLost):
        store.heartbeat(job.job_id, "w2", LEASE)
    # the second valid proof is answered "already completed", not an error
    assert store.complete_by(job.job_id, "w2", b"other") is SubmitResult.ALREADY_COMPLETED
    # the same (deterministic) proof bytes from the other worker: not its duplicate
    assert store.complete_by(job.job_id, "w2", b"late") is SubmitResult.ALREADY_COMPLETED
    assert store.get(job.job_id).proof == b"late"
    assert store.stats() == QueueStats(0, 0, 1, 0, 0)


def test_completion_is_fenced_by_the_claims_attempt(store, clock):
    # w1 claims (attempt 1), its lease lapses, w1 claims again (attempt 2): the
    # proof sent for attempt 1 is a late proof; the one for attempt 2 then finds
    # the job done; the completion is counted once
    (job,) = enqueued(store, clock)
    assert store.claim(job.job_id, "w1", LEASE).attempts == 1
    clock.advance(LEASE + 1)
    store.lapse_leases()
    clock.advance(LEASE + 1)  # past the one-period preference for other workers
    assert store.claim(job.job_id, "w1", LEASE).attempts == 2
    assert store.complete_by(job.job_id, "w1", b"p", attempt=1) is SubmitResult.LATE_COMPLETED
    assert store.complete_by(job.job_id, "w1", b"p", attempt=2) is SubmitResult.DUPLICATE
    assert store.worker_stats()["w1"]["completed"] == 1
    assert store.stats() == QueueStats(0, 0, 1, 0, 0)
    assert store.leases_held("w1") == 0


def test_the_current_attempt_completes_as_the_holders(store, clock):
    jobs = enqueued(store, clock, 2)
    for job in jobs:
        rec = store.claim(job.job_id, "w1", LEASE)
        assert store.complete_by(job.job_id, "w1", b"p", attempt=rec.attempts) is (
            SubmitResult.COMPLETED
        )
        got = store.get(job.job_id)
        assert got.status is JobStatus.COMPLETED and got.proof == b"p" and got.worker_id == "w1"
        assert got.lease_expires_at_ms is None and got.finished_at_ms == clock.now
    assert store.stats() == QueueStats(0, 0, 2, 0, 0)
    assert store.stats_by_tier()["macro"] == QueueStats(0, 0, 2, 0, 0)
    assert store.worker_stats()["w1"]["completed"] == 2


def test_a_stale_attempt_ends_another_workers_lease_once(store, clock):
    (job,) = enqueued(store, clock)
    store.claim(job.job_id, "w1", LEASE)
    clock.advance(LEASE + 1)
    rec = store.claim_next("w2", LEASE)
    assert rec is not None and rec.attempts == 2
    # w1's proof of attempt 1 completes the job: w2's lease ends
    assert store.complete_by(job.job_id, "w1", b"p", attempt=1) is SubmitResult.LATE_COMPLETED
    assert store.complete_by(job.job_id, "w2", b"q", attempt=2) is (SubmitResult.ALREADY_COMPLETED)
    stats = store.worker_stats()
    assert stats["w1"]["completed"] == 1 and stats["w2"].get("completed", 0) == 0


def test_an_attempt_never_handed_out_is_refused(store, clock):
    (job,) = enqueued(store, clock)
    store.claim(job.job_id, "w1", LEASE)
    for bad in (2, 7):
        with pytest.raises(NotHolder):
            store.complete_by(job.job_id, "w1", b"p", attempt=bad)
    for bad in (0, -1, True, "1", 1.0):
        with pytest.raises(ValueError):
            store.complete_by(job.job_id, "w1", b"p", attempt=bad)
    assert store.get_status(job.job_id) is JobStatus.IN_PROGRESS
    assert store.complete_by(job.job_id, "w1", b"p", attempt=1) is SubmitResult.COMPLETED


def test_a_fenced_completion_after_the_lease_lapsed_is_late(store, clock):
    # the lease ran out but no sweep ran yet: the proof is late, as without the token
    (job,) = enqueued(store, clock)
    store.claim(job.job_id, "w1", LEASE)
    clock.advance(LEASE + 1)
    assert store.complete_by(job.job_id, "w1", b"p", attempt=1) is SubmitResult.LATE_COMPLETED
    assert store.worker_stats()["w1"]["lapsed"] == 1
    assert store.stats() == QueueStats(0, 0, 1, 0, 0)


def test_a_fenced_completion_past_the_deadline_is_refused(store, clock):
    (job,) = enqueued(store, clock, ttl_ms=500)
    store.claim(job.job_id, "w1", 10 * LEASE)
    clock.advance(600)
    with pytest.raises(InvalidTransition):
        store.complete_by(job.job_id, "w1", b"p", attempt=1)
    assert store.get_status(job.job_id) is JobStatus.EXPIRED


def test_late_proof_refused_once_expired(store, clock):
    (job,) = enqueued(store, clock, ttl_ms=5000)
    store.claim(job.job_id, "w1", LEASE)
    clock.advance(6000)
    store.sweep()
    assert store.get_status(job.job_id) is JobStatus.EXPIRED
    with pytest.raises(InvalidTransition):
        store.complete_by(job.job_id, "w1", b"late")


def test_late_proof_refused_once_failed(new_store, clock):
    store = new_store(max_attempts=1)
    (job,) = enqueued(store, clock)
    store.claim(job.job_id, "w1", LEASE)
    store.fail(job.job_id, "w1", "gave up")
    with pytest.raises(InvalidTransition):
        store.complete_by(job.job_id, "w1", b"late")


def test_reject_proof_counts_and_gives_the_job_back(store, clock):
    (job,) = enqueued(store, clock)
    store.claim(job.job_id, "w1", LEASE)
    assert store.reject_proof(job.job_id, "w1", "forged") is JobStatus.PENDING
    assert store.worker_stats()["w1"]["rejected"] == 1
    assert store.get(job.job_id).error == "forged"
    assert store.claim_next("w2", LEASE).job_id == job.job_id


def test_reject_proof_of_a_non_holder(store, clock):
    (job,) = enqueued(store, clock)
    with pytest.raises(NotHolder):
        store.reject_proof(job.job_id, "w1", "forged")
    store.claim(job.job_id, "w1", LEASE)
    clock.advance(LEASE + 1)
    store.claim_next("w2", LEASE)
    # a lapsed worker's bad proof counts against it but leaves w2's lease alone
    assert store.reject_proof(job.job_id, "w1", "forged") is JobStatus.IN_PROGRESS
    assert store.get(job.job_id).worker_id == "w2"


def test_deadline_still_expires_a_leased_job(store, clock):
    (job,) = enqueued(store, clock, ttl_ms=500)
    store.claim(job.job_id, "w1", LEASE)
    clock.advance(LEASE + 1)
    store.lapse_leases()
    assert store.get_status(job.job_id) is JobStatus.EXPIRED


def test_list_jobs_filters_and_pages(store, clock):
    jobs = enqueued(store, clock, 5)
    store.claim(jobs[1].job_id, "w", LEASE)
    page = store.list_jobs(limit=2)
    assert [r.job_id for r in page] == [j.job_id for j in jobs[:2]]
    rest = store.list_jobs(limit=10, after_seq=page[-1].seq)
    assert [r.job_id for r in rest] == [j.job_id for j in jobs[2:]]
    assert [r.job_id for r in store.list_jobs(JobStatus.IN_PROGRESS)] == [jobs[1].job_id]
    assert store.list_jobs(tier=JobTier.FULL) == []


def test_stats_by_tier(store, clock):
    enqueued(store, clock, 2)
    store.enqueue(job_at(clock, 9, tier=JobTier.MICRO))
    by_tier = store.stats_by_tier()
    assert by_tier["macro"].pending_count == 2 and by_tier["micro"].pending_count == 1
    assert by_tier["full"] == QueueStats()


def test_old_and_lease_apis_mix(store, clock):
    # the local pool's mark_in_progress takes no lease: it never lapses
    (job,) = enqueued(store, clock)
    store.mark_in_progress(job.job_id, "local")
    clock.advance(10 * LEASE)
    assert store.lapse_leases() == 0
    assert store.get_status(job.job_id) is JobStatus.IN_PROGRESS
