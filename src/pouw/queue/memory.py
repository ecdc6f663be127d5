"""The in-memory job store: thread-safe, bounded, with exact statistics.

One lock guards everything; each operation is a handful of dict and deque
steps, so the lock is held for about a microsecond. The hand-off to local
worker threads does not go through this lock's waiting: a job enqueued with
``local=True`` skips the pending order, the node pushes the :class:`ProofJob`
object itself through the lock-free :class:`~pouw.queue.RingBuffer`, and the
workers only touch the store to record status changes.

Paged reads (``list_jobs``, ``dead_letters``) answer from ordered
per-(status, tier) indexes (:mod:`pouw.queue.memory_index`) in O(log n +
limit), never a scan of every record: every status change goes through
:meth:`JobQueue._move`, which notes the record for the index.

What an operation does to a job is decided by the one lifecycle
(:func:`pouw.queue.lifecycle.step`); this class only finds records, saves the
step into them and keeps its counters, order and indexes.
"""

from __future__ import annotations

import contextlib
import heapq
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import DuplicateJob, QueueFull
from ..job import ProofJob, now_ms
from ..status import JobStatus, JobTier
from .analytics import ProofTimes
from .base import WORKER_COUNTERS, BatchClaims, JobRecord, SubmitResult
from .capabilities import Capabilities
from .lifecycle import (
    Begin,
    Claim,
    Complete,
    Event,
    Expire,
    Fail,
    Heartbeat,
    Lapse,
    MarkFailed,
    Quarantine,
    Reject,
    Release,
    Submit,
    check_attempt,
    check_lease,
    is_overdue,
    may_claim,
    step,
)
from .memory_index import DIRTY_MAX, StatusIndex
from .memory_queries import MemoryQueries
from .priority import fee_bucket, order_key
from .settings import check_settings

__all__ = ["JobQueue"]

_PENDING = JobStatus.PENDING
_IN_PROGRESS = JobStatus.IN_PROGRESS
_EXPIRED = JobStatus.EXPIRED


class JobQueue(BatchClaims, MemoryQueries):
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
    history_limit, history_ms:
        The history of finished jobs that ``latency_stats`` reads: the newest
        ``history_limit`` at most, none older than ``history_ms`` (the SQL
        stores keep theirs by age only).
    priority, aging_ms:
        The claim order: ``"fee"`` (higher fee per unit of work first, a job's
        priority rising by one bucket per ``aging_ms`` of waiting) or
        ``"fifo"`` (:mod:`pouw.queue.priority`).
    clock:
        Milliseconds now (tests pass a fake clock).

    A job that is popped and then never finished: if ``mark_in_progress`` never
    comes, ``sweep`` makes it available again after ``reservation_timeout_ms``;
    if it was marked in progress and its worker vanished, it stays IN_PROGRESS
    until its deadline, when ``sweep`` (or the next ``pop_next``) expires it, or
    until someone calls :meth:`release` to give it back. Nothing is dropped
    silently.
    """

    # the settings (pouw.queue.settings.check_settings)
    capacity: int
    retention: int
    reservation_timeout_ms: int
    max_attempts: int
    priority: str
    aging_ms: int
    history_ms: int

    def __init__(
        self,
        capacity: int = 100_000,
        *,
        retention: int = 10_000,
        reservation_timeout_ms: int = 30_000,
        max_attempts: int = 3,
        priority: str = "fee",
        aging_ms: int = 30_000,
        history_limit: int = 100_000,
        history_ms: int = 7 * 86_400_000,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        for name, value in check_settings(
            capacity=capacity,
            retention=retention,
            reservation_timeout_ms=reservation_timeout_ms,
            max_attempts=max_attempts,
            priority=priority,
            aging_ms=aging_ms,
            history_ms=history_ms,
        ).items():
            setattr(self, name, value)
        if history_limit.__class__ is not int or history_limit < 0:
            raise ValueError(f"history_limit must be an integer >= 0, got {history_limit!r}")
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[str, JobRecord] = {}
        # pending ids by order key (a heap); ids no longer pending are skipped lazily
        self._order: list[tuple[int, str]] = []
        self._arrivals = 0  # the order keys' arrival counter
        self._reserved: OrderedDict[str, int] = OrderedDict()  # id -> popped at (ms)
        self._local: dict[str, None] = {}  # pending ids on their way to local workers
        self._finished: deque[str] = deque()  # finished ids, oldest first (retention)
        self._live = 0
        self._counts = dict.fromkeys(JobStatus, 0)
        self._next_sweep_ms = 0
        self._tier_counts = {t: dict.fromkeys(JobStatus, 0) for t in JobTier}
        self._leases: dict[str, int] = {}  # in-progress job id -> lease expiry (ms)
        self._workers: dict[str, dict[str, int]] = {}
        self._seen: dict[str, int] = {}  #: worker -> its last heartbeat or claim (ms)
        self._devices: dict[str, str] = {}  #: worker -> the device of its last claim
        #: the finished jobs' history rows (pouw.queue.analytics), newest last
        self._history: deque[tuple[Any, ...]] = deque(maxlen=history_limit)
        self._seq = 0
        self._index = StatusIndex()  # per (status, tier) seq order, for list_jobs
        self._dirty = self._index.dirty  # the same dict: one attribute load per move

    def batch(self) -> contextlib.AbstractContextManager[None]:
        """A group of operations (the protocol's transaction): each already takes
        effect alone in memory, so there is nothing to group."""
        return contextlib.nullcontext()

    def close(self) -> None:
        """Nothing to let go of (the protocol's close)."""

    # -- producer side ---------------------------------------------------

    def enqueue(self, job: ProofJob, *, local: bool = False) -> None:
        """Add a new job. A job already past its deadline is recorded EXPIRED.

        ``local``: the caller hands the job to its own workers (the local pool's
        ring), so it does not join the pending order; :meth:`return_local`
        puts it there if those workers will not take it after all.
        """
        now = self._clock()
        with self._lock:
            self._check_new((job,), now)
            if self._add(job, now, local):
                self._wake()

    def enqueue_many(self, jobs: Sequence[ProofJob], *, local: bool = False) -> None:
        """Add many new jobs, all or none (see :meth:`JobStore.enqueue_many`)."""
        now = self._clock()
        with self._lock:
            self._check_new(jobs, now)
            woke = False
            for job in jobs:
                woke = self._add(job, now, local) or woke
            if woke:
                self._wake()

    def _check_new(self, jobs: Sequence[ProofJob], now: int) -> None:
        # every refusal before anything is added: a batch goes in whole or not at all
        seen: set[str] = set()
        fresh = 0
        for job in jobs:
            job_id = job.job_id
            if job_id in self._records or job_id in seen:
                raise DuplicateJob(f"job {job_id} is already in the queue")
            seen.add(job_id)
            fresh += job.deadline_ms >= now
        if fresh and self._live + fresh > self.capacity:
            raise QueueFull(f"queue is full ({self.capacity} live jobs)")

    def _add(self, job: ProofJob, now: int, local: bool) -> bool:
        """Record a checked new job; whether it joined the pending order."""
        job_id = job.job_id
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
            return False
        rec = JobRecord(job, _PENDING, now)
        self._seq += 1
        rec.seq = self._seq
        self._records[job_id] = rec
        dirty = self._dirty
        dirty[rec.seq] = rec
        if len(dirty) >= DIRTY_MAX:
            self._index.flush()
        rec.qkey = self._next_key(job, now)
        if local:
            self._local[job_id] = None
        else:
            heapq.heappush(self._order, (rec.qkey, job_id))
        self._live += 1
        self._counts[_PENDING] += 1
        self._tier_counts[job.tier][_PENDING] += 1
        return not local

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
                _, job_id = heapq.heappop(order)
                rec = records.get(job_id)
                if rec is None or rec.status is not _PENDING or job_id in self._reserved:
                    continue  # claimed directly, expired or finished since it was queued
                if rec.job.deadline_ms < now:
                    self._apply(rec, Expire(), now)
                    continue
                self._reserved[job_id] = now
                return rec.job
            return None

    def mark_in_progress(self, job_id: str, worker_id: str) -> None:
        """Pending -> in progress, held by ``worker_id``."""
        now = self._clock()
        with self._lock:
            self._apply(self._record(job_id), Begin(worker_id), now)

    def mark_completed(self, job_id: str, proof: bytes, *, times: ProofTimes | None = None) -> None:
        """In progress -> completed; the proof stays retrievable by :meth:`get`."""
        proof = _proof_bytes(proof)
        with self._lock:
            self._apply(self._record(job_id), Complete(proof, times), self._clock())

    def mark_failed(self, job_id: str, error: str) -> None:
        """In progress -> failed, keeping the error text."""
        with self._lock:
            self._apply(self._record(job_id), MarkFailed(str(error)), self._clock())

    def release(self, job_id: str, error: str | None = None) -> None:
        """In progress -> pending (a worker gave the job back or lost it).

        The attempt stays counted; the job goes to the back of the queue.
        """
        with self._lock:
            self._apply(self._record(job_id), Release(error), self._clock())

    def return_local(self, job_ids: list[str]) -> None:
        """Jobs enqueued ``local`` that the local workers will not take: to the
        back of the pending order (those still pending)."""
        with self._lock:
            for job_id in job_ids:
                if self._local.pop(job_id, 0) is None:
                    rec = self._records.get(job_id)
                    if rec is not None and rec.status is _PENDING:
                        heapq.heappush(self._order, (rec.qkey, job_id))
            self._wake()

    def quarantine(self, job_id: str, reason: str) -> None:
        """Make a damaged job a dead letter (FAILED with ``reason``), whatever its status."""
        with self._lock:
            self._apply(self._record(job_id), Quarantine(str(reason)), self._clock())

    # -- leases ------------------------------------------------------------

    def claim(self, job_id: str, worker_id: str, lease_ms: int) -> JobRecord:
        """Pending -> in progress held by ``worker_id`` until ``now + lease_ms``."""
        check_lease(lease_ms)
        now = self._clock()
        with self._lock:
            self._lapse_due(now)
            rec = self._record(job_id)
            self._apply(rec, Claim(worker_id, lease_ms), now)
            return rec.snapshot()

    def _claim_one(self, worker_id: str, lease_ms: int, can: Capabilities) -> JobRecord | None:
        # the first pending job this worker may take (claim_next: see JobStore)
        check_lease(lease_ms)
        admits = None if can.admits_all else can.matches
        now = self._clock()
        with self._lock:
            self._seen[worker_id] = now
            self._devices[worker_id] = can.device
            self._lapse_due(now)
            if self._reserved and now >= self._next_sweep_ms:
                self._return_stale_reservations(now)
            order, records = self._order, self._records
            aside: list[tuple[int, str]] = []  # other tiers, or kept from this worker
            found = None
            while order:
                key, job_id = heapq.heappop(order)
                rec = records.get(job_id)
                if rec is None or rec.status is not _PENDING or job_id in self._reserved:
                    continue
                if rec.job.deadline_ms < now:
                    self._apply(rec, Expire(), now)
                    continue
                if not may_claim(rec, worker_id, now) or (
                    admits is not None and not admits(rec.job)
                ):
                    aside.append((key, job_id))
                    continue
                found = rec
                break
            for item in aside:  # they stay queued where they were
                heapq.heappush(order, item)
            if found is None:
                return None
            self._apply(found, Claim(worker_id, lease_ms), now)
            return found.snapshot()

    def _claim_batch(
        self, worker_id: str, lease_ms: int, n: int, can: Capabilities
    ) -> list[JobRecord]:
        out: list[JobRecord] = []
        while len(out) < n:  # each claim atomic under the lock, as a single one
            rec = self._claim_one(worker_id, lease_ms, can)
            if rec is None:
                break
            out.append(rec)
        return out

    def heartbeat(self, job_id: str, worker_id: str, lease_ms: int) -> int:
        """Extend the worker's lease to ``now + lease_ms``; returns the new expiry."""
        check_lease(lease_ms)
        now = self._clock()
        with self._lock:
            self._lapse_due(now)
            return int(self._apply(self._record(job_id), Heartbeat(worker_id, lease_ms), now))  # type: ignore[call-overload]

    def worker_heartbeat(self, worker_id: str, lease_ms: int) -> int:
        """See :meth:`JobStore.worker_heartbeat`."""
        check_lease(lease_ms)
        now = self._clock()
        with self._lock:
            self._lapse_due(now)
            self._seen[worker_id] = now
            records = self._records
            held = [j for j in self._leases if records[j].worker_id == worker_id]
            for job_id in held:
                self._apply(records[job_id], Heartbeat(worker_id, lease_ms), now)
            return len(held)

    def fail(self, job_id: str, worker_id: str, error: str) -> JobStatus:
        """The holder gives the job back with ``error``: PENDING, or FAILED at max_attempts."""
        now = self._clock()
        with self._lock:
            self._lapse_due(now)
            return self._apply(self._record(job_id), Fail(worker_id, str(error)), now)  # type: ignore[return-value]

    def complete_by(
        self,
        job_id: str,
        worker_id: str,
        proof: bytes,
        *,
        attempt: int | None = None,
        times: ProofTimes | None = None,
    ) -> SubmitResult:
        """Record a verified proof from ``worker_id`` (see the protocol for the cases)."""
        proof = _proof_bytes(proof)
        attempt = check_attempt(attempt)
        now = self._clock()
        with self._lock:
            self._lapse_due(now)
            event = Submit(worker_id, proof, attempt, times)
            return self._apply(self._record(job_id), event, now)  # type: ignore[return-value]

    def reject_proof(self, job_id: str, worker_id: str, error: str) -> JobStatus:
        """Count a bad proof against ``worker_id``; if it holds the job, give it back."""
        now = self._clock()
        with self._lock:
            self._lapse_due(now)
            return self._apply(self._record(job_id), Reject(worker_id, str(error)), now)  # type: ignore[return-value]

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
                if is_overdue(rec, now):
                    self._apply(rec, Expire(), now)
                    expired += 1
            history, cutoff = self._history, now - self.history_ms
            while history and history[0][9] < cutoff:  # finished in order: oldest first
                history.popleft()
        return expired

    # -- internals (lock held) ------------------------------------------

    def _apply(self, rec: JobRecord, event: Event, now: int) -> object:
        """Run the lifecycle rule for ``event`` and save its step into ``rec``."""
        s = step(rec, event, now, max_attempts=self.max_attempts)
        for name, value in s.changes.items():
            setattr(rec, name, value)
        job_id = rec.job.job_id
        if s.holder is not None:
            rec.holders.add(s.holder)
        for worker, what in s.counts:
            self._count(worker, what)
        if s.moved:
            self._move(rec, s.new)
            if s.new is not _PENDING:
                self._reserved.pop(job_id, None)
                self._local.pop(job_id, None)
        if s.new is _IN_PROGRESS and rec.lease_expires_at_ms is not None:
            self._leases[job_id] = rec.lease_expires_at_ms
        else:
            self._leases.pop(job_id, None)
        if s.requeue:
            rec.qkey = self._next_key(rec.job, now)
            heapq.heappush(self._order, (rec.qkey, job_id))
            self._wake()
        elif s.new is _IN_PROGRESS and len(self._order) > 2 * self._counts[_PENDING] + 1024:
            self._compact_order()
        if s.raise_after is not None:
            raise s.raise_after
        return s.result

    def _count(self, worker_id: str, what: str) -> None:
        c = self._workers.get(worker_id)
        if c is None:
            c = self._workers[worker_id] = dict.fromkeys(WORKER_COUNTERS, 0)
        c[what] += 1

    def _lapse_due(self, now: int) -> int:
        if not self._leases:
            return 0
        due = [j for j, until in self._leases.items() if until < now]
        for job_id in due:
            self._apply(self._records[job_id], Lapse(), now)
        return len(due)

    def _move(self, rec: JobRecord, new: JobStatus) -> None:
        # counters, the paged-read index and retention; the record's own fields
        # were set by the lifecycle step
        old = rec.status
        counts = self._counts
        counts[old] -= 1
        counts[new] += 1
        tier_counts = self._tier_counts[rec.job.tier]
        tier_counts[old] -= 1
        tier_counts[new] += 1
        rec.status = new
        self._touch(rec)
        if new.is_final and not old.is_final:
            self._live -= 1
            self._retire(rec.job.job_id)

    def _retire(self, job_id: str) -> None:
        rec = self._records[job_id]
        self._history.append(
            (
                rec.job.tier.value,
                rec.status.value,
                rec.worker_id,
                rec.attempts,
                rec.enqueued_at_ms,
                rec.started_at_ms,
                rec.proved_at_ms,
                rec.submitted_at_ms,
                rec.verified_at_ms,
                rec.finished_at_ms,
            )
        )
        finished = self._finished
        finished.append(job_id)
        while len(finished) > self.retention:
            dropped = self._records.pop(finished.popleft(), None)
            if dropped is not None:  # the index forgets it at the next flush
                self._index.dropped.append(dropped.seq)

    def _next_key(self, job: ProofJob, now: int) -> int:
        self._arrivals += 1
        bucket = fee_bucket(job) if self.priority == "fee" else 0
        return order_key(self.priority, self.aging_ms, bucket, now, self._arrivals)

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
        self._order = [
            (key, job_id)
            for key, job_id in dict.fromkeys(self._order)
            if (rec := records.get(job_id)) is not None
            and rec.status is _PENDING
            and rec.qkey == key
        ]
        heapq.heapify(self._order)

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
        # back where they were in the order (their keys are older than the rest)
        for job_id in returned:
            heapq.heappush(self._order, (self._records[job_id].qkey, job_id))
        self._next_sweep_ms = now + max(1, self.reservation_timeout_ms // 4)


def _proof_bytes(proof: object) -> bytes:
    if not isinstance(proof, (bytes, bytearray, memoryview)):
        raise TypeError("proof must be bytes")
    return bytes(proof)
