"""The mock prover: proofs bound to trace, tier and job; a real constraint check behind them."""

from __future__ import annotations

import copy
import struct

import pytest

from pouw import JobTier, ProofError, ProofJob, TraceError, ZkMode
from pouw.isa import Op
from pouw.node.executor import Executor
from pouw.node.intents import generate_intents
from pouw.node.state import AccountState
from pouw.prover import MockProver, Prover, Rule, check_trace, get_prover, prove_trace, verify
from pouw.prover.mock import PROOF_SIZE, TAG_KEY
from pouw.trace import ExecutionTrace

JOB_A = "ab" * 32
JOB_B = "cd" * 32


@pytest.fixture(scope="module")
def traces() -> list[ExecutionTrace]:
    state = AccountState.genesis(8)
    executor = Executor(coinbase=2)
    return [
        executor.execute_intent_with_trace(i, state)[1]
        for i in generate_intents(40, 5, n_accounts=8)
    ]


@pytest.fixture(scope="module")
def trace(traces) -> ExecutionTrace:
    return next(t for t in traces if Op.REWARD in t.op.tolist())


@pytest.fixture(scope="module")
def broken(trace) -> ExecutionTrace:
    """Well-formed (it decodes) but a DEBIT claims a failure: it breaks STATUS."""
    data = bytearray(trace.to_bytes())
    n, i = trace.n_steps, trace.op.tolist().index(Op.DEBIT)
    data[80 + n + i] = 4  # status column: INSUFFICIENT_BALANCE
    return ExecutionTrace.from_bytes(bytes(data))


def test_mock_prover_satisfies_the_protocol():
    prover = MockProver()
    assert isinstance(prover, Prover)
    assert prover.zk_mode is ZkMode.MOCK
    assert get_prover("mock").zk_mode is ZkMode.MOCK
    assert get_prover(ZkMode.MOCK).zk_mode is ZkMode.MOCK


def test_round_trip_every_trace(traces):
    prover = MockProver()
    for t in traces:
        proof = prover.prove(t)
        assert len(proof) == PROOF_SIZE
        assert proof[:4] == b"PWMP"
        assert prover.verify(t, proof)
    batch = ExecutionTrace.concat(traces)
    for tier in JobTier:
        proof = prover.prove(batch, tier=tier, job_id=JOB_A)
        assert prover.verify(batch, proof, tier=tier, job_id=JOB_A)


def test_proof_binds_its_fields(trace):
    proof = MockProver().prove(trace, tier=JobTier.FULL, job_id=JOB_A)
    magic, version, tier, job, th, pre, post = struct.unpack_from("<4sHB32s32s32s32s", proof)
    assert (magic, version, tier) == (b"PWMP", 1, 3)
    assert job.hex() == JOB_A and th.hex() == trace.trace_hash
    assert pre == trace.pre_root and post == trace.post_root
    inline = MockProver().prove(trace)
    assert inline[7:39] == bytes(32)


def test_deterministic(trace):
    assert MockProver().prove(trace, job_id=JOB_A) == MockProver().prove(trace, job_id=JOB_A)
    assert prove_trace(trace, "mock") == MockProver().prove(trace)
    assert prove_trace(trace, ZkMode.MOCK, tier="full") == MockProver().prove(
        trace, tier=JobTier.FULL
    )


def test_verify_rejects_another_trace_tier_or_job(traces, trace):
    prover = MockProver()
    proof = prover.prove(trace, tier=JobTier.MACRO, job_id=JOB_A)
    assert prover.verify(trace, proof, tier="macro", job_id=JOB_A)
    other = next(t for t in traces if t.trace_hash != trace.trace_hash)
    assert not prover.verify(other, proof, tier=JobTier.MACRO, job_id=JOB_A)
    assert not prover.verify(trace, proof, tier=JobTier.MICRO, job_id=JOB_A)
    assert not prover.verify(trace, proof, tier=JobTier.FULL, job_id=JOB_A)
    assert not prover.verify(trace, proof, tier=JobTier.MACRO, job_id=JOB_B)
    assert not prover.verify(trace, proof, tier=JobTier.MACRO)  # inline vs job
    assert not prover.verify(trace, prover.prove(trace), job_id=JOB_A)


def test_verify_rejects_malformed_proofs_without_raising(trace):
    prover = MockProver()
    proof = prover.prove(trace, job_id=JOB_A)
    bad = [proof[:-1], proof[:100], b"", proof + b"\0", proof * 2, None, "PWMP", 17, proof[::-1]]
    for p in bad:
        assert prover.verify(trace, p, job_id=JOB_A) is False
    for pos in range(len(proof)):  # every byte of the proof is bound
        for mask in (0x01, 0x80):
            flipped = bytearray(proof)
            flipped[pos] ^= mask
            assert prover.verify(trace, bytes(flipped), job_id=JOB_A) is False, pos
    assert prover.verify(trace, bytearray(proof), job_id=JOB_A)
    assert prover.verify(trace, memoryview(proof), job_id=JOB_A)


def test_bad_arguments_raise(trace):
    prover = MockProver()
    with pytest.raises(ValueError, match="tier"):
        prover.prove(trace, tier="huge")
    with pytest.raises(ValueError, match="job_id"):
        prover.prove(trace, job_id="xyz")
    with pytest.raises(ValueError, match="job_id"):
        prover.verify(trace, b"", job_id="ab" * 31)


def test_invalid_trace_raises_proof_error_naming_step_op_rule(broken):
    i = broken.op.tolist().index(Op.DEBIT)
    assert check_trace(broken.to_bytes()) == (False, i, Rule.STATUS)
    with pytest.raises(ProofError) as info:
        MockProver().prove(broken)
    msg = str(info.value)
    assert f"step {i}" in msg and "DEBIT" in msg and "STATUS" in msg
    assert "INSUFFICIENT_BALANCE" in msg and broken.trace_hash[:16] in msg
    with pytest.raises(ProofError, match="STATUS"):
        prove_trace(broken, "mock")


def test_verifier_reruns_the_check(trace, broken):
    """A well-formed proof record (right fields, right tag) over a broken trace is refused."""
    from blake3 import blake3

    body = struct.pack(
        "<4sHB32s32s32s32s",
        b"PWMP",
        1,
        2,
        bytes(32),
        bytes.fromhex(broken.trace_hash),
        broken.pre_root,
        broken.post_root,
    )
    forged = body + blake3(body, key=TAG_KEY).digest()
    assert MockProver().verify(trace, MockProver().prove(trace))
    assert not MockProver().verify(broken, forged)
    assert not verify(broken, forged, "mock")


def test_header_failures_name_the_header(trace):
    data = bytearray(trace.to_bytes())
    data[50] ^= 1  # intent_id
    with pytest.raises(ProofError, match="the header: INTENT_ID"):
        MockProver().prove(ExecutionTrace.from_bytes(bytes(data)))


def test_groth16_is_refused_never_mock_proved(trace):
    with pytest.raises(ProofError, match="needs a circuit and its key"):
        get_prover("groth16")
    with pytest.raises(ProofError, match="groth16"):
        prove_trace(trace, ZkMode.GROTH16)
    with pytest.raises(ProofError, match="groth16"):
        verify(trace, MockProver().prove(trace), "groth16")


def test_unknown_zk_mode_names_the_choices(trace):
    with pytest.raises(ValueError, match="'mock', 'groth16'"):
        get_prover("plonk")
    with pytest.raises(ValueError, match="zk_mode"):
        prove_trace(trace, "MOCK")


def test_module_functions_round_trip(trace):
    proof = prove_trace(trace, "mock", tier=JobTier.MICRO, job_id=JOB_B)
    assert verify(trace, proof, "mock", tier=JobTier.MICRO, job_id=JOB_B)
    assert not verify(trace, proof, "mock", tier=JobTier.MICRO, job_id=JOB_A)


# --- jobs ----------------------------------------------------------------------


def test_prove_and_verify_jobs(traces, trace):
    prover = MockProver()
    job = ProofJob.new_for_trace(trace, JobTier.MACRO, 1000, 60_000)
    proof = prover.prove_job(job)
    assert proof == prover.prove(trace, tier=JobTier.MACRO, job_id=job.job_id)
    assert prover.verify_job(job, proof)
    # another fee -> another job id; another tier; another trace
    assert not prover.verify_job(ProofJob.new_for_trace(trace, JobTier.MACRO, 1001, 60_000), proof)
    assert not prover.verify_job(ProofJob.new_for_trace(trace, JobTier.FULL, 1000, 60_000), proof)
    other = next(t for t in traces if t.trace_hash != trace.trace_hash)
    assert not prover.verify_job(ProofJob.new_for_trace(other, JobTier.MACRO, 1000, 60_000), proof)
    assert not prover.verify_job(job, proof[:-1])


def test_job_with_altered_bytes(trace, broken):
    prover = MockProver()
    job = ProofJob.new_for_trace(trace, JobTier.MACRO, 5, 60_000)
    proof = prover.prove_job(job)
    altered = copy.copy(job)  # a job whose stored bytes were altered after it was made
    altered.trace_data = broken.to_bytes()
    with pytest.raises(TraceError):
        prover.prove_job(altered)
    assert prover.verify_job(altered, proof) is False
    bad_job = ProofJob.new_for_trace(broken, JobTier.MACRO, 5, 60_000)
    with pytest.raises(ProofError):
        prover.prove_job(bad_job)


def test_the_mock_prover_takes_a_micro_jobs_step():
    """A Micro job's step goes to the prover (prove_job); the proof binds it through the job id."""
    from pouw.job import ProofJob
    from pouw.node.executor import Executor
    from pouw.node.intents import Transfer
    from pouw.node.state import AccountState
    from pouw.prover import MockProver

    state = AccountState.genesis(4, depth=6)
    trace = Executor().execute_intent_with_trace(Transfer(0, 1, 5, 0), state)[1]
    prover = MockProver()
    a, b = (ProofJob.new_for_trace(trace, "micro", 0, 60_000, step=i) for i in (0, 1))
    pa = prover.prove_job(a)
    assert prover.verify_job(a, pa) and not prover.verify_job(b, pa)
    with pytest.raises(ValueError, match="steps"):
        prover.prove(trace, tier="micro", step=trace.n_steps)
