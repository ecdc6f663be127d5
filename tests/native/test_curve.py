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
