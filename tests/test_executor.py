"""The executor and its VM kernel: every status path, roots, traces, and the pure-Python oracle."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from pouw import isa, merkle
from pouw._native import vm as native_vm
from pouw._reference import vm as ref_vm
from pouw.isa import Op, StepStatus
from pouw.node.executor import ExecutionResult, Executor, IntentStatus
from pouw.node.intents import Transfer, generate_intents
from pouw.node.state import Account, AccountState, genesis_owner

S, R, CB = 1, 2, 3  # sender, recipient, coinbase
BAL = 10**6


def fresh() -> AccountState:
    return AccountState.genesis(4, BAL, depth=8)


def run(t: Transfer, st: AccountState | None = None):
    st = st or fresh()
    before = {i: st.get(i) for i in range(5)}
    res, trace = Executor(coinbase=CB).execute_intent_with_trace(t, st)
    return st, before, res, trace


def ops(trace):
    return [(Op(o).name, StepStatus(s).name) for o, s in zip(trace.op, trace.status, strict=True)]


def check_trace_invariants(trace, res, st):
    """What any trace must satisfy: Merkle folds, chaining, failed steps change nothing."""
    d = trace.depth
    root = trace.pre_root
    for i in range(trace.n_steps):
        owner = bytes(trace.owner[i])
        a = int(trace.account[i])
        path = trace.path[i].tobytes()
        before = merkle.leaf_hash(owner, int(trace.balance_before[i]), int(trace.nonce_before[i]))
        after = merkle.leaf_hash(owner, int(trace.balance_after[i]), int(trace.nonce_after[i]))
        assert merkle.fold_path(before, a, path, d) == root
        assert merkle.fold_path(after, a, path, d) == bytes(trace.root_after[i])
        if trace.status[i] != StepStatus.OK:
            assert after == before and bytes(trace.root_after[i]) == root
        root = bytes(trace.root_after[i])
    assert trace.post_root == res.post_root == st.root
    assert trace.intent_ids()[-1] == res.intent_id


# -- every status path -----------------------------------------------------------------


def test_ok_transfer():
    t = Transfer(S, R, 500, 0, 50_000, 2)
    st, before, res, trace = run(t)
    assert res.status is IntentStatus.OK and res.succeeded
    assert ops(trace) == [
        ("NONCE", "OK"),
        ("FEE", "OK"),
        ("DEBIT", "OK"),
        ("CREDIT", "OK"),
        ("REFUND", "OK"),
        ("REWARD", "OK"),
    ]
    assert res.gas_summary.gas_used == 31_000 and res.gas_summary.fee_charged == 62_000
    assert list(trace.gas_left) == [0, 29_000, 24_000, 19_000, 19_000, 19_000]
    assert list(trace.arg0[-2:]) == [19_000 * 2, 31_000 * 2]
    assert st.get(S) == Account(before[S].owner, BAL - 500 - 62_000, 1)
    assert st.get(R).balance == BAL + 500 and st.get(CB).balance == BAL + 62_000
    assert st.total_supply == 4 * BAL
    assert trace.kind == 1 and trace.intent_id == t.intent_id == res.intent_id
    assert trace.coinbase == CB and res.n_steps == trace.n_steps == 6
    check_trace_invariants(trace, res, st)


def assert_only_fee_effects(st, before, fee, nonce_step):
    assert st.get(S).balance == before[S].balance - fee
    assert st.get(S).nonce == before[S].nonce + nonce_step
    assert st.get(R) == before[R]
    assert st.get(CB).balance == before[CB].balance + fee


@pytest.mark.parametrize(
    ("transfer", "status", "shape"),
    [
        (
            Transfer(S, R, 5, 7),
            IntentStatus.BAD_NONCE,
            [
                ("NONCE", "BAD_NONCE"),
                ("FEE", "SKIPPED"),
                ("DEBIT", "SKIPPED"),
                ("CREDIT", "SKIPPED"),
            ],
        ),
        (
            Transfer(S, R, 5, 0, 20_999),
            IntentStatus.INTRINSIC_GAS,
            [
                ("NONCE", "OK"),
                ("FEE", "INTRINSIC_GAS"),
                ("DEBIT", "SKIPPED"),
                ("CREDIT", "SKIPPED"),
            ],
        ),
        (
            Transfer(S, R, 5, 0, 50_000, 21),
            IntentStatus.CANNOT_PAY_FEE,  # 1.05M > balance
            [
                ("NONCE", "OK"),
                ("FEE", "CANNOT_PAY_FEE"),
                ("DEBIT", "SKIPPED"),
                ("CREDIT", "SKIPPED"),
            ],
        ),
        (
            Transfer(S, R, 5, 0, 1 << 40, 1 << 30),
            IntentStatus.CANNOT_PAY_FEE,  # product overflows
            [
                ("NONCE", "OK"),
                ("FEE", "CANNOT_PAY_FEE"),
                ("DEBIT", "SKIPPED"),
                ("CREDIT", "SKIPPED"),
            ],
        ),
    ],
)
def test_failures_before_the_body_change_nothing(transfer, status, shape):
    st, before, res, trace = run(transfer)
    assert res.status is status and not res.succeeded
    assert ops(trace) == shape
    assert res.pre_root == res.post_root == trace.pre_root == trace.post_root
    assert res.gas_summary.gas_used == res.gas_summary.fee_charged == 0
    assert list(trace.gas_left) == [0] * len(shape)
    assert trace.coinbase == 0  # no REWARD step: the executor's coinbase (CB) is not written
    assert_only_fee_effects(st, before, 0, 0)
    # a skipped step still carries its program operands
    assert list(trace.arg0[1:]) == [transfer.gas_limit, 5, 5]
    assert int(trace.arg1[1]) == transfer.gas_price
    check_trace_invariants(trace, res, st)


def test_insufficient_balance_charges_debit_gas():
    st, before, res, trace = run(Transfer(S, R, BAL, 0, 50_000, 1))
    assert res.status is IntentStatus.INSUFFICIENT_BALANCE
    assert ops(trace) == [
        ("NONCE", "OK"),
        ("FEE", "OK"),
        ("DEBIT", "INSUFFICIENT_BALANCE"),
        ("CREDIT", "SKIPPED"),
        ("REFUND", "OK"),
        ("REWARD", "OK"),
    ]
    assert list(trace.gas_left) == [0, 29_000, 24_000, 24_000, 24_000, 24_000]
    assert res.gas_summary.gas_used == 26_000 and res.gas_summary.fee_charged == 26_000
    assert_only_fee_effects(st, before, 26_000, 1)
    check_trace_invariants(trace, res, st)


def test_out_of_gas_in_credit_undoes_the_debit():
    st, before, res, trace = run(Transfer(S, R, 777, 0, 26_000, 3))
    assert res.status is IntentStatus.OUT_OF_GAS
    assert ops(trace) == [
        ("NONCE", "OK"),
        ("FEE", "OK"),
        ("DEBIT", "OK"),
        ("CREDIT", "OUT_OF_GAS"),
        ("UNDO", "OK"),
        ("REFUND", "OK"),
        ("REWARD", "OK"),
    ]
    assert list(trace.gas_left) == [0, 5_000, 0, 0, 0, 0, 0]
    assert (int(trace.arg0[4]), int(trace.arg1[4]), int(trace.account[4])) == (777, Op.DEBIT, S)
    assert res.gas_summary.fee_charged == 26_000 * 3 and int(trace.arg0[5]) == 0
    assert_only_fee_effects(st, before, 78_000, 1)
    check_trace_invariants(trace, res, st)


def test_out_of_gas_in_debit():
    st, before, res, trace = run(Transfer(S, R, 5, 0, 25_999, 1))
    assert res.status is IntentStatus.OUT_OF_GAS
    assert ops(trace) == [
        ("NONCE", "OK"),
        ("FEE", "OK"),
        ("DEBIT", "OUT_OF_GAS"),
        ("CREDIT", "SKIPPED"),
        ("REFUND", "OK"),
        ("REWARD", "OK"),
    ]
    assert_only_fee_effects(st, before, 25_999, 1)
    check_trace_invariants(trace, res, st)


def test_credit_to_an_empty_account_and_self_transfer():
    st, before, res, trace = run(Transfer(S, 200, 10, 0))
    assert res.succeeded and st.get(200) == Account(bytes(32), 10, 0)
    check_trace_invariants(trace, res, st)
    res2, trace2 = Executor(CB).execute_intent_with_trace(Transfer(S, S, 10, 1), st)
    assert res2.succeeded and st.get(S).balance == before[S].balance - 10 - 2 * 31_000
    check_trace_invariants(trace2, res2, st)


@pytest.mark.parametrize(
    "args",
    [
        (Op.CREDIT, 1, 0, (1 << 64) - 1, 0, 10_000),  # OVERFLOW: unreachable below 2^63 supply
        (Op.CREDIT, 5, 0, 1, 0, 4_999),
        (Op.DEBIT, 5, 0, 4, 0, 5_000),
        (Op.FEE, 21_000, 0, 0, (1 << 64) - 1, 0),  # the nonce cannot advance
        (Op.FEE, 1 << 33, 1 << 31, (1 << 64) - 1, 0, 0),
        (Op.NONCE, 3, 0, 0, 3, 0),
        (Op.UNDO, 5, Op.CREDIT, 5, 0, 9),
        (Op.REWARD, 5, 0, 5, 0, 9),
    ],
)
def test_step_rule_native_vs_reference(args):
    assert native_vm.apply_op(*args) == ref_vm.apply_op(*args)


def test_step_rule_random_native_vs_reference():
    rng = random.Random(11)
    big = [0, 1, 4_999, 5_000, 21_000, (1 << 32), (1 << 63), (1 << 64) - 1]
    for _ in range(3000):
        op = rng.randint(1, 7)
        a = [rng.choice(big) if rng.random() < 0.5 else rng.randrange(1 << 64) for _ in range(5)]
        if op == Op.UNDO:
            a[1] = rng.choice([Op.DEBIT, Op.CREDIT])
            a[2] = a[2] if a[1] == Op.CREDIT else 0  # a well-formed UNDO never wraps
            a[0] = min(a[0], a[2]) if a[1] == Op.CREDIT else min(a[0], (1 << 64) - 1 - a[2])
        if op in (Op.REFUND, Op.REWARD):
            a[0] = min(a[0], (1 << 64) - 1 - a[2])
        assert native_vm.apply_op(op, *a) == ref_vm.apply_op(op, *a), (op, a)
    assert native_vm.apply_op(Op.CREDIT, 1, 0, (1 << 64) - 1, 0, 5_000)[0] == StepStatus.OVERFLOW


# -- invalid intents are exceptions, before anything changes -----------------------------


@pytest.mark.parametrize(
    "t",
    [
        Transfer(S, 256, 1, 0),
        Transfer(256, R, 1, 0),
        Transfer(S, R, -1, 0),
        Transfer(S, R, 1 << 64, 0),
        Transfer(S, R, 1, 0, gas_price=1.5),
    ],  # type: ignore[arg-type]
)
def test_invalid_intents_raise_and_leave_state(t):
    st = fresh()
    root = st.root
    with pytest.raises(ValueError):
        Executor(CB).execute_intent_with_trace(t, st)
    assert st.root == root


def test_coinbase_outside_tree_and_supply_guard():
    st = fresh()
    with pytest.raises(ValueError):
        Executor(coinbase=256).execute_intent(Transfer(S, R, 1, 0), st)
    with pytest.raises(ValueError):
        Executor(coinbase=-1)
    with pytest.raises(ValueError):
        Executor().execute_batch_with_trace([], st)
    assert st.root == fresh().root


# -- chains, batches and the oracle -------------------------------------------------------


N_ACCOUNTS = 40


def oracle_state(seed: int = 0, n: int = N_ACCOUNTS, depth: int = 20) -> ref_vm.AccountTable:
    t = ref_vm.AccountTable(depth)
    t.set_range(0, b"".join(genesis_owner(seed, i) for i in range(n)), 10**12)
    return t


def test_generated_stream_native_equals_reference_byte_for_byte():
    st = AccountState.genesis(N_ACCOUNTS)
    oracle = oracle_state()
    assert st.root == oracle.root
    ex, prev, seen = Executor(coinbase=0), st.root, set()
    for t in generate_intents(150, seed=5, n_accounts=N_ACCOUNTS):
        res, trace = ex.execute_intent_with_trace(t, st)
        data, pre, raw = ref_vm.execute(oracle, 0, t.program, 1, bytes.fromhex(t.intent_id), 1)
        assert trace.to_bytes() == data
        assert (res.status is IntentStatus.OK) == (raw[0][0] == 0)
        assert res.pre_root == prev == pre and res.post_root == st.root == oracle.root
        prev = res.post_root
        seen.add(res.status)
    assert IntentStatus.OK in seen and len(seen) >= 3


def doomed(n: int, seed: int) -> list[Transfer]:
    """``n`` transfers that all fail at NONCE or FEE from genesis (so none has a REWARD
    step, and none changes the state): a generated stream with each intent spoiled."""
    rng = random.Random(seed)
    out = []
    for t in generate_intents(n, seed, n_accounts=N_ACCOUNTS):
        how = rng.randrange(3)
        if how == 0:  # BAD_NONCE: genesis nonces are 0 and never advance here
            out.append(replace(t, nonce=1 + rng.randrange(1 << 32)))
        elif how == 1:  # INTRINSIC_GAS
            out.append(replace(t, nonce=0, gas_limit=rng.randrange(isa.INTRINSIC_GAS)))
        else:  # CANNOT_PAY_FEE: the fee overflows u64, or is below intrinsic gas anyway
            out.append(replace(t, nonce=0, gas_price=1 << 50))
    return out


STREAMS = {
    "generated": lambda: list(generate_intents(60, seed=8, n_accounts=N_ACCOUNTS)),
    "all_failed": lambda: doomed(30, seed=9),
    "one_failed": lambda: doomed(1, seed=10),
    "failed_then_ok": lambda: doomed(5, 11) + list(generate_intents(20, 12, n_accounts=N_ACCOUNTS)),
    "ok_then_failed": lambda: list(generate_intents(20, 13, n_accounts=N_ACCOUNTS)) + doomed(5, 14),
}


@pytest.mark.parametrize("stream", sorted(STREAMS))
def test_batch_equals_concat_of_singles_and_reference(stream):
    intents = STREAMS[stream]()
    singles_state, batch_state = AccountState.genesis(N_ACCOUNTS), AccountState.genesis(N_ACCOUNTS)
    ex = Executor(coinbase=7)
    singles = [ex.execute_intent_with_trace(t, singles_state) for t in intents]
    results, batch = ex.execute_batch_with_trace(intents, batch_state)
    assert batch == type(batch).concat([tr for _, tr in singles])
    assert results == [r for r, _ in singles]
    assert batch.kind == 2 and batch.intent_id == isa.batch_id([t.intent_id for t in intents])
    assert batch.intent_ids() == [t.intent_id for t in intents]
    assert batch_state.root == singles_state.root == batch.post_root
    # the coinbase is written only where a REWARD step binds it
    for _, tr in singles:
        assert tr.coinbase == (7 if Op.REWARD in tr.op else 0)
    rewarded = Op.REWARD in batch.op
    assert rewarded == (stream not in ("all_failed", "one_failed"))
    assert batch.coinbase == (7 if rewarded else 0)
    oracle = oracle_state()
    programs = b"".join(t.program for t in intents)
    n = len(intents)
    data, _, raw = ref_vm.execute(oracle, 7, programs, n, bytes.fromhex(batch.intent_id), 2)
    assert data == batch.to_bytes()
    for r, o in zip(results, raw, strict=True):
        assert r.n_steps == o[1] and r.gas_summary.fee_charged == o[3] and r.post_root == o[4]


def test_intents_failing_at_nonce_or_fee_write_coinbase_zero():
    """No REWARD step, so nothing binds the coinbase: native and oracle both write 0."""
    st, oracle, ex = AccountState.genesis(N_ACCOUNTS), oracle_state(), Executor(coinbase=7)
    root, seen = st.root, set()
    for t in doomed(40, seed=15):
        res, trace = ex.execute_intent_with_trace(t, st)
        data, _, _ = ref_vm.execute(oracle, 7, t.program, 1, bytes.fromhex(t.intent_id), 1)
        assert trace.to_bytes() == data
        assert trace.coinbase == 0 and Op.REWARD not in trace.op
        assert res.post_root == root  # nothing was paid
        seen.add(res.status)
    assert st.root == oracle.root == root
    assert seen == {IntentStatus.BAD_NONCE, IntentStatus.INTRINSIC_GAS, IntentStatus.CANNOT_PAY_FEE}
    # the twin: one paying intent, and the coinbase is written
    res, trace = ex.execute_intent_with_trace(Transfer(S, R, 1, 0), st)
    assert res.succeeded and trace.coinbase == 7


def test_without_trace_same_results_and_state():
    intents = list(generate_intents(80, seed=3, n_accounts=N_ACCOUNTS))
    a, b, c = (AccountState.genesis(N_ACCOUNTS) for _ in range(3))
    ex = Executor()
    with_trace = [ex.execute_intent_with_trace(t, a)[0] for t in intents]
    assert [ex.execute_intent(t, b) for t in intents] == with_trace
    assert ex.execute_batch(intents, c) == with_trace
    assert a.root == b.root == c.root


def test_roots_chain_and_supply_is_conserved():
    st = AccountState.genesis(N_ACCOUNTS)
    supply = st.total_supply
    ex = Executor(coinbase=0)
    prev = st.root
    for t in generate_intents(200, seed=4, n_accounts=N_ACCOUNTS):
        res = ex.execute_intent(t, st)
        assert isinstance(res, ExecutionResult) and res.pre_root == prev
        prev = res.post_root
    assert prev == st.root and st.total_supply == supply
    total = sum(st.get(i).balance for i in range(N_ACCOUNTS))
    assert total == supply


# -- the generator ---------------------------------------------------------------------------


def test_generate_intents_reproducible_and_valid_from_genesis():
    a = list(generate_intents(500, seed=21, n_accounts=N_ACCOUNTS))
    assert a == list(generate_intents(500, seed=21, n_accounts=N_ACCOUNTS))
    assert a != list(generate_intents(500, seed=22, n_accounts=N_ACCOUNTS))
    st, ex = AccountState.genesis(N_ACCOUNTS), Executor()
    counts: dict[IntentStatus, int] = {}
    for t in a:
        expect_bad_nonce = st.get(t.sender).nonce != t.nonce
        res = ex.execute_intent(t, st)
        counts[res.status] = counts.get(res.status, 0) + 1
        if t.gas_limit < isa.INTRINSIC_GAS:
            expected = IntentStatus.INTRINSIC_GAS
        elif t.gas_limit * t.gas_price >= 1 << 63:
            expected = IntentStatus.CANNOT_PAY_FEE
        elif t.amount == 1 << 63:
            expected = IntentStatus.INSUFFICIENT_BALANCE
        elif t.gas_limit == 26_000:
            expected = IntentStatus.OUT_OF_GAS
        else:
            expected = IntentStatus.OK
        assert res.status is (IntentStatus.BAD_NONCE if expect_bad_nonce else expected)
    assert counts[IntentStatus.OK] > 0.85 * len(a)
    assert set(counts) == set(IntentStatus) - {IntentStatus.OVERFLOW}


def test_generate_intents_from_a_given_state():
    st = AccountState.genesis(N_ACCOUNTS)
    ex = Executor()
    for t in generate_intents(100, seed=1, n_accounts=N_ACCOUNTS):
        ex.execute_intent(t, st)
    later = list(generate_intents(100, seed=2, n_accounts=N_ACCOUNTS, state=st))
    statuses = [ex.execute_intent(t, st).status for t in later]
    assert statuses.count(IntentStatus.OK) > 85


def test_transfer_dict_round_trip_and_rejects():
    t = Transfer(1, 2, 3, 4, 50_000, 5)
    assert Transfer.from_dict(t.to_dict()) == t and t.to_dict()["type"] == "transfer"
    with pytest.raises(ValueError):
        Transfer.from_dict({**t.to_dict(), "extra": 1})
    with pytest.raises(ValueError):
        Transfer.from_dict({**t.to_dict(), "amount": -1})
    with pytest.raises(ValueError):
        Transfer.from_dict({"sender": 1})
    assert t.intent_id == isa.intent_id(1, 4, 50_000, 5, t.body())
    assert np.uint8(Op.DEBIT) == 3


def test_state_is_guarded_while_a_kernel_runs_without_the_gil():
    import threading

    st = AccountState.genesis(N_ACCOUNTS)
    intents = list(generate_intents(20_000, seed=6, n_accounts=N_ACCOUNTS))
    done = threading.Event()
    outcomes = {"guarded": 0, "read": 0}

    def reader():
        while not done.is_set():
            try:
                st.get(1)
                st.path(2)
                outcomes["read"] += 1
            except RuntimeError:
                outcomes["guarded"] += 1

    th = threading.Thread(target=reader)
    th.start()
    try:
        Executor().execute_batch(intents, st)
    finally:
        done.set()
        th.join()
    assert outcomes["read"] + outcomes["guarded"] > 0  # the reader ran and nothing crashed
    assert st.get(1).nonce > 0  # reads work again once the batch is done
