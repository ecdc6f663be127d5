"""What each tier's circuit proves: its public inputs, and how a verifier recomputes them.

Every tier's proof has the same six public inputs, in this order
(:data:`PUBLIC_NAMES`; docs/vm-and-trace.md, "What a proof states"):

``pre_root``, ``post_root``
    The state roots before and after (field elements: the Poseidon state's
    32-byte big-endian roots read as integers).
``digest``
    What was executed: :func:`step_digest` of the step (Micro),
    :func:`intent_digest` of the intent (Macro), :func:`batch_digest` of the
    ordered intent digests (Full).
``fee``
    The fee charged: the ``REWARD`` step's amount (Micro: of this step, 0 for
    any other op; Macro: the intent's ``fee_charged``; Full: their sum).
``coinbase``
    The account credited with the fees: the trace header's coinbase (0 when no
    fee is charged at all).
``job``
    The job the proof was made for (:func:`job_field` of its id; 0 for a proof
    made inline, without a job), so that a proof made for one job is not one
    for another.

A verifier computes all six from data it already has (the ledger's intents,
results and job ids, and the chain of state roots), never from the prover.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...zk.field import R
from ...zk.poseidon import poseidon
from ..base import job_id_bytes

__all__ = [
    "PUBLIC_NAMES",
    "MAX_BODY_OPS",
    "Statement",
    "root_field",
    "job_field",
    "step_code",
    "step_digest",
    "intent_digest",
    "batch_digest",
]

PUBLIC_NAMES = ("pre_root", "post_root", "digest", "fee", "coinbase", "job")
#: The most body ops :func:`intent_digest` takes (4 + 2 * 6 = 16 Poseidon inputs).
MAX_BODY_OPS = 6
_JOB_MASK = (1 << 253) - 1


@dataclass(frozen=True)
class Statement:
    """The public inputs of one proof (integers in ``[0, r)``)."""

    pre_root: int
    post_root: int
    digest: int
    fee: int
    coinbase: int
    job: int

    def public_inputs(self) -> list[int]:
        """The inputs in :data:`PUBLIC_NAMES` order."""
        return [self.pre_root, self.post_root, self.digest, self.fee, self.coinbase, self.job]


def root_field(root: bytes) -> int:
    """A Poseidon state root (32 bytes, big-endian) as a field element; ValueError
    if it is not one (not 32 bytes, or not below r)."""
    if len(root) != 32:
        raise ValueError(f"a root is 32 bytes, got {len(root)}")
    x = int.from_bytes(root, "big")
    if x >= R:
        raise ValueError("the root is not a field element (a BLAKE3 root, or corrupt)")
    return x


def job_field(job_id: str | None) -> int:
    """The job id (64 hex digits) as a field element: its 256 bits with the top
    three cleared; 0 for ``None`` (a proof without a job)."""
    return int.from_bytes(job_id_bytes(job_id), "big") & _JOB_MASK


def step_code(op: int, status: int, account: int) -> int:
    """``op + 8 status + 64 account``: one field element for the three."""
    return op + 8 * status + 64 * account


def step_digest(
    op: int, status: int, account: int, arg0: int, arg1: int, gas_before: int, gas_after: int
) -> int:
    """Micro's digest: ``Poseidon(step_code(op, status, account), arg0, arg1,
    gas_before, gas_after)``; ``gas_before`` is the previous step's ``gas_left``
    within the intent (0 for its ``NONCE``)."""
    return poseidon([step_code(op, status, account), arg0, arg1, gas_before, gas_after])


def intent_digest(
    sender: int,
    nonce: int,
    gas_limit: int,
    gas_price: int,
    body: Sequence[tuple[int, int, int]],
) -> int:
    """Macro's digest of an intent: ``Poseidon(sender, nonce, gas_limit, gas_price,
    op_1 + 8 account_1, amount_1, ..., op_k + 8 account_k, amount_k)`` over its
    body ops ``(op, account, amount)`` (1..:data:`MAX_BODY_OPS` of them)."""
    if not 1 <= len(body) <= MAX_BODY_OPS:
        raise ValueError(f"an intent digest takes 1..{MAX_BODY_OPS} body ops, got {len(body)}")
    flat = [sender, nonce, gas_limit, gas_price]
    for op, account, amount in body:
        flat += (op + 8 * account, amount)
    return poseidon(flat)


def batch_digest(digests: Sequence[int]) -> int:
    """Full's digest of a batch: ``h_k = Poseidon(h_{k-1}, d_k)`` over the intent
    digests in order, from ``h_0 = 0`` (so the count and the order are bound)."""
    if not digests:
        raise ValueError("a batch has at least one intent")
    h = 0
    for d in digests:
        h = poseidon([h, d])
    return h
