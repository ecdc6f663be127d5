"""pouw's own key file: a saved key loads back equal and proves; a corrupt,
truncated or foreign file is refused by its digest, magic or version."""

from __future__ import annotations

import random
import struct

import numpy as np
import pytest

from groth16_support import PUBLIC, VECTORS, WITNESS, chain
from pouw.errors import ProofError
from pouw.zk.formats import read_zkey
from pouw.zk.groth16 import load_proving_key, prove, save_proving_key, setup, verify
from pouw.zk.groth16.keyfile import MAGIC


@pytest.fixture(scope="module")
def keys():
    r1cs, w = chain(12)
    pk, vk = setup(r1cs, rng=random.Random(3))
    return pk, vk, w


def _same(pk, back):
    assert back.vk == pk.vk
    assert (back.n_wires, back.n_public, back.domain_size) == (
        pk.n_wires,
        pk.n_public,
        pk.domain_size,
    )
    assert (back.beta_g1, back.delta_g1) == (pk.beta_g1, pk.delta_g1)
    for name in ("a_query", "b_g1_query", "b_g2_query", "c_query", "h_query"):
        assert getattr(back, name) == getattr(pk, name)
    for name in ("a", "b", "c"):
        m, n = getattr(pk, name), getattr(back, name)
        if m is None:
            assert n is None
            continue
        assert np.array_equal(m.row_ptr, n.row_ptr) and np.array_equal(m.cols, n.cols)
        assert m.values == n.values


def test_round_trip_proves_and_verifies(keys, tmp_path):
    pk, vk, w = keys
    path = tmp_path / "k.pkey"
    save_proving_key(pk, path)
    back = load_proving_key(path)
    _same(pk, back)
    assert verify(vk, w[1:3], prove(back, w))
    bad = list(w)
    bad[4] += 1
    with pytest.raises(ProofError, match="violates constraint"):
        prove(back, bad)  # C survives the round trip


def test_round_trip_of_a_zkey_import(tmp_path):
    pk, vk = read_zkey(VECTORS / "mul.zkey")
    save_proving_key(pk, tmp_path / "mul.pkey")
    back = load_proving_key(tmp_path / "mul.pkey")
    _same(pk, back)
    assert back.c is None
    assert verify(vk, PUBLIC, prove(back, WITNESS))


def test_loaded_arrays_are_read_only_views(keys, tmp_path):
    pk, _, _ = keys
    save_proving_key(pk, tmp_path / "k.pkey")
    back = load_proving_key(tmp_path / "k.pkey")
    assert not back.a_query.montgomery.flags.writeable
    assert not back.a.values.montgomery.flags.writeable


@pytest.fixture
def saved(keys, tmp_path) -> bytes:
    save_proving_key(keys[0], tmp_path / "k.pkey")
    return (tmp_path / "k.pkey").read_bytes()


def _load(tmp_path, data: bytes):
    p = tmp_path / "bad.pkey"
    p.write_bytes(data)
    return load_proving_key(p)


@pytest.mark.parametrize("where", [20, 48, 60, 5000, -1])
def test_a_flipped_byte_is_refused(saved, tmp_path, where):
    data = bytearray(saved)
    data[where] ^= 0x40
    with pytest.raises(ProofError, match="digest"):
        _load(tmp_path, bytes(data))


@pytest.mark.parametrize("cut", [0, 10, 47, 48, 1000, -1])
def test_a_truncated_file_is_refused(saved, tmp_path, cut):
    with pytest.raises(ProofError):
        _load(tmp_path, saved[:cut] if cut >= 0 else saved[:-1])


def test_foreign_file_and_other_version_are_refused(saved, tmp_path):
    with pytest.raises(ProofError, match="magic"):
        _load(tmp_path, b"NOTAKEY!" + saved[8:])
    with pytest.raises(ProofError, match="version 2"):
        _load(tmp_path, MAGIC + struct.pack("<I", 2) + saved[12:])
    with pytest.raises(ProofError, match="magic"):
        _load(tmp_path, (VECTORS / "mul.zkey").read_bytes())


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(ProofError, match="cannot read"):
        load_proving_key(tmp_path / "absent.pkey")


def test_save_replaces_atomically(keys, tmp_path):
    pk, _, _ = keys
    path = tmp_path / "k.pkey"
    path.write_bytes(b"old")
    save_proving_key(pk, path)
    assert load_proving_key(path).vk == pk.vk
    assert [p.name for p in tmp_path.iterdir()] == ["k.pkey"]  # no temporary left behind


# ---------------------------------------------------------------- fixed-base MSM tables


def test_tables_are_saved_and_give_the_same_proofs(keys, tmp_path):
    import dataclasses

    from pouw.zk.groth16.tables import msm_tables

    pk, vk, w = keys
    plain = dataclasses.replace(pk, cache={})
    save_proving_key(plain, tmp_path / "t.pkey")
    back = load_proving_key(tmp_path / "t.pkey")
    assert set(msm_tables(back)) == {"b_g2_query", "h_query", "a_query", "b_g1_query", "c_query"}
    # Same randomness, with and without tables: the same proof, bit for bit.
    without = dataclasses.replace(pk, cache={})
    assert prove(back, w, rng=random.Random(4)) == prove(without, w, rng=random.Random(4))
    assert verify(vk, w[1:3], prove(back, w))


def test_no_tables_when_asked_or_over_budget(keys, tmp_path):
    import dataclasses

    from pouw.zk.groth16.tables import msm_tables, precompute_msm_tables

    pk, _, _ = keys
    save_proving_key(dataclasses.replace(pk, cache={}), tmp_path / "n.pkey", msm_table_bytes=0)
    assert msm_tables(load_proving_key(tmp_path / "n.pkey")) == {}
    tiny = dataclasses.replace(pk, cache={})
    assert precompute_msm_tables(tiny, max_bytes=1000) == 0
    assert msm_tables(tiny) == {}


def _rewrite_header(data: bytes, edit) -> bytes:
    """The file with its JSON header edited by ``edit`` and a fresh digest (a
    consistent-looking but wrong file: what the shape checks must catch)."""
    import json

    import blake3

    hlen = struct.unpack("<I", data[12:16])[0]
    meta = json.loads(data[48 : 48 + hlen])
    edit(meta)
    header = json.dumps(meta, sort_keys=True).encode().ljust(hlen)
    body = header + data[48 + len(header) :]  # the header region has room to spare
    return data[:12] + struct.pack("<I", len(header)) + blake3.blake3(body).digest() + body


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m["msm_windows"].update(a_query=m["msm_windows"]["a_query"] - 1),
        lambda m: m["msm_windows"].update(a_query=99),
        lambda m: m["msm_windows"].update(no_such_query=3),
        lambda m: m["arrays"]["a_query"].update(shape=[1, 8]),
        lambda m: m["arrays"]["a_cols"].update(offset=m["arrays"]["a_cols"]["offset"] + 8),
        lambda m: m["arrays"]["h_query"].update(offset=1 << 40),
        lambda m: m["arrays"]["h_query"].update(dtype="<f8"),
        lambda m: m.update(n_public=m["n_public"] + 1),
        lambda m: m.pop("arrays"),
        # a shape whose product wraps around in int64 (2^68 -> 0): refused, not reshaped
        lambda m: m["arrays"]["h_query"].update(shape=[1 << 32, 1 << 32, 16]),
        lambda m: m["arrays"]["h_query"].update(shape=[-8, -8]),
        lambda m: m.update(arrays=[1, 2]),
        lambda m: m["arrays"].update(h_query=[1]),
    ],
)
def test_inconsistent_header_is_refused(saved, tmp_path, edit):
    with pytest.raises(ProofError):
        _load(tmp_path, _rewrite_header(saved, edit))


# ---------------------------------------------------------------- the .zkey import cache


def test_zkey_is_imported_once_then_loaded_from_the_cache(tmp_path, monkeypatch):
    import pouw.zk.formats.zkey as zkey_module
    from pouw.zk.groth16 import load_zkey_cached

    zkey = tmp_path / "mul.zkey"
    zkey.write_bytes((VECTORS / "mul.zkey").read_bytes())
    cache = tmp_path / "cache"
    pk = load_zkey_cached(zkey, cache)
    assert len(list(cache.iterdir())) == 1
    calls = []
    real = zkey_module.read_zkey
    monkeypatch.setattr(zkey_module, "read_zkey", lambda *a, **k: calls.append(a) or real(*a, **k))
    again = load_zkey_cached(zkey, cache)
    assert calls == [] and again.vk == pk.vk  # from the key file, no re-validation
    assert verify(pk.vk, PUBLIC, prove(again, WITNESS))


def test_changed_or_damaged_inputs_are_imported_afresh(tmp_path):
    from pouw.zk.groth16 import load_zkey_cached

    zkey = tmp_path / "mul.zkey"
    data = (VECTORS / "mul.zkey").read_bytes()
    zkey.write_bytes(data)
    cache = tmp_path / "cache"
    load_zkey_cached(zkey, cache)
    (entry,) = cache.iterdir()
    entry.write_bytes(entry.read_bytes()[:-5])  # damaged entry: re-imported, replaced
    assert load_zkey_cached(zkey, cache).vk == read_zkey(data)[1]
    assert load_proving_key(entry).vk == read_zkey(data)[1]
    # A changed zkey (here: corrupt) is not served from the cache: it is validated and refused.
    zkey.write_bytes(data[:-1])
    with pytest.raises(ProofError):
        load_zkey_cached(zkey, cache)
    with pytest.raises(ProofError, match="cannot read"):
        load_zkey_cached(tmp_path / "absent.zkey", cache)
