"""The durable job store: the :class:`~pouw.queue.JobStore` protocol over SQLite.

Every state change is one ``BEGIN IMMEDIATE`` transaction on one connection
guarded by one lock, in WAL mode, so a crash (``SIGKILL``) at any instant
leaves the store as of the last committed operation. ``synchronous`` chooses
what survives a power cut too: ``"full"`` (the default) syncs the WAL at each
commit; ``"normal"`` syncs at checkpoints only, which still survives a
process crash.

On opening, the store recovers from a stop: reservations of ``pop_next`` are
dropped (their callers are gone), leases that lapsed while the process was
down are ended (their jobs pending again, attempt counted), and jobs held in
progress *without* a lease (the node's own local workers, which died with it)
are given back. Pending jobs stay pending; completed jobs keep their proofs.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import DuplicateJob, InvalidTransition, QueueFull
from ..job import ProofJob, now_ms
from ..queue.base import (
    JobRecord,
    JobUnavailable,
    SubmitResult,
)
from ..status import JobStatus, JobTier, check_transition
from .filelock import lock_store
from .queries import SqliteQueries
from .schema import DDL, job_values, record_from_row

__all__ = ["SqliteJobQueue"]

_P, _IP, _C, _F, _E = (s.value for s in JobStatus)
_SYNC = {"full": "FULL", "normal": "NORMAL"}


class SqliteJobQueue(SqliteQueries):
    """A :class:`~pouw.queue.JobStore` in one SQLite file; the same semantics as
    :class:`~pouw.queue.JobQueue` (the conformance tests run on both).

    Parameters
    ----------
    path:
        The database file (created with its directory if missing).
    capacity, retention, reservation_timeout_ms, max_attempts, clock:
        As for :class:`~pouw.queue.JobQueue`; ``retention`` bounds the finished
        jobs kept in the file (the ledger keeps every proof regardless).
    synchronous:
        ``"full"`` or ``"normal"`` (SQLite's ``PRAGMA synchronous``).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        capacity: int = 100_000,
        retention: int = 10_000,
        reservation_timeout_ms: int = 30_000,
        max_attempts: int = 3,
        synchronous: str = "full",
        clock: Callable[[], int] = now_ms,
    ) -> None:
        for name, value, low in (
            ("capacity", capacity, 1),
            ("retention", retention, 0),
            ("reservation_timeout_ms", reservation_timeout_ms, 1),
            ("max_attempts", max_attempts, 1),
        ):
            if value.__class__ is not int or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        if synchronous not in _SYNC:
            raise ValueError(f"synchronous must be 'full' or 'normal', got {synchronous!r}")
        self.path = Path(path)
        self.capacity = capacity
        self.retention = retention
        self.reservation_timeout_ms = reservation_timeout_ms
        self.max_attempts = max_attempts
        self._clock = clock
        self._lock = threading.RLock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file_lock = lock_store(self.path)
        try:
            db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={_SYNC[synchronous]}")
            db.execute("PRAGMA busy_timeout=5000")
            db.executescript(DDL)
            db.executemany(
                "INSERT OR IGNORE INTO counters (status, tier, n) VALUES (?, ?, 0)",
                [(st.value, t.value) for st in JobStatus for t in JobTier],
            )
            self._db = db
            # no lease can lapse before this instant (a lower bound: saves a query per op);
            # reset to 0 by a rollback, since a rolled-back scan may have moved it
            self._lease_hint = 0
            self._batch_depth = 0
            self._recover()
        except BaseException:
            if self._file_lock is not None:
                self._file_lock.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()
            if self._file_lock is not None:
                self._file_lock.close()  # after the database: see filelock.py
                self._file_lock = None

    # -- transactions --------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        # one operation: its own transaction, or a savepoint inside a batch
        with self._lock:
            db = self._db
            if self._batch_depth:
                db.execute("SAVEPOINT op")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK TO op")
                    db.execute("RELEASE op")
                    self._lease_hint = 0
                    raise
                db.execute("RELEASE op")
                return
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                self._lease_hint = 0
                raise
            db.execute("COMMIT")

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Run many operations as one transaction: one sync for all of them.

        Each operation inside keeps its own all-or-nothing (a savepoint): one
        that raises leaves the others. Other threads' operations wait for the
        batch to end, so keep batches short (the node uses a few hundred
        intents). A batch that raises is rolled back whole.
        """
        with self._lock:
            if self._batch_depth:
                self._batch_depth += 1
                try:
                    yield
                finally:
                    self._batch_depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._batch_depth = 1
            try:
                yield
            except BaseException:
                self._batch_depth = 0
                self._db.execute("ROLLBACK")
                self._lease_hint = 0
                raise
            self._batch_depth = 0
            self._db.execute("COMMIT")

    def _recover(self) -> None:
        now = self._clock()
        with self._tx() as db:
            db.execute("UPDATE jobs SET reserved_at_ms = NULL WHERE reserved_at_ms IS NOT NULL")
            rows = db.execute(
                "SELECT job_id FROM jobs WHERE status = ? AND lease_expires_at_ms IS NULL",
                (_IP,),
            ).fetchall()
            for (job_id,) in rows:
                self._give_back(db, job_id, "the node stopped while its worker proved", now)
        self.lapse_leases()

    # -- producer side -------------------------------------------------------

    def enqueue(self, job: ProofJob) -> None:
        with self._tx() as db:
            self._enqueue(db, job, self._clock())

    def _enqueue(self, db: sqlite3.Connection, job: ProofJob, now: int) -> None:
        if db.execute("SELECT 1 FROM jobs WHERE job_id = ?", (job.job_id,)).fetchone():
            raise DuplicateJob(f"job {job.job_id} is already in the queue")
        expired = job.deadline_ms < now
        if not expired and self._live(db) >= self.capacity:
            raise QueueFull(f"queue is full ({self.capacity} live jobs)")
        status = _E if expired else _P
        db.execute(
            "INSERT INTO jobs (job_id, tier, intent_id, trace_hash, fee_budget, created_at_ms, "
            "deadline_ms, trace_data, status, enqueued_at_ms, qpos, finished_at_ms) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (*job_values(job), status, now, self._next(db, "qpos"), now if expired else None),
        )
        self._bump(db, status, job.tier.value, 1)
        if expired:
            self._retire(db, job.job_id)

    # -- the seed's consumer side --------------------------------------------

    def pop_next(self) -> ProofJob | None:
        now = self._clock()
        with self._tx() as db:
            row = self._next_pending(db, now, reserve_check=True)
            if row is None:
                return None
            db.execute("UPDATE jobs SET reserved_at_ms = ? WHERE job_id = ?", (now, row[1]))
            return record_from_row(row).job

    def mark_in_progress(self, job_id: str, worker_id: str) -> None:
        now = self._clock()
        expired_at = None
        with self._tx() as db:
            status, tier, deadline = self._head(db, job_id)
            if status == _P and deadline < now:
                self._move(db, job_id, tier, _P, _E, now)  # the expiry stands
                expired_at = deadline
            else:
                check_transition(job_id, JobStatus(status), JobStatus.IN_PROGRESS)
                self._start(db, job_id, tier, worker_id, None, 0, now)
        if expired_at is not None:
            raise InvalidTransition(f"job {job_id} expired at {expired_at}")

    def mark_completed(self, job_id: str, proof: bytes) -> None:
        if not isinstance(proof, (bytes, bytearray, memoryview)):
            raise TypeError("proof must be bytes")
        with self._tx() as db:
            status, tier, _ = self._head(db, job_id)
            check_transition(job_id, JobStatus(status), JobStatus.COMPLETED)
            self._complete(db, job_id, tier, status, bytes(proof), None, self._clock())

    def mark_failed(self, job_id: str, error: str) -> None:
        with self._tx() as db:
            status, tier, _ = self._head(db, job_id)
            check_transition(job_id, JobStatus(status), JobStatus.FAILED)
            db.execute("UPDATE jobs SET error = ? WHERE job_id = ?", (str(error), job_id))
            self._move(db, job_id, tier, status, _F, self._clock())

    def release(self, job_id: str, error: str | None = None) -> None:
        with self._tx() as db:
            status, tier, _ = self._head(db, job_id)
            check_transition(job_id, JobStatus(status), JobStatus.PENDING)
            self._move(db, job_id, tier, status, _P, self._clock())
            db.execute(
                "UPDATE jobs SET worker_id = NULL, error = ?, qpos = ?, "
                "lease_expires_at_ms = NULL WHERE job_id = ?",
                (error, self._next(db, "qpos"), job_id),
            )

    # -- leases --------------------------------------------------------------

    def claim(self, job_id: str, worker_id: str, lease_ms: int) -> JobRecord:
        _check_lease(lease_ms)
        now = self._clock()
        with self._tx() as db:
            self._lapse_due(db, now)
            status, tier, deadline = self._head(db, job_id)
            if status == _P and deadline < now:
                self._move(db, job_id, tier, _P, _E, now)
                status = _E
            if status != _P:
                raise JobUnavailable(f"job {job_id} is {status}, not pending")
            avoid, until = db.execute(
                "SELECT avoid_worker, avoid_until_ms FROM jobs WHERE job_id = ?", (job_id,)
            ).fetchone()
            if avoid == worker_id and now < until:
                raise JobUnavailable(
                    f"job {job_id} failed on {worker_id}; kept for other workers until {until}"
                )
            self._start(db, job_id, tier, worker_id, now + lease_ms, lease_ms, now)
            return self._get(db, job_id)

    def claim_next(
        self, worker_id: str, lease_ms: int, tier: JobTier | None = None
    ) -> JobRecord | None:
        _check_lease(lease_ms)
        now = self._clock()
        with self._tx() as db:
            self._lapse_due(db, now)
            row = self._next_pending(db, now, worker_id=worker_id, tier=tier)
            if row is None:
                return None
            self._start(db, row[1], row[2], worker_id, now + lease_ms, lease_ms, now)
            return self._get(db, row[1])

    def heartbeat(self, job_id: str, worker_id: str, lease_ms: int) -> int:
        _check_lease(lease_ms)
        now = self._clock()
        with self._tx() as db:
            self._lapse_due(db, now)
            self._held(db, job_id, worker_id)
            db.execute(
                "UPDATE jobs SET lease_expires_at_ms = ?, lease_ms = ? WHERE job_id = ?",
                (now + lease_ms, lease_ms, job_id),
            )
            return now + lease_ms

    def fail(self, job_id: str, worker_id: str, error: str) -> JobStatus:
        now = self._clock()
        with self._tx() as db:
            self._lapse_due(db, now)
            self._held(db, job_id, worker_id)
            self._count(db, worker_id, "failed")
            return self._give_back(db, job_id, str(error), now)

    def complete_by(self, job_id: str, worker_id: str, proof: bytes) -> SubmitResult:
        if not isinstance(proof, (bytes, bytearray, memoryview)):
            raise TypeError("proof must be bytes")
        proof = bytes(proof)
        now = self._clock()
        with self._tx() as db:
            self._lapse_due(db, now)
            status, tier, deadline = self._head(db, job_id)
            self._require_held_once(db, job_id, worker_id)
            holder, old_proof = db.execute(
                "SELECT worker_id, proof FROM jobs WHERE job_id = ?", (job_id,)
            ).fetchone()
            if status == _C:
                same = old_proof == proof and holder == worker_id
                return SubmitResult.DUPLICATE if same else SubmitResult.ALREADY_COMPLETED
            if status in (_P, _IP) and deadline < now:
                self._move(db, job_id, tier, status, _E, now)
                status = _E
            check_transition(job_id, JobStatus(status), JobStatus.COMPLETED, late_proof=True)
            self._complete(db, job_id, tier, status, proof, worker_id, now)
            self._count(db, worker_id, "completed")
            own = status == _IP and holder == worker_id
            return SubmitResult.COMPLETED if own else SubmitResult.LATE_COMPLETED

    def reject_proof(self, job_id: str, worker_id: str, error: str) -> JobStatus:
        now = self._clock()
        with self._tx() as db:
            self._lapse_due(db, now)
            status, _, _ = self._head(db, job_id)
            self._require_held_once(db, job_id, worker_id)
            self._count(db, worker_id, "rejected")
            (holder,) = db.execute(
                "SELECT worker_id FROM jobs WHERE job_id = ?", (job_id,)
            ).fetchone()
            if status == _IP and holder == worker_id:
                return self._give_back(db, job_id, str(error), now)
            return JobStatus(status)

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
                "SELECT job_id, tier, status FROM jobs WHERE status IN (?, ?) AND deadline_ms < ?",
                (_P, _IP, now),
            ).fetchall()
            for job_id, tier, status in rows:
                self._move(db, job_id, tier, status, _E, now)
            return len(rows)

    # -- the ledger, in the same database --------------------------------------

    def append_ledger_entry(
        self,
        height: int,
        intent_id: str,
        intent: str,
        entry: str,
        zk_mode: str,
        job: ProofJob | None = None,
        proof: bytes | None = None,
    ) -> None:
        """Write a ledger entry, its job id and (enqueue) its job in one transaction."""
        now = self._clock()
        with self._tx() as db:
            db.execute(
                "INSERT INTO ledger (height, intent_id, intent, entry, zk_mode, proof) "
                "VALUES (?,?,?,?,?,?)",
                (height, intent_id, intent, entry, zk_mode, proof),
            )
            if job is not None:
                db.execute(
                    "INSERT INTO ledger_jobs (job_id, height) VALUES (?, ?)", (job.job_id, height)
                )
                self._enqueue(db, job, now)


def _check_lease(lease_ms: object) -> None:
    if not isinstance(lease_ms, int) or isinstance(lease_ms, bool) or not 1 <= lease_ms <= 1 << 40:
        raise ValueError(f"lease_ms must be a positive integer, got {lease_ms!r}")
