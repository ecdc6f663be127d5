"""Plain-Python oracle of the trace constraints (docs/vm-and-trace.md).

Written from the specification, independently of ``_native/csrc/constraints.h``:
the hashes come from the ``blake3`` package's keyed mode or, for a Poseidon
trace, the textbook rounds of :mod:`pouw._reference.poseidon`, the integers are
Python ints, the intent program is rebuilt as a list of steps. It has the
signature and results of the native check's face (:func:`pouw.prover.check.check_trace`,
the kernel plus the id hashing), ``check_trace(data) -> (ok, step, rule)``,
and checks in the same documented order (see :mod:`pouw.prover.rules`), so the
two name the same step and rule for any input. Slow; for tests and debugging,
never a fallback.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from functools import lru_cache

from blake3 import blake3

from ..isa import BATCH_DOMAIN, INTENT_DOMAIN
from ..prover.rules import HEADER_STEP, Rule
from . import poseidon as _poseidon

__all__ = ["check_trace", "leaf_hash", "node_hash", "fold_path"]

K_LEAF = blake3(b"pouw.merkle.leaf.v1").digest()
K_NODE = blake3(b"pouw.merkle.node.v1").digest()
U64 = (1 << 64) - 1

NONCE, FEE, DEBIT, CREDIT, UNDO, REFUND, REWARD = range(1, 8)
OK, BAD_NONCE, INTRINSIC_GAS, CANNOT_PAY_FEE, INSUFFICIENT, OUT_OF_GAS, OVERFLOW, SKIPPED = range(8)
G_INTRINSIC, G_BODY = 21000, 5000
BODY_OPS = (DEBIT, CREDIT)

_HEADER = struct.Struct("<4sBBBBII32s32s")
HASHES = ("blake3", "poseidon")  # by the header's hash byte


class _NotAnElement(ValueError):
    """A Poseidon input that is not a field element's 32-byte big-endian encoding."""


@lru_cache(maxsize=1 << 18)
def _poseidon_of(*inputs: int) -> bytes:
    """Poseidon of field elements as 32 big-endian bytes; memoised, as the tests check
    many tampered copies of one trace and the textbook rounds cost ~1 ms in Python."""
    return _poseidon.poseidon(list(inputs)).to_bytes(32, "big")


def _fr(b: bytes) -> int:
    x = int.from_bytes(b, "big")
    if x >= _poseidon.R:
        raise _NotAnElement
    return x


def leaf_hash(owner: bytes, balance: int, nonce: int, hash: str = "blake3") -> bytes:
    """0^32 for the empty account, else keyed(K_LEAF, owner || balance || nonce), or
    Poseidon(owner, balance, nonce) as 32 big-endian bytes."""
    if owner == bytes(32) and balance == 0 and nonce == 0:
        return bytes(32)
    if hash == "poseidon":
        return _poseidon_of(_fr(owner), balance, nonce)
    return blake3(owner + struct.pack("<QQ", balance, nonce), key=K_LEAF).digest()


def node_hash(left: bytes, right: bytes, hash: str = "blake3") -> bytes:
    """keyed(K_NODE, left || right), or Poseidon(left, right)."""
    if hash == "poseidon":
        return _poseidon_of(_fr(left), _fr(right))
    return blake3(left + right, key=K_NODE).digest()


def fold_path(leaf: bytes, index: int, siblings: list[bytes], hash: str = "blake3") -> bytes:
    """The root reached from ``leaf`` at ``index`` (bit l set: right child at level l)."""
    h = leaf
    for level, sib in enumerate(siblings):
        h = node_hash(sib, h, hash) if (index >> level) & 1 else node_hash(h, sib, hash)
    return h


def _folds_to(owner, balance, nonce, index, siblings, root, hash) -> bool:
    """Whether the leaf folds to ``root``; False when a Poseidon input is no field element."""
    try:
        return fold_path(leaf_hash(owner, balance, nonce, hash), index, siblings, hash) == root
    except _NotAnElement:
        return False


@dataclass
class _Step:
    op: int
    status: int
    account: int
    arg0: int
    arg1: int
    gas_left: int
    owner: bytes
    balance_before: int
    nonce_before: int
    balance_after: int
    nonce_after: int
    path: list[bytes]
    root_after: bytes


@dataclass
class _Intent:
    """The intent being checked: its program so far and where it stands."""

    sender: int
    nonce: int
    gas_limit: int = 0
    gas_price: int = 0
    body: list[_Step] = field(default_factory=list)
    gas: int = 0
    dead: bool = False  # NONCE or FEE failed
    failed_at: int | None = None  # index into body of the failing body op
    undos: list[_Step] = field(default_factory=list)  # successful body ops still to undo
    stage: str = "fee"  # fee, body1, body, undo, reward, done

    def preimage(self) -> bytes:
        out = INTENT_DOMAIN + struct.pack(
            "<IQQQI", self.sender, self.nonce, self.gas_limit, self.gas_price, len(self.body)
        )
        for s in self.body:
            out += struct.pack("<BIQ", s.op, s.account, s.arg0)
        return out


class _Reject(Exception):
    def __init__(self, step: int, rule: Rule) -> None:
        super().__init__(step, rule)
        self.step = step
        self.rule = rule


def _decode(data: bytes) -> tuple[tuple, list[_Step]] | None:
    """Header fields and steps, or None when the framing is not canonical."""
    if len(data) < 80:
        return None
    magic, version, hash_id, depth, kind, n, coinbase, pre_root, iid = _HEADER.unpack_from(data, 0)
    # version 1: a u16 version 1 (hash byte 0, BLAKE3); version 2: u8 version, u8 hash id
    if magic != b"PWTR" or (version, hash_id) not in ((1, 0), (2, 0), (2, 1)):
        return None
    if not 1 <= depth <= 32 or kind not in (1, 2):
        return None
    if not 1 <= n <= 1 << 20 or coinbase >= 1 << depth:
        return None
    if len(data) != 80 + n * (126 + 32 * depth):
        return None
    pos = 80

    def column(fmt: str, width: int) -> list:
        nonlocal pos
        if fmt == "raw":
            vals = [bytes(data[pos + i * width : pos + (i + 1) * width]) for i in range(n)]
        else:
            vals = list(struct.unpack_from(f"<{n}{fmt}", data, pos))
        pos += n * width
        return vals

    op, status = column("B", 1), column("B", 1)
    account = column("I", 4)
    arg0, arg1, gas = column("Q", 8), column("Q", 8), column("Q", 8)
    owner = column("raw", 32)
    bb, nb, ba, na = column("Q", 8), column("Q", 8), column("Q", 8), column("Q", 8)
    paths = column("raw", 32 * depth)
    roots = column("raw", 32)
    steps = [
        _Step(
            op[i],
            status[i],
            account[i],
            arg0[i],
            arg1[i],
            gas[i],
            owner[i],
            bb[i],
            nb[i],
            ba[i],
            na[i],
            [paths[i][32 * lvl : 32 * lvl + 32] for lvl in range(depth)],
            roots[i],
        )
        for i in range(n)
    ]
    return (HASHES[hash_id], depth, kind, coinbase, pre_root, iid), steps


def check_trace(data: bytes) -> tuple[bool, int, int]:
    """``(True, -1, 0)`` for a valid trace, else ``(False, step, rule)`` (step -1: the header)."""
    decoded = _decode(bytes(data))
    if decoded is None:
        return (False, HEADER_STEP, int(Rule.MALFORMED))
    (hash, depth, kind, coinbase, pre_root, header_id), steps = decoded
    try:
        intents = _check_steps(hash, depth, kind, coinbase, pre_root, steps)
    except _Reject as r:
        return (False, r.step, int(r.rule))
    # REWARD steps bind the coinbase (rule ACCOUNT); without one it must be 0
    if coinbase != 0 and not any(s.op == REWARD for s in steps):
        return (False, HEADER_STEP, int(Rule.COINBASE_UNUSED))
    ids = [blake3(it.preimage()).digest() for it in intents]
    if kind == 1:
        if ids[0] != header_id:
            return (False, HEADER_STEP, int(Rule.INTENT_ID))
    elif blake3(BATCH_DOMAIN + b"".join(ids)).digest() != header_id:
        return (False, HEADER_STEP, int(Rule.BATCH_ID))
    return (True, HEADER_STEP, int(Rule.OK))


def _check_steps(hash, depth, kind, coinbase, pre_root, steps) -> list[_Intent]:
    intents: list[_Intent] = []
    cur: _Intent | None = None
    root = pre_root
    for i, s in enumerate(steps):

        def need(cond: bool, rule: Rule, i: int = i) -> None:
            if not cond:
                raise _Reject(i, rule)

        need(1 <= s.op <= 7, Rule.OP_RANGE)
        need(s.status <= 7, Rule.STATUS_RANGE)
        need(s.account < 1 << depth, Rule.ACCOUNT_RANGE)
        need(s.arg1 == 0 or s.op in (FEE, UNDO), Rule.ARG1_UNUSED)
        cur = _sequence(cur, s, i, kind, intents)
        _semantics(cur, s, i, coinbase)
        # Merkle: both folds, always (the oracle takes no shortcut)
        before = (s.owner, s.balance_before, s.nonce_before, s.account, s.path, root, hash)
        need(_folds_to(*before), Rule.MERKLE_BEFORE)
        after = (s.owner, s.balance_after, s.nonce_after, s.account, s.path, s.root_after, hash)
        need(_folds_to(*after), Rule.MERKLE_AFTER)
        root = s.root_after
    last = len(steps) - 1
    if cur is None or cur.stage in ("fee", "body1", "undo", "reward"):
        raise _Reject(last, Rule.INCOMPLETE)
    if cur.stage == "body" and not cur.dead:
        raise _Reject(last, Rule.INCOMPLETE)
    return intents


def _sequence(cur: _Intent | None, s: _Step, i: int, kind: int, intents: list) -> _Intent:
    """The program shape: which op may come at step ``i``; starts a new intent at NONCE."""
    if cur is not None and cur.stage == "body" and s.op not in BODY_OPS:
        # the body ended: a failed intent undoes its successful body ops, last first
        if cur.dead:
            cur.stage = "done"
        else:
            cur.stage = "undo"
            if cur.failed_at is not None:
                cur.undos = list(reversed(cur.body[: cur.failed_at]))
    stage = "done" if cur is None else cur.stage
    if stage == "done":
        if s.op != NONCE:
            raise _Reject(i, Rule.EXPECT_NONCE)
        if kind == 1 and intents:
            raise _Reject(i, Rule.ONE_INTENT)
        cur = _Intent(sender=s.account, nonce=s.arg0)
        intents.append(cur)
        return cur
    assert cur is not None
    if stage == "fee" and s.op != FEE:
        raise _Reject(i, Rule.EXPECT_FEE)
    if stage == "body1" and s.op not in BODY_OPS:
        raise _Reject(i, Rule.EXPECT_BODY)
    if stage == "undo":
        if cur.undos and s.op != UNDO:
            raise _Reject(i, Rule.EXPECT_UNDO)
        if not cur.undos and s.op != REFUND:
            raise _Reject(i, Rule.EXPECT_REFUND)
    if stage == "reward" and s.op != REWARD:
        raise _Reject(i, Rule.EXPECT_REWARD)
    return cur


def _semantics(cur: _Intent, s: _Step, i: int, coinbase: int) -> None:
    """Account, status, gas, amounts and the leaf after; then advance the intent."""

    def need(cond: bool, rule: Rule) -> None:
        if not cond:
            raise _Reject(i, rule)

    op = s.op
    if op in (FEE, DEBIT, REFUND):
        need(s.account == cur.sender, Rule.ACCOUNT)
    elif op == REWARD:
        need(s.account == coinbase, Rule.ACCOUNT)
    elif op == UNDO:
        target = cur.undos[0]
        need(s.account == target.account, Rule.ACCOUNT)
        need(s.arg0 == target.arg0 and s.arg1 == target.op, Rule.UNDO_OPERANDS)

    bal, nonce = s.balance_before, s.nonce_before
    status, gas = OK, cur.gas
    new_bal, new_nonce = bal, nonce
    if op == NONCE:
        status = OK if nonce == s.arg0 else BAD_NONCE
        gas = 0
    elif op == FEE:
        fee = s.arg0 * s.arg1
        if cur.dead:
            status = SKIPPED
        elif s.arg0 < G_INTRINSIC:
            status = INTRINSIC_GAS
        elif fee > U64 or fee > bal or nonce == U64:
            status = CANNOT_PAY_FEE
        else:
            gas = s.arg0 - G_INTRINSIC
            new_bal, new_nonce = bal - fee, nonce + 1
    elif op in BODY_OPS:
        if cur.dead or cur.failed_at is not None:
            status = SKIPPED
        elif cur.gas < G_BODY:
            status, gas = OUT_OF_GAS, 0
        else:
            gas = cur.gas - G_BODY
            new_bal = bal - s.arg0 if op == DEBIT else bal + s.arg0
            if new_bal < 0:
                status, new_bal = INSUFFICIENT, bal
            elif new_bal > U64:
                status, new_bal = OVERFLOW, bal
    elif op == UNDO:
        new_bal = bal + s.arg0 if s.arg1 == DEBIT else bal - s.arg0
    need(s.status == status, Rule.STATUS)
    need(s.gas_left == gas, Rule.GAS)
    if op == REFUND:
        need(s.arg0 == cur.gas * cur.gas_price, Rule.AMOUNT)
    elif op == REWARD:
        need(s.arg0 == (cur.gas_limit - cur.gas) * cur.gas_price, Rule.AMOUNT)
    if op in (REFUND, REWARD):
        new_bal = bal + s.arg0
    need(0 <= new_bal <= U64, Rule.ARITH)
    need((s.balance_after, s.nonce_after) == (new_bal, new_nonce), Rule.LEAF_AFTER)

    # advance the program (only once every check of the step passed: Merkle
    # failures raise before the next step, so the order does not matter)
    cur.gas = gas
    if op == NONCE:
        cur.dead = status != OK
        cur.stage = "fee"
    elif op == FEE:
        cur.gas_limit, cur.gas_price = s.arg0, s.arg1
        cur.dead = cur.dead or status != OK
        cur.stage = "body1"
    elif op in BODY_OPS:
        if status not in (OK, SKIPPED):
            cur.failed_at = len(cur.body)
        cur.body.append(s)
        cur.stage = "body"
    elif op == UNDO:
        cur.undos.pop(0)
    elif op == REFUND:
        cur.stage = "reward"
    else:
        cur.stage = "done"
