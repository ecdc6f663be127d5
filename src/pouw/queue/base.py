"""What every job store offers: the backend protocol, its stats and its records.

The node, the worker pool and (later) the HTTP API hold a :class:`JobStore`,
never a concrete backend; :class:`~pouw.queue.JobQueue` is the in-memory one
and durable backends implement the same protocol and pass the same tests
(``tests/queue_conformance.py``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol, runtime_checkable

from ..job import ProofJob
from ..status import JobStatus

__all__ = ["QueueStats", "JobRecord", "JobStore"]


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

    @property
    def job_id(self) -> str:
        return self.job.job_id

    def snapshot(self) -> JobRecord:
        copy = JobRecord.__new__(JobRecord)
        for name in JobRecord.__slots__:
            setattr(copy, name, getattr(self, name))
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
            finished_at_ms=self.finished_at_ms,
            has_proof=self.proof is not None,
        )
        return d

    def __repr__(self) -> str:
        return (
            f"JobRecord(job_id={self.job_id[:16]}..., status={self.status.value}, "
            f"worker_id={self.worker_id!r}, attempts={self.attempts})"
        )


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
    * ``sweep`` expires every pending or in-progress job past its deadline.
    """

    def enqueue(self, job: ProofJob) -> None: ...

    def pop_next(self) -> ProofJob | None: ...

    def get(self, job_id: str) -> JobRecord: ...

    def get_status(self, job_id: str) -> JobStatus: ...

    def mark_in_progress(self, job_id: str, worker_id: str) -> None: ...

    def mark_completed(self, job_id: str, proof: bytes) -> None: ...

    def mark_failed(self, job_id: str, error: str) -> None: ...

    def release(self, job_id: str, error: str | None = None) -> None: ...

    def list_pending(self, limit: int | None = None) -> list[ProofJob]: ...

    def sweep(self) -> int: ...

    def stats(self) -> QueueStats: ...
