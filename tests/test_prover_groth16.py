"""pouw.prover.groth16: the Prover protocol over Groth16 for a caller's circuit;
a proof binds the trace, tier and job through the circuit's public inputs, and
any other trace, tier, job or malformed bytes is refused without raising.  Its
old paths under pouw.zk.groth16 still work, with a DeprecationWarning."""

from __future__ import annotations

import importlib
import random
import warnings

import pytest
from blake3 import blake3

from groth16_support import matrix
from pouw import JobTier, ProofError
from pouw.prover import Groth16Prover, TraceCircuit
from pouw.prover.base import Prover
from pouw.status import ZkMode
from pouw.zk.field import R
from pouw.zk.groth16 import decode_proof, encode_proof, prove, setup
from pouw.zk.groth16.proof_encoding import PROOF_BYTES
from pouw.zk.r1cs import R1CS

JOB = "ab" * 32


class HashBinding:
    """A toy circuit: public t = H(trace, tier, job) mod r; private s with s * s = u,
    u public too (u = s^2): proves knowledge of a square root bound to the statement."""

    def __init__(self) -> None:
        # wires [1, t, u, s]; constraints: s * s = u ; t * 1 = t (binds t into the QAP)
        a = matrix([[(3, 1)], [(1, 1)]])
        b = matrix([[(3, 1)], [(0, 1)]])
        c = matrix([[(2, 1)], [(1, 1)]])
        self.r1cs = R1CS(4, 2, a, b, c)

    @staticmethod
    def _t(trace, tier, job_id) -> int:
        data = repr(trace).encode() + str(tier).encode() + (job_id or "").encode()
        return int.from_bytes(blake3(data).digest(), "little") % R

    def witness(self, trace, *, tier, job_id):
        s = trace["secret"]
        if s == 0:
            raise ProofError("the trace breaks the toy rule (secret 0)")
        return [1, self._t(trace, tier, job_id), s * s % R, s]

    def public_inputs(self, trace, *, tier, job_id):
        return [self._t(trace, tier, job_id), trace["secret"] ** 2 % R]


@pytest.fixture(scope="module")
def prover():
    circuit = HashBinding()
    pk, _ = setup(circuit.r1cs, rng=random.Random(5))
    return Groth16Prover(pk, circuit)


TRACE = {"secret": 12345}


def test_satisfies_the_prover_protocol(prover):
    assert isinstance(prover, Prover) and isinstance(HashBinding(), TraceCircuit)
    assert prover.zk_mode is ZkMode.GROTH16
    assert prover.proof_size == PROOF_BYTES  # a node refuses other sizes unverified


def test_proof_verifies_for_its_trace_tier_and_job(prover):
    proof = prover.prove(TRACE, tier=JobTier.MICRO, job_id=JOB)
    assert len(proof) == PROOF_BYTES
    assert prover.verify(TRACE, proof, tier="micro", job_id=JOB)


@pytest.mark.parametrize(
    "trace, tier, job",
    [
        ({"secret": 54321}, JobTier.MICRO, JOB),
        (TRACE, JobTier.MACRO, JOB),
        (TRACE, JobTier.MICRO, "cd" * 32),
        (TRACE, JobTier.MICRO, None),
    ],
)
def test_proof_fails_for_another_statement(prover, trace, tier, job):
    proof = prover.prove(TRACE, tier=JobTier.MICRO, job_id=JOB)
    assert not prover.verify(trace, proof, tier=tier, job_id=job)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: p[:-1],
        lambda p: p + b"\0",
        lambda p: b"",
        lambda p: bytes(256),
        lambda p: p[:10] + bytes([p[10] ^ 1]) + p[11:],
        lambda p: p[:100] + bytes([p[100] ^ 1]) + p[101:],
        lambda p: p[:200] + bytes([p[200] ^ 1]) + p[201:],
        lambda p: b"\xff" * 256,
        lambda p: "not bytes",
    ],
)
def test_malformed_proof_bytes_are_false_never_raise(prover, mangle):
    proof = prover.prove(TRACE, tier=JobTier.MICRO, job_id=JOB)
    assert not prover.verify(TRACE, mangle(proof), tier=JobTier.MICRO, job_id=JOB)


def test_trace_breaking_the_circuit_is_refused(prover):
    with pytest.raises(ProofError, match="toy rule"):
        prover.prove({"secret": 0})


def test_verify_only_prover_refuses_to_prove(prover):
    verifier_only = Groth16Prover(None, HashBinding(), vk=prover._pvk.vk)
    proof = prover.prove(TRACE, job_id=JOB)
    assert verifier_only.verify(TRACE, proof, job_id=JOB)
    with pytest.raises(ProofError, match="no proving key"):
        verifier_only.prove(TRACE)
    with pytest.raises(ValueError, match="proving key or a verifying key"):
        Groth16Prover(None, HashBinding())


def test_proof_encoding_round_trip_and_rejections():
    circuit = HashBinding()
    pk, _ = setup(circuit.r1cs, rng=random.Random(6))
    p = prove(pk, circuit.witness(TRACE, tier=JobTier.MACRO, job_id=None))
    assert decode_proof(encode_proof(p)) == p
    with pytest.raises(ProofError, match="256 bytes"):
        decode_proof(encode_proof(p)[:-1])
    with pytest.raises(ProofError, match="infinity"):
        decode_proof(bytes(256))


# ---------------------------------------------------------------- the old paths (one release)

MOVED = {
    ("pouw.zk.groth16", "Groth16Prover"): "pouw.prover.groth16",
    ("pouw.zk.groth16", "TraceCircuit"): "pouw.prover.groth16",
    **{
        ("pouw.zk.groth16.circuit_prover", name): "pouw.prover.groth16"
        for name in ("Groth16Prover", "TraceCircuit")
    },
    **{
        ("pouw.zk.groth16.circuit_prover", name): "pouw.zk.groth16.proof_encoding"
        for name in ("encode_proof", "decode_proof", "PROOF_BYTES")
    },
}


@pytest.mark.parametrize(("old", "name", "new"), [(*k, v) for k, v in MOVED.items()])
def test_an_old_path_warns_and_gives_the_moved_object(old, name, new):
    old_module, new_module = importlib.import_module(old), importlib.import_module(new)
    with pytest.warns(DeprecationWarning) as caught:
        value = getattr(old_module, name)
    assert value is getattr(new_module, name)
    (warning,) = caught
    assert f"{old}.{name}" in str(warning.message) and f"{new}.{name}" in str(warning.message)
    assert warning.filename == __file__  # blames the code that used the old path


def test_from_imports_of_the_old_paths_warn_too():
    with pytest.warns(DeprecationWarning, match=r"use pouw\.prover\.groth16\.Groth16Prover"):
        from pouw.zk.groth16 import Groth16Prover as old
    assert old is Groth16Prover
    with pytest.warns(DeprecationWarning, match="PROOF_BYTES"):
        from pouw.zk.groth16.circuit_prover import PROOF_BYTES as old_size
    assert old_size == PROOF_BYTES


def test_the_current_paths_do_not_warn():
    import pouw.zk.groth16

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        namespace: dict[str, object] = {}
        exec("from pouw.zk.groth16 import *", namespace)
        assert pouw.zk.groth16.encode_proof is encode_proof
        assert pouw.zk.groth16.circuit_prover.__name__ == "pouw.zk.groth16.circuit_prover"
    assert "Groth16Prover" not in namespace  # no longer listed: importing * does not warn


@pytest.mark.parametrize("old", ["pouw.zk.groth16", "pouw.zk.groth16.circuit_prover"])
def test_a_name_that_never_lived_there_is_an_attribute_error(old):
    module = importlib.import_module(old)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError, match="no attribute 'Groth17Prover'"):
            module.Groth17Prover  # noqa: B018
