"""Where the node keeps its ledger beside its jobs: nowhere, or in the job store's file.

The node owns the ledger's schema; the queue layer does not know it. A
durable ledger shares the job store's connection and transaction
(:meth:`~pouw.store.SqliteJobQueue.transaction`), so that an entry is written
with its job, and a proof attached with the job's completion, all or nothing.

* :class:`NoLedgerStore` -- an in-memory node: the :class:`~pouw.node.Ledger`
  is the only record, and every write here does nothing;
* :class:`SqliteLedgerStore` -- the ``ledger`` and ``ledger_parts`` tables in
  the SQLite job store's file.

A part is one proof that covers an entry (:class:`~pouw.node.ledger.ProofPart`):
a job's (its id, a Micro job's step, the public inputs, the proof once known)
or an inline one. Files written before parts existed keep their job ids in
``ledger_jobs`` and their proof in ``ledger.proof``; they are moved into
``ledger_parts`` when the file is opened (one transaction).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from ..errors import PouwError
from .ledger import ProofPart

_R = 21888242871839275222246405745257275088548364400416034343698204186575808495617  # BN254 Fr

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .intents import Intent
    from .ledger import LedgerEntry

__all__ = ["LedgerStore", "NoLedgerStore", "SqliteLedgerStore", "PostgresLedgerStore", "LedgerRow"]

#: One stored entry: height, intent_id, intent (JSON text), entry (JSON text),
#: zk_mode, parts (a list of :class:`~pouw.node.ledger.ProofPart`), job_ids (theirs).
LedgerRow = dict[str, Any]

_DDL = (
    "CREATE TABLE IF NOT EXISTS ledger ("
    " height INTEGER PRIMARY KEY, intent_id TEXT NOT NULL, intent TEXT NOT NULL,"
    " entry TEXT NOT NULL, zk_mode TEXT NOT NULL, proof BLOB)",
    # written by older versions only (moved into ledger_parts at open)
    "CREATE TABLE IF NOT EXISTS ledger_jobs ("
    " job_id TEXT PRIMARY KEY, height INTEGER NOT NULL REFERENCES ledger (height)"
    ") WITHOUT ROWID",
    # the proofs that cover each entry: a job's (a Full job's in each entry of its
    # batch) or an inline one (job_id NULL); publics: JSON list of decimal strings
    "CREATE TABLE IF NOT EXISTS ledger_parts ("
    " height INTEGER NOT NULL REFERENCES ledger (height), idx INTEGER NOT NULL,"
    " job_id TEXT, step INTEGER, publics TEXT NOT NULL, proof BLOB,"
    " PRIMARY KEY (height, idx)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS ledger_parts_job ON ledger_parts (job_id)",
    "CREATE INDEX IF NOT EXISTS ledger_intent ON ledger (intent_id)",
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

    def attach_proof(self, job_id: str, proof: bytes) -> None:
        """Record ``proof`` in every part of job ``job_id``."""
        ...

    def rows(self) -> list[LedgerRow]: ...

    def accept(self, intents: list[tuple[str, dict[str, Any]]]) -> None:
        """Record accepted intents ``(intent_id, intent)`` until their entries are written."""
        ...

    def waiting(self) -> list[dict[str, Any]]:
        """The accepted intents not yet in the ledger, in acceptance order."""
        ...

    def waiting_since(self, seq: int) -> list[tuple[int, dict[str, Any] | None]]:
        """``(seq, intent)`` of the accepted intents after ``seq`` (what other
        processes on a shared store accepted since the last look; None for a
        row that is not an intent's JSON)."""
        ...

    def forget(self, seqs: list[int]) -> None:
        """Drop accepted intents (by their ``seq``) that need no entry: already in
        the ledger, or damaged."""
        ...

    def executed(self, intent_ids: list[str]) -> set[str]:
        """Which of ``intent_ids`` have a ledger entry."""
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

    def waiting_since(self, seq: int) -> list[tuple[int, dict[str, Any] | None]]:
        return []

    def forget(self, seqs: list[int]) -> None:
        return None

    def executed(self, intent_ids: list[str]) -> set[str]:
        return set()


class SqliteLedgerStore:
    """The ledger's tables in a :class:`~pouw.store.SqliteJobQueue`'s file (the
    statements are the common ground of SQLite and PostgreSQL: see
    :class:`PostgresLedgerStore`)."""

    _DDL: tuple[str, ...] = _DDL

    def __init__(self, store: Any) -> None:
        self._store = store
        #: where the rows live, for error messages
        self.where = str(getattr(store, "path", None) or f"schema {store.schema}")
        with store.transaction() as db:
            for statement in self._DDL:
                db.execute(statement)
            self._migrate(db)

    def _migrate(self, db: Any) -> None:
        # an older file: its job ids and proofs into parts
        db.execute(
            "INSERT INTO ledger_parts (height, idx, job_id, step, publics, proof) "
            "SELECT j.height, (SELECT COUNT(*) FROM ledger_jobs k WHERE k.height = j.height "
            "AND k.job_id < j.job_id), j.job_id, NULL, '[]', "
            "(SELECT l.proof FROM ledger l WHERE l.height = j.height) FROM ledger_jobs j"
        )
        db.execute(
            "INSERT INTO ledger_parts (height, idx, job_id, step, publics, proof) "
            "SELECT height, 0, NULL, NULL, '[]', proof FROM ledger l WHERE proof IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM ledger_parts p WHERE p.height = l.height)"
        )
        db.execute("DELETE FROM ledger_jobs")
        db.execute("UPDATE ledger SET proof = NULL WHERE proof IS NOT NULL")

    def append(self, entry: LedgerEntry, intent: Intent) -> None:
        summary = entry.to_dict()
        del summary["proven"]  # the parts say it
        height = entry.height
        with self._store.transaction() as db:
            db.execute(
                "INSERT INTO ledger (height, intent_id, intent, entry, zk_mode, proof) "
                "VALUES (?,?,?,?,?,NULL)",
                (
                    height,
                    entry.intent_id,
                    json.dumps(intent.to_dict()),
                    json.dumps(summary),
                    entry.meta.zk_mode,
                ),
            )
            db.executemany(
                "INSERT INTO ledger_parts (height, idx, job_id, step, publics, proof) "
                "VALUES (?,?,?,?,?,?)",
                [
                    (
                        height,
                        idx,
                        part.job_id,
                        part.step,
                        json.dumps([str(x) for x in part.public_inputs]),
                        part.proof,
                    )
                    for idx, part in enumerate(entry.meta.parts)
                ],
            )
            db.execute("DELETE FROM intake WHERE intent_id = ?", (entry.intent_id,))

    def accept(self, intents: list[tuple[str, dict[str, Any]]]) -> None:
        with self._store.transaction() as db:
            db.executemany(
                # an intent already accepted (by another process on a shared store) stays once
                "INSERT INTO intake (intent_id, intent) VALUES (?, ?) "
                "ON CONFLICT (intent_id) DO NOTHING",
                [(intent_id, json.dumps(intent)) for intent_id, intent in intents],
            )

    def waiting(self) -> list[dict[str, Any]]:
        out = []
        for seq, intent in self.waiting_since(0):
            if intent is None:
                raise PouwError(f"{self.where}: accepted intent {seq} is damaged")
            out.append(intent)
        return out

    def waiting_since(self, seq: int) -> list[tuple[int, dict[str, Any] | None]]:
        """``(seq, intent)`` after ``seq``; ``intent`` is None for a damaged row."""
        with self._store.transaction() as db:
            rows = db.execute(
                "SELECT seq, intent FROM intake WHERE seq > ? ORDER BY seq", (seq,)
            ).fetchall()
        out: list[tuple[int, dict[str, Any] | None]] = []
        for row_seq, text in rows:
            try:
                intent = json.loads(text)
            except (TypeError, ValueError):
                intent = None
            out.append((int(row_seq), intent if isinstance(intent, dict) else None))
        return out

    def forget(self, seqs: list[int]) -> None:
        with self._store.transaction() as db:
            db.executemany("DELETE FROM intake WHERE seq = ?", [(q,) for q in seqs])

    def executed(self, intent_ids: list[str]) -> set[str]:
        with self._store.transaction() as db:
            return {
                i
                for i in intent_ids
                if db.execute("SELECT 1 FROM ledger WHERE intent_id = ?", (i,)).fetchone()
            }

    def attach_proof(self, job_id: str, proof: bytes) -> None:
        with self._store.transaction() as db:
            db.execute("UPDATE ledger_parts SET proof = ? WHERE job_id = ?", (bytes(proof), job_id))

    def rows(self) -> list[LedgerRow]:
        """Every entry, by height. A row that is not what this module wrote raises
        :class:`~pouw.PouwError` naming its height."""
        with self._store.transaction() as db:
            parts: dict[int, list[ProofPart]] = {}
            for height, job_id, step, publics, proof in db.execute(
                "SELECT height, job_id, step, publics, proof FROM ledger_parts ORDER BY height, idx"
            ):
                parts.setdefault(height, []).append(
                    self._part(height, job_id, step, publics, proof)
                )
            rows = db.execute(
                "SELECT height, intent_id, intent, entry, zk_mode FROM ledger ORDER BY height"
            ).fetchall()
        out = []
        for expected, (height, intent_id, intent, entry, zk_mode) in enumerate(rows):
            if height != expected:
                raise PouwError(
                    f"{self.where}: the ledger has a gap at height {expected} "
                    f"(next stored height {height})"
                )
            out.append(
                {
                    "height": height,
                    "intent_id": intent_id,
                    "intent": intent,
                    "entry": entry,
                    "zk_mode": zk_mode,
                    "parts": parts.get(height, []),
                    "job_ids": [p.job_id for p in parts.get(height, []) if p.job_id is not None],
                }
            )
        return out

    def part(self, job_id: str) -> ProofPart | None:
        """The (first) part of job ``job_id``, None if no entry lists it."""
        with self._store.transaction() as db:
            row = db.execute(
                "SELECT height, job_id, step, publics, proof FROM ledger_parts WHERE job_id = ? "
                "ORDER BY height LIMIT 1",
                (job_id,),
            ).fetchone()
        return None if row is None else self._part(*row)

    def _part(
        self, height: object, job_id: object, step: object, publics: object, proof: object
    ) -> ProofPart:
        # a row read back is checked like any outside input
        try:
            values = json.loads(publics) if isinstance(publics, str) else None
            inputs = tuple(int(x) for x in values) if isinstance(values, list) else None
        except (TypeError, ValueError):
            inputs = None
        if (
            inputs is None
            or not all(0 <= x < _R for x in inputs)
            or not (job_id is None or isinstance(job_id, str))
            or not (step is None or (isinstance(step, int) and step >= 0))
            or not (proof is None or isinstance(proof, bytes))
        ):
            raise PouwError(f"{self.where}: the proof record at height {height} is damaged")
        return ProofPart(job_id, proof, inputs, step)


#: The ledger's tables in PostgreSQL (the same columns; no legacy to migrate).
_PG_DDL = (
    "CREATE TABLE IF NOT EXISTS ledger ("
    " height BIGINT PRIMARY KEY, intent_id TEXT NOT NULL, intent TEXT NOT NULL,"
    " entry TEXT NOT NULL, zk_mode TEXT NOT NULL, proof BYTEA)",
    "CREATE TABLE IF NOT EXISTS ledger_parts ("
    " height BIGINT NOT NULL REFERENCES ledger (height), idx INTEGER NOT NULL,"
    " job_id TEXT, step INTEGER, publics TEXT NOT NULL, proof BYTEA,"
    " PRIMARY KEY (height, idx))",
    "CREATE INDEX IF NOT EXISTS ledger_parts_job ON ledger_parts (job_id)",
    "CREATE INDEX IF NOT EXISTS ledger_intent ON ledger (intent_id)",
    "CREATE TABLE IF NOT EXISTS intake ("
    " seq BIGSERIAL PRIMARY KEY, intent_id TEXT NOT NULL UNIQUE, intent TEXT NOT NULL)",
)


class PostgresLedgerStore(SqliteLedgerStore):
    """The ledger's tables in a :class:`~pouw.store.PostgresJobQueue`'s schema
    (the same statements; only the tables' types differ)."""

    _DDL = _PG_DDL

    def _migrate(self, db: Any) -> None:
        return None  # no older layout in PostgreSQL
