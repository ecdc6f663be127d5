"""pouw.zk.ntt and pouw._native.ntt (csrc/bn254_ntt.h) against a naive DFT on Python ints.

Every multiply backend this CPU runs is forced in turn; the backends and the
thread counts must agree bit for bit.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pouw._native import field as fk
from pouw._native import ntt as k
from pouw.zk.field import Fq, FqArray, Fr, FrArray
from pouw.zk.ntt import (
    Domain,
    coset_intt,
    coset_intt_inplace,
    coset_ntt,
    coset_ntt_inplace,
    intt,
    intt_inplace,
    ntt,
    ntt_inplace,
    root_of_unity,
)

R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
BACKENDS = fk.backends()
SMALL = [1, 2, 4, 8, 16, 64, 256]


@pytest.fixture(params=BACKENDS)
def backend(request):
    before = fk.backend()
    fk._set_backend(request.param)
    yield request.param
    fk._set_backend(before)


def naive_eval(coeffs: list[int], points: list[int]) -> list[int]:
    out = []
    for x in points:
        acc = 0
        for c in reversed(coeffs):
            acc = (acc * x + c) % R
        out.append(acc)
    return out


def domain_points(n: int, shift: int = 1) -> list[int]:
    w = root_of_unity(n)
    return [shift * pow(w, i, R) % R for i in range(n)]


# ---------------------------------------------------------------- the roots


def test_root_of_unity_from_python_ints():
    t = (R - 1) >> 28
    assert (R - 1) % (1 << 28) == 0 and t % 2 == 1  # two-adicity exactly 28
    w = pow(5, t, R)
    assert pow(w, 1 << 27, R) == R - 1  # primitive: w^(2^27) = -1
    assert pow(w, 1 << 28, R) == 1
    assert root_of_unity(1 << 28) == w == k.ROOT_OF_UNITY
    for log in range(29):
        wn = root_of_unity(1 << log)
        assert wn == pow(w, 1 << (28 - log), R)
        assert pow(wn, 1 << log, R) == 1
        assert log == 0 or pow(wn, 1 << (log - 1), R) == R - 1


def test_domain_constants():
    d = Domain(1024)
    assert (d.size, d.log_size) == (1024, 10)
    assert d.omega == root_of_unity(1024)
    assert d.omega * d.omega_inv % R == 1 and d.size * d.size_inv % R == 1
    assert d.elements().to_ints() == domain_points(16 * 64)
    with pytest.raises(ValueError, match="power of two"):
        Domain(12)
    with pytest.raises(ValueError, match="at most 2"):
        root_of_unity(1 << 29)


# ---------------------------------------------------------------- against the naive DFT


@pytest.mark.parametrize("n", SMALL)
def test_ntt_matches_naive_dft(backend, n):
    x = FrArray.random(n, rng=n)
    coeffs = x.to_ints()
    y = ntt(x, threads=1)
    assert y.to_ints() == naive_eval(coeffs, domain_points(n))
    assert x.to_ints() == coeffs  # a new array; the input is untouched
    assert intt(y).to_ints() == coeffs


@pytest.mark.parametrize("n", SMALL)
def test_coset_ntt_matches_naive(backend, n):
    g = 7
    x = FrArray.random(n, rng=100 + n)
    y = coset_ntt(x, g)
    assert y.to_ints() == naive_eval(x.to_ints(), domain_points(n, g))
    assert coset_intt(y, Fr(g)) == x


def test_edge_values(backend):
    n = 16
    for vals in ([0] * n, [1] * n, [R - 1] * n, [1] + [0] * (n - 1), list(range(n))):
        x = FrArray.from_ints(vals)
        assert ntt(x).to_ints() == naive_eval(vals, domain_points(n))
    assert ntt(FrArray.from_ints([1] + [0] * 15)).to_ints() == [1] * 16  # delta -> constant
    assert intt(FrArray.from_ints([5] * 8)).to_ints() == [5] + [0] * 7


def test_convolution_theorem(backend):
    rng = random.Random(3)
    for deg_a, deg_b in [(0, 0), (1, 2), (5, 7), (31, 32), (100, 27)]:
        a = [rng.randrange(R) for _ in range(deg_a + 1)]
        b = [rng.randrange(R) for _ in range(deg_b + 1)]
        school = [0] * (deg_a + deg_b + 1)
        for i, ai in enumerate(a):
            for j, bj in enumerate(b):
                school[i + j] = (school[i + j] + ai * bj) % R
        n = 1 << (len(school) - 1).bit_length()
        fa = ntt(FrArray.from_ints(a + [0] * (n - len(a))))
        fb = ntt(FrArray.from_ints(b + [0] * (n - len(b))))
        prod = intt(fa * fb).to_ints()
        assert prod == school + [0] * (n - len(school))


# ---------------------------------------------------------------- round trips, threads, backends


@pytest.mark.parametrize("log", [9, 12, 13, 14, 16])
def test_round_trips_native(log):
    x = FrArray.random(1 << log, rng=log)
    assert intt(ntt(x)) == x
    assert coset_intt(coset_ntt(x, 5), 5) == x
    y = x.copy()
    coset_ntt_inplace(y, 3, threads=2)
    coset_intt_inplace(y, 3, threads=2)
    assert y == x


@pytest.mark.parametrize("log", [12, 14, 15])
def test_threads_agree(log):
    x = FrArray.random(1 << log, rng=7)
    one = ntt(x, threads=1)
    assert ntt(x, threads=2) == one
    assert ntt(x, threads=3) == one  # more threads than cores, an odd count
    assert ntt(x, threads=None) == one
    assert coset_intt(x, 11, threads=2) == coset_intt(x, 11, threads=1)


@pytest.mark.parametrize("log", [3, 10, 15])
def test_backends_agree_bit_for_bit(log):
    x = FrArray.random(1 << log, rng=log)
    before = fk.backend()
    results = []
    try:
        for name in BACKENDS:
            fk._set_backend(name)
            results.append((ntt(x, threads=2).montgomery, coset_intt(x, 9).montgomery))
    finally:
        fk._set_backend(before)
    for fwd, inv in results[1:]:
        assert np.array_equal(fwd, results[0][0]) and np.array_equal(inv, results[0][1])


def test_inplace_variants_overwrite():
    x = FrArray.random(64, rng=1)
    y = x.copy()
    ntt_inplace(y)
    assert y == ntt(x)
    intt_inplace(y)
    assert y == x


def test_spot_check_large_coset_against_naive():
    n = 1 << 14
    x = FrArray.random(n, rng=9)
    y = coset_ntt(x, 7, threads=2).to_ints()
    coeffs = x.to_ints()
    w = root_of_unity(n)
    for i in (0, 1, 4097, n - 1):
        assert y[i] == naive_eval(coeffs, [7 * pow(w, i, R) % R])[0]


@settings(max_examples=40, deadline=None)
@given(
    log=st.integers(0, 5),
    data=st.data(),
    shift=st.integers(1, R - 1),
)
def test_hypothesis_small(log, data, shift):
    n = 1 << log
    vals = data.draw(st.lists(st.integers(0, R - 1), min_size=n, max_size=n))
    x = FrArray.from_ints(vals)
    assert ntt(x).to_ints() == naive_eval(vals, domain_points(n))
    assert coset_ntt(x, shift).to_ints() == naive_eval(vals, domain_points(n, shift))
    assert intt(ntt(x)) == x
    assert coset_intt(coset_ntt(x, shift), shift) == x


# ---------------------------------------------------------------- rejects


@pytest.mark.parametrize("n", [0, 3, 6, 12, 100])
def test_rejects_non_power_of_two(n):
    x = FrArray.zeros(n)
    for fn in (ntt, intt, ntt_inplace, intt_inplace):
        with pytest.raises(ValueError, match="power of two"):
            fn(x)
    for fn in (coset_ntt, coset_intt):
        with pytest.raises(ValueError, match="power of two"):
            fn(x, 5)


def test_rejects_wrong_types():
    for bad in ([1, 2, 3, 4], np.zeros((4, 4), np.uint64), FqArray.zeros(4), None):
        with pytest.raises(TypeError, match="FrArray"):
            ntt(bad)  # type: ignore[arg-type]
    x = FrArray.zeros(4)
    for shift in (1.5, "5", None, Fq(5), True):
        with pytest.raises(TypeError, match="shift"):
            coset_ntt(x, shift)  # type: ignore[arg-type]
    for shift in (0, R, Fr(0)):
        with pytest.raises(ValueError, match="nonzero"):
            coset_ntt(x, shift)
    for threads in (0, -1, 1.0, "2", True):
        with pytest.raises(ValueError, match="threads"):
            ntt(x, threads=threads)  # type: ignore[arg-type]


def test_native_boundary_rejects():
    with pytest.raises(ValueError, match="power of two"):
        k.forward(np.zeros((0, 4), np.uint64))
    with pytest.raises(ValueError, match="4 limbs"):
        k.forward(np.zeros((4, 3), np.uint64))
    with pytest.raises((ValueError, TypeError)):
        k.forward(np.zeros((4, 4), np.int64))  # wrong dtype
    with pytest.raises((ValueError, BufferError)):
        k.forward(np.zeros((8, 4), np.uint64)[::2])  # strided rows
    ro = np.zeros((4, 4), np.uint64)
    ro.flags.writeable = False
    with pytest.raises((ValueError, BufferError)):
        k.forward(ro)  # read-only: the transform is in place
    with pytest.raises(ValueError, match="threads"):
        k.forward(np.zeros((4, 4), np.uint64), None, 0)
    with pytest.raises(ValueError, match="log_size"):
        k.twiddles(29)
    assert k.twiddles(5) is k.twiddles(5)  # cached


def test_two_stage_groups_2_21():
    """2^21 rows: the block stages (2^13) plus two groups of later stages (7 + 1)."""
    n = 1 << 21
    x = FrArray.random(n, rng=21)
    y = ntt(x, threads=2)
    assert ntt(x, threads=1) == y
    w = root_of_unity(n)
    coeffs = x.to_ints()
    assert y[n - 3].value == naive_eval(coeffs, [pow(w, n - 3, R)])[0]
    assert intt(y, threads=2) == x
