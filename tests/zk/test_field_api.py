"""pouw.zk.field: the typed face of the BN254 fields, against Python ints and py_ecc."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc.fields import bn128_FQ

from pouw.errors import CurveError, PouwError
from pouw.zk import Fq, FqArray, Fr, FrArray, Q, R
from pouw.zk import field as zf

KINDS = [(FrArray, Fr, R), (FqArray, Fq, Q)]


@pytest.fixture(params=KINDS, ids=["Fr", "Fq"])
def kind(request):
    return request.param


def rand(p, n, seed):
    rng = random.Random(seed)
    return [rng.randrange(p) for _ in range(n)]


def test_moduli_and_exports():
    assert R == 21888242871839275222246405745257275088548364400416034343698204186575808495617
    assert bn128_FQ.field_modulus == Q
    assert issubclass(CurveError, PouwError)
    assert {"R", "Q", "FrArray", "FqArray", "Fr", "Fq"} <= set(zf.__all__)


def test_from_ints_reduces_modulo_p(kind):
    Arr, _, p = kind
    a = Arr.from_ints([0, 1, p - 1, p, p + 5, -1, -p - 2, 3 * p + 7])
    assert a.to_ints() == [0, 1, p - 1, 0, 5, p - 1, p - 2, 7]
    assert len(a) == 8 and len(Arr.from_ints([])) == 0
    assert Arr.from_ints(x for x in range(3)).to_ints() == [0, 1, 2]


@pytest.mark.parametrize("bad", [[1.0], ["1"], [None], [Fr(1)]])
def test_from_ints_rejects_non_integers(bad):
    with pytest.raises(TypeError, match="integers"):
        FqArray.from_ints(bad)


def test_arithmetic_matches_ints(kind):
    Arr, _, p = kind
    xs, ys = rand(p, 300, 1), rand(p, 300, 2)
    xs[:4], ys[:4] = [0, 1, p - 1, p - 2], [p - 1, p - 1, p - 1, 0]
    a, b = Arr.from_ints(xs), Arr.from_ints(ys)
    assert (a + b).to_ints() == [(x + y) % p for x, y in zip(xs, ys, strict=True)]
    assert (a - b).to_ints() == [(x - y) % p for x, y in zip(xs, ys, strict=True)]
    assert (a * b).to_ints() == [x * y % p for x, y in zip(xs, ys, strict=True)]
    assert (-a).to_ints() == [-x % p for x in xs]
    assert a.square().to_ints() == [x * x % p for x in xs]
    assert a.pow(5).to_ints() == [pow(x, 5, p) for x in xs]
    assert a.pow(0).to_ints() == [1] * 300
    assert b[4:].inv().to_ints() == [pow(y, -1, p) for y in ys[4:]]


def test_in_place_operators_write_into_the_left_array(kind):
    Arr, _, p = kind
    xs, ys = rand(p, 100, 3), rand(p, 100, 4)
    a, b = Arr.from_ints(xs), Arr.from_ints(ys)
    keep, limbs = a, a.montgomery
    a += b
    a *= b
    a -= b
    assert a is keep and np.shares_memory(limbs, a.montgomery)
    assert a.to_ints() == [((x + y) * y - y) % p for x, y in zip(xs, ys, strict=True)]
    assert b.to_ints() == ys


def test_mismatches_raise(kind):
    Arr, Elem, _ = kind
    a = Arr.from_ints([1, 2, 3])
    with pytest.raises(ValueError, match="length mismatch"):
        a + Arr.from_ints([1, 2])
    with pytest.raises(ValueError, match="length mismatch"):
        a *= Arr.from_ints([1])
    other = FqArray if Arr is FrArray else FrArray
    for bad in (other.from_ints([1, 2, 3]), 3, Elem(3), [1, 2, 3], np.zeros((3, 4), np.uint64)):
        with pytest.raises(TypeError, match="unsupported operand"):
            a * bad
    assert a != other.from_ints([1, 2, 3])


def test_inverse_of_zero_names_the_first_zero(kind):
    Arr, _, _ = kind
    with pytest.raises(ZeroDivisionError, match="element 2 is 0"):
        Arr.from_ints([5, 7, 0, 9, 0]).inv()
    assert len(Arr.zeros(0).inv()) == 0


def test_pow_rejects_bad_exponents():
    a = FrArray.from_ints([2, 3])
    with pytest.raises(ValueError):
        a.pow(-1)
    with pytest.raises(TypeError):
        a.pow(1.5)
    assert a.pow(R - 1).to_ints() == [1, 1]
    assert a.pow(2**300).to_ints() == [pow(2, 2**300, R), pow(3, 2**300, R)]


@pytest.mark.parametrize("byteorder", ["big", "little"])
def test_bytes_round_trip_and_layout(kind, byteorder):
    Arr, _, p = kind
    xs = [0, 1, p - 1] + rand(p, 50, 5)
    data = Arr.from_ints(xs).to_bytes(byteorder)
    assert data == b"".join(x.to_bytes(32, byteorder) for x in xs)
    assert Arr.from_bytes(data, byteorder).to_ints() == xs
    assert Arr.from_bytes(bytearray(data), byteorder=byteorder).to_ints() == xs
    assert Arr.from_bytes(memoryview(data), byteorder).to_ints() == xs


@pytest.mark.parametrize("byteorder", ["big", "little"])
def test_from_bytes_rejects_non_canonical(kind, byteorder):
    Arr, Elem, p = kind
    for value in (p, p + 1, 2**256 - 1):
        data = b"".join(x.to_bytes(32, byteorder) for x in (1, 2, value, 3))
        with pytest.raises(CurveError, match=f"element 2 is not a canonical {Elem.__name__}"):
            Arr.from_bytes(data, byteorder)
    assert Arr.from_bytes((p - 1).to_bytes(32, byteorder), byteorder).to_ints() == [p - 1]


def test_from_bytes_rejects_bad_lengths_and_orders():
    with pytest.raises(ValueError, match="32 bytes each"):
        FrArray.from_bytes(b"\x00" * 33)
    with pytest.raises(ValueError, match="byteorder"):
        FrArray.from_bytes(b"\x00" * 32, "middle")
    with pytest.raises(ValueError, match="byteorder"):
        FrArray.zeros(1).to_bytes("native")
    assert len(FrArray.from_bytes(b"")) == 0


def test_constructors(kind):
    Arr, _, p = kind
    assert Arr.zeros(3).to_ints() == [0, 0, 0]
    assert Arr.ones(3).to_ints() == [1, 1, 1]
    r1, r2 = Arr.random(1000, rng=7), Arr.random(1000, rng=np.random.default_rng(7))
    assert r1 == r2 and len(r1) == 1000
    vals = r1.to_ints()
    assert all(0 <= v < p for v in vals) and len(set(vals)) == 1000
    assert max(vals) > p // 2  # the whole range is reached
    assert len(Arr.random(0)) == 0
    with pytest.raises(ValueError):
        Arr.random(-1)
    with pytest.raises(TypeError, match="from_ints"):
        Arr()


def test_container_protocol(kind):
    Arr, Elem, p = kind
    a = Arr.from_ints([10, 20, 30, p - 1])
    assert a[0] == Elem(10) and a[-1] == Elem(p - 1) and isinstance(a[1], Elem)
    assert a[1:3].to_ints() == [20, 30] and a[::2].to_ints() == [10, 30]
    assert list(a) == [Elem(10), Elem(20), Elem(30), Elem(-1)]
    with pytest.raises(IndexError):
        a[4]
    c = a.copy()
    c += a
    assert a.to_ints() == [10, 20, 30, p - 1] and c != a and c == a + a
    assert repr(Arr.from_ints([1, 2])) == f"{Arr.__name__}([1, 2])"
    assert "(10 elements)" in repr(Arr.zeros(10))
    with pytest.raises(TypeError):
        hash(a)


def test_montgomery_view_and_from_montgomery(kind):
    Arr, _, p = kind
    a = Arr.from_ints([3, 4])
    view = a.montgomery
    assert view.shape == (2, 4) and not view.flags.writeable
    row = int.from_bytes(view[0].astype("<u8").tobytes(), "little")
    assert row == 3 * 2**256 % p
    assert Arr.from_montgomery(view) == a
    bad = view.copy()
    bad[1] = [2**64 - 1] * 4
    with pytest.raises(CurveError, match="row 1"):
        Arr.from_montgomery(bad)
    with pytest.raises(ValueError, match="shape"):
        Arr.from_montgomery(np.zeros(4, np.uint64))


def test_elements_behave_like_ints(kind):
    _, Elem, p = kind
    a, b = Elem(7), Elem(-3)
    assert int(b) == p - 3 and a + b == 4 and a - b == 10 and a * b == Elem(-21)
    assert 2 + a == 9 and 2 - a == Elem(-5) and 2 * a == 14
    assert (a / b) * b == a and 1 / a == a.inv() and a**-1 == a.inv()
    assert a**3 == 343 and a**0 == 1 and Elem(0) ** 0 == 1
    assert -Elem(0) == 0 and -a == p - 7 and not Elem(p) and bool(a)
    assert repr(a) == f"{Elem.__name__}(7)" and hash(a) == hash(Elem(7 + p))
    with pytest.raises(ZeroDivisionError):
        a / 0
    with pytest.raises(ZeroDivisionError):
        Elem(0) ** -1
    with pytest.raises(TypeError):
        Elem(1.5)


def test_elements_of_different_fields_do_not_mix():
    with pytest.raises(TypeError):
        Fr(1) + Fq(1)
    with pytest.raises(TypeError):
        Fr(Fq(1))
    assert Fr(1) != Fq(1)


def test_agrees_with_py_ecc():
    xs, ys = rand(Q, 50, 6), rand(Q, 50, 7)
    a, b = FqArray.from_ints(xs), FqArray.from_ints(ys)
    assert (a * b).to_ints() == [
        int(bn128_FQ(x) * bn128_FQ(y)) for x, y in zip(xs, ys, strict=True)
    ]
    assert (a - b).to_ints() == [
        int(bn128_FQ(x) - bn128_FQ(y)) for x, y in zip(xs, ys, strict=True)
    ]
    assert b.inv().to_ints() == [int(bn128_FQ(1) / bn128_FQ(y)) for y in ys]


@settings(max_examples=50)
@given(
    st.lists(st.tuples(st.integers(), st.integers(), st.integers()), min_size=1, max_size=40),
    st.sampled_from(["big", "little"]),
)
def test_field_properties(triples, byteorder):
    xs, ys, zs = (list(t) for t in zip(*triples, strict=True))
    a, b, c = FrArray.from_ints(xs), FrArray.from_ints(ys), FrArray.from_ints(zs)
    assert a * (b + c) == a * b + a * c
    assert (a * b) * c == a * (b * c)
    assert a + b == b + a and a - a == FrArray.zeros(len(a)) and a + -a == a - a
    assert FrArray.from_bytes(a.to_bytes(byteorder), byteorder) == a
    assert a.to_ints() == [x % R for x in xs]
    nonzero = FrArray.from_ints([x if x % R else 1 for x in xs])
    assert nonzero * nonzero.inv() == FrArray.ones(len(xs))
