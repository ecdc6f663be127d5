"""The Macro circuit: one transfer intent, each touched account updated once.

Statement (:mod:`.statement`): the roots before and after the intent,
:func:`~.statement.intent_digest` of the transfer (sender, nonce, gas limit
and price, ``DEBIT(sender, amount)``, ``CREDIT(recipient, amount)``), the fee
charged (``fee_charged``, the ``REWARD`` amount), the coinbase and the job.

The intent's steps (docs/vm-and-trace.md) touch the sender (NONCE, FEE, DEBIT,
UNDO, REFUND), the recipient (CREDIT) and the coinbase (REWARD).  The circuit
applies the sender's net change as one leaf update, then the recipient's, then
the coinbase's (three Merkle updates instead of one per step: the statement is
the same, since nothing in between is public).  Accounts may coincide: the
recipient's update opens the state after the sender's (so a transfer to
oneself reads the sender's new leaf), and the CREDIT's overflow check uses the
recipient's balance *at the CREDIT*, which for a transfer to oneself is the
sender's balance after the DEBIT, exactly as the VM sees it.

The outcome is one of eight case flags (:data:`CASES`: which step failed, and
how, or none); every status the VM can give a transfer is one, and each is
proven by range units (64-bit advice values) holding the difference that
must be non-negative: ``gas_limit - 21000`` or ``20999 - gas_limit``, the
balance minus the cost or the cost minus the balance (128 bits, two units),
the gas against 5000 at the DEBIT and at the CREDIT, the balance against the
amount, the recipient's balance plus the amount against 2^64, and the
coinbase's new balance.  When no fee is charged (NONCE or FEE failed) nothing
changes and the coinbase's update is switched off (its path is not checked).
"""

from __future__ import annotations

import functools

from ...isa import INTRINSIC_GAS, U64_MAX, Op
from ...zk import gadgets as g
from .builder import CircuitBuilder, CompiledCircuit
from .leaf import leaf_hash

__all__ = ["CASES", "build_macro", "ACCOUNTS"]

#: The outcome of a transfer: none failed, or the step that failed and how.
CASES = (
    "bad_nonce",
    "intrinsic_gas",
    "cannot_pay_fee",
    "debit_out_of_gas",
    "insufficient_balance",
    "credit_out_of_gas",
    "overflow",
    "ok",
)
#: The accounts a transfer touches, in the order the circuit updates them.
ACCOUNTS = ("sender", "recipient", "coinbase")
OP_GAS = 5000
TWO64 = 1 << 64


@functools.cache
def build_macro(depth: int) -> CompiledCircuit:
    """The Macro (transfer) circuit for a state tree of ``depth`` levels (built once per depth)."""
    b = CircuitBuilder()
    cs, pub = b.cs, b.publics
    f = {name: b.input(f"case.{name}") for name in CASES}
    sender, recipient, amount = b.input("sender"), b.input("recipient"), b.input("amount")
    nonce, gas_limit, gas_price = b.input("nonce"), b.input("gas_limit"), b.input("gas_price")
    leaf = {
        who: (
            b.input(f"{who}.owner"),
            b.input(f"{who}.balance"),
            b.input(f"{who}.nonce"),
            [b.input(f"{who}.sibling{lv}") for lv in range(depth)],
        )
        for who in ACCOUNTS
    }
    inv_nonce = b.input("advice.nonce_inverse")
    r = [b.input(f"advice.r{k}") for k in range(1, 9)]

    for name, v in f.items():
        g.boolean(cs, v, f"case.{name}")
    cs.enforce(sum((v for v in f.values()), cs.constant(0)), 1, 1, "one case")
    charged = (
        f["debit_out_of_gas"]
        + f["insufficient_balance"]
        + f["credit_out_of_gas"]
        + f["overflow"]
        + f["ok"]
    )
    for k, x in enumerate(r, start=1):
        g.range_check(cs, x, 64, f"range.r{k}")
    r1, r2, r3, r4, r5, r6, r7, r8 = r
    s_owner, s_bal, s_nonce, s_sibs = leaf["sender"]
    r_owner, r_bal, r_nonce, r_sibs = leaf["recipient"]
    c_owner, c_bal, c_nonce, c_sibs = leaf["coinbase"]

    # NONCE
    b.zero_if(1 - f["bad_nonce"], s_nonce - nonce, "nonce.ok")
    cs.enforce(s_nonce - nonce, inv_nonce, f["bad_nonce"], "nonce.bad")
    # FEE
    cost = b.mul(gas_limit, gas_price, "fee.cost")
    at_max = g.is_zero(cs, s_nonce - U64_MAX, "nonce.max")
    b.zero_if(charged, at_max, "fee.nonce")
    priced_out = b.mul(f["cannot_pay_fee"], 1 - at_max, "fee.priced_out")
    b.zero_if(f["intrinsic_gas"], r1 - (INTRINSIC_GAS - 1 - gas_limit), "r1.intrinsic")
    b.zero_if(f["cannot_pay_fee"] + charged, r1 - (gas_limit - INTRINSIC_GAS), "r1.gas_limit")
    paid = s_bal - cost  # the sender's balance after FEE, when charged
    b.zero_if(charged, r2 - paid, "r2.paid")
    b.zero_if(priced_out, r2 + TWO64 * r3 - (cost - s_bal - 1), "r2.cost")
    gas1 = gas_limit - INTRINSIC_GAS
    # DEBIT
    past_debit_gas = f["insufficient_balance"] + f["credit_out_of_gas"] + f["overflow"] + f["ok"]
    b.zero_if(f["debit_out_of_gas"], r4 - (OP_GAS - 1 - gas1), "r4.out_of_gas")
    b.zero_if(past_debit_gas, r4 - (gas1 - OP_GAS), "r4.gas")
    debited = f["credit_out_of_gas"] + f["overflow"] + f["ok"]
    b.zero_if(f["insufficient_balance"], r5 - (amount - paid - 1), "r5.insufficient")
    b.zero_if(debited, r5 - (paid - amount), "r5.balance")
    # CREDIT, at the recipient's balance at that moment
    to_self = g.is_equal(cs, recipient, sender, "to_self")
    at_credit = r_bal + b.mul(to_self, paid - amount - r_bal, "credit.balance")
    b.zero_if(f["credit_out_of_gas"], r6 - (2 * OP_GAS - 1 - gas1), "r6.out_of_gas")
    b.zero_if(f["overflow"] + f["ok"], r6 - (gas1 - 2 * OP_GAS), "r6.gas")
    b.zero_if(f["overflow"], r7 - (at_credit + amount - TWO64), "r7.overflow")
    b.zero_if(f["ok"], r7 - (at_credit + amount), "r7.balance")
    # REFUND and REWARD
    left = f["insufficient_balance"] + f["overflow"] + f["ok"]  # the gas left is not 0
    gas_left = (
        b.mul(left, gas1, "gas.left")
        - OP_GAS * f["insufficient_balance"]
        - 2 * OP_GAS * (f["overflow"] + f["ok"])
    )
    refund = b.mul(gas_left, gas_price, "refund")
    fee = b.mul(charged, cost, "fee.charged") - refund
    g.assert_equal(cs, pub["fee"], fee, "fee")
    moved = b.mul(f["ok"], amount, "moved")
    b.zero_if(charged, r8 - (c_bal + fee), "r8.reward")

    # the three updates
    s_after = (s_bal - b.mul(charged, cost, "sender.fee") - moved + refund, s_nonce + charged)
    r_after = (r_bal + moved, r_nonce)
    c_after = (c_bal + fee, c_nonce)
    bits = {
        "sender": g.to_bits(cs, sender, depth, "sender"),
        "recipient": g.to_bits(cs, recipient, depth, "recipient"),
        "coinbase": g.to_bits(cs, pub["coinbase"], depth, "coinbase"),
    }
    roots = []
    for who, (owner, bal, n, sibs), after in zip(
        ACCOUNTS, leaf.values(), (s_after, r_after, c_after), strict=True
    ):
        zero = g.is_zero(cs, owner, f"{who}.owner_zero")
        before_leaf = leaf_hash(b, owner, zero, bal, n, f"{who}.before")
        after_leaf = leaf_hash(b, owner, zero, after[0], after[1], f"{who}.after")
        roots.append(
            g.merkle_update(
                cs,
                before_leaf,
                after_leaf,
                bits[who],
                sibs,
                bits_are_boolean=True,
                name=f"{who}.path",
            )
        )
    (s_old, s_new), (r_old, r_new), (c_old, c_new) = roots
    g.assert_equal(cs, pub["pre_root"], s_old, "pre_root")
    g.assert_equal(cs, r_old, s_new, "recipient.opens")
    b.zero_if(charged, c_old - r_new, "coinbase.opens")
    post = r_new + b.mul(charged, c_new - r_new, "post")
    g.assert_equal(cs, pub["post_root"], post, "post_root")

    digest = g.poseidon(
        cs,
        [
            sender,
            nonce,
            gas_limit,
            gas_price,
            Op.DEBIT + 8 * sender,
            amount,
            Op.CREDIT + 8 * recipient,
            amount,
        ],
        "digest",
    )
    g.assert_equal(cs, pub["digest"], digest, "digest")
    return b.compile(f"macro(depth={depth})")
