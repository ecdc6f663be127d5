"""The seed's worker loop and the local worker pool."""

from __future__ import annotations

import threading

import pytest

from pouw import JobQueue, JobStatus, QueueStats
from pouw.status import ZkMode
from pouw.worker import LocalWorkerPool, Outcome, process_job, run_worker
from support import synthetic_job


class EchoProver:
    """Proves by echoing the job id; fails on jobs whose fee is 13."""

    zk_mode = ZkMode.MOCK

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.threads: set[str] = set()

    def prove_job(self, job):
        self.threads.add(threading.current_thread().name)
        if self.delay:
            threading.Event().wait(self.delay)
        if job.fee_budget == 13:
            raise RuntimeError("unlucky trace")
        return b"proof:" + job.job_id.encode()

    def verify_job(self, job, proof):
        return proof == b"proof:" + job.job_id.encode()


class LyingProver(EchoProver):
    def verify_job(self, job, proof):
        return False


def test_process_job_completes_and_calls_back():
    q = JobQueue()
    job = synthetic_job(1)
    q.enqueue(job)
    got = []
    assert (
        process_job(q, EchoProver(), job, "w", on_proof=lambda j, p: got.append((j, p)))
        is Outcome.COMPLETED
    )
    assert q.get(job.job_id).proof == b"proof:" + job.job_id.encode()
    assert got == [(job.job_id, b"proof:" + job.job_id.encode())]


def test_process_job_prover_exception_marks_failed_with_text():
    q = JobQueue()
    job = synthetic_job(1, fee=13)
    q.enqueue(job)
    assert process_job(q, EchoProver(), job, "w") is Outcome.FAILED
    rec = q.get(job.job_id)
    assert rec.status is JobStatus.FAILED and "unlucky trace" in rec.error


def test_process_job_unverifiable_proof_marks_failed_when_asked_to_verify():
    q = JobQueue()
    job = synthetic_job(1)
    q.enqueue(job)
    assert process_job(q, LyingProver(), job, "w", verify=True) is Outcome.FAILED
    assert "did not verify" in q.get(job.job_id).error


def test_process_job_does_not_verify_its_own_proof_again():
    # the local worker trusts its own prover: one constraint check per job, not two
    class CountingProver(EchoProver):
        verified = 0

        def verify_job(self, job, proof):
            CountingProver.verified += 1
            return super().verify_job(job, proof)

    q = JobQueue()
    job = synthetic_job(1)
    q.enqueue(job)
    assert process_job(q, CountingProver(), job, "w") is Outcome.COMPLETED
    assert CountingProver.verified == 0


def test_process_job_skips_a_job_held_elsewhere():
    q = JobQueue()
    job = synthetic_job(1)
    q.enqueue(job)
    q.mark_in_progress(job.job_id, "other")
    assert process_job(q, EchoProver(), job, "w") is Outcome.SKIPPED
    assert q.get(job.job_id).worker_id == "other"


def test_run_worker_seed_loop():
    q = JobQueue()
    for i in range(20):
        q.enqueue(synthetic_job(i, fee=13 if i == 5 else 0))
    counts = run_worker(q, EchoProver(), "w1", exit_when_idle=True)
    assert counts[Outcome.COMPLETED] == 19 and counts[Outcome.FAILED] == 1
    assert q.stats() == QueueStats(0, 0, 19, 1, 0)


def test_run_worker_stops_on_event():
    q = JobQueue()
    stop = threading.Event()
    t = threading.Thread(
        target=run_worker, args=(q, EchoProver(), "w"), kwargs={"stop": stop, "poll_interval": 0.01}
    )
    t.start()
    q.enqueue(synthetic_job(1))
    stop.set()
    t.join(5)
    assert not t.is_alive()


@pytest.mark.parametrize("n_workers", [1, 2, 4])
def test_pool_proves_every_job_once(n_workers):
    q = JobQueue()
    prover = EchoProver()
    proofs = {}
    lock = threading.Lock()

    def on_proof(job_id, proof):
        with lock:
            assert job_id not in proofs
            proofs[job_id] = proof

    with LocalWorkerPool(n_workers, q, prover, ring_capacity=16, on_proof=on_proof) as pool:
        jobs = [synthetic_job(i, fee=13 if i % 50 == 7 else 0) for i in range(500)]
        for job in jobs:
            q.enqueue(job)
            pool.submit(job)  # blocks when the ring is full: back-pressure
        assert pool.wait_idle(30)
    failed = sum(1 for j in jobs if j.fee_budget == 13)
    assert q.stats() == QueueStats(0, 0, 500 - failed, failed, 0)
    assert len(proofs) == 500 - failed
    assert pool.counts[Outcome.COMPLETED] == 500 - failed
    assert pool.counts[Outcome.FAILED] == failed
    assert pool.proofs_verified == 500 - failed
    for j in jobs:
        if j.fee_budget == 13:
            assert "unlucky" in q.get(j.job_id).error


def test_pool_close_drains():
    q = JobQueue()
    pool = LocalWorkerPool(2, q, EchoProver(delay=0.002))
    for i in range(50):
        job = synthetic_job(i)
        q.enqueue(job)
        pool.submit(job)
    pool.close()  # drain=True: every submitted job is finished
    assert q.stats().completed_count == 50
    with pytest.raises(RuntimeError):
        pool.submit(synthetic_job(99))


def test_pool_close_without_drain_leaves_jobs_pending():
    q = JobQueue()
    gate = threading.Event()

    class Slow(EchoProver):
        def prove_job(self, job):
            gate.wait(5)
            return super().prove_job(job)

    pool = LocalWorkerPool(1, q, Slow(), ring_capacity=64)
    jobs = [synthetic_job(i) for i in range(20)]
    for job in jobs:
        q.enqueue(job, local=True)
        pool.submit(job)
    closer = threading.Thread(target=pool.close, kwargs={"drain": False})
    closer.start()
    gate.set()
    closer.join(10)
    s = q.stats()
    assert s.pending_count + s.completed_count == 20 and s.in_progress_count == 0
    # nothing lost: what was not proven is still pending and can be taken later
    run_worker(q, EchoProver(), "late", exit_when_idle=True)
    assert q.stats().completed_count == 20


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_pool_jobs_go_over_the_ring_only_and_come_back_when_abandoned(tmp_path, backend):
    # one hand-over path: a job enqueued for the pool is not in the pending order
    # too (no second way to a worker, no stale ids left to compact away)
    from pouw.store import SqliteJobQueue

    q = JobQueue() if backend == "memory" else SqliteJobQueue(tmp_path / "q.db")
    gate = threading.Event()

    class Gated(EchoProver):
        def prove_job(self, job):
            gate.wait(5)
            return super().prove_job(job)

    pool = LocalWorkerPool(1, q, Gated(), ring_capacity=64)
    jobs = [synthetic_job(i) for i in range(10)]
    for job in jobs:
        q.enqueue(job, local=True)
        pool.submit(job)
    assert q.pop_next() is None and q.claim_next("remote", 1000) is None
    assert {j.job_id for j in q.list_pending()} <= {j.job_id for j in jobs}
    closer = threading.Thread(target=pool.close, kwargs={"drain": False})
    closer.start()
    gate.set()
    closer.join(10)
    s = q.stats()
    assert s.pending_count + s.completed_count == 10 and s.in_progress_count == 0
    returned = [q.pop_next() for _ in range(s.pending_count)]  # back in the order, once each
    assert None not in returned and len({j.job_id for j in returned}) == s.pending_count
    assert q.pop_next() is None
    q.close()


def test_pool_rejects_bad_size():
    with pytest.raises(ValueError):
        LocalWorkerPool(0, JobQueue(), EchoProver())


def test_failing_on_proof_callback_does_not_kill_the_worker():
    q = JobQueue()

    def on_proof(job_id, proof):
        raise RuntimeError("ledger down")

    with LocalWorkerPool(1, q, EchoProver(), on_proof=on_proof) as pool:
        for i in range(5):
            job = synthetic_job(i)
            q.enqueue(job)
            pool.submit(job)
        assert pool.wait_idle(10)
    assert q.stats().completed_count == 5
    assert pool.counts[Outcome.COMPLETED] == 5


def test_job_retired_while_proving_is_expired_not_fatal(clock):
    # deadline passes during proving, sweep expires it and retention=0 drops it
    q = JobQueue(retention=0, clock=clock)
    job = synthetic_job(1, ttl_ms=10, created_at_ms=clock.now)
    q.enqueue(job)

    class SweepingProver(EchoProver):
        def prove_job(self, j):
            clock.advance(100)
            q.sweep()
            return super().prove_job(j)

    with LocalWorkerPool(1, q, SweepingProver()) as pool:
        pool.submit(job)
        assert pool.wait_idle(10)
    assert pool.counts[Outcome.EXPIRED] == 1
    assert q.stats().expired_count == 1


def test_submit_refuses_what_is_not_a_job():
    with LocalWorkerPool(1, JobQueue(), EchoProver()) as pool:
        with pytest.raises(TypeError):
            pool.submit("not a job")
        assert pool.outstanding == 0


def test_close_with_timeout_returns():
    q = JobQueue()
    gate = threading.Event()

    class Stuck(EchoProver):
        def prove_job(self, job):
            gate.wait(5)
            return super().prove_job(job)

    pool = LocalWorkerPool(1, q, Stuck())
    job = synthetic_job(1)
    q.enqueue(job)
    pool.submit(job)
    pool.close(timeout=0.2)  # bounded even though a job is stuck
    gate.set()
