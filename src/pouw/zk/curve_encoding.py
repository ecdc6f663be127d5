"""Byte encodings of G1 and G2 points: Ethereum's (EIP-196/197) and compressed.

Uncompressed (the layout of the ``ecAdd``/``ecMul``/``ecPairing`` precompiles):
big-endian 32-byte field elements, G1 = ``x || y`` (64 bytes), G2 =
``x_c1 || x_c0 || y_c1 || y_c0`` (128 bytes, the imaginary part first); the
point at infinity is all zeros.

Compressed: ``x`` alone (32 bytes for G1, ``x_c1 || x_c0`` = 64 bytes for G2)
with flags in the two spare top bits of the first byte (q < 2^254), the
zcash-style convention exactly as gnark-crypto encodes BN254 points:

=========  =====================================================
top bits   meaning
=========  =====================================================
``0b10``   y is the lexicographically smallest of the two roots
``0b11``   y is the lexicographically largest
``0b01``   the point at infinity (every other bit zero)
``0b00``   rejected (that is gnark's uncompressed marker)
=========  =====================================================

"Largest" compares y with ``(q - 1) / 2`` for Fq; for Fq2 it compares ``y_c1``,
or ``y_c0`` when ``y_c1`` is zero.  (arkworks serialises little-endian with other
flags: its bytes are not these.)

Every decoder is an untrusted-input boundary: a wrong length, a coordinate
not below q, bad flags, an x with no point, a point off the curve or (G2)
outside the subgroup raise :class:`~pouw.errors.CurveError`.
"""

from __future__ import annotations

from typing import Any

from ..errors import CurveError
from .field import Q
from .points import G1Array, G1Point, G2Array, G2Point

__all__ = [
    "encode_g1",
    "decode_g1",
    "encode_g2",
    "decode_g2",
    "encode_g1_compressed",
    "decode_g1_compressed",
    "encode_g2_compressed",
    "decode_g2_compressed",
]

_FLAG_SMALL = 0b10 << 6
_FLAG_LARGE = 0b11 << 6
_FLAG_INFINITY = 0b01 << 6
_FLAG_MASK = 0b11 << 6
_HALF = (Q - 1) // 2


def _bytes(data: Any, size: int, what: str) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"{what} takes bytes, got {type(data).__name__}")
    raw = bytes(data)
    if len(raw) != size:
        raise CurveError(f"{what} takes {size} bytes, got {len(raw)}")
    return raw


def _words(raw: bytes) -> list[int]:
    return [int.from_bytes(raw[i : i + 32], "big") for i in range(0, len(raw), 32)]


def _join(values: list[int]) -> bytes:
    return b"".join(v.to_bytes(32, "big") for v in values)


# ---------------------------------------------------------------- uncompressed


def encode_g1(point: G1Point) -> bytes:
    """64 bytes ``x || y`` (EIP-196); infinity is all zeros.  The point is checked."""
    (p,) = G1Array.from_ints([point]).to_ints()
    return bytes(64) if p is None else _join([p[0], p[1]])


def decode_g1(data: bytes) -> G1Point:
    """The G1 point of an EIP-196 encoding (all zeros: ``None``)."""
    x, y = _words(_bytes(data, 64, "decode_g1"))
    if x == 0 and y == 0:
        return None
    return G1Array.from_ints([(x, y)]).to_ints()[0]


def encode_g2(point: G2Point) -> bytes:
    """128 bytes ``x_c1 || x_c0 || y_c1 || y_c0`` (EIP-197); infinity is all zeros."""
    (p,) = G2Array.from_ints([point]).to_ints()
    if p is None:
        return bytes(128)
    (x0, x1), (y0, y1) = p
    return _join([x1, x0, y1, y0])


def decode_g2(data: bytes) -> G2Point:
    """The G2 point of an EIP-197 encoding (all zeros: ``None``); subgroup checked."""
    x1, x0, y1, y0 = _words(_bytes(data, 128, "decode_g2"))
    if not (x0 or x1 or y0 or y1):
        return None
    return G2Array.from_ints([((x0, x1), (y0, y1))]).to_ints()[0]


# ---------------------------------------------------------------- Fq2 helpers (decompression)


def _f2_mul(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return ((a[0] * b[0] - a[1] * b[1]) % Q, (a[0] * b[1] + a[1] * b[0]) % Q)


def _f2_pow(a: tuple[int, int], e: int) -> tuple[int, int]:
    r = (1, 0)
    while e:
        if e & 1:
            r = _f2_mul(r, a)
        a = _f2_mul(a, a)
        e >>= 1
    return r


def _f2_sqrt(a: tuple[int, int]) -> tuple[int, int] | None:
    """A square root in Fq2 (q = 3 mod 4: Adj & Rodriguez-Henriquez, Alg. 9), or None."""
    a1 = _f2_pow(a, (Q - 3) // 4)
    alpha = _f2_mul(_f2_mul(a1, a1), a)
    x0 = _f2_mul(a1, a)
    if alpha == (Q - 1, 0):
        x = ((-x0[1]) % Q, x0[0])  # u * x0
    else:
        x = _f2_mul(_f2_pow(((1 + alpha[0]) % Q, alpha[1]), (Q - 1) // 2), x0)
    return x if _f2_mul(x, x) == (a[0] % Q, a[1] % Q) else None


def _f2_largest(y: tuple[int, int]) -> bool:
    return y[1] > _HALF if y[1] else y[0] > _HALF


# ---------------------------------------------------------------- compressed


def _flags(raw: bytes, what: str) -> tuple[int, bytes]:
    flag = raw[0] & _FLAG_MASK
    body = bytes([raw[0] & ~_FLAG_MASK & 0xFF]) + raw[1:]
    if flag == 0:
        raise CurveError(f"{what}: the compression flag bits are 0b00 (uncompressed marker)")
    if flag == _FLAG_INFINITY and any(body):
        raise CurveError(f"{what}: the infinity flag is set but other bits are not zero")
    return flag, body


def encode_g1_compressed(point: G1Point) -> bytes:
    """32 bytes: ``x`` with the flags in its top two bits (see the module docstring)."""
    (p,) = G1Array.from_ints([point]).to_ints()
    if p is None:
        return bytes([_FLAG_INFINITY]) + bytes(31)
    out = bytearray(p[0].to_bytes(32, "big"))
    out[0] |= _FLAG_LARGE if p[1] > _HALF else _FLAG_SMALL
    return bytes(out)


def decode_g1_compressed(data: bytes) -> G1Point:
    """The G1 point of a 32-byte compressed encoding."""
    flag, body = _flags(_bytes(data, 32, "decode_g1_compressed"), "decode_g1_compressed")
    if flag == _FLAG_INFINITY:
        return None
    x = int.from_bytes(body, "big")
    if x >= Q:
        raise CurveError("decode_g1_compressed: x is not below q")
    rhs = (x * x * x + 3) % Q
    y = pow(rhs, (Q + 1) // 4, Q)
    if y * y % Q != rhs:
        raise CurveError("decode_g1_compressed: no point on the curve has this x")
    if (y > _HALF) != (flag == _FLAG_LARGE):
        y = Q - y
    return G1Array.from_ints([(x, y)]).to_ints()[0]


def encode_g2_compressed(point: G2Point) -> bytes:
    """64 bytes: ``x_c1 || x_c0`` with the flags in the top two bits of the first byte."""
    (p,) = G2Array.from_ints([point]).to_ints()
    if p is None:
        return bytes([_FLAG_INFINITY]) + bytes(63)
    (x0, x1), y = p
    out = bytearray(_join([x1, x0]))
    out[0] |= _FLAG_LARGE if _f2_largest(y) else _FLAG_SMALL
    return bytes(out)


def decode_g2_compressed(data: bytes) -> G2Point:
    """The G2 point of a 64-byte compressed encoding; subgroup checked."""
    flag, body = _flags(_bytes(data, 64, "decode_g2_compressed"), "decode_g2_compressed")
    if flag == _FLAG_INFINITY:
        return None
    x1, x0 = _words(body)
    if x0 >= Q or x1 >= Q:
        raise CurveError("decode_g2_compressed: x is not below q")
    b2 = G2Array._b
    x = (x0, x1)
    rhs = _f2_mul(_f2_mul(x, x), x)
    rhs = ((rhs[0] + b2[0]) % Q, (rhs[1] + b2[1]) % Q)
    y = _f2_sqrt(rhs)
    if y is None:
        raise CurveError("decode_g2_compressed: no point on the twist has this x")
    if _f2_largest(y) != (flag == _FLAG_LARGE):
        y = ((-y[0]) % Q, (-y[1]) % Q)
    return G2Array.from_ints([(x, y)]).to_ints()[0]
