"""pouw.zk.poseidon: circomlib's Poseidon, checked against circomlib's vectors, the
textbook oracle and an independent implementation (PyPI's ``light-poseidon``,
widths up to 13), single and batch, on every multiply backend; every accepted
input has a rejected twin."""

from __future__ import annotations

import json
import random
import threading
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import pouw.zk
from pouw._native import field as kf
from pouw._reference import poseidon as ref
from pouw.zk import poseidon as P
from pouw.zk.field import FqArray, FrArray, R
from pouw.zk.poseidon import poseidon, poseidon_batch

BACKENDS = kf.backends()
VECTOR_FILE = Path(__file__).resolve().parents[1] / "vectors" / "poseidon.json"

# The four vectors of issue 10 (circomlib's test/poseidoncircuit.js, circomlibjs's
# test/poseidon.js; light-poseidon agrees), and circomlibjs's widest ones.
VECTORS = [
    ([1], 0x29176100EAA962BDC1FE6C654D6A3C130E96A4D1168B33848B897DC502820133),
    ([1, 2], 0x115CC0F5E7D690413DF64C6B9662E9CF2A3617F2743245519E19607A4417189A),
    ([1, 2, 3], 0x0E7732D89E6939C0FF03D5E58DAB6302F3230E269DC5B968F725DF34AB36D732),
    ([1, 2, 0, 0, 0], 0x024058DD1E168F34BAC462B6FFFE58FD69982807E9884C1C6148182319CEE427),
    (
        list(range(1, 17)),
        9989051620750914585850546081941653841776809718687451684622678807385399211877,
    ),
    (
        [1, 2, 3, 4, 5, 6, 7, 8, 9] + [0] * 7,
        11882816200654282475720830292386643970958445617880627439994635298904836126497,
    ),
]


@pytest.fixture(params=BACKENDS)
def backend(request):
    before = kf.backend()
    kf._set_backend(request.param)
    yield request.param
    kf._set_backend(before)


def random_inputs(n: int, rng: random.Random) -> list[int]:
    return [rng.choice((0, 1, R - 1, rng.randrange(R), rng.randrange(R))) for _ in range(n)]


def light_poseidon():
    try:
        import light_poseidon_python
    except ImportError as exc:  # the dev extra installs it
        pytest.skip(f"light-poseidon is not installed (pip install light-poseidon): {exc}")
    return light_poseidon_python


def light_hash(lp, inputs: list[int]) -> int:
    return int(lp.poseidon_hash_bytes([x.to_bytes(32, "big") for x in inputs]), 16)


# ---------------------------------------------------------------- accepted


@pytest.mark.parametrize(
    ("inputs", "want"), VECTORS, ids=lambda v: str(len(v)) if isinstance(v, list) else ""
)
def test_circomlib_vectors(backend, inputs, want):
    assert poseidon(inputs) == want
    cols = [FrArray.from_ints([x] * 9) for x in inputs]  # one IFMA group and a tail
    assert poseidon_batch(cols).to_ints() == [want] * 9


def test_a_changed_input_changes_the_hash():
    want = dict((tuple(v), h) for v, h in VECTORS)[(1, 2)]
    assert poseidon([1, 3]) != want and poseidon([2, 1]) != want and poseidon([1, 2, 0]) != want


@pytest.mark.parametrize("n", range(1, P.MAX_INPUTS + 1))
def test_every_width_matches_the_reference(backend, n):
    rng = random.Random(n)
    rows = [[0] * n, [1] * n, [R - 1] * n] + [random_inputs(n, rng) for _ in range(2)]
    want = [ref.poseidon(r) for r in rows]
    assert [poseidon(r) for r in rows] == want
    cols = [FrArray.from_ints([r[j] for r in rows]) for j in range(n)]
    assert poseidon_batch(cols).to_ints() == want


def test_light_poseidon_agrees_single_and_batch(backend):
    lp = light_poseidon()
    rng = random.Random(7)
    for n in range(1, 13):  # t = 2..13: the widths light-poseidon has
        rows = [[0] * n, [1] * n, [R - 1] * n] + [random_inputs(n, rng) for _ in range(9)]
        want = [light_hash(lp, r) for r in rows]
        assert [poseidon(r) for r in rows] == want, n
        cols = [FrArray.from_ints([r[j] for r in rows]) for j in range(n)]
        assert poseidon_batch(cols).to_ints() == want, n


@pytest.mark.parametrize("m", [0, 1, 8, 33])
def test_batch_equals_single(m):
    cols = [FrArray.random(m, rng=j) for j in range(3)]
    got = poseidon_batch(cols)
    assert isinstance(got, FrArray) and len(got) == m
    assert got.to_ints() == [
        poseidon(list(r)) for r in zip(*(c.to_ints() for c in cols), strict=True)
    ]


def test_inputs_may_be_any_sequence_of_integers():
    want = poseidon([1, 2])
    assert poseidon((1, 2)) == poseidon(iter([1, 2])) == poseidon(range(1, 3)) == want
    assert poseidon([np.uint64(1), np.int8(2)]) == poseidon(np.array([1, 2])) == want
    assert poseidon_batch((FrArray.from_ints([1]), FrArray.from_ints([2]))).to_ints() == [want]


def test_constants_are_built_once_per_width_under_threads(monkeypatch):
    monkeypatch.setattr(P, "_CONSTANTS", [None] * (P.MAX_INPUTS + 1))
    built: list[int] = []
    real = P._build

    def counting(n):
        built.append(n)
        return real(n)

    monkeypatch.setattr(P, "_build", counting)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(poseidon([1, 2]))) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert built == [2] and set(results) == {VECTORS[1][1]}


def vector_file() -> list[dict]:
    return json.loads(VECTOR_FILE.read_text())["vectors"]


def test_vector_file_single_and_batch(backend):
    """tests/vectors/poseidon.json: every accepted vector (n = 1..16), one by one
    and as one batch per width; every rejection with its exact exception type."""
    by_n: dict[int, list[dict]] = defaultdict(list)
    for v in vector_file():
        inputs = [int(x) for x in v["inputs"]]
        if "reject" in v:
            error = {"ValueError": ValueError}[v["pouw_error"]]
            with pytest.raises(error) as info:
                poseidon(inputs)
            assert info.type is error, v["name"]
            continue
        assert poseidon(inputs) == int(v["expected"]), v["name"]
        by_n[v["n"]].append(v)
    assert sorted(by_n) == list(range(1, P.MAX_INPUTS + 1))
    for n, vs in by_n.items():
        cols = [FrArray.from_ints([int(v["inputs"][j]) for v in vs]) for j in range(n)]
        assert poseidon_batch(cols).to_ints() == [int(v["expected"]) for v in vs], n


# ---------------------------------------------------------------- rejected twins


@pytest.mark.parametrize("count", [0, P.MAX_INPUTS + 1])
def test_rejects_input_counts_outside_1_to_16(count):
    with pytest.raises(ValueError, match=r"1\.\.16 inputs"):
        poseidon([1] * count)
    with pytest.raises(ValueError, match=r"1\.\.16 inputs"):
        poseidon_batch([FrArray.from_ints([1])] * count)


@pytest.mark.parametrize("value", [R, R + 1, 1 << 256, -1, -R, np.int64(-1)])
def test_rejects_integers_outside_0_to_r(value):
    with pytest.raises(ValueError, match=r"\[0, r\)"):
        poseidon([1, value])
    assert poseidon([1, R - 1]) == ref.poseidon([1, R - 1])  # the edge itself is accepted


@pytest.mark.parametrize(
    "value", [1.0, 2.5, np.float64(1), "1", b"\x01", None, True, np.bool_(False)]
)
def test_rejects_what_is_not_an_integer(value):
    with pytest.raises(TypeError, match="integer"):
        poseidon([value, 1])
    with pytest.raises(ValueError, match="integer"):  # the contract: ValueError
        poseidon([value, 1])


def test_batch_rejects_columns_of_different_lengths():
    a, b = FrArray.from_ints([1, 2, 3]), FrArray.from_ints([4, 5])
    with pytest.raises(ValueError, match="one length"):
        poseidon_batch([a, b])
    with pytest.raises(ValueError, match="one length"):
        poseidon_batch([a, a, b])
    assert len(poseidon_batch([a, a])) == 3


@pytest.mark.parametrize("column", [[1, 2], np.zeros((2, 4), dtype=np.uint64), "ab"])
def test_batch_rejects_what_is_not_an_fr_array(column):
    with pytest.raises(TypeError, match="FrArray"):
        poseidon_batch([FrArray.from_ints([1, 2]), column])


def test_batch_rejects_fq_arrays():
    with pytest.raises(TypeError, match="FrArray, got FqArray"):
        poseidon_batch([FqArray.from_ints([1])])


# ---------------------------------------------------------------- the package


def test_pouw_zk_exports_the_batch_and_the_module():
    assert pouw.zk.poseidon_batch is poseidon_batch
    assert "poseidon_batch" in pouw.zk.__all__
    assert pouw.zk.poseidon is P and P.poseidon is poseidon
