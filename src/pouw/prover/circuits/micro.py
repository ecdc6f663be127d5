"""The Micro circuit: one step of a trace (one instruction: one leaf read or update).

Statement (:mod:`.statement`): the root before the step, the root after it,
:func:`~.statement.step_digest` of the step (its op, status, account, operands
and the gas before and after it), the fee (the amount of a ``REWARD`` step, 0
otherwise), the coinbase (a ``REWARD`` step's account must be it) and the job.

The circuit encodes the step's rules of docs/vm-and-trace.md for every
``(op, status)`` a valid trace can hold: one boolean *case* flag per pair
(:data:`CASES`, exactly one set), so the op and status are linear in the flags
and a pair the VM never writes has no flag.  What depends on the rest of the
intent (which op comes next, the gas before, REFUND and REWARD amounts, which
account a body op may touch, unused operands being 0) is in the digest, which
the verifier recomputes from the intent; what depends on the state is proven
here against the leaf, opened by a Merkle update of ``depth`` levels.

Comparisons: three 64-bit range units ``r1, r2, r3`` (advice inputs, each
decomposed into bits) take whichever difference the case needs to be
non-negative (``gas - 5000`` or ``4999 - gas``, ``balance - amount`` or
``amount - balance - 1``, ...); ``r2 + 2^64 r3`` is the one 128-bit difference
(a fee ``gas_limit * gas_price`` above the balance).  A balance after a
successful change is ``r2`` itself, so it is proven below 2^64.  Balances and
nonces *before* the step are below 2^64 because the pre-root is a valid state
(every leaf was written by a proven step or the genesis).
"""

from __future__ import annotations

import functools

from ...isa import INTRINSIC_GAS, U64_MAX, Op
from ...isa import StepStatus as S
from ...zk import gadgets as g
from .builder import CircuitBuilder, CompiledCircuit
from .leaf import leaf_hash

__all__ = ["CASES", "build_micro", "micro_constraints"]

D = Op.DEBIT
#: Every (op, status) a valid trace holds, with UNDO split by the op it undoes
#: (its arg1): the case flags, in order.
CASES: tuple[tuple[str, int, int], ...] = (
    ("nonce_ok", Op.NONCE, S.OK),
    ("nonce_bad", Op.NONCE, S.BAD_NONCE),
    ("fee_ok", Op.FEE, S.OK),
    ("fee_intrinsic", Op.FEE, S.INTRINSIC_GAS),
    ("fee_cannot_pay", Op.FEE, S.CANNOT_PAY_FEE),
    ("fee_skipped", Op.FEE, S.SKIPPED),
    ("debit_ok", Op.DEBIT, S.OK),
    ("debit_insufficient", Op.DEBIT, S.INSUFFICIENT_BALANCE),
    ("debit_out_of_gas", Op.DEBIT, S.OUT_OF_GAS),
    ("debit_skipped", Op.DEBIT, S.SKIPPED),
    ("credit_ok", Op.CREDIT, S.OK),
    ("credit_overflow", Op.CREDIT, S.OVERFLOW),
    ("credit_out_of_gas", Op.CREDIT, S.OUT_OF_GAS),
    ("credit_skipped", Op.CREDIT, S.SKIPPED),
    ("undo_debit", Op.UNDO, S.OK),
    ("undo_credit", Op.UNDO, S.OK),
    ("refund", Op.REFUND, S.OK),
    ("reward", Op.REWARD, S.OK),
)
OP_GAS = 5000
TWO64 = 1 << 64


def micro_constraints(depth: int) -> int:
    """The Micro circuit's constraint count at ``depth`` (builds it)."""
    return build_micro(depth).n_constraints


@functools.cache
def build_micro(depth: int) -> CompiledCircuit:
    """The Micro circuit for a state tree of ``depth`` levels (built once per depth)."""
    b = CircuitBuilder()
    cs, pub = b.cs, b.publics
    f = {name: b.input(f"case.{name}") for name, _, _ in CASES}
    account = b.input("account")
    arg0, arg1, gas = b.input("arg0"), b.input("arg1"), b.input("gas_before")
    owner, bal, nonce = b.input("owner"), b.input("balance"), b.input("nonce")
    sibs = [b.input(f"sibling{level}") for level in range(depth)]
    inv_nonce = b.input("advice.nonce_inverse")
    r1, r2, r3 = b.input("advice.r1"), b.input("advice.r2"), b.input("advice.r3")

    # one case: booleans, exactly one set; op and status are linear in them
    for name, v in f.items():
        g.boolean(cs, v, f"case.{name}")
    cs.enforce(sum((v for v in f.values()), cs.constant(0)), 1, 1, "one case")
    op = sum((v * o for (name, o, _), v in zip(CASES, f.values(), strict=True)), cs.constant(0))
    status = sum((v * s for (name, _, s), v in zip(CASES, f.values(), strict=True)), cs.constant(0))
    bits = g.to_bits(cs, account, depth, "account")

    oog = f["debit_out_of_gas"] + f["credit_out_of_gas"]
    charged = f["debit_ok"] + f["debit_insufficient"] + f["credit_ok"] + f["credit_overflow"]
    gas_after = (
        gas
        + b.mul(f["fee_ok"], arg0 - INTRINSIC_GAS - gas, "gas.fee")
        - b.mul(oog, gas, "gas.oog")
        - OP_GAS * charged
    )

    cost = b.mul(arg0, arg1, "fee.cost")  # gas_limit * gas_price < 2^128: no wrap
    credit = f["credit_ok"] + f["refund"] + f["reward"] + f["undo_debit"]
    debit = f["debit_ok"] + f["undo_credit"]
    bal_after = bal - b.mul(f["fee_ok"], cost, "fee.charge") + b.mul(credit - debit, arg0, "move")
    nonce_after = nonce + f["fee_ok"]

    # NONCE: equal, or provably different
    b.zero_if(f["nonce_ok"], nonce - arg0, "nonce.ok")
    cs.enforce(nonce - arg0, inv_nonce, f["nonce_bad"], "nonce.bad")
    # UNDO's arg1 names the undone op
    undo = f["undo_debit"] + f["undo_credit"]
    cs.enforce(undo, arg1 - D - f["undo_credit"], 0, "undo.arg1")
    # FEE: the nonce must be able to advance; CANNOT_PAY is that or a cost above the balance
    at_max = g.is_zero(cs, nonce - U64_MAX, "nonce.max")
    b.zero_if(f["fee_ok"], at_max, "fee.nonce")
    priced_out = b.mul(f["fee_cannot_pay"], 1 - at_max, "fee.priced_out")

    # the range units and what each case asks of them
    for name, r in (("r1", r1), ("r2", r2), ("r3", r3)):
        g.range_check(cs, r, 64, f"range.{name}")
    b.zero_if(f["fee_intrinsic"], r1 - (INTRINSIC_GAS - 1 - arg0), "r1.intrinsic")
    b.zero_if(f["fee_cannot_pay"] + f["fee_ok"], r1 - (arg0 - INTRINSIC_GAS), "r1.gas_limit")
    b.zero_if(oog, r1 - (OP_GAS - 1 - gas), "r1.out_of_gas")
    b.zero_if(charged, r1 - (gas - OP_GAS), "r1.gas")
    changed = f["fee_ok"] + credit + debit
    b.zero_if(changed, r2 - bal_after, "r2.balance_after")
    b.zero_if(f["debit_insufficient"], r2 - (arg0 - bal - 1), "r2.insufficient")
    b.zero_if(f["credit_overflow"], r2 - (bal + arg0 - TWO64), "r2.overflow")
    b.zero_if(priced_out, r2 + TWO64 * r3 - (cost - bal - 1), "r2.cost")

    # the leaf before and after, and the path that opens both
    owner_zero = g.is_zero(cs, owner, "owner.zero")
    before = leaf_hash(b, owner, owner_zero, bal, nonce, "leaf.before")
    after = leaf_hash(b, owner, owner_zero, bal_after, nonce_after, "leaf.after")
    old_root, new_root = g.merkle_update(
        cs, before, after, bits, sibs, bits_are_boolean=True, name="path"
    )
    g.assert_equal(cs, pub["pre_root"], old_root, "pre_root")
    g.assert_equal(cs, pub["post_root"], new_root, "post_root")

    code = op + 8 * status + 64 * account
    digest = g.poseidon(cs, [code, arg0, arg1, gas, gas_after], "digest")
    g.assert_equal(cs, pub["digest"], digest, "digest")
    cs.enforce(f["reward"], arg0, pub["fee"], "fee")
    b.zero_if(f["reward"], account - pub["coinbase"], "coinbase")
    return b.compile(f"micro(depth={depth})")
