"""What every job store offers: the backend protocol, its stats and its records.

The node, the worker pool and the HTTP API hold a :class:`JobStore`, never a
concrete backend; :class:`~pouw.queue.JobQueue` is the in-memory one,
:class:`~pouw.store.SqliteJobQueue` the durable one, and both pass the same
conformance tests (the backends of ``tests/queue_backends.py``, run by
``tests/test_queue.py`` and ``tests/test_queue_leases.py``).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from typing import Any, Protocol, overload, runtime_checkable

from ..errors import InvalidTransition, PouwError
from ..job import ProofJob
from ..status import JobStatus, JobTier
from .analytics import ProofTimes
from .capabilities import Capabilities

__all__ = [
    "BatchClaims",
    "Wakeups",
    "QueueStats",
    "JobRecord",
    "JobStore",
    "SubmitResult",
    "NotHolder",
    "LeaseLost",
    "JobUnavailable",
    "WORKER_COUNTERS",
]

#: Per-worker counters every store keeps (``worker_stats``).
WORKER_COUNTERS = ("claimed", "completed", "failed", "rejected", "lapsed")


class NotHolder(PouwError):
    """The worker acts on a job it does not hold and never held (HTTP 403)."""


class LeaseLost(InvalidTransition):
    """The worker held the job once, but its lease lapsed or was ended (HTTP 409)."""


class JobUnavailable(InvalidTransition):
    """The job cannot be claimed now: not pending, or kept for another worker
    for one lease period after this worker failed it or let its lease lapse."""


class SubmitResult(str, enum.Enum):
    """What a (verified) proof submitted by a worker did to its job."""

    COMPLETED = "completed"  #: the holder's proof completed the job
    LATE_COMPLETED = "late_completed"  #: a lapsed worker's proof completed it
    DUPLICATE = "duplicate"  #: the same worker's same proof again: nothing changed
    ALREADY_COMPLETED = "already_completed"  #: another submission completed it first

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Exact counts of jobs per status, over every job the store has seen.

    Counts stay exact when finished jobs are dropped from memory by the
    retention limit: they are kept as counters, not by counting records.
    """

    pending_count: int = 0
    in_progress_count: int = 0
    completed_count: int = 0
    failed_count: int = 0
    expired_count: int = 0

    @property
    def total(self) -> int:
        return (
            self.pending_count
            + self.in_progress_count
            + self.completed_count
            + self.failed_count
            + self.expired_count
        )

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


class JobRecord:
    """A job as the store knows it: the job plus where it is in its lifecycle.

    Returned by :meth:`JobStore.get` as a snapshot: changing it changes nothing
    in the store.
    """

    __slots__ = (
        "job",
        "status",
        "worker_id",
        "proof",
        "error",
        "attempts",
        "enqueued_at_ms",
        "started_at_ms",
        "finished_at_ms",
        "lease_expires_at_ms",
        "lease_ms",
        "holders",
        "avoid_worker",
        "avoid_until_ms",
        "seq",
        "qkey",
        "proved_at_ms",
        "submitted_at_ms",
        "verified_at_ms",
    )

    def __init__(self, job: ProofJob, status: JobStatus, enqueued_at_ms: int) -> None:
        self.job = job
        self.status = status
        self.worker_id: str | None = None
        self.proof: bytes | None = None
        self.error: str | None = None
        self.attempts = 0  #: times the job was started (mark_in_progress)
        self.enqueued_at_ms = enqueued_at_ms
        self.started_at_ms: int | None = None
        self.finished_at_ms: int | None = None
        self.lease_expires_at_ms: int | None = None  #: None: no lease (local workers)
        self.lease_ms = 0  #: length of the current or last lease
        self.holders: set[str] = set()  #: every worker that ever held the job
        self.avoid_worker: str | None = None  #: failed or lapsed here: others first
        self.avoid_until_ms = 0
        self.seq = 0  #: enqueue order (the list cursor)
        self.qkey = 0  #: its place in the pending order (pouw.queue.priority)
        #: when its proof was made, handed over and verified (completed jobs)
        self.proved_at_ms: int | None = None
        self.submitted_at_ms: int | None = None
        self.verified_at_ms: int | None = None

    @property
    def job_id(self) -> str:
        return self.job.job_id

    @property
    def deadline_ms(self) -> int:
        return self.job.deadline_ms

    def snapshot(self) -> JobRecord:
        copy = JobRecord.__new__(JobRecord)
        for name in JobRecord.__slots__:
            setattr(copy, name, getattr(self, name))
        copy.holders = set(self.holders)
        return copy

    def to_dict(self) -> dict[str, object]:
        d = self.job.to_dict()
        d.update(
            status=self.status.value,
            worker_id=self.worker_id,
            error=self.error,
            attempts=self.attempts,
            enqueued_at_ms=self.enqueued_at_ms,
            started_at_ms=self.started_at_ms,
            proved_at_ms=self.proved_at_ms,
            submitted_at_ms=self.submitted_at_ms,
            verified_at_ms=self.verified_at_ms,
            finished_at_ms=self.finished_at_ms,
            lease_expires_at_ms=self.lease_expires_at_ms,
            has_proof=self.proof is not None,
        )
        return d

    def __repr__(self) -> str:
        return (
            f"JobRecord(job_id={self.job_id[:16]}..., status={self.status.value}, "
            f"worker_id={self.worker_id!r}, attempts={self.attempts})"
        )


_log = logging.getLogger("pouw.queue")


class Wakeups:
    """``on_new_jobs`` for a store: callbacks told, after the commit, that a job may
    have become claimable (an enqueue, a job given back). A hint only: a
    waiter polls as well, since a job can also become claimable by time alone
    (a worker's one-lease wait after it failed the job)."""

    _wakers: tuple[Callable[[], None], ...] = ()

    def on_new_jobs(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` (from any thread, quickly) whenever jobs may be claimable."""
        self._wakers = (*self._wakers, callback)

    def _wake(self) -> None:
        for callback in self._wakers:
            try:
                callback()
            except Exception:  # noqa: BLE001 - a waiter's error is not the store's
                _log.exception("a new-jobs callback failed")


class BatchClaims(Wakeups):
    """``claim_next`` with its ``batch`` for a store that implements
    ``_claim_batch(worker_id, lease_ms, n, can) -> list[JobRecord]`` (``can``:
    the claim's :class:`~pouw.queue.capabilities.Capabilities`, its ``tier``
    and ``circuits`` folded in): one claim is a batch of one."""

    def _claim_batch(
        self, worker_id: str, lease_ms: int, n: int, can: Capabilities
    ) -> list[JobRecord]:
        raise NotImplementedError

    @overload
    def claim_next(
        self,
        worker_id: str,
        lease_ms: int,
        tier: JobTier | None = None,
        circuits: Collection[str] | None = None,
        *,
        batch: None = None,
        can: Capabilities | None = None,
    ) -> JobRecord | None: ...

    @overload
    def claim_next(
        self,
        worker_id: str,
        lease_ms: int,
        tier: JobTier | None = None,
        circuits: Collection[str] | None = None,
        *,
        batch: int,
        can: Capabilities | None = None,
    ) -> list[JobRecord]: ...

    def claim_next(
        self,
        worker_id: str,
        lease_ms: int,
        tier: JobTier | None = None,
        circuits: Collection[str] | None = None,
        *,
        batch: int | None = None,
        can: Capabilities | None = None,
    ) -> JobRecord | list[JobRecord] | None:
        """See :meth:`JobStore.claim_next`."""
        from .lifecycle import check_batch  # (the lifecycle imports this module)

        caps = Capabilities.of_claim(can, tier, circuits)
        if batch is not None:
            return self._claim_batch(worker_id, lease_ms, check_batch(batch), caps)
        got = self._claim_batch(worker_id, lease_ms, 1, caps)
        return got[0] if got else None


@runtime_checkable
class JobStore(Protocol):
    """The backend protocol of the job layer (the seed's queue operations).

    Semantics every backend keeps (and the conformance tests pin):

    * ``enqueue`` refuses a known id (:class:`~pouw.DuplicateJob`) and a store at
      capacity (:class:`~pouw.QueueFull`); it accepts a job already past its
      deadline, which then shows EXPIRED and is never handed out.
    * ``pop_next`` never blocks; it hands each pending job to exactly one caller
      (or returns ``None``). The job stays PENDING, *reserved* for that caller,
      until ``mark_in_progress``; a reservation that is not taken up within the
      store's reservation timeout returns to the pending order at the next
      ``sweep``, so a caller that dies between the two calls loses no job.
    * status changes follow :data:`~pouw.status.ALLOWED_TRANSITIONS`; anything
      else raises :class:`~pouw.InvalidTransition`; an unknown id raises
      :class:`~pouw.JobNotFound`.
    * ``sweep`` expires every pending or in-progress job past its deadline and
      ends every lapsed lease.

    Leases (remote workers; every lease operation first ends lapsed leases):

    * ``claim``/``claim_next`` move a pending job to in progress held by a
      worker until ``now + lease_ms`` (attempts + 1); ``heartbeat`` extends it.
    * a lease that lapses, or a ``fail``, returns the job to PENDING (the
      attempt stays counted) with the last error kept; once ``attempts``
      reaches ``max_attempts`` it becomes FAILED instead (``dead_letters``).
    * a job failed or lapsed on worker W is kept from W for one lease period
      (``claim_next`` skips it, ``claim`` raises :class:`JobUnavailable`);
      after that W may take it again, so a lone worker never stalls.
    * ``complete_by`` records a proof the caller has verified (fenced by the
      claim's attempt, see the method): from the holder
      it completes; from a worker whose lease lapsed it still completes, from
      PENDING (:data:`~pouw.status.LATE_PROOF_TRANSITIONS`) or from another
      worker's lease (which ends); once completed, the same proof again from
      the same worker is :attr:`SubmitResult.DUPLICATE` and any other
      :attr:`SubmitResult.ALREADY_COMPLETED`. A worker that never held the job
      gets :class:`NotHolder`; a failed or expired job
      :class:`~pouw.InvalidTransition`.
    * ``reject_proof`` counts a bad proof against the worker and, if it holds
      the job, gives the job back as ``fail`` does.
    """

    max_attempts: int
    #: most live (pending or in-progress) jobs; ``enqueue`` beyond it raises QueueFull
    capacity: int

    def batch(self) -> AbstractContextManager[None]:
        """Operations inside run as one unit of durability (one transaction over a
        database; nothing to group in memory). Layers above that share the
        store's file (the node's ledger) write inside it too."""
        ...

    def close(self) -> None:
        """Let go of the store's resources; the store is unusable afterwards."""
        ...

    def quarantine(self, job_id: str, reason: str) -> None:
        """Make a damaged job a dead letter (FAILED with ``reason``), from any status."""
        ...

    def enqueue(self, job: ProofJob, *, local: bool = False) -> None:
        """Add a new job; ``local``: its delivery is the caller's own channel (the
        local pool's ring), so ``pop_next`` and ``claim_next`` do not hand it out
        until :meth:`return_local`. It is PENDING and counted as such either way."""
        ...

    def enqueue_many(self, jobs: Sequence[ProofJob], *, local: bool = False) -> None:
        """Add many new jobs at once, all or none: :class:`~pouw.DuplicateJob` if any
        id is known or appears twice in ``jobs``, :class:`~pouw.QueueFull` if the
        live jobs and the batch's unexpired ones would pass the capacity, and then
        nothing is added; a job already past its deadline is recorded EXPIRED, as
        by :meth:`enqueue`. One transaction (one commit) and one wake-up for the
        batch on a database."""
        ...

    def return_local(self, job_ids: list[str]) -> None:
        """Jobs enqueued ``local`` that no local worker will take: into the pending order."""
        ...

    def pop_next(self) -> ProofJob | None: ...

    def get(self, job_id: str) -> JobRecord: ...

    def get_status(self, job_id: str) -> JobStatus: ...

    def mark_in_progress(self, job_id: str, worker_id: str) -> None: ...

    def mark_completed(
        self, job_id: str, proof: bytes, *, times: ProofTimes | None = None
    ) -> None: ...

    def mark_failed(self, job_id: str, error: str) -> None: ...

    def release(self, job_id: str, error: str | None = None) -> None: ...

    def list_pending(self, limit: int | None = None) -> list[ProofJob]: ...

    def sweep(self) -> int: ...

    def stats(self) -> QueueStats: ...

    # -- leases -------------------------------------------------------------

    def claim(self, job_id: str, worker_id: str, lease_ms: int) -> JobRecord: ...

    @overload
    def claim_next(
        self,
        worker_id: str,
        lease_ms: int,
        tier: JobTier | None = None,
        circuits: Collection[str] | None = None,
        *,
        batch: None = None,
        can: Capabilities | None = None,
    ) -> JobRecord | None: ...

    @overload
    def claim_next(
        self,
        worker_id: str,
        lease_ms: int,
        tier: JobTier | None = None,
        circuits: Collection[str] | None = None,
        *,
        batch: int,
        can: Capabilities | None = None,
    ) -> list[JobRecord]: ...

    def claim_next(
        self,
        worker_id: str,
        lease_ms: int,
        tier: JobTier | None = None,
        circuits: Collection[str] | None = None,
        *,
        batch: int | None = None,
        can: Capabilities | None = None,
    ) -> JobRecord | list[JobRecord] | None:
        """Claim the oldest pending job ``worker_id`` may take: of ``tier`` when
        given; with ``circuits`` given, only a job for one of those circuit
        digests or a job without a circuit (a mock proof, which every worker can
        make): a worker never claims a job it has no key for. With ``batch=n``
        (1..1000): up to ``n`` such claims, oldest first, as a list, in one
        transaction (PostgreSQL: six statements for the whole batch). With
        ``can``: only jobs the worker's
        :class:`~pouw.queue.capabilities.Capabilities` admit (tiers, zk modes,
        circuits, job sizes), in the same one query."""
        ...

    def heartbeat(self, job_id: str, worker_id: str, lease_ms: int) -> int: ...

    def worker_heartbeat(self, worker_id: str, lease_ms: int) -> int:
        """The worker is alive: its last-seen time becomes now and every lease it
        holds that has not lapsed is extended to ``now + lease_ms``, as
        ``heartbeat`` would extend each (one statement over a database).
        Returns how many leases it extended. A worker that heartbeats is never
        rescued however slow its proofs; one that falls silent has its jobs
        given back when their leases lapse (``lapse_leases``, the rescuer)."""
        ...

    def workers_seen(self) -> dict[str, int]:
        """When each worker last heartbeat or claimed (ms), by worker id."""
        ...

    def worker_devices(self) -> dict[str, str]:
        """The device (``cpu``/``gpu``) each worker declared with its last claim."""
        ...

    def on_new_jobs(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` (from any thread) whenever jobs may have become
        claimable: after an enqueue or a give-back is committed, by this process
        or (PostgreSQL with notify on) by any other on the same schema. A hint
        for long-polling claimers, who still poll."""
        ...

    def fail(self, job_id: str, worker_id: str, error: str) -> JobStatus: ...

    def complete_by(
        self,
        job_id: str,
        worker_id: str,
        proof: bytes,
        *,
        attempt: int | None = None,
        times: ProofTimes | None = None,
    ) -> SubmitResult:
        """Record a proof the caller verified, fenced by ``(job_id, attempt,
        worker_id)``: ``attempt`` is the one the worker's claim started
        (``JobRecord.attempts`` of the claim). Only the current attempt of the
        current holder completes as :attr:`SubmitResult.COMPLETED`; a proof of
        an earlier attempt is a late proof (kept, the job completed, counted
        once); an attempt never handed out is :class:`NotHolder`. ``times``:
        when the proof was made, submitted and verified (the job's history)."""
        ...

    def reject_proof(self, job_id: str, worker_id: str, error: str) -> JobStatus: ...

    def lapse_leases(self) -> int:
        """The rescuer: give back every job whose lease lapsed (its worker fell
        silent), attempt counted, or make it a dead letter at ``max_attempts``.
        Run at open and by the node's sweeper; safe when several processes run
        it at once (each job is given back once). Returns how many."""
        ...

    # -- queries for the API ------------------------------------------------

    def list_jobs(
        self,
        status: JobStatus | None = None,
        tier: JobTier | None = None,
        limit: int = 100,
        after_seq: int = 0,
    ) -> list[JobRecord]: ...

    def dead_letters(self, limit: int | None = None) -> list[JobRecord]: ...

    def leases_held(self, worker_id: str) -> int: ...

    def worker_stats(self) -> dict[str, dict[str, int]]: ...

    def stats_by_tier(self) -> dict[str, QueueStats]: ...

    def latency_stats(self, since_ms: int, until_ms: int | None = None) -> dict[str, Any]:
        """Counts and p50/p95/p99 latencies (queue wait, proving, end to end) per
        tier and per worker of the jobs that finished since ``since_ms``, from
        the store's job history (:func:`pouw.queue.analytics.summarize`)."""
        ...
