"""The job store on PostgreSQL: :class:`PostgresJobQueue`, one database for many processes.

The same operations as :class:`~pouw.store.SqliteJobQueue` (:class:`~.sql.SqlJobStore`:
one lifecycle, the same conformance suite), over psycopg 3, with what many
processes sharing one database need:

* a job row read to be changed is locked until the commit (``FOR UPDATE``),
  and the row a claim picks is one no other transaction holds (``FOR UPDATE
  SKIP LOCKED``): two claimers never take one job, and neither waits for the
  other's row;
* the exact counts per (status, tier) are kept in 16 counter rows each, one
  per shard, a connection moving its own (the backend's pid picks it): no
  transaction queues behind another on a hot counter row; reads sum them;
* the queue order and the finish order are sequences, not a row;
* leases are scanned on every lease operation (a process cannot know of
  leases another process made, so no per-process "none before" hint).

The tables live in one schema (``schema``, default ``pouw``), created and
migrated here (``schema_migrations``, idempotent at every open). One process
per schema is the *sequencer* (the node that executes intents and enqueues):
it holds a session advisory lock on the schema for as long as its store is
open, and a second one is refused (:class:`~pouw.store.filelock.StoreInUse`),
as SQLite's file lock refuses a second node. Opening as the sequencer also
recovers from its own stop (reservations of its local pool, its jobs left in
progress without a lease); other processes (API replicas) open with
``sequencer=False`` and recover nothing of another's.

Not yet here (issue 12, next): the connection pool (one connection per store
object, under its lock, as for SQLite), the one-statement batch claim,
LISTEN/NOTIFY, the rescuer's own loop, the history table.
"""

from __future__ import annotations

import contextlib
import re
import zlib
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..errors import PouwError
from ..job import now_ms
from ..queue.base import JobRecord
from ..queue.lifecycle import Expire, check_lease
from ..status import JobStatus, JobTier
from .filelock import StoreInUse
from .schema import JOB_COLUMNS, record_from_row
from .sql import SqlJobStore, set_settings

__all__ = ["PostgresJobQueue", "StoreUnavailable", "SCHEMA_VERSION", "redact_url"]


class StoreUnavailable(PouwError):
    """The database could not do the operation now (the connection was lost, the
    server restarts, a deadlock or serialization failure): nothing of it was
    committed, and the same operation may be tried again (the HTTP API answers
    503 with ``Retry-After``). The store reconnects on its next operation."""


SCHEMA_VERSION = 1
#: counter rows per (status, tier)
SHARDS = 16
_P, _IP = JobStatus.PENDING.value, JobStatus.IN_PROGRESS.value
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

_DDL = """
CREATE TABLE IF NOT EXISTS jobs (
    seq BIGSERIAL PRIMARY KEY,
    job_id TEXT NOT NULL UNIQUE,
    tier TEXT NOT NULL,
    intent_id TEXT NOT NULL,
    trace_hash TEXT NOT NULL,
    fee_budget TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    deadline_ms BIGINT NOT NULL,
    trace_data BYTEA NOT NULL,
    circuit TEXT,
    step INTEGER,
    status TEXT NOT NULL,
    worker_id TEXT,
    proof BYTEA,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    enqueued_at_ms BIGINT NOT NULL,
    started_at_ms BIGINT,
    finished_at_ms BIGINT,
    lease_expires_at_ms BIGINT,
    lease_ms BIGINT NOT NULL DEFAULT 0,
    avoid_worker TEXT,
    avoid_until_ms BIGINT NOT NULL DEFAULT 0,
    qpos BIGINT NOT NULL,
    reserved_at_ms BIGINT,
    finish_seq BIGINT
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02,
        autovacuum_analyze_scale_factor = 0.05);
CREATE INDEX IF NOT EXISTS jobs_pending ON jobs (qpos) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS jobs_pending_deadline ON jobs (deadline_ms) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_lease ON jobs (lease_expires_at_ms)
    WHERE lease_expires_at_ms IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_finish ON jobs (finish_seq) WHERE finish_seq IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_reserved ON jobs (reserved_at_ms)
    WHERE reserved_at_ms IS NOT NULL;
CREATE TABLE IF NOT EXISTS holders (
    job_id TEXT NOT NULL, worker_id TEXT NOT NULL, PRIMARY KEY (job_id, worker_id)
);
CREATE TABLE IF NOT EXISTS counters (
    status TEXT NOT NULL, tier TEXT NOT NULL, shard INTEGER NOT NULL, n BIGINT NOT NULL,
    PRIMARY KEY (status, tier, shard)
);
CREATE TABLE IF NOT EXISTS workers (
    worker_id TEXT NOT NULL, what TEXT NOT NULL, n BIGINT NOT NULL,
    PRIMARY KEY (worker_id, what)
);
CREATE SEQUENCE IF NOT EXISTS seq_qpos;
CREATE SEQUENCE IF NOT EXISTS seq_finish_seq;
"""


# The claim of a batch of picked rows (already locked by the pick): the lifecycle's
# Claim rule (pouw.queue.lifecycle._start) for all of them in one statement, with
# their holders, their counters (pending -> in progress, this connection's shard)
# and the worker's claimed count.
_CLAIM = """
WITH upd AS (
    UPDATE jobs SET status = 'in_progress', worker_id = ?, attempts = attempts + 1,
        started_at_ms = ?, error = NULL, lease_expires_at_ms = ?, lease_ms = ?,
        reserved_at_ms = NULL
    WHERE job_id = ANY(?) AND status = 'pending'
    RETURNING job_id, tier
), h AS (
    INSERT INTO holders (job_id, worker_id) SELECT job_id, ? FROM upd ON CONFLICT DO NOTHING
), c AS (
    UPDATE counters SET n = counters.n + (CASE counters.status WHEN 'pending' THEN -t.k ELSE t.k END)
    FROM (SELECT tier, COUNT(*) AS k FROM upd GROUP BY tier) t
    WHERE counters.tier = t.tier AND counters.status IN ('pending', 'in_progress')
        AND counters.shard = ?
), w AS (
    INSERT INTO workers (worker_id, what, n)
    SELECT ?, 'claimed', COUNT(*) FROM upd HAVING COUNT(*) > 0
    ON CONFLICT (worker_id, what) DO UPDATE SET n = workers.n + EXCLUDED.n
)
SELECT job_id FROM upd
"""


# complete_by's common case, the holder's proof under its current attempt with its
# lease live (pouw.queue.lifecycle._submit: COMPLETED), as one statement fenced by
# (job_id, attempt, worker): the job, its counters and the worker's count; any
# other case matches no row and goes to the full rule.
_COMPLETE_OWN = """
WITH done AS (
    UPDATE jobs SET status = 'completed', proof = ?, lease_expires_at_ms = NULL,
        finished_at_ms = ?, reserved_at_ms = NULL, finish_seq = nextval('seq_finish_seq')
    WHERE job_id = ? AND status = 'in_progress' AND worker_id = ? AND attempts = ?
        AND lease_expires_at_ms >= ? AND deadline_ms >= ?
    RETURNING tier, finish_seq
), c AS (
    UPDATE counters SET n = counters.n + (CASE counters.status WHEN 'in_progress' THEN -1 ELSE 1 END)
    FROM done WHERE counters.tier = done.tier
        AND counters.status IN ('in_progress', 'completed') AND counters.shard = ?
), w AS (
    INSERT INTO workers (worker_id, what, n) SELECT ?, 'completed', 1 FROM done
    ON CONFLICT (worker_id, what) DO UPDATE SET n = workers.n + 1
)
SELECT finish_seq FROM done
"""
#: the one-statement completion prunes the finished jobs past the retention
#: limit once per this many completions (the full rule prunes at every one)
_PRUNE_EVERY = 64


class _Connection:
    """A psycopg connection with the face the shared steps use (sqlite3's):
    ``execute(sql, args)`` with ``?`` placeholders, returning a cursor. A lost
    connection or a transient failure is :class:`StoreUnavailable`."""

    __slots__ = ("raw", "_transient")

    def __init__(self, raw: Any, transient: type[Exception]) -> None:
        self.raw = raw
        self._transient = transient

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Any:
        try:
            return self.raw.execute(_dialect(sql), args, prepare=True)
        except self._transient as exc:
            raise StoreUnavailable(f"the database is unavailable: {exc}") from None

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            with self.raw.cursor() as cur:
                cur.executemany(_dialect(sql), rows)
        except self._transient as exc:
            raise StoreUnavailable(f"the database is unavailable: {exc}") from None

    @property
    def usable(self) -> bool:
        return not (self.raw.closed or self.raw.broken)


_TRANSLATED: dict[str, str] = {}


def _dialect(sql: str) -> str:
    # the shared SQL's "?" placeholders as psycopg's "%s" (no literal % or ? in it)
    out = _TRANSLATED.get(sql)
    if out is None:
        out = _TRANSLATED[sql] = sql.replace("%", "%%").replace("?", "%s")
    return out


class PostgresJobQueue(SqlJobStore):
    """A :class:`~pouw.queue.JobStore` in one PostgreSQL schema; the same semantics
    as :class:`~pouw.queue.JobQueue` and :class:`~pouw.store.SqliteJobQueue`.

    Parameters
    ----------
    url:
        A libpq connection string (``postgresql://user@host:5432/db``).
    schema:
        The schema of the tables (created if missing): one per node's state.
    sequencer:
        Open as the one process that enqueues for this schema (refused while
        another holds it) and recover from its own stop; ``False`` for an API
        replica.
    synchronous:
        ``"full"``: a commit returns once its WAL is flushed (the server's
        ``synchronous_commit``); ``"normal"``: without waiting for the flush
        (``synchronous_commit = off``: a crash of this process loses nothing
        committed, a crash of the server may lose the last fraction of a
        second, never consistency), as SQLite's ``NORMAL``.
    capacity, retention, reservation_timeout_ms, max_attempts, clock:
        As for :class:`~pouw.store.SqliteJobQueue`.
    """

    _ROW_LOCK = " FOR UPDATE"
    _PICK_LOCK = " FOR UPDATE SKIP LOCKED"

    def __init__(
        self,
        url: str,
        *,
        schema: str = "pouw",
        sequencer: bool = True,
        capacity: int = 100_000,
        retention: int = 10_000,
        reservation_timeout_ms: int = 30_000,
        max_attempts: int = 3,
        synchronous: str = "full",
        clock: Callable[[], int] = now_ms,
    ) -> None:
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - the postgres extra
            raise PouwError(
                "the PostgreSQL store needs psycopg: pip install 'pouw[postgres]'"
            ) from exc
        set_settings(
            self,
            capacity=capacity,
            retention=retention,
            reservation_timeout_ms=reservation_timeout_ms,
            max_attempts=max_attempts,
            synchronous=synchronous,
            clock=clock,
        )
        if not _NAME.fullmatch(schema):
            raise ValueError(f"schema must be a lowercase SQL name, got {schema!r}")
        self.url = url
        self.schema = schema
        self._lease_hint = 0
        self._jobs = OrderedDict()
        self._depth = 0
        self._psycopg = psycopg
        self._sequencer = sequencer
        self._synchronous = synchronous
        self._conn = self._connect()
        try:
            self._migrate()
            if sequencer:
                self._recover()
            else:
                self.lapse_leases()
        except BaseException:
            self._conn.raw.close()
            raise

    def _connect(self) -> _Connection:
        """A new session: the schema, the commit mode, the sequencer's lock, the shard."""
        psycopg, url, schema = self._psycopg, self.url, self.schema
        try:
            raw = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreUnavailable(
                f"cannot connect to PostgreSQL ({redact_url(url)}): {exc}"
            ) from None
        try:
            raw.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            raw.execute(f'SET search_path TO "{schema}"')
            if self._synchronous == "normal":  # a commit does not wait for its WAL flush
                raw.execute("SET synchronous_commit TO off")
            if self._sequencer:
                (got,) = _one(raw.execute("SELECT pg_try_advisory_lock(%s)", (_lock_key(schema),)))
                if not got:
                    raise StoreInUse(
                        f"schema {schema!r} of {redact_url(url)} is in use by another pouw node "
                        "(one executing node per state; API replicas open it with "
                        "sequencer=False)"
                    )
            (pid,) = _one(raw.execute("SELECT pg_backend_pid()"))
            self._shard = int(pid) % SHARDS
        except psycopg.OperationalError as exc:
            raw.close()
            raise StoreUnavailable(f"the database is unavailable: {exc}") from None
        except BaseException:
            raw.close()
            raise
        return _Connection(raw, psycopg.OperationalError)

    @property
    def _db(self) -> _Connection:
        # a lost session is replaced at the next operation (the sequencer takes its
        # lock again: refused if another node took the schema meanwhile)
        conn = self._conn
        if not conn.usable:
            with contextlib.suppress(Exception):
                conn.raw.close()
            self._conn = conn = self._connect()
        return conn

    def close(self) -> None:
        with self._lock:
            self._conn.raw.close()  # ends the session: its advisory lock goes with it

    def _migrate(self) -> None:
        with self.transaction() as db:
            # one migrator at a time (the DDL of two processes at once can collide)
            db.execute("SELECT pg_advisory_xact_lock(?)", (_lock_key(self.schema) ^ 1,))
            db.raw.execute(_DDL)
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL)"
            )
            (version,) = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
            if version is not None and version > SCHEMA_VERSION:
                raise PouwError(
                    f"schema {self.schema!r} was written by a newer pouw (version {version}; "
                    f"this one reads up to {SCHEMA_VERSION})"
                )
            db.executemany(
                "INSERT INTO counters (status, tier, shard, n) VALUES (?, ?, ?, 0) "
                "ON CONFLICT DO NOTHING",
                [
                    (st.value, t.value, k)
                    for st in JobStatus
                    for t in JobTier
                    for k in range(SHARDS)
                ],
            )
            db.executemany(
                "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?, ?) "
                "ON CONFLICT DO NOTHING",
                [(v, now_ms()) for v in range(1, SCHEMA_VERSION + 1)],
            )

    # -- transactions --------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[_Connection]:
        """One all-or-nothing unit on the store's connection, under its lock (a
        savepoint inside another, as for SQLite)."""
        with self._lock:
            db = self._db
            depth = self._depth
            self._depth = depth + 1
            try:
                with db.raw.transaction():
                    yield db
            except self._psycopg.OperationalError as exc:  # at the commit, or the rollback
                raise StoreUnavailable(f"the database is unavailable: {exc}") from None
            finally:
                self._depth = depth

    # -- claims: a batch in a few statements --------------------------------

    def _claim_batch(
        self,
        worker_id: str,
        lease_ms: int,
        n: int,
        tier: JobTier | None,
        circuits: Collection[str] | None,
    ) -> list[JobRecord]:
        """Up to ``n`` claims in one transaction of five statements whatever ``n``:
        lapse the due leases and expire the overdue pending jobs (both skipping
        rows others hold), pick the oldest claimable rows (``FOR UPDATE SKIP
        LOCKED``: no claimer waits for another), claim them all in one statement
        (:data:`_CLAIM`), read them back with their holders."""
        check_lease(lease_ms)
        now = self._clock()
        with self._tx() as db:
            self._lapse_due(db, now)
            overdue = db.execute(
                "SELECT job_id FROM jobs WHERE status = ? AND deadline_ms < ? FOR UPDATE SKIP LOCKED",
                (_P, now),
            ).fetchall()
            for (job_id,) in overdue:
                self._apply(db, job_id, Expire(), now)
            where, args = self._pending_where(now, worker_id, tier, circuits)
            rows = db.execute(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE {' AND '.join(where)} "
                "ORDER BY qpos LIMIT ? FOR UPDATE SKIP LOCKED",
                (*args, n),
            ).fetchall()
            # a row damaged on disk is quarantined, never handed out
            ids = [r[1] for r in rows if self._checked_job(db, r, now) is not None]
            if not ids:
                return []
            claimed = db.execute(
                _CLAIM,
                (worker_id, now, now + lease_ms, lease_ms, ids, worker_id, self._shard, worker_id),
            ).fetchall()
            assert len(claimed) == len(ids)  # locked by the pick: still pending
            recs = db.execute(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE job_id = ANY(?) ORDER BY qpos", (ids,)
            ).fetchall()
            holders: dict[str, set[str]] = {}
            for job_id, worker in db.execute(
                "SELECT job_id, worker_id FROM holders WHERE job_id = ANY(?)", (ids,)
            ):
                holders.setdefault(job_id, set()).add(worker)
        return [record_from_row(r, holders.get(r[1], set()), self._jobs.get(r[1])) for r in recs]

    def _complete_own(
        self, job_id: str, worker_id: str, proof: bytes, attempt: int, now: int
    ) -> bool:
        # one statement, in autocommit outside a batch: one round trip in all
        with self._lock:
            db = self._db if self._depth == 0 else self._conn
            row = db.execute(
                _COMPLETE_OWN,
                (proof, now, job_id, worker_id, attempt, now, now, self._shard, worker_id),
            ).fetchone()
            if row is None:
                return False
            if row[0] % _PRUNE_EVERY == 0:
                with self.transaction() as tx:
                    self._prune(tx, int(row[0]))
        return True

    def _next(self, db: Any, key: str) -> int:
        (value,) = db.execute(f"SELECT nextval('seq_{key}')").fetchone()
        return int(value)

    def _lapse_due(self, db: Any, now: int) -> int:
        self._lease_hint = 0  # other processes make leases too: always look
        return super()._lapse_due(db, now)

    def dead_tuples(self) -> int:
        """``n_dead_tup`` of the jobs table (for ``/metrics``)."""
        with self._lock:
            row = self._db.execute(
                "SELECT n_dead_tup FROM pg_stat_user_tables WHERE schemaname = ? "
                "AND relname = 'jobs'",
                (self.schema,),
            ).fetchone()
        return int(row[0]) if row else 0

    def drop(self) -> None:
        """Drop this store's schema and everything in it (tests, and a user who
        means it), and close."""
        with self._lock:
            self._db.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        self.close()


def _one(cursor: Any) -> tuple[Any, ...]:
    row = cursor.fetchone()
    assert row is not None  # a SELECT of one value
    return tuple(row)


def _lock_key(schema: str) -> int:
    # a stable 63-bit key per schema for PostgreSQL's advisory locks
    return (zlib.crc32(b"pouw:" + schema.encode()) << 20) | 0x504F57


def redact_url(url: str) -> str:
    """A database URL for a message: its password replaced by ``***``."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)
