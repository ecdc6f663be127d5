"""The constraint checker (native kernel) against the plain-Python oracle.

"native" is the kernel with its face, :func:`pouw.prover.check.check_trace`: the
kernel checks every rule but the two about ids, for which it hands back the
intents' id pre-images, and the face hashes them (kernels import no ``blake3``).

Valid traces come from the real executor (every status path) and from a tiny
spec-following builder below (the paths the node never takes: CREDIT
overflow, a batch of hand-picked programs). Every accept has reject twins:
one tampered column, header field, step order or amount at a time, each
refused by BOTH checkers with the same step and rule.

Every test that takes traces runs on both state hashes (the ``state_hash``
fixture): BLAKE3 (the spec builder writes version-1 traces there, so the old
encoding stays checked) and Poseidon (version 2, smaller trees and streams:
the oracle's Poseidon is the textbook rounds in Python).
"""

from __future__ import annotations

import struct

import pytest
from blake3 import blake3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pouw._native import constraints as native
from pouw._native import field as native_field
from pouw._native import merkle as native_merkle
from pouw._reference import constraints as reference
from pouw.errors import TraceError
from pouw.isa import INTENT_DOMAIN, Op, StepStatus, batch_id
from pouw.prover.check import check_trace, check_traces
from pouw.prover.rules import Rule
from spec_traces import (  # noqa: E402
    COLS,
    SPEC_PROGRAMS,
    N,
    SpecVM,
    join,
    ops,
    spec_vm,
    split,
    tamper,
    transfer,
    width,
)

CHECKERS = {"native": check_trace, "reference": reference.check_trace}
HASHES = ("blake3", "poseidon")


@pytest.fixture(scope="module", params=HASHES)
def state_hash(request) -> str:
    """The state hash of every trace a test gets from the fixtures below."""
    return request.param


def both(data: bytes) -> tuple[bool, int, int]:
    """Run both checkers; they must agree on everything."""
    got = {name: tuple(check(data)) for name, check in CHECKERS.items()}
    assert got["native"] == got["reference"], got
    return got["native"]


def assert_valid(data: bytes) -> None:
    ok, step, rule = both(data)
    assert ok, f"refused at step {step}: {Rule(rule).name}"


def assert_refused(data: bytes, rule: Rule | None = None, step: int | None = None) -> tuple:
    ok, got_step, got_rule = both(data)
    assert not ok
    if rule is not None:
        assert Rule(got_rule) is rule, Rule(got_rule).name
    if step is not None:
        assert got_step == step
    return got_step, Rule(got_rule)


@pytest.fixture(scope="module")
def spec_traces(state_hash) -> dict[str, bytes]:
    return {name: spec_vm(state_hash).trace(programs) for name, programs in SPEC_PROGRAMS.items()}


@pytest.mark.parametrize("name", sorted(SPEC_PROGRAMS))
def test_spec_built_traces_are_valid(spec_traces, name):
    assert_valid(spec_traces[name])


def test_spec_built_traces_cover_every_status(spec_traces):
    seen = {st for data in spec_traces.values() for _, st in ops(data)}
    assert seen == set(StepStatus)
    seen_ops = {op for data in spec_traces.values() for op, _ in ops(data)}
    assert seen_ops == set(Op)


# --- traces from the real executor ---------------------------------------------


#: (depth, intents) of the executed stream per hash: Poseidon's oracle is slow Python
EXECUTED = {"blake3": (20, 400), "poseidon": (6, 160)}


@pytest.fixture(scope="module")
def executed(state_hash):
    """Single-intent traces of generated intents, executed in order on one state."""
    from pouw.node.executor import Executor
    from pouw.node.intents import generate_intents
    from pouw.node.state import AccountState

    depth, n = EXECUTED[state_hash]
    state = AccountState.genesis(16, depth=depth, hash=state_hash)
    executor = Executor(coinbase=3)
    intents = generate_intents(n, 11, n_accounts=16)
    return [executor.execute_intent_with_trace(i, state)[1] for i in intents]


def first_with(traces, wanted) -> bytes:
    for t in traces:
        if wanted in [(op, st) for op, st in zip(t.op.tolist(), t.status.tolist(), strict=True)]:
            return t.to_bytes()
    pytest.fail(f"no generated intent has {wanted}")


def test_executor_traces_are_valid(executed):
    for t in executed:
        assert t.kind == 1
        assert_valid(t.to_bytes())


def test_executor_traces_cover_every_status_path(executed):
    seen = {
        (op, st) for t in executed for op, st in zip(t.op.tolist(), t.status.tolist(), strict=True)
    }
    for path in [
        (N, StepStatus.OK),
        (N, StepStatus.BAD_NONCE),
        (Op.FEE, StepStatus.INTRINSIC_GAS),
        (Op.FEE, StepStatus.CANNOT_PAY_FEE),
        (Op.DEBIT, StepStatus.INSUFFICIENT_BALANCE),
        (Op.CREDIT, StepStatus.OUT_OF_GAS),
        (Op.UNDO, StepStatus.OK),
        (Op.REWARD, StepStatus.OK),
    ]:
        assert path in seen, path


def test_executor_batches_are_valid(executed, state_hash):
    from pouw.node.executor import Executor
    from pouw.node.intents import generate_intents
    from pouw.node.state import AccountState
    from pouw.trace import ExecutionTrace

    for lo, hi in [(0, 1), (0, 7), (7, 40), (0, len(executed))]:
        batch = ExecutionTrace.concat(executed[lo:hi])
        assert batch.kind == 2 and batch.hash == state_hash
        assert_valid(batch.to_bytes())
    depth = EXECUTED[state_hash][0]
    state = AccountState.genesis(16, depth=depth, hash=state_hash)
    _, batch = Executor(coinbase=5).execute_batch_with_trace(
        generate_intents(200, 12, n_accounts=16), state
    )
    assert batch.kind == 2
    assert_valid(batch.to_bytes())


@pytest.fixture(scope="module")
def unpaid(state_hash):
    """Executor traces with no REWARD step: each intent fails at NONCE or FEE.

    Three kind-1 traces (BAD_NONCE, INTRINSIC_GAS, CANNOT_PAY_FEE) and a kind-2
    batch of them, all run with coinbase 3, so the header's coinbase is 0."""
    from pouw.node.executor import Executor
    from pouw.node.intents import Transfer
    from pouw.node.state import AccountState

    intents = [
        Transfer(1, 2, 5, 7),  # the sender's nonce is 0
        Transfer(2, 3, 5, 0, 20_999),
        Transfer(4, 5, 5, 0, 1 << 40, 1 << 30),  # the fee overflows u64
        Transfer(6, 7, 5, 0, 50_000, 10**12),  # the fee exceeds the balance
    ]

    def genesis():
        return AccountState.genesis(16, depth=EXECUTED[state_hash][0], hash=state_hash)

    executor = Executor(coinbase=3)
    singles = [executor.execute_intent_with_trace(t, genesis())[1] for t in intents]
    _, batch = executor.execute_batch_with_trace(intents, genesis())
    return {
        "nonce": singles[0],
        "intrinsic": singles[1],
        "overflow": singles[2],
        "broke": singles[3],
        "batch": batch,
    }


def test_unpaid_traces_have_coinbase_zero_and_are_valid(unpaid, spec_traces):
    for name, t in unpaid.items():
        assert Op.REWARD not in t.op.tolist() and t.coinbase == 0, name
        assert_valid(t.to_bytes())
    for name in ("bad_nonce", "intrinsic_gas", "cannot_pay_fee", "batch_of_dead_intents"):
        assert spec_traces[name][12:16] == bytes(4)
        assert_valid(spec_traces[name])


def with_coinbase(data: bytes, coinbase: int) -> bytes:
    return data[:12] + struct.pack("<I", coinbase) + data[16:]


def test_unbound_coinbase_is_refused(unpaid, spec_traces):
    """A trace without a REWARD step and a nonzero coinbase: COINBASE_UNUSED at the header."""
    datas = [t.to_bytes() for t in unpaid.values()]
    datas += [spec_traces[n] for n in ("bad_nonce", "nonce_exhausted", "batch_of_dead_intents")]
    for data in datas:
        depth = data[6]
        for coinbase in (1, 3, (1 << depth) - 1):
            assert_refused(with_coinbase(data, coinbase), Rule.COINBASE_UNUSED, -1)
        assert_refused(with_coinbase(data, 1 << depth), Rule.MALFORMED, -1)  # framing first
        # the order of the header rules: the steps, then the coinbase, then the id
        bad = bytearray(with_coinbase(data, 3))
        bad[60] ^= 4
        assert_refused(bytes(bad), Rule.COINBASE_UNUSED, -1)
        header, steps = split(with_coinbase(data, 3))
        assert_refused(join(header, steps[:1]), Rule.INCOMPLETE, 0)  # NONCE alone
        assert_refused(tamper(with_coinbase(data, 3), 0, gas_left=1), Rule.GAS, 0)
    # the twins: with a REWARD step the coinbase is the REWARD's account, 0 included
    ok = spec_vm().trace(SPEC_PROGRAMS["ok"])
    assert ok[12:16] != bytes(4)
    assert_refused(with_coinbase(ok, 0), Rule.ACCOUNT, step_of(ok, Op.REWARD))
    zero = SpecVM(coinbase=0)
    zero.put(0, 0)
    zero.put(2, 10**12)
    assert_valid(zero.trace([transfer(2, 0, 4, 10)]))
    paid_zero = zero.trace([transfer(2, 1, 4, 10)])
    assert_refused(with_coinbase(paid_zero, 1), Rule.ACCOUNT, step_of(paid_zero, Op.REWARD))


# --- reject twins: one tampered field, header value, step order or amount ------


def step_of(data: bytes, op: int, status: int | None = None, nth: int = 0) -> int:
    hits = [i for i, (o, s) in enumerate(ops(data)) if o == op and status in (None, s)]
    return hits[nth]


def base_traces(spec_traces, executed) -> dict[str, bytes]:
    from pouw.trace import ExecutionTrace

    out = dict(spec_traces)
    out["exec_ok"] = first_with(executed, (Op.REWARD, StepStatus.OK))
    out["exec_undo"] = first_with(executed, (Op.UNDO, StepStatus.OK))
    out["exec_batch"] = ExecutionTrace.concat(executed[:12]).to_bytes()
    return out


def bumped(v, col):
    if isinstance(v, (bytes, bytearray)):
        return bytes([v[0] ^ 1]) + bytes(v[1:])
    return (v + 1) % (1 << (8 * width(col, 1)))


@pytest.mark.parametrize(
    "name",
    [
        "ok",
        "out_of_gas_undo",
        "credit_overflow_undo",
        "batch",
        "batch_of_dead_intents",
        "bad_nonce",
        "intrinsic_gas",
        "exec_ok",
        "exec_undo",
    ],
)
def test_every_field_of_every_step_is_bound(spec_traces, executed, name):
    data = base_traces(spec_traces, executed)[name]
    _, steps = split(data)
    for i, step in enumerate(steps):
        for col in COLS:
            assert_refused(tamper(data, i, **{col: bumped(step[col], col)}))
        for col in ("arg0", "balance_before", "gas_left", "account"):
            if step[col] > 0:
                assert_refused(tamper(data, i, **{col: step[col] - 1}))


def test_named_reject_twins(spec_traces, executed):
    """Each tamper is refused by both checkers at the step and rule it breaks."""
    ok = base_traces(spec_traces, executed)["exec_ok"]
    undo = spec_traces["credit_overflow_undo"]
    header, steps = split(ok)
    n = len(steps)
    refund, reward = step_of(ok, Op.REFUND), step_of(ok, Op.REWARD)
    debit = step_of(ok, Op.DEBIT)

    # operands and amounts
    r = steps[refund]["arg0"]
    assert_refused(tamper(ok, refund, arg0=r + 1), Rule.AMOUNT, refund)
    assert_refused(tamper(ok, reward, arg0=steps[reward]["arg0"] - 1), Rule.AMOUNT, reward)
    assert_refused(tamper(ok, debit, arg1=1), Rule.ARG1_UNUSED, debit)
    assert_refused(tamper(ok, debit, gas_left=steps[debit]["gas_left"] + 1), Rule.GAS, debit)
    assert_refused(tamper(ok, debit, op=9), Rule.OP_RANGE, debit)
    assert_refused(tamper(ok, debit, status=8), Rule.STATUS_RANGE, debit)
    assert_refused(tamper(ok, debit, account=1 << 20), Rule.ACCOUNT_RANGE, debit)
    assert_refused(
        tamper(ok, reward, account=(steps[reward]["account"] + 1) % 16), Rule.ACCOUNT, reward
    )
    # a claimed failure that should have succeeded, and the reverse
    assert_refused(tamper(ok, debit, status=StepStatus.INSUFFICIENT_BALANCE), Rule.STATUS, debit)
    i = step_of(undo, Op.CREDIT, StepStatus.OVERFLOW)
    assert_refused(tamper(undo, i, status=StepStatus.OK), Rule.STATUS, i)
    # the leaf and the Merkle state
    assert_refused(
        tamper(ok, debit, balance_after=steps[debit]["balance_after"] + 1), Rule.LEAF_AFTER, debit
    )
    assert_refused(tamper(ok, 0, nonce_after=steps[0]["nonce_after"] + 1), Rule.LEAF_AFTER, 0)
    assert_refused(tamper(ok, 2, owner=bytes(32)), Rule.MERKLE_BEFORE, 2)
    path = bytearray(steps[3]["path"])
    path[32 * min(7, ok[6] - 1)] ^= 0x80  # a sibling at level 7 (the top one if lower)
    assert_refused(tamper(ok, 3, path=bytes(path)), Rule.MERKLE_BEFORE, 3)
    assert_refused(tamper(ok, 4, root_after=bytes(32)), Rule.MERKLE_AFTER, 4)
    assert_refused(tamper(ok, n - 1, root_after=bytes(32)), Rule.MERKLE_AFTER, n - 1)
    # the header
    bad = bytearray(ok)
    bad[16] ^= 1  # pre_root
    assert_refused(bytes(bad), Rule.MERKLE_BEFORE, 0)
    bad = bytearray(ok)
    bad[12:16] = struct.pack("<I", (steps[reward]["account"] + 1) % 16)  # coinbase
    assert_refused(bytes(bad), Rule.ACCOUNT, reward)
    bad = bytearray(ok)
    bad[12:16] = struct.pack("<I", 1 << 20)  # coinbase out of the tree: framing
    assert_refused(bytes(bad), Rule.MALFORMED, -1)
    bad = bytearray(ok)
    bad[60] ^= 4  # intent_id
    assert_refused(bytes(bad), Rule.INTENT_ID, -1)
    bad = bytearray(ok)
    bad[7] = 2  # kind 1 -> 2: the header's id is not a batch id
    assert_refused(bytes(bad), Rule.BATCH_ID, -1)
    batch = base_traces(spec_traces, executed)["exec_batch"]
    bad = bytearray(batch)
    bad[79] ^= 1
    assert_refused(bytes(bad), Rule.BATCH_ID, -1)
    bad[79] ^= 1
    bad[7] = 1  # a batch claiming to be one intent
    assert_refused(bytes(bad), Rule.ONE_INTENT, step_of(batch, N, nth=1))


def test_step_removed_duplicated_reordered(spec_traces, executed):
    for data in (
        base_traces(spec_traces, executed)["exec_ok"],
        spec_traces["credit_overflow_undo"],
        spec_traces["batch"],
    ):
        header, steps = split(data)
        n = len(steps)
        for i in range(n):
            if n > 1:
                assert_refused(join(header, steps[:i] + steps[i + 1 :]))
            assert_refused(join(header, steps[: i + 1] + steps[i:]))
            if i + 1 < n:
                swapped = steps[:i] + [steps[i + 1], steps[i]] + steps[i + 2 :]
                assert_refused(join(header, swapped))
    # the named ones
    data = spec_traces["credit_overflow_undo"]
    header, steps = split(data)
    first_undo = step_of(data, Op.UNDO)
    assert_refused(
        join(header, steps[:first_undo] + steps[first_undo + 1 :]), Rule.ACCOUNT, first_undo
    )
    last_undo = step_of(data, Op.UNDO, nth=1)
    assert_refused(
        join(header, steps[:last_undo] + steps[last_undo + 1 :]), Rule.EXPECT_UNDO, last_undo
    )
    assert_refused(join(header, steps[:-1]), Rule.INCOMPLETE, len(steps) - 2)
    assert_refused(join(header, steps[:1] + steps[2:]), Rule.EXPECT_FEE, 1)
    assert_refused(join(header, steps[:2] + steps[-2:]), Rule.EXPECT_BODY, 2)
    i = step_of(data, Op.REFUND)
    assert_refused(join(header, steps[: i + 1] + steps[i:]), Rule.EXPECT_REWARD, i + 1)
    assert_refused(join(header, steps + steps[:1]), Rule.ONE_INTENT, len(steps))


def test_framing_is_reported_not_raised():
    good = spec_vm().trace(SPEC_PROGRAMS["ok"])
    for data in (
        b"",
        b"PWTR",
        good[:-1],
        good + b"\0",
        b"XXXX" + good[4:],
        good[:4] + b"\3\0" + good[6:],  # no version 3
        good[:4] + b"\2\2" + good[6:],  # no hash id 2
        good[:4] + b"\1\1" + good[6:],  # version 1 knew only BLAKE3
        good[:6] + b"\0" + good[7:],
        good[:7] + b"\3" + good[8:],
        good[:8] + b"\0\0\0\0" + good[12:],
    ):
        assert both(data) == (False, -1, Rule.MALFORMED)


def test_buffer_types_and_strides():
    good = spec_vm().trace(SPEC_PROGRAMS["ok"])
    import numpy as np

    for buf in (good, bytearray(good), memoryview(good), np.frombuffer(good, np.uint8)):
        assert check_trace(buf) == (True, -1, 0)
    strided = np.repeat(np.frombuffer(good, np.uint8), 2)[::2]  # the same bytes, stride 2
    with pytest.raises(ValueError):
        check_trace(strided)
    with pytest.raises(TypeError):
        check_trace(None)
    with pytest.raises(TypeError):
        check_trace("PWTR")


def test_the_kernel_hands_the_id_rules_to_the_face(spec_traces, executed):
    """The kernel passes a trace whose header id is wrong and returns the pre-images;
    the face hashes them and refuses it (no ``blake3`` below the face)."""
    from pouw.trace import ExecutionTrace

    single = first_with(executed, (Op.REWARD, StepStatus.OK))
    batch = base_traces(spec_traces, executed)["exec_batch"]
    for data, rule in ((single, Rule.INTENT_ID), (batch, Rule.BATCH_ID)):
        ok, step, code, (kind, header_id, preimages) = native.check_trace(data)
        assert (ok, step, code) == (True, -1, 0) and header_id == data[48:80]
        assert all(p.startswith(INTENT_DOMAIN) for p in preimages)
        digests = [blake3(p).digest() for p in preimages]
        # the trace kernel writes the same pre-images (its own code, not constraints.h)
        assert [d.hex() for d in digests] == ExecutionTrace.from_bytes(data).intent_ids()
        if kind == 1:
            assert digests == [header_id]
        else:
            assert batch_id(digests) == header_id.hex()
        bad = bytearray(data)
        bad[79] ^= 1
        assert native.check_trace(bytes(bad))[:3] == (True, -1, 0)  # the kernel's part holds
        assert check_trace(bytes(bad)) == (False, -1, rule)  # the face's does not
    assert native.check_trace(b"PWTR") == (False, -1, Rule.MALFORMED, None)


def test_rule_tables_agree():
    assert tuple(r.name for r in Rule) == native.RULE_NAMES
    assert tuple(r.text for r in Rule) == native.RULE_TEXTS
    assert native.preimage_capacity(3) >= 46 + 13 * 1


# --- every byte bound: a flipped byte is undecodable or refused ----------------


N_FLIP_TARGETS = 9


@pytest.fixture(scope="module")
def flip_targets(executed, unpaid, spec_traces):
    """Paying traces, and traces with no REWARD step (every intent fails at NONCE or FEE)."""
    from pouw.trace import ExecutionTrace

    ok = first_with(executed, (Op.REWARD, StepStatus.OK))
    undo = first_with(executed, (Op.UNDO, StepStatus.OK))
    batch = ExecutionTrace.concat(executed[:4]).to_bytes()
    out = [ok, undo, batch, spec_traces["credit_overflow_undo"]]
    out += [unpaid[n].to_bytes() for n in ("nonce", "intrinsic", "overflow", "batch")]
    out.append(spec_traces["batch_of_dead_intents"])
    assert len(out) == N_FLIP_TARGETS
    return out


@settings(max_examples=600, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    which=st.integers(0, N_FLIP_TARGETS - 1),
    in_header=st.booleans(),  # half the flips in the 80-byte header, where the coinbase is
    where=st.floats(0, 1, exclude_max=True),
    mask=st.integers(1, 255),
)
def test_every_byte_is_bound(flip_targets, which, in_header, where, mask):
    from pouw.trace import ExecutionTrace

    data = bytearray(flip_targets[which])
    pos = int(where * (80 if in_header else len(data)))
    data[pos] ^= mask
    try:
        ExecutionTrace.from_bytes(bytes(data))
    except TraceError:
        assert both(bytes(data)) == (False, -1, Rule.MALFORMED)
        return
    ok, _, _ = both(bytes(data))
    if is_legacy_twin(flip_targets[which], bytes(data)):
        assert ok, "the version-1 encoding of a BLAKE3 trace still verifies"
        return
    assert not ok, f"byte {pos} (^{mask:#x}) is not bound"


def is_legacy_twin(good: bytes, bad: bytes) -> bool:
    """Whether ``bad`` is the BLAKE3 trace ``good`` in the other version (1 <-> 2): the
    one other encoding of the same execution, which still decodes and verifies
    (docs/vm-and-trace.md, "Trace encoding")."""
    other = {1: 2, 2: 1}.get(good[4])
    return good[5] == 0 and other is not None and bad == good[:4] + bytes([other]) + good[5:]


def test_every_header_byte_is_bound(flip_targets):
    """The header exhaustively for the coinbase (every mask) and every other byte (four)."""
    from pouw.trace import ExecutionTrace

    for data in flip_targets:
        for pos in range(80):
            for mask in range(1, 256) if 12 <= pos < 16 else (1, 0x10, 0x80, 0xFF):
                bad = bytearray(data)
                bad[pos] ^= mask
                try:
                    ExecutionTrace.from_bytes(bytes(bad))
                except TraceError:
                    assert check_trace(bytes(bad)) == (False, -1, Rule.MALFORMED)
                    continue
                if is_legacy_twin(data, bytes(bad)):
                    assert check_trace(bytes(bad))[0], (pos, mask)
                    continue
                assert not check_trace(bytes(bad))[0], (pos, mask)


def test_threads_check_concurrently(executed):
    """The kernel runs without the GIL; concurrent checks still give each caller its answer."""
    from concurrent.futures import ThreadPoolExecutor

    from pouw.trace import ExecutionTrace

    good = ExecutionTrace.concat(executed).to_bytes()
    bad = tamper(good, 5, gas_left=1)
    want = {good: check_trace(good), bad: check_trace(bad)}
    assert want[good][0] and not want[bad][0]
    with ThreadPoolExecutor(4) as pool:
        jobs = [good, bad] * 8
        assert list(pool.map(check_trace, jobs)) == [want[d] for d in jobs]


# --- the Merkle folds on every kernel this host runs (csrc/pw_fold_simd.h) ------


@pytest.fixture(params=native_merkle.simd_levels())
def simd(request):
    """Force one fold kernel (the checker takes the package's level) for the test."""
    before = native_merkle.simd_level()
    native_merkle._set_simd_level(request.param)
    yield request.param
    native_merkle._set_simd_level(before)


_REFERENCE_ANSWERS: dict[bytes, tuple] = {}


def same_on_every_kernel(data: bytes) -> tuple:
    """The native answer on the forced kernel equals the oracle's (computed once per input)."""
    key = blake3(data).digest()
    if key not in _REFERENCE_ANSWERS:
        _REFERENCE_ANSWERS[key] = tuple(reference.check_trace(data))
    got = tuple(check_trace(data))
    assert got == _REFERENCE_ANSWERS[key], (got, _REFERENCE_ANSWERS[key])
    return got


def test_every_fold_kernel_gives_the_same_answers(simd, spec_traces, executed):
    """Folds are computed a chunk of steps ahead, in SIMD lanes, skipping implied
    ones; the first failing step and rule must be those of the oracle, on every
    kernel, for tampers anywhere (chunk edges included)."""
    from pouw.trace import ExecutionTrace

    big = ExecutionTrace.concat(executed[:60]).to_bytes()  # > 2 chunks of 128 steps
    _, big_steps = split(big)
    assert len(big_steps) > 2 * 128 + 2
    for data in [*base_traces(spec_traces, executed).values(), big]:
        assert same_on_every_kernel(data)[0]
    for i in (0, 1, 2, 126, 127, 128, 129, 255, 256, 257, len(big_steps) - 1):
        for col in ("owner", "path", "root_after", "balance_before", "nonce_after", "account"):
            assert not same_on_every_kernel(
                tamper(big, i, **{col: bumped(big_steps[i][col], col)})
            )[0]
    for name in ("exec_ok", "credit_overflow_undo", "batch_of_dead_intents"):
        data = base_traces(spec_traces, executed)[name]
        _, steps = split(data)
        for i, step in enumerate(steps):
            for col in ("owner", "path", "root_after", "balance_before", "balance_after"):
                assert not same_on_every_kernel(tamper(data, i, **{col: bumped(step[col], col)}))[0]


@pytest.fixture(params=native_field.backends())
def field_backend(request):
    """Force one field multiply backend (the Poseidon folds run on it) for the test."""
    before = native_field.backend()
    native_field._set_backend(request.param)
    yield request.param
    native_field._set_backend(before)


def test_every_poseidon_backend_gives_the_same_answers(field_backend, executed, state_hash):
    """Poseidon folds run level by level in batches, 8 to an IFMA permutation or one at a
    time on ADX or portable multiplies: the same first failing step and rule everywhere."""
    from pouw.trace import ExecutionTrace

    if state_hash != "poseidon":
        pytest.skip("the field backend only runs Poseidon folds")
    big = ExecutionTrace.concat(executed[:30]).to_bytes()
    _, steps = split(big)
    assert same_on_every_kernel(big)[0]
    for i in (0, 1, 7, 8, 9, len(steps) - 1):
        for col in ("owner", "path", "root_after", "balance_after"):
            assert not same_on_every_kernel(tamper(big, i, **{col: bumped(steps[i][col], col)}))[0]


R_FR = 21888242871839275222246405745257275088548364400416034343698204186575808495617


def test_poseidon_values_that_are_not_field_elements_are_refused(executed, state_hash):
    """x and x + r are one field element: a Poseidon trace whose owner, sibling or root
    is written as x + r (a 32-byte integer >= r) must be refused by both checkers, at
    the Merkle rule, never reduced into the valid trace."""
    if state_hash != "poseidon":
        pytest.skip("BLAKE3 takes any 32 bytes")
    data = first_with(executed, (Op.REWARD, StepStatus.OK))
    _, steps = split(data)
    depth = data[6]

    def plus_r(b: bytes) -> bytes | None:
        x = int.from_bytes(b, "big") + R_FR
        return x.to_bytes(32, "big") if x < 1 << 256 else None

    i = 2  # a body op: its leaf changes
    owner = plus_r(steps[i]["owner"])
    assert owner is not None  # genesis owners are below 2^253
    assert_refused(tamper(data, i, owner=owner), Rule.MERKLE_BEFORE, i)
    path = bytearray(steps[i]["path"])
    for level in range(depth):
        sib = plus_r(bytes(path[32 * level : 32 * level + 32]))
        if sib is not None:
            bad = bytes(path[: 32 * level]) + sib + bytes(path[32 * level + 32 :])
            assert_refused(tamper(data, i, path=bad), Rule.MERKLE_BEFORE, i)
            break
    else:
        pytest.fail("no sibling small enough to add r to")
    root = plus_r(steps[i]["root_after"])
    if root is not None:
        assert_refused(tamper(data, i, root_after=root), Rule.MERKLE_AFTER, i)


def test_check_traces_batch_matches_one_by_one():
    one, many = check_trace, check_traces
    from pouw.node.executor import Executor
    from pouw.node.intents import generate_intents
    from pouw.node.state import AccountState

    state = AccountState.genesis(64, 10**12)
    ex = Executor()
    datas = [
        ex.execute_intent_with_trace(i, state)[1].to_bytes()
        for i in generate_intents(12, seed=5, n_accounts=64)
    ]
    bad = bytearray(datas[3])
    bad[-1] ^= 1  # the last root_after
    datas[3] = bytes(bad)
    datas.append(b"garbage")
    assert many(datas) == [one(d) for d in datas]
    assert many(datas)[3][0] is False and many(datas)[-1] == (False, -1, 1)
    assert many([]) == []
    with pytest.raises(TypeError):
        many([None])
