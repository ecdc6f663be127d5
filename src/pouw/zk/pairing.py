"""The optimal ate pairing of BN254 (alt_bn128), as Ethereum's precompile (EIP-197)
and ``py_ecc.optimized_bn128.pairing`` define it.

- :func:`pairing` ``(p_g1, q_g2) -> Fq12``: ``e(P, Q)``, the full final
  exponentiation ``(q^12 - 1)/r``; equal to py_ecc's ``pairing(Q, P)`` (mind
  py_ecc's argument order: G2 first) coefficient for coefficient
  (:meth:`Fq12.to_ints`).
- :func:`pairing_check` ``([(p_g1, q_g2), ...]) -> bool``: whether the product
  of the pairings is one, with one Miller loop per pair sharing its squarings
  and a single final exponentiation (a Groth16 verification is a 4-pair check).
- :class:`G2Prepared`: a G2 point whose Miller-loop lines are computed once;
  pass it wherever a G2 point is accepted (verifying keys reuse their G2 points).

Points are ``py_ecc``-style affine tuples (G1 ``(x, y)``, G2
``((x_c0, x_c1), (y_c0, y_c1))``, ``None`` for infinity) or one-point
:class:`~pouw.zk.curve.G1Array` / :class:`~pouw.zk.curve.G2Array` (validated
when built).  Tuples are untrusted: coordinates not below ``Q``, points off
the curve and G2 points outside the order-r subgroup raise
:class:`~pouw.errors.CurveError`.  A pair with a point at infinity contributes 1.
Not constant time: for public data (verification).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

import numpy as np

from .._native import missing_extension
from .field import Q
from .points import G1Array, G1Point, G2Array, G2Point

try:
    from .._native import field as _f
    from .._native import pairing as _p
except ImportError as exc:  # pragma: no cover - a broken build
    raise missing_extension("pairing", exc) from exc

__all__ = ["Fq12", "G2Prepared", "pairing", "pairing_check"]

_M = 1 << 256
# Order of the multiplicative group of Fq12: exponents are reduced modulo it.
_ORDER = Q**12 - 1


def _limbs_of(values: list[int]) -> np.ndarray:
    data = b"".join(v.to_bytes(32, "little") for v in values)
    return np.frombuffer(data, dtype="<u8").astype(np.uint64).reshape(-1, 4)


class Fq12:
    """An element of Fq12, the pairing's target field (immutable).

    Stored in the tower Fq6[w]/(w^2 - v), Fq6 = Fq2[v]/(v^3 - xi), xi = 9 + u,
    as 48 Montgomery limbs.  :meth:`to_ints` gives the 12 coefficients in
    py_ecc's basis (``FQ12`` modulo ``w^12 - 18 w^6 + 82``): the tower's
    coefficient ``a + b u`` of ``w^k`` contributes ``a - 9b`` to ``w^k`` and
    ``b`` to ``w^(k+6)``, since ``u = w^6 - 9``.
    """

    __slots__ = ("_limbs",)
    _limbs: np.ndarray

    def __init__(self) -> None:
        raise TypeError("Fq12 values come from pairing(), Fq12.one() or Fq12.from_ints()")

    @classmethod
    def _wrap(cls, limbs: np.ndarray) -> Fq12:
        out = object.__new__(cls)
        limbs.flags.writeable = False
        out._limbs = limbs
        return out

    @classmethod
    def one(cls) -> Fq12:
        """The multiplicative identity."""
        return cls.from_ints([1] + [0] * 11)

    @classmethod
    def from_ints(cls, coeffs: Iterable[int]) -> Fq12:
        """The element with these 12 coefficients in py_ecc's FQ12 basis (each in [0, Q))."""
        e = [operator.index(c) for c in coeffs]
        if len(e) != 12 or not all(0 <= c < Q for c in e):
            raise ValueError("an Fq12 needs 12 coefficients in [0, Q)")
        tower = [0] * 12  # Fq limbs in storage order: (half, slot, c0/c1)
        for k in range(6):
            b = e[k + 6]
            a = (e[k] + 9 * b) % Q
            base = 6 * (k % 2) + 2 * (k // 2)
            tower[base], tower[base + 1] = a, b
        mont = np.empty((12, 4), dtype=np.uint64)
        _f.to_mont(_f.FQ, mont, _limbs_of(tower))
        return cls._wrap(mont.reshape(48))

    @property
    def montgomery(self) -> np.ndarray:
        """The 48 storage limbs (read only)."""
        return self._limbs

    def tower_ints(self) -> list[int]:
        """The 12 Fq coefficients in storage order (c0.c0.c0, c0.c0.c1, c0.c1.c0, ...)."""
        plain = np.empty((12, 4), dtype=np.uint64)
        _f.from_mont(_f.FQ, plain, self._limbs.reshape(12, 4))
        data = plain.astype("<u8").tobytes()
        return [int.from_bytes(data[i : i + 32], "little") for i in range(0, 384, 32)]

    def to_ints(self) -> list[int]:
        """The 12 coefficients in py_ecc's FQ12 basis (``FQ12.coeffs`` as ints)."""
        tower = self.tower_ints()
        out = [0] * 12
        for k in range(6):
            base = 6 * (k % 2) + 2 * (k // 2)
            a, b = tower[base], tower[base + 1]
            out[k] = (out[k] + a - 9 * b) % Q
            out[k + 6] = (out[k + 6] + b) % Q
        return out

    def is_one(self) -> bool:
        """Whether this is 1 (a pairing product that verifies)."""
        return self == _ONE

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fq12):
            return NotImplemented
        return bool(np.array_equal(self._limbs, other._limbs))

    def __hash__(self) -> int:
        return hash(self._limbs.tobytes())

    def __mul__(self, other: object) -> Fq12:
        if not isinstance(other, Fq12):
            return NotImplemented
        out = np.empty(48, dtype=np.uint64)
        _p.fq12_mul(out, self._limbs, other._limbs)
        return Fq12._wrap(out)

    def inverse(self) -> Fq12:
        """1/self (ZeroDivisionError for 0)."""
        if not self._limbs.any():
            raise ZeroDivisionError("0 has no inverse in Fq12")
        out = np.empty(48, dtype=np.uint64)
        _p.fq12_inv(out, self._limbs)
        return Fq12._wrap(out)

    def __pow__(self, e: int) -> Fq12:
        e = operator.index(e)
        base = self
        if e < 0:
            base, e = self.inverse(), -e
        out = np.empty(48, dtype=np.uint64)
        _p.fq12_pow(out, base._limbs, e % _ORDER if base._limbs.any() else e)
        return Fq12._wrap(out)

    def __repr__(self) -> str:
        return f"Fq12({self.to_ints()!r})"


_ONE = Fq12.one()


class G2Prepared:
    """A G2 point with its Miller-loop lines precomputed (88 lines, ~17 KB);
    usable wherever :func:`pairing` and :func:`pairing_check` take a G2 point.

    Raises CurveError for a point off the curve or outside the subgroup.
    """

    __slots__ = ("_lines", "point")

    def __init__(self, q_g2: G2Point | G2Array) -> None:
        arr = _g2_array(q_g2)
        #: The point, as a ``py_ecc``-style tuple (``None`` at infinity).
        self.point = arr[0]
        self._lines = _p.G2Lines(np.ascontiguousarray(arr.montgomery[0]))

    def __repr__(self) -> str:
        return f"G2Prepared({self.point!r})"


def _g1_rows(points: list[Any]) -> np.ndarray:
    """(n, 8) validated rows: tuples checked together, G1Arrays of one point trusted."""
    if all(not isinstance(p, G1Array) for p in points):
        return G1Array.from_ints(points).montgomery
    rows = []
    for p in points:
        arr = p if isinstance(p, G1Array) else G1Array.from_ints([p])
        if len(arr) != 1:
            raise ValueError(f"a G1Array argument must hold one point, got {len(arr)}")
        rows.append(arr.montgomery)
    return np.ascontiguousarray(np.concatenate(rows))


def _g2_array(q: Any) -> G2Array:
    arr = q if isinstance(q, G2Array) else G2Array.from_ints([q])
    if len(arr) != 1:
        raise ValueError(f"a G2Array argument must hold one point, got {len(arr)}")
    return arr


def _lines(q: Any) -> Any:
    if isinstance(q, G2Prepared):
        return q._lines
    return G2Prepared(q)._lines


def _split(pairs: Iterable[Any]) -> tuple[np.ndarray, list[Any]]:
    g1: list[Any] = []
    g2: list[Any] = []
    for pair in pairs:
        try:
            p, q = pair
        except (TypeError, ValueError):
            raise TypeError(f"each pair must be (p_g1, q_g2), got {pair!r}") from None
        g1.append(p)
        g2.append(q)
    if not g1:
        return np.empty((0, 8), dtype=np.uint64), []
    return _g1_rows(g1), [_lines(q) for q in g2]


def pairing(p_g1: G1Point | G1Array, q_g2: G2Point | G2Array | G2Prepared) -> Fq12:
    """e(P, Q) in Fq12 (1 when either point is at infinity).  Bilinear,
    non-degenerate; equal to ``py_ecc.optimized_bn128.pairing(Q, P)``."""
    g1, lines = _split([(p_g1, q_g2)])
    out = np.empty(48, dtype=np.uint64)
    _p.pairing_product(out, g1, lines)
    return Fq12._wrap(out)


def pairing_check(pairs: Iterable[tuple[Any, Any]]) -> bool:
    """Whether prod_i e(P_i, Q_i) == 1 (an empty product is 1: True).  One final
    exponentiation for all pairs; EIP-197's precompile semantics."""
    g1, lines = _split(pairs)
    return bool(_p.check(g1, lines))
