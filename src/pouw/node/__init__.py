"""The node: configuration, state, intents, executor, ledger and the pipeline."""

from .config import NodeConfig
from .context import NodeContext
from .executor import ExecutionResult, Executor, GasSummary, IntentStatus
from .intents import Intent, Transfer, generate_intents
from .ledger import Ledger, LedgerEntry, LedgerEntryMeta
from .ledger_store import LedgerStore, NoLedgerStore, SqliteLedgerStore
from .proofs import ProofAccepted, ProofRejected
from .state import Account, AccountState

__all__ = [
    "NodeConfig",
    "NodeContext",
    "Executor",
    "ExecutionResult",
    "GasSummary",
    "IntentStatus",
    "Intent",
    "Transfer",
    "generate_intents",
    "Ledger",
    "LedgerEntry",
    "LedgerEntryMeta",
    "LedgerStore",
    "NoLedgerStore",
    "SqliteLedgerStore",
    "ProofAccepted",
    "ProofRejected",
    "Account",
    "AccountState",
]
