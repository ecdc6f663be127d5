"""pytest-benchmark: BN254 G1/G2 scalar multiplication and batch-to-affine, native against
MCL (C API via ctypes, alt_bn128, ``mclBnG1_mul``/``mclBnG2_mul``) and py_ecc, in one run.

    PYTHONPATH=src python -m pytest benchmarks/bench_curve.py --benchmark-only \\
        --benchmark-group-by=group --benchmark-columns=min,median,ops

The ``tuple`` rows are ``g1_mul``/``g2_mul`` on py_ecc-style ints (the point is
validated first: for G2 that includes the subgroup check); the ``array`` rows are
``G1Array.mul``/``G2Array.mul`` on an already validated one-point array; MCL's
and py_ecc's multiplies validate nothing.
"""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path

import numpy as np
import pytest
from py_ecc import optimized_bn128 as o

from pouw._native import curve as c
from pouw.zk.curve import G1_GENERATOR, G2_GENERATOR, G1Array, G2Array, g1_mul, g2_mul

sys.path.insert(0, str(Path(__file__).parent))
from mcl_peer import Mcl  # noqa: E402

K = 0x1F2E3D4C5B6A79881F2E3D4C5B6A79881F2E3D4C5B6A79881F2E3D4C5B6A7988 % o.curve_order
BATCH = 1 << 10  # points per batch-to-affine call

P1 = G1Array.from_ints([G1_GENERATOR])
P2 = G2Array.from_ints([G2_GENERATOR])
JAC = np.empty((BATCH, 12), dtype=np.uint64)
c.mul_jacobian(
    c.G1,
    JAC,
    np.repeat(P1.montgomery, BATCH, axis=0),
    np.arange(4 * BATCH, dtype=np.uint64).reshape(-1, 4) + 1,
)


@pytest.fixture(scope="module")
def mcl():
    return Mcl()


def _mcl_mul(mcl, g2):
    """One MCL scalar multiplication of the generator by K, checked against ours."""
    pt = mcl.g2(G2_GENERATOR) if g2 else mcl.g1(G1_GENERATOR)
    out = (mcl.G2 if g2 else mcl.G1)()
    k = mcl.scalars([K])
    fn = mcl.lib.mclBnG2_mul if g2 else mcl.lib.mclBnG1_mul
    args = (ctypes.byref(out), ctypes.byref(pt), ctypes.byref(k[0]))
    fn(*args)
    want = g2_mul(G2_GENERATOR, K) if g2 else g1_mul(G1_GENERATOR, K)
    assert mcl.to_tuple(out, g2) == want
    return fn, args


@pytest.mark.benchmark(group="g1-mul")
def test_native_g1_mul_array(benchmark):
    benchmark(P1.mul, [K])


@pytest.mark.benchmark(group="g1-mul")
def test_native_g1_mul_tuple(benchmark):
    benchmark(g1_mul, G1_GENERATOR, K)


@pytest.mark.benchmark(group="g1-mul")
def test_mcl_g1_mul(benchmark, mcl):
    fn, args = _mcl_mul(mcl, False)
    benchmark(fn, *args)


@pytest.mark.benchmark(group="g1-mul")
def test_py_ecc_g1_mul(benchmark):
    benchmark(o.multiply, o.G1, K)


@pytest.mark.benchmark(group="g2-mul")
def test_native_g2_mul_array(benchmark):
    benchmark(P2.mul, [K])


@pytest.mark.benchmark(group="g2-mul")
def test_native_g2_mul_tuple(benchmark):
    benchmark(g2_mul, G2_GENERATOR, K)


@pytest.mark.benchmark(group="g2-mul")
def test_mcl_g2_mul(benchmark, mcl):
    fn, args = _mcl_mul(mcl, True)
    benchmark(fn, *args)


@pytest.mark.benchmark(group="g2-mul")
def test_py_ecc_g2_mul(benchmark):
    benchmark.pedantic(o.multiply, (o.G2, K), rounds=5)


@pytest.mark.benchmark(group="g1-to-affine")
def test_native_g1_batch_to_affine(benchmark):
    out = np.empty((BATCH, 8), dtype=np.uint64)
    benchmark(c.to_affine, c.G1, out, JAC)
