"""The steps :class:`~pouw.store.SqliteJobQueue` builds its operations from.

Every method here runs with the store's lock held, inside the operation's
transaction (or savepoint), and never commits: the caller's transaction makes
a whole operation atomic. Status moves keep the ``counters`` table exact in
the same transaction.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ..errors import JobNotFound
from ..job import ProofJob
from ..queue.base import JobRecord
from ..queue.capabilities import Capabilities
from ..queue.lifecycle import Event, Expire, Lapse, Quarantine, Step, step
from ..queue.priority import order_key
from ..status import JobStatus
from .schema import JOB_COLUMNS, DamagedJob, job_from_row, record_from_row

__all__ = ["SqlOps", "LifeRow", "outcome", "HISTORY_COLUMNS"]

#: the columns of a job_history row as written (its analytics fields, with the id)
HISTORY_COLUMNS = (
    "job_id, tier, status, worker_id, attempts, enqueued_at_ms, claimed_at_ms, "
    "proved_at_ms, submitted_at_ms, verified_at_ms, finished_at_ms"
)

#: The columns :class:`LifeRow` is read from, in its field order (after job_id).
_LIFE_COLUMNS = (
    "status, deadline_ms, worker_id, attempts, lease_ms, avoid_worker, avoid_until_ms, proof, tier, "
    "bucket"
)


@dataclass(frozen=True, slots=True)
class LifeRow:
    """One job's lifecycle columns (a :class:`~pouw.queue.lifecycle.Life`)."""

    job_id: str
    status: JobStatus
    deadline_ms: int
    worker_id: str | None
    attempts: int
    lease_ms: int
    avoid_worker: str | None
    avoid_until_ms: int
    proof: bytes | None
    tier: str
    bucket: int  #: the job's fee bucket (pouw.queue.priority)
    holders: frozenset[str]


def outcome(s: Step) -> object:
    """A saved step's result, or its deferred refusal (after the commit)."""
    if s.raise_after is not None:
        raise s.raise_after
    return s.result


_P, _IP = JobStatus.PENDING.value, JobStatus.IN_PROGRESS.value
_log = logging.getLogger("pouw.store")
#: Jobs kept checked in memory per store (their traces are small: ~100 kB in all
#: for typical transfer traces at this size)
JOB_CACHE = 4096
_RETURNING = sqlite3.sqlite_version_info >= (3, 35)  # UPDATE ... RETURNING
_NO_LEASE = 1 << 62


class SqlOps:
    """Internal steps over ``self._db`` (see the module docstring).

    The SQL is the common ground of SQLite and PostgreSQL (``?`` placeholders:
    the PostgreSQL store's connection rewrites them); where the two differ the
    dialect sets a hook: ``_ROW_LOCK`` (a job row read to be changed, locked
    until the commit), ``_PICK_LOCK`` (the row a claim picks: others skip it),
    ``_shard`` (which counter row of a (status, tier) this connection moves).
    """

    #: appended to the SELECT of a row this transaction will change
    _ROW_LOCK = ""
    #: appended to the SELECT that picks the next pending job
    _PICK_LOCK = ""
    #: the counters row set this connection updates (PostgreSQL: one per shard,
    #: so concurrent transactions do not queue on one hot row; SQLite: the one)
    _shard: int | None = None

    retention: int
    max_attempts: int
    reservation_timeout_ms: int
    _lease_hint: int
    _jobs: OrderedDict[str, ProofJob]  #: checked jobs by id, least recently used first
    _cache_lock: threading.Lock  #: guards ``_jobs``

    def _head(self, db: sqlite3.Connection, job_id: str) -> tuple[str, str, int]:
        row = db.execute(
            "SELECT status, tier, deadline_ms FROM jobs WHERE job_id = ?", (job_id,)
        ).fetchone()
        if row is None:
            raise JobNotFound(f"no job {job_id!r}")
        return row[0], row[1], row[2]

    def _get(self, db: sqlite3.Connection, job_id: str) -> JobRecord:
        row = db.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFound(f"no job {job_id!r}")
        holders = {
            w for (w,) in db.execute("SELECT worker_id FROM holders WHERE job_id = ?", (job_id,))
        }
        return record_from_row(row, holders, self._jobs.get(job_id))

    # -- jobs this process has checked ---------------------------------------------
    #
    # A job's bytes are hashed once per process: when this process wrote them
    # (enqueue: the job made from the trace in memory, which carries its decoded
    # trace too) or when it first hands them out (a claim). Later reads of the
    # same job reuse that object, so a remote job costs no BLAKE3 pass in the
    # node after it was made; a row damaged on disk is found at its first claim.

    def _remember(self, job: ProofJob) -> None:
        with self._cache_lock:  # (PostgreSQL runs operations of many threads at once)
            jobs = self._jobs
            jobs[job.job_id] = job
            if len(jobs) > JOB_CACHE:
                jobs.popitem(last=False)

    def _checked_job(
        self, db: sqlite3.Connection, row: tuple[Any, ...], now: int
    ) -> ProofJob | None:
        """The row's job with its trace hash checked, or ``None`` when the row is
        damaged: then it is quarantined (a dead letter with the reason)."""
        job_id = row[1]
        with self._cache_lock:
            job = self._jobs.get(job_id)
            if job is not None:
                self._jobs.move_to_end(job_id)
        if job is not None:
            return job
        try:
            job = job_from_row(row, check_trace=True)
        except DamagedJob as exc:
            _log.warning("quarantined %s", exc)
            self._apply(db, job_id, Quarantine(exc.reason), now)
            return None
        self._remember(job)
        return job

    def _live(self, db: sqlite3.Connection) -> int:
        (n,) = db.execute(
            "SELECT COALESCE(SUM(n), 0) FROM counters WHERE status IN (?, ?)", (_P, _IP)
        ).fetchone()
        return int(n)

    def _next(self, db: Any, key: str) -> int:
        return self._next_many(db, key, 1)[0]

    def _next_many(self, db: Any, key: str, n: int) -> list[int]:
        """The next ``n`` values of the counter ``key``, ascending (a dialect with
        sequences may interleave other transactions' values between them)."""
        if _RETURNING:
            row = db.execute(
                "UPDATE meta SET value = value + ? WHERE key = ? RETURNING value", (n, key)
            ).fetchone()
            if row is not None:
                return list(range(int(row[0]) - n + 1, int(row[0]) + 1))
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = meta.value + ?",
            (key, n, n),
        )
        (last,) = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return list(range(int(last) - n + 1, int(last) + 1))

    def _bump(self, db: sqlite3.Connection, status: str, tier: str, by: int) -> None:
        if self._shard is None:
            db.execute(
                "UPDATE counters SET n = n + ? WHERE status = ? AND tier = ?", (by, status, tier)
            )
        else:
            db.execute(
                "UPDATE counters SET n = n + ? WHERE status = ? AND tier = ? AND shard = ?",
                (by, status, tier, self._shard),
            )

    def _count(self, db: sqlite3.Connection, worker_id: str, what: str) -> None:
        db.execute(
            "INSERT INTO worker_counts (worker_id, what, n) VALUES (?, ?, 1) "
            "ON CONFLICT (worker_id, what) DO UPDATE SET n = worker_counts.n + 1",
            (worker_id, what),
        )

    def _life(self, db: sqlite3.Connection, job_id: str) -> LifeRow:
        """The lifecycle fields of one job, for :func:`~pouw.queue.lifecycle.step`."""
        row = db.execute(
            f"SELECT {_LIFE_COLUMNS} FROM jobs WHERE job_id = ?{self._ROW_LOCK}", (job_id,)
        ).fetchone()
        if row is None:
            raise JobNotFound(f"no job {job_id!r}")
        status, deadline, worker, attempts, lease_ms, avoid, avoid_until, proof, tier, bucket = row
        holders = frozenset(
            w for (w,) in db.execute("SELECT worker_id FROM holders WHERE job_id = ?", (job_id,))
        ) | ({worker} if worker is not None else frozenset())
        return LifeRow(
            job_id,
            JobStatus(status),
            deadline,
            worker,
            attempts,
            lease_ms,
            avoid,
            avoid_until,
            proof,
            tier,
            bucket,
            holders,
        )

    def _apply(self, db: sqlite3.Connection, job_id: str, event: Event, now: int) -> Step:
        """Run the lifecycle rule for ``event`` on ``job_id`` and save its step.

        The caller raises ``step.raise_after`` once its transaction is committed
        (:func:`outcome`), so that a state change that comes with a refusal stands.
        """
        row = self._life(db, job_id)
        s = step(row, event, now, max_attempts=self.max_attempts)
        sets = dict(s.changes)
        if s.moved:
            sets["status"] = s.new.value
            if s.new is not JobStatus.PENDING:
                sets["reserved_at_ms"] = None
            # both counters in one statement (every (status, tier) row exists from the start)
            shard = "" if self._shard is None else f" AND shard = {int(self._shard)}"
            db.execute(
                "UPDATE counters SET n = n + (CASE status WHEN ? THEN -1 ELSE 1 END) "
                f"WHERE tier = ? AND status IN (?, ?){shard}",
                (s.old.value, row.tier, s.old.value, s.new.value),
            )
        if s.requeue:
            sets["qpos"] = self._queue_key(row.bucket, now, self._next(db, "qpos"))
            self._wake_after_commit()
        if sets:
            columns = ", ".join(f"{name} = ?" for name in sets)
            db.execute(f"UPDATE jobs SET {columns} WHERE job_id = ?", (*sets.values(), job_id))
        if s.finished:
            self._retire(db, job_id)
        # the job's current holder is its worker_id; the holders table keeps the
        # earlier ones, so a claim writes no row there (only a hand-over does)
        if row.worker_id is not None and sets.get("worker_id", row.worker_id) != row.worker_id:
            db.execute(
                "INSERT INTO holders (job_id, worker_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (job_id, row.worker_id),
            )
        for worker, what in s.counts:
            self._count(db, worker, what)
        until = sets.get("lease_expires_at_ms")
        if isinstance(until, int):
            self._lease_hint = min(self._lease_hint, until)
        return s

    priority: str
    aging_ms: int

    def _queue_key(self, bucket: int, now: int, counter: int) -> int:
        """The order key of a job joining the pending order now as the store's
        ``counter``-th arrival (``_next(db, "qpos")``; pouw.queue.priority)."""
        return order_key(
            self.priority, self.aging_ms, bucket if self.priority == "fee" else 0, now, counter
        )

    def _fence(self, db: Any) -> None:
        """Before an enqueue: this process is still the one that may enqueue
        (PostgreSQL's sequencer lock; SQLite's file lock needs no check)."""

    def _wake_after_commit(self) -> None:
        """This transaction made a job claimable: tell the waiters once it commits."""
        self._wake_due = True

    _wake_due = False

    def _retire(self, db: sqlite3.Connection, job_id: str) -> None:
        seq = self._next(db, "finish_seq")
        db.execute("UPDATE jobs SET finish_seq = ? WHERE job_id = ?", (seq, job_id))
        db.execute(
            f"INSERT INTO job_history ({HISTORY_COLUMNS}) SELECT job_id, tier, status, "
            "worker_id, attempts, enqueued_at_ms, started_at_ms, proved_at_ms, "
            "submitted_at_ms, verified_at_ms, finished_at_ms FROM jobs WHERE job_id = ?",
            (job_id,),
        )
        self._prune(db, seq)

    def _prune(self, db: Any, seq: int) -> None:
        """Drop the finished jobs beyond the retention limit, ``seq`` the latest finish."""
        cutoff = seq - self.retention
        if cutoff > 0:
            db.execute(
                "DELETE FROM holders WHERE job_id IN "
                "(SELECT job_id FROM jobs WHERE finish_seq IS NOT NULL AND finish_seq <= ?)",
                (cutoff,),
            )
            db.execute(
                "DELETE FROM jobs WHERE finish_seq IS NOT NULL AND finish_seq <= ?", (cutoff,)
            )

    def _next_pending(
        self,
        db: sqlite3.Connection,
        now: int,
        *,
        reserve_check: bool = False,
        worker_id: str | None = None,
        can: Capabilities | None = None,
    ) -> tuple[Any, ...] | None:
        # the first pending job this caller may take; overdue ones met on the way expire
        where, args = self._pending_where(now, worker_id, can)
        sql = (
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE {' AND '.join(where)} ORDER BY qpos LIMIT 1"
            + self._PICK_LOCK
        )
        while True:
            row = db.execute(sql, args).fetchone()
            if row is None:
                return None
            if row[7] < now:  # deadline_ms
                self._apply(db, row[1], Expire(), now)
                continue
            if self._checked_job(db, row, now) is None:
                continue  # damaged: quarantined, and the next one is served
            return tuple(row)

    def _pending_where(
        self, now: int, worker_id: str | None, can: Capabilities | None
    ) -> tuple[list[str], list[Any]]:
        """The WHERE terms (and their arguments) of the pending jobs a caller may take:
        not reserved, not kept from ``worker_id``, admitted by ``can``
        (:meth:`Capabilities.matches`, as SQL)."""
        # the status as a literal: a plan made once for every call (PostgreSQL's
        # generic plan) can use the partial index of pending jobs only if its
        # WHERE states the index's own condition
        where = ["status = 'pending'", "(reserved_at_ms IS NULL OR reserved_at_ms <= ?)"]
        args: list[Any] = [now - self.reservation_timeout_ms]
        if worker_id is not None:
            where.append("(avoid_worker IS NULL OR avoid_worker != ? OR avoid_until_ms <= ?)")
            args += [worker_id, now]
        if can is None or can.admits_all:
            return where, args
        if can.tiers is not None:
            tiers = sorted(t.value for t in can.tiers)
            where.append(f"tier IN ({','.join('?' * len(tiers))})" if tiers else "1 = 0")
            args += tiers
        if can.zk_modes is not None:
            modes = can.zk_modes
            if not modes:
                where.append("1 = 0")
            elif modes == {"mock"}:
                where.append("circuit IS NULL")
            elif modes == {"groth16"}:
                where.append("circuit IS NOT NULL")
        if can.circuits is not None:  # a job without a circuit (a mock proof) suits every worker
            wanted = sorted(can.circuits)
            if wanted:
                where.append(f"(circuit IS NULL OR circuit IN ({','.join('?' * len(wanted))}))")
                args += wanted
            else:
                where.append("circuit IS NULL")
        if can.min_units:
            where.append("units >= ?")
            args.append(can.min_units)
        if can.max_units is not None:
            where.append("units <= ?")
            args.append(can.max_units)
        return where, args

    def _declare(self, db: Any, worker_id: str, now: int, can: Capabilities) -> None:
        """A claim: the worker is alive, with the device it declared."""
        db.execute(
            "INSERT INTO workers (worker_id, last_seen_ms, device) VALUES (?, ?, ?) "
            "ON CONFLICT (worker_id) DO UPDATE SET last_seen_ms = EXCLUDED.last_seen_ms, "
            "device = EXCLUDED.device",
            (worker_id, now, can.device),
        )

    def _lapse_due(self, db: sqlite3.Connection, now: int) -> int:
        if now <= self._lease_hint:
            return 0
        # (PostgreSQL: the due rows locked as they are found, skipping any another
        # transaction holds, so a lease renewed since is never lapsed on a stale read)
        rows = db.execute(
            "SELECT job_id FROM jobs "
            "WHERE lease_expires_at_ms IS NOT NULL AND lease_expires_at_ms < ? AND status = ?"
            + self._PICK_LOCK,
            (now, _IP),
        ).fetchall()
        for (job_id,) in rows:
            self._apply(db, job_id, Lapse(), now)
        (first,) = db.execute(
            "SELECT MIN(lease_expires_at_ms) FROM jobs WHERE lease_expires_at_ms IS NOT NULL "
            "AND status = ?",
            (_IP,),
        ).fetchone()
        self._lease_hint = _NO_LEASE if first is None else int(first)
        return len(rows)
