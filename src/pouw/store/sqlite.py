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
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..job import now_ms
from ..status import JobStatus
from .filelock import lock_store
from .integrity import StoreDamaged, prepare
from .sql import SqlJobStore, set_settings

__all__ = ["SqliteJobQueue"]

_IP = JobStatus.IN_PROGRESS.value
_SYNC = {"full": "FULL", "normal": "NORMAL"}


class SqliteJobQueue(SqlJobStore):
    """A :class:`~pouw.queue.JobStore` in one SQLite file; the same semantics as
    :class:`~pouw.queue.JobQueue` (the conformance tests run on both).

    Parameters
    ----------
    path:
        The database file (created with its directory if missing).
    history_ms:
        How long the history of finished jobs (``latency_stats``) is kept (7 days).
    capacity, retention, reservation_timeout_ms, max_attempts, priority, aging_ms, clock:
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
        priority: str = "fee",
        aging_ms: int = 30_000,
        history_ms: int = 7 * 86_400_000,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        set_settings(
            self,
            capacity=capacity,
            retention=retention,
            reservation_timeout_ms=reservation_timeout_ms,
            max_attempts=max_attempts,
            synchronous=synchronous,
            clock=clock,
            priority=priority,
            aging_ms=aging_ms,
            history_ms=history_ms,
        )
        self.path = Path(path)
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
                if not depth:
                    self._wake_due = False
                raise
            self._depth = depth
            db.execute(f"RELEASE s{depth}" if depth else "COMMIT")
            if not depth and self._wake_due:
                self._wake_due = False
                self._wake()
