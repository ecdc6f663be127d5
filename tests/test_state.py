"""AccountState: genesis, accounts against their Merkle leaves, supply bounds, copies."""

from __future__ import annotations

import pytest
from blake3 import blake3

from pouw import merkle
from pouw._reference import merkle as ref
from pouw.node.state import (
    DEFAULT_ACCOUNTS,
    DEFAULT_BALANCE,
    Account,
    AccountState,
    genesis_owner,
)


def test_genesis_matches_a_reference_tree():
    st = AccountState.genesis(37, 500, seed=9, depth=8)
    tree = ref.SparseMerkleTree(8)
    for i in range(37):
        owner = blake3(b"pouw.genesis.v1" + (9).to_bytes(8, "little") + i.to_bytes(4, "little"))
        assert genesis_owner(9, i) == owner.digest()
        tree.set_leaf(i, ref.leaf_hash(owner.digest(), 500, 0))
        assert st.get(i) == Account(owner.digest(), 500, 0)
    assert st.root == tree.root and len(st) == 37 and st.total_supply == 37 * 500
    assert st.get(37).is_empty and st.leaf_hash(37) == bytes(32)
    assert merkle.fold_path(st.leaf_hash(5), 5, st.path(5), 8) == st.root


def test_genesis_defaults_and_determinism():
    a, b = AccountState.genesis(), AccountState.genesis()
    assert a.root == b.root and len(a) == DEFAULT_ACCOUNTS
    assert a.get(0).balance == DEFAULT_BALANCE and a.depth == 20
    assert AccountState.genesis(seed=1).root != a.root
    assert AccountState(20).root == merkle.zero_hashes(20)[20]
    assert AccountState.genesis(0).root == merkle.zero_hashes(20)[20]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_accounts": 2, "balance": 1 << 62},  # supply 2^63
        {"n_accounts": 17, "depth": 4},  # does not fit
        {"n_accounts": -1},
        {"balance": -5},
        {"depth": 0},
        {"depth": 33},
    ],
)
def test_genesis_rejects(kwargs):
    with pytest.raises(ValueError):
        AccountState.genesis(**kwargs)


def test_genesis_accepts_the_largest_supply():
    st = AccountState.genesis(1, (1 << 63) - 1, depth=4)
    assert st.total_supply == (1 << 63) - 1


def test_set_keeps_supply_and_tree():
    st = AccountState.genesis(4, 100, depth=6)
    st.set(10, Account(b"\x02" * 32, 7, 3))
    assert st.get(10) == Account(b"\x02" * 32, 7, 3) and st.total_supply == 407
    assert st.leaf_hash(10) == merkle.leaf_hash(b"\x02" * 32, 7, 3)
    assert merkle.fold_path(st.leaf_hash(10), 10, st.path(10), 6) == st.root
    before = st.root
    with pytest.raises(ValueError):
        st.set(11, Account(b"\x01" * 32, (1 << 63) - 407, 0))  # supply would reach 2^63
    assert st.root == before and st.get(11).is_empty
    st.set(10, Account(bytes(32), 0, 0))  # back to empty
    assert len(st) == 4 and st.total_supply == 400
    assert st.root == AccountState.genesis(4, 100, depth=6).root
    with pytest.raises(ValueError):
        st.get(64)
    with pytest.raises(ValueError):
        st.set(0, Account(b"\x01" * 31, 1, 0))


def test_copy_is_independent():
    st = AccountState.genesis(10, 1000, depth=10)
    snap = st.copy()
    st.set(3, Account(b"\x09" * 32, 1, 1))
    assert snap.get(3).balance == 1000 and snap.root != st.root
    assert snap.root == AccountState.genesis(10, 1000, depth=10).root
