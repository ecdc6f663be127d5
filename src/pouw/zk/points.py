"""Arrays of BN254 points: :class:`G1Array`, :class:`G2Array` and their shared
:class:`PointArray`, the generators, and the tuple types of single points.

Every other curve module builds on these classes (the single-point functions
of :mod:`pouw.zk.curve`, the encodings of :mod:`pouw.zk.curve_encoding`, the
MSMs of :mod:`pouw.zk.msm`, the pairing), so they live in a module of their
own that imports none of those.  Users reach them as ``pouw.zk.curve.G1Array``.

- G1: ``y^2 = x^3 + 3`` over Fq, cofactor 1: every point on the curve is in G1.
- G2: ``y^2 = x^3 + 3/(9+u)`` over Fq2 = Fq[u]/(u^2+1), the twist; its cofactor
  is large, so points built from untrusted data are also checked to lie in
  the order-r subgroup (the endomorphism check, see :mod:`pouw.zk.curve`).

The batch face: :meth:`~PointArray.from_ints`, :meth:`~PointArray.to_ints`,
``len()``, ``+``, ``-a`` and :meth:`~PointArray.mul` (elementwise scalars).
Scalars are Python ints of any size and sign, reduced modulo ``R``.  Points
built from untrusted data (``from_ints``, ``from_montgomery``) are checked:
coordinates not below ``Q``, points off the curve and G2 points outside the
subgroup raise :class:`~pouw.errors.CurveError`, never reduced.

Storage: a C-contiguous ``uint64`` array, one row per point, ``[x, y]`` with
each coordinate in Montgomery form (G1 rows 8 limbs, G2 rows 16: ``x_c0, x_c1,
y_c0, y_c1``); the point at infinity is an all-zero row ((0, 0) is on neither
curve).  Not constant time: for public data (verification, proving keys).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, TypeVar

import numpy as np
import numpy.typing as npt

from .._native import missing_extension
from ..errors import CurveError
from .field import Q, R

try:
    from .._native import curve as _c
    from .._native import field as _f
except ImportError as exc:  # pragma: no cover - a broken build
    raise missing_extension("curve", exc) from exc

__all__ = [
    "PointArray",
    "G1Array",
    "G2Array",
    "G1_GENERATOR",
    "G2_GENERATOR",
    "G1Point",
    "G2Point",
    "scalars_to_limbs",
]

P = TypeVar("P", bound="PointArray")
_Limbs = npt.NDArray[np.uint64]

#: A single G1 point as a ``py_ecc``-style affine tuple ``(x, y)``; ``None`` at infinity.
G1Point = tuple[int, int] | None
#: A single G2 point ``((x_c0, x_c1), (y_c0, y_c1))``; ``None`` at infinity.
G2Point = tuple[tuple[int, int], tuple[int, int]] | None


#: The generator of G1 used by Ethereum (EIP-196) and py_ecc.
G1_GENERATOR = (1, 2)
#: The generator of G2 used by Ethereum (EIP-197) and py_ecc, ((x_c0, x_c1), (y_c0, y_c1)).
G2_GENERATOR = (
    (
        10857046999023057135944570762232829481370756359578518086990519993285655852781,
        11559732032986387107991004021392285783925812861821192530917403151452391805634,
    ),
    (
        8495653923123431417604973247489272438418190587263600148770280649306958101930,
        4082367875863433681332203403145435568316851327593401208105741076214120093531,
    ),
)


def _raw(values: Sequence[int]) -> _Limbs:
    """Plain integers (< 2^256) as (n, 4) little-endian limbs (a new, writable array)."""
    data = bytearray(b"".join(v.to_bytes(32, "little") for v in values))
    # no copy on little-endian hosts (astype with copy=False), one elsewhere
    return np.frombuffer(data, dtype="<u8").astype(np.uint64, copy=False).reshape(-1, 4)


def _ints(limbs: _Limbs) -> list[int]:
    data = limbs.astype("<u8").tobytes()
    return [int.from_bytes(data[i : i + 32], "little") for i in range(0, len(data), 32)]


def scalars_to_limbs(scalars: Iterable[int]) -> _Limbs:
    """``k mod R`` for each integer (any size and sign), as (n, 4) plain limbs."""
    data = bytearray()
    try:
        for k in scalars:  # one buffer, no intermediate list (this is on g1_mul's path)
            data += (operator.index(k) % R).to_bytes(32, "little")
    except TypeError as exc:
        raise TypeError(f"scalars must be integers: {exc}") from None
    return np.frombuffer(data, dtype="<u8").astype(np.uint64, copy=False).reshape(-1, 4)


class PointArray:
    """Affine points of one group, numpy-backed (see the module docstring for the layout)."""

    _group: ClassVar[int]
    _coords: ClassVar[int]  # Fq coordinates per point: 2 (G1) or 4 (G2)
    _name: ClassVar[str]
    _limbs: _Limbs

    def __init__(self) -> None:
        raise TypeError(f"build a {type(self).__name__} with from_ints or from_montgomery")

    @classmethod
    def _wrap(cls: type[P], limbs: _Limbs) -> P:
        """An array owning ``limbs`` (valid Montgomery rows; not checked)."""
        out = object.__new__(cls)
        out._limbs = limbs
        return out

    @classmethod
    def _empty(cls: type[P], n: int) -> P:
        return cls._wrap(np.empty((n, 4 * cls._coords), dtype=np.uint64))

    # ------------------------------------------------------------ constructors

    @classmethod
    def _coords_of(cls, point: Any) -> list[int]:
        """The coordinates of a non-None tuple, flat (TypeError when malformed)."""
        raise NotImplementedError

    @classmethod
    def _flatten(cls, point: Any) -> list[int]:
        if point is None:
            return [0] * cls._coords
        coords = cls._coords_of(point)
        if not any(coords):
            raise CurveError(f"{cls._name} point {point!r} is not on the curve (infinity is None)")
        return coords

    @classmethod
    def _from_coords(cls: type[P], coords: list[int], check: bool) -> P:
        """Points from flat canonical-checked coordinates; optionally validated."""
        for v in coords:
            if not 0 <= v < Q:
                raise CurveError(f"{cls._name} coordinate {v} is not below the field modulus q")
        n = len(coords) // cls._coords
        mont = np.empty((len(coords), 4), dtype=np.uint64)
        _f.to_mont(_f.FQ, mont, _raw(coords))
        out = cls._wrap(mont.reshape(n, 4 * cls._coords))
        if check:
            out._validate()
        return out

    def _validate(self) -> None:
        bad, why = _c.check(self._group, self._limbs, True)
        if bad >= 0:
            what = "not on the curve" if why == 1 else "not in the order-r subgroup"
            raise CurveError(f"{self._name} point {bad} is {what}")

    @classmethod
    def from_ints(cls: type[P], points: Iterable[Any]) -> P:
        """Points from ``py_ecc``-style affine tuples (``None`` for infinity).

        Raises CurveError for a coordinate not in ``[0, q)``, a point off the
        curve or (G2) outside the subgroup; TypeError for a malformed tuple.
        """
        coords: list[int] = []
        for point in points:
            coords.extend(cls._flatten(point))
        return cls._from_coords(coords, check=True)

    @classmethod
    def from_montgomery(cls: type[P], limbs: npt.ArrayLike, check: bool = True) -> P:
        """Points from rows in the storage layout (copied); validated unless ``check`` is false."""
        arr = np.array(limbs, dtype=np.uint64, order="C", copy=True)
        if arr.ndim != 2 or arr.shape[1] != 4 * cls._coords:
            raise ValueError(f"{cls.__name__} limbs must have shape (n, {4 * cls._coords})")
        mask = np.empty(arr.shape[0] * cls._coords, dtype=np.uint8)
        if _f.canonical_mask(_f.FQ, arr.reshape(-1, 4), mask) != mask.size:
            raise CurveError(f"{cls._name} limbs hold a coordinate not below q")
        out = cls._wrap(arr)
        if check:
            out._validate()
        return out

    @classmethod
    def infinity(cls: type[P], n: int = 1) -> P:
        """n points at infinity."""
        return cls._wrap(np.zeros((n, 4 * cls._coords), dtype=np.uint64))

    # ------------------------------------------------------------ views

    @property
    def montgomery(self) -> _Limbs:
        """The storage rows, read only (for other kernels)."""
        view = self._limbs.view()
        view.flags.writeable = False
        return view

    def _coord_ints(self) -> list[int]:
        plain = np.empty((self._limbs.size // 4, 4), dtype=np.uint64)
        _f.from_mont(_f.FQ, plain, self._limbs.reshape(-1, 4))
        return _ints(plain)

    def to_ints(self) -> list[Any]:
        """The points as ``py_ecc``-style affine tuples (``None`` for infinity)."""
        flat = self._coord_ints()
        k = self._coords
        return [self._unflatten(flat[i : i + k]) for i in range(0, len(flat), k)]

    @classmethod
    def _unflatten(cls, coords: list[int]) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        return int(self._limbs.shape[0])

    def __getitem__(self, index: int) -> Any:
        """One point as a tuple (``None`` at infinity)."""
        return self._wrap(self._limbs[operator.index(index)][None, :]).to_ints()[0]

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return bool(np.array_equal(self._limbs, other._limbs))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_ints()!r})"

    # ------------------------------------------------------------ arithmetic

    def _other(self: P, other: object) -> P:
        if type(other) is not type(self):
            raise TypeError(f"expected a {type(self).__name__}, got {type(other).__name__}")
        if len(other) != len(self):
            raise ValueError(f"length mismatch: {len(self)} and {len(other)}")
        return other

    def __add__(self: P, other: object) -> P:
        out = type(self)._empty(len(self))
        _c.add(self._group, out._limbs, self._limbs, self._other(other)._limbs)
        return out

    def __neg__(self: P) -> P:
        out = type(self)._empty(len(self))
        _c.neg(self._group, out._limbs, self._limbs)
        return out

    def __sub__(self: P, other: object) -> P:
        return self + (-self._other(other))

    def mul(self: P, scalars: Iterable[int] | npt.ArrayLike) -> P:
        """``[k_i] P_i`` elementwise: scalars as ints (any size and sign, reduced
        mod r) or an ``FrArray`` (its values)."""
        n = self._limbs.shape[0]
        out = self._wrap(np.empty_like(self._limbs))
        if type(scalars) is list and n < _c.MUL_DIRECT:  # a few ints: no scalar array
            try:
                ks_int = [operator.index(k) % R for k in scalars]
            except TypeError as exc:
                raise TypeError(f"scalars must be integers: {exc}") from None
            if len(ks_int) != n:
                raise ValueError(f"length mismatch: {n} points, {len(ks_int)} scalars")
            _c.mul_ints(self._group, out._limbs, self._limbs, ks_int)
            return out
        to_ints = getattr(scalars, "to_ints", None)
        values = to_ints() if callable(to_ints) else scalars
        ks = scalars_to_limbs(values)  # type: ignore[arg-type]
        if ks.shape[0] != n:
            raise ValueError(f"length mismatch: {n} points, {ks.shape[0]} scalars")
        _c.mul(self._group, out._limbs, self._limbs, ks)
        return out


def _pair(value: Any, what: str) -> tuple[Any, Any]:
    try:
        a, b = value
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a pair, got {value!r}") from None
    return a, b


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("a coordinate must be an int, not a bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"a coordinate must be an int, got {type(value).__name__}") from None


class G1Array(PointArray):
    """Affine G1 points: rows ``[x, y]`` of 8 limbs; ``(x, y)`` tuples, ``None`` at infinity."""

    _group = _c.G1
    _coords = 2
    _name = "G1"

    @classmethod
    def _coords_of(cls, point: Any) -> list[int]:
        x, y = _pair(point, "a G1 point")
        return [_int(x), _int(y)]

    @classmethod
    def _unflatten(cls, coords: list[int]) -> Any:
        x, y = coords
        return None if x == 0 and y == 0 else (x, y)


class G2Array(PointArray):
    """Affine G2 points: rows ``[x_c0, x_c1, y_c0, y_c1]`` of 16 limbs;
    ``((x_c0, x_c1), (y_c0, y_c1))`` tuples, ``None`` at infinity."""

    _group = _c.G2
    _coords = 4
    _name = "G2"
    _b: ClassVar[tuple[int, int]] = _c.curve_b(_c.G2)  # type: ignore[assignment]

    @classmethod
    def _coords_of(cls, point: Any) -> list[int]:
        x, y = _pair(point, "a G2 point")
        x0, x1 = _pair(x, "a G2 x coordinate")
        y0, y1 = _pair(y, "a G2 y coordinate")
        return [_int(x0), _int(x1), _int(y0), _int(y1)]

    @classmethod
    def _unflatten(cls, coords: list[int]) -> Any:
        x0, x1, y0, y1 = coords
        return None if not any(coords) else ((x0, x1), (y0, y1))
