"""The VM's instruction set, gas schedule, trace-format constants and id encodings.

Everything here is fixed by docs/vm-and-trace.md and mirrored for C in
``_native/csrc/pw_isa.h`` (a test checks that the two agree).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from enum import IntEnum

from blake3 import blake3

__all__ = [
    "Op",
    "StepStatus",
    "INTRINSIC_GAS",
    "DEBIT_GAS",
    "CREDIT_GAS",
    "MAX_STEPS",
    "HEADER_SIZE",
    "STEP_FIXED",
    "TRACE_MAGIC",
    "TRACE_VERSION",
    "TRACE_VERSIONS",
    "STATE_HASHES",
    "HASH_IDS",
    "DEFAULT_HASH",
    "MIN_DEPTH",
    "MAX_DEPTH",
    "DEFAULT_DEPTH",
    "TRACE_KIND_INTENT",
    "TRACE_KIND_BATCH",
    "U64_MAX",
    "INTENT_DOMAIN",
    "BATCH_DOMAIN",
    "step_size",
    "trace_size",
    "encode_program",
    "intent_id",
    "batch_id",
    "batch_digest",
]


class Op(IntEnum):
    """Opcodes: each step touches exactly one account."""

    NONCE = 1  #: arg0 = expected nonce; a read
    FEE = 2  #: arg0 = gas_limit, arg1 = gas_price; charges gas_limit*gas_price, nonce += 1
    DEBIT = 3  #: arg0 = amount, on the sender
    CREDIT = 4  #: arg0 = amount, on any account
    UNDO = 5  #: arg0 = amount, arg1 = the undone op (DEBIT or CREDIT)
    REFUND = 6  #: arg0 = gas_left * gas_price, to the sender
    REWARD = 7  #: arg0 = (gas_limit - gas_left) * gas_price, to the coinbase


class StepStatus(IntEnum):
    """What happened at a step; anything but OK leaves the leaf unchanged."""

    OK = 0
    BAD_NONCE = 1
    INTRINSIC_GAS = 2
    CANNOT_PAY_FEE = 3
    INSUFFICIENT_BALANCE = 4
    OUT_OF_GAS = 5
    OVERFLOW = 6
    SKIPPED = 7


INTRINSIC_GAS = 21000
DEBIT_GAS = 5000
CREDIT_GAS = 5000

TRACE_MAGIC = b"PWTR"
#: The version every trace is written in: a u8 version then the state hash id
#: (version 1, still decoded, had a u16 version and always meant BLAKE3).
TRACE_VERSION = 2
TRACE_VERSIONS = (1, 2)
#: The state tree's hashes, by id (the trace header's hash byte).
STATE_HASHES = ("blake3", "poseidon")
HASH_IDS = {name: i for i, name in enumerate(STATE_HASHES)}
DEFAULT_HASH = "blake3"
HEADER_SIZE = 80
MAX_STEPS = 1 << 20
MIN_DEPTH = 1
MAX_DEPTH = 32
DEFAULT_DEPTH = 20
TRACE_KIND_INTENT = 1
TRACE_KIND_BATCH = 2
#: bytes of a step besides its path: 1+1+4+8+8+8 + 32 + 4*8 + 32 (root_after)
STEP_FIXED = 126
U64_MAX = (1 << 64) - 1

INTENT_DOMAIN = b"pouw.intent.v1"
BATCH_DOMAIN = b"pouw.batch.v1"

_HEAD = struct.Struct("<IQQQI")
_BODY_OP = struct.Struct("<BIQ")


def step_size(depth: int) -> int:
    """Bytes per trace step at ``depth``: ``126 + 32*depth`` (the path dominates)."""
    return STEP_FIXED + 32 * depth


def trace_size(n_steps: int, depth: int) -> int:
    """Exact length of a trace of ``n_steps`` steps."""
    return HEADER_SIZE + n_steps * step_size(depth)


def encode_program(
    sender: int, nonce: int, gas_limit: int, gas_price: int, body: Sequence[tuple[int, int, int]]
) -> bytes:
    """``sender u32 || nonce u64 || gas_limit u64 || gas_price u64 || n_body u32 ||
    (op u8 || account u32 || arg0 u64)*``, little-endian: an intent's program as
    the intent id hashes it (and as the VM kernel reads it)."""
    parts = [_HEAD.pack(sender, nonce, gas_limit, gas_price, len(body))]
    parts.extend(_BODY_OP.pack(op, account, arg0) for op, account, arg0 in body)
    return b"".join(parts)


def intent_id(
    sender: int, nonce: int, gas_limit: int, gas_price: int, body: Sequence[tuple[int, int, int]]
) -> str:
    """The intent id: BLAKE3 of ``b"pouw.intent.v1" || encode_program(...)``, 64 hex digits.

    ``body`` is the intent's body ops as ``(op, account, arg0)`` triples; a
    transfer's is ``((DEBIT, sender, amount), (CREDIT, recipient, amount))``.
    """
    try:
        program = encode_program(sender, nonce, gas_limit, gas_price, body)
    except struct.error as exc:
        raise ValueError(f"intent field out of range: {exc}") from None
    return blake3(INTENT_DOMAIN + program).hexdigest()


def batch_id(intent_ids: Iterable[str | bytes]) -> str:
    """A batch's id: BLAKE3 of ``b"pouw.batch.v1" || the 32-byte ids in order``, 64 hex digits."""
    parts = []
    for iid in intent_ids:
        raw = bytes.fromhex(iid) if isinstance(iid, str) else bytes(iid)
        if len(raw) != 32:
            raise ValueError(f"an intent id is 32 bytes (64 hex digits), got {iid!r}")
        parts.append(raw)
    if not parts:
        raise ValueError("a batch holds at least one intent")
    return batch_digest(parts).hex()


def batch_digest(ids: Iterable[bytes]) -> bytes:
    """:func:`batch_id` as 32 raw bytes, of raw 32-byte ids the caller vouches for
    (the trace face and the constraint check, which compute them)."""
    return blake3(BATCH_DOMAIN + b"".join(ids)).digest()
