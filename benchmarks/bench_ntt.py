"""pytest-benchmark: the BN254 Fr NTT, per backend, size and thread count::

    PYTHONPATH=src python -m pytest benchmarks/bench_ntt.py --benchmark-only \\
        --benchmark-group-by=group --benchmark-columns=min,median,ops

For the figures against the FFT-size estimate, run ``benchmarks/ntt_throughput.py``.
"""

from __future__ import annotations

import os

import pytest

from pouw._native import field as fk
from pouw.zk.field import FrArray
from pouw.zk.ntt import Domain, coset_ntt_inplace, intt_inplace, ntt_inplace

CORES = os.cpu_count() or 1
BACKENDS = sorted({"portable", fk.backend()}, key=fk.backends().index)


@pytest.fixture(params=BACKENDS)
def backend(request):
    before = fk.backend()
    fk._set_backend(request.param)
    yield request.param
    fk._set_backend(before)


@pytest.fixture(params=sorted({1, CORES}), ids=lambda t: f"threads={t}")
def threads(request):
    return request.param


@pytest.mark.parametrize("log", [16, 20])
def test_ntt(benchmark, backend, threads, log):
    benchmark.group = f"ntt-2^{log}"
    x = FrArray.random(1 << log, rng=log)
    Domain(1 << log)  # twiddles outside the timing
    benchmark(ntt_inplace, x, threads=threads)


@pytest.mark.benchmark(group="ntt-2^16-variants")
def test_intt(benchmark):
    x = FrArray.random(1 << 16, rng=1)
    benchmark(intt_inplace, x)


@pytest.mark.benchmark(group="ntt-2^16-variants")
def test_coset_ntt(benchmark):
    x = FrArray.random(1 << 16, rng=1)
    benchmark(coset_ntt_inplace, x, 7)
