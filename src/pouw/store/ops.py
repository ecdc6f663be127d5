"""The steps :class:`~pouw.store.SqliteJobQueue` builds its operations from.

Every method here runs with the store's lock held, inside the operation's
transaction (or savepoint), and never commits: the caller's transaction makes
a whole operation atomic. Status moves keep the ``counters`` table exact in
the same transaction.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from ..errors import JobNotFound
from ..queue.base import JobRecord, LeaseLost, NotHolder
from ..status import JobStatus, JobTier
from .schema import JOB_COLUMNS, record_from_row

__all__ = ["SqliteOps"]

_P, _IP, _C, _F, _E = (s.value for s in JobStatus)
_FINAL = (_C, _F, _E)
_RETURNING = sqlite3.sqlite_version_info >= (3, 35)  # UPDATE ... RETURNING
_NO_LEASE = 1 << 62


class SqliteOps:
    """Internal steps over ``self._db`` (see the module docstring)."""

    retention: int
    max_attempts: int
    reservation_timeout_ms: int
    _lease_hint: int

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
        return record_from_row(row, holders)

    def _live(self, db: sqlite3.Connection) -> int:
        (n,) = db.execute(
            "SELECT COALESCE(SUM(n), 0) FROM counters WHERE status IN (?, ?)", (_P, _IP)
        ).fetchone()
        return int(n)

    def _next(self, db: sqlite3.Connection, key: str) -> int:
        if _RETURNING:
            row = db.execute(
                "UPDATE meta SET value = value + 1 WHERE key = ? RETURNING value", (key,)
            ).fetchone()
            if row is not None:
                return int(row[0])
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?, 1) "
            "ON CONFLICT (key) DO UPDATE SET value = value + 1",
            (key,),
        )
        (value,) = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(value)

    def _bump(self, db: sqlite3.Connection, status: str, tier: str, by: int) -> None:
        db.execute(
            "UPDATE counters SET n = n + ? WHERE status = ? AND tier = ?", (by, status, tier)
        )

    def _count(self, db: sqlite3.Connection, worker_id: str, what: str) -> None:
        db.execute(
            "INSERT INTO workers (worker_id, what, n) VALUES (?, ?, 1) "
            "ON CONFLICT (worker_id, what) DO UPDATE SET n = n + 1",
            (worker_id, what),
        )

    def _move(
        self, db: sqlite3.Connection, job_id: str, tier: str, old: str, new: str, now: int
    ) -> None:
        # both counters in one statement (every (status, tier) row exists from the start)
        db.execute(
            "UPDATE counters SET n = n + (CASE status WHEN ? THEN -1 ELSE 1 END) "
            "WHERE tier = ? AND status IN (?, ?)",
            (old, tier, old, new),
        )
        if new in _FINAL:
            db.execute(
                "UPDATE jobs SET status = ?, finished_at_ms = ?, reserved_at_ms = NULL, "
                "lease_expires_at_ms = NULL WHERE job_id = ?",
                (new, now, job_id),
            )
            self._retire(db, job_id)
        elif old == _IP:
            db.execute(
                "UPDATE jobs SET status = ?, lease_expires_at_ms = NULL WHERE job_id = ?",
                (new, job_id),
            )
        else:
            db.execute("UPDATE jobs SET status = ? WHERE job_id = ?", (new, job_id))

    def _retire(self, db: sqlite3.Connection, job_id: str) -> None:
        seq = self._next(db, "finish_seq")
        db.execute("UPDATE jobs SET finish_seq = ? WHERE job_id = ?", (seq, job_id))
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
        tier: JobTier | None = None,
    ) -> tuple[Any, ...] | None:
        # the oldest pending job this caller may take; overdue ones met on the way expire
        where = ["status = ?", "(reserved_at_ms IS NULL OR reserved_at_ms <= ?)"]
        args: list[Any] = [_P, now - self.reservation_timeout_ms]
        if worker_id is not None:
            where.append("(avoid_worker IS NULL OR avoid_worker != ? OR avoid_until_ms <= ?)")
            args += [worker_id, now]
        if tier is not None:
            where.append("tier = ?")
            args.append(JobTier(tier).value)
        sql = f"SELECT {JOB_COLUMNS} FROM jobs WHERE {' AND '.join(where)} ORDER BY qpos LIMIT 1"
        while True:
            row = db.execute(sql, args).fetchone()
            if row is None:
                return None
            if row[7] < now:  # deadline_ms
                self._move(db, row[1], row[2], _P, _E, now)
                continue
            return tuple(row)

    def _start(
        self,
        db: sqlite3.Connection,
        job_id: str,
        tier: str,
        worker_id: str,
        lease_until: int | None,
        lease_ms: int,
        now: int,
    ) -> None:
        self._move(db, job_id, tier, _P, _IP, now)
        db.execute(
            "UPDATE jobs SET worker_id = ?, attempts = attempts + 1, started_at_ms = ?, "
            "error = NULL, reserved_at_ms = NULL, lease_expires_at_ms = ?, lease_ms = ? "
            "WHERE job_id = ?",
            (worker_id, now, lease_until, lease_ms, job_id),
        )
        db.execute("INSERT OR IGNORE INTO holders VALUES (?, ?)", (job_id, worker_id))
        if lease_until is not None:
            self._lease_hint = min(self._lease_hint, lease_until)
            self._count(db, worker_id, "claimed")

    def _complete(
        self,
        db: sqlite3.Connection,
        job_id: str,
        tier: str,
        old: str,
        proof: bytes,
        worker_id: str | None,
        now: int,
    ) -> None:
        if worker_id is None:
            db.execute("UPDATE jobs SET proof = ? WHERE job_id = ?", (proof, job_id))
        else:
            db.execute(
                "UPDATE jobs SET proof = ?, worker_id = ? WHERE job_id = ?",
                (proof, worker_id, job_id),
            )
        db.execute(
            "UPDATE ledger SET proof = ? WHERE height = "
            "(SELECT height FROM ledger_jobs WHERE job_id = ?)",
            (proof, job_id),
        )
        self._move(db, job_id, tier, old, _C, now)

    def _require_held_once(self, db: sqlite3.Connection, job_id: str, worker_id: str) -> None:
        if not db.execute(
            "SELECT 1 FROM holders WHERE job_id = ? AND worker_id = ?", (job_id, worker_id)
        ).fetchone():
            raise NotHolder(f"worker {worker_id!r} never held job {job_id}")

    def _held(self, db: sqlite3.Connection, job_id: str, worker_id: str) -> None:
        status, _, _ = self._head(db, job_id)
        (holder,) = db.execute("SELECT worker_id FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if status == _IP and holder == worker_id:
            return
        self._require_held_once(db, job_id, worker_id)
        raise LeaseLost(f"worker {worker_id!r} no longer holds job {job_id}")

    def _give_back(self, db: sqlite3.Connection, job_id: str, error: str, now: int) -> JobStatus:
        tier, attempts, worker, lease_ms = db.execute(
            "SELECT tier, attempts, worker_id, lease_ms FROM jobs WHERE job_id = ?", (job_id,)
        ).fetchone()
        db.execute("UPDATE jobs SET error = ? WHERE job_id = ?", (error, job_id))
        if attempts >= self.max_attempts:
            self._move(db, job_id, tier, _IP, _F, now)
            return JobStatus.FAILED
        self._move(db, job_id, tier, _IP, _P, now)
        db.execute(
            "UPDATE jobs SET avoid_worker = ?, avoid_until_ms = ?, worker_id = NULL, qpos = ? "
            "WHERE job_id = ?",
            (worker, now + max(lease_ms, 1), self._next(db, "qpos"), job_id),
        )
        return JobStatus.PENDING

    def _lapse_due(self, db: sqlite3.Connection, now: int) -> int:
        if now <= self._lease_hint:
            return 0
        rows = db.execute(
            "SELECT job_id, tier, worker_id, deadline_ms FROM jobs "
            "WHERE lease_expires_at_ms IS NOT NULL AND lease_expires_at_ms < ? AND status = ?",
            (now, _IP),
        ).fetchall()
        for job_id, tier, worker, deadline in rows:
            if deadline < now:
                self._move(db, job_id, tier, _IP, _E, now)
                continue
            self._count(db, worker or "", "lapsed")
            self._give_back(db, job_id, f"lease lapsed on worker {worker}", now)
        (first,) = db.execute(
            "SELECT MIN(lease_expires_at_ms) FROM jobs WHERE lease_expires_at_ms IS NOT NULL "
            "AND status = ?",
            (_IP,),
        ).fetchone()
        self._lease_hint = _NO_LEASE if first is None else int(first)
        return len(rows)
