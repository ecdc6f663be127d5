"""Traces built straight from docs/vm-and-trace.md, for the tests of the checker and the
circuits: split/join/tamper of the canonical encoding, and a tiny spec-following
VM (:class:`SpecVM`) for the paths the node never takes (a CREDIT overflow, a
nonce that cannot advance, general bodies)."""

from __future__ import annotations

import struct

from blake3 import blake3

from pouw.isa import Op, batch_id, intent_id
from pouw.merkle import SparseMerkleTree, leaf_hash
from pouw.trace import COLUMNS

U64 = (1 << 64) - 1
N = Op.NONCE
COLS = COLUMNS  # the encoding's column order


# --- the canonical encoding, split into steps and joined back -----------------


def width(col: str, depth: int) -> int:
    return {
        "op": 1,
        "status": 1,
        "account": 4,
        "owner": 32,
        "root_after": 32,
        "path": 32 * depth,
    }.get(col, 8)


def split(data: bytes) -> tuple[bytearray, list[dict]]:
    """Header and one dict of field values per step (ints, or bytes for hashes)."""
    depth, n = data[6], struct.unpack_from("<I", data, 8)[0]
    header, pos, cols = bytearray(data[:80]), 80, {}
    for col in COLS:
        w = width(col, depth)
        raw = [data[pos + i * w : pos + (i + 1) * w] for i in range(n)]
        cols[col] = raw if w >= 32 else [int.from_bytes(r, "little") for r in raw]
        pos += n * w
    return header, [{c: cols[c][i] for c in COLS} for i in range(n)]


def join(header: bytearray, steps: list[dict]) -> bytes:
    """Re-encode with a consistent n_steps."""
    depth = header[6]
    out = bytearray(header)
    out[8:12] = struct.pack("<I", len(steps))
    for col in COLS:
        w = width(col, depth)
        for s in steps:
            v = s[col]
            out += v if isinstance(v, (bytes, bytearray)) else v.to_bytes(w, "little")
    return bytes(out)


def tamper(data: bytes, i: int, **fields) -> bytes:
    header, steps = split(data)
    steps[i].update(fields)
    return join(header, steps)


def ops(data: bytes) -> list[tuple[int, int]]:
    return [(s["op"], s["status"]) for s in split(data)[1]]


# --- a tiny spec-following builder (for paths the node never takes) -----------


class SpecVM:
    """Executes intent programs exactly as docs/vm-and-trace.md says, at a small depth."""

    def __init__(self, depth: int = 8, coinbase: int = 1, hash: str = "blake3") -> None:
        self.depth, self.coinbase, self.hash = depth, coinbase, hash
        self.tree = SparseMerkleTree(depth, hash)
        self.acct: dict[int, list] = {}

    def put(self, i: int, balance: int, nonce: int = 0) -> None:
        owner = blake3(b"owner %d" % i).digest()
        if self.hash == "poseidon":  # an owner is a field element there
            owner = bytes([owner[0] & 0x1F]) + owner[1:]
        self.acct[i] = [owner, balance, nonce]
        self.tree.set_leaf(i, leaf_hash(owner, balance, nonce, self.hash))

    def _step(self, op, status, i, a0, a1, gas, bal=None, nonce=None) -> dict:
        owner, bb, nb = self.acct.setdefault(i, [bytes(32), 0, 0])
        path = self.tree.path(i)
        ba, na = (bb if bal is None else bal), (nb if nonce is None else nonce)
        self.acct[i][1:] = [ba, na]
        self.tree.set_leaf(i, leaf_hash(owner, ba, na, self.hash))
        values = (op, status, i, a0, a1, gas, owner, bb, nb, ba, na, path, self.tree.root)
        return dict(zip(COLS, values, strict=True))

    def intent(self, sender, nonce, limit, price, body) -> tuple[list[dict], str]:
        steps, bal = [], lambda i: self.acct.get(i, [0, 0, 0])[1]
        ok = self.acct.get(sender, [0, 0, 0])[2] == nonce
        steps.append(self._step(N, 0 if ok else 1, sender, nonce, 0, 0))
        broke = limit * price > bal(sender) or self.acct[sender][2] == U64  # nonce cannot advance
        fee_st = 7 if not ok else 2 if limit < 21000 else 3 if broke else 0
        if fee_st == 0:
            paid = bal(sender) - limit * price
            steps.append(
                self._step(Op.FEE, 0, sender, limit, price, limit - 21000, paid, nonce + 1)
            )
        else:
            steps.append(self._step(Op.FEE, fee_st, sender, limit, price, 0))
        gas, failed, done = (limit - 21000 if fee_st == 0 else 0), fee_st != 0, []
        for op, i, amount in body:
            if failed:
                steps.append(self._step(op, 7, i, amount, 0, gas))
            elif gas < 5000:
                gas, failed = 0, True
                steps.append(self._step(op, 5, i, amount, 0, 0))
            else:
                gas -= 5000
                new = bal(i) - amount if op == Op.DEBIT else bal(i) + amount
                if 0 <= new <= U64:
                    steps.append(self._step(op, 0, i, amount, 0, gas, new))
                    done.append((op, i, amount))
                else:
                    failed = True
                    steps.append(self._step(op, 4 if new < 0 else 6, i, amount, 0, gas))
        if fee_st == 0:
            if failed:
                for op, i, amount in reversed(done):
                    back = bal(i) + amount if op == Op.DEBIT else bal(i) - amount
                    steps.append(self._step(Op.UNDO, 0, i, amount, op, gas, back))
            steps.append(
                self._step(Op.REFUND, 0, sender, gas * price, 0, gas, bal(sender) + gas * price)
            )
            r = (limit - gas) * price
            steps.append(self._step(Op.REWARD, 0, self.coinbase, r, 0, gas, bal(self.coinbase) + r))
        return steps, intent_id(sender, nonce, limit, price, list(body))

    def trace(self, programs: list[tuple], kind: int | None = None) -> bytes:
        pre_root = self.tree.root
        steps, ids = [], []
        for program in programs:
            s, iid = self.intent(*program)
            steps += s
            ids.append(iid)
        kind = kind or (1 if len(programs) == 1 else 2)
        hid = ids[0] if kind == 1 else batch_id(ids)
        coinbase = self.coinbase if any(s["op"] == Op.REWARD for s in steps) else 0
        if self.hash == "blake3":  # version 1: what BLAKE3 traces were, still valid
            fields = (b"PWTR", 1, self.depth, kind, 0, coinbase, pre_root, bytes.fromhex(hid))
            header = bytearray(struct.pack("<4sHBBII32s32s", *fields))
        else:  # version 2, hash id 1
            head = (b"PWTR", 2, 1, self.depth, kind, 0, coinbase, pre_root, bytes.fromhex(hid))
            header = bytearray(struct.pack("<4sBBBBII32s32s", *head))
        return join(header, steps)


def spec_vm(hash: str = "blake3") -> SpecVM:
    vm = SpecVM(hash=hash)
    vm.put(1, 0)  # the coinbase
    vm.put(2, 10**12)
    vm.put(3, U64 - 10)  # a whale: credits overflow
    vm.put(4, 50_000)
    vm.put(6, 10**9, nonce=U64)  # its nonce cannot advance
    return vm


def transfer(sender, nonce, to, amount, limit=50_000, price=1):
    return (sender, nonce, limit, price, [(Op.DEBIT, sender, amount), (Op.CREDIT, to, amount)])


SPEC_PROGRAMS = {
    "ok": [transfer(2, 0, 4, 1000)],
    "bad_nonce": [transfer(2, 5, 4, 1000)],
    "intrinsic_gas": [transfer(2, 0, 4, 1000, limit=20_999)],
    "cannot_pay_fee": [transfer(4, 0, 2, 1, limit=50_001)],
    "fee_overflows_u64": [transfer(2, 0, 4, 1, limit=1 << 40, price=1 << 30)],
    "nonce_exhausted": [transfer(6, U64, 2, 1)],
    "insufficient_balance": [transfer(4, 0, 2, 10**9)],
    "out_of_gas_undo": [
        (2, 0, 30_000, 2, [(Op.DEBIT, 2, 5), (Op.CREDIT, 4, 5), (Op.CREDIT, 3, 1)])
    ],
    "credit_overflow_undo": [
        (
            2,
            0,
            60_000,
            1,
            [(Op.DEBIT, 2, 7), (Op.CREDIT, 4, 3), (Op.CREDIT, 3, 11), (Op.DEBIT, 2, 1)],
        )
    ],
    "transfer_to_self": [transfer(2, 0, 2, 77)],
    "transfer_overflow": [transfer(2, 0, 3, 11)],
    "transfer_credit_out_of_gas": [transfer(2, 0, 4, 5, limit=30_999)],
    "transfer_debit_out_of_gas": [transfer(2, 0, 4, 5, limit=25_999)],
    "transfer_to_the_coinbase": [transfer(2, 0, 1, 9)],
    "credit_to_empty": [transfer(2, 0, 200, 5)],
    "batch": [
        transfer(2, 0, 4, 10),
        transfer(4, 0, 2, 1),
        transfer(2, 9, 4, 1),
        transfer(2, 1, 4, 10**13),
        transfer(2, 2, 5, 3),
    ],
    "batch_of_dead_intents": [transfer(2, 3, 4, 1), transfer(4, 0, 2, 1, limit=100)],
}
