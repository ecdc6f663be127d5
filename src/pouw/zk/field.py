"""The prime fields of BN254 (alt_bn128): Fr, the scalar field, and Fq, the base field.

- :data:`R` and :data:`Q`: the two moduli (the order of G1/G2, and the
  prime the curve coordinates live in).
- :class:`FrArray` / :class:`FqArray`: numpy-backed arrays of field elements,
  the batch face: elementwise ``+ - *`` (and in-place forms), ``-a``,
  :meth:`~FieldArray.square`, :meth:`~FieldArray.inv` (batch inverse),
  :meth:`~FieldArray.pow`, conversion to and from Python ints and 32-byte
  encodings.  Every operation is one call into ``pouw._native.field``, which
  releases the GIL for large batches.
- :class:`Fr` / :class:`Fq`: single elements with plain Python-int arithmetic,
  for convenience (a loop over them is slow: use the arrays).

Storage: a C-contiguous ``uint64`` array of shape ``(n, 4)``, each row the 4
little-endian limbs of ``x * 2^256 mod p`` (Montgomery form), always canonical.
:attr:`FieldArray.montgomery` exposes it (read only) for other kernels.

Inputs: :meth:`~FieldArray.from_ints` reduces every integer modulo ``p``
(negative ones included, as Python's ``%`` does), like ``py_ecc``'s field
classes; :meth:`~FieldArray.from_bytes` is for untrusted input and rejects any
encoding that is not below ``p`` with :class:`~pouw.errors.CurveError`, never
reducing it.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from .._native import missing_extension
from ..errors import CurveError

try:
    from .._native import field as _k
except ImportError as exc:  # pragma: no cover - a broken build
    raise missing_extension("field", exc) from exc

__all__ = ["R", "Q", "FieldArray", "FrArray", "FqArray", "FieldElement", "Fr", "Fq"]

#: The scalar field's modulus: the order of G1 and G2.
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
#: The base field's modulus: the prime the curve coordinates live in.
Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583

if _k.modulus(_k.FR) != R or _k.modulus(_k.FQ) != Q:  # pragma: no cover - a corrupt build
    raise ImportError("pouw._native.field disagrees with pouw.zk.field on the BN254 moduli")

ByteOrder = Literal["big", "little"]
A = TypeVar("A", bound="FieldArray")
E = TypeVar("E", bound="FieldElement")
_Limbs = npt.NDArray[np.uint64]


def _big_endian(byteorder: str) -> bool:
    if byteorder not in ("big", "little"):
        raise ValueError(f"byteorder must be 'big' or 'little', got {byteorder!r}")
    return byteorder == "big"


class FieldElement:
    """One element of a prime field, held as a canonical Python int in ``[0, p)``."""

    __slots__ = ("value",)
    modulus: ClassVar[int]
    value: int

    def __init__(self, value: int | FieldElement = 0) -> None:
        if isinstance(value, FieldElement):
            if type(value) is not type(self):
                raise TypeError(f"cannot convert {type(value).__name__} to {type(self).__name__}")
            self.value = value.value
        else:
            self.value = operator.index(value) % self.modulus

    def _coerce(self, other: object) -> int | None:
        if type(other) is type(self):
            return other.value
        if isinstance(other, int):
            return other % self.modulus
        return None

    def _new(self: E, value: int) -> E:
        out = object.__new__(type(self))
        out.value = value
        return out

    def __add__(self: E, other: object) -> E:
        o = self._coerce(other)
        return NotImplemented if o is None else self._new((self.value + o) % self.modulus)

    __radd__ = __add__

    def __sub__(self: E, other: object) -> E:
        o = self._coerce(other)
        return NotImplemented if o is None else self._new((self.value - o) % self.modulus)

    def __rsub__(self: E, other: object) -> E:
        o = self._coerce(other)
        return NotImplemented if o is None else self._new((o - self.value) % self.modulus)

    def __mul__(self: E, other: object) -> E:
        o = self._coerce(other)
        return NotImplemented if o is None else self._new(self.value * o % self.modulus)

    __rmul__ = __mul__

    def __truediv__(self: E, other: object) -> E:
        o = self._coerce(other)
        if o is None:
            return NotImplemented
        if o == 0:
            raise ZeroDivisionError(f"division by zero in {type(self).__name__}")
        return self._new(self.value * pow(o, -1, self.modulus) % self.modulus)

    def __rtruediv__(self: E, other: object) -> E:
        o = self._coerce(other)
        return NotImplemented if o is None else self._new(o) / self

    def __pow__(self: E, k: int) -> E:
        k = operator.index(k)
        if k < 0 and self.value == 0:
            raise ZeroDivisionError(f"0 ** {k} in {type(self).__name__}")
        return self._new(pow(self.value, k, self.modulus))

    def __neg__(self: E) -> E:
        return self._new(-self.value % self.modulus)

    def inv(self: E) -> E:
        """The multiplicative inverse; ZeroDivisionError for zero."""
        return self**-1

    def __eq__(self, other: object) -> bool:
        o = self._coerce(other)
        return NotImplemented if o is None else self.value == o

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.value))

    def __int__(self) -> int:
        return self.value

    def __bool__(self) -> bool:
        return self.value != 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value})"


class Fr(FieldElement):
    """An element of the scalar field, modulo :data:`R`."""

    __slots__ = ()
    modulus = R


class Fq(FieldElement):
    """An element of the base field, modulo :data:`Q`."""

    __slots__ = ()
    modulus = Q


class FieldArray:
    """A one-dimensional array of field elements (use :class:`FrArray` or :class:`FqArray`).

    Build one with :meth:`from_ints`, :meth:`from_bytes`, :meth:`zeros`,
    :meth:`ones`, :meth:`random` or :meth:`from_montgomery`.  Arithmetic takes two
    arrays of the same class and length and returns a new array (the ``+=``
    forms write into the left operand).  ``==`` compares whole arrays.
    """

    __slots__ = ("_limbs",)
    __hash__ = None  # type: ignore[assignment]  # mutable
    _code: ClassVar[int]
    modulus: ClassVar[int]
    element: ClassVar[type[FieldElement]]
    _limbs: _Limbs

    def __init__(self) -> None:
        raise TypeError(
            f"build a {type(self).__name__} with from_ints, from_bytes, zeros, ones, random "
            "or from_montgomery"
        )

    @classmethod
    def _wrap(cls: type[A], limbs: _Limbs) -> A:
        """An array owning ``limbs`` (canonical Montgomery rows; not checked)."""
        out = object.__new__(cls)
        out._limbs = limbs
        return out

    @classmethod
    def _empty(cls: type[A], n: int) -> A:
        return cls._wrap(np.empty((n, 4), dtype=np.uint64))

    # ------------------------------------------------------------ constructors

    @classmethod
    def from_ints(cls: type[A], values: Iterable[int]) -> A:
        """The elements ``v mod p`` for the given integers (negative ones too).

        Raises TypeError for anything that is not an integer (floats included).
        """
        p = cls.modulus
        try:
            data = b"".join((operator.index(v) % p).to_bytes(32, "little") for v in values)
        except TypeError as exc:
            raise TypeError(f"{cls.__name__}.from_ints takes integers: {exc}") from None
        raw = np.frombuffer(data, dtype="<u8").astype(np.uint64).reshape(-1, 4)
        out = cls._empty(raw.shape[0])
        _k.to_mont(cls._code, out._limbs, raw)
        return out

    @classmethod
    def from_bytes(
        cls: type[A], data: bytes | bytearray | memoryview, byteorder: ByteOrder = "big"
    ) -> A:
        """Elements from 32 bytes each, ``byteorder`` ``"big"`` (Ethereum) or ``"little"``.

        Raises CurveError for an encoding of an integer not below ``p``, naming
        its index, and ValueError if the length is not a multiple of 32.
        """
        big = _big_endian(byteorder)
        view = memoryview(data).cast("B")
        if len(view) % 32:
            raise ValueError(f"{cls.__name__} encodings are 32 bytes each, got {len(view)} bytes")
        out = cls._empty(len(view) // 32)
        bad = _k.from_bytes(cls._code, out._limbs, view, big)
        if bad >= 0:
            raise CurveError(
                f"element {bad} is not a canonical {cls.element.__name__} encoding "
                f"(the integer is not below the modulus)"
            )
        return out

    @classmethod
    def from_montgomery(cls: type[A], limbs: npt.ArrayLike) -> A:
        """A copy of ``limbs``, an (n, 4) uint64 array in Montgomery form (as :attr:`montgomery`).

        Raises CurveError if a row is not below ``p``.
        """
        arr = np.array(limbs, dtype=np.uint64, order="C", copy=True)
        if arr.ndim != 2 or arr.shape[1] != 4:
            raise ValueError(f"Montgomery limbs must have shape (n, 4), got {arr.shape}")
        mask = np.empty(arr.shape[0], dtype=np.uint8)
        if _k.canonical_mask(cls._code, arr, mask) != arr.shape[0]:
            raise CurveError(f"row {int(np.argmin(mask))} is not below the modulus")
        return cls._wrap(arr)

    @classmethod
    def zeros(cls: type[A], n: int) -> A:
        """``n`` zeros."""
        return cls._wrap(np.zeros((operator.index(n), 4), dtype=np.uint64))

    @classmethod
    def ones(cls: type[A], n: int) -> A:
        """``n`` ones."""
        return cls._wrap(np.repeat(cls._one_limbs(), operator.index(n), axis=0))

    @classmethod
    def random(cls: type[A], n: int, rng: np.random.Generator | int | None = None) -> A:
        """``n`` uniform elements from ``numpy.random.default_rng(rng)``.

        Not for secrets (blinding factors, keys) unless ``rng`` is a
        cryptographic generator: numpy's default is PCG64.
        """
        n = operator.index(n)
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        gen = np.random.default_rng(rng)
        top = np.uint64((1 << 62) - 1)  # p < 2^254: ~3 of 4 draws below 2^254 are below p
        chunks, have = [], 0
        while have < n:
            draw = gen.integers(
                0, 1 << 64, size=(n - have + 16, 4), dtype=np.uint64, endpoint=False
            )
            draw[:, 3] &= top
            mask = np.empty(draw.shape[0], dtype=np.uint8)
            _k.canonical_mask(cls._code, draw, mask)
            keep = draw[mask.view(bool)][: n - have]
            chunks.append(keep)
            have += keep.shape[0]
        limbs = np.concatenate(chunks) if chunks else np.empty((0, 4), np.uint64)
        return cls._wrap(np.ascontiguousarray(limbs))  # uniform in Montgomery form = uniform

    @classmethod
    def _one_limbs(cls) -> _Limbs:
        one: _Limbs | None = cls.__dict__.get("_ONE")
        if one is None:
            one = cls.from_ints([1])._limbs
            one.flags.writeable = False
            cls._ONE = one  # type: ignore[attr-defined]
        return one

    # ------------------------------------------------------------ conversions

    def to_ints(self) -> list[int]:
        """The elements as canonical Python ints in ``[0, p)``."""
        return self._ints(self._limbs)

    def _ints(self, limbs: _Limbs) -> list[int]:
        raw = np.empty_like(limbs)
        _k.from_mont(self._code, raw, limbs)
        data = raw.astype("<u8", copy=False).tobytes()
        frm = int.from_bytes
        return [frm(data[i : i + 32], "little") for i in range(0, len(data), 32)]

    def to_bytes(self, byteorder: ByteOrder = "big") -> bytes:
        """32 bytes per element, the canonical integer in ``byteorder``."""
        return _k.to_bytes(self._code, self._limbs, _big_endian(byteorder))

    @property
    def montgomery(self) -> _Limbs:
        """A read-only view of the (n, 4) uint64 limbs of ``x * 2^256 mod p``."""
        view = self._limbs.view()
        view.flags.writeable = False
        return view

    def copy(self: A) -> A:
        return self._wrap(self._limbs.copy())

    # ------------------------------------------------------------ container

    def __len__(self) -> int:
        return int(self._limbs.shape[0])

    def __getitem__(self, index: Any) -> Any:
        """``a[i]`` is a :class:`Fr`/:class:`Fq`; ``a[i:j:k]`` a new array."""
        if isinstance(index, slice):
            return self._wrap(np.ascontiguousarray(self._limbs[index]))
        row = self._limbs[operator.index(index)]
        return self.element(self._ints(row.reshape(1, 4))[0])

    def __iter__(self) -> Iterator[FieldElement]:
        return (self.element(v) for v in self.to_ints())

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return bool(np.array_equal(self._limbs, other._limbs))

    def __repr__(self) -> str:
        n = len(self)
        shown = self[:6].to_ints() if n > 6 else self.to_ints()
        body = ", ".join(map(str, shown)) + (f", ... ({n} elements)" if n > 6 else "")
        return f"{type(self).__name__}([{body}])"

    # ------------------------------------------------------------ arithmetic

    def _other(self, other: object, op: str) -> _Limbs:
        if type(other) is not type(self):
            raise TypeError(
                f"unsupported operand for {op}: {type(self).__name__} and {type(other).__name__} "
                f"(both must be {type(self).__name__})"
            )
        limbs: _Limbs = other._limbs
        if limbs.shape[0] != self._limbs.shape[0]:
            raise ValueError(f"length mismatch in {op}: {len(self)} and {limbs.shape[0]} elements")
        return limbs

    def _binary(self: A, other: object, kernel: Any, op: str, out: A | None = None) -> A:
        b = self._other(other, op)
        if out is None:
            out = self._empty(len(self))
        kernel(self._code, out._limbs, self._limbs, b)
        return out

    def __add__(self: A, other: object) -> A:
        return self._binary(other, _k.add, "+")

    def __sub__(self: A, other: object) -> A:
        return self._binary(other, _k.sub, "-")

    def __mul__(self: A, other: object) -> A:
        return self._binary(other, _k.mul, "*")

    def __iadd__(self: A, other: object) -> A:
        return self._binary(other, _k.add, "+=", self)

    def __isub__(self: A, other: object) -> A:
        return self._binary(other, _k.sub, "-=", self)

    def __imul__(self: A, other: object) -> A:
        return self._binary(other, _k.mul, "*=", self)

    def __neg__(self: A) -> A:
        out = self._empty(len(self))
        _k.neg(self._code, out._limbs, self._limbs)
        return out

    def square(self: A) -> A:
        """Every element squared."""
        out = self._empty(len(self))
        _k.square(self._code, out._limbs, self._limbs)
        return out

    def inv(self: A) -> A:
        """Every element's inverse, by one batch inversion (Montgomery's trick).

        Raises ZeroDivisionError naming the index of the first zero.
        """
        out = self._empty(len(self))
        _k.inv(self._code, out._limbs, self._limbs)
        return out

    def pow(self: A, k: int) -> A:
        """Every element to the power ``k`` (an int >= 0; ``0 ** 0`` is 1)."""
        out = self._empty(len(self))
        _k.pow(self._code, out._limbs, self._limbs, int(operator.index(k)))
        return out


class FrArray(FieldArray):
    """An array of elements of the scalar field (modulo :data:`R`)."""

    __slots__ = ()
    _code = _k.FR
    modulus = R
    element = Fr


class FqArray(FieldArray):
    """An array of elements of the base field (modulo :data:`Q`)."""

    __slots__ = ()
    _code = _k.FQ
    modulus = Q
    element = Fq
