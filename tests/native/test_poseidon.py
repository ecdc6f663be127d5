"""pouw._native.poseidon (csrc/bn254_poseidon.h) against the textbook oracle, on every backend.

The oracle is :mod:`pouw._reference.poseidon` (plain Python ints, the paper's
rounds); the kernel runs the optimised form of :mod:`pouw.zk.poseidon_params`,
with its constants built here from ``optimized(t)`` (not through the face).
Every backend this CPU runs is forced in turn (the batch runs 8 rows per IFMA
group, so lengths around multiples of 8 are covered), and the backends must
agree bit for bit.  The C boundary is tested directly: shapes, dtypes,
strides, aliasing, the inputs' types and ranges, and the GIL release.
"""

from __future__ import annotations

import functools
import os
import random
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from pouw._native import field as kf
from pouw._native import poseidon as k
from pouw._reference import poseidon as ref
from pouw.zk import poseidon_params as pp
from pouw.zk.field import FrArray

R = pp.R
WIDTHS = list(pp.WIDTHS)
BACKENDS = kf.backends()
M = 1 << 256


@pytest.fixture(params=BACKENDS)
def backend(request):
    before = kf.backend()
    kf._set_backend(request.param)
    yield request.param
    kf._set_backend(before)


def flatten(o: pp.OptimizedParams) -> list[int]:
    """The optimised constants in the kernel's LAYOUT order."""
    out: list[int] = []
    for name in k.LAYOUT:
        value = getattr(o, name)
        for item in value:
            out += item if isinstance(item, tuple) else [item]
    return out


@functools.cache
def constants(t: int) -> k.Constants:
    o = pp.optimized(t)
    return k.Constants(t, o.full_rounds, o.partial_rounds, pp.limbs(flatten(o)))


@functools.cache
def expected(inputs: tuple[int, ...]) -> int:
    return ref.poseidon(list(inputs))


def edge_rows(n: int, count: int, seed: int) -> list[tuple[int, ...]]:
    """``count`` input rows of width ``n``: all 0, all 1, all r - 1, then edges mixed with uniform."""
    rng = random.Random(seed)
    rows = [(0,) * n, (1,) * n, (R - 1,) * n]
    while len(rows) < count:
        rows.append(tuple(rng.choice((0, 1, R - 1, rng.randrange(R))) for _ in range(n)))
    return rows[:count]


def columns_of(rows: list[tuple[int, ...]], n: int) -> list[np.ndarray]:
    return [FrArray.from_ints([r[j] for r in rows]).montgomery.copy() for j in range(n)]


def unmont(arr: np.ndarray) -> list[int]:
    return FrArray.from_montgomery(arr).to_ints()


# ---------------------------------------------------------------- against the oracle


def test_layout_matches_the_optimised_form():
    for t in WIDTHS:
        o = pp.optimized(t)
        sizes = k.layout(t, o.full_rounds, o.partial_rounds)
        assert list(sizes) == list(k.LAYOUT)
        assert sum(sizes.values()) == len(flatten(o))
        assert constants(t).t == t and constants(t).partial_rounds == pp.PARTIAL_ROUNDS[t - 2]


@pytest.mark.parametrize("t", WIDTHS)
def test_hash_matches_the_reference(backend, t):
    for row in edge_rows(t - 1, 6, seed=t):
        assert k.hash(constants(t), list(row)) == expected(row), (backend, t, row)


@pytest.mark.parametrize("t", [2, 3, 5, 17])
def test_permute_is_the_optimised_definition(backend, t):
    rng = random.Random(100 + t)
    for state in ([0] * t, [R - 1] * t, [rng.randrange(R) for _ in range(t)]):
        want = pp.permute_optimized(state)
        assert k.permute(constants(t), state) == want
        assert want == ref.permute(state)


@pytest.mark.parametrize("t", WIDTHS)
def test_batch_matches_the_reference(backend, t):
    """11 rows: one full IFMA group and a tail of 3 (zero-padded lanes)."""
    rows = edge_rows(t - 1, 11, seed=50 + t)
    out = np.empty((len(rows), 4), dtype=np.uint64)
    k.hash_batch(constants(t), columns_of(rows, t - 1), out)
    assert unmont(out) == [expected(r) for r in rows], (backend, t)


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 15, 16, 17, 64, 100])
def test_batch_equals_single_at_every_length(backend, n):
    t = 3
    rows = edge_rows(2, n, seed=n) if n >= 3 else edge_rows(2, 3, seed=n)[:n]
    out = np.full((n, 4), 7, dtype=np.uint64)
    k.hash_batch(constants(t), columns_of(rows, 2), out)
    assert unmont(out) == [k.hash(constants(t), list(r)) for r in rows]


def test_backends_agree_bit_for_bit():
    results = {}
    before = kf.backend()
    cols = {
        t: [FrArray.random(37, rng=10 * t + j).montgomery for j in range(t - 1)] for t in WIDTHS
    }
    try:
        for name in BACKENDS:
            kf._set_backend(name)
            got = []
            for t in WIDTHS:
                out = np.empty((37, 4), dtype=np.uint64)
                k.hash_batch(constants(t), cols[t], out)
                got.append(out.tobytes())
                got.append(k.hash(constants(t), list(range(1, t))).to_bytes(32, "little"))
            results[name] = got
    finally:
        kf._set_backend(before)
    first = results[BACKENDS[0]]
    assert all(r == first for r in results.values())


def test_out_may_be_a_column(backend):
    rows = edge_rows(2, 19, seed=3)
    cols = columns_of(rows, 2)
    k.hash_batch(constants(3), cols, cols[1])
    assert unmont(cols[1]) == [expected(r) for r in rows]


@pytest.mark.parametrize("value", ["1", "0"])
def test_pouw_portable_forces_the_portable_path(value):
    code = (
        "from pouw._native import field\n"
        "from pouw.zk.poseidon import poseidon, poseidon_batch\n"
        "from pouw.zk.field import FrArray\n"
        "a, b = FrArray.from_ints([1] * 9), FrArray.from_ints([2] * 9)\n"
        "print(field.backend(), hex(poseidon([1, 2])), set(poseidon_batch([a, b]).to_ints()))\n"
    )
    env = {**os.environ, "POUW_PORTABLE": value}
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    name, digest, batch = res.stdout.split(maxsplit=2)
    assert name == ("portable" if value == "1" else BACKENDS[-1])
    want = 0x115CC0F5E7D690413DF64C6B9662E9CF2A3617F2743245519E19607A4417189A
    assert int(digest, 16) == want and batch.strip() == f"{{{want}}}"


# ---------------------------------------------------------------- the C boundary


def test_hash_takes_ints_and_numpy_integers():
    c = constants(3)
    want = expected((1, 2))
    assert k.hash(c, [1, 2]) == k.hash(c, (np.uint64(1), np.int32(2))) == want
    assert k.hash(c, [np.uint8(1), 2]) == want


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (R, ValueError),
        (R + 5, ValueError),
        (M, ValueError),
        (-1, ValueError),
        (np.int64(-1), ValueError),
        (1.0, TypeError),
        (np.float64(1.0), TypeError),
        ("1", TypeError),
        (None, TypeError),
        (True, TypeError),
        (np.bool_(True), TypeError),
    ],
)
def test_hash_rejects_what_is_not_a_field_element(value, error):
    with pytest.raises(error, match="input 1"):
        k.hash(constants(3), [1, value])
    with pytest.raises(ValueError, match="input 1"):  # the issue: never in [0, r) -> ValueError
        k.hash(constants(3), [1, value])
    assert k.hash(constants(3), [1, R - 1]) == expected((1, R - 1))  # the accepted twin


def test_hash_and_permute_check_their_lengths():
    c = constants(3)
    for inputs in ([], [1], [1, 2, 3]):
        with pytest.raises(ValueError, match="takes 2 inputs"):
            k.hash(c, inputs)
    with pytest.raises(ValueError, match="has 3 elements"):
        k.permute(c, [0, 1])
    with pytest.raises(TypeError):
        k.hash(None, [1, 2])


def test_batch_rejects_bad_arrays():
    c = constants(3)
    good = [FrArray.random(10, rng=j).montgomery for j in range(2)]
    out = np.empty((10, 4), dtype=np.uint64)
    k.hash_batch(c, good, out)
    strided = np.empty((20, 4), dtype=np.uint64)[::2]
    strided[:] = good[0]
    with pytest.raises(ValueError, match="C-contiguous"):
        k.hash_batch(c, [strided, good[1]], out)
    with pytest.raises(ValueError, match="C-contiguous"):
        k.hash_batch(c, good, np.empty((20, 4), dtype=np.uint64)[::2])
    with pytest.raises(TypeError, match="dtype uint64"):
        k.hash_batch(c, [good[0].astype(np.int64), good[1]], out)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        k.hash_batch(c, [good[0].tolist(), good[1]], out)
    with pytest.raises(ValueError, match="shape"):
        k.hash_batch(c, [good[0].reshape(-1), good[1]], out)
    with pytest.raises(ValueError, match="length mismatch"):
        k.hash_batch(c, [good[0][:9], good[1]], out)
    with pytest.raises(ValueError, match="takes 2 columns"):
        k.hash_batch(c, good[:1], out)
    with pytest.raises(ValueError, match="takes 2 columns"):
        k.hash_batch(c, [*good, good[0]], out)
    readonly = out.copy()
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        k.hash_batch(c, good, readonly)
    big = np.concatenate([good[0], good[0]])
    with pytest.raises(ValueError, match="partially overlaps"):
        k.hash_batch(c, [big[:10], good[1]], big[1:11])
    k.hash_batch(c, [big[:10], good[1]], big[10:])  # disjoint views of one buffer: fine


def test_constants_are_checked():
    o = pp.optimized(3)
    raw = pp.limbs(flatten(o))
    with pytest.raises(ValueError, match="must hold"):
        k.Constants(3, o.full_rounds, o.partial_rounds, raw[:-1])
    bad = raw.copy()
    bad[5] = np.frombuffer(R.to_bytes(32, "little"), dtype="<u8")
    with pytest.raises(ValueError, match="constant 5 is not below r"):
        k.Constants(3, o.full_rounds, o.partial_rounds, bad)
    for t, rf, rp in ((1, 8, 56), (18, 8, 56), (3, 7, 57), (3, 0, 57), (3, 8, 0)):
        with pytest.raises(ValueError, match="no Poseidon layout"):
            k.layout(t, rf, rp)
    with pytest.raises(ValueError, match="C-contiguous"):
        k.Constants(3, o.full_rounds, o.partial_rounds, np.repeat(raw, 2, axis=0)[::2])
    assert "t=3" in repr(constants(3))


# ---------------------------------------------------------------- the GIL


def test_batch_releases_the_gil():
    """While one thread hashes a large batch, another keeps running Python code."""
    t, n = 9, 2048
    c = constants(t)
    cols = [FrArray.random(n, rng=j).montgomery for j in range(t - 1)]
    out = np.empty((n, 4), dtype=np.uint64)
    k.hash_batch(c, cols, out)  # warm up
    window: list[float] = []

    def worker():
        window.append(time.perf_counter())
        for _ in range(3):
            k.hash_batch(c, cols, out)
        window.append(time.perf_counter())

    ticks: list[float] = []
    th = threading.Thread(target=worker)
    th.start()
    while th.is_alive():
        ticks.append(time.perf_counter())
    th.join()
    start, end = window
    span = end - start
    inside = [x for x in ticks if start + 0.1 * span < x < end - 0.1 * span]
    assert span > 0.005, "the batch was too short to tell"
    assert len(inside) > 100, (len(inside), span)


def test_threads_hash_concurrently():
    rows = edge_rows(4, 64, seed=77)
    cols = columns_of(rows, 4)
    want = [expected(r) for r in rows]
    outs = [np.empty((64, 4), dtype=np.uint64) for _ in range(4)]

    def work(out):
        for _ in range(5):
            k.hash_batch(constants(5), cols, out)

    threads = [threading.Thread(target=work, args=(o,)) for o in outs]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert all(unmont(o) == want for o in outs)
