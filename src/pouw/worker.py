"""Provers at work: the seed's worker loop and the local worker pool.

``pouw.worker`` uses the queue and prover layers only (never the node), so the
node can own a pool. One function, :func:`process_job`, is what every worker
does with one job; the loop and the pool differ only in how jobs reach it:

* :func:`run_worker` -- the seed's loop: ``pop_next`` then ``mark_in_progress``,
  polling the store (what an embedded or remote-style worker does);
* :class:`LocalWorkerPool` -- threads fed through the lock-free
  :class:`~pouw.queue.RingBuffer`; an idle worker sleeps in the ring's blocking
  ``pop`` (no core burned), the proving kernels release the GIL.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable

from .errors import InvalidTransition, JobNotFound, PouwError, ProofError, QueueFull
from .job import ProofJob, now_ms
from .prover import Prover
from .queue import JobStore, RingBuffer
from .queue.analytics import ProofTimes

__all__ = ["Outcome", "process_job", "run_worker", "LocalWorkerPool"]

ProofCallback = Callable[[str, bytes], None]

_log = logging.getLogger(__name__)


class Outcome(str, enum.Enum):
    """What became of one job a worker took."""

    COMPLETED = "completed"
    FAILED = "failed"  #: the prover raised, or its proof did not verify
    SKIPPED = "skipped"  #: another worker holds it, or it expired before it started
    EXPIRED = "expired"  #: its deadline passed while it was being proven


def process_job(
    store: JobStore,
    prover: Prover,
    job: ProofJob,
    worker_id: str,
    *,
    on_proof: ProofCallback | None = None,
    verify: bool = False,
) -> Outcome:
    """Take ``job``, prove it and record the result in ``store``.

    The proof is not verified again by default: it comes from this process's
    own prover (``verify=True`` checks it anyway, for a prover not trusted to
    refuse what it cannot prove). A prover exception marks the job FAILED with
    the error text and returns; it never propagates, so a worker goes on.
    ``on_proof(job_id, proof)`` runs in the same store batch as the completion
    (one transaction over a durable store, so the ledger's copy of the proof
    is written with it).
    """
    try:
        store.mark_in_progress(job.job_id, worker_id)
    except (InvalidTransition, JobNotFound):
        return Outcome.SKIPPED
    try:
        proof = prover.prove_job(job)
        proved = now_ms()
        if verify and not prover.verify_job(job, proof):
            raise ProofError("the proof did not verify")
        times = ProofTimes(proved, proved, now_ms())
    except Exception as exc:  # noqa: BLE001 - a prover bug must not kill the worker
        try:
            store.mark_failed(job.job_id, f"{type(exc).__name__}: {exc}")
        except PouwError:
            return Outcome.EXPIRED
        return Outcome.FAILED
    try:
        with store.batch():
            store.mark_completed(job.job_id, proof, times=times)
            if on_proof is not None:
                try:
                    on_proof(job.job_id, proof)
                except Exception:  # noqa: BLE001 - the job is completed; a callback must not kill the worker
                    _log.exception("on_proof callback failed for job %s", job.job_id)
    except (InvalidTransition, JobNotFound):
        return Outcome.EXPIRED  # expired meanwhile (and perhaps retired by retention)
    return Outcome.COMPLETED


def run_worker(
    store: JobStore,
    prover: Prover,
    worker_id: str,
    *,
    stop: threading.Event | None = None,
    poll_interval: float = 0.05,
    max_jobs: int | None = None,
    exit_when_idle: bool = False,
    on_proof: ProofCallback | None = None,
) -> dict[Outcome, int]:
    """The seed's worker loop: ``pop_next``, ``mark_in_progress``, prove, complete.

    Runs until ``stop`` is set, ``max_jobs`` jobs were taken, or (with
    ``exit_when_idle``) the store has no pending job. Returns the outcome counts.
    """
    counts = dict.fromkeys(Outcome, 0)
    taken = 0
    while not (stop is not None and stop.is_set()):
        if max_jobs is not None and taken >= max_jobs:
            break
        job = store.pop_next()
        if job is None:
            if exit_when_idle:
                break
            if stop is not None:
                stop.wait(poll_interval)
            else:
                time.sleep(poll_interval)
            continue
        taken += 1
        counts[process_job(store, prover, job, worker_id, on_proof=on_proof)] += 1
    return counts


_STOP = object()  # pushed once per thread to end it (the ring refuses None)


class LocalWorkerPool:
    """``n`` prover threads fed through a :class:`~pouw.queue.RingBuffer`.

    ``submit(job)`` hands a job (already enqueued in ``store``, with
    ``local=True``: the ring is its one way to a worker) to the pool and blocks
    while the ring is full, which is the node's back-pressure.
    :meth:`close` drains by default: every submitted job is finished before the
    threads end. With ``drain=False`` the jobs still in the ring are given back
    to the store's pending order (``return_local``: nothing is lost; any worker
    can take them later).
    """

    def __init__(
        self,
        n: int,
        store: JobStore,
        prover: Prover,
        *,
        ring_capacity: int = 4096,
        on_proof: ProofCallback | None = None,
        name: str = "pouw-worker",
    ) -> None:
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"a pool needs at least one worker, got {n!r}")
        self.size = n
        self.store: JobStore = store
        self.prover: Prover = prover
        self.ring: RingBuffer[object] = RingBuffer(ring_capacity)
        self._on_proof = on_proof
        self._cond = threading.Condition()
        self._outstanding = 0
        self._submitting = 0  # submits past the closing check, not yet in the ring
        self._closing = False
        self._abandon = False
        self.counts = dict.fromkeys(Outcome, 0)
        self.proofs_verified = 0
        self._threads = [
            threading.Thread(
                target=self._run, args=(f"{name}-{i}",), name=f"{name}-{i}", daemon=True
            )
            for i in range(n)
        ]
        for t in self._threads:
            t.start()

    def submit(self, job: ProofJob, timeout: float | None = None) -> None:
        """Hand ``job`` to the pool; blocks while the ring is full (``QueueFull``
        after ``timeout`` seconds)."""
        if not isinstance(job, ProofJob):
            raise TypeError(f"submit takes a ProofJob, got {type(job).__name__}")
        with self._cond:
            if self._closing:
                raise RuntimeError("the pool is closed")
            self._outstanding += 1
            self._submitting += 1
        try:
            self.ring.push(job, timeout)
        except BaseException:
            with self._cond:
                self._outstanding -= 1
            self.store.return_local([job.job_id])  # not lost: any worker may take it
            raise
        finally:
            with self._cond:
                self._submitting -= 1
                self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every submitted job is finished; False if ``timeout`` passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._outstanding == 0, timeout)

    @property
    def outstanding(self) -> int:
        """Jobs submitted and not yet finished."""
        return self._outstanding

    def close(self, drain: bool = True, timeout: float | None = None) -> None:
        """Stop the pool; with ``drain`` (default) finish every submitted job first.

        ``timeout`` bounds the whole call (seconds); threads still busy then are
        left to finish on their own (they are daemons).
        """
        deadline = None if timeout is None else time.monotonic() + timeout

        def left() -> float | None:
            return None if deadline is None else max(0.0, deadline - time.monotonic())

        with self._cond:
            if self._closing and not self._threads:
                return
            self._closing = True
            # every submit that got past the check is in the ring before the stops
            self._cond.wait_for(lambda: self._submitting == 0, left())
        if drain:
            self.wait_idle(left())
        else:
            self._abandon = True
        threads, self._threads = self._threads, []
        try:
            for _ in threads:
                self.ring.push(_STOP, left())
        except QueueFull:
            return
        for t in threads:
            t.join(left())

    def __enter__(self) -> LocalWorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, worker_id: str) -> None:
        ring = self.ring
        while True:
            item = ring.pop(0.25)
            if item is None:
                continue
            if item is _STOP:
                return
            outcome = None  # left PENDING in the store when abandoned
            try:
                assert isinstance(item, ProofJob)  # submit() only lets jobs in
                if self._abandon:
                    self.store.return_local([item.job_id])  # for any worker to take later
                else:
                    outcome = process_job(
                        self.store, self.prover, item, worker_id, on_proof=self._on_proof
                    )
            except Exception:  # noqa: BLE001 - a store bug must not silently shrink the pool
                _log.exception("worker %s: unexpected error", worker_id)
            finally:
                with self._cond:
                    if outcome is not None:
                        self.counts[outcome] += 1
                        if outcome is Outcome.COMPLETED:
                            self.proofs_verified += 1
                    self._outstanding -= 1
                    if self._outstanding == 0:
                        self._cond.notify_all()
