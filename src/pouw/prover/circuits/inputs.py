"""From a trace to a circuit's input values and the statement it proves.

The values are Python ints, a few dozen per step (no Python per constraint:
the witness program computes the rest natively).  Every function here first
requires a trace the native checker accepts (the mock prover's check): the
circuits prove statements about valid traces only, and a trace with a broken
rule has no statement to prove (:class:`~pouw.errors.ProofError`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import ProofError
from ...isa import INTRINSIC_GAS, Op
from ...isa import StepStatus as S
from ...merkle import leaf_hash, node_hash
from ...zk.field import R
from ..check import require_valid
from .macro import CASES as MACRO_CASES
from .micro import CASES
from .statement import (
    PUBLIC_NAMES,
    Statement,
    batch_digest,
    intent_digest,
    job_field,
    root_field,
    step_digest,
)

if TYPE_CHECKING:
    from ...trace import ExecutionTrace

__all__ = [
    "Step",
    "steps_of",
    "intents_of",
    "micro_values",
    "micro_advice",
    "macro_values",
    "full_values",
]

OP_GAS = 5000
_CASE_OF: dict[tuple[int, int], list[str]] = {}
for _name, _op, _st in CASES:
    _CASE_OF.setdefault((_op, _st), []).append(_name)


@dataclass(frozen=True)
class Step:
    """One step of a trace, as integers (roots and siblings as field elements)."""

    op: int
    status: int
    account: int
    arg0: int
    arg1: int
    gas_before: int
    gas_after: int
    owner: int
    balance_before: int
    nonce_before: int
    balance_after: int
    nonce_after: int
    siblings: tuple[int, ...]
    root_before: int
    root_after: int


def _field(raw: bytes, what: str) -> int:
    x = int.from_bytes(raw, "big")
    if x >= R:
        raise ProofError(f"{what} is not a field element: the circuits prove Poseidon traces")
    return x


#: The steps of the last few traces, by trace hash: a Micro job per step asks for
#: the same trace's steps once per step (decoding and checking them each time
#: made one intent's Micro statements quadratic in its steps).
_STEPS_CACHE = 16
_steps: OrderedDict[str, list[Step]] = OrderedDict()
_steps_lock = threading.Lock()


def steps_of(trace: ExecutionTrace) -> list[Step]:
    """Every step of a valid Poseidon trace (ProofError otherwise)."""
    key = trace.trace_hash
    with _steps_lock:
        hit = _steps.get(key)
        if hit is not None:
            _steps.move_to_end(key)
            return list(hit)
    out = _decode_steps(trace)
    with _steps_lock:
        _steps[key] = out
        while len(_steps) > _STEPS_CACHE:
            _steps.popitem(last=False)
    return list(out)


def _decode_steps(trace: ExecutionTrace) -> list[Step]:
    if trace.hash != "poseidon":
        raise ProofError(f"the circuits prove Poseidon-state traces, this one is {trace.hash!r}")
    require_valid(trace.to_bytes(), trace.trace_hash)
    c = trace.columns()
    cols = [
        c[k].tolist()
        for k in (
            "op",
            "status",
            "account",
            "arg0",
            "arg1",
            "gas_left",
            "balance_before",
            "nonce_before",
            "balance_after",
            "nonce_after",
        )
    ]
    owners, paths, roots = c["owner"], c["path"], c["root_after"]
    prev_root = root_field(trace.pre_root)
    out: list[Step] = []
    gas = 0
    for i in range(trace.n_steps):
        op, st, acct, a0, a1, gl, bb, nb, ba, na = (col[i] for col in cols)
        if op == Op.NONCE:
            gas = 0  # each intent starts with no gas
        root = _field(bytes(roots[i]), f"step {i}'s root")
        sibs = tuple(
            _field(bytes(paths[i][lv]), f"step {i}'s sibling {lv}") for lv in range(trace.depth)
        )
        out.append(
            Step(
                op,
                st,
                acct,
                a0,
                a1,
                gas,
                gl,
                _field(bytes(owners[i]), "an owner"),
                bb,
                nb,
                ba,
                na,
                sibs,
                prev_root,
                root,
            )
        )
        gas, prev_root = gl, root
    return out


def _inverse(x: int) -> int:
    """1/x mod r, or 0 (a claim the constraints then refuse)."""
    return pow(x, -1, R) if x % R else 0


def _case(s: Step) -> str:
    names = _CASE_OF.get((s.op, s.status))
    if not names:
        raise ProofError(f"no Micro case for op {s.op} with status {s.status}")
    if s.op == Op.UNDO:
        return "undo_credit" if s.arg1 == Op.CREDIT else "undo_debit"
    return names[0]


def micro_advice(s: Step) -> dict[str, int]:
    """The Micro circuit's advice for a step: the range units and the nonce inverse."""
    r1 = r2 = r3 = 0
    case = _case(s)
    bal, a0, gas = s.balance_before, s.arg0, s.gas_before
    if case == "fee_intrinsic":
        r1 = INTRINSIC_GAS - 1 - a0
    elif case in ("fee_cannot_pay", "fee_ok"):
        r1 = a0 - INTRINSIC_GAS
    elif case.endswith("out_of_gas"):
        r1 = OP_GAS - 1 - gas
    elif case in ("debit_ok", "debit_insufficient", "credit_ok", "credit_overflow"):
        r1 = gas - OP_GAS
    if case in ("fee_ok", "debit_ok", "credit_ok", "undo_debit", "undo_credit", "refund", "reward"):
        r2 = s.balance_after
    elif case == "debit_insufficient":
        r2 = a0 - bal - 1
    elif case == "credit_overflow":
        r2 = bal + a0 - (1 << 64)
    elif case == "fee_cannot_pay" and s.nonce_before != (1 << 64) - 1:
        d = a0 * s.arg1 - bal - 1
        r2, r3 = d & ((1 << 64) - 1), d >> 64
    inv = _inverse(s.nonce_before - a0) if case == "nonce_bad" else 0
    return {
        "advice.r1": r1 % R,
        "advice.r2": r2 % R,
        "advice.r3": r3 % R,
        "advice.nonce_inverse": inv,
    }


def micro_values(
    trace: ExecutionTrace, step: int, job_id: str | None = None
) -> tuple[dict[str, int], Statement]:
    """The Micro circuit's input values for step ``step`` of ``trace``, and its statement."""
    steps = steps_of(trace)
    if not 0 <= step < len(steps):
        raise ProofError(f"the trace has {len(steps)} steps, no step {step}")
    s = steps[step]
    case = _case(s)
    st = Statement(
        pre_root=s.root_before,
        post_root=s.root_after,
        digest=step_digest(s.op, s.status, s.account, s.arg0, s.arg1, s.gas_before, s.gas_after),
        fee=s.arg0 if s.op == Op.REWARD else 0,
        coinbase=trace.coinbase,
        job=job_field(job_id),
    )
    values = _publics(st)
    values.update({f"case.{name}": int(name == case) for name, _, _ in CASES})
    values.update(
        account=s.account,
        arg0=s.arg0,
        arg1=s.arg1,
        gas_before=s.gas_before,
        owner=s.owner,
        balance=s.balance_before,
        nonce=s.nonce_before,
    )
    values.update({f"sibling{lv}": x for lv, x in enumerate(s.siblings)})
    values.update(micro_advice(s))
    return values, st


# ------------------------------------------------------------------ Macro


def _node(left: int, right: int) -> int:
    return int.from_bytes(
        node_hash(left.to_bytes(32, "big"), right.to_bytes(32, "big"), "poseidon"), "big"
    )


def _leaf(owner: int, balance: int, nonce: int) -> int:
    return int.from_bytes(leaf_hash(owner.to_bytes(32, "big"), balance, nonce, "poseidon"), "big")


def intents_of(steps: list[Step]) -> list[list[Step]]:
    """The steps split into intents (each starts at its NONCE)."""
    out: list[list[Step]] = []
    for s in steps:
        if s.op == Op.NONCE:
            out.append([])
        out[-1].append(s)
    return out


#: (step of the transfer, status) -> the Macro case, in the VM's order of checks.
_TRANSFER_FAILURES = (
    (0, S.BAD_NONCE, "bad_nonce"),
    (1, S.INTRINSIC_GAS, "intrinsic_gas"),
    (1, S.CANNOT_PAY_FEE, "cannot_pay_fee"),
    (2, S.OUT_OF_GAS, "debit_out_of_gas"),
    (2, S.INSUFFICIENT_BALANCE, "insufficient_balance"),
    (3, S.OUT_OF_GAS, "credit_out_of_gas"),
    (3, S.OVERFLOW, "overflow"),
)


def _transfer_case(steps: list[Step]) -> str:
    for i, status, case in _TRANSFER_FAILURES:
        if steps[i].status == status:
            return case
    return "ok"


def transfer_fields(steps: list[Step]) -> tuple[int, int, int, int, int, int]:
    """``(sender, recipient, amount, nonce, gas_limit, gas_price)`` of one intent's
    steps; ProofError if the program is not a transfer (the Macro circuit proves
    transfers, the only intent the node makes)."""
    ops = [s.op for s in steps[:4]]
    if (
        len(steps) < 4
        or ops != [Op.NONCE, Op.FEE, Op.DEBIT, Op.CREDIT]
        or (len(steps) > 4 and steps[4].op not in (Op.UNDO, Op.REFUND))
    ):
        raise ProofError("the Macro circuit proves transfers: NONCE, FEE, DEBIT, CREDIT")
    n, fee, debit, credit = steps[:4]
    if debit.account != n.account or debit.arg0 != credit.arg0:
        raise ProofError("the Macro circuit proves transfers: DEBIT(sender, a), CREDIT(to, a)")
    return n.account, credit.account, debit.arg0, n.arg0, fee.arg0, fee.arg1


def macro_values(
    steps: list[Step], coinbase: int, job: int = 0, prefix: str = ""
) -> tuple[dict[str, int], Statement]:
    """The Macro circuit's input values for one transfer intent's steps, and its
    statement (``prefix``: a Full block's, before every private input's name)."""
    sender, recipient, amount, nonce, gl, gp = transfer_fields(steps)
    case = _transfer_case(steps)
    first, credit = steps[0], steps[3]
    reward = steps[-1] if steps[-1].op == Op.REWARD else None
    charged = reward is not None
    fee = reward.arg0 if reward else 0
    cost = gl * gp
    s_bal, s_nonce = first.balance_before, first.nonce_before
    paid = s_bal - cost
    gas1 = gl - INTRINSIC_GAS
    gas_left = {
        "insufficient_balance": gas1 - OP_GAS,
        "overflow": gas1 - 2 * OP_GAS,
        "ok": gas1 - 2 * OP_GAS,
    }.get(case, 0)
    refund = gas_left * gp
    moved = amount if case == "ok" else 0
    s_final = (paid - moved + refund, s_nonce + 1) if charged else (s_bal, s_nonce)
    # the recipient's leaf and path after the sender's update
    r_sibs = list(credit.siblings)
    if recipient == sender:
        r_leaf = (first.owner, *s_final)
        r_sibs = list(first.siblings)
    else:
        r_leaf = (credit.owner, credit.balance_before, credit.nonce_before)
        top = (recipient ^ sender).bit_length() - 1  # where the two paths meet
        h = _leaf(first.owner, *s_final)
        for lv in range(top):
            sib = first.siblings[lv]
            h = _node(sib, h) if (sender >> lv) & 1 else _node(h, sib)
        r_sibs[top] = h
    at_credit = paid - amount if recipient == sender else credit.balance_before
    if reward:
        c_leaf, c_sibs = (reward.owner, reward.balance_before, reward.nonce_before), reward.siblings
    else:
        c_leaf, c_sibs = (0, 0, 0), (0,) * len(first.siblings)

    r = [0] * 9
    if case == "intrinsic_gas":
        r[1] = INTRINSIC_GAS - 1 - gl
    elif case != "bad_nonce":
        r[1] = gl - INTRINSIC_GAS
    if charged:
        r[2] = paid
        r[4] = OP_GAS - 1 - gas1 if case == "debit_out_of_gas" else gas1 - OP_GAS
        if case == "insufficient_balance":
            r[5] = amount - paid - 1
        elif case != "debit_out_of_gas":
            r[5] = paid - amount
            r[6] = 2 * OP_GAS - 1 - gas1 if case == "credit_out_of_gas" else gas1 - 2 * OP_GAS
            if case == "overflow":
                r[7] = at_credit + amount - (1 << 64)
            elif case == "ok":
                r[7] = at_credit + amount
        r[8] = reward.balance_before + fee if reward else 0
    elif case == "cannot_pay_fee" and s_nonce != (1 << 64) - 1:
        d = cost - s_bal - 1
        r[2], r[3] = d & ((1 << 64) - 1), d >> 64

    st = Statement(
        pre_root=first.root_before,
        post_root=steps[-1].root_after,
        digest=intent_digest(
            sender, nonce, gl, gp, [(Op.DEBIT, sender, amount), (Op.CREDIT, recipient, amount)]
        ),
        fee=fee,
        coinbase=coinbase,
        job=job,
    )
    values: dict[str, int] = {}
    values.update({f"case.{name}": int(name == case) for name in MACRO_CASES})
    values.update(
        sender=sender, recipient=recipient, amount=amount, nonce=nonce, gas_limit=gl, gas_price=gp
    )
    for who, (owner, bal, n), sibs in (
        ("sender", (first.owner, s_bal, s_nonce), first.siblings),
        ("recipient", r_leaf, r_sibs),
        ("coinbase", c_leaf, c_sibs),
    ):
        values.update({f"{who}.owner": owner, f"{who}.balance": bal, f"{who}.nonce": n})
        values.update({f"{who}.sibling{lv}": x for lv, x in enumerate(sibs)})
    values["advice.nonce_inverse"] = _inverse(s_nonce - nonce) if case == "bad_nonce" else 0
    values.update({f"advice.r{k}": r[k] % R for k in range(1, 9)})
    if prefix:
        values = {prefix + k: v for k, v in values.items()}
    else:
        values.update(_publics(st))
    return values, st


def _publics(st: Statement) -> dict[str, int]:
    return dict(zip(PUBLIC_NAMES, st.public_inputs(), strict=True))


def full_values(
    steps: list[Step], coinbase: int, n: int, job: int = 0
) -> tuple[dict[str, int], Statement]:
    """The Full circuit's input values for a batch's steps (1..``n`` transfer
    intents; the blocks past them are padding, all zero and switched off)."""
    intents = intents_of(steps)
    if not 1 <= len(intents) <= n:
        raise ProofError(f"this Full circuit proves batches of 1..{n} intents, got {len(intents)}")
    values: dict[str, int] = {}
    digests, fee = [], 0
    for k, part in enumerate(intents):
        v, st = macro_values(part, coinbase, job, prefix=f"b{k}.")
        values.update(v)
        values[f"enabled{k}"] = 1
        digests.append(st.digest)
        fee += st.fee
    pad = _padding(len(intents[0][0].siblings))
    for k in range(len(intents), n):
        values.update({f"b{k}.{name}": 0 for name in pad})
        values[f"enabled{k}"] = 0
    st = Statement(
        pre_root=intents[0][0].root_before,
        post_root=intents[-1][-1].root_after,
        digest=batch_digest(digests),
        fee=fee,
        coinbase=coinbase,
        job=job,
    )
    values.update(_publics(st))
    return values, st


def _padding(depth: int) -> list[str]:
    """The input names of one transfer block (all zero in a padding block)."""
    names = [f"case.{name}" for name in MACRO_CASES]
    names += ["sender", "recipient", "amount", "nonce", "gas_limit", "gas_price"]
    for who in ("sender", "recipient", "coinbase"):
        names += [f"{who}.owner", f"{who}.balance", f"{who}.nonce"]
        names += [f"{who}.sibling{lv}" for lv in range(depth)]
    names.append("advice.nonce_inverse")
    names += [f"advice.r{k}" for k in range(1, 9)]
    return names
