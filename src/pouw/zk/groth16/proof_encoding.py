"""The 256-byte encoding of a Groth16 proof, the layout of a Solidity verifier's
calldata: ``A || B || C`` in the Ethereum precompiles' encoding (EIP-196/197,
big-endian, G2 as ``x_c1, x_c0, y_c1, y_c0``).

Proofs are malleable: never use proof bytes as an identity.
"""

from __future__ import annotations

from ...errors import CurveError, ProofError
from ..curve_encoding import decode_g1, decode_g2, encode_g1, encode_g2
from .keys import Proof

__all__ = ["PROOF_BYTES", "encode_proof", "decode_proof"]

#: Bytes of an encoded proof: two G1 points of 64 bytes and one G2 point of 128.
PROOF_BYTES = 256


def encode_proof(proof: Proof) -> bytes:
    """The 256-byte EIP-196/197 encoding ``A || B || C``."""
    return encode_g1(proof.a) + encode_g2(proof.b) + encode_g1(proof.c)


def decode_proof(data: bytes) -> Proof:
    """The proof of a 256-byte encoding; ProofError for any malformed point."""
    if len(data) != PROOF_BYTES:
        raise ProofError(f"a Groth16 proof is {PROOF_BYTES} bytes, got {len(data)}")
    try:
        a, b, c = decode_g1(data[:64]), decode_g2(data[64:192]), decode_g1(data[192:])
    except (CurveError, ValueError) as exc:
        raise ProofError(f"malformed proof: {exc}") from None
    if a is None or b is None or c is None:
        raise ProofError("malformed proof: a point at infinity")
    return Proof(a, b, c)
