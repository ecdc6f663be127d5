"""The in-memory job store: thread-safe, bounded, with exact statistics.

One lock guards everything; each operation is a handful of dict and deque
steps, so the lock is held for about a microsecond. The hand-off to local
worker threads does not go through this lock's waiting: the node pushes job
ids through the lock-free :class:`~pouw.queue.RingBuffer` and workers only
touch the store to record status changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable

from ..errors import DuplicateJob, InvalidTransition, JobNotFound, QueueFull
from ..job import ProofJob, now_ms
from ..status import JobStatus, check_transition
from .base import JobRecord, QueueStats

__all__ = ["JobQueue"]

_PENDING = JobStatus.PENDING
_IN_PROGRESS = JobStatus.IN_PROGRESS
_COMPLETED = JobStatus.COMPLETED
_FAILED = JobStatus.FAILED
_EXPIRED = JobStatus.EXPIRED


class JobQueue:
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
                self._records[job_id] = rec
                self._counts[_EXPIRED] += 1
                self._retire(job_id)
                return
            if self._live >= self.capacity:
                raise QueueFull(f"queue is full ({self.capacity} live jobs)")
            self._records[job_id] = JobRecord(job, _PENDING, now)
            self._order.append(job_id)
            self._live += 1
            self._counts[_PENDING] += 1

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
            self._reserved.pop(job_id, None)
            self._move(rec, _IN_PROGRESS, now)
            if len(self._order) > 2 * self._counts[_PENDING] + 1024:
                self._compact_order()
            rec.worker_id = worker_id
            rec.attempts += 1
            rec.started_at_ms = now
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

    # -- queries ---------------------------------------------------------

    def get(self, job_id: str) -> JobRecord:
        """A snapshot of the job's record (status, proof once completed, error)."""
        with self._lock:
            return self._record(job_id).snapshot()

    def get_status(self, job_id: str) -> JobStatus:
        with self._lock:
            return self._record(job_id).status

    def list_pending(self, limit: int | None = None) -> list[ProofJob]:
        """Pending jobs, oldest first (including any reserved by ``pop_next``)."""
        out: list[ProofJob] = []
        with self._lock:
            seen: set[str] = set()
            for job_id in list(self._reserved) + list(self._order):
                rec = self._records.get(job_id)
                if rec is None or rec.status is not _PENDING or job_id in seen:
                    continue
                seen.add(job_id)
                out.append(rec.job)
                if limit is not None and len(out) >= limit:
                    break
        return out

    def stats(self) -> QueueStats:
        with self._lock:
            c = self._counts
            return QueueStats(c[_PENDING], c[_IN_PROGRESS], c[_COMPLETED], c[_FAILED], c[_EXPIRED])

    def sweep(self) -> int:
        """Expire overdue pending and in-progress jobs; return stale reservations
        to the queue. Returns how many jobs expired."""
        now = self._clock()
        expired = 0
        with self._lock:
            self._return_stale_reservations(now)
            for rec in list(self._records.values()):
                if rec.status in (_PENDING, _IN_PROGRESS) and rec.job.deadline_ms < now:
                    self._move(rec, _EXPIRED, now)
                    expired += 1
        return expired

    def __len__(self) -> int:
        """Live (pending or in-progress) jobs."""
        return self._live

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._records

    # -- internals (lock held) ------------------------------------------

    def _record(self, job_id: str) -> JobRecord:
        rec = self._records.get(job_id)
        if rec is None:
            raise JobNotFound(f"no job {job_id!r}")
        return rec

    def _move(self, rec: JobRecord, new: JobStatus, now: int) -> None:
        old = rec.status
        counts = self._counts
        counts[old] -= 1
        counts[new] += 1
        rec.status = new
        if new.is_final:
            self._live -= 1
            rec.finished_at_ms = now
            self._reserved.pop(rec.job.job_id, None)
            self._retire(rec.job.job_id)

    def _retire(self, job_id: str) -> None:
        finished = self._finished
        finished.append(job_id)
        while len(finished) > self.retention:
            self._records.pop(finished.popleft(), None)

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
