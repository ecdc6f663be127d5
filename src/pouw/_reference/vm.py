"""Pure-Python oracle of ``pouw._native.vm``: same names, same trace bytes, written
straight from docs/vm-and-trace.md with dicts, Python ints, struct and the blake3 package."""

from __future__ import annotations

import struct

from . import merkle

SUPPLY_LIMIT = 1 << 63
U64_MAX = (1 << 64) - 1
NONCE, FEE, DEBIT, CREDIT, UNDO, REFUND, REWARD = range(1, 8)
(
    OK,
    BAD_NONCE,
    INTRINSIC_GAS,
    CANNOT_PAY_FEE,
    INSUFFICIENT_BALANCE,
    OUT_OF_GAS,
    OVERFLOW,
    SKIPPED,
) = range(8)
INTRINSIC, OP_GAS = 21000, 5000
MAX_STEPS = 1 << 20
_ZERO = bytes(32)


class AccountTable:
    def __init__(self, depth: int = 20, hash: str = "blake3") -> None:
        self.tree = merkle.SparseMerkleTree(depth, hash)
        self.accounts: dict[int, tuple[bytes, int, int]] = {}
        self.total_supply = 0

    @property
    def depth(self) -> int:
        return self.tree.depth

    @property
    def root(self) -> bytes:
        return self.tree.root

    @property
    def hash(self) -> str:
        return self.tree.hash

    def __len__(self) -> int:
        return len(self.accounts)

    def get(self, index: int) -> tuple[bytes, int, int]:
        if not 0 <= index < (1 << self.depth):
            raise ValueError("account index out of range")
        return self.accounts.get(index, (_ZERO, 0, 0))

    def _store(self, index: int, owner: bytes, balance: int, nonce: int) -> tuple[bytes, bytes]:
        if owner == _ZERO and balance == 0 and nonce == 0:
            self.accounts.pop(index, None)
        else:
            self.accounts[index] = (owner, balance, nonce)
        return self.tree.update_leaf(index, merkle.leaf_hash(owner, balance, nonce, self.hash))

    def set(self, index: int, owner: bytes, balance: int, nonce: int) -> None:
        supply = self.total_supply - self.get(index)[1] + balance
        if supply >= SUPPLY_LIMIT:
            raise ValueError("total supply must stay below 2^63")
        self._store(index, owner, balance, nonce)
        self.total_supply = supply

    def set_range(self, start: int, owners: bytes, balance: int, nonce: int = 0) -> None:
        for k in range(len(owners) // 32):
            self.set(start + k, owners[32 * k : 32 * k + 32], balance, nonce)

    def leaf_hash(self, index: int) -> bytes:
        return self.tree.get_leaf_hash(index)

    def path(self, index: int) -> bytes:
        return self.tree.path(index)

    def copy(self) -> AccountTable:
        other = AccountTable(self.depth, self.hash)
        other.tree = self.tree.copy()
        other.accounts = dict(self.accounts)
        other.total_supply = self.total_supply
        return other


def apply_op(op: int, arg0: int, arg1: int, balance: int, nonce: int, gas_left: int):
    """``(status, balance, nonce, gas_left)`` after one op, per the spec's table."""
    if op == NONCE:
        return (OK if nonce == arg0 else BAD_NONCE), balance, nonce, gas_left
    if op == FEE:
        if arg0 < INTRINSIC:
            return INTRINSIC_GAS, balance, nonce, gas_left
        cost = arg0 * arg1
        if cost > U64_MAX or cost > balance or nonce == U64_MAX:
            return CANNOT_PAY_FEE, balance, nonce, gas_left
        return OK, balance - cost, nonce + 1, arg0 - INTRINSIC
    if op in (DEBIT, CREDIT):
        if gas_left < OP_GAS:
            return OUT_OF_GAS, balance, nonce, 0
        gas_left -= OP_GAS
        if op == DEBIT:
            if balance < arg0:
                return INSUFFICIENT_BALANCE, balance, nonce, gas_left
            return OK, balance - arg0, nonce, gas_left
        if balance + arg0 > U64_MAX:
            return OVERFLOW, balance, nonce, gas_left
        return OK, balance + arg0, nonce, gas_left
    if op == UNDO:
        return OK, (balance + arg0 if arg1 == DEBIT else balance - arg0), nonce, gas_left
    return OK, balance + arg0, nonce, gas_left  # REFUND, REWARD


def _parse(programs: bytes, n_intents: int, depth: int) -> list:
    out, off, limit = [], 0, 1 << depth
    for _ in range(n_intents):
        sender, nonce, gl, gp, nb = struct.unpack_from("<IQQQI", programs, off)
        off += 32
        body = [struct.unpack_from("<BIQ", programs, off + 13 * j) for j in range(nb)]
        off += 13 * nb
        if sender >= limit or nb == 0:
            raise ValueError("bad program")
        for op, acct, _ in body:
            if op not in (DEBIT, CREDIT) or acct >= limit or (op == DEBIT and acct != sender):
                raise ValueError("bad body op")
        out.append((sender, nonce, gl, gp, body))
    if off != len(programs):
        raise ValueError("trailing bytes after the last program")
    return out


def execute(state, coinbase, programs, n_intents, header_id, kind, with_trace=True):
    """Same contract as ``pouw._native.vm.execute``."""
    depth = state.depth
    if state.total_supply >= SUPPLY_LIMIT or not 0 <= coinbase < (1 << depth):
        raise ValueError("bad state or coinbase")
    intents = _parse(programs, n_intents, depth)
    if sum(2 * len(p[4]) + 3 for p in intents) > MAX_STEPS:
        raise ValueError("too many steps")
    pre_root = state.root
    rows: list[tuple] = []

    def step(op, acct, arg0, arg1, skip, gas):
        owner, bal, nonce = state.get(acct)
        if skip:
            st, b2, n2, gas2 = SKIPPED, bal, nonce, gas
        else:
            st, b2, n2, gas2 = apply_op(op, arg0, arg1, bal, nonce, gas)
        if st == OK and (b2, n2) != (bal, nonce):
            path, root = state._store(acct, owner, b2, n2)
        else:
            b2, n2 = bal, nonce
            path, root = state.path(acct), state.root
        rows.append((op, st, acct, arg0, arg1, gas2, owner, bal, nonce, b2, n2, path, root))
        return st, gas2

    results = []
    for sender, nonce, gl, gp, body in intents:
        first, gas = len(rows), 0
        fail, gas = step(NONCE, sender, nonce, 0, False, gas)
        st, gas = step(FEE, sender, gl, gp, fail != OK, gas)
        fail = fail or st
        charged, done = fail == OK, 0
        for op, acct, arg0 in body:
            st, gas = step(op, acct, arg0, 0, fail != OK, gas)
            if fail == OK:
                if st == OK:
                    done += 1
                else:
                    fail = st
        used = fee = 0
        if charged:
            if fail:
                for op, acct, arg0 in reversed(body[:done]):
                    _, gas = step(UNDO, acct, arg0, op, False, gas)
            _, gas = step(REFUND, sender, gas * gp, 0, False, gas)
            used, fee = gl - gas, (gl - gas) * gp
            _, gas = step(REWARD, coinbase, fee, 0, False, gas)
        results.append((fail, len(rows) - first, used, fee, state.root))

    if not with_trace:
        return None, pre_root, results
    n = len(rows)
    # a trace without a REWARD step has coinbase 0 (nothing else would bind it)
    if not any(r[0] == REWARD for r in rows):
        coinbase = 0
    hash_id = ("blake3", "poseidon").index(state.hash)
    out = [
        b"PWTR",
        struct.pack("<BBBBII", 2, hash_id, depth, kind, n, coinbase),
        pre_root,
        header_id,
    ]
    for c, fmt in enumerate(["<B", "<B", "<I", "<Q", "<Q", "<Q", None, "<Q", "<Q", "<Q", "<Q"]):
        out.extend(r[c] if fmt is None else struct.pack(fmt, r[c]) for r in rows)
    out.extend(r[11] for r in rows)
    out.extend(r[12] for r in rows)
    return b"".join(out), pre_root, results
