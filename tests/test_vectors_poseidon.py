"""pouw's Poseidon against tests/vectors/poseidon.json.

The file's expected values come from light-poseidon for 1..12 inputs and from
pouw's reference alone for 13..16 (its "source" says why). Every vector is
checked against pouw's textbook reference (pouw._reference.poseidon) and the
optimised form (pouw.zk.poseidon_params.permute_optimized), one by one and as
batches, every rejection with its exact exception type (the native
pouw.zk.poseidon: tests/zk/test_poseidon.py); and the generator is rerun in
memory to show the file is what it writes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from functools import cache
from importlib import resources
from pathlib import Path

import pytest
from blake3 import blake3

from pouw._reference import poseidon as ref
from pouw.zk import field as F
from pouw.zk import poseidon_params as pp

VECTORS = Path(__file__).parent / "vectors"
NAME = "poseidon.json"
ERRORS = {"ValueError": ValueError}
MAX_FILE_BYTES = 80_000
KINDS = ("[1..{n}]", "all 0", "all r-1", "random 1", "random 2")


@cache
def load() -> dict:
    return json.loads((VECTORS / NAME).read_text())


def all_vectors() -> list[dict]:
    return load()["vectors"]


def accepted() -> list[dict]:
    return [v for v in all_vectors() if "reject" not in v]


def rejected() -> list[dict]:
    return [v for v in all_vectors() if "reject" in v]


def ints(v: dict) -> list[int]:
    return [int(x) for x in v["inputs"]]


def rows_by_n() -> dict[int, list[dict]]:
    """The accepted vectors of each input count (one batch each)."""
    groups: dict[int, list[dict]] = defaultdict(list)
    for v in accepted():
        groups[v["n"]].append(v)
    return dict(groups)


def columns(vs: list[dict]) -> list[list[int]]:
    """The batch layout of pouw's poseidon_batch: column j holds input j of every row."""
    return [list(c) for c in zip(*(ints(v) for v in vs), strict=True)]


def optimized_hash(inputs: list[int]) -> int:
    return pp.permute_optimized([0, *inputs])[0]


# ---------------------------------------------------------------- the file itself


def test_file_describes_itself():
    assert (VECTORS / NAME).stat().st_size < MAX_FILE_BYTES
    doc = load()
    assert {"description", "format", "source", "version", "vectors"} <= doc.keys()
    assert isinstance(doc["description"], str) and len(doc["description"]) > 200
    assert all(isinstance(t, str) for t in doc["format"].values())
    assert "make_vectors.py" in doc["source"] and doc["version"] == 1
    assert "of 13..16 inputs rest on pouw's reference alone" in doc["source"]
    names = [v["name"] for v in all_vectors()]
    assert len(names) == len(set(names)), "vector names are unique"
    for v in all_vectors():
        assert v["op"] == "hash" and v["n"] == len(v["inputs"])
        assert all(isinstance(x, str) for x in v["inputs"])
        if "reject" in v:
            assert "expected" not in v and v["pouw_error"] in ERRORS and v["reject"]
        else:
            assert all(0 <= x < F.R for x in ints(v)) and 0 <= int(v["expected"]) < F.R
            assert str(int(v["expected"])) == v["expected"], "canonical decimal strings"
            light = "light-poseidon" if v["n"] <= 12 else "pouw reference"
            assert v["expected_from"] == light, v["name"]


def test_file_covers_every_width():
    names = {v["name"] for v in all_vectors()}
    for n in range(1, 17):
        for kind in KINDS:
            assert f"n={n} {kind.format(n=n)}" in names
    by_name = {v["name"]: v for v in all_vectors()}
    assert ints(by_name["n=16 [1..16]"]) == list(range(1, 17))
    assert ints(by_name["n=9 all r-1"]) == [F.R - 1] * 9
    assert ints(by_name["n=4 all 0"]) == [0] * 4


def test_known_vectors_are_the_published_ones():
    known = {v["name"]: v for v in accepted() if v["name"].startswith("known vector")}
    published = {
        "known vector P([1])": 0x29176100EAA962BDC1FE6C654D6A3C130E96A4D1168B33848B897DC502820133,
        "known vector P([1, 2])": 0x115CC0F5E7D690413DF64C6B9662E9CF2A3617F2743245519E19607A4417189A,
        "known vector P([1, 2, 3])": 0x0E7732D89E6939C0FF03D5E58DAB6302F3230E269DC5B968F725DF34AB36D732,
        "known vector P([1, 2, 0, 0, 0])": 0x024058DD1E168F34BAC462B6FFFE58FD69982807E9884C1C6148182319CEE427,
    }
    assert known.keys() == published.keys()
    for name, value in published.items():
        v = known[name]
        assert ints(v) == [int(x) for x in name[len("known vector P([") : -2].split(", ")]
        assert int(v["expected"]) == value == int(v["published"], 16), name


def test_rejections_cover_the_bounds():
    got = {(v["n"], tuple(v["inputs"][:1])) for v in rejected()}
    assert got == {(0, ()), (17, ("1",)), (1, (str(F.R),)), (1, ("-1",))}


def test_parameters_are_pouws_table():
    doc = load()
    assert doc["moduli"] == {"r": str(F.R)} and pp.R == F.R
    par = doc["parameters"]
    data = resources.files("pouw.zk").joinpath("data", pp.TABLE_NAME).read_bytes()
    assert par["constants_table_blake3"] == pp.TABLE_BLAKE3 == blake3(data).hexdigest()
    assert par["constants_table"] == f"src/pouw/zk/data/{pp.TABLE_NAME}"
    assert (par["sbox"], par["full_rounds"]) == (f"x^{pp.ALPHA}", pp.FULL_ROUNDS)
    assert [w["t"] for w in par["widths"]] == list(pp.WIDTHS)
    for w in par["widths"]:
        p = pp.params(w["t"])
        assert (w["inputs"], w["partial_rounds"]) == (p.t - 1, pp.PARTIAL_ROUNDS[p.t - 2])
        assert w["rc[0][0]"] == str(p.round_constants[0][0])
        assert w["rc[last][t-1]"] == str(p.round_constants[-1][p.t - 1])
        assert (w["mds[0][1]"], w["mds[1][0]"]) == (str(p.mds[0][1]), str(p.mds[1][0]))


# ---------------------------------------------------------------- pouw's reference and optimised form


@pytest.mark.parametrize("v", accepted(), ids=[v["name"] for v in accepted()])
def test_hash_vector(v):
    want = int(v["expected"])
    assert ref.poseidon(ints(v)) == want
    assert optimized_hash(ints(v)) == want


@pytest.mark.parametrize("v", rejected(), ids=[v["name"] for v in rejected()])
def test_rejected_vector(v):
    error = ERRORS[v["pouw_error"]]
    for fn in (ref.poseidon, optimized_hash):
        with pytest.raises(error) as info:
            fn(ints(v))
        assert info.type is error, f"{v['name']}: {fn.__name__} raised {info.type.__name__}"
    with pytest.raises(error) as info:
        ref.poseidon_batch([[x] for x in ints(v)])
    assert info.type is error


def test_reference_batches():
    for n, vs in rows_by_n().items():
        assert ref.poseidon_batch(columns(vs)) == [int(v["expected"]) for v in vs], n


# The native pouw.zk.poseidon is checked against this file, single and batch on
# every multiply backend, by tests/zk/test_poseidon.py.
