"""The in-memory job store: thread-safe, bounded, with exact statistics.

One lock guards everything; each operation is a handful of dict and deque
steps, so the lock is held for about a microsecond. The hand-off to local
worker threads does not go through this lock's waiting: the node pushes job
ids through the lock-free :class:`~pouw.queue.RingBuffer` and workers only
touch the store to record status changes.

Paged reads (``list_jobs``, ``dead_letters``) answer from ordered
per-(status, tier) indexes (:mod:`pouw.queue.memory_index`) in O(log n +
limit), never a scan of every record: every status change goes through
:meth:`JobQueue._move`, which notes the record for the index.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable

from ..errors import DuplicateJob, InvalidTransition, QueueFull
from ..job import ProofJob, now_ms
from ..status import JobStatus, JobTier, check_transition
from .base import (
    WORKER_COUNTERS,
    JobRecord,
    JobUnavailable,
    LeaseLost,
    NotHolder,
    SubmitResult,
)
from .memory_index import DIRTY_MAX, StatusIndex
from .memory_queries import MemoryQueries

__all__ = ["JobQueue"]

_PENDING = JobStatus.PENDING
_IN_PROGRESS = JobStatus.IN_PROGRESS
_COMPLETED = JobStatus.COMPLETED
_FAILED = JobStatus.FAILED
_EXPIRED = JobStatus.EXPIRED


class JobQueue(MemoryQueries):
    """The in-memory :class:`~pouw.queue.JobStore`.

    Parameters
    ----------
    capacity:
        Most live (pending or in-progress) jobs held at once; ``enqueue`` beyond
        it raises :class:`~pouw.QueueFull`.
    retention:
        Most finished (completed, failed, expired) jobs kept for ``get``; the
        oldest finished job is dropped first. :meth:`stats` stays exact.
    reservation_timeout_ms:
        How long a job handed out by :meth:`pop_next` may wait for
        :meth:`mark_in_progress` before :meth:`sweep` returns it to the queue.
    max_attempts:
        Claims a job gets; when the last one fails or lapses the job is FAILED.
    clock:
        Milliseconds now (tests pass a fake clock).

    A job that is popped and then never finished: if ``mark_in_progress`` never
    comes, ``sweep`` makes it available again after ``reservation_timeout_ms``;
    if it was marked in progress and its worker vanished, it stays IN_PROGRESS
    until its deadline, when ``sweep`` (or the next ``pop_next``) expires it, or
    until someone calls :meth:`release` to give it back. Nothing is dropped
    silently.
    """

    def __init__(
        self,
        capacity: int = 100_000,
        *,
        retention: int = 10_000,
        reservation_timeout_ms: int = 30_000,
        max_attempts: int = 3,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise ValueError(f"capacity must be a positive integer, got {capacity!r}")
        if not isinstance(retention, int) or retention < 0:
            raise ValueError(f"retention must be a non-negative integer, got {retention!r}")
        if not isinstance(reservation_timeout_ms, int) or reservation_timeout_ms < 1:
            raise ValueError(
                f"reservation_timeout_ms must be a positive integer, got {reservation_timeout_ms!r}"
            )
        if not isinstance(max_attempts, int) or max_attempts < 1:
            raise ValueError(f"max_attempts must be a positive integer, got {max_attempts!r}")
        self.max_attempts = max_attempts
        self.capacity = capacity
        self.retention = retention
        self.reservation_timeout_ms = reservation_timeout_ms
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[str, JobRecord] = {}
        self._order: deque[str] = deque()  # pending ids, FIFO; stale ids skipped lazily
        self._reserved: OrderedDict[str, int] = OrderedDict()  # id -> popped at (ms)
        self._finished: deque[str] = deque()  # finished ids, oldest first (retention)
        self._live = 0
        self._counts = dict.fromkeys(JobStatus, 0)
        self._next_sweep_ms = 0
        self._tier_counts = {t: dict.fromkeys(JobStatus, 0) for t in JobTier}
        self._leases: dict[str, int] = {}  # in-progress job id -> lease expiry (ms)
        self._workers: dict[str, dict[str, int]] = {}
        self._seq = 0
        self._index = StatusIndex()  # per (status, tier) seq order, for list_jobs
        self._dirty = self._index.dirty  # the same dict: one attribute load per move

    # -- producer side ---------------------------------------------------

    def enqueue(self, job: ProofJob) -> None:
        """Add a new job. A job already past its deadline is recorded EXPIRED."""
        now = self._clock()
        job_id = job.job_id
        with self._lock:
            if job_id in self._records:
                raise DuplicateJob(f"job {job_id} is already in the queue")
            if job.deadline_ms < now:
                rec = JobRecord(job, _EXPIRED, now)
                rec.finished_at_ms = now
                self._seq += 1
                rec.seq = self._seq
                self._records[job_id] = rec
                self._touch(rec)
                self._counts[_EXPIRED] += 1
                self._tier_counts[job.tier][_EXPIRED] += 1
                self._retire(job_id)
                return
            if self._live >= self.capacity:
                raise QueueFull(f"queue is full ({self.capacity} live jobs)")
            rec = JobRecord(job, _PENDING, now)
            self._seq += 1
            rec.seq = self._seq
            self._records[job_id] = rec
            dirty = self._dirty
            dirty[rec.seq] = rec
            if len(dirty) >= DIRTY_MAX:
                self._index.flush()
            self._order.append(job_id)
            self._live += 1
            self._counts[_PENDING] += 1
            self._tier_counts[job.tier][_PENDING] += 1

    # -- consumer side ---------------------------------------------------

    def pop_next(self) -> ProofJob | None:
        """Hand the oldest pending job to this caller alone, or return ``None``.

        Never blocks (beyond the store's short internal lock).
        """
        now = self._clock()
        with self._lock:
            if self._reserved and now >= self._next_sweep_ms:
                self._return_stale_reservations(now)
            order = self._order
            records = self._records
            while order:
                job_id = order.popleft()
                rec = records.get(job_id)
                if rec is None or rec.status is not _PENDING or job_id in self._reserved:
                    continue  # claimed directly, expired or finished since it was queued
                if rec.job.deadline_ms < now:
                    self._move(rec, _EXPIRED, now)
                    continue
                self._reserved[job_id] = now
                return rec.job
            return None

    def mark_in_progress(self, job_id: str, worker_id: str) -> None:
        """Pending -> in progress, held by ``worker_id``."""
        now = self._clock()
        with self._lock:
            rec = self._record(job_id)
            if rec.status is _PENDING and rec.job.deadline_ms < now:
                self._move(rec, _EXPIRED, now)
                raise InvalidTransition(f"job {job_id} expired at {rec.job.deadline_ms}")
            check_transition(job_id, rec.status, _IN_PROGRESS)
            self._start(rec, worker_id, now, lease_ms=None)
            rec.error = None

    def mark_completed(self, job_id: str, proof: bytes) -> None:
        """In progress -> completed; the proof stays retrievable by :meth:`get`."""
        if not isinstance(proof, (bytes, bytearray, memoryview)):
            raise TypeError("proof must be bytes")
        with self._lock:
            rec = self._record(job_id)
            check_transition(job_id, rec.status, _COMPLETED)
            rec.proof = bytes(proof)
            self._move(rec, _COMPLETED, self._clock())

    def mark_failed(self, job_id: str, error: str) -> None:
        """In progress -> failed, keeping the error text."""
        with self._lock:
            rec = self._record(job_id)
            check_transition(job_id, rec.status, _FAILED)
            rec.error = str(error)
            self._move(rec, _FAILED, self._clock())

    def release(self, job_id: str, error: str | None = None) -> None:
        """In progress -> pending (a worker gave the job back or lost it).

        The attempt stays counted; the job goes to the back of the queue.
        """
        with self._lock:
            rec = self._record(job_id)
            check_transition(job_id, rec.status, _PENDING)
            self._move(rec, _PENDING, self._clock())
            rec.worker_id = None
            rec.error = error
            self._order.append(job_id)

    # -- leases ------------------------------------------------------------

    def claim(self, job_id: str, worker_id: str, lease_ms: int) -> JobRecord:
        """Pending -> in progress held by ``worker_id`` until ``now + lease_ms``."""
        _check_lease(lease_ms)
        now = self._clock()
        with self._lock:
            self._lapse_due(now)
            rec = self._record(job_id)
            if rec.status is _PENDING and rec.job.deadline_ms < now:
                self._move(rec, _EXPIRED, now)
            if rec.status is not _PENDING:
                raise JobUnavailable(f"job {job_id} is {rec.status.value}, not pending")
            if rec.avoid_worker == worker_id and now < rec.avoid_until_ms:
                raise JobUnavailable(
                    f"job {job_id} failed on {worker_id}; kept for other workers "
                    f"until {rec.avoid_until_ms}"
                )
            self._start(rec, worker_id, now, lease_ms)
            return rec.snapshot()

    def claim_next(
        self, worker_id: str, lease_ms: int, tier: JobTier | None = None
    ) -> JobRecord | None:
        """Claim the oldest pending job this worker may take (of ``tier``, if given)."""
        _check_lease(lease_ms)
        now = self._clock()
        with self._lock:
            self._lapse_due(now)
            if self._reserved and now >= self._next_sweep_ms:
                self._return_stale_reservations(now)
            order, records = self._order, self._records
            aside: list[str] = []  # other tiers, or kept from this worker: stay queued
            found = None
            while order:
                job_id = order.popleft()
                rec = records.get(job_id)
                if rec is None or rec.status is not _PENDING or job_id in self._reserved:
                    continue
                if rec.job.deadline_ms < now:
                    self._move(rec, _EXPIRED, now)
                    continue
                if (tier is not None and rec.job.tier is not tier) or (
                    rec.avoid_worker == worker_id and now < rec.avoid_until_ms
                ):
                    aside.append(job_id)
                    continue
                found = rec
                break
            order.extendleft(reversed(aside))
            if found is None:
                return None
            self._start(found, worker_id, now, lease_ms)
            return found.snapshot()

    def heartbeat(self, job_id: str, worker_id: str, lease_ms: int) -> int:
        """Extend the worker's lease to ``now + lease_ms``; returns the new expiry."""
        _check_lease(lease_ms)
        now = self._clock()
        with self._lock:
            self._lapse_due(now)
            rec = self._held(job_id, worker_id)
            rec.lease_expires_at_ms = now + lease_ms
            rec.lease_ms = lease_ms
            self._leases[job_id] = rec.lease_expires_at_ms
            return rec.lease_expires_at_ms

    def fail(self, job_id: str, worker_id: str, error: str) -> JobStatus:
        """The holder gives the job back with ``error``: PENDING, or FAILED at max_attempts."""
        now = self._clock()
        with self._lock:
            self._lapse_due(now)
            rec = self._held(job_id, worker_id)
            self._count(worker_id, "failed")
            return self._give_back(rec, str(error), now)

    def complete_by(self, job_id: str, worker_id: str, proof: bytes) -> SubmitResult:
        """Record a verified proof from ``worker_id`` (see the protocol for the cases)."""
        if not isinstance(proof, (bytes, bytearray, memoryview)):
            raise TypeError("proof must be bytes")
        proof = bytes(proof)
        now = self._clock()
        with self._lock:
            self._lapse_due(now)
            rec = self._record(job_id)
            if worker_id not in rec.holders:
                raise NotHolder(f"worker {worker_id!r} never held job {job_id}")
            if rec.status is _COMPLETED:
                same = rec.proof == proof and rec.worker_id == worker_id
                return SubmitResult.DUPLICATE if same else SubmitResult.ALREADY_COMPLETED
            if not rec.status.is_final and rec.job.deadline_ms < now:
                self._move(rec, _EXPIRED, now)
            holder = rec.status is _IN_PROGRESS and rec.worker_id == worker_id
            check_transition(job_id, rec.status, _COMPLETED, late_proof=True)
            self._leases.pop(job_id, None)
            rec.proof = proof
            rec.worker_id = worker_id
            rec.lease_expires_at_ms = None
            self._move(rec, _COMPLETED, now)
            self._count(worker_id, "completed")
            return SubmitResult.COMPLETED if holder else SubmitResult.LATE_COMPLETED

    def reject_proof(self, job_id: str, worker_id: str, error: str) -> JobStatus:
        """Count a bad proof against ``worker_id``; if it holds the job, give it back."""
        now = self._clock()
        with self._lock:
            self._lapse_due(now)
            rec = self._record(job_id)
            if worker_id not in rec.holders:
                raise NotHolder(f"worker {worker_id!r} never held job {job_id}")
            self._count(worker_id, "rejected")
            if rec.status is _IN_PROGRESS and rec.worker_id == worker_id:
                return self._give_back(rec, str(error), now)
            return rec.status

    def lapse_leases(self) -> int:
        """End every lapsed lease now; returns how many."""
        with self._lock:
            return self._lapse_due(self._clock())

    def sweep(self) -> int:
        """Expire overdue pending and in-progress jobs; return stale reservations
        to the queue. Returns how many jobs expired."""
        now = self._clock()
        expired = 0
        with self._lock:
            self._return_stale_reservations(now)
            self._lapse_due(now)
            for rec in list(self._records.values()):
                if rec.status in (_PENDING, _IN_PROGRESS) and rec.job.deadline_ms < now:
                    self._move(rec, _EXPIRED, now)
                    expired += 1
        return expired

    # -- internals (lock held) ------------------------------------------

    def _held(self, job_id: str, worker_id: str) -> JobRecord:
        rec = self._record(job_id)
        if rec.status is _IN_PROGRESS and rec.worker_id == worker_id:
            return rec
        if worker_id in rec.holders:
            raise LeaseLost(f"worker {worker_id!r} no longer holds job {job_id}")
        raise NotHolder(f"worker {worker_id!r} never held job {job_id}")

    def _count(self, worker_id: str, what: str) -> None:
        c = self._workers.get(worker_id)
        if c is None:
            c = self._workers[worker_id] = dict.fromkeys(WORKER_COUNTERS, 0)
        c[what] += 1

    def _start(self, rec: JobRecord, worker_id: str, now: int, lease_ms: int | None) -> None:
        """Pending -> in progress for ``worker_id``: one attempt more; with a
        lease when ``lease_ms`` is given (claims), without (``mark_in_progress``)."""
        job_id = rec.job.job_id
        self._reserved.pop(job_id, None)
        self._move(rec, _IN_PROGRESS, now)
        if len(self._order) > 2 * self._counts[_PENDING] + 1024:
            self._compact_order()
        rec.worker_id = worker_id
        rec.attempts += 1
        rec.started_at_ms = now
        rec.holders.add(worker_id)
        if lease_ms is not None:
            rec.lease_ms = lease_ms
            rec.lease_expires_at_ms = now + lease_ms
            self._leases[job_id] = rec.lease_expires_at_ms
        self._count(worker_id, "claimed")

    def _give_back(self, rec: JobRecord, error: str, now: int) -> JobStatus:
        # a failed or lapsed lease: pending again (others first) or, at the
        # last attempt, failed for good with the error kept
        job_id = rec.job.job_id
        self._leases.pop(job_id, None)
        rec.error = error
        rec.lease_expires_at_ms = None
        if rec.attempts >= self.max_attempts:
            self._move(rec, _FAILED, now)
            return _FAILED
        rec.avoid_worker = rec.worker_id
        rec.avoid_until_ms = now + max(rec.lease_ms, 1)
        rec.worker_id = None
        self._move(rec, _PENDING, now)
        self._order.append(job_id)
        return _PENDING

    def _lapse_due(self, now: int) -> int:
        if not self._leases:
            return 0
        due = [j for j, until in self._leases.items() if until < now]
        for job_id in due:
            rec = self._records[job_id]
            if rec.job.deadline_ms < now:
                self._leases.pop(job_id, None)
                self._move(rec, _EXPIRED, now)
                continue
            self._count(rec.worker_id or "", "lapsed")
            self._give_back(rec, f"lease lapsed on worker {rec.worker_id}", now)
        return len(due)

    def _move(self, rec: JobRecord, new: JobStatus, now: int) -> None:
        old = rec.status
        counts = self._counts
        counts[old] -= 1
        counts[new] += 1
        tier_counts = self._tier_counts[rec.job.tier]
        tier_counts[old] -= 1
        tier_counts[new] += 1
        rec.status = new
        dirty = self._dirty
        dirty[rec.seq] = rec
        if len(dirty) >= DIRTY_MAX:
            self._index.flush()
        if old is _IN_PROGRESS:
            self._leases.pop(rec.job.job_id, None)
        if new.is_final:
            self._live -= 1
            rec.finished_at_ms = now
            self._reserved.pop(rec.job.job_id, None)
            self._retire(rec.job.job_id)

    def _retire(self, job_id: str) -> None:
        finished = self._finished
        finished.append(job_id)
        while len(finished) > self.retention:
            dropped = self._records.pop(finished.popleft(), None)
            if dropped is not None:  # the index forgets it at the next flush
                self._index.dropped.append(dropped.seq)

    def _touch(self, rec: JobRecord) -> None:
        dirty = self._dirty
        dirty[rec.seq] = rec
        if len(dirty) >= DIRTY_MAX:
            self._index.flush()

    def _compact_order(self) -> None:
        # Jobs claimed by id (the local pool, remote claims) leave their ids in the
        # pending order; drop them once they outnumber the live pending ids, so
        # the order stays O(pending) at amortised O(1) per claim.
        records = self._records
        self._order = deque(
            job_id
            for job_id in dict.fromkeys(self._order)
            if (rec := records.get(job_id)) is not None and rec.status is _PENDING
        )

    def _return_stale_reservations(self, now: int) -> None:
        cutoff = now - self.reservation_timeout_ms
        stale = []
        for job_id, popped_at in self._reserved.items():
            if popped_at > cutoff:
                break  # OrderedDict keeps pop order, so the rest are younger
            stale.append(job_id)
        returned = []
        for job_id in stale:
            del self._reserved[job_id]
            rec = self._records.get(job_id)
            if rec is not None and rec.status is _PENDING:
                returned.append(job_id)
        # back to the front, oldest first
        self._order.extendleft(reversed(returned))
        self._next_sweep_ms = now + max(1, self.reservation_timeout_ms // 4)


def _check_lease(lease_ms: object) -> None:
    if not isinstance(lease_ms, int) or isinstance(lease_ms, bool) or not 1 <= lease_ms <= 1 << 40:
        raise ValueError(f"lease_ms must be a positive integer, got {lease_ms!r}")
