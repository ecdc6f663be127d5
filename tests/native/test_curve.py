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


def test_backends_agree_bit_for_bit_g2_and_single_points():
    rng = random.Random(21)
    pts = G2Array.from_ints([G2_INT] * 6).mul([rng.randrange(R) for _ in range(6)])
    ks = [rng.randrange(1 << 256) for _ in range(6)]
    before = f.backend()
    outs = []
    try:
        for be in f.backends():
            f._set_backend(be)
            single = [c.mul_coords(c.G1, [1, 2], k) for k in ks]
            outs.append((pts.mul(ks).montgomery.tobytes(), single))
    finally:
        f._set_backend(before)
    assert all(x == outs[0] for x in outs)


def _jacobian_rows(group, aff_ints, zs):
    """Jacobian rows (x z^2, y z^3, z) of affine points for chosen z (Fq or Fq2 ints)."""
    from py_ecc.fields import optimized_bn128_FQ as FQ
    from py_ecc.fields import optimized_bn128_FQ2 as FQ2

    rows = []
    for (x, y), z in zip(aff_ints, zs, strict=True):
        if group == c.G1:
            fx, fy, fz = FQ(x), FQ(y), FQ(z)
            coords = [fx * fz**2, fy * fz**3, fz]
            flat = [int(v) for v in coords]
        else:
            fx, fy, fz = FQ2(list(x)), FQ2(list(y)), FQ2(list(z))
            coords = [fx * fz**2, fy * fz**3, fz]
            flat = [int(e) for v in coords for e in v.coeffs]
        mont = np.empty((len(flat), 4), dtype=np.uint64)
        f.to_mont(f.FQ, mont, _raw_limbs(flat))
        rows.append(mont.reshape(-1))
    return np.vstack(rows)


@pytest.mark.parametrize("group", [c.G1, c.G2], ids=["g1", "g2"])
def test_to_affine_inversion_edge_denominators(backend, group):
    """The variable-time inversion behind to_affine/mul on Z (G1) and on the norm of Z
    (G2): small, large, q - 1, powers of two, random; single rows (mul's direct path)
    and batches."""
    rng = random.Random(31)
    fq_edge = [1, 2, 3, Q - 1, Q - 2, (Q - 1) // 2, 1 << 64, (1 << 253) + 1, 1 << 200]
    fq_edge += [rng.randrange(1, Q) for _ in range(6)]
    if group == c.G1:
        zs = fq_edge
        base = [g1(o.multiply(o.G1, rng.randrange(1, R))) for _ in zs]
        cls = G1Array
    else:
        zs = [(z, 0) for z in fq_edge[:6]] + [(0, 1), (1, 1), (Q - 1, Q - 1)]
        zs += [(rng.randrange(Q), rng.randrange(Q)) for _ in range(4)]
        base = [g2(o.multiply(o.G2, rng.randrange(1, R)))] * len(zs)
        cls = G2Array
    jac = _jacobian_rows(group, base, zs)
    w = c.width(group)
    out = np.empty((len(zs), 2 * w), dtype=np.uint64)
    c.to_affine(group, out, jac)
    assert cls._wrap(out).to_ints() == base
    for i in range(len(zs)):  # one row at a time too
        one = np.empty((1, 2 * w), dtype=np.uint64)
        c.to_affine(group, one, np.ascontiguousarray(jac[i : i + 1]))
        assert cls._wrap(one).to_ints() == [base[i]]
    # Rejects twin: a row whose Z was changed no longer maps to its point.
    jac[0, 2 * w] ^= 1
    c.to_affine(group, out, jac)
    assert cls._wrap(out).to_ints()[0] != base[0]


@pytest.mark.parametrize("group, cls, pt", [(c.G1, G1Array, G1_INT), (c.G2, G2Array, G2_INT)])
def test_mul_ints_matches_mul(backend, group, cls, pt):
    """The array face's small-batch path (Python ints, no scalar array) against mul."""
    pts = cls.from_ints([pt, None, pt])
    ks = [R - 1, 5, (1 << 256) - 1]  # k >= r: G2 takes the plain wNAF, G1 reduces
    w = c.width(group)
    got = np.empty((3, 2 * w), dtype=np.uint64)
    c.mul_ints(group, got, pts.montgomery, ks)
    want = np.empty((3, 2 * w), dtype=np.uint64)
    c.mul(group, want, pts.montgomery, _raw_limbs(ks))
    assert np.array_equal(got, want)
    inplace = pts.montgomery.copy()
    c.mul_ints(group, inplace, inplace, ks)  # out may be points
    assert np.array_equal(inplace, want)
    # Rejects twins: wrong length, out-of-range and non-int scalars.
    with pytest.raises(ValueError, match="length mismatch"):
        c.mul_ints(group, got, pts.montgomery, ks[:2])
    with pytest.raises(OverflowError):
        c.mul_ints(group, got, pts.montgomery, [1, 2, 1 << 256])
    with pytest.raises(OverflowError):
        c.mul_ints(group, got, pts.montgomery, [1, 2, -1])
    with pytest.raises(TypeError):
        c.mul_ints(group, got, pts.montgomery, [1, 2, 3.0])


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


#: Scalars at the edges of the field and of a 128-bit split, shared by the
#: GLV (G1) and GLS (G2) edge lists below.
SCALAR_EDGE = [
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
]

GLV_EDGE = [
    *SCALAR_EDGE,
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
    ks = GLV_EDGE + _extreme_scalars(ENDO["lambda"], 2, 1 << 128)[:8]
    ks += [rng.randrange(1 << 256) for _ in range(8)]
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


# The G2 cofactor h = 2q - r: four distinct primes (E'(Fq2), of order r h, is cyclic).
H_PRIMES = [
    10069,
    5864401,
    1875725156269,
    197620364512881247228717050342013327560683201906968909,
]


def test_g2_subgroup_check_rejects_every_cofactor_prime_order(backend):
    """The fast check tests rho(Q) == O for an endomorphism rho of the cyclic group
    E'(Fq2) of squarefree order r h: its kernel is G2 exactly when no point of prime
    order l | h is in it, and one point of each order proves that (a subgroup of
    prime order meets the kernel in O or in itself)."""
    h = 2 * Q - R
    assert h == H_PRIMES[0] * H_PRIMES[1] * H_PRIMES[2] * H_PRIMES[3]
    assert all(pow(2, p - 1, p) == 1 for p in H_PRIMES) and h % R != 0
    raw = G2Array._from_coords(G2Array._flatten(_twist_points(1)[0]), False).montgomery
    torsion = np.empty((1, 16), dtype=np.uint64)
    c.mul(c.G2, torsion, raw, _raw_limbs([R]))  # [r]Q: order dividing h (k >= r: wNAF)
    for ell in H_PRIMES:
        t = np.empty((1, 16), dtype=np.uint64)
        # [h/l]T, as [h/l + h]T (hT = O) so that the scalar stays >= r: plain wNAF
        c.mul(c.G2, t, torsion, _raw_limbs([h // ell + h]))
        assert t.any(), ell  # order exactly l
        check = np.empty((1, 16), dtype=np.uint64)
        c.mul(c.G2, check, t, _raw_limbs([ell + h]))  # [l]T_l = O
        assert not check.any()
        assert c.check(c.G2, t, False) == (-1, 0)  # on the twist ...
        assert c.check(c.G2, t, True) == (0, 2), ell  # ... but rejected
        assert c.in_subgroup_by_order(c.G2, t) == [False]
    # Accepts twin: G2 points pass.
    gens = G2Array.from_ints([G2_INT] * 3).mul([1, 7, R - 1]).montgomery
    assert c.check(c.G2, gens, True) == (-1, 0)


# ---------------------------------------------------------------- GLS on G2 (psi = [6 x^2])


def _det(m):
    if len(m) == 1:
        return m[0][0]
    return sum(
        (-1) ** j * m[0][j] * _det([row[:j] + row[j + 1 :] for row in m[1:]]) for j in range(len(m))
    )


def _babai_constants(rows):
    """N = r * (first row of rows^-1) (integers when |det| = r) and the header's
    rounding constants G_j = floor(N_j 2^256 / r), recomputed from the basis."""
    d = _det(rows)
    n = len(rows)
    # first row of the inverse: adj[0][j] / det, adj[0][j] = (-1)^j * minor(j, 0)
    cof = [
        (-1) ** j * _det([row[:0] + row[1:] for k, row in enumerate(rows) if k != j])
        for j in range(n)
    ]
    assert all(x * R % d == 0 for x in cof)
    big_n = [x * R // d for x in cof]
    return big_n, [(v << 256) // R for v in big_n]


def test_glv_basis_table_matches_rounding_constants():
    rows = [list(row) for row in ENDO["glv_rows"]]
    (a1, b1), (a2, b2) = ENDO["glv_basis"]
    assert rows == [[a1, -b1], [a2, b2]]
    big_n, g = _babai_constants(rows)
    assert all(v > 0 for v in big_n)
    assert list(ENDO["glv_g"]) == g
    # Rejects twin: a perturbed row is no longer in the lattice.
    assert (a1 + 1 - b1 * ENDO["lambda"]) % R != 0


def test_gls_constants_match_derivation():
    lp = ENDO["six_x2"]
    assert lp == 6 * BN_X * BN_X % R
    # psi(G2) == [lambda_psi] G2 natively (psi itself is checked against py_ecc above),
    # and lambda_psi is a primitive 12th root of unity: psi^4 - psi^2 + 1 = 0 on G2.
    assert G2Array.from_ints([G2_INT]).mul([lp]).to_ints() == [g2(o.multiply(o.G2, lp))]
    assert (pow(lp, 4, R) - lp * lp + 1) % R == 0
    rows = [list(row) for row in ENDO["gls_basis"]]
    x = BN_X
    assert rows == [
        [2 * x + 1, 0, 2 * x, 1],
        [2 * x, x + 1, -x, x],
        [x + 1, x, x, -2 * x],
        [2 * x + 1, -x, -x - 1, -x],
    ]
    for row in rows:  # every row in the lattice {v: sum v_i lp^i = 0 mod r} ...
        assert sum(v * pow(lp, i, R) for i, v in enumerate(row)) % R == 0
    assert abs(_det(rows)) == R  # ... and a basis of it, not a sublattice
    assert max(abs(v) for row in rows for v in row) < 1 << 64
    big_n, g = _babai_constants(rows)
    assert all(v > 0 for v in big_n)  # the orientation bc_lattice_split_n requires
    assert list(ENDO["gls_g"]) == g
    # Rejects twin: a perturbed row is not in the lattice.
    bad = [rows[0][0] + 1] + rows[0][1:]
    assert sum(v * pow(lp, i, R) for i, v in enumerate(bad)) % R != 0


def _extreme_scalars(eigenvalue, dim, bound):
    """Scalars built from parts at the edge of the split's range: k = sum k_i l^i with
    k_i in {0, +-(bound - 1), +-bound / 2}; the split need not return these parts,
    but must stay within the bound on them."""
    rng = random.Random(dim)
    out = []
    for _ in range(40):
        parts = [rng.choice([0, bound - 1, 1 - bound, bound // 2, -bound // 2]) for _ in range(dim)]
        out.append(sum(p * pow(eigenvalue, i, R) for i, p in enumerate(parts)) % R)
    return out


GLS_EDGE = [
    *SCALAR_EDGE,
    1 << 64,
    (1 << 64) - 1,
    ENDO["six_x2"],
    ENDO["six_x2"] + 1,
    ENDO["six_x2"] - 1,
    R - ENDO["six_x2"],
    ENDO["six_x2"] ** 2 % R,
    ENDO["six_x2"] ** 3 % R,
    *(abs(v) for row in ENDO["gls_basis"] for v in row),
    *(abs(v) + 1 for row in ENDO["gls_basis"] for v in row),
    R // 2,
    R // 2 + 1,
    (R + 1) // 3,
    5 * R,
    5 * R + 7,
]


@pytest.mark.parametrize(
    "split, eigenvalue, edge, dim, bits, seed",
    [
        (c.glv_split, ENDO["lambda"], GLV_EDGE, 2, 128, 3),  # G1: phi = [lambda]
        (c.gls_split, ENDO["six_x2"], GLS_EDGE, 4, 66, 13),  # G2: psi = [6 x^2]
    ],
    ids=["glv", "gls"],
)
def test_endomorphism_split_identity_and_size(split, eigenvalue, edge, dim, bits, seed):
    rng = random.Random(seed)
    ks = (
        edge
        + _extreme_scalars(eigenvalue, dim, 1 << bits)
        + [rng.randrange(R) for _ in range(2000)]
        + [rng.randrange(1 << 256) for _ in range(500)]
    )
    for k in ks:
        parts = split(k)
        assert len(parts) == dim
        assert (sum(p * pow(eigenvalue, i, R) for i, p in enumerate(parts)) - k) % R == 0, k
        assert max(abs(p) for p in parts) < 1 << bits, (k, parts)
    with pytest.raises(ValueError):
        split(-1)
    with pytest.raises(ValueError):
        split(1 << 256)


def test_g2_mul_gls_matches_wnaf_and_py_ecc(backend):
    rng = random.Random(14)
    base = [rng.randrange(1, R) for _ in range(3)]
    pts = G2Array.from_ints([G2_INT] * 3).mul(base)
    ks = (
        [k % R for k in GLS_EDGE]
        + _extreme_scalars(ENDO["six_x2"], 4, 1 << 66)[:10]
        + [rng.randrange(R) for _ in range(10)]
    )
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
