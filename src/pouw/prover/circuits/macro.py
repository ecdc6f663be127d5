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
from ...zk.constraint_system import LinearCombination, LinearLike, Variable, as_lc
from .builder import CircuitBuilder, CompiledCircuit
from .leaf import leaf_hash

__all__ = ["CASES", "ACCOUNTS", "transfer_block", "build_macro", "build_full"]

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


def transfer_block(
    b: CircuitBuilder,
    depth: int,
    prefix: str,
    pre_root: LinearLike,
    coinbase_bits: list[Variable],
    enabled: LinearLike = 1,
) -> tuple[LinearCombination, LinearCombination, LinearCombination]:
    """One transfer intent from ``pre_root``; its inputs are named ``prefix + name``.

    Returns ``(post_root, fee, digest)``.  ``enabled`` (a boolean; the constant 1
    for Macro) switches the block off: no case flag is set, nothing is opened
    or charged, and ``post_root`` is ``pre_root`` (a Full batch's padding)."""
    cs = b.cs
    f = {name: b.input(f"{prefix}case.{name}") for name in CASES}
    sender, recipient = b.input(f"{prefix}sender"), b.input(f"{prefix}recipient")
    amount, nonce = b.input(f"{prefix}amount"), b.input(f"{prefix}nonce")
    gas_limit, gas_price = b.input(f"{prefix}gas_limit"), b.input(f"{prefix}gas_price")
    leaf = {
        who: (
            b.input(f"{prefix}{who}.owner"),
            b.input(f"{prefix}{who}.balance"),
            b.input(f"{prefix}{who}.nonce"),
            [b.input(f"{prefix}{who}.sibling{lv}") for lv in range(depth)],
        )
        for who in ACCOUNTS
    }
    inv_nonce = b.input(f"{prefix}advice.nonce_inverse")
    r = [b.input(f"{prefix}advice.r{k}") for k in range(1, 9)]

    def at(part: str) -> str:
        return prefix + part

    for name, v in f.items():
        g.boolean(cs, v, at(f"case.{name}"))
    cs.enforce(sum((v for v in f.values()), cs.constant(0)), 1, enabled, at("one case"))
    charged = (
        f["debit_out_of_gas"]
        + f["insufficient_balance"]
        + f["credit_out_of_gas"]
        + f["overflow"]
        + f["ok"]
    )
    for k, x in enumerate(r, start=1):
        g.range_check(cs, x, 64, at(f"range.r{k}"))
    r1, r2, r3, r4, r5, r6, r7, r8 = r
    s_owner, s_bal, s_nonce, s_sibs = leaf["sender"]
    r_owner, r_bal, r_nonce, r_sibs = leaf["recipient"]
    c_owner, c_bal, c_nonce, c_sibs = leaf["coinbase"]

    # NONCE
    b.zero_if(1 - f["bad_nonce"], s_nonce - nonce, at("nonce.ok"))
    cs.enforce(s_nonce - nonce, inv_nonce, f["bad_nonce"], at("nonce.bad"))
    # FEE
    cost = b.mul(gas_limit, gas_price, at("fee.cost"))
    at_max = g.is_zero(cs, s_nonce - U64_MAX, at("nonce.max"))
    b.zero_if(charged, at_max, at("fee.nonce"))
    priced_out = b.mul(f["cannot_pay_fee"], 1 - at_max, at("fee.priced_out"))
    b.zero_if(f["intrinsic_gas"], r1 - (INTRINSIC_GAS - 1 - gas_limit), at("r1.intrinsic"))
    b.zero_if(f["cannot_pay_fee"] + charged, r1 - (gas_limit - INTRINSIC_GAS), at("r1.gas"))
    paid = s_bal - cost  # the sender's balance after FEE, when charged
    b.zero_if(charged, r2 - paid, at("r2.paid"))
    b.zero_if(priced_out, r2 + TWO64 * r3 - (cost - s_bal - 1), at("r2.cost"))
    gas1 = gas_limit - INTRINSIC_GAS
    # DEBIT
    past_debit_gas = f["insufficient_balance"] + f["credit_out_of_gas"] + f["overflow"] + f["ok"]
    b.zero_if(f["debit_out_of_gas"], r4 - (OP_GAS - 1 - gas1), at("r4.out_of_gas"))
    b.zero_if(past_debit_gas, r4 - (gas1 - OP_GAS), at("r4.gas"))
    debited = f["credit_out_of_gas"] + f["overflow"] + f["ok"]
    b.zero_if(f["insufficient_balance"], r5 - (amount - paid - 1), at("r5.insufficient"))
    b.zero_if(debited, r5 - (paid - amount), at("r5.balance"))
    # CREDIT, at the recipient's balance at that moment
    to_self = g.is_equal(cs, recipient, sender, at("to_self"))
    at_credit = r_bal + b.mul(to_self, paid - amount - r_bal, at("credit.balance"))
    b.zero_if(f["credit_out_of_gas"], r6 - (2 * OP_GAS - 1 - gas1), at("r6.out_of_gas"))
    b.zero_if(f["overflow"] + f["ok"], r6 - (gas1 - 2 * OP_GAS), at("r6.gas"))
    b.zero_if(f["overflow"], r7 - (at_credit + amount - TWO64), at("r7.overflow"))
    b.zero_if(f["ok"], r7 - (at_credit + amount), at("r7.balance"))
    # REFUND and REWARD
    left = f["insufficient_balance"] + f["overflow"] + f["ok"]  # the gas left is not 0
    gas_left = (
        b.mul(left, gas1, at("gas.left"))
        - OP_GAS * f["insufficient_balance"]
        - 2 * OP_GAS * (f["overflow"] + f["ok"])
    )
    refund = b.mul(gas_left, gas_price, at("refund"))
    fee = b.mul(charged, cost, at("fee.charged")) - refund
    moved = b.mul(f["ok"], amount, at("moved"))
    b.zero_if(charged, r8 - (c_bal + fee), at("r8.reward"))

    # the three updates
    s_after = (s_bal - b.mul(charged, cost, at("sender.fee")) - moved + refund, s_nonce + charged)
    r_after = (r_bal + moved, r_nonce)
    c_after = (c_bal + fee, c_nonce)
    bits = {
        "sender": g.to_bits(cs, sender, depth, at("sender")),
        "recipient": g.to_bits(cs, recipient, depth, at("recipient")),
        "coinbase": coinbase_bits,
    }
    roots = []
    for who, (owner, bal, n, sibs), after in zip(
        ACCOUNTS, leaf.values(), (s_after, r_after, c_after), strict=True
    ):
        zero = g.is_zero(cs, owner, at(f"{who}.owner_zero"))
        before_leaf = leaf_hash(b, owner, zero, bal, n, at(f"{who}.before"))
        after_leaf = leaf_hash(b, owner, zero, after[0], after[1], at(f"{who}.after"))
        roots.append(
            g.merkle_update(
                cs,
                before_leaf,
                after_leaf,
                bits[who],
                sibs,
                bits_are_boolean=True,
                name=at(f"{who}.path"),
            )
        )
    (s_old, s_new), (r_old, r_new), (c_old, c_new) = roots
    b.zero_if(enabled, s_old - pre_root, at("pre_root"))
    b.zero_if(enabled, r_old - s_new, at("recipient.opens"))
    b.zero_if(charged, c_old - r_new, at("coinbase.opens"))
    post = r_new + b.mul(charged, c_new - r_new, at("post"))
    if not (isinstance(enabled, int) and enabled == 1):
        post = _lc(pre_root) + b.mul(enabled, post - pre_root, at("enabled"))
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
        at("digest"),
    )
    return post, fee, digest


@functools.cache
def build_macro(depth: int) -> CompiledCircuit:
    """The Macro (transfer) circuit for a state tree of ``depth`` levels (built once per depth)."""
    b = CircuitBuilder()
    pub = b.publics
    coinbase_bits = g.to_bits(b.cs, pub["coinbase"], depth, "coinbase")
    post, fee, digest = transfer_block(b, depth, "", pub["pre_root"], coinbase_bits)
    g.assert_equal(b.cs, pub["post_root"], post, "post_root")
    g.assert_equal(b.cs, pub["fee"], fee, "fee")
    g.assert_equal(b.cs, pub["digest"], digest, "digest")
    return b.compile(f"macro(depth={depth})")


@functools.cache
def build_full(depth: int, n: int) -> CompiledCircuit:
    """The Full circuit: a batch of up to ``n`` transfers at ``depth`` (built once per pair).

    Block ``k`` is on when the boolean input ``enabled{k}`` is; the blocks that
    are on are a prefix (the batch's intents in order, then padding), the first
    always.  The digest chains the intent digests of the blocks that are on
    (:func:`~.statement.batch_digest`), the fee is their sum."""
    if n < 1:
        raise ValueError(f"a Full batch holds at least one intent, got n = {n}")
    b = CircuitBuilder()
    cs, pub = b.cs, b.publics
    coinbase_bits = g.to_bits(cs, pub["coinbase"], depth, "coinbase")
    enabled = [b.input(f"enabled{k}") for k in range(n)]
    root: LinearCombination = _lc(pub["pre_root"])
    fees: LinearCombination = cs.constant(0)
    chain: LinearCombination = cs.constant(0)
    for k, on in enumerate(enabled):
        if k == 0:
            g.assert_equal(cs, on, 1, "enabled0")
        else:
            g.boolean(cs, on, f"enabled{k}")
            b.zero_if(on, 1 - enabled[k - 1], f"enabled{k}.prefix")
        root, fee, digest = transfer_block(b, depth, f"b{k}.", root, coinbase_bits, on)
        fees = fees + fee
        link = g.poseidon(cs, [chain, digest], f"b{k}.chain")
        chain = chain + b.mul(on, link - chain, f"b{k}.chained")
    g.assert_equal(cs, pub["post_root"], root, "post_root")
    g.assert_equal(cs, pub["fee"], fees, "fee")
    g.assert_equal(cs, pub["digest"], chain, "digest")
    return b.compile(f"full(depth={depth}, n={n})")


def _lc(x: LinearLike) -> LinearCombination:
    lc = as_lc(x)
    if lc is None:
        raise TypeError(f"expected a linear combination or an int, got {type(x).__name__}")
    return lc
