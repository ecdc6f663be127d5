"""The read-only side of :class:`~pouw.queue.JobQueue`: lookups, lists and
counts, each a snapshot taken under the store's one lock."""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from ..errors import JobNotFound
from ..job import ProofJob
from ..status import JobStatus, JobTier, parse_enum
from .analytics import summarize
from .base import JobRecord, QueueStats
from .memory_index import StatusIndex

__all__ = ["MemoryQueries"]

_PENDING = JobStatus.PENDING
_FAILED = JobStatus.FAILED


class MemoryQueries:
    """Queries over the in-memory store's state (the attributes below are
    made by :class:`~pouw.queue.JobQueue`)."""

    _lock: threading.Lock
    _records: dict[str, JobRecord]
    _order: list[tuple[int, str]]  #: a heap of (order key, job id)
    _reserved: OrderedDict[str, int]
    _local: dict[str, None]
    _counts: dict[JobStatus, int]
    _tier_counts: dict[JobTier, dict[JobStatus, int]]
    _leases: dict[str, int]
    _workers: dict[str, dict[str, int]]
    _seen: dict[str, int]
    _devices: dict[str, str]
    _history: deque[tuple[Any, ...]]
    _clock: Callable[[], int]
    _live: int
    _index: StatusIndex

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
            waiting = [job_id for _, job_id in sorted(self._order)]
            for job_id in [*self._reserved, *self._local, *waiting]:
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
            return _stats(self._counts)

    def stats_by_tier(self) -> dict[str, QueueStats]:
        """Exact counts per status for each tier (keys: the tier words)."""
        with self._lock:
            return {t.value: _stats(c) for t, c in self._tier_counts.items()}

    def list_jobs(
        self,
        status: JobStatus | None = None,
        tier: JobTier | None = None,
        limit: int = 100,
        after_seq: int = 0,
    ) -> list[JobRecord]:
        """Known jobs in enqueue order after ``after_seq``, filtered; snapshots.

        O(log n + limit) under the lock (plus at most ``DIRTY_MAX`` catch-up
        steps of the index): see :mod:`pouw.queue.memory_index`.
        """
        status = None if status is None else parse_enum(JobStatus, status, "status")
        tier = None if tier is None else parse_enum(JobTier, tier, "tier")
        with self._lock:
            self._index.flush()
            recs = self._index.select(status, tier, after_seq, limit)
            return [r.snapshot() for r in recs]

    def dead_letters(self, limit: int | None = None) -> list[JobRecord]:
        """FAILED jobs still retained, oldest first, with their last error."""
        with self._lock:
            self._index.flush()
            return [r.snapshot() for r in self._index.select(_FAILED, None, 0, limit)]

    def leases_held(self, worker_id: str) -> int:
        with self._lock:
            recs = self._records
            return sum(1 for j in self._leases if recs[j].worker_id == worker_id)

    def worker_stats(self) -> dict[str, dict[str, int]]:
        """Per worker: claimed, completed, failed, rejected and lapsed counts."""
        with self._lock:
            return {w: dict(c) for w, c in sorted(self._workers.items())}

    def workers_seen(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._seen.items()))

    def latency_stats(self, since_ms: int, until_ms: int | None = None) -> dict[str, Any]:
        with self._lock:
            rows = list(self._history)
            now = self._clock()
        return summarize(rows, since_ms=since_ms, until_ms=now if until_ms is None else until_ms)

    def worker_devices(self) -> dict[str, str]:
        with self._lock:
            return dict(sorted(self._devices.items()))

    def __len__(self) -> int:
        """Live (pending or in-progress) jobs."""
        return self._live

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._records

    def _record(self, job_id: str) -> JobRecord:
        rec = self._records.get(job_id)
        if rec is None:
            raise JobNotFound(f"no job {job_id!r}")
        return rec


def _stats(c: dict[JobStatus, int]) -> QueueStats:
    return QueueStats(
        c[JobStatus.PENDING],
        c[JobStatus.IN_PROGRESS],
        c[JobStatus.COMPLETED],
        c[_FAILED],
        c[JobStatus.EXPIRED],
    )
