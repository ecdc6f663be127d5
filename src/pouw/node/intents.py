"""Intents: what a user asks the chain to do, as a VM program (docs/vm-and-trace.md).

A :class:`Transfer` is the program ``NONCE(sender, nonce)``, ``FEE(sender,
gas_limit, gas_price)``, ``DEBIT(sender, amount)``, ``CREDIT(recipient,
amount)``. Its id is :func:`pouw.isa.intent_id` of that program.

:func:`generate_intents` makes a reproducible demo stream whose nonces are
right when executed in order from ``AccountState.genesis(n_accounts,
DEFAULT_BALANCE)`` (or from the ``state`` it is given), with a small,
seed-determined share of each failure kind.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from functools import cached_property
from typing import Any

from blake3 import blake3

from ..isa import INTENT_DOMAIN, INTRINSIC_GAS, U64_MAX, Op, encode_program
from .state import DEFAULT_ACCOUNTS, DEFAULT_BALANCE, SUPPLY_LIMIT, AccountState

__all__ = [
    "Transfer",
    "Intent",
    "generate_intents",
    "DEFAULT_GAS_LIMIT",
    "TRANSFER_GAS",
    "FAILURE_RATE",
]

#: Gas a successful transfer uses: FEE (21000) + DEBIT (5000) + CREDIT (5000).
TRANSFER_GAS = 31_000
#: Default gas limit of a transfer (the unused part is refunded).
DEFAULT_GAS_LIMIT = 50_000
#: Share of generated intents made to fail, per failure kind.
FAILURE_RATE = 0.02
_U32_MAX = (1 << 32) - 1


@dataclass(frozen=True)
class Transfer:
    """Move ``amount`` from ``sender`` to ``recipient``, paying ``gas_limit * gas_price`` up front.

    Attributes
    ----------
    sender, recipient : int
        Account indexes (u32; they must also fit the state's tree at execution).
    amount : int
        u64, in the chain's unit.
    nonce : int
        u64; must equal the sender's nonce when executed.
    gas_limit, gas_price : int
        u64 each; the fee charged is ``gas_used * gas_price``.
    """

    sender: int
    recipient: int
    amount: int
    nonce: int
    gas_limit: int = DEFAULT_GAS_LIMIT
    gas_price: int = 1

    def validate(self) -> None:
        """Raise ValueError naming the first field that is not an integer in range."""
        for f in fields(self):
            v = getattr(self, f.name)
            top = _U32_MAX if f.name in ("sender", "recipient") else U64_MAX
            if type(v) is not int or not 0 <= v <= top:
                bits = 32 if top == _U32_MAX else 64
                raise ValueError(
                    f"Transfer.{f.name} must be an integer in [0, 2^{bits}), got {v!r}"
                )

    def body(self) -> tuple[tuple[int, int, int], ...]:
        """The body ops as ``(op, account, arg0)``: DEBIT the sender, CREDIT the recipient."""
        return ((Op.DEBIT, self.sender, self.amount), (Op.CREDIT, self.recipient, self.amount))

    @cached_property
    def program(self) -> bytes:
        """The program's canonical encoding (:func:`pouw.isa.encode_program`); validates first."""
        self.validate()
        return encode_program(self.sender, self.nonce, self.gas_limit, self.gas_price, self.body())

    @cached_property
    def intent_id(self) -> str:
        """BLAKE3 of ``b"pouw.intent.v1" || program``, 64 lowercase hex digits."""
        return blake3(INTENT_DOMAIN + self.program).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields plus ``"type": "transfer"``."""
        d: dict[str, Any] = {"type": "transfer"}
        d.update((f.name, getattr(self, f.name)) for f in fields(self))
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Transfer:
        """The inverse of :meth:`to_dict`; ValueError on unknown or missing keys or bad values."""
        names = {f.name for f in fields(cls)}
        extra = set(d) - names - {"type"}
        if extra or d.get("type", "transfer") != "transfer":
            raise ValueError(f"not a transfer: unexpected keys or type {sorted(extra)}")
        try:
            t = cls(**{k: d[k] for k in names if k in d})
        except TypeError as exc:
            raise ValueError(f"transfer: {exc}") from None
        t.validate()
        return t


#: The only intent kind so far.
Intent = Transfer


def generate_intents(
    n: int,
    seed: int = 0,
    *,
    n_accounts: int = DEFAULT_ACCOUNTS,
    state: AccountState | None = None,
    balance: int = DEFAULT_BALANCE,
) -> Iterator[Transfer]:
    """Yield ``n`` reproducible transfers among accounts ``0 .. n_accounts-1``.

    Nonces are tracked per sender, so the stream is valid executed in order from
    ``AccountState.genesis(n_accounts, balance)`` (``balance`` defaults to the
    genesis default), or from ``state`` when given (its nonces and balances are
    read). About :data:`FAILURE_RATE` of the intents each fail on purpose with:
    a bad nonce, intrinsic gas (gas_limit < 21000), out of gas (gas_limit 26000:
    DEBIT succeeds, CREDIT runs out and the DEBIT is undone), insufficient
    balance (amount 2^63, above any balance), or a fee that cannot be paid.
    The rest succeed: the generator keeps a lower bound on each sender's balance
    (incoming transfers ignored) and never spends beyond it.
    """
    if not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    if not isinstance(n_accounts, int) or n_accounts < 1:
        raise ValueError(f"n_accounts must be a positive integer, got {n_accounts!r}")
    rng = random.Random(seed)
    next_nonce: dict[int, int] = {}
    low: dict[int, int] = {}  # lower bound of each touched sender's balance

    for _ in range(n):
        s, r = rng.randrange(n_accounts), rng.randrange(n_accounts)
        if s not in next_nonce:
            acct = state.get(s) if state is not None else None
            next_nonce[s] = acct.nonce if acct else 0
            low[s] = acct.balance if acct else balance
        nonce, price, amount = next_nonce[s], rng.randint(1, 10), rng.randint(1, 1000)
        u = rng.random()
        kind = min(int(u / FAILURE_RATE), 5)  # 0..4: a failure kind, 5: ok
        gas_limit = {1: rng.randrange(INTRINSIC_GAS), 2: 26_000}.get(kind, DEFAULT_GAS_LIMIT)
        cost = gas_limit * price + (amount if kind in (2, 5) else 0)  # most it can take
        if kind in (2, 3, 5) and low[s] < cost:
            kind = 0  # cannot afford it: make it a (free) bad nonce instead
        if kind == 0:  # bad nonce: one from the future; nothing changes
            nonce += 1 + rng.randrange(3)
        elif kind == 3:  # insufficient balance: FEE is paid, the DEBIT fails
            amount = SUPPLY_LIMIT
        elif kind == 4:  # cannot pay the fee: gas_limit * gas_price >= 2^63
            price = SUPPLY_LIMIT // gas_limit + 1
        if kind in (2, 3, 5):  # FEE succeeds: the nonce advances and money moves
            next_nonce[s] += 1
            low[s] -= cost
        yield Transfer(s, r, amount, nonce, gas_limit, price)
