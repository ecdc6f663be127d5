"""The read-only side of :class:`~pouw.store.SqliteJobQueue`: lookups, lists,
counts and the stored ledger.

Each query runs in :meth:`SqlQueries._session`: SQLite's one connection under
the store's lock (the connection is shared by every thread; the lock is what
makes that safe), PostgreSQL's connection of the calling thread's transaction
or one from the pool. A query changes nothing, so it needs no transaction of
its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..job import ProofJob
from ..queue.analytics import summarize
from ..queue.base import WORKER_COUNTERS, JobRecord, QueueStats
from ..status import JobStatus, JobTier, parse_enum
from .ops import SqlOps
from .schema import JOB_COLUMNS, record_from_row

__all__ = ["SqlQueries"]

_P, _IP, _C, _F, _E = (s.value for s in JobStatus)
#: the most history rows one latency_stats reads (the newest of its window)
MAX_HISTORY_ROWS = 200_000
_NO_LIMIT = 1 << 62  # "no limit" as a LIMIT both dialects take (SQLite's -1 is not PostgreSQL's)


class SqlQueries(SqlOps):
    """Queries over ``self._db`` (see the module docstring)."""

    _db: Any  #: the dialect's connection (sqlite3's, or the PostgreSQL store's wrapper)
    _lock: threading.RLock
    _clock: Any

    @contextmanager
    def _session(self) -> Iterator[Any]:
        """A connection to read on (or run one self-contained statement on)."""
        with self._lock:
            yield self._db

    def get(self, job_id: str) -> JobRecord:
        with self._session() as db:
            return self._get(db, job_id)

    def get_status(self, job_id: str) -> JobStatus:
        with self._session() as db:
            return JobStatus(self._head(db, job_id)[0])

    def list_pending(self, limit: int | None = None) -> list[ProofJob]:
        with self._session() as db:
            rows = db.execute(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE status = 'pending' ORDER BY "
                "reserved_at_ms IS NULL, reserved_at_ms, qpos LIMIT ?",
                (_NO_LIMIT if limit is None else limit,),
            ).fetchall()
        return [record_from_row(r).job for r in rows]

    def list_jobs(
        self,
        status: JobStatus | None = None,
        tier: JobTier | None = None,
        limit: int = 100,
        after_seq: int = 0,
    ) -> list[JobRecord]:
        where: list[str] = ["seq > ?"]
        args: list[Any] = [after_seq]
        if status is not None:
            where.append("status = ?")
            args.append(parse_enum(JobStatus, status, "status").value)
        if tier is not None:
            where.append("tier = ?")
            args.append(parse_enum(JobTier, tier, "tier").value)
        with self._session() as db:
            rows = db.execute(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE {' AND '.join(where)} ORDER BY seq LIMIT ?",
                (*args, limit),
            ).fetchall()
        return [record_from_row(r) for r in rows]

    def dead_letters(self, limit: int | None = None) -> list[JobRecord]:
        with self._session() as db:
            rows = db.execute(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE status = ? ORDER BY seq LIMIT ?",
                (_F, _NO_LIMIT if limit is None else limit),
            ).fetchall()
        return [record_from_row(r) for r in rows]

    def leases_held(self, worker_id: str) -> int:
        with self._session() as db:
            (n,) = db.execute(
                "SELECT COUNT(*) FROM jobs WHERE status = ? AND worker_id = ? "
                "AND lease_expires_at_ms IS NOT NULL",
                (_IP, worker_id),
            ).fetchone()
        return int(n)

    def worker_stats(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        with self._session() as db:
            for worker, what, n in db.execute("SELECT worker_id, what, n FROM worker_counts"):
                out.setdefault(worker, dict.fromkeys(WORKER_COUNTERS, 0))[what] = n
        return dict(sorted(out.items()))

    def workers_seen(self) -> dict[str, int]:
        with self._session() as db:
            rows = db.execute("SELECT worker_id, last_seen_ms FROM workers").fetchall()
        return {w: int(t) for w, t in sorted(rows)}

    def latency_stats(self, since_ms: int, until_ms: int | None = None) -> dict[str, Any]:
        until = self._clock() if until_ms is None else until_ms
        with self._session() as db:
            rows = db.execute(
                "SELECT tier, status, worker_id, attempts, enqueued_at_ms, claimed_at_ms, "
                "proved_at_ms, submitted_at_ms, verified_at_ms, finished_at_ms FROM job_history "
                "WHERE finished_at_ms >= ? AND finished_at_ms <= ? "
                "ORDER BY finished_at_ms DESC LIMIT ?",
                (since_ms, until, MAX_HISTORY_ROWS),
            ).fetchall()
        return summarize(rows, since_ms=since_ms, until_ms=until)

    def worker_devices(self) -> dict[str, str]:
        with self._session() as db:
            rows = db.execute(
                "SELECT worker_id, device FROM workers WHERE device IS NOT NULL"
            ).fetchall()
        return {w: str(d) for w, d in sorted(rows)}

    def stats(self) -> QueueStats:
        c = dict.fromkeys(JobStatus, 0)
        with self._session() as db:
            for status, n in db.execute("SELECT status, SUM(n) FROM counters GROUP BY status"):
                c[JobStatus(status)] = int(n)
        return _stats(c)

    def stats_by_tier(self) -> dict[str, QueueStats]:
        c = {t.value: dict.fromkeys(JobStatus, 0) for t in JobTier}
        with self._session() as db:
            for status, tier, n in db.execute(
                "SELECT status, tier, SUM(n) FROM counters GROUP BY status, tier"
            ):
                c[tier][JobStatus(status)] = int(n)  # summed over shards (PostgreSQL)
        return {t: _stats(v) for t, v in c.items()}

    def __len__(self) -> int:
        with self._session() as db:
            return self._live(db)

    def __contains__(self, job_id: object) -> bool:
        with self._session() as db:
            return bool(db.execute("SELECT 1 FROM jobs WHERE job_id = ?", (job_id,)).fetchone())


def _stats(c: dict[JobStatus, int]) -> QueueStats:
    return QueueStats(*(c[s] for s in JobStatus))
