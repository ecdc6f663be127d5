"""The Merkle kernels (csrc/pw_hash.h, csrc/pw_fold_simd.h on every fold kernel this
host runs, csrc/pw_smt.h) against the blake3 package and a dense pure-Python tree."""

from __future__ import annotations

import os
import random

import blake3
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pouw import merkle
from pouw._native import merkle as native_merkle
from pouw._reference import merkle as ref

U64 = st.integers(0, (1 << 64) - 1)


def test_keys_match_their_definition():
    assert blake3.blake3(b"pouw.merkle.leaf.v1").digest() == merkle.K_LEAF
    assert blake3.blake3(b"pouw.merkle.node.v1").digest() == merkle.K_NODE


@given(st.binary(min_size=32, max_size=32), U64, U64)
def test_leaf_hash_is_keyed_blake3(owner, balance, nonce):
    data = owner + balance.to_bytes(8, "little") + nonce.to_bytes(8, "little")
    expected = blake3.blake3(data, key=merkle.K_LEAF).digest()
    if owner == bytes(32) and balance == 0 and nonce == 0:
        expected = bytes(32)
    assert merkle.leaf_hash(owner, balance, nonce) == expected


@pytest.mark.parametrize(
    ("owner", "balance", "nonce"),
    [
        (bytes(32), 0, 0),
        (bytes(32), 1, 0),
        (bytes(32), 0, 1),
        (b"\x01" + bytes(31), 0, 0),
        (bytes(31) + b"\x80", 0, 0),
        (b"\xff" * 32, (1 << 64) - 1, (1 << 64) - 1),
    ],
)
def test_leaf_hash_edges(owner, balance, nonce):
    assert merkle.leaf_hash(owner, balance, nonce) == ref.leaf_hash(owner, balance, nonce)
    assert (merkle.leaf_hash(owner, balance, nonce) == bytes(32)) == (
        owner == bytes(32) and balance == nonce == 0
    )


@given(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32))
def test_node_hash_is_keyed_blake3(left, right):
    assert merkle.node_hash(left, right) == blake3.blake3(left + right, key=merkle.K_NODE).digest()
    if left != right:
        assert merkle.node_hash(left, right) != merkle.node_hash(right, left)


@pytest.mark.parametrize(
    "bad",
    [
        lambda: merkle.leaf_hash(bytes(31), 0, 0),
        lambda: merkle.leaf_hash(bytes(32), -1, 0),
        lambda: merkle.leaf_hash(bytes(32), 0, 1 << 64),
        lambda: merkle.node_hash(bytes(32), bytes(33)),
        lambda: merkle.node_hash(bytearray(32), bytes(32)),
        lambda: merkle.SparseMerkleTree(0),
        lambda: merkle.SparseMerkleTree(33),
        lambda: merkle.zero_hashes(-1),
    ],
)
def test_bad_inputs_raise_value_error(bad):
    with pytest.raises(ValueError):
        bad()


def test_zero_hashes():
    z = merkle.zero_hashes(32)
    assert z == ref.zero_hashes(32)
    assert len(z) == 33 and z[0] == bytes(32)
    for level in range(32):
        assert z[level + 1] == merkle.node_hash(z[level], z[level])
    for depth in (1, 5, 20, 32):
        assert merkle.SparseMerkleTree(depth).root == z[depth]


class DenseTree:
    """Every node materialised: levels[l] is a list of 2^(depth-l) hashes."""

    def __init__(self, depth: int):
        self.depth = depth
        self.leaves = [bytes(32)] * (1 << depth)

    def levels(self) -> list[list[bytes]]:
        out = [self.leaves]
        while len(out[-1]) > 1:
            prev = out[-1]
            out.append([ref.node_hash(prev[2 * i], prev[2 * i + 1]) for i in range(len(prev) // 2)])
        return out

    def root(self) -> bytes:
        return self.levels()[-1][0]

    def path(self, index: int) -> bytes:
        lv = self.levels()
        return b"".join(lv[level][(index >> level) ^ 1] for level in range(self.depth))


@pytest.mark.parametrize("depth", [1, 2, 4, 6])
def test_tree_matches_a_dense_tree(depth):
    rng = random.Random(depth)
    tree, dense = merkle.SparseMerkleTree(depth), DenseTree(depth)
    for _ in range(3 * (1 << depth)):
        i = rng.randrange(1 << depth)
        leaf = bytes(32) if rng.random() < 0.3 else rng.randbytes(32)
        path, root = tree.update_leaf(i, leaf)
        assert path == dense.path(i)  # the siblings do not depend on the leaf itself
        dense.leaves[i] = leaf
        assert root == tree.root == dense.root()
        j = rng.randrange(1 << depth)
        assert tree.path(j) == dense.path(j)
        assert tree.get_leaf_hash(j) == dense.leaves[j]
        assert merkle.fold_path(dense.leaves[j], j, tree.path(j), depth) == tree.root


def test_path_folding_and_its_reject_twin():
    rng = random.Random(7)
    tree = merkle.SparseMerkleTree(20)
    for _ in range(50):
        tree.set_leaf(rng.randrange(1 << 20), rng.randbytes(32))
    i = rng.randrange(1 << 20)
    leaf = rng.randbytes(32)
    tree.set_leaf(i, leaf)
    path = tree.path(i)
    assert merkle.fold_path(leaf, i, path, 20) == tree.root == ref.fold_path(leaf, i, path, 20)
    assert merkle.fold_path(leaf, i ^ 1, path, 20) != tree.root  # wrong side
    assert merkle.fold_path(rng.randbytes(32), i, path, 20) != tree.root  # wrong leaf
    bad = bytearray(path)
    bad[100] ^= 1
    assert merkle.fold_path(leaf, i, bytes(bad), 20) != tree.root  # tampered sibling
    with pytest.raises(ValueError):
        merkle.fold_path(leaf, 1 << 20, path, 20)
    with pytest.raises(ValueError):
        merkle.fold_path(leaf, i, path[:-1], 20)


def test_incremental_equals_from_scratch_and_reference():
    rng = random.Random(3)
    writes = [(rng.randrange(1 << 20), rng.randbytes(32)) for _ in range(300)]
    writes += [(i, bytes(32)) for i, _ in writes[:100]]  # some back to empty
    inc, oracle = merkle.SparseMerkleTree(20), ref.SparseMerkleTree(20)
    final: dict[int, bytes] = {}
    for i, leaf in writes:
        assert inc.update_leaf(i, leaf) == oracle.update_leaf(i, leaf)
        final[i] = leaf
    scratch = merkle.SparseMerkleTree(20)
    for i in sorted(final):
        scratch.set_leaf(i, final[i])
    assert inc.root == scratch.root == oracle.root
    assert inc.node_count == scratch.node_count == oracle.node_count  # only non-empty nodes


def test_set_leaves_bulk_equals_one_by_one():
    rng = random.Random(5)
    leaves = [rng.randbytes(32) for _ in range(77)]
    bulk, single = merkle.SparseMerkleTree(10), merkle.SparseMerkleTree(10)
    single.set_leaf(3, rng.randbytes(32))
    bulk.set_leaf(3, single.get_leaf_hash(3))
    bulk.set_leaves(40, b"".join(leaves))
    for k, leaf in enumerate(leaves):
        single.set_leaf(40 + k, leaf)
    assert bulk.root == single.root and bulk.node_count == single.node_count
    with pytest.raises(ValueError):
        bulk.set_leaves(1000, bytes(32 * 30))  # runs past 2^10


def test_empty_tree_stores_nothing_and_copy_is_independent():
    tree = merkle.SparseMerkleTree(20)
    tree.set_leaf(5, b"\x01" * 32)
    copy = tree.copy()
    tree.set_leaf(5, bytes(32))
    assert tree.node_count == 0 and tree.root == merkle.zero_hashes(20)[20]
    assert copy.get_leaf_hash(5) == b"\x01" * 32 and copy.root != tree.root


@pytest.mark.parametrize("index", [-1, 1 << 20, 2**40, 1.0, "3"])
def test_index_out_of_range(index):
    tree = merkle.SparseMerkleTree(20)
    for call in (tree.get_leaf_hash, tree.path, lambda i: tree.set_leaf(i, bytes(32))):
        with pytest.raises(ValueError):
            call(index)


def test_depth_32_extremes():
    tree = merkle.SparseMerkleTree(32)
    top = (1 << 32) - 1
    path, root = tree.update_leaf(top, b"\x07" * 32)
    assert merkle.fold_path(b"\x07" * 32, top, path, 32) == root
    assert ref.fold_path(b"\x07" * 32, top, path, 32) == root


# --- many folds at once (csrc/pw_fold_simd.h), on every kernel this host runs -----


LEVELS = native_merkle.simd_levels()


@pytest.fixture(params=LEVELS)
def simd(request):
    """Force one fold kernel for the test (the package's level: the checker's too)."""
    before = native_merkle.simd_level()
    native_merkle._set_simd_level(request.param)
    yield request.param
    native_merkle._set_simd_level(before)


def random_folds(rng: random.Random, n: int, depth: int):
    import numpy as np

    leaves = rng.randbytes(32 * n)
    indexes = np.array([rng.randrange(1 << depth) for _ in range(n)], dtype=np.uint32)
    paths = rng.randbytes(32 * depth * n)
    return leaves, indexes, paths


def test_simd_levels_are_known_and_scalar_always_runs():
    assert LEVELS[0] == "scalar" and set(LEVELS) <= {"scalar", "avx2", "avx512"}
    assert native_merkle.simd_level() in LEVELS
    import platform

    if platform.machine().lower() not in ("x86_64", "amd64"):
        assert LEVELS == ("scalar",)


@pytest.mark.parametrize("depth", range(1, 33))
def test_fold_many_equals_fold_path_and_blake3(simd, depth):
    rng = random.Random(depth)
    # lane counts around every batch size: 8 and 16 lanes, two batches interleaved
    for n in (0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 47, 50):
        leaves, indexes, paths = random_folds(rng, n, depth)
        roots = native_merkle.fold_many(leaves, indexes, paths, depth)
        assert len(roots) == 32 * n
        for j in range(n):
            leaf, path = leaves[32 * j : 32 * j + 32], paths[32 * depth * j : 32 * depth * (j + 1)]
            want = merkle.fold_path(leaf, int(indexes[j]), path, depth)
            assert roots[32 * j : 32 * j + 32] == want, (simd, depth, n, j)
            if j < 3:  # the blake3 package, independently
                assert want == ref.fold_path(leaf, int(indexes[j]), path, depth)


def test_fold_many_edges(simd):
    import numpy as np

    # extreme indexes (all bits set / none) and repeated lanes at depth 32
    rng = random.Random(32)
    n = 19
    leaves = rng.randbytes(32 * n)
    paths = rng.randbytes(32 * 32 * n)
    indexes = np.array([0, (1 << 32) - 1] * 9 + [1 << 31], dtype=np.uint32)
    roots = native_merkle.fold_many(leaves, indexes, paths, 32)
    for j in range(n):
        path = paths[1024 * j : 1024 * (j + 1)]
        assert roots[32 * j : 32 * j + 32] == ref.fold_path(
            leaves[32 * j : 32 * j + 32], int(indexes[j]), path, 32
        )
    # a real tree: every leaf's fold is the root
    tree = merkle.SparseMerkleTree(20)
    idx = sorted({rng.randrange(1 << 20) for _ in range(40)})
    for i in idx:
        tree.set_leaf(i, rng.randbytes(32))
    got = native_merkle.fold_many(
        b"".join(tree.get_leaf_hash(i) for i in idx),
        np.array(idx, dtype=np.uint32),
        b"".join(tree.path(i) for i in idx),
        20,
    )
    assert got == tree.root * len(idx)
    # the reject twin: one flipped sibling bit changes exactly that lane's root
    bad = bytearray(b"".join(tree.path(i) for i in idx))
    bad[640 * 5 + 32 * 19] ^= 1
    got = native_merkle.fold_many(
        b"".join(tree.get_leaf_hash(i) for i in idx), np.array(idx, dtype=np.uint32), bytes(bad), 20
    )
    assert [got[32 * j : 32 * j + 32] == tree.root for j in range(len(idx))] == [
        j != 5 for j in range(len(idx))
    ]


def test_fold_many_rejects_bad_input():
    import numpy as np

    one = np.zeros(1, dtype=np.uint32)
    for call in (
        lambda: native_merkle.fold_many(bytes(32), one, bytes(32 * 20), 0),
        lambda: native_merkle.fold_many(bytes(32), one, bytes(32 * 20), 33),
        lambda: native_merkle.fold_many(bytes(31), one, bytes(32 * 20), 20),
        lambda: native_merkle.fold_many(bytes(32), one, bytes(32 * 19), 20),
        lambda: native_merkle.fold_many(bytes(32), np.array([1 << 20], np.uint32), bytes(640), 20),
        lambda: native_merkle._set_simd_level("sse9"),
    ):
        with pytest.raises(ValueError):
            call()
    with pytest.raises((ValueError, TypeError)):
        native_merkle.fold_many(bytes(32), np.zeros(1, dtype=np.uint64), bytes(640), 20)


def test_no_simd_env_forces_scalar():
    import subprocess
    import sys

    code = "from pouw._native import merkle; print(merkle.simd_level())"
    env = dict(os.environ, POUW_PORTABLE="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "scalar"
