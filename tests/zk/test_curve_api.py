"""pouw.zk.curve: the typed face of G1/G2, against py_ecc, with every reject path."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc import optimized_bn128 as o

from pouw.errors import CurveError
from pouw.zk import (
    G1_GENERATOR,
    G2_GENERATOR,
    G1Array,
    G2Array,
    Q,
    R,
    decode_g1,
    decode_g1_compressed,
    decode_g2,
    decode_g2_compressed,
    encode_g1,
    encode_g1_compressed,
    encode_g2,
    encode_g2_compressed,
    g1_add,
    g1_is_on_curve,
    g1_mul,
    g1_neg,
    g2_add,
    g2_is_in_subgroup,
    g2_is_on_curve,
    g2_mul,
    g2_neg,
)
from pouw.zk.curve_encoding import _f2_sqrt


def twist_point_outside_subgroup():
    """A twist point not multiplied by the cofactor: on the curve, not in G2."""
    b2 = G2Array._b
    for x0 in range(1, 100):
        x = (x0, 1)
        x3 = ((x0**3 - 3 * x0) % Q, (3 * x0 * x0 - 1) % Q)  # (x0 + u)^3
        y = _f2_sqrt(((x3[0] + b2[0]) % Q, (x3[1] + b2[1]) % Q))
        if y is not None:
            return (x, y)
    raise AssertionError("no twist point found")


def test_generators_match_py_ecc():
    assert tuple(int(v) for v in o.normalize(o.G1)) == G1_GENERATOR
    x, y = o.normalize(o.G2)
    assert (tuple(int(v) for v in x.coeffs), tuple(int(v) for v in y.coeffs)) == G2_GENERATOR


def test_group_faces():
    p = g1_mul(G1_GENERATOR, 5)
    assert g1_add(p, g1_neg(p)) is None
    assert g1_add(p, None) == p and g1_add(None, None) is None
    assert g1_mul(p, 0) is None and g1_mul(p, R) is None and g1_mul(p, -1) == g1_neg(p)
    assert g1_add(p, p) == g1_mul(G1_GENERATOR, 10)
    q = g2_mul(G2_GENERATOR, 3)
    assert g2_add(q, g2_neg(q)) is None and g2_add(q, q) == g2_mul(G2_GENERATOR, 6)
    assert g2_mul(q, R + 1) == q


def _py_ecc_g1(k):
    pt = o.normalize(o.multiply(o.G1, k % R)) if k % R else None
    return None if pt is None else (int(pt[0]), int(pt[1]))


def _py_ecc_g2(k):
    if k % R == 0:
        return None
    x, y = o.normalize(o.multiply(o.G2, k % R))
    return (tuple(int(v) for v in x.coeffs), tuple(int(v) for v in y.coeffs))


@pytest.mark.parametrize("k", [0, 1, 2, R - 1, R, R + 1, -1, -R - 2, 1 << 300, 5 * R + 7])
def test_single_point_mul_accepts_any_int_scalar(k):
    """g1_mul/g2_mul take one native call (mul_coords); the array face must agree."""
    assert g1_mul(G1_GENERATOR, k) == _py_ecc_g1(k) == G1Array.from_ints([G1_GENERATOR]).mul([k])[0]
    if k in (0, 1, R - 1, -1):  # py_ecc's G2 multiply is slow
        assert g2_mul(G2_GENERATOR, k) == _py_ecc_g2(k)
    assert g2_mul(G2_GENERATOR, k) == G2Array.from_ints([G2_GENERATOR]).mul([k])[0]
    assert g1_mul(None, k) is None and g2_mul(None, k) is None


def test_single_point_mul_rejects_bad_points_and_scalars():
    (x0, x1), (y0, y1) = G2_GENERATOR
    with pytest.raises(CurveError, match="not on the curve"):
        g1_mul((1, 3), 2)
    with pytest.raises(CurveError, match="below q"):
        g1_mul((Q + 1, 2), 2)  # 1 + q: the generator's x, not reduced
    with pytest.raises(CurveError, match="below q"):
        g1_mul((1, -2), 2)
    with pytest.raises(CurveError, match="infinity is None"):
        g1_mul((0, 0), 2)
    with pytest.raises(CurveError, match="not on the curve"):
        g2_mul(((x0, x1), (y0, (y1 + 1) % Q)), 2)
    with pytest.raises(CurveError, match="below q"):
        g2_mul(((x0 + Q, x1), (y0, y1)), 2)
    with pytest.raises(CurveError, match="subgroup"):
        g2_mul(twist_point_outside_subgroup(), 2)
    with pytest.raises(TypeError):
        g1_mul(G1_GENERATOR, 2.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        g1_mul((1.0, 2), 2)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        g2_mul((1, 2), 2)  # type: ignore[arg-type]
    one = G1Array.from_ints([G1_GENERATOR])
    with pytest.raises(TypeError, match="integers"):
        one.mul([2.0])
    with pytest.raises(ValueError, match="length mismatch"):
        one.mul([1, 2])
    assert one.mul([-1]).to_ints() == [g1_neg(G1_GENERATOR)]


@settings(max_examples=15, deadline=None)
@given(st.integers(-(1 << 300), 1 << 300), st.integers(0, R - 1))
def test_g1_distributive(a, b):
    assert g1_add(g1_mul(G1_GENERATOR, a), g1_mul(G1_GENERATOR, b)) == g1_mul(G1_GENERATOR, a + b)


@settings(max_examples=3, deadline=None)
@given(st.integers(0, R - 1), st.integers(0, R - 1))
def test_g2_distributive(a, b):
    assert g2_add(g2_mul(G2_GENERATOR, a), g2_mul(G2_GENERATOR, b)) == g2_mul(G2_GENERATOR, a + b)


def test_eip197_generator_vectors():
    assert encode_g1(G1_GENERATOR) == (1).to_bytes(32, "big") + (2).to_bytes(32, "big")
    (x0, x1), (y0, y1) = G2_GENERATOR
    want = b"".join(v.to_bytes(32, "big") for v in (x1, x0, y1, y0))
    assert encode_g2(G2_GENERATOR) == want and decode_g2(want) == G2_GENERATOR
    assert encode_g1(None) == bytes(64) and decode_g1(bytes(64)) is None
    assert encode_g2(None) == bytes(128) and decode_g2(bytes(128)) is None


@pytest.mark.parametrize("k", [1, 2, 3, 77, R - 1])
def test_round_trips(k):
    p, q = g1_mul(G1_GENERATOR, k), g2_mul(G2_GENERATOR, k)
    assert decode_g1(encode_g1(p)) == p and decode_g1_compressed(encode_g1_compressed(p)) == p
    assert decode_g2(encode_g2(q)) == q and decode_g2_compressed(encode_g2_compressed(q)) == q
    assert G1Array.from_ints([p, None]).to_ints() == [p, None]


def test_compressed_infinity_and_flags():
    assert encode_g1_compressed(None) == b"\x40" + bytes(31)
    assert decode_g1_compressed(b"\x40" + bytes(31)) is None
    assert decode_g2_compressed(b"\x40" + bytes(63)) is None
    assert encode_g1_compressed(G1_GENERATOR)[0] >> 6 == 0b10  # y = 2 is the smaller root


def test_subgroup_check_rejects_twist_point():
    bad = twist_point_outside_subgroup()
    assert g2_is_on_curve(bad) and not g2_is_in_subgroup(bad)
    assert g2_is_in_subgroup(G2_GENERATOR) and g2_is_in_subgroup(None)
    with pytest.raises(CurveError, match="subgroup"):
        G2Array.from_ints([bad])
    (x0, x1), (y0, y1) = bad
    with pytest.raises(CurveError, match="subgroup"):
        decode_g2(b"".join(v.to_bytes(32, "big") for v in (x1, x0, y1, y0)))


def test_rejects():
    with pytest.raises(CurveError, match="below"):
        decode_g1((Q).to_bytes(32, "big") + (2).to_bytes(32, "big"))
    with pytest.raises(CurveError, match="not on the curve"):
        decode_g1((1).to_bytes(32, "big") + (3).to_bytes(32, "big"))
    with pytest.raises(CurveError, match="bytes"):
        decode_g1(bytes(63))
    with pytest.raises(CurveError, match="bytes"):
        decode_g2(bytes(127))
    with pytest.raises(CurveError, match="0b00"):
        decode_g1_compressed(bytes(32))
    with pytest.raises(CurveError, match="infinity"):
        decode_g1_compressed(b"\x40" + bytes(30) + b"\x01")
    with pytest.raises(CurveError, match="below"):
        decode_g1_compressed(bytes([0x80 | (Q >> 248)]) + (Q % (1 << 248)).to_bytes(31, "big"))
    with pytest.raises(CurveError, match="not on the curve|no point"):
        G1Array.from_ints([(0, 0)])
    with pytest.raises(CurveError):
        g1_mul((1, 3), 2)
    assert not g1_is_on_curve((1, 3)) and g1_is_on_curve(G1_GENERATOR)
    with pytest.raises(TypeError):
        G1Array.from_ints([(1.0, 2)])
    with pytest.raises(CurveError, match="bytes"):
        decode_g2_compressed(bytes(63))
