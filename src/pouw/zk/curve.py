"""The groups G1 and G2 of BN254 (alt_bn128), the curves of Ethereum's precompiles.

- G1: ``y^2 = x^3 + 3`` over Fq.  Its order is the prime :data:`~pouw.zk.field.R`:
  the cofactor is 1, so every point on the curve is in the subgroup.
- G2: ``y^2 = x^3 + 3/(9+u)`` over Fq2 = Fq[u]/(u^2+1), the twist.  Its cofactor
  is large, so untrusted G2 points are also checked to lie in the order-r
  subgroup, by the endomorphism check ``[x+1]P + psi([x]P) + psi^2([x]P) ==
  psi^3([2x]P)`` (x the BN parameter; Dai, Lin, Zhao, Zhou, eprint 2022/348: a
  63-bit multiplication, ~30 us; tests check that it rejects a point of every
  prime order dividing the cofactor, which makes it exact).

This module is the public face of the curve: it defines the single-point
functions and re-exports the rest from the modules that define it.

- :class:`G1Array` / :class:`G2Array`: numpy-backed arrays of affine points (the
  batch face, :mod:`pouw.zk.points`, with the storage layout and the generators
  :data:`G1_GENERATOR` / :data:`G2_GENERATOR`).
- Single points as ``py_ecc``-style affine Python ints (defined here): G1
  ``(x, y)``, G2 ``((x_c0, x_c1), (y_c0, y_c1))``, the point at infinity
  ``None``: :func:`g1_add`, :func:`g1_neg`, :func:`g1_mul` (one native call:
  validation, GLV/GLS multiply and conversions, no arrays), the same for G2,
  :func:`g1_is_on_curve`, :func:`g2_is_in_subgroup`.
- Encodings (``encode_*`` / ``decode_*``): :mod:`pouw.zk.curve_encoding`.
- Multi-scalar multiplication (:func:`g1_msm`, :func:`g2_msm`, the fixed-base
  :class:`G1MSMContext` / :class:`G2MSMContext`): :mod:`pouw.zk.msm`.

Scalars are Python ints of any size and sign, reduced modulo ``R``.  Every
point built from untrusted data (``from_ints``, ``decode_*``, the tuple faces)
is checked: coordinates not below ``Q``, points off the curve and G2 points
outside the subgroup raise :class:`~pouw.errors.CurveError`, never reduced.
Not constant time: for public data (verification, proving keys).
"""

from __future__ import annotations

import operator
from typing import Any

from .._native import missing_extension
from ..errors import CurveError
from .curve_encoding import (
    decode_g1,
    decode_g1_compressed,
    decode_g2,
    decode_g2_compressed,
    encode_g1,
    encode_g1_compressed,
    encode_g2,
    encode_g2_compressed,
)
from .field import Q as Q  # importable from here before the split: kept
from .field import R
from .msm import G1MSMContext, G2MSMContext, MSMContext, g1_msm, g2_msm, msm_window
from .points import (
    G1_GENERATOR,
    G2_GENERATOR,
    G1Array,
    G1Point,
    G2Array,
    G2Point,
    P,
    PointArray,
)
from .points import scalars_to_limbs as scalars_to_limbs  # as Q above

try:
    from .._native import curve as _c
except ImportError as exc:  # pragma: no cover - a broken build
    raise missing_extension("curve", exc) from exc

__all__ = [
    "PointArray",
    "G1Array",
    "G2Array",
    "G1_GENERATOR",
    "G2_GENERATOR",
    "g1_add",
    "g1_neg",
    "g1_mul",
    "g1_is_on_curve",
    "g2_add",
    "g2_neg",
    "g2_mul",
    "g2_is_on_curve",
    "g2_is_in_subgroup",
    "encode_g1",
    "decode_g1",
    "encode_g2",
    "decode_g2",
    "encode_g1_compressed",
    "decode_g1_compressed",
    "encode_g2_compressed",
    "decode_g2_compressed",
    "g1_msm",
    "g2_msm",
    "G1MSMContext",
    "G2MSMContext",
    "MSMContext",
    "msm_window",
]


def _one(cls: type[P], point: Any) -> P:
    return cls.from_ints([point])


def g1_add(p: G1Point, q: G1Point) -> G1Point:
    """``p + q`` in G1 (checked inputs)."""
    return (_one(G1Array, p) + _one(G1Array, q)).to_ints()[0]


def g2_add(p: G2Point, q: G2Point) -> G2Point:
    """``p + q`` in G2 (checked inputs, subgroup included)."""
    return (_one(G2Array, p) + _one(G2Array, q)).to_ints()[0]


def g1_neg(p: G1Point) -> G1Point:
    """``-p`` in G1."""
    return (-_one(G1Array, p)).to_ints()[0]


def g2_neg(p: G2Point) -> G2Point:
    """``-p`` in G2."""
    return (-_one(G2Array, p)).to_ints()[0]


_MUL_ERRORS = {
    1: "has a coordinate not below q",
    2: "is not on the curve",
    3: "is not in the order-r subgroup",
}


def _mul_one(cls: type[PointArray], point: Any, k: int) -> Any:
    """``[k mod r] point`` by one native call (validation included): the
    single-point path, without the arrays ``from_ints(...).mul(...)`` builds."""
    try:
        scalar = operator.index(k) % R
    except TypeError:
        raise TypeError(f"scalars must be integers: {k!r}") from None
    if point is None:
        return None
    status, coords = _c.mul_coords(cls._group, cls._flatten(point), scalar)
    if status or coords is None:
        raise CurveError(f"{cls._name} point {point!r} {_MUL_ERRORS[status]}")
    return cls._unflatten(coords)


def g1_mul(point: G1Point, k: int) -> G1Point:
    """``[k mod r] point`` in G1; ``k`` any Python int (negative too).  CurveError for
    a point not on the curve or a coordinate not in ``[0, q)``."""
    return _mul_one(G1Array, point, k)


def g2_mul(point: G2Point, k: int) -> G2Point:
    """``[k mod r] point`` in G2; ``k`` any Python int (negative too).  CurveError for
    a point off the twist or outside the subgroup, or a coordinate not in ``[0, q)``."""
    return _mul_one(G2Array, point, k)


def _satisfies(cls: type[PointArray], point: Any, subgroup: bool) -> bool:
    if point is None:
        return True
    coords = cls._coords_of(point)
    if not any(coords):
        return False  # (0, 0) is on neither curve
    arr = cls._from_coords(coords, check=False)  # CurveError: a coordinate not below q
    return bool(_c.check(cls._group, arr._limbs, subgroup)[0] < 0)


def g1_is_on_curve(point: G1Point) -> bool:
    """True when ``point`` is on G1's curve, hence in G1 (cofactor 1); ``None`` is.

    CurveError for a coordinate not in ``[0, q)``."""
    return _satisfies(G1Array, point, False)


def g2_is_on_curve(point: G2Point) -> bool:
    """True when ``point`` is on the twist (not necessarily in G2); ``None`` is."""
    return _satisfies(G2Array, point, False)


def g2_is_in_subgroup(point: G2Point) -> bool:
    """True when ``point`` is on the twist and ``[r] point`` is infinity (``None`` is).

    CurveError for a coordinate not in ``[0, q)``."""
    return _satisfies(G2Array, point, True)
