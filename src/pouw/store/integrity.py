"""Opening a store file: create or migrate its schema, and refuse a file that is
damaged or not what this version wrote, with one line that says why.

A file is checked before the store trusts it:

* SQLite's own ``PRAGMA quick_check`` (a torn or overwritten page);
* the migration table ``schema_migrations`` (one row per applied version): a
  file from a newer pouw is refused, an older one is migrated; a file written
  before the table existed (version 1 without the table) is adopted;
* every queue table present, with the columns this version reads;
* rows that make sense: known statuses and tiers, no negative counter, and the
  live counters equal to the live rows (finished rows may have been dropped by
  the retention limit, so their counters may only be larger).

Anything else that SQLite raises while opening (a file that is not a database,
a truncated one) is reported the same way.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import PouwError
from ..job import now_ms
from ..status import JobStatus, JobTier
from .schema import DDL, SCHEMA_VERSION

__all__ = ["StoreDamaged", "prepare"]

QUEUE_TABLES = ("jobs", "holders", "counters", "worker_counts", "meta")
_JOB_COLUMNS = {
    "seq", "job_id", "tier", "intent_id", "trace_hash", "fee_budget", "created_at_ms",
    "deadline_ms", "trace_data", "circuit", "step", "status", "worker_id", "proof", "error", "attempts",
    "enqueued_at_ms", "started_at_ms", "finished_at_ms", "lease_expires_at_ms", "lease_ms",
    "avoid_worker", "avoid_until_ms", "qpos", "bucket", "units", "reserved_at_ms", "finish_seq",
    "proved_at_ms", "submitted_at_ms", "verified_at_ms",
}  # fmt: skip
_LIVE = (JobStatus.PENDING.value, JobStatus.IN_PROGRESS.value)


class StoreDamaged(PouwError):
    """The store file is damaged, not a pouw store, or from a newer version."""


def prepare(db: sqlite3.Connection, path: Path) -> None:
    """Create, migrate and check the schema of the store at ``path`` (its open
    connection ``db``, in autocommit mode); raises :class:`StoreDamaged`."""
    try:
        _prepare(db, path)
    except sqlite3.Error as exc:
        raise StoreDamaged(f"{path}: not a pouw job store, or damaged ({exc})") from None


def _prepare(db: sqlite3.Connection, path: Path) -> None:
    check = db.execute("PRAGMA quick_check").fetchall()
    if check != [("ok",)]:
        raise StoreDamaged(f"{path}: the database is damaged (quick_check: {check[0][0]})")
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "schema_migrations" in tables:
        (version,) = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        if not isinstance(version, int):
            raise StoreDamaged(f"{path}: the schema_migrations table is empty or damaged")
        if version > SCHEMA_VERSION:
            raise StoreDamaged(
                f"{path}: written by a newer pouw (schema {version}; this one reads "
                f"up to {SCHEMA_VERSION})"
            )
    elif tables and "jobs" not in tables:
        raise StoreDamaged(f"{path}: not a pouw job store (no jobs table)")
    if "workers" in tables and "worker_counts" not in tables:
        # version 3: the per-worker counters were "workers", now the heartbeat table
        db.execute("ALTER TABLE workers RENAME TO worker_counts")
        tables = (tables - {"workers"}) | {"worker_counts"}
    missing = [t for t in QUEUE_TABLES if t not in tables]
    if tables and missing:
        raise StoreDamaged(f"{path}: the store is missing its table(s) {', '.join(missing)}")
    fresh = not tables
    if "jobs" in tables:  # version 2: the circuit and step of a job (NULL for older rows)
        have = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
        for column, kind in (
            ("circuit", "TEXT"),
            ("step", "INTEGER"),
            ("bucket", "INTEGER NOT NULL DEFAULT 0"),  # version 3: the fee bucket
            ("units", "INTEGER NOT NULL DEFAULT 1"),  # version 3: the work units
            ("proved_at_ms", "INTEGER"),  # version 3: the proof's times
            ("submitted_at_ms", "INTEGER"),
            ("verified_at_ms", "INTEGER"),
        ):
            if column not in have:
                db.execute(f"ALTER TABLE jobs ADD COLUMN {column} {kind}")
    db.executescript(DDL)  # IF NOT EXISTS: a no-op on a complete store
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)"
    )
    # every (status, tier) counter row exists from the start: moves update in place
    db.executemany(
        "INSERT OR IGNORE INTO counters (status, tier, n) VALUES (?, ?, 0)",
        [(st.value, t.value) for st in JobStatus for t in JobTier],
    )
    # version 1 is the first schema: a new file, or one written before this table;
    # version 2 adds jobs.circuit and jobs.step, version 3 renames workers (above)
    db.executemany(
        "INSERT OR IGNORE INTO schema_migrations (version, applied_at_ms) VALUES (?, ?)",
        [(v, now_ms()) for v in range(1, SCHEMA_VERSION + 1)],
    )
    if not fresh:
        _check_rows(db, path)


def _check_rows(db: sqlite3.Connection, path: Path) -> None:
    columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
    if not columns >= _JOB_COLUMNS:
        raise StoreDamaged(
            f"{path}: the jobs table lacks column(s) {', '.join(sorted(_JOB_COLUMNS - columns))}"
        )
    statuses = tuple(s.value for s in JobStatus)
    tiers = tuple(t.value for t in JobTier)
    marks = ",".join("?" * len(statuses)), ",".join("?" * len(tiers))
    (bad,) = db.execute(
        f"SELECT COUNT(*) FROM jobs WHERE status NOT IN ({marks[0]}) OR tier NOT IN ({marks[1]})",
        (*statuses, *tiers),
    ).fetchone()
    if bad:
        raise StoreDamaged(f"{path}: {bad} job row(s) with an unknown status or tier")
    counters = {}
    for status, tier, n in db.execute("SELECT status, tier, n FROM counters"):
        if status not in statuses or tier not in tiers or not isinstance(n, int) or n < 0:
            raise StoreDamaged(f"{path}: a damaged counter row ({status!r}, {tier!r}, {n!r})")
        counters[status, tier] = n
    rows = {
        (status, tier): n
        for status, tier, n in db.execute(
            "SELECT status, tier, COUNT(*) FROM jobs GROUP BY status, tier"
        )
    }
    for key, n in counters.items():
        stored = rows.get(key, 0)
        if (n != stored) if key[0] in _LIVE else (n < stored):
            raise StoreDamaged(
                f"{path}: the {key[0]} {key[1]} counter says {n} but {stored} rows are stored"
            )
    for table, column in (("worker_counts", "n"), ("workers", "last_seen_ms"), ("meta", "value")):
        (negative,) = db.execute(
            f"SELECT COUNT(*) FROM {table} WHERE typeof({column}) != 'integer' OR {column} < 0"
        ).fetchone()
        if negative:
            raise StoreDamaged(f"{path}: {negative} damaged row(s) in the {table} table")
