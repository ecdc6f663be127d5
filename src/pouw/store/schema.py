"""The SQLite schema of :class:`~pouw.store.SqliteJobQueue` and row conversion.

One table per concern, all in one file so one transaction covers a job, its
counters and its ledger entry:

* ``jobs`` -- one row per known job: the job's fields, its lifecycle columns,
  ``qpos`` (its order key in the pending order, :mod:`pouw.queue.priority`)
  and ``finish_seq`` (finish order, for the retention limit);
* ``holders`` -- every (job, worker) that held the job before its current
  worker (``jobs.worker_id``): with it, every worker that ever held it (403 vs 409);
* ``counters`` -- exact counts per (status, tier), kept in the transaction of
  each move, so stats survive the retention limit and a crash;
* ``worker_counts`` -- per-worker counters (claimed, completed, failed, rejected,
  lapsed; the table was ``workers`` before schema version 3);
* ``workers`` -- one row per worker that heartbeat: its last-seen time;
* ``meta`` -- the next ``qpos`` and ``finish_seq``.

Layers above may keep their own tables in the same file and transaction
(:meth:`SqliteJobQueue.transaction`): the node keeps its ledger there
(:mod:`pouw.node.ledger_store`); this module does not know their schema.

``fee_budget`` is stored as text: it is a u64 and SQLite integers are signed.
``circuit`` and ``step`` (schema version 2) are NULL for jobs without them.
Schema version 3 renamed the per-worker counters to ``worker_counts``, made
``workers`` the heartbeat table, and added ``jobs.bucket`` (the fee bucket a
job given back is queued by again; ``qpos`` is its order key, see
:mod:`pouw.queue.priority`), ``jobs.units`` (its size, for capability
routing), the proof's times, and ``job_history``: one row per finished job
(:mod:`pouw.queue.analytics`), written when it finishes and pruned by age, so
that analytics outlive the jobs table's retention.
"""

from __future__ import annotations

from typing import Any

from ..errors import PouwError
from ..job import ProofJob
from ..queue.base import JobRecord
from ..status import JobStatus

SCHEMA_VERSION = 3

DDL = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL UNIQUE,
    tier TEXT NOT NULL,
    intent_id TEXT NOT NULL,
    trace_hash TEXT NOT NULL,
    fee_budget TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    deadline_ms INTEGER NOT NULL,
    trace_data BLOB NOT NULL,
    circuit TEXT,
    step INTEGER,
    status TEXT NOT NULL,
    worker_id TEXT,
    proof BLOB,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    enqueued_at_ms INTEGER NOT NULL,
    started_at_ms INTEGER,
    finished_at_ms INTEGER,
    proved_at_ms INTEGER,
    submitted_at_ms INTEGER,
    verified_at_ms INTEGER,
    lease_expires_at_ms INTEGER,
    lease_ms INTEGER NOT NULL DEFAULT 0,
    avoid_worker TEXT,
    avoid_until_ms INTEGER NOT NULL DEFAULT 0,
    qpos INTEGER NOT NULL,
    bucket INTEGER NOT NULL DEFAULT 0,
    units INTEGER NOT NULL DEFAULT 1,
    reserved_at_ms INTEGER,
    finish_seq INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_order ON jobs (status, qpos);
CREATE INDEX IF NOT EXISTS jobs_lease ON jobs (lease_expires_at_ms)
    WHERE lease_expires_at_ms IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_finish ON jobs (finish_seq) WHERE finish_seq IS NOT NULL;
CREATE TABLE IF NOT EXISTS job_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    tier TEXT NOT NULL,
    status TEXT NOT NULL,
    worker_id TEXT,
    attempts INTEGER NOT NULL,
    enqueued_at_ms INTEGER NOT NULL,
    claimed_at_ms INTEGER,
    proved_at_ms INTEGER,
    submitted_at_ms INTEGER,
    verified_at_ms INTEGER,
    finished_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS job_history_finished ON job_history (finished_at_ms);
CREATE TABLE IF NOT EXISTS holders (
    job_id TEXT NOT NULL, worker_id TEXT NOT NULL, PRIMARY KEY (job_id, worker_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters (
    status TEXT NOT NULL, tier TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (status, tier)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS worker_counts (
    worker_id TEXT NOT NULL, what TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (worker_id, what)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS workers (
    worker_id TEXT PRIMARY KEY, last_seen_ms INTEGER NOT NULL, device TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

#: Columns read into a record, in this order.
JOB_COLUMNS = (
    "seq, job_id, tier, intent_id, trace_hash, fee_budget, created_at_ms, deadline_ms, "
    "trace_data, circuit, step, status, worker_id, proof, error, attempts, enqueued_at_ms, started_at_ms, "
    "finished_at_ms, lease_expires_at_ms, lease_ms, avoid_worker, avoid_until_ms, "
    "proved_at_ms, submitted_at_ms, verified_at_ms"
)


def job_values(job: ProofJob) -> tuple[Any, ...]:
    """The job's own columns: job_id .. step."""
    return (
        job.job_id,
        job.tier.value,
        job.intent_id,
        job.trace_hash,
        str(job.fee_budget),
        job.created_at_ms,
        job.deadline_ms,
        job.trace_data,
        job.circuit,
        job.step,
    )


class DamagedJob(PouwError):
    """A ``jobs`` row that is not a job this store wrote (its fields no longer give
    its id, or its trace bytes no longer hash to its trace hash)."""

    def __init__(self, job_id: str, reason: str) -> None:
        super().__init__(f"job {job_id} is damaged in the store: {reason}")
        self.job_id = job_id
        self.reason = reason


def job_from_row(row: tuple[Any, ...], *, check_trace: bool) -> ProofJob:
    """The job of one ``jobs`` row (:data:`JOB_COLUMNS`), rebuilt with its checks:
    its id always; its trace hash with ``check_trace`` (otherwise when the trace
    is decoded). Raises :class:`DamagedJob` for a row altered on disk."""
    (_seq, job_id, tier, intent_id, trace_hash, fee, created, deadline, data, circuit, step) = row[
        :11
    ]
    try:
        return ProofJob(
            tier=tier,
            intent_id=intent_id,
            trace_hash=trace_hash,
            fee_budget=int(fee),
            created_at_ms=created,
            deadline_ms=deadline,
            trace_data=data,
            job_id=job_id,
            check_trace=check_trace,
            circuit=circuit,
            step=step,
        )
    except (ValueError, TypeError, OverflowError) as exc:
        raise DamagedJob(str(job_id), str(exc)) from None


def record_from_row(
    row: tuple[Any, ...], holders: set[str] | None = None, job: ProofJob | None = None
) -> JobRecord:
    """A :class:`JobRecord` snapshot of one ``jobs`` row (:data:`JOB_COLUMNS`).

    ``job`` is the row's job when the caller has it already (checked); otherwise
    it is rebuilt with its id checked and its trace checked when decoded
    (:func:`job_from_row`). A status that is not a status raises :class:`DamagedJob`.
    """
    if job is None:
        job = job_from_row(row, check_trace=False)
    try:
        status = JobStatus(row[11])
    except ValueError:
        raise DamagedJob(job.job_id, f"unknown status {row[11]!r}") from None
    rec = JobRecord(job, status, row[16])
    (
        rec.worker_id,
        rec.proof,
        rec.error,
        rec.attempts,
        _,
        rec.started_at_ms,
        rec.finished_at_ms,
        rec.lease_expires_at_ms,
        rec.lease_ms,
        rec.avoid_worker,
        rec.avoid_until_ms,
        rec.proved_at_ms,
        rec.submitted_at_ms,
        rec.verified_at_ms,
    ) = row[12:]
    rec.seq = row[0]
    # every worker that ever held the job: the holders table keeps the earlier
    # ones, the row its current (or last) one
    rec.holders = set(holders) if holders is not None else set()
    if rec.worker_id is not None:
        rec.holders.add(rec.worker_id)
    return rec
