"""The operations of the SQL job stores: :class:`SqlJobStore`, the
:class:`~pouw.queue.JobStore` protocol over the shared steps (:mod:`.ops`) and
queries (:mod:`.queries`), for a subclass that provides the connection and its
transactions: :class:`~pouw.store.SqliteJobQueue` (one file, one process) and
:class:`~pouw.store.PostgresJobQueue` (one database, many processes).

Every operation is one transaction (:meth:`SqlJobStore.transaction`, a
savepoint inside a :meth:`batch`) that loads the job's lifecycle columns, runs
the one lifecycle rule (:func:`pouw.queue.lifecycle.step`) and saves its step;
a refusal that comes with a state change is raised after the commit
(:func:`~.ops.outcome`), so the change stands.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from ..errors import DuplicateJob, JobNotFound, QueueFull
from ..job import ProofJob
from ..queue.analytics import ProofTimes
from ..queue.base import BatchClaims, JobRecord, JobUnavailable, SubmitResult
from ..queue.capabilities import Capabilities
from ..queue.lifecycle import (
    Begin,
    Claim,
    Complete,
    Expire,
    Fail,
    Heartbeat,
    MarkFailed,
    Orphaned,
    Quarantine,
    Reject,
    Release,
    Submit,
    check_attempt,
    check_lease,
)
from ..queue.priority import fee_bucket, work_units
from ..queue.settings import check_settings
from ..status import JobStatus
from .ops import outcome
from .queries import SqlQueries
from .schema import JOB_COLUMNS, job_values

__all__ = ["SqlJobStore", "LOCAL_HOLD", "set_settings"]

_P, _IP, _C, _F, _E = (s.value for s in JobStatus)
#: ``reserved_at_ms`` of a job handed to the local pool's ring: a reservation that
#: never times out in this process (``pop_next`` and ``claim_next`` skip it) and
#: that the recovery at open clears, like every reservation
LOCAL_HOLD = 1 << 62


def set_settings(
    store: Any,
    *,
    capacity: int,
    retention: int,
    reservation_timeout_ms: int,
    max_attempts: int,
    synchronous: str,
    clock: Any,
    priority: str = "fee",
    aging_ms: int = 30_000,
    history_ms: int = 7 * 86_400_000,
) -> None:
    """Check and keep the settings every SQL store takes (ValueError naming the bad one)."""
    for name, value in check_settings(
        capacity=capacity,
        retention=retention,
        reservation_timeout_ms=reservation_timeout_ms,
        max_attempts=max_attempts,
        priority=priority,
        aging_ms=aging_ms,
        history_ms=history_ms,
    ).items():
        setattr(store, name, value)
    if synchronous not in ("full", "normal"):
        raise ValueError(f"synchronous must be 'full' or 'normal', got {synchronous!r}")
    store._history_due = 0
    store._clock = clock
    store._lock = threading.RLock()
    store._cache_lock = threading.Lock()


class SqlJobStore(BatchClaims, SqlQueries):
    """The store operations; a subclass gives ``transaction`` (and ``_lock``,
    ``_clock``, ``capacity``, ``retention``, ``max_attempts``,
    ``reservation_timeout_ms``)."""

    capacity: int
    retention: int
    reservation_timeout_ms: int
    max_attempts: int
    priority: str
    aging_ms: int
    _clock: Any
    history_ms: int  #: finished jobs' history rows are kept this long
    _history_due: int

    def transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _tx(self) -> AbstractContextManager[Any]:
        return self.transaction()

    def _recover(self) -> None:
        """The opening process's own stop: reservations of its pop_next and its local
        pool dropped, the jobs its local workers held (in progress without a lease)
        given back; leases that lapsed meanwhile ended."""
        now = self._clock()
        with self._tx() as db:
            db.execute("UPDATE jobs SET reserved_at_ms = NULL WHERE reserved_at_ms IS NOT NULL")
            rows = db.execute(
                "SELECT job_id FROM jobs WHERE status = ? AND lease_expires_at_ms IS NULL",
                (_IP,),
            ).fetchall()
            for (job_id,) in rows:
                self._apply(db, job_id, Orphaned("the node stopped while its worker proved"), now)
        self.lapse_leases()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run many operations as one transaction: one sync for all of them.

        Each operation inside keeps its own all-or-nothing (a savepoint): one
        that raises leaves the others. Other threads' operations wait for the
        batch to end, so keep batches short (the node uses a few hundred
        intents). A batch that raises is rolled back whole.
        """
        with self.transaction():
            yield

    # -- producer side -------------------------------------------------------

    def enqueue(self, job: ProofJob, *, local: bool = False) -> None:
        with self._tx() as db:
            self._enqueue(db, [job], self._clock(), local)
        self._remember(job)  # after the commit: only jobs that are in the file

    def enqueue_many(self, jobs: Sequence[ProofJob], *, local: bool = False) -> None:
        """Add many new jobs in one transaction, all or none (see
        :meth:`~pouw.queue.JobStore.enqueue_many`): the checks of the whole batch,
        then one insert for all its rows."""
        jobs = list(jobs)
        if not jobs:
            return
        with self._tx() as db:
            self._enqueue(db, jobs, self._clock(), local)
        for job in jobs:
            self._remember(job)

    def return_local(self, job_ids: list[str]) -> None:
        self._wake_after_commit()
        with self._tx() as db:
            db.executemany(
                "UPDATE jobs SET reserved_at_ms = NULL WHERE job_id = ? AND reserved_at_ms = ?",
                [(job_id, LOCAL_HOLD) for job_id in job_ids],
            )

    def _enqueue(self, db: Any, jobs: list[ProofJob], now: int, local: bool) -> None:
        """``enqueue`` and ``enqueue_many``: every check of the batch before any
        write, then its rows in one insert, its counters once per (status, tier)."""
        self._fence(db)
        ids = [job.job_id for job in jobs]
        seen: set[str] = set()
        for job_id in ids:
            if job_id in seen:
                raise DuplicateJob(f"job {job_id} is already in the queue")
            seen.add(job_id)
        known = self._known_id(db, ids)
        if known is not None:
            raise DuplicateJob(f"job {known} is already in the queue")
        fresh = [job for job in jobs if job.deadline_ms >= now]
        if fresh and self._live(db) + len(fresh) > self.capacity:
            raise QueueFull(f"queue is full ({self.capacity} live jobs)")
        counters = self._next_many(db, "qpos", len(jobs))
        rows = []
        tally: dict[tuple[str, str], int] = {}
        for job, counter in zip(jobs, counters, strict=True):
            expired = job.deadline_ms < now
            status = _E if expired else _P
            bucket = fee_bucket(job)
            rows.append(
                (
                    *job_values(job),
                    status,
                    now,
                    self._queue_key(bucket, now, counter),
                    bucket,
                    work_units(job),
                    now if expired else None,
                    LOCAL_HOLD if local and not expired else None,
                )
            )
            tally[status, job.tier.value] = tally.get((status, job.tier.value), 0) + 1
        self._insert_jobs(db, rows)
        for (status, tier), k in sorted(tally.items()):
            self._bump(db, status, tier, k)
        for job in jobs:
            if job.deadline_ms < now:
                self._retire(db, job.job_id)
        if not local and fresh:
            self._wake_after_commit()

    def _known_id(self, db: Any, ids: list[str]) -> str | None:
        """One of ``ids`` that the store has, or ``None``."""
        for k in range(0, len(ids), _IN_CHUNK):
            chunk = ids[k : k + _IN_CHUNK]
            row = db.execute(
                f"SELECT job_id FROM jobs WHERE job_id IN ({', '.join('?' * len(chunk))}) LIMIT 1",
                chunk,
            ).fetchone()
            if row is not None:
                return str(row[0])
        return None

    def _insert_jobs(self, db: Any, rows: list[tuple[Any, ...]]) -> None:
        """The rows of :data:`INSERT_JOB` for many jobs (a dialect may do it in one
        statement)."""
        db.executemany(INSERT_JOB, rows)

    # -- the seed's consumer side --------------------------------------------

    def pop_next(self) -> ProofJob | None:
        now = self._clock()
        with self._tx() as db:
            row = self._next_pending(db, now, reserve_check=True)
            if row is None:
                return None
            db.execute("UPDATE jobs SET reserved_at_ms = ? WHERE job_id = ?", (now, row[1]))
            return self._jobs[row[1]]  # checked by _next_pending

    def mark_in_progress(self, job_id: str, worker_id: str) -> None:
        now = self._clock()
        with self._tx() as db:
            s = self._apply(db, job_id, Begin(worker_id), now)
        outcome(s)

    def mark_completed(self, job_id: str, proof: bytes, *, times: ProofTimes | None = None) -> None:
        proof = _proof_bytes(proof)
        with self._tx() as db:
            s = self._apply(db, job_id, Complete(proof, times), self._clock())
        outcome(s)

    def mark_failed(self, job_id: str, error: str) -> None:
        with self._tx() as db:
            s = self._apply(db, job_id, MarkFailed(str(error)), self._clock())
        outcome(s)

    def release(self, job_id: str, error: str | None = None) -> None:
        with self._tx() as db:
            s = self._apply(db, job_id, Release(error), self._clock())
        outcome(s)

    def quarantine(self, job_id: str, reason: str) -> None:
        """Make a damaged job a dead letter (FAILED with ``reason``), whatever its status."""
        with self._tx() as db:
            s = self._apply(db, job_id, Quarantine(str(reason)), self._clock())
        outcome(s)

    # -- leases --------------------------------------------------------------

    def claim(self, job_id: str, worker_id: str, lease_ms: int) -> JobRecord:
        check_lease(lease_ms)
        now = self._clock()
        with self._tx() as db:
            self._lapse_due(db, now)
            row = db.execute(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE job_id = ?", (job_id,)
            ).fetchone()
            if row is None:
                raise JobNotFound(f"no job {job_id!r}")
            damaged = row[11] == _P and self._checked_job(db, row, now) is None  # status
            if not damaged:
                s = self._apply(db, job_id, Claim(worker_id, lease_ms), now)
                rec = self._get(db, job_id) if s.raise_after is None else None
        if damaged:
            raise JobUnavailable(f"job {job_id} is damaged in the store; it is a dead letter now")
        outcome(s)
        assert rec is not None
        return rec

    def _claim_batch(
        self, worker_id: str, lease_ms: int, n: int, can: Capabilities
    ) -> list[JobRecord]:
        """Up to ``n`` claims as ``claim_next`` makes them, in one transaction."""
        check_lease(lease_ms)
        now = self._clock()
        out: list[JobRecord] = []
        with self._tx() as db:
            self._lapse_due(db, now)
            self._declare(db, worker_id, now, can)
            while len(out) < n:
                row = self._next_pending(db, now, worker_id=worker_id, can=can)
                if row is None:
                    break
                outcome(self._apply(db, row[1], Claim(worker_id, lease_ms), now))
                out.append(self._get(db, row[1]))
        return out

    def heartbeat(self, job_id: str, worker_id: str, lease_ms: int) -> int:
        check_lease(lease_ms)
        now = self._clock()
        with self._tx() as db:
            self._lapse_due(db, now)
            s = self._apply(db, job_id, Heartbeat(worker_id, lease_ms), now)
        return int(outcome(s))  # type: ignore[call-overload]

    def worker_heartbeat(self, worker_id: str, lease_ms: int) -> int:
        # the Heartbeat rule of every live lease the worker holds, in one statement
        check_lease(lease_ms)
        now = self._clock()
        with self._tx() as db:
            self._lapse_due(db, now)
            db.execute(
                "INSERT INTO workers (worker_id, last_seen_ms) VALUES (?, ?) "
                "ON CONFLICT (worker_id) DO UPDATE SET last_seen_ms = EXCLUDED.last_seen_ms",
                (worker_id, now),
            )
            cur = db.execute(
                "UPDATE jobs SET lease_expires_at_ms = ?, lease_ms = ? WHERE status = ? "
                "AND worker_id = ? AND lease_expires_at_ms IS NOT NULL AND lease_expires_at_ms >= ?",
                (now + lease_ms, lease_ms, JobStatus.IN_PROGRESS.value, worker_id, now),
            )
            return max(0, int(cur.rowcount))

    def fail(self, job_id: str, worker_id: str, error: str) -> JobStatus:
        now = self._clock()
        with self._tx() as db:
            self._lapse_due(db, now)
            s = self._apply(db, job_id, Fail(worker_id, str(error)), now)
        return outcome(s)  # type: ignore[return-value]

    def complete_by(
        self,
        job_id: str,
        worker_id: str,
        proof: bytes,
        *,
        attempt: int | None = None,
        times: ProofTimes | None = None,
    ) -> SubmitResult:
        proof = _proof_bytes(proof)
        attempt = check_attempt(attempt)
        now = self._clock()
        if attempt is not None and self._complete_own(
            job_id, worker_id, proof, attempt, now, times
        ):
            return SubmitResult.COMPLETED
        with self._tx() as db:
            self._lapse_due(db, now)
            s = self._apply(db, job_id, Submit(worker_id, proof, attempt, times), now)
        return outcome(s)  # type: ignore[return-value]

    def _complete_own(
        self,
        job_id: str,
        worker_id: str,
        proof: bytes,
        attempt: int,
        now: int,
        times: ProofTimes | None,
    ) -> bool:
        """The common case of ``complete_by`` in one statement, where the dialect has
        one: the holder's proof under its current attempt and a live lease. False:
        not that case (or no such statement), and the full rule decides."""
        return False

    def reject_proof(self, job_id: str, worker_id: str, error: str) -> JobStatus:
        now = self._clock()
        with self._tx() as db:
            self._lapse_due(db, now)
            s = self._apply(db, job_id, Reject(worker_id, str(error)), now)
        return outcome(s)  # type: ignore[return-value]

    def lapse_leases(self) -> int:
        with self._tx() as db:
            return self._lapse_due(db, self._clock())

    def sweep(self) -> int:
        now = self._clock()
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET reserved_at_ms = NULL WHERE reserved_at_ms <= ?",
                (now - self.reservation_timeout_ms,),
            )
            self._lapse_due(db, now)
            rows = db.execute(
                "SELECT job_id FROM jobs WHERE status IN (?, ?) AND deadline_ms < ?",
                (_P, _IP, now),
            ).fetchall()
            for (job_id,) in rows:
                self._apply(db, job_id, Expire(), now)
            if now >= self._history_due:  # the history kept by age, looked at once a minute
                self._history_due = now + 60_000
                db.execute(
                    "DELETE FROM job_history WHERE finished_at_ms < ?", (now - self.history_ms,)
                )
            return len(rows)


#: the columns a new job's row is inserted with, in the order of ``_enqueue``'s rows
INSERT_COLUMNS = (
    "job_id, tier, intent_id, trace_hash, fee_budget, created_at_ms, deadline_ms, "
    "trace_data, circuit, step, status, enqueued_at_ms, qpos, bucket, units, "
    "finished_at_ms, reserved_at_ms"
)
INSERT_JOB = (
    f"INSERT INTO jobs ({INSERT_COLUMNS}) "
    f"VALUES ({', '.join('?' * len(INSERT_COLUMNS.split(',')))})"
)
#: ids per duplicate lookup of enqueue_many (SQLite's bound on host parameters is 32766)
_IN_CHUNK = 500


def _proof_bytes(proof: object) -> bytes:
    if not isinstance(proof, (bytes, bytearray, memoryview)):
        raise TypeError("proof must be bytes")
    return bytes(proof)
