"""The trace circuits (Micro: one step; Macro: one transfer) against the mock prover's checker.

Every step or intent the checker accepts gives a witness that satisfies its
circuit (checked natively, constraint by constraint); a prover that claims
another outcome, another amount or another path has none.  Traces come from
the executor (generated streams, hypothesis) and from the spec builder of
``spec_traces`` (every status, including those the node never reaches).
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pouw.errors import ProofError
from pouw.isa import Op, StepStatus
from pouw.node.executor import Executor
from pouw.node.intents import Transfer, generate_intents
from pouw.node.state import AccountState
from pouw.prover.circuits import statement as stm
from pouw.prover.circuits.inputs import (
    full_values,
    intents_of,
    macro_values,
    micro_advice,
    micro_values,
    steps_of,
)
from pouw.prover.circuits.macro import CASES as MACRO_CASES
from pouw.prover.circuits.macro import build_full, build_macro
from pouw.prover.circuits.micro import CASES as MICRO_CASES
from pouw.prover.circuits.micro import build_micro
from pouw.trace import ExecutionTrace
from pouw.zk.field import R
from pouw.zk.poseidon import poseidon
from spec_traces import SPEC_PROGRAMS, spec_vm

DEPTH = 6
N_ACCOUNTS = 14


def satisfied(circuit, values) -> bool:
    return circuit.first_violation(circuit.witness(values)) is None


@pytest.fixture(scope="module")
def spec_traces() -> dict[str, ExecutionTrace]:
    return {
        name: ExecutionTrace.from_bytes(spec_vm("poseidon").trace(programs))
        for name, programs in SPEC_PROGRAMS.items()
    }


@pytest.fixture(scope="module")
def executed() -> list[ExecutionTrace]:
    state = AccountState.genesis(N_ACCOUNTS, depth=DEPTH, hash="poseidon")
    ex = Executor(coinbase=3)
    intents = list(generate_intents(150, 5, n_accounts=N_ACCOUNTS))
    return [ex.execute_intent_with_trace(t, state)[1] for t in intents]


# ------------------------------------------------------------------ sizes


def test_constraint_counts_at_depth_20_are_pinned_and_within_budget() -> None:
    micro, macro = build_micro(20), build_macro(20)
    assert micro.n_constraints == 10_753 <= 11_000
    assert macro.n_constraints == 31_545 <= 32_000
    # with the QAP's public rows the Macro circuit fits a 2^15 domain
    assert macro.n_constraints + len(stm.PUBLIC_NAMES) + 1 <= 1 << 15
    assert micro.r1cs.n_public == macro.r1cs.n_public == 6


def test_circuits_are_built_once_per_depth_and_differ_by_depth() -> None:
    assert build_micro(DEPTH) is build_micro(DEPTH)
    assert build_micro(DEPTH).digest != build_micro(DEPTH + 1).digest
    assert build_macro(DEPTH).digest not in (
        build_micro(DEPTH).digest,
        build_macro(DEPTH + 1).digest,
    )


# ------------------------------------------------------------------ statement


def test_statement_digests_are_the_documented_poseidon_hashes() -> None:
    assert stm.step_code(Op.CREDIT, StepStatus.OVERFLOW, 5) == 4 + 8 * 6 + 64 * 5
    assert stm.step_digest(1, 0, 2, 3, 0, 0, 0) == poseidon([1 + 128, 3, 0, 0, 0])
    body = [(Op.DEBIT, 2, 7), (Op.CREDIT, 9, 7)]
    assert stm.intent_digest(2, 1, 50_000, 3, body) == poseidon(
        [2, 1, 50_000, 3, 3 + 16, 7, 4 + 72, 7]
    )
    assert stm.batch_digest([5, 6]) == poseidon([poseidon([0, 5]), 6])
    assert stm.job_field(None) == 0
    assert stm.job_field("ff" * 32) == (1 << 253) - 1
    with pytest.raises(ValueError):
        stm.job_field("xyz")
    with pytest.raises(ValueError):
        stm.intent_digest(1, 0, 0, 0, [])
    with pytest.raises(ValueError):
        stm.root_field(R.to_bytes(32, "big"))


def test_a_blake3_trace_is_refused() -> None:
    state = AccountState.genesis(4, depth=DEPTH)
    trace = Executor(coinbase=0).execute_intent_with_trace(Transfer(0, 1, 5, 0), state)[1]
    with pytest.raises(ProofError, match="Poseidon"):
        steps_of(trace)


def test_a_trace_the_checker_refuses_has_no_statement(executed) -> None:
    data = bytearray(executed[0].to_bytes())
    data[-1] ^= 1  # the last root
    with pytest.raises(ProofError, match="breaks a constraint"):
        steps_of(ExecutionTrace.from_bytes(bytes(data)))


# ------------------------------------------------------------------ Micro


def every_step(traces):
    for t in traces:
        for i, s in enumerate(steps_of(t)):
            yield t, i, s


def test_micro_accepts_every_step_of_every_status(spec_traces, executed) -> None:
    circuit = build_micro(8)
    seen = set()
    for t, i, s in every_step(spec_traces.values()):
        values, _ = micro_values(t, i)
        assert satisfied(circuit, values), (i, s.op, s.status)
        seen.add((s.op, s.status, s.arg1 if s.op == Op.UNDO else 0))
    expected = {(op, status, 0) for _, op, status in MICRO_CASES if op != Op.UNDO}
    expected |= {(Op.UNDO, StepStatus.OK, Op.DEBIT), (Op.UNDO, StepStatus.OK, Op.CREDIT)}
    assert seen == expected
    circuit = build_micro(DEPTH)
    for t, i, _ in every_step(executed[:40]):
        assert satisfied(circuit, micro_values(t, i)[0])


def test_micro_statement_is_the_step(executed) -> None:
    t = executed[0]
    steps = steps_of(t)
    for i, s in enumerate(steps):
        _, st_ = micro_values(t, i, "ab" * 32)
        assert st_.pre_root == (stm.root_field(t.pre_root) if i == 0 else steps[i - 1].root_after)
        assert st_.post_root == s.root_after
        assert st_.digest == stm.step_digest(
            s.op,
            s.status,
            s.account,
            s.arg0,
            s.arg1,
            steps[i - 1].gas_after if i else 0,
            s.gas_after,
        )
        assert st_.fee == (s.arg0 if s.op == Op.REWARD else 0)
        assert st_.job == stm.job_field("ab" * 32)
    with pytest.raises(ProofError, match="no step"):
        micro_values(t, len(steps))


def _claim(values: dict, case: str, step) -> dict:
    """``values`` with the case flag moved to ``case`` and the advice such a prover would give."""
    out = dict(values)
    out.update({f"case.{n}": int(n == case) for n, _, _ in MICRO_CASES})
    _, op, status = next(c for c in MICRO_CASES if c[0] == case)
    fake = dataclasses.replace(step, status=status)
    out.update(micro_advice(fake))
    return out


def test_micro_refuses_every_other_outcome_of_a_step(spec_traces) -> None:
    circuit = build_micro(8)
    checked = 0
    for t, i, s in every_step(spec_traces.values()):
        values, _ = micro_values(t, i)
        for name, op, _status in MICRO_CASES:
            if op != s.op or values[f"case.{name}"]:
                continue
            assert not satisfied(circuit, _claim(values, name, s)), (i, s.op, s.status, name)
            checked += 1
    assert checked > 50


@pytest.mark.parametrize(
    ("field", "delta"),
    [
        ("pre_root", 1),
        ("post_root", 1),
        ("digest", 1),
        ("fee", 1),
        ("coinbase", 1),
        ("balance", 1),
        ("nonce", 1),
        ("owner", 1),
        ("sibling0", 1),
        ("sibling3", 1),
        ("arg0", 1),
        ("gas_before", 1),
        ("account", 1),
    ],
)
def test_micro_refuses_a_changed_value(spec_traces, field, delta) -> None:
    circuit = build_micro(8)
    t = spec_traces["ok"]
    reward = len(steps_of(t)) - 1  # a REWARD step: fee and coinbase are bound there
    # (at another step the coinbase is a public input no constraint reads: the
    # proof binds it all the same, through the QAP's public rows)
    for i in (2, reward) if field != "coinbase" else (reward,):  # the DEBIT and the REWARD
        values, _ = micro_values(t, i)
        values[field] = (values[field] + delta) % R
        assert not satisfied(circuit, values), (field, i)


def test_micro_refuses_an_overdraft(spec_traces) -> None:
    """A DEBIT claimed OK for more than the balance: the new balance is no u64."""
    circuit = build_micro(8)
    t = spec_traces["insufficient_balance"]
    i, s = next((i, s) for i, s in enumerate(steps_of(t)) if s.op == Op.DEBIT)
    values, _ = micro_values(t, i)
    fake = dataclasses.replace(s, status=StepStatus.OK, balance_after=s.balance_before - s.arg0)
    forged = _claim(values, "debit_ok", fake)
    forged["advice.r2"] = (s.balance_before - s.arg0) % R
    assert not satisfied(circuit, forged)


# ------------------------------------------------------------------ Macro


def every_transfer(traces):
    for t in traces:
        for steps in intents_of(steps_of(t)):
            if [s.op for s in steps[:4]] == [Op.NONCE, Op.FEE, Op.DEBIT, Op.CREDIT] and (
                len(steps) == 4 or steps[4].op in (Op.UNDO, Op.REFUND)
            ):
                yield t, steps


def test_macro_accepts_every_transfer_outcome(spec_traces, executed) -> None:
    circuit = build_macro(8)
    cases = set()
    for t, steps in every_transfer(spec_traces.values()):
        values, _ = macro_values(steps, t.coinbase)
        assert satisfied(circuit, values), [(s.op, s.status) for s in steps]
        cases.add(next(n for n in MACRO_CASES if values[f"case.{n}"]))
    assert cases == set(MACRO_CASES)
    circuit = build_macro(DEPTH)
    for t, steps in every_transfer(executed):
        assert satisfied(circuit, macro_values(steps, t.coinbase)[0])


def test_macro_statement_is_the_intent(executed) -> None:
    for t in executed[:30]:
        (steps,) = intents_of(steps_of(t))
        _, st_ = macro_values(steps, t.coinbase, 7)
        s = steps[0]
        assert st_.pre_root == stm.root_field(t.pre_root)
        assert st_.post_root == stm.root_field(t.post_root)
        amount, to = steps[2].arg0, steps[3].account
        assert st_.digest == stm.intent_digest(
            s.account,
            s.arg0,
            steps[1].arg0,
            steps[1].arg1,
            [(Op.DEBIT, s.account, amount), (Op.CREDIT, to, amount)],
        )
        assert st_.fee == (steps[-1].arg0 if steps[-1].op == Op.REWARD else 0)
        assert st_.coinbase == t.coinbase and st_.job == 7


def test_macro_refuses_a_general_program(spec_traces) -> None:
    t = spec_traces["out_of_gas_undo"]
    with pytest.raises(ProofError, match="transfers"):
        macro_values(steps_of(t), t.coinbase)


def test_macro_refuses_every_other_outcome(spec_traces) -> None:
    circuit = build_macro(8)
    for t, steps in every_transfer(spec_traces.values()):
        values, _ = macro_values(steps, t.coinbase)
        for case in MACRO_CASES:
            if values[f"case.{case}"]:
                continue
            forged = dict(values)
            forged.update({f"case.{n}": int(n == case) for n in MACRO_CASES})
            assert not satisfied(circuit, forged), case


@pytest.mark.parametrize(
    "field",
    [
        "pre_root",
        "post_root",
        "digest",
        "fee",
        "coinbase",
        "amount",
        "recipient",
        "nonce",
        "gas_price",
        "sender.balance",
        "recipient.balance",
        "coinbase.balance",
        "sender.sibling0",
        "recipient.sibling2",
        "coinbase.sibling5",
        "sender.owner",
    ],
)
def test_macro_refuses_a_changed_value(spec_traces, field) -> None:
    circuit = build_macro(8)
    t = spec_traces["ok"]
    ((_, steps),) = list(every_transfer([t]))
    values, _ = macro_values(steps, t.coinbase)
    values[field] = (values[field] + 1) % R
    assert not satisfied(circuit, values)


def test_macro_refuses_swapped_siblings(spec_traces) -> None:
    circuit = build_macro(8)
    t = spec_traces["ok"]
    ((_, steps),) = list(every_transfer([t]))
    values, _ = macro_values(steps, t.coinbase)
    values["sender.sibling0"], values["sender.sibling1"] = (
        values["sender.sibling1"],
        values["sender.sibling0"],
    )
    assert not satisfied(circuit, values)


transfers = st.builds(
    Transfer,
    sender=st.integers(0, N_ACCOUNTS - 1),
    recipient=st.integers(0, (1 << DEPTH) - 1),
    amount=st.one_of(st.integers(0, 2000), st.integers(0, (1 << 64) - 1)),
    nonce=st.integers(0, 3),
    gas_limit=st.one_of(
        st.sampled_from([20_999, 21_000, 25_999, 26_000, 30_999, 31_000]), st.integers(0, 100_000)
    ),
    gas_price=st.one_of(st.integers(0, 20), st.integers(0, (1 << 64) - 1)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(transfers, min_size=1, max_size=6), st.integers(0, N_ACCOUNTS - 1))
def test_macro_and_micro_accept_what_the_checker_accepts(intents, coinbase) -> None:
    state = AccountState.genesis(N_ACCOUNTS, depth=DEPTH, hash="poseidon")
    ex = Executor(coinbase=coinbase)
    macro, micro = build_macro(DEPTH), build_micro(DEPTH)
    for t in intents:
        trace = ex.execute_intent_with_trace(t, state)[1]
        ((_, steps),) = list(every_transfer([trace]))
        assert satisfied(macro, macro_values(steps, trace.coinbase)[0])
        for i in range(trace.n_steps):
            assert satisfied(micro, micro_values(trace, i)[0])


# ------------------------------------------------------------------ Full


def test_full_accepts_batches_with_failures_and_padding(spec_traces) -> None:
    circuit = build_full(8, 6)
    for name in ("batch", "batch_of_dead_intents", "ok", "transfer_overflow"):
        t = spec_traces[name]
        values, st_ = full_values(steps_of(t), t.coinbase, 6)
        assert satisfied(circuit, values), name
        parts = intents_of(steps_of(t))
        assert values["enabled0"] == 1 and values[f"enabled{len(parts) - 1}"] == 1
        assert all(values[f"enabled{k}"] == 0 for k in range(len(parts), 6))
        digests = [macro_values(p, t.coinbase)[1].digest for p in parts]
        assert st_.digest == stm.batch_digest(digests)
        assert st_.fee == sum(macro_values(p, t.coinbase)[1].fee for p in parts)
        assert st_.post_root == stm.root_field(t.post_root)


def test_full_refuses_a_batch_too_large(spec_traces) -> None:
    t = spec_traces["batch"]
    with pytest.raises(ProofError, match="1..2 intents"):
        full_values(steps_of(t), t.coinbase, 2)


def test_full_binds_the_order_and_the_padding(spec_traces, executed) -> None:
    circuit = build_full(DEPTH, 3)
    state = AccountState.genesis(N_ACCOUNTS, depth=DEPTH, hash="poseidon")
    intents = [Transfer(1, 2, 5, 0), Transfer(4, 5, 6, 0)]  # independent: either order runs
    trace = Executor(coinbase=3).execute_batch_with_trace(intents, state)[1]
    values, _ = full_values(steps_of(trace), trace.coinbase, 3)
    assert satisfied(circuit, values)
    # the same intents in the other order, under this statement: another digest
    swapped = dict(values)
    for k, v in values.items():
        if k.startswith(("b0.", "b1.")):
            swapped[("b1." if k.startswith("b0.") else "b0.") + k[3:]] = v
    assert not satisfied(circuit, swapped)
    # a padding block switched on, or a gap in the blocks that are on
    on = dict(values, enabled2=1)
    assert not satisfied(circuit, on)
    gap = dict(values, enabled1=0, enabled2=1)
    assert not satisfied(circuit, gap)
    assert not satisfied(circuit, dict(values, enabled0=0))
