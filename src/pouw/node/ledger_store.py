"""Where the node keeps its ledger beside its jobs: nowhere, or in the job store's file.

The node owns the ledger's schema; the queue layer does not know it. A
durable ledger shares the job store's connection and transaction
(:meth:`~pouw.store.SqliteJobQueue.transaction`), so that an entry is written
with its job, and a proof attached with the job's completion, all or nothing.

* :class:`NoLedgerStore` -- an in-memory node: the :class:`~pouw.node.Ledger`
  is the only record, and every write here does nothing;
* :class:`SqliteLedgerStore` -- the ``ledger`` and ``ledger_jobs`` tables in
  the SQLite job store's file.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from ..errors import PouwError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..store import SqliteJobQueue
    from .intents import Intent
    from .ledger import LedgerEntry

__all__ = ["LedgerStore", "NoLedgerStore", "SqliteLedgerStore", "LedgerRow"]

#: One stored entry: height, intent_id, intent (JSON text), entry (JSON text),
#: zk_mode, proof (bytes or None), job_ids (list of ids).
LedgerRow = dict[str, Any]

_DDL = (
    "CREATE TABLE IF NOT EXISTS ledger ("
    " height INTEGER PRIMARY KEY, intent_id TEXT NOT NULL, intent TEXT NOT NULL,"
    " entry TEXT NOT NULL, zk_mode TEXT NOT NULL, proof BLOB)",
    "CREATE TABLE IF NOT EXISTS ledger_jobs ("
    " job_id TEXT PRIMARY KEY, height INTEGER NOT NULL REFERENCES ledger (height)"
    ") WITHOUT ROWID",
    # intents accepted (answered 202) and not yet executed: written before the
    # answer, deleted in the transaction of their ledger entry, reloaded on restart
    "CREATE TABLE IF NOT EXISTS intake ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT, intent_id TEXT NOT NULL UNIQUE, intent TEXT NOT NULL)",
)


class LedgerStore(Protocol):
    """The durable side of the node's ledger (called inside the job store's batch)."""

    def append(self, entry: LedgerEntry, intent: Intent) -> None:
        """Write ``entry`` (just appended in memory) and the intent it executed."""
        ...

    def attach_proof(self, job_id: str, proof: bytes) -> None: ...

    def rows(self) -> list[LedgerRow]: ...

    def accept(self, intents: list[tuple[str, dict[str, Any]]]) -> None:
        """Record accepted intents ``(intent_id, intent)`` until their entries are written."""
        ...

    def waiting(self) -> list[dict[str, Any]]:
        """The accepted intents not yet in the ledger, in acceptance order."""
        ...


class NoLedgerStore:
    """An in-memory node's ledger store: nothing is written, nothing is replayed."""

    def append(self, entry: LedgerEntry, intent: Intent) -> None:
        return None

    def attach_proof(self, job_id: str, proof: bytes) -> None:
        return None

    def rows(self) -> list[LedgerRow]:
        return []

    def accept(self, intents: list[tuple[str, dict[str, Any]]]) -> None:
        return None

    def waiting(self) -> list[dict[str, Any]]:
        return []


class SqliteLedgerStore:
    """The ledger's tables in a :class:`~pouw.store.SqliteJobQueue`'s file."""

    def __init__(self, store: SqliteJobQueue) -> None:
        self._store = store
        with store.transaction() as db:
            for statement in _DDL:
                db.execute(statement)

    def append(self, entry: LedgerEntry, intent: Intent) -> None:
        summary = entry.to_dict()
        del summary["proven"]  # the proof column says it
        height, job_ids, proof = entry.height, entry.meta.job_ids, entry.meta.proof
        with self._store.transaction() as db:
            db.execute(
                "INSERT INTO ledger (height, intent_id, intent, entry, zk_mode, proof) "
                "VALUES (?,?,?,?,?,?)",
                (
                    height,
                    entry.intent_id,
                    json.dumps(intent.to_dict()),
                    json.dumps(summary),
                    entry.meta.zk_mode,
                    proof,
                ),
            )
            db.executemany(
                "INSERT INTO ledger_jobs (job_id, height) VALUES (?, ?)",
                [(job_id, height) for job_id in job_ids],
            )
            db.execute("DELETE FROM intake WHERE intent_id = ?", (entry.intent_id,))

    def accept(self, intents: list[tuple[str, dict[str, Any]]]) -> None:
        with self._store.transaction() as db:
            db.executemany(
                "INSERT INTO intake (intent_id, intent) VALUES (?, ?)",
                [(intent_id, json.dumps(intent)) for intent_id, intent in intents],
            )

    def waiting(self) -> list[dict[str, Any]]:
        with self._store.transaction() as db:
            rows = db.execute("SELECT seq, intent FROM intake ORDER BY seq").fetchall()
        out = []
        for seq, text in rows:
            try:
                intent = json.loads(text)
            except (TypeError, ValueError):
                intent = None
            if not isinstance(intent, dict):
                raise PouwError(f"{self._store.path}: accepted intent {seq} is damaged")
            out.append(intent)
        return out

    def attach_proof(self, job_id: str, proof: bytes) -> None:
        with self._store.transaction() as db:
            db.execute(
                "UPDATE ledger SET proof = ? WHERE height = "
                "(SELECT height FROM ledger_jobs WHERE job_id = ?)",
                (bytes(proof), job_id),
            )

    def rows(self) -> list[LedgerRow]:
        """Every entry, by height. A row that is not what this module wrote raises
        :class:`~pouw.PouwError` naming its height."""
        with self._store.transaction() as db:
            jobs: dict[int, list[str]] = {}
            for job_id, height in db.execute(
                "SELECT job_id, height FROM ledger_jobs ORDER BY height, job_id"
            ):
                jobs.setdefault(height, []).append(job_id)
            rows = db.execute(
                "SELECT height, intent_id, intent, entry, zk_mode, proof FROM ledger ORDER BY height"
            ).fetchall()
        out = []
        for expected, (height, intent_id, intent, entry, zk_mode, proof) in enumerate(rows):
            if height != expected:
                raise PouwError(
                    f"{self._store.path}: the ledger has a gap at height {expected} "
                    f"(next stored height {height})"
                )
            out.append(
                {
                    "height": height,
                    "intent_id": intent_id,
                    "intent": intent,
                    "entry": entry,
                    "zk_mode": zk_mode,
                    "proof": proof,
                    "job_ids": jobs.get(height, []),
                }
            )
        return out
