"""pytest-benchmark: circomlib's Poseidon, pouw.zk.poseidon against light-poseidon.

Groups (one per case, light-poseidon beside the native paths; every multiply
backend this CPU runs, forced in turn, ``portable`` included)::

    poseidon2-call     poseidon([a, b])           vs Hasher(2).hash_bytes_be (reused)
    poseidon3-call     poseidon([a, b, c])        vs Hasher(3).hash_bytes_be (reused)
    poseidon2-batch    poseidon_batch of BATCH rows vs a loop of Hasher(2) calls

Reproduce (the README's Poseidon table)::

    PYTHONPATH=src python -m pytest benchmarks/bench_poseidon.py --benchmark-only \\
        --benchmark-group-by=group --benchmark-columns=min,median,ops

A batch benchmark call hashes BATCH rows: divide its time by BATCH for the
cost per hash.  light-poseidon gets its inputs as 32-byte big-endian strings
made beforehand (its native input form), pouw as Python ints.
"""

from __future__ import annotations

import pytest

from pouw._native import field as kf
from pouw.zk.field import FrArray
from pouw.zk.poseidon import poseidon, poseidon_batch

lp = pytest.importorskip("light_poseidon_python")

BATCH = 1 << 14  # rows per poseidon_batch call
INPUTS = [
    0x1D5B8A9F63C2E4417B0A62F3C9E8D1A2B4C6E8F0A1B3C5D7E9F1A3B5C7D9E1F3,
    0x0B7E151628AED2A6ABF7158809CF4F3C762E7160F38B4DA56A784D9045190CFE,
    0x243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89,
]


@pytest.fixture(params=kf.backends())
def backend(request):
    before = kf.backend()
    kf._set_backend(request.param)
    yield request.param
    kf._set_backend(before)


def _be(values: list[int]) -> list[bytes]:
    return [v.to_bytes(32, "big") for v in values]


@pytest.mark.benchmark(group="poseidon2-call")
def test_pouw_poseidon2(benchmark, backend):
    args = INPUTS[:2]
    assert benchmark(poseidon, args) == int(lp.Hasher(2).hash_bytes_be(_be(args)), 16)


@pytest.mark.benchmark(group="poseidon2-call")
def test_light_poseidon2(benchmark):
    hasher, args = lp.Hasher(2), _be(INPUTS[:2])
    benchmark(hasher.hash_bytes_be, args)


@pytest.mark.benchmark(group="poseidon3-call")
def test_pouw_poseidon3(benchmark, backend):
    args = INPUTS[:3]
    assert benchmark(poseidon, args) == int(lp.Hasher(3).hash_bytes_be(_be(args)), 16)


@pytest.mark.benchmark(group="poseidon3-call")
def test_light_poseidon3(benchmark):
    hasher, args = lp.Hasher(3), _be(INPUTS[:3])
    benchmark(hasher.hash_bytes_be, args)


@pytest.mark.benchmark(group="poseidon2-batch")
def test_pouw_poseidon2_batch(benchmark, backend):
    cols = [FrArray.random(BATCH, rng=1), FrArray.random(BATCH, rng=2)]
    out = benchmark(poseidon_batch, cols)
    assert out[5] == poseidon([cols[0][5].value, cols[1][5].value])


@pytest.mark.benchmark(group="poseidon2-batch")
def test_light_poseidon2_loop(benchmark):
    hasher = lp.Hasher(2)
    a, b = FrArray.random(BATCH, rng=1).to_ints(), FrArray.random(BATCH, rng=2).to_ints()
    rows = [_be([x, y]) for x, y in zip(a, b, strict=True)]

    def loop() -> None:
        for row in rows:
            hasher.hash_bytes_be(row)

    benchmark.pedantic(loop, rounds=3, iterations=1)
