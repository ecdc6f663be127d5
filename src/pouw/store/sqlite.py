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
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import DuplicateJob, JobNotFound, QueueFull
from ..job import ProofJob, now_ms
from ..queue.base import JobRecord, JobUnavailable, SubmitResult
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
    check_lease,
)
from ..status import JobStatus, JobTier
from .filelock import lock_store
from .integrity import StoreDamaged, prepare
from .ops import outcome
from .queries import SqliteQueries
from .schema import JOB_COLUMNS, job_values

__all__ = ["SqliteJobQueue"]

_P, _IP, _C, _F, _E = (s.value for s in JobStatus)
_SYNC = {"full": "FULL", "normal": "NORMAL"}
#: ``reserved_at_ms`` of a job handed to the local pool's ring: a reservation that
#: never times out in this process (``pop_next`` and ``claim_next`` skip it) and
#: that the recovery at open clears, like every reservation
LOCAL_HOLD = 1 << 62


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
            try:
                db.execute("PRAGMA busy_timeout=5000")
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(f"PRAGMA synchronous={_SYNC[synchronous]}")
            except sqlite3.Error as exc:
                db.close()
                raise StoreDamaged(
                    f"{self.path}: not a pouw job store, or damaged ({exc})"
                ) from None
            try:
                prepare(db, self.path)
            except BaseException:
                db.close()
                raise
            self._db = db
            # no lease can lapse before this instant (a lower bound: saves a query per op);
            # reset to 0 by a rollback, since a rolled-back scan may have moved it
            self._lease_hint = 0
            self._depth = 0  # open transaction levels (see transaction())
            self._jobs = OrderedDict()
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
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One all-or-nothing unit on the store's connection, under its lock.

        At the outermost level it is a ``BEGIN IMMEDIATE`` transaction; inside
        another (a :meth:`batch`, or an operation of a layer above that shares
        the store's connection, such as the node's ledger) it is a savepoint,
        so the inner unit can fail alone while the outer one goes on. Each
        store operation runs in one.
        """
        with self._lock:
            db = self._db
            depth = self._depth
            db.execute(f"SAVEPOINT s{depth}" if depth else "BEGIN IMMEDIATE")
            self._depth = depth + 1
            try:
                yield db
            except BaseException:
                self._depth = depth
                if depth:
                    db.execute(f"ROLLBACK TO s{depth}")
                    db.execute(f"RELEASE s{depth}")
                else:
                    db.execute("ROLLBACK")
                # a rolled-back lease scan may have moved the hint
                self._lease_hint = 0
                raise
            self._depth = depth
            db.execute(f"RELEASE s{depth}" if depth else "COMMIT")

    _tx = transaction

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

    def _recover(self) -> None:
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

    # -- producer side -------------------------------------------------------

    def enqueue(self, job: ProofJob, *, local: bool = False) -> None:
        with self._tx() as db:
            self._enqueue(db, job, self._clock(), local)
        self._remember(job)  # after the commit: only jobs that are in the file

    def return_local(self, job_ids: list[str]) -> None:
        with self._tx() as db:
            db.executemany(
                "UPDATE jobs SET reserved_at_ms = NULL WHERE job_id = ? AND reserved_at_ms = ?",
                [(job_id, LOCAL_HOLD) for job_id in job_ids],
            )

    def _enqueue(self, db: sqlite3.Connection, job: ProofJob, now: int, local: bool) -> None:
        if db.execute("SELECT 1 FROM jobs WHERE job_id = ?", (job.job_id,)).fetchone():
            raise DuplicateJob(f"job {job.job_id} is already in the queue")
        expired = job.deadline_ms < now
        if not expired and self._live(db) >= self.capacity:
            raise QueueFull(f"queue is full ({self.capacity} live jobs)")
        status = _E if expired else _P
        db.execute(
            "INSERT INTO jobs (job_id, tier, intent_id, trace_hash, fee_budget, created_at_ms, "
            "deadline_ms, trace_data, circuit, step, status, enqueued_at_ms, qpos, finished_at_ms, "
            "reserved_at_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                *job_values(job),
                status,
                now,
                self._next(db, "qpos"),
                now if expired else None,
                LOCAL_HOLD if local and not expired else None,
            ),
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
            return self._jobs[row[1]]  # checked by _next_pending

    def mark_in_progress(self, job_id: str, worker_id: str) -> None:
        now = self._clock()
        with self._tx() as db:
            s = self._apply(db, job_id, Begin(worker_id), now)
        outcome(s)

    def mark_completed(self, job_id: str, proof: bytes) -> None:
        proof = _proof_bytes(proof)
        with self._tx() as db:
            s = self._apply(db, job_id, Complete(proof), self._clock())
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
            damaged = row[9] == _P and self._checked_job(db, row, now) is None
            if not damaged:
                s = self._apply(db, job_id, Claim(worker_id, lease_ms), now)
                rec = self._get(db, job_id) if s.raise_after is None else None
        if damaged:
            raise JobUnavailable(f"job {job_id} is damaged in the store; it is a dead letter now")
        outcome(s)
        assert rec is not None
        return rec

    def claim_next(
        self,
        worker_id: str,
        lease_ms: int,
        tier: JobTier | None = None,
        circuits: Collection[str] | None = None,
    ) -> JobRecord | None:
        check_lease(lease_ms)
        now = self._clock()
        with self._tx() as db:
            self._lapse_due(db, now)
            row = self._next_pending(db, now, worker_id=worker_id, tier=tier, circuits=circuits)
            if row is None:
                return None
            outcome(self._apply(db, row[1], Claim(worker_id, lease_ms), now))
            return self._get(db, row[1])

    def heartbeat(self, job_id: str, worker_id: str, lease_ms: int) -> int:
        check_lease(lease_ms)
        now = self._clock()
        with self._tx() as db:
            self._lapse_due(db, now)
            s = self._apply(db, job_id, Heartbeat(worker_id, lease_ms), now)
        return int(outcome(s))  # type: ignore[call-overload]

    def fail(self, job_id: str, worker_id: str, error: str) -> JobStatus:
        now = self._clock()
        with self._tx() as db:
            self._lapse_due(db, now)
            s = self._apply(db, job_id, Fail(worker_id, str(error)), now)
        return outcome(s)  # type: ignore[return-value]

    def complete_by(self, job_id: str, worker_id: str, proof: bytes) -> SubmitResult:
        proof = _proof_bytes(proof)
        now = self._clock()
        with self._tx() as db:
            self._lapse_due(db, now)
            s = self._apply(db, job_id, Submit(worker_id, proof), now)
        return outcome(s)  # type: ignore[return-value]

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
            return len(rows)


def _proof_bytes(proof: object) -> bytes:
    if not isinstance(proof, (bytes, bytearray, memoryview)):
        raise TypeError("proof must be bytes")
    return bytes(proof)
