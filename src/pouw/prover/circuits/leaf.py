"""The state's leaf as constraints: ``Poseidon(owner, balance, nonce)``, and 0 for an empty account."""

from __future__ import annotations

from ...zk import gadgets as g
from ...zk.constraint_system import LinearCombination, LinearLike
from .builder import CircuitBuilder

__all__ = ["leaf_hash"]

TWO64 = 1 << 64


def leaf_hash(
    b: CircuitBuilder,
    owner: LinearLike,
    owner_zero: LinearLike,
    balance: LinearLike,
    nonce: LinearLike,
    name: str,
) -> LinearCombination:
    """The leaf of ``(owner, balance, nonce)``: 0 when all three are zero (an empty
    account, docs/vm-and-trace.md), else their Poseidon hash.

    ``owner_zero`` is :func:`~pouw.zk.gadgets.is_zero` of the owner (shared by a
    step's two leaves).  ``balance + 2^64 nonce`` is zero only when both are,
    since both are below 2^64 (the caller's range argument).  5 constraints
    besides the hash's 261."""
    cs = b.cs
    rest_zero = g.is_zero(cs, balance + TWO64 * nonce, f"{name}.rest_zero")
    empty = b.mul(owner_zero, rest_zero, f"{name}.empty")
    h = g.poseidon(cs, [owner, balance, nonce], f"{name}.hash")
    return b.mul(1 - empty, h, f"{name}.leaf")
