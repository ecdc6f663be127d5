"""pytest-benchmark: BN254 Fr multiply, native paths against Python ints, gmpy2 and py_ecc.

Every benchmark call does N multiplies (one batch call natively, N calls for
the peers), so ops/s times N is multiplies per second::

    PYTHONPATH=src python -m pytest benchmarks/bench_field.py --benchmark-only \\
        --benchmark-group-by=group --benchmark-columns=min,median,ops

For one table of ratios, run ``benchmarks/field_throughput.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from py_ecc.fields.field_elements import FQ as PyEccFQ

from pouw._native import field as k
from pouw.zk.field import FrArray, R

N = 1 << 12  # multiplies per benchmark call
INV_N = 1 << 12  # elements per batch inverse

A, B = FrArray.random(N, rng=1), FrArray.random(N, rng=2)
XS, YS = A.to_ints(), B.to_ints()


class PyEccFr(PyEccFQ):
    field_modulus = R


@pytest.fixture(params=k.backends())
def backend(request):
    before = k.backend()
    k._set_backend(request.param)
    yield request.param
    k._set_backend(before)


@pytest.mark.benchmark(group="fr-mul")
def test_native_mul(benchmark, backend):
    out = np.empty_like(A.montgomery)
    benchmark(k.mul, k.FR, out, A.montgomery, B.montgomery)


@pytest.mark.benchmark(group="fr-mul")
def test_frarray_mul(benchmark):
    benchmark(A.__mul__, B)


@pytest.mark.benchmark(group="fr-mul")
def test_python_int_mul(benchmark):
    benchmark(lambda: [x * y % R for x, y in zip(XS, YS, strict=True)])


@pytest.mark.benchmark(group="fr-mul")
def test_gmpy2_mul(benchmark):
    gmpy2 = pytest.importorskip("gmpy2")
    gx, gy, gr = [gmpy2.mpz(x) for x in XS], [gmpy2.mpz(y) for y in YS], gmpy2.mpz(R)
    benchmark(lambda: [x * y % gr for x, y in zip(gx, gy, strict=True)])


@pytest.mark.benchmark(group="fr-mul")
def test_py_ecc_mul(benchmark):
    px, py = [PyEccFr(x) for x in XS], [PyEccFr(y) for y in YS]
    benchmark(lambda: [x * y for x, y in zip(px, py, strict=True)])


@pytest.mark.benchmark(group="fr-inv")
def test_native_batch_inverse(benchmark, backend):
    benchmark(A[:INV_N].inv)


@pytest.mark.benchmark(group="fr-inv")
def test_python_int_inverse(benchmark):
    benchmark(lambda: [pow(x, -1, R) for x in XS[:INV_N]])
