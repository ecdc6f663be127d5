"""Poseidon's parameters: the committed table, its generator, the optimised form, the oracle.

Checked against circomlib's published vectors (its tests and circomlibjs's),
against an independent implementation (PyPI's ``light-poseidon``, widths up to
13), against a bit-by-bit Grain LFSR, and against the generator run afresh.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import random
import struct
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from blake3 import blake3

from pouw._reference import poseidon as ref
from pouw.zk import poseidon_params as pp
from pouw.zk.field import R as FIELD_R

R = pp.R
GENERATOR = Path(__file__).resolve().parents[2] / "tools" / "gen_poseidon_constants.py"

# circomlib's test/poseidoncircuit.js and circomlibjs's test/poseidon.js
VECTORS = [
    ([1], 0x29176100EAA962BDC1FE6C654D6A3C130E96A4D1168B33848B897DC502820133),
    ([1, 2], 0x115CC0F5E7D690413DF64C6B9662E9CF2A3617F2743245519E19607A4417189A),
    ([1, 2, 3], 0x0E7732D89E6939C0FF03D5E58DAB6302F3230E269DC5B968F725DF34AB36D732),
    ([1, 2, 0, 0, 0], 0x024058DD1E168F34BAC462B6FFFE58FD69982807E9884C1C6148182319CEE427),
    ([1, 2, 3, 4], 0x299C867DB6C1FDD79DCEFA40E4510B9837E60EBB1CE0663DBAA525DF65250465),
    (
        list(range(1, 17)),
        9989051620750914585850546081941653841776809718687451684622678807385399211877,
    ),
    (
        [1, 2, 3, 4, 5, 6, 7, 8, 9] + [0] * 7,
        11882816200654282475720830292386643970958445617880627439994635298904836126497,
    ),
]


def random_inputs(n: int, rng: random.Random) -> list[int]:
    """``n`` inputs mixing the edges (0, 1, r - 1) with uniform elements."""
    return [rng.choice((0, 1, R - 1, rng.randrange(R), rng.randrange(R))) for _ in range(n)]


@pytest.fixture(scope="module")
def gen():
    if not GENERATOR.is_file():
        pytest.skip(f"the generator is not at {GENERATOR} (tests run outside the source tree)")
    spec = importlib.util.spec_from_file_location("gen_poseidon_constants", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def generated(gen):
    return gen.generate_all()


def committed_table() -> bytes:
    return resources.files("pouw.zk").joinpath("data", pp.TABLE_NAME).read_bytes()


# --- the instance ------------------------------------------------------------


def test_instance_constants():
    assert R == FIELD_R
    assert list(pp.WIDTHS) == list(range(2, 18))
    assert pp.PARTIAL_ROUNDS == (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)
    assert pp.FULL_ROUNDS == 8 and pp.ALPHA == 5
    for t in pp.WIDTHS:
        p = pp.params(t)
        assert (p.t, p.full_rounds, p.partial_rounds) == (t, 8, pp.PARTIAL_ROUNDS[t - 2])
        assert len(p.round_constants) == p.rounds and {len(row) for row in p.round_constants} == {t}
        assert len(p.mds) == t and {len(row) for row in p.mds} == {t}
        shape = [True] * 4 + [False] * p.partial_rounds + [True] * 4
        assert [p.is_full(r) for r in range(p.rounds)] == shape


@pytest.mark.parametrize("t", [0, 1, 18, -3])
def test_params_rejects_other_widths(t):
    with pytest.raises(ValueError, match="width"):
        pp.params(t)
    with pytest.raises(ValueError, match="width"):
        pp.optimized(t)


@pytest.mark.parametrize(
    ("inputs", "expected"), VECTORS, ids=[f"{len(v)}-inputs" for v, _ in VECTORS]
)
def test_circomlib_vectors(inputs, expected):
    assert ref.poseidon(inputs) == expected
    assert pp.permute_optimized([0, *inputs])[0] == expected


def test_vector_wrong_input_gives_another_hash():
    inputs, expected = VECTORS[1]
    assert ref.poseidon([2, 1]) != expected
    assert ref.poseidon([1, 2, 0]) != expected  # width matters: no padding equivalence


# --- the generator and the committed table -----------------------------------


def test_generator_reproduces_the_table(generated):
    assert sorted(generated) == list(pp.WIDTHS)
    for t, (rc, mds) in generated.items():
        p = pp.params(t)
        assert tuple(map(tuple, rc)) == p.round_constants, f"round constants, t = {t}"
        assert tuple(map(tuple, mds)) == p.mds, f"MDS matrix, t = {t}"


def test_generator_writes_the_committed_bytes(gen, tmp_path, capsys):
    out = tmp_path / "table.bin"
    assert gen.main(["--output", str(out)]) == 0
    assert out.read_bytes() == committed_table()
    assert blake3(out.read_bytes()).hexdigest() == pp.TABLE_BLAKE3
    assert gen.main(["--check", "--output", str(out)]) == 0
    out.write_bytes(out.read_bytes()[:-1] + b"\0")
    assert gen.main(["--check", "--output", str(out)]) == 1
    assert "DIFFERS" in capsys.readouterr().out


def naive_grain(seed: list[int], count: int) -> list[int]:
    """The LFSR of the paper one bit at a time, on a list: the oracle of the fast one."""
    b = list(seed)

    def step() -> int:
        bit = b[62] ^ b[51] ^ b[38] ^ b[23] ^ b[13] ^ b[0]
        b.pop(0)
        b.append(bit)
        return bit

    for _ in range(160):
        step()
    out = []
    while len(out) < count:
        first, second = step(), step()
        if first:
            out.append(second)
    return out


@pytest.mark.parametrize("t", [2, 3, 17])
def test_fast_grain_equals_bit_by_bit(gen, t):
    seed = gen.seed_bits(1, 0, 254, t, 8, pp.PARTIAL_ROUNDS[t - 2])
    expected = naive_grain(seed, 5000)
    fast = gen.Grain(seed)
    got = list(fast.bits(1234)) + list(fast.bits(3766))
    assert got == expected
    again = gen.Grain(seed)
    assert again.integer(254) == int("".join(map(str, expected[:254])), 2)


def test_seed_bits_layout(gen):
    seed = gen.seed_bits(1, 0, 254, 3, 8, 57)
    text = "".join(map(str, seed))
    assert (
        text == "01" + "0000" + f"{254:012b}" + f"{3:012b}" + f"{8:010b}" + f"{57:010b}" + "1" * 30
    )
    with pytest.raises(ValueError):
        gen.seed_bits(1, 0, 254, 1 << 12, 8, 57)
    with pytest.raises(ValueError):
        gen.Grain([1] * 79)


def test_generator_rejects_other_widths(gen):
    for t in (1, 18):
        with pytest.raises(ValueError, match="width"):
            gen.generate(t)


def test_table_round_trip_and_size():
    data = committed_table()
    table = pp.decode_table(data)
    assert sorted(table) == list(pp.WIDTHS)
    again = pp.encode_table(
        (p.t, p.full_rounds, p.partial_rounds, p.round_constants, p.mds) for p in table.values()
    )
    assert again == data
    elements = sum(p.rounds * p.t + p.t * p.t for p in table.values())
    assert len(data) == 48 + 8 * 16 + 32 * elements + 32


def _rechecksum(body: bytes) -> bytes:
    return body + blake3(body).digest()


def test_table_rejects_damage():
    data = committed_table()
    body = data[:-32]
    with pytest.raises(ValueError, match="checksum"):
        pp.decode_table(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    with pytest.raises(ValueError, match="truncated"):
        pp.decode_table(data[:40])
    with pytest.raises(ValueError, match="header says"):
        pp.decode_table(_rechecksum(body[:-32]))
    with pytest.raises(ValueError, match="version"):
        pp.decode_table(_rechecksum(b"POUWPSDX" + body[8:]))
    with pytest.raises(ValueError, match="another field"):
        other = (R + 2).to_bytes(32, "big")
        pp.decode_table(_rechecksum(body[:16] + other + body[48:]))
    with pytest.raises(ValueError, match="not below r"):
        start = 48 + 8 * 16
        pp.decode_table(_rechecksum(body[:start] + R.to_bytes(32, "big") + body[start + 32 :]))


def test_encode_table_rejects_bad_entries():
    p = pp.params(2)
    with pytest.raises(ValueError, match="round constants"):
        pp.encode_table([(2, 8, 56, p.round_constants[:-1], p.mds)])
    with pytest.raises(ValueError, match="MDS"):
        pp.encode_table([(2, 8, 56, p.round_constants, p.mds[:1])])
    bad = ((R, 0),) + p.round_constants[1:]
    with pytest.raises(ValueError, match="not a field element"):
        pp.encode_table([(2, 8, 56, bad, p.mds)])


def test_header_layout():
    data = committed_table()
    magic, version, count, size, alpha = struct.unpack_from("<8sHHHH", data, 0)
    assert (magic, version, count, size, alpha) == (b"POUWPSDN", 1, 16, 32, 5)
    assert int.from_bytes(data[16:48], "big") == R
    assert struct.unpack_from("<HHHH", data, 48) == (2, 8, 56, 0)


# --- the optimised form ------------------------------------------------------


@pytest.mark.parametrize("t", list(pp.WIDTHS))
def test_optimized_equals_textbook(t):
    rng = random.Random(1000 + t)
    o = pp.optimized(t)
    f = o.full_rounds // 2
    assert len(o.initial) == len(o.pre_partial) == t
    assert len(o.full_first) == len(o.full_last) == f - 1
    assert len(o.partial) == len(o.sparse_row) == len(o.sparse_col) == o.partial_rounds
    assert {len(r) for r in o.sparse_row} == {t} and {len(c) for c in o.sparse_col} == {t - 1}
    assert all(row[0] == o.mds[0][0] for row in o.sparse_row)
    assert o.dense[0] == o.mds[0]
    assert len(o.flat_round_constants()) == t * o.full_rounds + o.partial_rounds
    assert len(o.flat_sparse()) == o.partial_rounds * (2 * t - 1)
    states = [[0] * t, [R - 1] * t] + [random_inputs(t, rng) for _ in range(6)]
    for state in states:
        assert pp.permute_optimized(state) == ref.permute(state)


def test_optimized_sensitive_to_each_kind_of_constant(monkeypatch):
    t = 3
    o = pp.optimized(t)
    state = [0, 1, 2]
    good = ref.permute(state)
    changes = {
        "partial": (o.partial[0] + 1,) + o.partial[1:],
        "pre_partial": ((o.pre_partial[0] + 1) % R,) + o.pre_partial[1:],
        "sparse_col": ((o.sparse_col[0][0] + 1, *o.sparse_col[0][1:]),) + o.sparse_col[1:],
    }
    for name, value in changes.items():
        bent = dataclasses.replace(o, **{name: value})
        monkeypatch.setattr(pp, "optimized", lambda _t, bent=bent: bent)
        assert pp.permute_optimized(state) != good, name
    monkeypatch.undo()
    assert pp.permute_optimized(state) == good


def test_permute_optimized_rejects_non_elements():
    with pytest.raises(ValueError):
        pp.permute_optimized([0, R])
    with pytest.raises(ValueError):
        pp.permute_optimized([0] * 18)


def test_limbs():
    values = [0, 1, R - 1, 2**64 + 3]
    arr = pp.limbs(values)
    assert arr.dtype == np.uint64 and arr.shape == (4, 4) and arr.flags.c_contiguous
    back = [sum(int(w) << (64 * k) for k, w in enumerate(row)) for row in arr]
    assert back == values
    assert arr[3].tolist() == [3, 1, 0, 0]
    with pytest.raises(ValueError):
        pp.limbs([R])


# --- the reference oracle's validation ---------------------------------------


def test_reference_input_count():
    with pytest.raises(ValueError, match="1..16"):
        ref.poseidon([])
    with pytest.raises(ValueError, match="1..16"):
        ref.poseidon([1] * 17)
    assert ref.poseidon([7] * 16) == pp.permute_optimized([0] + [7] * 16)[0]


@pytest.mark.parametrize("bad", [R, R + 1, -1, 2**256])
def test_reference_rejects_out_of_range(bad):
    with pytest.raises(ValueError, match=r"\[0, r\)"):
        ref.poseidon([1, bad])
    with pytest.raises(ValueError):
        ref.permute([0, bad])


@pytest.mark.parametrize("bad", [1.0, "1", b"\x01", None, True])
def test_reference_rejects_non_integers(bad):
    with pytest.raises(TypeError):
        ref.poseidon([bad])


def test_reference_accepts_integer_likes():
    assert ref.poseidon([np.uint64(1), 2]) == VECTORS[1][1]
    assert ref.poseidon((1, 2)) == VECTORS[1][1]


def test_reference_batch():
    rng = random.Random(5)
    a, b = random_inputs(5, rng), random_inputs(5, rng)
    assert ref.poseidon_batch([a, b]) == [ref.poseidon([x, y]) for x, y in zip(a, b, strict=True)]
    with pytest.raises(ValueError, match="same length"):
        ref.poseidon_batch([a, b[:-1]])
    with pytest.raises(ValueError, match="1..16"):
        ref.poseidon_batch([])
    with pytest.raises(ValueError):
        ref.poseidon_batch([[R], [0]])


# --- an independent implementation: light-poseidon ---------------------------


def _light_poseidon():
    try:
        import light_poseidon_python
    except ImportError as exc:
        pytest.skip(f"light-poseidon is not installed (pip install light-poseidon): {exc}")
    return light_poseidon_python


def _light_hash(lp, inputs):
    return int(lp.poseidon_hash_bytes([x.to_bytes(32, "big") for x in inputs]), 16)


def test_light_poseidon_agrees():
    lp = _light_poseidon()
    rng = random.Random(2024)
    supported = []
    for n in range(1, 17):
        try:
            _light_hash(lp, [1] * n)
        except ValueError:
            continue
        supported.append(n)
        cases = [[0] * n, [1] * n, [R - 1] * n] + [random_inputs(n, rng) for _ in range(4)]
        for inputs in cases:
            expected = _light_hash(lp, inputs)
            assert ref.poseidon(inputs) == expected, (n, inputs)
            assert pp.permute_optimized([0, *inputs])[0] == expected, (n, inputs)
    assert set(range(1, 13)) <= set(supported)  # t = 2..13


def test_light_poseidon_rejects_what_the_reference_rejects():
    lp = _light_poseidon()
    with pytest.raises(ValueError):
        lp.poseidon_hash_bytes([R.to_bytes(32, "big")])
    with pytest.raises(ValueError):
        ref.poseidon([R])
