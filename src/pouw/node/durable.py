"""The node over a durable store: open it, write ledger entries into it, replay it.

With ``[store] path`` set, the node keeps its jobs *and* its ledger in one
SQLite file (:class:`~pouw.store.SqliteJobQueue`): each ledger entry is written
with its intent, its job ids and its job in one transaction, so after a crash
either all of them exist or none does. On restart the node replays the stored
intents through its executor from genesis to rebuild the account state and the
in-memory ledger, and checks every post-state root against the stored one.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..errors import PouwError
from ..job import ProofJob
from ..store import SqliteJobQueue
from .config import NodeConfig
from .executor import ExecutionResult, Executor
from .intents import Intent, Transfer
from .ledger import Ledger, LedgerEntry
from .state import AccountState

if TYPE_CHECKING:
    pass

__all__ = ["open_store", "record_entry", "replay_ledger"]


def open_store(config: NodeConfig) -> SqliteJobQueue:
    """The configured SQLite store (``config.store_path`` must be set)."""
    assert config.store_path is not None
    return SqliteJobQueue(
        config.store_path,
        capacity=config.queue_capacity,
        retention=config.queue_retention,
        max_attempts=config.max_attempts,
        synchronous=config.store_synchronous,
    )


def record_entry(
    store: SqliteJobQueue,
    ledger: Ledger,
    intent: Intent,
    result: ExecutionResult,
    job: ProofJob | None,
    zk_mode: str,
    proof: bytes | None = None,
) -> LedgerEntry:
    """Write the entry (and enqueue ``job``) durably, then append it in memory.

    The caller is the node's single pipeline thread, so the height it reads is
    the height the entry gets.
    """
    height = len(ledger)
    job_ids = [job.job_id] if job is not None else []
    summary = {
        "height": height,
        "intent_id": result.intent_id,
        "status": result.status.value,
        "fee_charged": result.gas_summary.fee_charged,
        "post_root": result.post_root.hex(),
        "job_ids": job_ids,
    }
    store.append_ledger_entry(
        height,
        result.intent_id,
        json.dumps(intent.to_dict()),
        json.dumps(summary),
        zk_mode,
        job,
        proof,
    )
    return ledger.append(result, job_ids, zk_mode=zk_mode, proof=proof)


def replay_ledger(
    store: SqliteJobQueue, executor: Executor, state: AccountState, ledger: Ledger
) -> int:
    """Rebuild ``state`` and ``ledger`` from the stored entries; returns how many.

    Raises :class:`~pouw.PouwError` if a replayed post-state root differs from
    the stored one (a database from another genesis or another config).
    """
    rows = store.ledger_rows()
    for row in rows:
        intent = Transfer.from_dict(json.loads(row["intent"]))
        result, _trace = executor.execute_intent_with_trace(intent, state)
        stored_root = json.loads(row["entry"])["post_root"]
        if result.post_root.hex() != stored_root:
            raise PouwError(
                f"{store.path}: replaying the ledger diverged at height {row['height']} "
                "(a database made with another genesis state?)"
            )
        ledger.append(result, row["job_ids"], zk_mode=row["zk_mode"], proof=row["proof"])
    return len(rows)
