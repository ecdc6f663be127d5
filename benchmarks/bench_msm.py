"""G1/G2 multi-scalar multiplication: pouw (plain and fixed-base) vs MCL's mulVec, one group per size.

    PYTHONPATH=src python -m pytest benchmarks/bench_msm.py --benchmark-only

MCL (mclbn256 1.3.5, re-initialised on alt_bn128 through its C library) gets
the same points and scalars; see msm_throughput.py for the µs-per-point table
at 2^10..2^20 (G2: 2^10, 2^12, 2^14, 2^16) and the reproduce command.
"""

from __future__ import annotations

import pytest

from mcl_peer import Mcl
from msm_throughput import distinct_points
from pouw.zk.curve import G1_GENERATOR, G2_GENERATOR, G1Array, G2Array
from pouw.zk.field import FrArray
from pouw.zk.msm import G1MSMContext, g1_msm, g2_msm

G1_LOG_SIZES = (10, 16)
G2_LOG_SIZES = (10, 14)
THREADS = (1, None)


@pytest.fixture(scope="module")
def mcl():
    return Mcl()


_CACHE: dict = {}


def inputs(g2, lg):
    key = (g2, lg)
    if key not in _CACHE:
        cls, gen = (G2Array, G2_GENERATOR) if g2 else (G1Array, G1_GENERATOR)
        _CACHE[key] = (distinct_points(cls, gen, 1 << lg, lg), FrArray.random(1 << lg, lg))
    return _CACHE[key]


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("lg", G1_LOG_SIZES)
def test_pouw_g1_msm(benchmark, lg, threads):
    benchmark.group = f"G1 MSM 2^{lg}"
    pts, sc = inputs(False, lg)
    benchmark(g1_msm, pts, sc, threads)


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("lg", G1_LOG_SIZES)
def test_pouw_g1_fixed_base_msm(benchmark, lg, threads):
    benchmark.group = f"G1 MSM 2^{lg}"
    pts, sc = inputs(False, lg)
    if ("ctx", lg) not in _CACHE:
        _CACHE["ctx", lg] = G1MSMContext(pts)
    ctx = _CACHE["ctx", lg]
    benchmark(ctx.msm, sc, threads)


@pytest.mark.parametrize("lg", G1_LOG_SIZES)
def test_mcl_g1_mul_vec(benchmark, mcl, lg):
    benchmark.group = f"G1 MSM 2^{lg}"
    pts, sc = inputs(False, lg)
    m_pts, m_ks = mcl.points(pts.to_ints(), False), mcl.scalars(sc.to_ints())
    got = benchmark(mcl.mul_vec, m_pts, m_ks, False)
    assert mcl.to_tuple(got, False) == g1_msm(pts, sc)


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("lg", G2_LOG_SIZES)
def test_pouw_g2_msm(benchmark, lg, threads):
    benchmark.group = f"G2 MSM 2^{lg}"
    pts, sc = inputs(True, lg)
    benchmark(g2_msm, pts, sc, threads)


@pytest.mark.parametrize("lg", G2_LOG_SIZES)
def test_mcl_g2_mul_vec(benchmark, mcl, lg):
    benchmark.group = f"G2 MSM 2^{lg}"
    pts, sc = inputs(True, lg)
    m_pts, m_ks = mcl.points(pts.to_ints(), True), mcl.scalars(sc.to_ints())
    got = benchmark(mcl.mul_vec, m_pts, m_ks, True)
    assert mcl.to_tuple(got, True) == g2_msm(pts, sc)
