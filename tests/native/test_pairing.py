"""pouw.zk.pairing (pouw._native.pairing) against py_ecc.optimized_bn128 and the
pairing's algebra, on every field backend.  py_ecc pairings cost ~0.4 s each:
this file runs three."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc import optimized_bn128 as o

from pouw._native import field as f
from pouw._native import pairing as p
from pouw.errors import CurveError
from pouw.zk.curve import G1_GENERATOR as G1
from pouw.zk.curve import G2_GENERATOR as G2
from pouw.zk.curve import G1Array, G2Array, g1_add, g1_mul, g1_neg, g2_mul, g2_neg
from pouw.zk.field import Q, R
from pouw.zk.pairing import Fq12, G2Prepared, pairing, pairing_check

X = 4965661367192848881
scalars = st.integers(min_value=1, max_value=R - 1)


@pytest.fixture(params=f.backends())
def backend(request):
    before = f.backend()
    f._set_backend(request.param)
    yield request.param
    f._set_backend(before)


def ref_coeffs(q_g2, p_g1) -> list[int]:
    """py_ecc's pairing(Q, P) as 12 ints (py_ecc takes G2 first)."""
    qq = (o.FQ2(list(q_g2[0])), o.FQ2(list(q_g2[1])), o.FQ2.one())
    pp = (o.FQ(p_g1[0]), o.FQ(p_g1[1]), o.FQ.one())
    return [int(c) for c in o.pairing(qq, pp).coeffs]


# ---------------------------------------------------------------- against py_ecc


def test_generators_match_py_ecc(backend):
    assert pairing(G1, G2).to_ints() == ref_coeffs(G2, G1)


def test_random_points_match_py_ecc():
    a, b = 0x1234567890ABCDEF1234567890ABCDEF, R - 12345
    pa, qb = g1_mul(G1, a), g2_mul(G2, b)
    want = ref_coeffs(qb, pa)
    assert pairing(pa, qb).to_ints() == want
    assert pairing(pa, G2Prepared(qb)).to_ints() == want


def test_fq12_arithmetic_matches_py_ecc():
    rng = np.random.default_rng(7)
    xs = [int(v) % Q for v in rng.integers(0, 2**62, 12)]
    ys = [int(v) % Q for v in rng.integers(0, 2**62, 12)]
    fx, fy = o.FQ12(xs), o.FQ12(ys)
    a, b = Fq12.from_ints(xs), Fq12.from_ints(ys)
    assert a.to_ints() == xs
    assert (a * b).to_ints() == [int(c) for c in (fx * fy).coeffs]
    assert (a**5).to_ints() == [int(c) for c in (fx**5).coeffs]
    assert (a.inverse() * a).is_one()
    assert (a**-3 * a**3).is_one()
    for n in (1, 2, 3):  # Frobenius maps are the q^n-th powers
        out = np.empty(48, dtype=np.uint64)
        p.fq12_frob(out, a.montgomery, n)
        assert Fq12._wrap(out) == a ** (Q**n)


def test_fq12_full_range_matches_py_ecc(backend):
    """Full-size and edge coefficients (the tower's carry-flag adds, unreduced
    multiply operands and one-reduction xi multiply) on every backend."""
    rng = np.random.default_rng(11)
    vecs = [[Q - 1] * 12, [Q - 2, 1] * 6, [0] * 11 + [Q - 1], [1] + [0] * 11]
    for _ in range(6):
        vecs.append([int.from_bytes(rng.bytes(32), "little") % Q for _ in range(12)])
    for xs in vecs:
        for ys in vecs[-3:] + [[Q - 1] * 12]:
            fx, fy = o.FQ12(xs), o.FQ12(ys)
            a, b = Fq12.from_ints(xs), Fq12.from_ints(ys)
            assert (a * b).to_ints() == [int(c) for c in (fx * fy).coeffs]
        assert (a**3).to_ints() == [int(c) for c in (fx**3).coeffs]


def test_frobenius_constants_from_python_ints():
    def f2mul(u, v):
        return ((u[0] * v[0] - u[1] * v[1]) % Q, (u[0] * v[1] + u[1] * v[0]) % Q)

    def f2pow(u, e):
        acc = (1, 0)
        while e:
            if e & 1:
                acc = f2mul(acc, u)
            u, e = f2mul(u, u), e >> 1
        return acc

    consts = p.frobenius_constants()
    plain = np.empty((30, 4), dtype=np.uint64)
    f.from_mont(f.FQ, plain, np.ascontiguousarray(consts.reshape(30, 4)))
    data = plain.astype("<u8").tobytes()
    ints = [int.from_bytes(data[i : i + 32], "little") for i in range(0, len(data), 32)]
    for n in (1, 2, 3):
        for k in range(1, 6):
            i = 2 * (5 * (n - 1) + k - 1)
            assert (ints[i], ints[i + 1]) == f2pow((9, 1), k * (Q**n - 1) // 6)


# ---------------------------------------------------------------- algebra


@settings(max_examples=4, deadline=None)
@given(a=scalars, b=scalars)
def test_bilinear_in_scalars(a, b):
    assert pairing(g1_mul(G1, a), g2_mul(G2, b)) == pairing(G1, G2) ** (a * b)


@settings(max_examples=3, deadline=None)
@given(a=scalars, b=scalars, c=scalars)
def test_bilinear_in_g1_sum(a, b, c):
    pa, pb, qc = g1_mul(G1, a), g1_mul(G1, b), g2_mul(G2, c)
    assert pairing(g1_add(pa, pb), qc) == pairing(pa, qc) * pairing(pb, qc)


def test_non_degenerate_and_order_r():
    e = pairing(G1, G2)
    assert not e.is_one()
    assert (e**R).is_one()


def test_negation_cancels():
    pp, qq = g1_mul(G1, 77), g2_mul(G2, 99)
    assert (pairing(pp, g2_neg(qq)) * pairing(pp, qq)).is_one()
    assert pairing(g1_neg(pp), qq) == pairing(pp, g2_neg(qq))


def test_backends_agree_bit_for_bit():
    pp, qq = g1_mul(G1, 5), g2_mul(G2, 7)
    before = f.backend()
    try:
        got = set()
        for name in f.backends():
            f._set_backend(name)
            got.add(bytes(pairing(pp, qq).montgomery))
            got.add(bytes(pairing(pp, G2Prepared(qq)).montgomery))
    finally:
        f._set_backend(before)
    assert len(got) == 1


def test_prepared_equals_unprepared():
    qq = g2_mul(G2, 31337)
    prepared = G2Prepared(qq)
    for k in (1, 2, R - 1):
        pk = g1_mul(G1, k)
        assert pairing(pk, prepared) == pairing(pk, qq)


# ---------------------------------------------------------------- pairing_check


def groth16_shaped(a: int, b: int, c: int, d: int) -> list:
    """e(aG1, bG2) e(-(ab - cd)G1, G2) e(-cG1, dG2) e(0*..., ...) == 1 (4 pairs)."""
    return [
        (g1_mul(G1, a), g2_mul(G2, b)),
        (g1_mul(G1, -(a * b - c * d - 5)), G2),
        (g1_mul(G1, -c), g2_mul(G2, d)),
        (g1_mul(G1, -5), G2Prepared(G2)),
    ]


def test_pairing_check_valid_product():
    assert pairing_check(groth16_shaped(11, 22, 33, 44)) is True


def test_pairing_check_rejects_tampered():
    pairs = groth16_shaped(11, 22, 33, 44)
    pairs[2] = (g1_mul(G1, -34), pairs[2][1])
    assert pairing_check(pairs) is False
    pairs = groth16_shaped(11, 22, 33, 44)
    pairs[0] = (pairs[0][0], g2_mul(G2, 23))
    assert pairing_check(pairs) is False


def test_pairing_check_empty_and_single():
    assert pairing_check([]) is True
    assert pairing_check([(G1, G2)]) is False
    assert pairing_check([(G1, G2), (g1_neg(G1), G2)]) is True


def test_infinity_is_one():
    assert pairing(None, G2).is_one()
    assert pairing(G1, None).is_one()
    assert pairing(G1, G2Prepared(None)).is_one()
    assert pairing_check([(None, G2), (G1, None)]) is True
    assert pairing_check([(G1, G2), (None, G2)]) is False


def test_arrays_accepted():
    g1a, g2a = G1Array.from_ints([G1]), G2Array.from_ints([G2])
    assert pairing(g1a, g2a) == pairing(G1, G2)
    assert pairing_check([(g1a, g2a), (g1_neg(G1), G2)]) is True


# ---------------------------------------------------------------- validation and the C boundary


def test_rejects_untrusted_points():
    with pytest.raises(CurveError):
        pairing((1, 3), G2)  # off G1
    with pytest.raises(CurveError):
        pairing((Q + 1, 2), G2)  # non-canonical
    off = ((G2[0][0], G2[0][1]), (G2[1][0], (G2[1][1] + 1) % Q))
    with pytest.raises(CurveError):
        pairing(G1, off)
    with pytest.raises(CurveError):
        G2Prepared(off)
    # On the twist but outside the order-r subgroup: y^2 = x^3 + b' for some x.
    outside = _twist_point_outside_subgroup(G2Array._b)
    with pytest.raises(CurveError, match="subgroup"):
        pairing(G1, outside)
    with pytest.raises(CurveError):
        pairing_check([(G1, G2), ((1, 3), G2)])


def _twist_point_outside_subgroup(b2):
    from pouw.zk.curve_encoding import _f2_mul, _f2_sqrt

    for x0 in range(1, 100):
        x = (x0, 0)
        rhs = _f2_mul(_f2_mul(x, x), x)
        rhs = ((rhs[0] + b2[0]) % Q, (rhs[1] + b2[1]) % Q)
        y = _f2_sqrt(rhs)
        if y is not None:
            return (x, y)
    raise AssertionError("no twist point found")


def test_malformed_arguments():
    with pytest.raises(TypeError):
        pairing_check([(G1,)])
    with pytest.raises(TypeError):
        pairing("G1", G2)
    with pytest.raises(ValueError):
        pairing(G1Array.from_ints([G1, G1]), G2)
    with pytest.raises(TypeError):
        Fq12()
    with pytest.raises(ValueError):
        Fq12.from_ints([Q] + [0] * 11)
    with pytest.raises(ZeroDivisionError):
        Fq12.from_ints([0] * 12).inverse()


def test_native_boundary():
    out = np.empty(48, dtype=np.uint64)
    g1 = G1Array.from_ints([G1]).montgomery
    lines = [p.G2Lines(np.ascontiguousarray(G2Array.from_ints([G2]).montgomery[0]))]
    assert lines[0].coefficients().shape == (p.N_LINES, 24)
    with pytest.raises(TypeError):
        p.miller_loop(out, g1.astype(np.int64), lines)
    with pytest.raises(ValueError):
        p.miller_loop(out, g1, lines * 2)  # length mismatch
    with pytest.raises(ValueError):
        p.miller_loop(out[::2], g1, lines)  # wrong shape
    with pytest.raises(ValueError):
        p.miller_loop(np.empty(96, dtype=np.uint64)[::2], g1, lines)  # strided
    with pytest.raises(TypeError):
        p.miller_loop(out, g1, [object()])
    with pytest.raises(TypeError):
        p.G2Lines(np.zeros(16, dtype=np.uint32))
    with pytest.raises(ValueError):
        p.G2Lines(np.zeros(8, dtype=np.uint64))
    ro = np.empty(48, dtype=np.uint64)
    ro.flags.writeable = False
    with pytest.raises(ValueError):
        p.final_exp(ro, out)
    with pytest.raises(ValueError):
        p.fq12_frob(out, out, 4)
    p.miller_loop(out, g1, lines)
    p.final_exp(out, out)
    assert Fq12._wrap(out) == pairing(G1, G2)
