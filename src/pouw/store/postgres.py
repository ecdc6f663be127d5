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

Operations of different threads run side by side, each transaction on a
connection from psycopg's pool (``pool_size``) that its thread keeps until it
ends. The sequencer's lock lives in a session of its own, checked once in
every transaction that enqueues (a lost one is taken again, or refused when
another node has it now). With ``notify`` every transaction that made jobs
claimable ends with one ``NOTIFY``, and a listener thread wakes this process's
long-polling claimers (:meth:`on_new_jobs`) on anyone's; polling stays the
fallback.
"""

from __future__ import annotations

import re
import sys
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..errors import PouwError
from ..job import now_ms
from ..queue.analytics import ProofTimes
from ..queue.base import JobRecord
from ..queue.capabilities import Capabilities
from ..queue.lifecycle import Expire, check_lease
from ..status import JobStatus, JobTier
from .filelock import StoreInUse
from .schema import JOB_COLUMNS, record_from_row
from .sql import INSERT_COLUMNS, INSERT_JOB, SqlJobStore, set_settings

__all__ = ["PostgresJobQueue", "StoreUnavailable", "SCHEMA_VERSION", "redact_url"]


class StoreUnavailable(PouwError):
    """The database could not do the operation now (the connection was lost, the
    server restarts, a deadlock or serialization failure): nothing of it was
    committed, and the same operation may be tried again (the HTTP API answers
    503 with ``Retry-After``). The store reconnects on its next operation."""


#: 1: the first schema; 2: the per-worker counters renamed worker_counts, and
#: workers the heartbeat table (last seen, device); jobs.bucket and jobs.units,
#: the fee bucket and the work units; the proof's times; job_history; 3: fewer
#: index writes per job (no jobs (status, seq) index, no key on job_history,
#: holders only of earlier attempts)
SCHEMA_VERSION = 3
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
    proved_at_ms BIGINT,
    submitted_at_ms BIGINT,
    verified_at_ms BIGINT,
    lease_expires_at_ms BIGINT,
    lease_ms BIGINT NOT NULL DEFAULT 0,
    avoid_worker TEXT,
    avoid_until_ms BIGINT NOT NULL DEFAULT 0,
    qpos BIGINT NOT NULL,
    bucket INTEGER NOT NULL DEFAULT 0,
    units BIGINT NOT NULL DEFAULT 1,
    reserved_at_ms BIGINT,
    finish_seq BIGINT
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02,
        autovacuum_analyze_scale_factor = 0.05);
CREATE INDEX IF NOT EXISTS jobs_pending ON jobs (qpos) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS jobs_pending_deadline ON jobs (deadline_ms) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS jobs_lease ON jobs (lease_expires_at_ms)
    WHERE lease_expires_at_ms IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_finish ON jobs (finish_seq) WHERE finish_seq IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_reserved ON jobs (reserved_at_ms)
    WHERE reserved_at_ms IS NOT NULL;
CREATE TABLE IF NOT EXISTS job_history (
    job_id TEXT NOT NULL,
    tier TEXT NOT NULL,
    status TEXT NOT NULL,
    worker_id TEXT,
    attempts INTEGER NOT NULL,
    enqueued_at_ms BIGINT NOT NULL,
    claimed_at_ms BIGINT,
    proved_at_ms BIGINT,
    submitted_at_ms BIGINT,
    verified_at_ms BIGINT,
    finished_at_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS job_history_finished ON job_history (finished_at_ms);
CREATE TABLE IF NOT EXISTS holders (
    job_id TEXT NOT NULL, worker_id TEXT NOT NULL, PRIMARY KEY (job_id, worker_id)
);
CREATE TABLE IF NOT EXISTS counters (
    status TEXT NOT NULL, tier TEXT NOT NULL, shard INTEGER NOT NULL, n BIGINT NOT NULL,
    PRIMARY KEY (status, tier, shard)
);
CREATE TABLE IF NOT EXISTS worker_counts (
    worker_id TEXT NOT NULL, what TEXT NOT NULL, n BIGINT NOT NULL,
    PRIMARY KEY (worker_id, what)
);
CREATE TABLE IF NOT EXISTS workers (
    worker_id TEXT PRIMARY KEY, last_seen_ms BIGINT NOT NULL, device TEXT
) WITH (fillfactor = 50);
CREATE SEQUENCE IF NOT EXISTS seq_qpos;
CREATE SEQUENCE IF NOT EXISTS seq_finish_seq;
"""


# A claim in one statement (the River shape): pick the first claimable rows
# (``{where}``: the caller's terms) skipping any another transaction holds, and
# apply the lifecycle's Claim rule (pouw.queue.lifecycle._start) to all of them,
# with their counters (pending -> in progress, this connection's shard) and the
# worker's claimed count, returning the rows. (A pending job has no worker: no
# earlier holder to keep in holders.)
_CLAIM = f"""
WITH picked AS (
    SELECT job_id FROM jobs WHERE {{where}} ORDER BY qpos LIMIT ? FOR UPDATE SKIP LOCKED
), upd AS (
    UPDATE jobs SET status = 'in_progress', worker_id = ?, attempts = attempts + 1,
        started_at_ms = ?, error = NULL, lease_expires_at_ms = ?, lease_ms = ?,
        reserved_at_ms = NULL
    WHERE job_id IN (SELECT job_id FROM picked)
    RETURNING {JOB_COLUMNS}, qpos
), c AS (
    UPDATE counters SET n = counters.n + (CASE counters.status WHEN 'pending' THEN -t.k ELSE t.k END)
    FROM (SELECT tier, COUNT(*) AS k FROM upd GROUP BY tier) t
    WHERE counters.tier = t.tier AND counters.status IN ('pending', 'in_progress')
        AND counters.shard = ?
), w AS (
    INSERT INTO worker_counts (worker_id, what, n)
    SELECT ?, 'claimed', COUNT(*) FROM upd HAVING COUNT(*) > 0
    ON CONFLICT (worker_id, what) DO UPDATE SET n = worker_counts.n + EXCLUDED.n
)
SELECT {JOB_COLUMNS} FROM upd ORDER BY qpos
"""


# complete_by's common case, the holder's proof under its current attempt with its
# lease live (pouw.queue.lifecycle._submit: COMPLETED), for one completion or a
# group of them (the completions of many threads that arrive while one statement
# runs go together in the next): each row fenced by (job_id, attempt, worker),
# with its counters, the worker's count and its history row; any other case
# matches no row and goes to the full rule
_COMPLETE_MANY = """
WITH input AS (
    SELECT * FROM unnest(?::text[], ?::text[], ?::int[], ?::bytea[], ?::bigint[], ?::bigint[],
        ?::bigint[]) AS t(job_id, worker_id, attempt, proof, proved, submitted, verified)
), done AS (
    UPDATE jobs SET status = 'completed', proof = input.proof, lease_expires_at_ms = NULL,
        finished_at_ms = ?, proved_at_ms = input.proved, submitted_at_ms = input.submitted,
        verified_at_ms = input.verified, reserved_at_ms = NULL,
        finish_seq = nextval('seq_finish_seq')
    FROM input
    WHERE jobs.job_id = input.job_id AND jobs.status = 'in_progress'
        AND jobs.worker_id = input.worker_id AND jobs.attempts = input.attempt
        AND jobs.lease_expires_at_ms >= ? AND jobs.deadline_ms >= ?
    RETURNING jobs.job_id, jobs.tier, jobs.worker_id, jobs.attempts, jobs.enqueued_at_ms,
        jobs.started_at_ms, jobs.proved_at_ms, jobs.submitted_at_ms, jobs.verified_at_ms,
        jobs.finished_at_ms, jobs.finish_seq
), c AS (
    UPDATE counters SET n = counters.n + (CASE counters.status WHEN 'in_progress' THEN -t.k ELSE t.k END)
    FROM (SELECT tier, COUNT(*) AS k FROM done GROUP BY tier) t
    WHERE counters.tier = t.tier AND counters.status IN ('in_progress', 'completed')
        AND counters.shard = ?
), w AS (
    INSERT INTO worker_counts (worker_id, what, n)
    SELECT worker_id, 'completed', COUNT(*) FROM done GROUP BY worker_id
    ON CONFLICT (worker_id, what) DO UPDATE SET n = worker_counts.n + EXCLUDED.n
), h AS (
    INSERT INTO job_history (job_id, tier, status, worker_id, attempts, enqueued_at_ms,
        claimed_at_ms, proved_at_ms, submitted_at_ms, verified_at_ms, finished_at_ms)
    SELECT job_id, tier, 'completed', worker_id, attempts, enqueued_at_ms, started_at_ms,
        proved_at_ms, submitted_at_ms, verified_at_ms, finished_at_ms FROM done
)
SELECT job_id, finish_seq FROM done
"""


# many new jobs' rows in one statement: one array per column of INSERT_COLUMNS,
# of the column's type (text where not named here)
_NOT_TEXT = {"created_at_ms": "bigint", "deadline_ms": "bigint", "trace_data": "bytea"}
_NOT_TEXT |= {"step": "int", "enqueued_at_ms": "bigint", "qpos": "bigint", "bucket": "int"}
_NOT_TEXT |= {"units": "bigint", "finished_at_ms": "bigint", "reserved_at_ms": "bigint"}
_INSERT_MANY = (
    f"INSERT INTO jobs ({INSERT_COLUMNS}) SELECT * FROM unnest("
    + ", ".join(f"?::{_NOT_TEXT.get(c.strip(), 'text')}[]" for c in INSERT_COLUMNS.split(","))
    + ")"
)

#: how long an operation waits for a pooled connection before StoreUnavailable
_POOL_WAIT_S = 10.0
#: how often the listener looks up from its wait (to see a close)
_LISTEN_POLL_S = 0.5
#: the one-statement completion prunes the finished jobs past the retention
#: limit once per this many completions (the full rule prunes at every one)
_PRUNE_EVERY = 64


class _Connection:
    """A psycopg connection with the face the shared steps use (sqlite3's):
    ``execute(sql, args)`` with ``?`` placeholders, returning a cursor. A lost
    connection or a transient failure is :class:`StoreUnavailable`. ``shard``:
    the counter rows this session moves (its backend's pid picks them)."""

    __slots__ = ("raw", "_transient", "shard")

    def __init__(self, raw: Any, transient: type[Exception]) -> None:
        self.raw = raw
        self._transient = transient
        self.shard = int(raw.info.backend_pid) % SHARDS

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


_TRANSLATED: dict[str, str] = {}


def _dialect(sql: str) -> str:
    # the shared SQL's "?" placeholders as psycopg's "%s" (no literal % or ? in it)
    out = _TRANSLATED.get(sql)
    if out is None:
        out = _TRANSLATED[sql] = sql.replace("%", "%%").replace("?", "%s")
    return out


class _Group:
    """Leader/follower group commit of ``complete_by``'s common case: a thread
    that finds no statement running runs one for every completion waiting; the
    others wait for its answer. No timer: a lone completion goes at once."""

    def __init__(self, run: Callable[[list[tuple[Any, ...]]], set[str]]) -> None:
        self._run = run
        self._lock = threading.Lock()
        self._waiting: list[_Slot] = []
        self._busy = False

    def complete(self, item: tuple[Any, ...]) -> bool:
        slot = _Slot(item)
        with self._lock:
            self._waiting.append(slot)
            lead = not self._busy
            self._busy = True
        if not lead:
            slot.done.wait()
            if not slot.lead:
                if slot.error is not None:
                    raise slot.error
                return slot.ok
        # the leader: one statement per group until its own is answered, then
        # the lead passes to a waiting thread (so that no caller leads for ever)
        while True:
            with self._lock:
                group, self._waiting = self._waiting[:_GROUP_MAX], self._waiting[_GROUP_MAX:]
            try:
                done = self._run([g.item for g in group]) if group else set()
                error = None
            except BaseException as exc:  # noqa: BLE001 - every member gets it
                done, error = set(), exc
            for g in group:
                g.ok, g.error = g.item[0] in done, error
                if g is not slot:
                    g.done.set()
            if slot in group:
                break
        with self._lock:
            if self._waiting:
                nxt = self._waiting[0]
                nxt.lead = True
                nxt.done.set()  # it leads next (busy stays set)
            else:
                self._busy = False
        if slot.error is not None:
            raise slot.error
        return slot.ok


class _Slot:
    __slots__ = ("item", "done", "ok", "error", "lead")

    def __init__(self, item: tuple[Any, ...]) -> None:
        self.item = item
        self.done = threading.Event()
        self.ok = False
        self.error: BaseException | None = None
        self.lead = False


#: how often sweep looks at the dead row versions (ms), and how many make it vacuum
_VACUUM_CHECK_MS = 10_000
_VACUUM_MIN_DEAD = 2_000

#: the most completions one group statement carries
_GROUP_MAX = 256


class _Thread(threading.local):
    """What one thread's current transaction holds."""

    conn: _Connection | None = None
    fenced = False  #: the sequencer's lock was checked in this transaction
    wake = False  #: this transaction made a job claimable (NOTIFY at the commit)


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
    pool_size:
        Most connections this store opens for its operations (psycopg's pool):
        that many threads run operations at once; more wait for a connection.
        The sequencer holds one more (its lock), and ``notify`` one more (LISTEN).
    notify:
        Tell other processes on the schema of new jobs with ``NOTIFY`` (one per
        transaction that made jobs claimable) and listen for theirs, so that
        long-polling claimers wake at once (:meth:`on_new_jobs`); off: they
        find new jobs by polling only.
    synchronous:
        ``"full"``: a commit returns once its WAL is flushed (the server's
        ``synchronous_commit``); ``"normal"``: without waiting for the flush
        (``synchronous_commit = off``: a crash of this process loses nothing
        committed, a crash of the server may lose the last fraction of a
        second, never consistency), as SQLite's ``NORMAL``.
    history_ms:
        How long the history of finished jobs (``latency_stats``) is kept (7 days).
    vacuum:
        :meth:`sweep` vacuums the queue's tables itself when their dead row
        versions pile up (:meth:`vacuum_hot`), whether or not the server's
        autovacuum runs (it may be off, and its one-minute nap is long for a
        table that every claim and completion rewrites); off: autovacuum only.
    capacity, retention, reservation_timeout_ms, max_attempts, priority, aging_ms, clock:
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
        pool_size: int = 8,
        notify: bool = True,
        capacity: int = 100_000,
        retention: int = 10_000,
        reservation_timeout_ms: int = 30_000,
        max_attempts: int = 3,
        synchronous: str = "full",
        priority: str = "fee",
        aging_ms: int = 30_000,
        history_ms: int = 7 * 86_400_000,
        vacuum: bool = True,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        try:
            import psycopg
            import psycopg_pool
        except ImportError as exc:  # pragma: no cover - the postgres extra
            raise PouwError(
                "the PostgreSQL store needs psycopg and its pool: pip install 'pouw[postgres]'"
            ) from exc
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
        if not _NAME.fullmatch(schema):
            raise ValueError(f"schema must be a lowercase SQL name, got {schema!r}")
        if pool_size.__class__ is not int or not 1 <= pool_size <= 1000:
            raise ValueError(f"pool_size must be an integer in 1..1000, got {pool_size!r}")
        self.url = url
        self.schema = schema
        self.pool_size = pool_size
        self.notify = bool(notify)
        self.vacuum = bool(vacuum)
        self._vacuum_due = 0
        self.channel = f"pouw_jobs_{schema}"
        self._lease_hint = 0
        self._jobs = OrderedDict()
        self._psycopg = psycopg
        self._sequencer = sequencer
        self._synchronous = synchronous
        self._thread = _Thread()
        self._completions = _Group(self._complete_many)
        self._holder_lock = threading.Lock()
        self._closed = threading.Event()
        self._listener: threading.Thread | None = None
        # the first session: the schema, its migration, and the sequencer's lock
        self._holder: Any = self._connect(lock=sequencer)
        self._pool: Any = None
        try:
            self._migrate()
            self._pool = psycopg_pool.ConnectionPool(
                url,
                min_size=1,
                max_size=pool_size,
                kwargs={"autocommit": True, "application_name": f"pouw:{schema}"},
                configure=self._configure,
                open=False,
                timeout=_POOL_WAIT_S,
                name=f"pouw-{schema}",
            )
            self._pool.open(wait=True, timeout=_POOL_WAIT_S)
            if sequencer:
                self._recover()
            else:
                self._holder.close()  # a replica holds no lock
                self._holder = None
                self.lapse_leases()
            if self.notify:
                self._listener = threading.Thread(
                    target=self._listen, name=f"pouw-listen-{schema}", daemon=True
                )
                self._listener.start()
        except psycopg_pool.PoolTimeout as exc:
            self.close()
            raise StoreUnavailable(
                f"cannot connect to PostgreSQL ({redact_url(url)}): {exc}"
            ) from None
        except BaseException:
            self.close()
            raise

    # -- sessions ------------------------------------------------------------

    def _connect(self, *, lock: bool) -> Any:
        """A session of its own (not from the pool): the schema made, ``lock``: the
        sequencer's advisory lock taken (:class:`StoreInUse` if another has it)."""
        psycopg, url, schema = self._psycopg, self.url, self.schema
        try:
            raw = psycopg.connect(url, autocommit=True, application_name=f"pouw:{schema}")
        except psycopg.Error as exc:
            raise StoreUnavailable(
                f"cannot connect to PostgreSQL ({redact_url(url)}): {exc}"
            ) from None
        try:
            raw.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            raw.execute(f'SET search_path TO "{schema}"')
            if lock:
                (got,) = _one(raw.execute("SELECT pg_try_advisory_lock(%s)", (_lock_key(schema),)))
                if not got:
                    raise StoreInUse(
                        f"schema {schema!r} of {redact_url(url)} is in use by another pouw node "
                        "(one executing node per state; API replicas open it with "
                        "sequencer=False)"
                    )
        except psycopg.OperationalError as exc:
            raw.close()
            raise StoreUnavailable(f"the database is unavailable: {exc}") from None
        except BaseException:
            raw.close()
            raise
        return raw

    def _configure(self, raw: Any) -> None:
        # every pooled session: this schema, this commit mode (pool callback)
        raw.execute(f'SET search_path TO "{self.schema}"')
        if self._synchronous == "normal":  # a commit does not wait for its WAL flush
            raw.execute("SET synchronous_commit TO off")

    @contextmanager
    def _checkout(self) -> Iterator[_Connection]:
        """A pooled connection for this thread until the block ends; a session lost
        meanwhile makes the pool check the others (a server restart ends them all)."""
        psycopg_pool = sys.modules["psycopg_pool"]
        try:
            cm = self._pool.connection()
            raw = cm.__enter__()
        except psycopg_pool.PoolTimeout as exc:
            raise StoreUnavailable(f"no database connection: {exc}") from None
        except psycopg_pool.PoolClosed:
            raise PouwError("the store is closed") from None
        conn = _Connection(raw, self._psycopg.OperationalError)
        local = self._thread
        local.conn, local.fenced, local.wake = conn, False, False
        try:
            yield conn
        except BaseException as exc:
            lost = raw.broken or raw.closed
            local.conn = None
            cm.__exit__(type(exc), exc, exc.__traceback__)
            if lost:
                self._pool.check()
            raise
        local.conn = None
        cm.__exit__(None, None, None)

    @contextmanager
    def _session(self) -> Iterator[_Connection]:
        """The thread's transaction's connection, or a pooled one in autocommit (for
        reads and single statements, each their own transaction)."""
        conn = self._thread.conn
        if conn is not None:
            yield conn
            return
        with self._checkout() as conn:
            yield conn

    @property
    def _shard(self) -> int:  # type: ignore[override]
        conn = self._thread.conn
        return 0 if conn is None else conn.shard

    def close(self) -> None:
        self._closed.set()
        if self._pool is not None:
            self._pool.close()
        with self._holder_lock:
            if self._holder is not None:
                self._holder.close()  # ends the session: its advisory lock goes with it
                self._holder = None
        if self._listener is not None and self._listener is not threading.current_thread():
            self._listener.join(2 * _LISTEN_POLL_S + 1)

    def _migrate(self) -> None:
        raw = self._holder
        try:
            with raw.transaction():
                db = _Connection(raw, self._psycopg.OperationalError)
                # one migrator at a time (the DDL of two processes at once can collide)
                db.execute("SELECT pg_advisory_xact_lock(?)", (_lock_key(self.schema) ^ 1,))
                db.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL)"
                )
                (version,) = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
                if version is not None and version > SCHEMA_VERSION:
                    raise PouwError(
                        f"schema {self.schema!r} was written by a newer pouw (version "
                        f"{version}; this one reads up to {SCHEMA_VERSION})"
                    )
                if (version or 0) < 2:
                    for column in (
                        "bucket INTEGER NOT NULL DEFAULT 0",
                        "units BIGINT NOT NULL DEFAULT 1",
                    ):
                        db.execute(f"ALTER TABLE IF EXISTS jobs ADD COLUMN IF NOT EXISTS {column}")
                    db.execute(
                        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM information_schema.columns "
                        "WHERE table_schema = current_schema() AND table_name = 'workers' "
                        "AND column_name = 'what') THEN ALTER TABLE workers RENAME TO "
                        "worker_counts; END IF; END $$"
                    )
                if version is not None and version < 3:
                    # every update of a job wrote this index too, and every
                    # finished job a key it is never looked up by
                    db.execute("DROP INDEX IF EXISTS jobs_status")
                    db.execute("ALTER TABLE IF EXISTS job_history DROP COLUMN IF EXISTS seq")
                raw.execute(_DDL)
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
        except self._psycopg.OperationalError as exc:
            raise StoreUnavailable(f"the database is unavailable: {exc}") from None

    # -- transactions --------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[_Connection]:
        """One all-or-nothing unit on a pooled connection that the calling thread
        keeps until it ends (a savepoint inside another of the same thread, as
        for SQLite). Threads run their transactions side by side."""
        conn = self._thread.conn
        if conn is not None:
            with self._rollback_errors(), conn.raw.transaction():
                yield conn
            return
        with self._checkout() as conn, self._rollback_errors():
            with conn.raw.transaction():
                yield conn
                if self._thread.wake and self.notify:
                    conn.execute("SELECT pg_notify(?, '')", (self.channel,))
            if self._thread.wake:
                self._thread.wake = False
                self._wake()  # this process's waiters, without waiting for the echo

    @contextmanager
    def _rollback_errors(self) -> Iterator[None]:
        try:
            yield
        except self._psycopg.OperationalError as exc:  # at the commit, or the rollback
            raise StoreUnavailable(f"the database is unavailable: {exc}") from None

    def _wake_after_commit(self) -> None:
        self._thread.wake = True

    def _fence(self, db: _Connection) -> None:
        """Before the sequencer's enqueue commits: its lock is still held (once per
        transaction). A lost lock session is taken again, or refused
        (:class:`StoreInUse`) when another node took the schema meanwhile."""
        local = self._thread
        if not self._sequencer or local.fenced:
            return
        with self._holder_lock:
            holder = self._holder
            try:
                if holder is None or holder.closed or holder.broken:
                    raise self._psycopg.OperationalError("the sequencer's session is closed")
                holder.execute("SELECT 1")
            except self._psycopg.OperationalError:
                if holder is not None:
                    holder.close()
                self._holder = None
                if self._closed.is_set():
                    raise PouwError("the store is closed") from None
                self._holder = self._connect(lock=True)  # StoreInUse if another took it
        local.fenced = True

    # -- wake-ups: LISTEN in a thread of its own ------------------------------

    def _listen(self) -> None:
        psycopg = self._psycopg
        while not self._closed.is_set():
            try:
                raw = psycopg.connect(
                    self.url, autocommit=True, application_name=f"pouw:{self.schema}:listen"
                )
            except psycopg.Error:
                self._closed.wait(1.0)
                continue
            try:
                raw.execute(f'LISTEN "{self.channel}"')
                self._wake()  # jobs may have come while not listening
                while not self._closed.is_set():
                    for _ in raw.notifies(timeout=_LISTEN_POLL_S):
                        self._wake()  # at once: the generator runs until its timeout
                        if self._closed.is_set():
                            break
            except psycopg.Error:
                self._closed.wait(0.5)
            finally:
                raw.close()

    # -- claims: a batch in a few statements --------------------------------

    def _claim_batch(
        self, worker_id: str, lease_ms: int, n: int, can: Capabilities
    ) -> list[JobRecord]:
        """Up to ``n`` claims in one transaction of four statements whatever ``n``:
        lapse the due leases and expire the overdue pending jobs (both skipping
        rows others hold), record the worker's claim (last seen, device), and
        claim the first claimable rows its capabilities admit in one statement
        that picks them (``FOR UPDATE SKIP LOCKED``: no claimer waits for
        another), claims and returns them (:data:`_CLAIM`); a fifth reads the
        earlier holders of jobs handed out before, if any. A returned row that
        is damaged on disk is quarantined (and not counted as claimed), never
        handed out, and as many other rows are claimed in its place."""
        check_lease(lease_ms)
        now = self._clock()
        with self._tx() as db:
            self._lapse_due(db, now)
            overdue = db.execute(  # (the literal status: the partial index of pending deadlines)
                "SELECT job_id FROM jobs WHERE status = 'pending' AND deadline_ms < ? "
                "FOR UPDATE SKIP LOCKED",
                (now,),
            ).fetchall()
            for (job_id,) in overdue:
                self._apply(db, job_id, Expire(), now)
            self._declare(db, worker_id, now, can)
            where, args = self._pending_where(now, worker_id, can)
            claim = _CLAIM.format(where=" AND ".join(where))
            recs: list[tuple[Any, ...]] = []
            while len(recs) < n:
                rows = db.execute(
                    claim,
                    (*args, n - len(recs), worker_id, now, now + lease_ms, lease_ms)
                    + (self._shard, worker_id),
                ).fetchall()
                good = [r for r in rows if self._checked_job(db, r, now) is not None]
                recs += good
                if len(good) == len(rows):
                    break  # (fewer than asked: no more claimable)
                db.execute(  # damaged rows were quarantined: claim as many others
                    "UPDATE worker_counts SET n = n - ? WHERE worker_id = ? AND what = 'claimed'",
                    (len(rows) - len(good), worker_id),
                )
            # earlier holders only where an earlier attempt was handed out
            again = [r[1] for r in recs if r[15] > 1]
            holders: dict[str, set[str]] = {}
            if again:
                for job_id, worker in db.execute(
                    "SELECT h.job_id, h.worker_id FROM unnest(?::text[]) AS t(id) "
                    "JOIN holders h ON h.job_id = t.id",
                    (again,),
                ):
                    holders.setdefault(job_id, set()).add(worker)
        return [record_from_row(r, holders.get(r[1]), self._jobs.get(r[1])) for r in recs]

    def _complete_own(
        self,
        job_id: str,
        worker_id: str,
        proof: bytes,
        attempt: int,
        now: int,
        times: ProofTimes | None,
    ) -> bool:
        proved, submitted, verified = (times or ProofTimes()).resolved(now)
        item = (job_id, worker_id, attempt, proof, proved, submitted, verified)
        if self._thread.conn is not None:  # inside a transaction: this completion alone
            return job_id in self._complete_many([item])
        # outside one: with the completions of other threads, one statement for all
        return self._completions.complete(item)

    def _complete_many(self, items: list[tuple[Any, ...]]) -> set[str]:
        """One statement for one completion or a group of them (outside a
        transaction in autocommit: one round trip); the ids it completed."""
        now = self._clock()
        cols = list(zip(*items, strict=True))
        with self._session() as db:
            rows = db.execute(
                _COMPLETE_MANY,
                (*(list(c) for c in cols), now, now, now, self._shard),
            ).fetchall()
        if any(int(r[1]) % _PRUNE_EVERY == 0 for r in rows):  # (their seqs are consecutive)
            with self.transaction() as tx:
                self._prune(tx, max(int(r[1]) for r in rows))
        return {r[0] for r in rows}

    def _known_id(self, db: Any, ids: list[str]) -> str | None:
        # one array parameter joined to the id index: a probe per id (a list of a
        # hundred parameters is planned afresh at every call, and "= ANY" of an
        # array can plan as a scan of the whole table)
        row = db.execute(
            "SELECT jobs.job_id FROM unnest(?::text[]) AS t(id) JOIN jobs ON jobs.job_id = t.id "
            "LIMIT 1",
            (ids,),
        ).fetchone()
        return None if row is None else str(row[0])

    def _insert_jobs(self, db: Any, rows: list[tuple[Any, ...]]) -> None:
        if len(rows) == 1:  # (the node's one job per intent: no arrays to build and unnest)
            db.execute(INSERT_JOB, rows[0])
            return
        db.execute(_INSERT_MANY, [list(column) for column in zip(*rows, strict=True)])

    def _next_many(self, db: Any, key: str, n: int) -> list[int]:
        if n == 1:
            (value,) = db.execute(f"SELECT nextval('seq_{key}')").fetchone()
            return [int(value)]
        rows = db.execute(
            f"SELECT nextval('seq_{key}') FROM generate_series(1, ?) ORDER BY 1", (n,)
        ).fetchall()
        return [int(v) for (v,) in rows]

    def _lapse_due(self, db: Any, now: int) -> int:
        self._lease_hint = 0  # other processes make leases too: always look
        return super()._lapse_due(db, now)

    def sweep(self) -> int:
        n = super().sweep()
        # (never from inside a transaction of this thread: VACUUM runs outside one)
        if self.vacuum and self._thread.conn is None and self._clock() >= self._vacuum_due:
            self._vacuum_due = self._clock() + _VACUUM_CHECK_MS
            self.vacuum_hot()
        return n

    def vacuum_hot(self, *, force: bool = False) -> list[str]:
        """``VACUUM (ANALYZE)`` the tables of this schema whose dead row versions
        passed :data:`_VACUUM_MIN_DEAD` and a fifth of their live ones (every
        one with ``force``); the tables vacuumed. One process of the schema at
        a time (an advisory lock: another's call returns at once, vacuuming
        nothing). A transaction that holds an old snapshot anywhere on the
        server keeps the versions it may see: they go at the first vacuum after
        it ends."""
        if self._thread.conn is not None:
            raise PouwError("vacuum_hot runs outside a transaction (VACUUM cannot run inside one)")
        with self._checkout() as db:  # autocommit: VACUUM runs outside a transaction
            (got,) = _one(
                db.execute("SELECT pg_try_advisory_lock(?)", (_lock_key(self.schema) ^ 2,))
            )
            if not got:
                return []
            try:
                rows = db.execute(
                    "SELECT relname, n_live_tup, n_dead_tup FROM pg_stat_user_tables "
                    "WHERE schemaname = ?",
                    (self.schema,),
                ).fetchall()
                due = sorted(
                    name
                    for name, live, dead in rows
                    if force or (dead >= _VACUUM_MIN_DEAD and dead * 5 >= live)
                )
                for name in due:
                    try:
                        db.raw.execute(f'VACUUM (ANALYZE) "{name}"')
                    except self._psycopg.OperationalError as exc:
                        raise StoreUnavailable(f"the database is unavailable: {exc}") from None
            finally:
                db.execute("SELECT pg_advisory_unlock(?)", (_lock_key(self.schema) ^ 2,))
        return due

    def dead_tuples(self) -> int:
        """``n_dead_tup`` of the jobs table (for ``/metrics``)."""
        with self._session() as db:
            row = db.execute(
                "SELECT n_dead_tup FROM pg_stat_user_tables WHERE schemaname = ? "
                "AND relname = 'jobs'",
                (self.schema,),
            ).fetchone()
        return int(row[0]) if row else 0

    def drop(self) -> None:
        """Drop this store's schema and everything in it (tests, and a user who
        means it), and close."""
        with self._session() as db:
            db.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
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
