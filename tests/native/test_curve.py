"""pouw._native.curve against py_ecc.optimized_bn128, on every field backend."""

from __future__ import annotations

import random

import numpy as np
import pytest
from py_ecc import optimized_bn128 as o

from pouw._native import curve as c
from pouw._native import field as f
from pouw.zk.curve import G1Array, G2Array, scalars_to_limbs

R = o.curve_order


@pytest.fixture(params=f.backends())
def backend(request):
    before = f.backend()
    f._set_backend(request.param)
    yield request.param
    f._set_backend(before)


def g1(pt):
    pt = o.normalize(pt)
    return (int(pt[0]), int(pt[1]))


def g2(pt):
    x, y = o.normalize(pt)
    return ((int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1])))


SCALARS = [0, 1, 2, R - 1, R, R + 1, 2 * R + 5, (1 << 256) - 1, -1, -12345]


def test_g1_mul_matches_py_ecc(backend):
    rng = random.Random(1)
    ks = SCALARS + [rng.randrange(1 << 256) for _ in range(10)]
    pts = G1Array.from_ints([G1_INT] * len(ks))
    got = pts.mul(ks).to_ints()
    want = [None if k % R == 0 else g1(o.multiply(o.G1, k % R)) for k in ks]
    assert got == want


def test_g2_mul_matches_py_ecc(backend):
    ks = [0, 1, R - 1, R + 1, -1, 987654321987654321]
    got = G2Array.from_ints([G2_INT] * len(ks)).mul(ks).to_ints()
    want = [None if k % R == 0 else g2(o.multiply(o.G2, k % R)) for k in ks]
    assert got == want


G1_INT = (1, 2)
G2_INT = g2(o.G2)


def test_add_edge_cases(backend):
    p = g1(o.multiply(o.G1, 5))
    q = g1(o.multiply(o.G1, 7))
    neg_p = (p[0], o.field_modulus - p[1])
    a = G1Array.from_ints([p, p, None, p, None])
    b = G1Array.from_ints([q, p, p, neg_p, None])
    want = [g1(o.multiply(o.G1, 12)), g1(o.multiply(o.G1, 10)), p, None, None]
    assert (a + b).to_ints() == want


def test_backends_agree_bit_for_bit():
    rng = random.Random(2)
    pts = G1Array.from_ints([G1_INT] * 20).mul([rng.randrange(R) for _ in range(20)])
    ks = [rng.randrange(1 << 256) for _ in range(20)]
    before = f.backend()
    outs = []
    try:
        for be in f.backends():
            f._set_backend(be)
            outs.append(pts.mul(ks).montgomery.copy())
    finally:
        f._set_backend(before)
    assert all(np.array_equal(outs[0], x) for x in outs)


def test_to_affine_batch_with_infinity(backend):
    pts = G1Array.from_ints([G1_INT, None, G1_INT])
    jac = np.empty((3, 12), dtype=np.uint64)
    c.mul_jacobian(c.G1, jac, pts.montgomery, scalars_to_limbs([3, 4, 0]))
    out = np.empty((3, 8), dtype=np.uint64)
    c.to_affine(c.G1, out, jac)
    assert G1Array._wrap(out).to_ints() == [g1(o.multiply(o.G1, 3)), None, None]


def test_boundary_errors():
    good = np.zeros((2, 8), dtype=np.uint64)
    with pytest.raises(TypeError, match="dtype uint64"):
        c.neg(c.G1, good, good.astype(np.int64))
    with pytest.raises(ValueError, match="shape"):
        c.neg(c.G1, good, np.zeros((2, 16), dtype=np.uint64))
    with pytest.raises(ValueError, match="C-contiguous"):
        c.neg(c.G1, good, np.zeros((2, 16), dtype=np.uint64)[:, ::2])
    with pytest.raises(ValueError, match="length mismatch"):
        c.neg(c.G1, good, np.zeros((3, 8), dtype=np.uint64))
    with pytest.raises(ValueError, match="group"):
        c.neg(3, good, good)
    with pytest.raises(TypeError, match="numpy"):
        c.check(c.G1, [[0] * 8])
    buf = np.zeros(24 + 16, dtype=np.uint64)
    with pytest.raises(ValueError, match="share memory"):
        c.mul_jacobian(c.G1, buf[:24].reshape(2, 12), buf[8:24].reshape(2, 8), good[:, :4].copy())


# ---------------------------------------------------------------- endomorphisms (GLV, psi)

Q = o.field_modulus
BN_X = 4965661367192848881
ENDO = c.endomorphism_constants()


def test_glv_constants_match_derivation():
    beta, lam = ENDO["beta"], ENDO["lambda"]
    assert beta != 1 and pow(beta, 3, Q) == 1
    assert lam != 1 and (lam * lam + lam + 1) % R == 0
    # The pairing of beta and lambda: phi(G1) = (beta x, y) == [lambda] G1 (py_ecc),
    # and the other cube root of unity would not match.
    assert g1(o.multiply(o.G1, lam)) == (beta * 1 % Q, 2)
    assert g1(o.multiply(o.G1, lam)) != (beta * beta % Q, 2)
    assert beta == 0x59E26BCEA0D48BACD4F263F1ACDB5C4F5763473177FFFFFE
    assert lam == 0xB3C4D79D41A917585BFC41088D8DAAA78B17EA66B99C90DD
    (a1, b1), (a2, b2) = ENDO["glv_basis"]
    assert (a1 - b1 * lam) % R == 0 and (a2 + b2 * lam) % R == 0
    assert a1 * b2 + a2 * b1 == R  # a basis of the lattice, not a sublattice
    assert max(a1, b1, a2, b2) < 1 << 128


def test_g1_phi_native_matches_lambda_multiple(backend):
    rng = random.Random(7)
    ks = [rng.randrange(1, R) for _ in range(5)]
    pts = G1Array.from_ints([G1_INT] * 5).mul(ks).to_ints()
    phi = [(ENDO["beta"] * x % Q, y) for x, y in pts]
    assert G1Array.from_ints(pts).mul([ENDO["lambda"]] * 5).to_ints() == phi


GLV_EDGE = [
    0,
    1,
    2,
    3,
    R - 1,
    R - 2,
    R,
    R + 1,
    (1 << 256) - 1,
    1 << 128,
    (1 << 128) - 1,
    1 << 127,
    ENDO["lambda"],
    ENDO["lambda"] + 1,
    R - ENDO["lambda"],
    ENDO["lambda"] ** 2 % R,
    ENDO["glv_basis"][0][0],
    ENDO["glv_basis"][0][1],
    ENDO["glv_basis"][1][0],
    ENDO["glv_basis"][1][1],
    R // 2,
    R // 2 + 1,
    (R + 1) // 3,
    5 * R,
    5 * R + 7,
]


def test_g1_mul_glv_edges_and_random_points(backend):
    rng = random.Random(4)
    base = [rng.randrange(1, R) for _ in range(4)]
    pts = G1Array.from_ints([G1_INT] * 4).mul(base).to_ints()
    ks = GLV_EDGE + [rng.randrange(1 << 256) for _ in range(8)]
    for b, p in zip(base, pts, strict=True):
        got = G1Array.from_ints([p] * len(ks)).mul(ks).to_ints()
        want = [None if (b * k) % R == 0 else g1(o.multiply(o.G1, b * k % R)) for k in ks]
        assert got == want
    # Jacobian path (no Python reduction): raw 256-bit scalars, reduced by the kernel.
    raw = [(1 << 256) - 1, R, 5 * R + 7, R - 1]
    jac = np.empty((len(raw), 12), dtype=np.uint64)
    c.mul_jacobian(c.G1, jac, G1Array.from_ints([G1_INT] * len(raw)).montgomery, _raw_limbs(raw))
    out = np.empty((len(raw), 8), dtype=np.uint64)
    c.to_affine(c.G1, out, jac)
    assert G1Array._wrap(out).to_ints() == [
        None if k % R == 0 else g1(o.multiply(o.G1, k % R)) for k in raw
    ]


def test_psi_constants_match_derivation():
    from py_ecc.fields import optimized_bn128_FQ2 as FQ2

    xi = FQ2([9, 1])
    gx, gy = xi ** ((Q - 1) // 3), xi ** ((Q - 1) // 2)
    assert ENDO["psi_x"] == (int(gx.coeffs[0]), int(gx.coeffs[1]))
    assert ENDO["psi_y"] == (int(gy.coeffs[0]), int(gy.coeffs[1]))
    assert ENDO["psi_x"] == (
        21575463638280843010398324269430826099269044274347216827212613867836435027261,
        10307601595873709700152284273816112264069230130616436755625194854815875713954,
    )
    assert ENDO["psi_y"] == (
        2821565182194536844548159561693502659359617185244120367078079554186484126554,
        3505843767911556378687030309984248845540243509899259641013678093033130930403,
    )
    assert ENDO["six_x2"] == 6 * BN_X * BN_X
    # psi(G2) == [6 x^2] G2 == [q] G2 in py_ecc.
    x, y = o.normalize(o.G2)

    def conj(a):
        return FQ2([int(a.coeffs[0]), -int(a.coeffs[1])])

    psi_g = (conj(x) * gx, conj(y) * gy, FQ2.one())
    assert o.eq(psi_g, o.multiply(o.G2, 6 * BN_X * BN_X))
    assert (Q - 6 * BN_X * BN_X) % R == 0


def _raw_limbs(ks):
    """(n, 4) plain limbs of 0 <= k < 2^256, NOT reduced mod r."""
    return np.array(
        [[(k >> (64 * i)) & (2**64 - 1) for i in range(4)] for k in ks], dtype=np.uint64
    )


def _twist_points(count):
    """On-curve twist points, not multiplied by the cofactor (almost surely not in G2)."""
    from pouw.zk.curve_encoding import _f2_sqrt

    b2 = c.curve_b(c.G2)
    out = []
    x0 = 1
    while len(out) < count:
        x = (x0, 3)
        x3 = ((x0**3 - 27 * x0) % Q, (9 * x0 * x0 - 27) % Q)  # (x0 + 3u)^3
        y = _f2_sqrt(((x3[0] + b2[0]) % Q, (x3[1] + b2[1]) % Q))
        if y is not None:
            out.append((x, y))
        x0 += 1
    return out


def test_g2_subgroup_fast_check_equals_definition(backend):
    twist = G2Array.from_montgomery(G2Array.from_ints([G2_INT]).montgomery, check=False)
    pts = _twist_points(6)
    raw = G2Array.from_montgomery(
        np.vstack([G2Array._from_coords(G2Array._flatten(p), False).montgomery for p in pts]),
        check=False,
    )
    h = 2 * Q - R  # the G2 cofactor
    n = len(pts)
    outside = np.empty((n, 16), dtype=np.uint64)
    c.mul(c.G2, outside, raw.montgomery, _raw_limbs([1] * n))
    cleared = np.empty((n, 16), dtype=np.uint64)
    c.mul(c.G2, cleared, raw.montgomery, _raw_limbs([h] * n))
    torsion = np.empty((n, 16), dtype=np.uint64)  # [r]T: nonzero, order dividing h
    c.mul(c.G2, torsion, raw.montgomery, _raw_limbs([R] * n))
    mixed = np.empty((n, 16), dtype=np.uint64)  # G2 element plus a cofactor-torsion part
    c.add(c.G2, mixed, cleared, torsion)
    gens = G2Array.from_ints([G2_INT] * 4).mul([1, 2, R - 1, 987654321]).montgomery
    for arr, want in (
        (outside, False),
        (cleared, True),
        (torsion, False),
        (mixed, False),
        (gens, True),
        (twist.montgomery, True),
    ):
        assert c.in_subgroup_by_order(c.G2, arr) == [want] * len(arr)
        for i in range(len(arr)):
            row = np.ascontiguousarray(arr[i : i + 1])
            assert c.check(c.G2, row, False) == (-1, 0)
            assert c.check(c.G2, row, True) == ((-1, 0) if want else (0, 2))
    assert c.check(c.G2, np.zeros((1, 16), dtype=np.uint64), True) == (-1, 0)


# ---------------------------------------------------------------- GLS on G2 (psi = [6 x^2])


def _gauss_reduce(u, v):
    """Lagrange-Gauss reduction of the 2-dim lattice basis (u, v)."""

    def n2(a):
        return a[0] * a[0] + a[1] * a[1]

    while True:
        if n2(u) > n2(v):
            u, v = v, u
        dot = u[0] * v[0] + u[1] * v[1]
        m = (2 * dot + n2(u)) // (2 * n2(u))  # round(dot / |u|^2)
        if m == 0:
            return u, v
        v = (v[0] - m * u[0], v[1] - m * u[1])


def test_gls_constants_match_derivation():
    lp = ENDO["six_x2"]
    assert lp == 6 * BN_X * BN_X % R
    # psi(G2) == [lambda_psi] G2 natively (psi itself is checked against py_ecc above).
    assert G2Array.from_ints([G2_INT]).mul([lp]).to_ints() == [g2(o.multiply(o.G2, lp))]
    # Reduced basis of {(a, b): a + b lp = 0 mod r} by a small extended Euclid / Gauss.
    u, v = _gauss_reduce((R, 0), (-lp, 1))
    for a, b in (u, v):
        assert (a + b * lp) % R == 0
    assert abs(u[0] * v[1] - u[1] * v[0]) == R
    # Normalise to the header's form v1 = (A1, -B1), v2 = (A2, B2), all >= 0.
    vecs = [w if w[0] > 0 or (w[0] == 0 and w[1] > 0) else (-w[0], -w[1]) for w in (u, v)]
    v1 = next(w for w in vecs if w[1] < 0)
    v2 = next(w for w in vecs if w[1] > 0)
    (a1, b1), (a2, b2) = ENDO["gls_basis"]
    assert (a1, -b1) == v1 and (a2, b2) == v2
    assert (a1, b1) == (lp, 1)
    assert a1 * b2 + a2 * b1 == R
    assert max(a1, b1, a2, b2) < 1 << 128


GLS_EDGE = [
    0,
    1,
    2,
    3,
    R - 1,
    R - 2,
    R,
    R + 1,
    (1 << 256) - 1,
    1 << 128,
    (1 << 128) - 1,
    1 << 127,
    ENDO["six_x2"],
    ENDO["six_x2"] + 1,
    ENDO["six_x2"] - 1,
    R - ENDO["six_x2"],
    ENDO["six_x2"] ** 2 % R,
    ENDO["gls_basis"][1][0],
    ENDO["gls_basis"][1][1],
    ENDO["gls_basis"][1][1] - 1,
    ENDO["gls_basis"][1][1] + 1,
    R // 2,
    R // 2 + 1,
    (R + 1) // 3,
    5 * R,
    5 * R + 7,
]


@pytest.mark.parametrize(
    "split, eigenvalue, edge, seed",
    [
        (c.glv_split, ENDO["lambda"], GLV_EDGE, 3),  # G1: phi = [lambda]
        (c.gls_split, ENDO["six_x2"], GLS_EDGE, 13),  # G2: psi = [6 x^2]
    ],
    ids=["glv", "gls"],
)
def test_endomorphism_split_identity_and_size(split, eigenvalue, edge, seed):
    rng = random.Random(seed)
    ks = (
        edge
        + [rng.randrange(R) for _ in range(2000)]
        + [rng.randrange(1 << 256) for _ in range(500)]
    )
    for k in ks:
        k1, k2 = split(k)
        assert (k1 + k2 * eigenvalue - k) % R == 0, k
        assert abs(k1) < 1 << 128 and abs(k2) < 1 << 128, (k, k1, k2)
    with pytest.raises(ValueError):
        split(-1)
    with pytest.raises(ValueError):
        split(1 << 256)


def test_g2_mul_gls_matches_wnaf_and_py_ecc(backend):
    rng = random.Random(14)
    base = [rng.randrange(1, R) for _ in range(3)]
    pts = G2Array.from_ints([G2_INT] * 3).mul(base)
    ks = [k % R for k in GLS_EDGE] + [rng.randrange(R) for _ in range(10)]
    for i in range(3):
        row = np.ascontiguousarray(pts.montgomery[i : i + 1])
        rows = np.repeat(row, len(ks), axis=0)
        # GLS path (k < r) against the plain wNAF path (k + r >= r, k as given).
        gls = np.empty((len(ks), 16), dtype=np.uint64)
        c.mul(c.G2, gls, rows, _raw_limbs(ks))
        ref = np.empty((len(ks), 16), dtype=np.uint64)
        c.mul(c.G2, ref, rows, _raw_limbs([k + R for k in ks]))
        assert np.array_equal(gls, ref)
    # A few against py_ecc (slow there).
    got = G2Array.from_ints([G2_INT] * 6).mul(ks[:6]).to_ints()
    want = [None if k % R == 0 else g2(o.multiply(o.G2, k % R)) for k in ks[:6]]
    assert got == want
    # The Jacobian kernel with the point at infinity.
    assert G2Array.from_ints([None, G2_INT]).mul([5, 0]).to_ints() == [None, None]
