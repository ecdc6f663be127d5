"""pouw._native.field (csrc/bn254_field.h) against Python ints, on every backend this CPU runs.

The oracle computes Montgomery forms itself (x * 2^256 mod p), so the
conversions are tested too, not assumed.  Every backend is forced in turn and
the backends must agree bit for bit.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pouw._native import field as k

R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583
FIELDS = [(k.FR, R), (k.FQ, Q)]
FIELD_IDS = ["Fr", "Fq"]
M = 1 << 256
BACKENDS = k.backends()
SIZES = [1, 7, 8, 9, 63, 64, 65, 200]  # around the IFMA group and the GIL threshold


def edges(p: int) -> list[int]:
    """0, 1, p-1, p-2, halves, powers of two, values with high or low limbs all ones."""
    vals = [0, 1, 2, 3, p - 1, p - 2, p - 3, (p - 1) // 2, (p + 1) // 2]
    vals += [1 << s for s in (63, 64, 127, 128, 191, 192, 253)]
    vals += [(1 << 64) - 1, (1 << 128) - 1, (1 << 192) - 1, p - (1 << 192), p >> 1 | 1]
    vals += [p - (1 << 64), (p >> 192) << 192, M % p, (M * M) % p]
    return sorted({v % p for v in vals})


def raw(values: list[int]) -> np.ndarray:
    """Plain integers (< 2^256) as (n, 4) limbs."""
    data = b"".join(v.to_bytes(32, "little") for v in values)
    return np.frombuffer(data, dtype="<u8").astype(np.uint64).reshape(-1, 4)


def unraw(arr: np.ndarray) -> list[int]:
    data = arr.astype("<u8").tobytes()
    return [int.from_bytes(data[i : i + 32], "little") for i in range(0, len(data), 32)]


def mont(p: int, values: list[int]) -> np.ndarray:
    return raw([v * M % p for v in values])


def unmont(p: int, arr: np.ndarray) -> list[int]:
    rinv = pow(M, -1, p)
    out = unraw(arr)
    assert all(v < p for v in out), "a kernel returned a non-canonical element"
    return [v * rinv % p for v in out]


@pytest.fixture(params=BACKENDS)
def backend(request):
    before = k.backend()
    k._set_backend(request.param)
    yield request.param
    k._set_backend(before)


@pytest.fixture(params=FIELDS, ids=FIELD_IDS)
def fp(request):
    return request.param


def rand_vals(p: int, n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randrange(p) for _ in range(n)]


# ---------------------------------------------------------------- constants and backends


def test_moduli_and_backends():
    assert k.modulus(k.FR) == R and k.modulus(k.FQ) == Q
    assert "portable" in BACKENDS
    assert k.backend() in BACKENDS


def test_fast_path_is_available_on_this_machine():
    """The CI machine has ADX (and IFMA): the fast paths must be tested, not skipped."""
    if sys.platform != "linux" or os.uname().machine != "x86_64":
        pytest.skip("x86-64 only")
    with open("/proc/cpuinfo") as f:
        flags = f.read().split()
    if "adx" not in flags:
        pytest.skip("no ADX on this CPU")
    assert "adx" in BACKENDS
    assert ("ifma" in BACKENDS) == ("avx512ifma" in flags and "avx512f" in flags)


@pytest.mark.parametrize("value", ["1", "0", ""])
def test_pouw_portable_environment_variable(value):
    env = {**os.environ, "POUW_PORTABLE": value}
    code = "from pouw._native import field; print(field.backend())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    expected = "portable" if value == "1" else BACKENDS[-1]
    assert out.stdout.strip() == expected


def test_set_backend_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown backend"):
        k._set_backend("avx9000")


# ---------------------------------------------------------------- arithmetic against ints


def pairs(p: int) -> tuple[list[int], list[int]]:
    e = edges(p)
    xs = [a for a in e for _ in e] + rand_vals(p, 300, 1)
    ys = [b for _ in e for b in e] + rand_vals(p, 300, 2)
    return xs, ys


@pytest.mark.parametrize("op", ["add", "sub", "mul"])
def test_binary_ops_match_ints(backend, fp, op):
    code, p = fp
    xs, ys = pairs(p)
    expected = {
        "add": lambda a, b: (a + b) % p,
        "sub": lambda a, b: (a - b) % p,
        "mul": lambda a, b: a * b % p,
    }[op]
    out = np.empty((len(xs), 4), np.uint64)
    getattr(k, op)(code, out, mont(p, xs), mont(p, ys))
    assert unmont(p, out) == [expected(a, b) for a, b in zip(xs, ys, strict=True)]


def test_unary_ops_match_ints(backend, fp):
    code, p = fp
    xs = edges(p) + rand_vals(p, 300, 3)
    a = mont(p, xs)
    out = np.empty_like(a)
    k.neg(code, out, a)
    assert unmont(p, out) == [-x % p for x in xs]
    k.square(code, out, a)
    assert unmont(p, out) == [x * x % p for x in xs]


def test_conversions_match_ints(backend, fp):
    code, p = fp
    xs = edges(p) + rand_vals(p, 100, 4)
    out = np.empty((len(xs), 4), np.uint64)
    k.to_mont(code, out, raw(xs))
    assert np.array_equal(out, mont(p, xs))
    back = np.empty_like(out)
    k.from_mont(code, back, out)
    assert unraw(back) == xs
    # to_mont reduces any 256-bit integer (the documented contract)
    big = [p, p + 1, 2 * p, M - 1, M - p]
    out = np.empty((len(big), 4), np.uint64)
    k.to_mont(code, out, raw(big))
    assert unmont(p, out) == [v % p for v in big]


@pytest.mark.parametrize("n", SIZES)
def test_batch_sizes_and_in_place(backend, fp, n):
    code, p = fp
    xs, ys = rand_vals(p, n, n), rand_vals(p, n, n + 1)
    a, b = mont(p, xs), mont(p, ys)
    k.mul(code, a, a, b)  # out is a
    assert unmont(p, a) == [x * y % p for x, y in zip(xs, ys, strict=True)]
    k.mul(code, b, b, b)  # out is both inputs
    assert unmont(p, b) == [y * y % p for y in ys]
    k.add(code, b, a, b)
    assert unmont(p, b) == [(x * y + y * y) % p for x, y in zip(xs, ys, strict=True)]


def test_empty_batches_are_no_ops(fp):
    code, _ = fp
    e = np.empty((0, 4), np.uint64)
    for op in (k.add, k.sub, k.mul):
        op(code, e, e, e)
    for op in (k.neg, k.square, k.to_mont, k.from_mont):
        op(code, e, e)
    k.inv(code, np.empty((0, 4), np.uint64), e)
    k.pow(code, e, e, 5)
    assert k.to_bytes(code, e, True) == b""
    assert k.from_bytes(code, e, b"", True) == -1


# ---------------------------------------------------------------- inverse and power


@pytest.mark.parametrize("n", [1, 2, 65, 500])
def test_batch_inverse(backend, fp, n):
    code, p = fp
    xs = (edges(p)[1:] + rand_vals(p, n, 5))[:n]
    out = np.empty((n, 4), np.uint64)
    k.inv(code, out, mont(p, xs))
    assert unmont(p, out) == [pow(x, -1, p) for x in xs]


@pytest.mark.parametrize("where", [0, 1, 64, 99])
def test_batch_inverse_with_a_zero_names_the_first(backend, fp, where):
    code, p = fp
    xs = rand_vals(p, 100, 6)
    xs[where] = 0
    xs[-1] = 0
    with pytest.raises(ZeroDivisionError, match=f"element {where} is 0"):
        k.inv(code, np.empty((100, 4), np.uint64), mont(p, xs))


@pytest.mark.parametrize("e", [0, 1, 2, 3, 15, 16, 17, 2**64 - 1, 2**64, 2**300 + 12345, -1])
def test_pow_matches_ints(backend, fp, e):
    code, p = fp
    e = e if e >= 0 else p - 1
    xs = edges(p) + rand_vals(p, 20, 7)
    out = np.empty((len(xs), 4), np.uint64)
    k.pow(code, out, mont(p, xs), e)
    assert unmont(p, out) == [pow(x, e, p) for x in xs]  # 0 ** 0 == 1, as in Python


def test_pow_edge_exponents(fp):
    code, p = fp
    xs = rand_vals(p, 10, 8)
    out = np.empty((10, 4), np.uint64)
    for e in (p, p - 2, p + 1, 2 * (p - 1)):
        k.pow(code, out, mont(p, xs), e)
        assert unmont(p, out) == [pow(x, e, p) for x in xs]


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize("big", [True, False])
def test_encodings_round_trip(backend, fp, big):
    code, p = fp
    xs = edges(p) + rand_vals(p, 100, 9)
    order = "big" if big else "little"
    data = b"".join(x.to_bytes(32, order) for x in xs)
    out = np.empty((len(xs), 4), np.uint64)
    assert k.from_bytes(code, out, data, big) == -1
    assert np.array_equal(out, mont(p, xs))
    assert k.to_bytes(code, out, big) == data


@pytest.mark.parametrize("big", [True, False])
@pytest.mark.parametrize("bad", [0, 1, 3])
def test_non_canonical_encodings_are_reported(fp, big, bad):
    code, p = fp
    order = "big" if big else "little"
    for value in (p, p + 1, 2 * p, M - 1, (p >> 192 << 192) + (1 << 192)):
        xs = [1, 2, 3, 4]
        encoded = [x.to_bytes(32, order) for x in xs]
        encoded[bad] = value.to_bytes(32, order)
        out = np.zeros((4, 4), np.uint64)
        assert k.from_bytes(code, out, b"".join(encoded), big) == bad


def test_canonical_mask(fp):
    code, p = fp
    vals = [0, p - 1, p, M - 1, 5]
    mask = np.empty(5, np.uint8)
    assert k.canonical_mask(code, raw(vals), mask) == 3
    assert mask.tolist() == [1, 1, 0, 0, 1]


# ---------------------------------------------------------------- backends agree bit for bit


@pytest.mark.skipif(len(BACKENDS) < 2, reason="only the portable path on this CPU")
def test_backends_agree_bit_for_bit(fp):
    code, p = fp
    rng = np.random.default_rng(10)
    n = 4099
    a = mont(p, rand_vals(p, n, 11) + edges(p))
    b = mont(p, rand_vals(p, n, 12) + edges(p)[::-1])
    e = int(rng.integers(1, 2**63)) << 200 | 12345
    before = k.backend()
    results = {}
    try:
        for name in BACKENDS:
            k._set_backend(name)
            outs = [np.zeros_like(a) for _ in range(4)]
            k.mul(code, outs[0], a, b)
            k.square(code, outs[1], a)
            nonzero = np.ascontiguousarray(b[np.any(b != 0, axis=1)])
            outs.append(np.empty_like(nonzero))
            k.inv(code, outs[4], nonzero)
            k.pow(code, outs[3][:64], a[:64], e)
            k.to_mont(code, outs[2], a)
            results[name] = [o.tobytes() for o in outs]
    finally:
        k._set_backend(before)
    first = results[BACKENDS[0]]
    assert all(r == first for r in results.values())


def test_threads_share_the_kernels(fp):
    """Large batches run without the GIL: two threads at once both get right answers."""
    code, p = fp
    xs, ys = rand_vals(p, 20000, 13), rand_vals(p, 20000, 14)
    a, b = mont(p, xs), mont(p, ys)
    expected = mont(p, [x * y % p for x, y in zip(xs, ys, strict=True)])
    outs = [np.empty_like(a) for _ in range(2)]

    def work(out):
        for _ in range(20):
            k.mul(code, out, a, b)

    threads = [threading.Thread(target=work, args=(o,)) for o in outs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.array_equal(o, expected) for o in outs)


# ---------------------------------------------------------------- properties

elems = st.integers(0, R - 1)


@settings(max_examples=60)
@given(st.lists(st.tuples(elems, elems, elems), min_size=1, max_size=70))
def test_ring_axioms(triples):
    code, p = k.FR, R
    xs, ys, zs = (list(t) for t in zip(*triples, strict=True))
    a, b, c = mont(p, xs), mont(p, ys), mont(p, zs)
    n = len(xs)

    def op(f, x, y):
        out = np.empty((n, 4), np.uint64)
        f(code, out, x, y)
        return out

    assert np.array_equal(op(k.mul, a, b), op(k.mul, b, a))
    assert np.array_equal(op(k.add, a, b), op(k.add, b, a))
    assert np.array_equal(op(k.mul, op(k.mul, a, b), c), op(k.mul, a, op(k.mul, b, c)))
    assert np.array_equal(
        op(k.mul, a, op(k.add, b, c)), op(k.add, op(k.mul, a, b), op(k.mul, a, c))
    )
    assert np.array_equal(op(k.sub, op(k.add, a, b), b), a)
    neg = np.empty_like(a)
    k.neg(code, neg, a)
    assert not op(k.add, a, neg).any()


@settings(max_examples=60)
@given(st.lists(st.integers(1, Q - 1), min_size=1, max_size=70), st.booleans())
def test_inverse_and_encoding_properties(xs, big):
    code, p = k.FQ, Q
    a = mont(p, xs)
    inv = np.empty_like(a)
    k.inv(code, inv, a)
    prod = np.empty_like(a)
    k.mul(code, prod, a, inv)
    assert unmont(p, prod) == [1] * len(xs)
    back = np.empty_like(a)
    assert k.from_bytes(code, back, k.to_bytes(code, a, big), big) == -1
    assert np.array_equal(back, a)


# ---------------------------------------------------------------- the C boundary

GOOD = np.zeros((4, 4), np.uint64)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((4, 4), np.int64),
        np.zeros((4, 4), np.float64),
        np.zeros((4, 4), ">u8"),
        np.zeros((4, 4), np.uint32),
        [[0, 0, 0, 0]] * 4,
        b"\x00" * 128,
    ],
    ids=["int64", "float64", "big-endian", "uint32", "list", "bytes"],
)
def test_wrong_types_raise_type_error(bad):
    with pytest.raises(TypeError):
        k.mul(k.FR, np.empty((4, 4), np.uint64), bad, GOOD)
    with pytest.raises(TypeError):
        k.add(k.FR, bad, GOOD, GOOD)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros(16, np.uint64),
        np.zeros((4, 3), np.uint64),
        np.zeros((4, 4, 1), np.uint64),
        np.zeros((8, 4), np.uint64)[::2],
        np.zeros((4, 8), np.uint64)[:, :4],
        np.asfortranarray(np.zeros((4, 4), np.uint64)),
    ],
    ids=["1-d", "3-limbs", "3-d", "strided-rows", "strided-cols", "fortran"],
)
def test_wrong_shapes_and_strides_raise_value_error(bad):
    with pytest.raises(ValueError):
        k.mul(k.FR, np.empty((4, 4), np.uint64), GOOD, bad)


def test_length_mismatch_and_read_only_and_overlap():
    a = np.zeros((5, 4), np.uint64)
    with pytest.raises(ValueError, match="length mismatch"):
        k.add(k.FR, np.empty((4, 4), np.uint64), GOOD, a)
    with pytest.raises(ValueError, match="length mismatch"):
        k.neg(k.FR, np.empty((5, 4), np.uint64), GOOD)
    ro = np.zeros((4, 4), np.uint64)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        k.mul(k.FR, ro, GOOD, GOOD)
    k.mul(k.FR, np.empty((4, 4), np.uint64), ro, ro)  # read-only inputs are fine
    buf = np.zeros((5, 4), np.uint64)
    with pytest.raises(ValueError, match="partially overlaps"):
        k.mul(k.FR, buf[1:], buf[:4], GOOD)
    same = mont(R, [1, 2, 3, 4])
    with pytest.raises(ValueError, match="must not share memory"):
        k.inv(k.FR, same, same)
    with pytest.raises(ValueError, match="length mismatch"):
        k.from_bytes(k.FR, np.empty((2, 4), np.uint64), b"\x00" * 63, True)


def test_bad_field_and_exponent():
    out = np.empty((4, 4), np.uint64)
    for field in (2, -1, "fr", None):
        with pytest.raises(ValueError, match="field must be"):
            k.add(field, out, GOOD, GOOD)
    with pytest.raises(ValueError, match=">= 0"):
        k.pow(k.FR, out, GOOD, -1)
    for e in (2.0, "3", True):
        with pytest.raises(TypeError):
            k.pow(k.FR, out, GOOD, e)
