"""Account state: accounts by index, committed to by a sparse Merkle tree.

An account is ``(owner, balance, nonce)`` at an index ``0 .. 2^depth - 1``; the
state root is the root of the tree whose leaf ``i`` is
``pouw.merkle.leaf_hash(account i, hash=state.hash)`` (docs/vm-and-trace.md,
"State"), with ``hash`` BLAKE3 (the default) or Poseidon (the state a circuit
can prove; an owner must then be below r as a big-endian integer). Storage
and tree live in the compiled :class:`pouw._native.vm.AccountTable`, which
the executor updates without the GIL.

Total supply (the sum of balances) is kept below 2^63, so REFUND, REWARD and
UNDO can never overflow a u64; every way of changing the state checks it.

:meth:`AccountState.genesis` and :func:`pouw.node.intents.generate_intents`
share :data:`DEFAULT_ACCOUNTS` and :data:`DEFAULT_BALANCE`: with matching
arguments the generated stream is valid when executed in order from the genesis.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from blake3 import blake3

from .. import merkle
from .._native import missing_extension
from ..isa import DEFAULT_DEPTH, DEFAULT_HASH, U64_MAX

try:
    from .._native.vm import SUPPLY_LIMIT, AccountTable
except ImportError as exc:  # pragma: no cover - a broken build
    raise missing_extension("vm", exc) from exc

__all__ = [
    "Account",
    "AccountState",
    "DEFAULT_ACCOUNTS",
    "DEFAULT_BALANCE",
    "SUPPLY_LIMIT",
    "genesis_owner",
]

#: Accounts in a default genesis (and in the default intent generator).
DEFAULT_ACCOUNTS = 1000
#: Balance of each genesis account by default.
DEFAULT_BALANCE = 1_000_000_000_000

_GENESIS_DOMAIN = b"pouw.genesis.v1"
_SEED_INDEX = struct.Struct("<QI")


@dataclass(frozen=True, slots=True)
class Account:
    """One account: ``owner`` (32 bytes), ``balance`` and ``nonce`` (u64 each)."""

    owner: bytes
    balance: int
    nonce: int

    @property
    def is_empty(self) -> bool:
        """True for the all-zero account (its leaf hash is 32 zero bytes)."""
        return self.balance == 0 and self.nonce == 0 and self.owner == bytes(32)


def genesis_owner(seed: int, index: int, hash: str = DEFAULT_HASH) -> bytes:
    """The owner of genesis account ``index``: BLAKE3 of ``b"pouw.genesis.v1" || seed u64 || index u32``.

    Under the Poseidon state hash an owner must be below r, so the top three bits of
    the digest's first byte are cleared (the owner is then below 2^253 < r)."""
    owner = blake3(_GENESIS_DOMAIN + _SEED_INDEX.pack(seed, index)).digest()
    if hash == "poseidon":
        owner = bytes([owner[0] & 0x1F]) + owner[1:]
    return owner


class AccountState:
    """Accounts plus their Merkle tree; see the module docstring.

    Parameters
    ----------
    depth : int
        Tree depth, 1..32: the state holds ``2^depth`` account slots.
    hash : str
        The tree's hash, ``"blake3"`` (default) or ``"poseidon"`` (:mod:`pouw.merkle`).
    """

    __slots__ = ("_table",)

    def __init__(self, depth: int = DEFAULT_DEPTH, hash: str = DEFAULT_HASH) -> None:
        merkle.hasher(hash)  # a clear ValueError for an unknown name; installs Poseidon
        self._table = AccountTable(depth, hash)

    @classmethod
    def genesis(
        cls,
        n_accounts: int = DEFAULT_ACCOUNTS,
        balance: int = DEFAULT_BALANCE,
        seed: int = 0,
        depth: int = DEFAULT_DEPTH,
        hash: str = DEFAULT_HASH,
    ) -> AccountState:
        """Accounts ``0 .. n_accounts-1``, each with ``balance`` and nonce 0 and a
        deterministic owner (:func:`genesis_owner`), in a tree hashed with ``hash``.
        Raises ValueError if they do not fit the tree or total supply would reach 2^63."""
        if not isinstance(n_accounts, int) or n_accounts < 0:
            raise ValueError(f"n_accounts must be a non-negative integer, got {n_accounts!r}")
        if not isinstance(balance, int) or not 0 <= balance <= U64_MAX:
            raise ValueError(f"balance must be an integer in [0, 2^64), got {balance!r}")
        if not isinstance(seed, int) or not 0 <= seed <= U64_MAX:
            raise ValueError(f"seed must be an integer in [0, 2^64), got {seed!r}")
        state = cls(depth, hash)
        if n_accounts > (1 << depth):
            raise ValueError(f"{n_accounts} accounts do not fit a tree of depth {depth}")
        if n_accounts * balance >= SUPPLY_LIMIT:
            raise ValueError("total supply n_accounts * balance must stay below 2^63")
        if n_accounts:
            owners = b"".join(genesis_owner(seed, i, hash) for i in range(n_accounts))
            state._table.set_range(0, owners, balance)
        return state

    @property
    def table(self) -> AccountTable:
        """The compiled storage (what the VM kernel runs on)."""
        return self._table

    @property
    def depth(self) -> int:
        return self._table.depth

    @property
    def root(self) -> bytes:
        """The 32-byte state root."""
        return self._table.root

    @property
    def hash(self) -> str:
        """The tree's hash: ``"blake3"`` or ``"poseidon"``."""
        return self._table.hash

    @property
    def total_supply(self) -> int:
        return self._table.total_supply

    def __len__(self) -> int:
        """The number of non-empty accounts."""
        return len(self._table)

    def get(self, index: int) -> Account:
        """Account ``index`` (the all-zero account if never written); ValueError out of range."""
        owner, balance, nonce = self._table.get(index)
        return Account(owner, balance, nonce)

    def set(self, index: int, account: Account) -> None:
        """Overwrite account ``index`` (for tests and tooling; the executor is the usual writer)."""
        self._table.set(index, account.owner, account.balance, account.nonce)

    def leaf_hash(self, index: int) -> bytes:
        return self._table.leaf_hash(index)

    def path(self, index: int) -> bytes:
        """The Merkle path of account ``index``: ``depth`` sibling hashes, leaf level first."""
        return self._table.path(index)

    def copy(self) -> AccountState:
        """An independent snapshot (a memcpy of the tables, no rehashing)."""
        other = AccountState.__new__(AccountState)
        other._table = self._table.copy()
        return other

    def __repr__(self) -> str:
        return (
            f"AccountState(depth={self.depth}, hash={self.hash!r}, accounts={len(self)}, "
            f"root={self.root.hex()[:16]}...)"
        )
