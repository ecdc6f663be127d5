"""Groth16 over BN254 (alt_bn128), compatible with snarkjs, circom and Ethereum.

One module per phase (as in arkworks): :mod:`.keys` (the data), :mod:`.generator`
(development :func:`setup`), :mod:`.qap` (R1CS to QAP), :mod:`.prover`
(:func:`prove`), :mod:`.verifier` (:func:`verify`, :class:`PreparedVerifyingKey`),
:mod:`.keyfile` (the library's own key file), :mod:`.circuit_prover`
(:class:`Groth16Prover`).  Proofs are malleable: never use proof bytes as an identity.
"""

from __future__ import annotations

from .circuit_prover import Groth16Prover, TraceCircuit, decode_proof, encode_proof
from .generator import setup
from .keyfile import load_proving_key, load_zkey_cached, save_proving_key
from .keys import Proof, ProvingKey, VerifyingKey
from .prover import prove
from .verifier import PreparedVerifyingKey, check_proof, prepare, verify

__all__ = [
    "Proof",
    "ProvingKey",
    "VerifyingKey",
    "PreparedVerifyingKey",
    "setup",
    "prove",
    "verify",
    "prepare",
    "check_proof",
    "Groth16Prover",
    "TraceCircuit",
    "encode_proof",
    "decode_proof",
    "save_proving_key",
    "load_proving_key",
    "load_zkey_cached",
]
