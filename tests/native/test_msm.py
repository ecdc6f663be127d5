"""MSM (pouw._native.msm, pouw.zk.msm) against a naive sum and py_ecc.optimized_bn128."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc import optimized_bn128 as o

from pouw._native import field as f
from pouw._native import msm as m
from pouw.zk.curve import G1_GENERATOR, G2_GENERATOR, G1Array, G2Array
from pouw.zk.field import FrArray
from pouw.zk.msm import G1MSMContext, G2MSMContext, g1_msm, g2_msm, msm_window

R = o.curve_order
SIZES = [0, 1, 2, 3, 17, 255, 1024, 4096]


@pytest.fixture(params=f.backends())
def backend(request):
    before = f.backend()
    f._set_backend(request.param)
    yield request.param
    f._set_backend(before)


def random_points(cls, n, seed, gen):
    rng = random.Random(seed)
    return cls.from_ints([gen] * n).mul([rng.randrange(1, R) for _ in range(n)])


def naive(cls, points, ks):
    """sum [k_i] P_i with the curve module's own batch mul and add (a pairwise tree)."""
    if len(points) == 0:
        return None
    acc = points.mul([k % R for k in ks])._limbs
    while acc.shape[0] > 1:
        if acc.shape[0] % 2:
            acc = np.vstack([acc, np.zeros((1, acc.shape[1]), dtype=np.uint64)])
        a = cls._wrap(np.ascontiguousarray(acc[0::2]))
        b = cls._wrap(np.ascontiguousarray(acc[1::2]))
        acc = (a + b)._limbs
    return cls._wrap(acc).to_ints()[0]


def g1(pt):
    if o.is_inf(pt):
        return None
    x, y = o.normalize(pt)
    return (int(x), int(y))


def g2(pt):
    if o.is_inf(pt):
        return None
    x, y = o.normalize(pt)
    return ((int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1])))


def ecc_msm(base, mults, ks, fmt):
    """py_ecc: points [mults[i]] base, sum [k_i] of them."""
    acc = None
    for a, k in zip(mults, ks, strict=True):
        term = o.multiply(base, a * k % R)
        acc = term if acc is None else o.add(acc, term)
    return None if acc is None else fmt(acc)


# ---------------------------------------------------------------- against references


@pytest.mark.parametrize("n", SIZES)
def test_g1_msm_matches_naive_sum(n):
    pts = random_points(G1Array, n, n, G1_GENERATOR)
    sc = FrArray.random(n, n + 1)
    want = naive(G1Array, pts, sc.to_ints())
    assert g1_msm(pts, sc) == want
    assert g1_msm(pts, sc.to_ints(), threads=1) == want


@pytest.mark.parametrize("n", [0, 1, 2, 3, 17, 255, 1100])
def test_g2_msm_matches_naive_sum(n):
    pts = random_points(G2Array, n, n, G2_GENERATOR)
    sc = FrArray.random(n, n + 2)
    assert g2_msm(pts, sc) == naive(G2Array, pts, sc.to_ints())


def test_g1_msm_matches_py_ecc(backend):
    mults, ks = [3, 5, 7, 5], [11, R - 1, 2**200 + 9, 0]
    pts = [g1(o.multiply(o.G1, a)) for a in mults]
    assert g1_msm(pts, ks) == ecc_msm(o.G1, mults, ks, g1)


def test_g2_msm_matches_py_ecc(backend):
    mults, ks = [2, 9], [R - 3, 2**128 + 1]
    pts = [g2(o.multiply(o.G2, a)) for a in mults]
    assert g2_msm(pts, ks) == ecc_msm(o.G2, mults, ks, g2)


# ---------------------------------------------------------------- edge inputs


def test_empty_and_single():
    assert g1_msm([], []) is None
    assert g2_msm(G2Array.infinity(0), FrArray.zeros(0)) is None
    assert g1_msm([G1_GENERATOR], [1]) == G1_GENERATOR
    assert g1_msm([G1_GENERATOR], [2]) == g1(o.double(o.G1))
    assert g2_msm([G2_GENERATOR], [1]) == G2_GENERATOR


def test_zero_scalars_and_infinity_points():
    pts = random_points(G1Array, 40, 3, G1_GENERATOR)
    assert g1_msm(pts, [0] * 40) is None
    assert g1_msm(G1Array.infinity(40), list(range(1, 41))) is None
    mixed = pts.to_ints()
    ks = [random.Random(4).randrange(R) for _ in mixed]
    want = naive(G1Array, pts, [0 if i % 3 == 0 else k for i, k in enumerate(ks)])
    mixed = [None if i % 3 == 0 else p for i, p in enumerate(mixed)]
    assert g1_msm(mixed, ks) == want


def test_scalars_reduced_mod_r_and_negative():
    pts = random_points(G1Array, 20, 5, G1_GENERATOR)
    ks = [random.Random(6).randrange(R) for _ in range(20)]
    want = g1_msm(pts, ks)
    assert g1_msm(pts, [k + R for k in ks]) == want
    assert g1_msm(pts, [k + 7 * R + (1 << 300) * R for k in ks]) == want
    assert g1_msm(pts, [k - R for k in ks]) == want
    neg = g1_msm(pts, [-k for k in ks])
    assert neg == (want[0], o.field_modulus - want[1])
    assert g1_msm(pts, [R] * 20) is None


@pytest.mark.parametrize("n", [2, 64, 3000])
def test_duplicate_points_and_scalars(n):
    """P + P, P + (-P) and many additions into one bucket (the affine batch's conflicts)."""
    p = g1(o.multiply(o.G1, 77))
    negp = (p[0], o.field_modulus - p[1])
    assert g1_msm([p] * n, [5] * n) == g1(o.multiply(o.G1, 77 * 5 * n % R))
    assert g1_msm([p, negp] * (n // 2), [9] * (n // 2 * 2)) is None
    pts = [p, negp, p] * n
    ks = [3, 3, 1] * n
    assert g1_msm(pts, ks) == g1(o.multiply(o.G1, 77 * n % R))


def test_g2_duplicates():
    q = g2(o.multiply(o.G2, 3))
    assert g2_msm([q] * 300, [R - 1] * 300) == g2(o.multiply(o.G2, 3 * 300 * (R - 1) % R))


# ---------------------------------------------------------------- settings agree


def test_threads_windows_and_modes_agree():
    n = 1500
    pts = random_points(G1Array, n, 8, G1_GENERATOR)
    sc = FrArray.random(n, 9)
    out = np.empty((1, 8), dtype=np.uint64)
    results = set()
    for threads in (1, 2, 3, 7):
        for window in (0, 1, 5, 11, m.MAX_WINDOW):
            for mode in (m.AFFINE, m.JACOBIAN):
                m.msm(m.G1, out, pts._limbs, sc._limbs, True, window, mode, threads)
                results.add(out.tobytes())
    assert len(results) == 1
    assert g1_msm(pts, sc, threads=None) == g1_msm(pts, sc, threads=1) == g1_msm(pts, sc, threads=2)


def test_backends_agree_bit_for_bit():
    pts1 = random_points(G1Array, 700, 10, G1_GENERATOR)
    pts2 = random_points(G2Array, 60, 11, G2_GENERATOR)
    sc1, sc2 = FrArray.random(700, 12), FrArray.random(60, 13)
    before = f.backend()
    got = []
    try:
        for be in f.backends():
            f._set_backend(be)
            got.append((g1_msm(pts1, sc1), g2_msm(pts2, sc2), G1MSMContext(pts1).msm(sc1)))
    finally:
        f._set_backend(before)
    assert all(g == got[0] for g in got)


def test_window_choice():
    assert [msm_window(1 << k) for k in (10, 16, 20)] == [8, 13, 15]
    assert [msm_window(1 << k, 2) for k in (10, 14, 20)] == [10, 11, 15]
    assert m.windows(13) == 20


# ---------------------------------------------------------------- fixed bases


@pytest.mark.parametrize("n", [0, 1, 3, 255, 2048])
def test_g1_context_equals_plain(n):
    pts = random_points(G1Array, n, 20 + n, G1_GENERATOR)
    ctx = G1MSMContext(pts)
    assert len(ctx) == n
    for seed in (1, 2):
        sc = FrArray.random(n, seed)
        want = g1_msm(pts, sc)
        assert ctx.msm(sc) == want
        assert ctx.msm(sc.to_ints(), threads=1) == want
    small = G1MSMContext(pts, window=4, threads=3)
    sc = FrArray.random(n, 3)
    assert small.msm(sc, threads=2) == g1_msm(pts, sc)


def test_g2_context_equals_plain():
    pts = random_points(G2Array, 50, 30, G2_GENERATOR)
    pts_list = pts.to_ints()
    pts_list[7] = None
    ctx = G2MSMContext(pts_list, window=6)
    ks = [random.Random(31).randrange(-R, 2 * R) for _ in range(50)]
    assert ctx.msm(ks) == g2_msm(pts_list, ks)


def test_context_rejects():
    ctx = G1MSMContext(random_points(G1Array, 5, 1, G1_GENERATOR))
    with pytest.raises(ValueError, match="length mismatch"):
        ctx.msm([1, 2, 3])
    with pytest.raises(ValueError, match="window"):
        G1MSMContext([G1_GENERATOR], window=16)
    with pytest.raises(ValueError, match="threads"):
        ctx.msm([1] * 5, threads=0)
    with pytest.raises(ValueError, match="max_table_bytes"):
        G1MSMContext([G1_GENERATOR] * 4, max_table_bytes=1000)
    assert G1MSMContext([G1_GENERATOR] * 4, max_table_bytes=4 * 64 * m.windows(6)).window == 6


# ---------------------------------------------------------------- hypothesis


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 50), st.integers(-(2**260), 2**260)),
        min_size=0,
        max_size=12,
    ),
    st.integers(1, 3),
)
def test_msm_property_small(terms, threads):
    """Points [a]G (a = 0: infinity), any scalars: MSM == naive sum of the scalar products."""
    pts = [None if a == 0 else g1(o.multiply(o.G1, a)) for a, _ in terms]
    ks = [k for _, k in terms]
    want = naive(G1Array, G1Array.from_ints(pts), ks)
    assert g1_msm(pts, ks, threads=threads) == want
    assert G1MSMContext(pts, window=3).msm(ks) == want


# ---------------------------------------------------------------- the C boundary


def test_c_boundary_rejects():
    pts = random_points(G1Array, 4, 1, G1_GENERATOR)._limbs
    sc = FrArray.random(4, 1)._limbs
    out = np.empty((1, 8), dtype=np.uint64)
    with pytest.raises(TypeError, match="dtype"):
        m.msm(m.G1, out, pts.astype(np.int64), sc, True)
    with pytest.raises(TypeError, match="numpy"):
        m.msm(m.G1, out, pts.tolist(), sc, True)
    with pytest.raises(ValueError, match="shape"):
        m.msm(m.G1, out, pts.reshape(8, 4), sc, True)
    with pytest.raises(ValueError, match="shape"):
        m.msm(m.G2, out, pts, sc, True)
    with pytest.raises(ValueError, match="contiguous"):
        m.msm(m.G1, out, np.asfortranarray(pts), sc, True)
    with pytest.raises(ValueError, match="length mismatch"):
        m.msm(m.G1, out, pts, sc[:3], True)
    with pytest.raises(ValueError, match="out"):
        m.msm(m.G1, np.empty((2, 8), dtype=np.uint64), pts, sc, True)
    ro = out.copy()
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        m.msm(m.G1, ro, pts, sc, True)
    with pytest.raises(ValueError, match="window"):
        m.msm(m.G1, out, pts, sc, True, window=16)
    with pytest.raises(ValueError, match="mode"):
        m.msm(m.G1, out, pts, sc, True, mode=5)
    with pytest.raises(ValueError, match="threads"):
        m.msm(m.G1, out, pts, sc, True, threads=0)
    with pytest.raises(ValueError, match="group"):
        m.msm(3, out, pts, sc, True)
    with pytest.raises(ValueError, match="rows"):
        m.fixed_base_table(m.G1, np.empty((5, 8), dtype=np.uint64), pts, 4)
    with pytest.raises(ValueError, match="length mismatch"):
        m.fixed_base_msm(
            m.G1, out, np.empty((4 * m.windows(4), 8), dtype=np.uint64), sc[:2], True, 4
        )


def test_python_face_rejects():
    with pytest.raises(ValueError, match="length mismatch"):
        g1_msm([G1_GENERATOR, G1_GENERATOR], [1])
    with pytest.raises(TypeError):
        g1_msm([G1_GENERATOR], 5)
    with pytest.raises(TypeError):
        g1_msm([G1_GENERATOR], ["1"])
    with pytest.raises(TypeError):
        g1_msm(G2Array.infinity(1), [1])
    with pytest.raises(ValueError, match="threads"):
        g1_msm([G1_GENERATOR], [1], threads=-1)
    from pouw.errors import CurveError

    with pytest.raises(CurveError):
        g1_msm([(1, 3)], [1])


# ---------------------------------------------------------------- GLV (G1 MSMs split each scalar)


def test_g1_msm_glv_edge_scalars_match_py_ecc(backend):
    from pouw._native import curve as c

    e = c.endomorphism_constants()
    lam = e["lambda"]
    (a1, b1), (a2, b2) = e["glv_basis"]
    ks = [
        0,
        1,
        2,
        R - 1,
        R - 2,
        lam,
        lam + 1,
        R - lam,
        lam * lam % R,
        a1,
        b1,
        a2,
        b2,
        R - a1,
        R - b2,
        1 << 127,
        (1 << 128) - 1,
        1 << 128,
        R // 2,
        (R + 1) // 3,
        2**200 + 9,
    ]
    mults = [3 + 2 * i for i in range(len(ks))]
    pts = [g1(o.multiply(o.G1, a)) for a in mults]
    want = ecc_msm(o.G1, mults, ks, g1)
    assert g1_msm(pts, ks) == want
    for window in (1, 4, 9):
        for mode in (m.AFFINE, m.JACOBIAN):
            for threads in (1, 3):
                out = np.empty((1, 8), dtype=np.uint64)
                m.msm(
                    1,
                    out,
                    G1Array.from_ints(pts).montgomery,
                    np.array(
                        [[(k >> (64 * i)) & (2**64 - 1) for i in range(4)] for k in ks],
                        dtype=np.uint64,
                    ),
                    False,
                    window,
                    mode,
                    threads,
                )
                assert G1Array._wrap(out).to_ints()[0] == want


def test_g1_msm_glv_cancellation_and_phi_pairs():
    """Terms that cancel through the endomorphism: [lam]P + [-1](phi(P)) = O, and a point
    next to its own phi image (both halves of a split landing in shared buckets)."""
    from pouw._native import curve as c

    e = c.endomorphism_constants()
    beta, lam = e["beta"], e["lambda"]
    q = o.field_modulus
    p = g1(o.multiply(o.G1, 12345))
    phi_p = (beta * p[0] % q, p[1])
    assert g1_msm([p, phi_p], [lam, R - 1]) is None
    assert g1_msm([p, phi_p, p], [1, 1, lam]) == g1(o.multiply(o.G1, 12345 * (1 + 2 * lam) % R))
    assert g1_msm([p, None, phi_p], [R - lam, 5, lam * lam % R]) == g1(
        o.multiply(o.G1, 12345 * ((R - lam) + lam**3) % R)
    )


def test_glv_window_choice_and_cutoff():
    # G1 runs GLV (2n points, 128-bit scalars) below GLV_MAX_N, 254-bit windows from there on.
    assert m.GLV_MAX_N == 1 << 18
    assert [msm_window(1 << k) for k in (10, 12, 14, 16, 17)] == [8, 10, 12, 13, 13]
    assert [msm_window(1 << k) for k in (18, 20)] == [15, 15]


@pytest.mark.parametrize(
    ("group", "cls", "generator", "cutoff"),
    [
        (m.G1, G1Array, G1_GENERATOR, m.GLV_MAX_N),
        (m.G2, G2Array, G2_GENERATOR, m.GLS_MAX_N),
    ],
    ids=["g1-glv", "g2-gls"],
)
def test_msm_at_the_endomorphism_cutoff(group, cls, generator, cutoff):
    # n = cutoff takes the 254-bit path, n - 1 the GLV/GLS one; both must agree.
    from pouw.zk.field import R as FR_R

    g = cls.from_ints([generator])._limbs
    pts = np.ascontiguousarray(np.broadcast_to(g[0], (cutoff, g.shape[1])))
    sc = FrArray.random(cutoff, 5)
    ks = sc.to_ints()
    for size in (cutoff, cutoff - 1):
        out = np.zeros((1, g.shape[1]), dtype=np.uint64)
        m.msm(group, out, pts[:size], sc._limbs[:size], True, 0, m.AFFINE, 2)
        want = cls.from_ints([generator]).mul([sum(ks[:size]) % FR_R])
        assert np.array_equal(out, want._limbs)


# ---------------------------------------------------------------- GLS (G2 MSMs split each scalar 4 ways)


def _plain_rows(ks):
    return np.array(
        [[(k >> (64 * i)) & (2**64 - 1) for i in range(4)] for k in ks], dtype=np.uint64
    )


def test_g2_msm_gls_edge_scalars_match_py_ecc(backend):
    from pouw._native import curve as c

    e = c.endomorphism_constants()
    lam = e["six_x2"]
    x = 4965661367192848881
    ks = [0, 1, 2, R - 1, lam, lam + 1, R - lam, lam * lam % R, lam**3 % R, x, 2 * x + 1]
    ks += [(1 << 64) - 1, 1 << 64, (1 << 65) - 1, 1 << 65, 1 << 66, R // 2, (R + 1) // 3]
    mults = [3 + 2 * i for i in range(len(ks))]
    pts = [g2(o.multiply(o.G2, a)) for a in mults]
    want = ecc_msm(o.G2, mults, ks, g2)
    assert g2_msm(pts, ks) == want
    limbs = G2Array.from_ints(pts).montgomery
    out = np.empty((1, 16), dtype=np.uint64)
    for window in (1, 4, 9, 14):
        for mode in (m.AFFINE, m.JACOBIAN):
            for threads in (1, 2, 3):
                m.msm(m.G2, out, limbs, _plain_rows(ks), False, window, mode, threads)
                assert G2Array._wrap(out).to_ints()[0] == want


def test_g2_msm_gls_cancellation_through_psi():
    """[lam]P - psi(P) = O: the parts of two scalars cancel across the psi^j rows."""
    from pouw._native import curve as c

    lam = c.endomorphism_constants()["six_x2"]
    p = g2(o.multiply(o.G2, 4321))
    psi_p = g2(o.multiply(o.G2, 4321 * lam % R))  # psi acts as [6 x^2] on G2
    assert g2_msm([p, psi_p], [lam, R - 1]) is None
    assert g2_msm([p, psi_p, None], [lam, 1, 7]) == g2(o.multiply(o.G2, 4321 * 2 * lam % R))


def test_g2_msm_rejects_twist_points_outside_g2():
    # GLS needs psi = [6 x^2], true on G2 only: the face refuses other twist points.
    from pouw.errors import CurveError
    from pouw.zk.curve_encoding import _f2_sqrt

    q, b2 = o.field_modulus, G2Array._b
    for x0 in range(1, 100):  # (x0 + u, y) on the twist, not multiplied by the cofactor
        x3 = ((x0**3 - 3 * x0) % q, (3 * x0 * x0 - 1) % q)  # (x0 + u)^3
        y = _f2_sqrt(((x3[0] + b2[0]) % q, (x3[1] + b2[1]) % q))
        if y is not None:
            break
    assert y is not None
    with pytest.raises(CurveError):
        g2_msm([((x0, 1), y)], [1])
    assert g2_msm([G2_GENERATOR], [1]) == G2_GENERATOR


@pytest.mark.parametrize("n", [3000])
def test_g2_hot_buckets(n):
    """Every point in one bucket per window (equal scalars): retries go to the Jacobian overflow."""
    q = g2(o.multiply(o.G2, 5))
    assert g2_msm([q] * n, [7] * n, threads=1) == g2(o.multiply(o.G2, 5 * 7 * n % R))
    assert g2_msm([q] * n, [R - 7] * n, threads=2) == g2(o.multiply(o.G2, 5 * (R - 7) * n % R))


def test_g2_threads_windows_and_modes_agree():
    n = 900
    pts = random_points(G2Array, n, 30, G2_GENERATOR)
    sc = FrArray.random(n, 31)
    out = np.empty((1, 16), dtype=np.uint64)
    results = set()
    for threads in (1, 2, 3, 5):
        for window in (0, 2, 7, 10, 11, 14, m.MAX_WINDOW):
            for mode in (m.AFFINE, m.JACOBIAN):
                m.msm(m.G2, out, pts._limbs, sc._limbs, True, window, mode, threads)
                results.add(out.tobytes())
    assert len(results) == 1
    assert G2Array._wrap(out).to_ints()[0] == naive(G2Array, pts, sc.to_ints())


def test_gls_window_choice_and_cutoff():
    # G2 runs GLS (4n points, ~65-bit scalars) below GLS_MAX_N, 254-bit windows from there on.
    assert m.GLS_MAX_N == 1 << 17
    assert [msm_window(1 << k, 2) for k in (10, 12, 14, 16)] == [10, 11, 11, 14]
    assert [msm_window(1 << k, 2) for k in (17, 18)] == [14, 15]
    # on 2 threads 2^10 takes 8 windows of 9 bits (4 whole windows per thread) over 7 of 10
    assert [msm_window(1 << 10, 2, t) for t in (1, 2)] == [10, 9]
    assert msm_window(1 << 10, 1, 2) == msm_window(1 << 10, 1, 1)


def test_window_choice_rejects_bad_threads():
    with pytest.raises(ValueError, match="threads"):
        msm_window(1 << 10, 2, 0)
    with pytest.raises(ValueError, match="threads"):
        m.pick_window(1 << 10, m.G2, 0)
