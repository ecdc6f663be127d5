"""Groth16 proofs of the node's own traces, per tier, at a small depth.

Keys come from ``pouw.zk.groth16.setup`` (development keys, seeded here so the
test is reproducible); every proof is checked by pouw and one per tier by
py_ecc alone (``groth16_support.py_ecc_verify``).
"""

from __future__ import annotations

import random

import pytest

from groth16_support import py_ecc_verify
from pouw.errors import ProofError
from pouw.node.executor import Executor
from pouw.node.intents import Transfer, generate_intents
from pouw.node.state import AccountState
from pouw.prover.circuits.tiers import TierCircuit, circuit_for
from pouw.prover.groth16 import Groth16Prover
from pouw.status import JobTier
from pouw.trace import ExecutionTrace
from pouw.zk.groth16.generator import setup
from pouw.zk.groth16.proof_encoding import decode_proof

DEPTH = 4
JOB = "ab" * 32


@pytest.fixture(scope="module")
def provers() -> dict[str, tuple[TierCircuit, Groth16Prover]]:
    out = {}
    for k, tier in enumerate(("micro", "macro", "full")):
        circuit = circuit_for(tier, DEPTH, 2)
        pk, _ = setup(circuit.compiled.r1cs, random.Random(k))
        out[tier] = (circuit, Groth16Prover(pk, circuit))
    return out


@pytest.fixture(scope="module")
def traces() -> dict[str, ExecutionTrace]:
    state = AccountState.genesis(10, depth=DEPTH, hash="poseidon")
    ex = Executor(coinbase=3)
    ok = ex.execute_intent_with_trace(Transfer(1, 2, 50, 0), state)[1]
    failed = ex.execute_intent_with_trace(Transfer(1, 2, 1 << 62, 1), state)[1]
    intents = list(generate_intents(2, 9, n_accounts=10, state=state))
    batch = ex.execute_batch_with_trace(intents, state)[1]
    return {"ok": ok, "failed": failed, "batch": batch}


def test_every_tier_proves_and_verifies(provers, traces) -> None:
    cases = [
        ("macro", "ok"),
        ("macro", "failed"),
        ("full", "ok"),
        ("full", "batch"),
        ("micro", "ok"),
    ]
    for tier, name in cases:
        circuit, prover = provers[tier]
        trace = traces[name]
        proof = prover.prove(trace, tier=tier, job_id=JOB)
        assert prover.verify(trace, proof, tier=tier, job_id=JOB), (tier, name)
        assert not prover.verify(trace, proof, tier=tier, job_id="cd" * 32)
        assert not prover.verify(trace, proof, tier=tier, job_id=None)


def test_py_ecc_accepts_each_tier_and_refuses_another_statement(provers, traces) -> None:
    for tier in ("micro", "macro", "full"):
        circuit, prover = provers[tier]
        trace = traces["ok"]
        proof = decode_proof(prover.prove(trace, tier=tier, job_id=JOB))
        publics = circuit.public_inputs(trace, tier=tier, job_id=JOB)
        vk = prover._pvk.vk
        assert py_ecc_verify(vk, publics, proof), tier
        wrong_fee = list(publics)
        wrong_fee[3] += 1
        assert not py_ecc_verify(vk, wrong_fee, proof)


def test_a_proof_under_another_tiers_key_fails(provers, traces) -> None:
    macro, full = provers["macro"][1], provers["full"][1]
    trace = traces["ok"]
    proof = macro.prove(trace, tier="macro", job_id=JOB)
    assert not full.verify(trace, proof, tier="full", job_id=JOB)


def test_a_proof_under_another_depths_key_fails(provers, traces) -> None:
    circuit, prover = provers["macro"]
    trace = traces["ok"]
    proof = decode_proof(prover.prove(trace, tier="macro", job_id=JOB))
    other = circuit_for("macro", DEPTH + 1)
    _, vk = setup(other.compiled.r1cs, random.Random(7))
    from pouw.zk.groth16.verifier import verify

    publics = circuit.public_inputs(trace, tier="macro", job_id=JOB)
    assert not verify(vk, publics, proof)
    # and the other depth's circuit does not take this trace at all
    with pytest.raises(ProofError, match="depth"):
        other.public_inputs(trace, tier="macro", job_id=JOB)


def test_a_tampered_trace_is_not_proven_and_its_proof_does_not_verify(provers, traces) -> None:
    _, prover = provers["macro"]
    trace = traces["ok"]
    proof = prover.prove(trace, tier="macro", job_id=JOB)
    data = bytearray(trace.to_bytes())
    data[-40] ^= 1  # the last step's path
    forged = ExecutionTrace.from_bytes(bytes(data))
    with pytest.raises(ProofError):
        prover.prove(forged, tier="macro", job_id=JOB)
    assert not prover.verify(forged, proof, tier="macro", job_id=JOB)


def test_a_circuit_refuses_the_wrong_tier_or_shape(provers, traces) -> None:
    _, prover = provers["macro"]
    with pytest.raises(ProofError, match="macro circuit"):
        prover.prove(traces["ok"], tier="full", job_id=JOB)
    with pytest.raises(ProofError, match="one intent"):
        prover.prove(traces["batch"], tier="macro", job_id=JOB)
    assert not prover.verify(traces["ok"], b"\x00" * 256, tier="macro", job_id=JOB)


def test_circuit_for_defaults_and_checks() -> None:
    assert circuit_for("full", DEPTH).batch_size == 4
    assert circuit_for(JobTier.MACRO, DEPTH).batch_size == 1
    with pytest.raises(ValueError):
        TierCircuit(JobTier.MACRO, DEPTH, 2)
    with pytest.raises(ValueError):
        circuit_for("huge", DEPTH)
    assert circuit_for("macro", DEPTH).digest == circuit_for("macro", DEPTH).digest


def test_a_micro_job_proves_its_own_step(provers, traces) -> None:
    """prove_job passes the job's step: each step of an intent is its own job and proof."""
    from pouw.job import ProofJob

    circuit, prover = provers["micro"]
    trace = traces["ok"]
    jobs = [
        ProofJob.new_for_trace(trace, "micro", 1, 60_000, circuit=circuit.digest, step=i)
        for i in (0, 2, trace.n_steps - 1)
    ]
    assert len({j.job_id for j in jobs}) == 3
    proofs = [prover.prove_job(j) for j in jobs]
    for j, p in zip(jobs, proofs, strict=True):
        assert prover.verify_job(j, p)
    assert not prover.verify_job(jobs[1], proofs[0])  # another step's proof
    assert not prover.verify(trace, proofs[1], tier="micro", job_id=jobs[1].job_id, step=3)
    with pytest.raises(ProofError, match="whole unit"):
        provers["macro"][1].prove(trace, tier="macro", job_id=JOB, step=1)
