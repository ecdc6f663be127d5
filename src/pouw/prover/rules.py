"""The rules a trace can break, by the codes the constraint checkers report.

Codes are stable: the C checker (``_native/csrc/constraints.h``) and the
Python oracle (``pouw._reference.constraints``) both return them, and the
mock prover's error messages name them; a new rule is appended. The checks
run in the order of the codes within a step (ranges, sequencing, semantics,
Merkle), so the first failing rule of a step is the lowest code that fails;
see docs/vm-and-trace.md. The header rules (step -1) come in this order:
MALFORMED before any step; after every step has passed (and INCOMPLETE),
COINBASE_UNUSED, then INTENT_ID or BATCH_ID.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["Rule", "HEADER_STEP"]

#: The ``step`` reported for a rule about the header rather than a step.
HEADER_STEP = -1


class Rule(IntEnum):
    """A constraint of docs/vm-and-trace.md; ``.text`` states it in one line."""

    OK = 0
    MALFORMED = 1
    OP_RANGE = 2
    STATUS_RANGE = 3
    ACCOUNT_RANGE = 4
    ARG1_UNUSED = 5
    EXPECT_NONCE = 6
    EXPECT_FEE = 7
    EXPECT_BODY = 8
    EXPECT_UNDO = 9
    EXPECT_REFUND = 10
    EXPECT_REWARD = 11
    ONE_INTENT = 12
    ACCOUNT = 13
    UNDO_OPERANDS = 14
    STATUS = 15
    GAS = 16
    AMOUNT = 17
    ARITH = 18
    LEAF_AFTER = 19
    MERKLE_BEFORE = 20
    MERKLE_AFTER = 21
    INCOMPLETE = 22
    INTENT_ID = 23
    BATCH_ID = 24
    NO_SPACE = 25
    COINBASE_UNUSED = 26

    @property
    def text(self) -> str:
        """The rule, stated in one line."""
        return _TEXTS[self]


_TEXTS = {
    Rule.OK: "every constraint holds",
    Rule.MALFORMED: "not a canonical version-1 trace (magic, version, depth, kind, n_steps, coinbase or length)",
    Rule.OP_RANGE: "op is not 1..7",
    Rule.STATUS_RANGE: "status is not 0..7",
    Rule.ACCOUNT_RANGE: "account is not below 2^depth",
    Rule.ARG1_UNUSED: "arg1 is not 0 for an op that does not use it",
    Rule.EXPECT_NONCE: "an intent must start with NONCE",
    Rule.EXPECT_FEE: "NONCE must be followed by FEE on the same account",
    Rule.EXPECT_BODY: "FEE must be followed by at least one DEBIT or CREDIT",
    Rule.EXPECT_UNDO: "an UNDO is due for a successful body op of a failed intent",
    Rule.EXPECT_REFUND: "REFUND must follow the body and its UNDOs",
    Rule.EXPECT_REWARD: "REFUND must be followed by REWARD",
    Rule.ONE_INTENT: "a kind-1 trace holds exactly one intent",
    Rule.ACCOUNT: "account is not the one the program gives (sender, coinbase or the undone op's)",
    Rule.UNDO_OPERANDS: "UNDO does not reverse the last successful body op not yet undone (amount or op)",
    Rule.STATUS: "status is not what the rules give for this op, leaf and gas",
    Rule.GAS: "gas_left is not what the gas rules give",
    Rule.AMOUNT: "REFUND/REWARD amount is not gas_left*gas_price / (gas_limit-gas_left)*gas_price",
    Rule.ARITH: "an UNDO, REFUND or REWARD would overflow or underflow",
    Rule.LEAF_AFTER: "the leaf after is not the effect of the op",
    Rule.MERKLE_BEFORE: "the leaf before folded up the path is not the root before",
    Rule.MERKLE_AFTER: "the leaf after folded up the path is not root_after",
    Rule.INCOMPLETE: "the trace ends inside an intent",
    Rule.INTENT_ID: "the header's intent_id is not the intent's id",
    Rule.BATCH_ID: "the header's intent_id is not the batch id",
    Rule.NO_SPACE: "the caller's pre-image buffer is too small (a bug in the caller)",
    Rule.COINBASE_UNUSED: "a trace without a REWARD step has coinbase 0",
}
