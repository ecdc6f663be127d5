"""Groth16 over BN254 (alt_bn128), compatible with snarkjs, circom and Ethereum.

One module per phase (as in arkworks): :mod:`.keys` (the data), :mod:`.generator`
(development :func:`setup`), :mod:`.qap` (R1CS to QAP), :mod:`.prover`
(:func:`prove`), :mod:`.verifier` (:func:`verify`, :class:`PreparedVerifyingKey`),
:mod:`.keyfile` (the library's own key file), :mod:`.proof_encoding` (the
256-byte proof bytes).  Proofs are malleable: never use proof bytes as an identity.

The prover of traces over Groth16 is in the prover layer:
:class:`pouw.prover.Groth16Prover`.  Its old paths ``pouw.zk.groth16.Groth16Prover``
(and ``TraceCircuit``) and :mod:`.circuit_prover` still work until the next
release, with a ``DeprecationWarning``; they import the prover layer only when
used, so this package never does.
"""

from __future__ import annotations

from ..._moved import moved_names
from .generator import setup
from .keyfile import load_proving_key, load_zkey_cached, save_proving_key
from .keys import Proof, ProvingKey, VerifyingKey
from .proof_encoding import decode_proof, encode_proof
from .prover import prove
from .verifier import PreparedVerifyingKey, check_proof, prepare, verify

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads the name)

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
    "encode_proof",
    "decode_proof",
    "save_proving_key",
    "load_proving_key",
    "load_zkey_cached",
]

if not TYPE_CHECKING:  # hidden from mypy, which would then accept any attribute
    __getattr__ = moved_names(
        __name__,
        {"Groth16Prover": "pouw.prover.groth16", "TraceCircuit": "pouw.prover.groth16"},
        submodules=frozenset({"circuit_prover"}),  # deprecated; imported eagerly before
    )
