"""The node over a durable store: open it, write ledger entries into it, replay it.

With ``[store] path`` set, the node keeps its jobs *and* its ledger in one
SQLite file (:class:`~pouw.store.SqliteJobQueue`), with ``[store] url`` in one
PostgreSQL schema (:class:`~pouw.store.PostgresJobQueue`): each ledger entry is written
with its intent, its job ids and its job in one transaction, so after a crash
either all of them exist or none does. On restart the node replays the stored
intents through its executor from genesis to rebuild the account state and the
in-memory ledger, and checks every post-state root against the stored one.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import PouwError
from ..store import PostgresJobQueue, SqliteJobQueue
from .config import NodeConfig
from .executor import Executor
from .intents import Intent, Transfer
from .ledger import Ledger
from .ledger_store import LedgerStore, PostgresLedgerStore, SqliteLedgerStore
from .state import AccountState

__all__ = ["open_store", "replay_ledger", "waiting_intents"]


def open_store(
    config: NodeConfig, *, sequencer: bool = True
) -> tuple[SqliteJobQueue | PostgresJobQueue, SqliteLedgerStore]:
    """The configured job store and the ledger's tables beside it: SQLite
    (``store.path``) or PostgreSQL (``store.url``; ``sequencer=False`` for a
    process that does not execute intents)."""
    store: SqliteJobQueue | PostgresJobQueue
    ledger: type[SqliteLedgerStore]
    common: dict[str, Any] = {
        "capacity": config.queue_capacity,
        "retention": config.queue_retention,
        "max_attempts": config.max_attempts,
        "synchronous": config.store_synchronous,
        "priority": config.queue_priority,
        "aging_ms": config.queue_aging_ms,
    }
    if config.store_url is not None:
        store = PostgresJobQueue(
            config.store_url,
            schema=config.store_schema,
            sequencer=sequencer,
            pool_size=config.store_pool_size,
            notify=config.store_notify,
            vacuum=config.store_vacuum,
            **common,
        )
        ledger = PostgresLedgerStore
    else:
        assert config.store_path is not None
        store, ledger = SqliteJobQueue(config.store_path, **common), SqliteLedgerStore
    try:
        return store, ledger(store)
    except BaseException:
        store.close()
        raise


def replay_ledger(
    ledger_store: LedgerStore, executor: Executor, state: AccountState, ledger: Ledger
) -> int:
    """Rebuild ``state`` and ``ledger`` from the stored entries; returns how many.

    Raises :class:`~pouw.PouwError` if a replayed post-state root differs from
    the stored one (a database from another genesis or another config), or if
    a stored entry is not one this node wrote.
    """
    rows = ledger_store.rows()
    for row in rows:
        height = row["height"]
        try:
            intent = Transfer.from_dict(json.loads(row["intent"]))
            stored_root = json.loads(row["entry"])["post_root"]
        except (ValueError, TypeError, KeyError) as exc:
            raise PouwError(
                f"the stored ledger entry at height {height} is damaged: {exc}"
            ) from None
        result, _trace = executor.execute_intent_with_trace(intent, state)
        if result.post_root.hex() != stored_root:
            raise PouwError(
                f"replaying the ledger diverged at height {height} "
                "(a database made with another genesis state: state.accounts, state.balance, "
                "state.depth or state.hash?)"
            )
        ledger.append(result, zk_mode=row["zk_mode"], parts=row["parts"])
    return len(rows)


def waiting_intents(ledger_store: LedgerStore) -> list[Intent]:
    """The intents accepted before a stop and not yet executed, in order."""
    out: list[Intent] = []
    for i, d in enumerate(ledger_store.waiting()):
        try:
            out.append(Transfer.from_dict(d))
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            raise PouwError(f"accepted intent {i} in the store is damaged: {exc}") from None
    return out
