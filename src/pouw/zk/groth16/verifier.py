"""Groth16 verification: ``verify(vk, public_inputs, proof) -> bool``.

A proof ``(A, B, C)`` for public inputs ``x_1..x_l`` is accepted when

    e(A, B) = e(alpha, beta) * e(X, gamma) * e(C, delta),
    X = ic[0] + sum_i x_i ic[i],

checked as one pairing product ``e(A, B) e(-X, gamma) e(-C, delta)`` (three
Miller loops, one final exponentiation) compared with ``e(alpha, beta)``,
which :class:`PreparedVerifyingKey` computes once with the Miller-loop lines
of ``gamma`` and ``delta``.

Everything untrusted is validated, never reduced: a public input that is not
an integer in ``[0, r)`` (accepting ``x + r`` would let a proof be replayed
for another statement, iden3/snarkjs#358), the wrong number of public inputs,
proof points at infinity, off the curve, outside G2's subgroup or with a
coordinate not below ``q``.  :func:`verify` answers ``False`` for all of
these (it never raises on the proof's or the inputs' values);
:func:`check_proof` raises :class:`~pouw.errors.ProofError` saying why.

Groth16 proofs are malleable: from one valid proof anyone can derive others
for the same statement, so a proof's bytes are never an identity.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..._native import pairing as _p
from ...errors import CurveError, ProofError
from ..curve import G1Array, G2Array, g1_msm
from ..field import FrArray, R
from ..pairing import Fq12, G2Prepared, pairing
from .keys import Proof, ProvingKey, VerifyingKey

_SYSTEM_RANDOM = secrets.SystemRandom()

__all__ = [
    "PreparedVerifyingKey",
    "prepare",
    "prepared_key",
    "verify",
    "verify_batch",
    "check_proof",
]


@dataclass(frozen=True, eq=False)
class PreparedVerifyingKey:
    """A verifying key ready for many checks: ``e(alpha, beta)``, the lines of
    ``gamma`` and ``delta``, and ``ic`` as a native array (build with :func:`prepare`)."""

    vk: VerifyingKey
    alpha_beta: Fq12
    gamma: G2Prepared
    delta: G2Prepared
    ic: G1Array
    beta: G2Prepared | None = None  #: the lines of ``beta`` (for :func:`verify_batch`)


def prepare(vk: VerifyingKey) -> PreparedVerifyingKey:
    """Validate ``vk`` and precompute what verification reuses.

    CurveError for a point off its curve or subgroup, with a coordinate not
    below q, or at infinity (which would make the check vacuous)."""
    if not isinstance(vk, VerifyingKey):
        raise TypeError(f"expected a VerifyingKey, got {type(vk).__name__}")
    if len(vk.ic) < 1:
        raise CurveError("a verifying key needs at least ic[0]")
    # A point at infinity makes a pairing factor 1: with gamma (or delta) at
    # infinity any public input (or any C) passes, so such a key is refused.
    named = [("alpha_g1", vk.alpha_g1), ("beta_g2", vk.beta_g2), ("gamma_g2", vk.gamma_g2)]
    named += [("delta_g2", vk.delta_g2)] + [(f"ic[{i}]", p) for i, p in enumerate(vk.ic)]
    for name, point in named:
        if point is None:
            raise CurveError(f"verifying key {name} is the point at infinity")
    try:
        G2Array.from_ints([vk.beta_g2, vk.gamma_g2, vk.delta_g2])
        ic = G1Array.from_ints(vk.ic)
    except TypeError as exc:
        raise CurveError(f"malformed verifying key point: {exc}") from None
    return PreparedVerifyingKey(
        vk=vk,
        alpha_beta=pairing(vk.alpha_g1, vk.beta_g2),
        gamma=G2Prepared(vk.gamma_g2),
        delta=G2Prepared(vk.delta_g2),
        ic=ic,
        beta=G2Prepared(vk.beta_g2),
    )


def prepared_key(pk: ProvingKey) -> PreparedVerifyingKey:
    """The prepared verifying key of ``pk``, computed once per key and cached."""
    pvk = pk.cache.get("pvk")
    if pvk is None:
        pvk = pk.cache["pvk"] = prepare(pk.vk)
    return pvk


def _inputs(public_inputs: Any, n_public: int) -> list[int]:
    if isinstance(public_inputs, FrArray):
        values = public_inputs.to_ints()
    elif isinstance(public_inputs, Sequence) and not isinstance(public_inputs, (str, bytes)):
        values = list(public_inputs)
    else:
        raise ProofError(
            f"public inputs must be a list of ints, got {type(public_inputs).__name__}"
        )
    if len(values) != n_public:
        raise ProofError(f"{len(values)} public inputs, the verifying key takes {n_public}")
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ProofError(f"public input {i} is not an integer")
        if not 0 <= v < R:
            raise ProofError(f"public input {i} is not in [0, r) (never reduced)")
    return values


def _points(proof: Any) -> tuple[G1Array, G2Array]:
    """The proof's A and C (G1) and B (G2), validated; ProofError otherwise."""
    if not isinstance(proof, Proof):
        raise ProofError(f"expected a Proof, got {type(proof).__name__}")
    if proof.a is None or proof.b is None or proof.c is None:
        raise ProofError("a proof point is the point at infinity")
    try:
        return G1Array.from_ints([proof.a, proof.c]), G2Array.from_ints([proof.b])
    except (CurveError, TypeError) as exc:
        raise ProofError(f"malformed proof point: {exc}") from None


def check_proof(key: VerifyingKey | PreparedVerifyingKey, public_inputs: Any, proof: Proof) -> None:
    """Raise ProofError saying why ``proof`` is not accepted for ``public_inputs``."""
    pvk = key if isinstance(key, PreparedVerifyingKey) else prepare(key)
    xs = _inputs(public_inputs, pvk.vk.n_public)
    ac, b = _points(proof)
    x = g1_msm(pvk.ic, [1, *xs], threads=1)
    rows = np.empty((3, 8), dtype=np.uint64)
    rows[0] = ac.montgomery[0]
    rows[1] = (-G1Array.from_ints([x])).montgomery[0] if x is not None else 0
    rows[2] = (-ac).montgomery[1]
    lines = [_p.G2Lines(np.ascontiguousarray(b.montgomery[0])), pvk.gamma._lines, pvk.delta._lines]
    out = np.empty(48, dtype=np.uint64)
    _p.pairing_product(out, rows, lines)
    if not np.array_equal(out, pvk.alpha_beta.montgomery):
        raise ProofError("the pairing equation does not hold")


def verify_prepared(pvk: PreparedVerifyingKey, public_inputs: Any, proof: Proof) -> bool:
    """:func:`verify` with a prepared key."""
    try:
        check_proof(pvk, public_inputs, proof)
    except ProofError:
        return False
    return True


def verify(
    key: VerifyingKey | PreparedVerifyingKey, public_inputs: Sequence[int] | FrArray, proof: Proof
) -> bool:
    """Whether ``proof`` proves the statement with ``public_inputs`` (``w[1..n_public]``).

    ``False`` for anything not acceptable (see the module docstring); a
    :class:`VerifyingKey` is prepared on each call, so keep a
    :class:`PreparedVerifyingKey` (:func:`prepare`) when verifying many proofs.
    """
    pvk = key if isinstance(key, PreparedVerifyingKey) else prepare(key)
    return verify_prepared(pvk, public_inputs, proof)


def verify_batch(
    key: VerifyingKey | PreparedVerifyingKey,
    items: Sequence[tuple[Sequence[int] | FrArray, Proof]],
    rng: random.Random | None = None,
) -> bool:
    """Whether every ``(public_inputs, proof)`` of ``items`` verifies under ``key``,
    by one multi-pairing over a random linear combination of their equations.

    With random 128-bit ``r_i`` (``rng``, default the OS's CSPRNG) it checks

        prod_i e(r_i A_i, B_i) * e(-sum_i r_i X_i, gamma) * e(-sum_i r_i C_i, delta)
            * e(-(sum_i r_i) alpha, beta) = 1,

    ``n + 3`` Miller loops and one final exponentiation instead of ``3n`` and
    ``n``: if any proof is invalid the product is 1 with probability at most
    2^-128.  ``True`` means all are valid (up to that probability); ``False``
    that at least one is not (or an item is malformed): find which with
    :func:`verify`.  An empty batch is ``True``.
    """
    pvk = key if isinstance(key, PreparedVerifyingKey) else prepare(key)
    if not items:
        return True
    gen = rng if rng is not None else _SYSTEM_RANDOM
    n_public = pvk.vk.n_public
    try:
        parsed = [(_inputs(x, n_public), _points(p)) for x, p in items]
    except ProofError:
        return False
    rs = [gen.getrandbits(128) | 1 for _ in parsed]
    # sum_i r_i X_i = (sum r_i) ic[0] + sum_j (sum_i r_i x_ij) ic[j]
    scalars = [sum(rs) % R] + [
        sum(r * xs[j] for r, (xs, _) in zip(rs, parsed, strict=True)) % R for j in range(n_public)
    ]
    x = g1_msm(pvk.ic, scalars, threads=1)
    a_pts = G1Array._wrap(np.concatenate([ac.montgomery[:1] for _, (ac, _) in parsed]))
    c_pts = G1Array._wrap(np.concatenate([ac.montgomery[1:] for _, (ac, _) in parsed]))
    c_sum = g1_msm(c_pts, rs, threads=1)
    ra = a_pts.mul(rs)
    beta = pvk.beta if pvk.beta is not None else G2Prepared(pvk.vk.beta_g2)
    alpha = G1Array.from_ints([pvk.vk.alpha_g1]).mul([(-sum(rs)) % R])
    extra = [(x, pvk.gamma), (c_sum, pvk.delta)]
    rows = np.zeros((len(parsed) + 3, 8), dtype=np.uint64)
    rows[: len(parsed)] = ra.montgomery
    lines = [_p.G2Lines(np.ascontiguousarray(b.montgomery[0])) for _, (_, b) in parsed]
    for k, (point, prepared) in enumerate(extra):
        if point is not None:
            rows[len(parsed) + k] = (-G1Array.from_ints([point])).montgomery[0]
        lines.append(prepared._lines)
    rows[-1] = alpha.montgomery[0]
    lines.append(beta._lines)
    out = np.empty(48, dtype=np.uint64)
    _p.pairing_product(out, rows, lines)
    return bool(np.array_equal(out, Fq12.one().montgomery))
