"""The Merkle gadgets against a small Poseidon Merkle tree written here over the
textbook Poseidon (the state tree's Poseidon hash is not native yet): roots of
random trees, a wrong sibling or index bit giving another root, non-boolean
bits rejected, and both roots of an update held only by the honest witness."""

from __future__ import annotations

import functools
import random

import pytest

from pouw._reference import poseidon as ref
from pouw.zk import ConstraintSystem, gadgets
from pouw.zk import gadgets_merkle as gm
from pouw.zk.constraint_system import LinearCombination, UnsatisfiedConstraint, Variable
from pouw.zk.field import R


@functools.cache
def node(left: int, right: int) -> int:
    return ref.poseidon([left, right])


class Tree:
    """A sparse Poseidon Merkle tree, the state tree's shape: empty leaf 0,
    ``Z[l + 1] = node(Z[l], Z[l])``, bit ``l`` of an index set when the
    running hash is the right child at level ``l``."""

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.zero = [0]
        for _ in range(depth):
            self.zero.append(node(self.zero[-1], self.zero[-1]))
        self.levels: list[dict[int, int]] = [{} for _ in range(depth + 1)]

    def get(self, level: int, index: int) -> int:
        return self.levels[level].get(index, self.zero[level])

    def path(self, index: int) -> list[int]:
        return [self.get(level, (index >> level) ^ 1) for level in range(self.depth)]

    def set(self, index: int, leaf: int) -> None:
        self.levels[0][index] = h = leaf
        for level, sib in enumerate(self.path(index)):
            i = index >> level
            h = node(sib, h) if i & 1 else node(h, sib)
            self.levels[level + 1][i >> 1] = h

    @property
    def root(self) -> int:
        return self.get(self.depth, 0)


def random_tree(depth: int, rng: random.Random, n_leaves: int = 3) -> Tree:
    tree = Tree(depth)
    for _ in range(n_leaves):
        tree.set(rng.randrange(1 << depth), rng.randrange(1, R))
    return tree


def bits_of(index: int, depth: int) -> list[int]:
    return [(index >> level) & 1 for level in range(depth)]


def path_circuit(
    tree: Tree, index: int
) -> tuple[ConstraintSystem, Variable, list[Variable], list[Variable], LinearCombination]:
    cs = ConstraintSystem()
    leaf = cs.alloc_private(tree.get(0, index), name="leaf")
    bits = [cs.alloc_private(b, name=f"b{i}") for i, b in enumerate(bits_of(index, tree.depth))]
    sibs = [cs.alloc_private(s, name=f"s{i}") for i, s in enumerate(tree.path(index))]
    return cs, leaf, bits, sibs, gm.merkle_root(cs, leaf, bits, sibs, name="m")


def bound(cs: ConstraintSystem, wire: LinearCombination, value: int, name: str) -> None:
    """Make ``wire`` equal a public input holding ``value`` (a verifier's claim)."""
    gadgets.assert_equal(cs, wire, cs.alloc_public(value, name=name), name=name)


# ---------------------------------------------------------------- roots


def test_the_test_tree_is_the_state_trees_shape():
    tree = Tree(2)
    assert tree.root == node(node(0, 0), node(0, 0))
    tree.set(2, 7)  # index 0b10: left child at level 0, right child at level 1
    assert tree.root == node(node(0, 0), node(7, 0))


@pytest.mark.parametrize("depth", range(1, 9))
def test_root_matches_the_tree(depth):
    rng = random.Random(depth)
    tree = random_tree(depth, rng)
    for index in [*tree.levels[0], rng.randrange(1 << depth)][-2:]:  # a set leaf, any leaf
        cs, _, _, _, root = path_circuit(tree, index)
        assert cs.value(root) == tree.root
        cs.check()


def test_a_wrong_sibling_or_a_flipped_bit_gives_another_root():
    tree = random_tree(4, random.Random(1))
    index = next(iter(tree.levels[0]))
    for level in range(4):
        cs, _, bits, sibs, root = path_circuit(tree, index)
        cs.assign(sibs[level], cs.value(sibs[level]) + 1)
        assert cs.value(root) != tree.root
        cs.check()  # the root of that other path, honestly computed
        cs, _, bits, sibs, root = path_circuit(tree, index)
        cs.assign(bits[level], 1 - cs.value(bits[level]))
        assert cs.value(root) != tree.root
        cs.check()


def test_a_claimed_root_holds_only_for_a_true_path():
    tree = random_tree(3, random.Random(2))
    index = next(iter(tree.levels[0]))
    cs, leaf, bits, sibs, root = path_circuit(tree, index)
    bound(cs, root, tree.root, "root")
    cs.check()
    for var in (leaf, bits[1], sibs[2]):
        honest = cs.value(var)
        cs.assign(var, 1 - honest if var is bits[1] else honest + 1)
        with pytest.raises(UnsatisfiedConstraint) as info:
            cs.check()
        assert info.value.name == "root"
        cs.assign(var, honest)
    cs.check()


def test_internal_wires_of_a_path_are_pinned():
    tree = random_tree(2, random.Random(3))
    cs, _, _, sibs, _ = path_circuit(tree, next(iter(tree.levels[0])))
    wires = [v for v in cs.variables() if v.index > sibs[-1].index]
    for w in random.Random(4).sample(wires, 40) + wires[-2:]:
        honest = cs.value(w)
        cs.assign(w, honest + 1)
        assert cs.first_violation() is not None, w
        cs.assign(w, honest)
    cs.check()


# ---------------------------------------------------------------- index bits


def test_a_non_boolean_bit_is_rejected():
    tree = random_tree(3, random.Random(5))
    cs, _, bits, _, _ = path_circuit(tree, 5)
    cs.check()
    cs.assign(bits[1], 2)
    with pytest.raises(UnsatisfiedConstraint) as info:
        cs.check()
    assert info.value.name == "m.bit1"


def test_bits_from_to_bits_need_no_second_booleanity():
    depth, index = 3, 6
    tree = random_tree(depth, random.Random(6))
    cs = ConstraintSystem()
    leaf = cs.alloc_private(tree.get(0, index))
    i = cs.alloc_private(index, name="index")
    sibs = [cs.alloc_private(s) for s in tree.path(index)]
    start = cs.n_constraints
    bits = gadgets.to_bits(cs, i, depth, name="index")
    root = gm.merkle_root(cs, leaf, bits, sibs, bits_are_boolean=True)
    assert cs.n_constraints - start == (depth + 1) + gm.merkle_constraints(
        depth, bits_are_boolean=True
    )
    assert cs.value(root) == tree.root
    cs.check()
    cs.assign(bits[0], 2)  # to_bits' own booleanity catches it
    with pytest.raises(UnsatisfiedConstraint) as info:
        cs.check()
    assert info.value.name == "index.bit0"


def test_constant_bits_cost_neither_booleanity_nor_selector():
    depth, index = 3, 5
    tree = random_tree(depth, random.Random(7))
    cs = ConstraintSystem()
    leaf = cs.alloc_private(tree.get(0, index))
    sibs = [cs.alloc_private(s) for s in tree.path(index)]
    root = gm.merkle_root(cs, leaf, bits_of(index, depth), sibs)
    assert cs.n_constraints == depth * 240
    assert cs.value(root) == tree.root
    cs.check()
    # Constant siblings too (a path through empty subtrees known when building):
    # each hash then has a constant input, three constraints fewer.
    cs = ConstraintSystem()
    leaf = cs.alloc_private(tree.get(0, index))
    root = gm.merkle_root(cs, leaf, bits_of(index, depth), tree.path(index))
    assert cs.n_constraints == depth * 237
    assert cs.value(root) == tree.root
    cs.check()
    with pytest.raises(ValueError, match="index bit 1 is the constant 2"):
        gm.merkle_root(cs, leaf, [0, 2, 1], tree.path(index))


# ---------------------------------------------------------------- counts


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_constraints_per_level(depth):
    cs, _, _, _, _ = path_circuit(Tree(depth), 0)
    assert cs.n_constraints == 242 * depth == gm.merkle_constraints(depth)

    def fresh(
        n_leaves: int,
    ) -> tuple[ConstraintSystem, list[Variable], list[Variable], list[Variable]]:
        cs = ConstraintSystem()
        leaves = [cs.alloc_private(k) for k in range(n_leaves)]
        bits = [cs.alloc_private(0) for _ in range(depth)]
        return cs, leaves, bits, [cs.alloc_private(0) for _ in range(depth)]

    cs, (leaf,), bits, sibs = fresh(1)
    gm.merkle_root(cs, leaf, bits, sibs, bits_are_boolean=True)
    assert cs.n_constraints == 241 * depth == gm.merkle_constraints(depth, bits_are_boolean=True)
    cs, (old, new), bits, sibs = fresh(2)
    gm.merkle_update(cs, old, new, bits, sibs)
    assert cs.n_constraints == 483 * depth == gm.merkle_constraints(depth, paths=2)


# ---------------------------------------------------------------- update


def update_circuit(depth: int, seed: int):
    """An update of one random leaf of a random tree, both roots bound to public inputs."""
    rng = random.Random(seed)
    tree = random_tree(depth, rng)
    index = rng.randrange(1 << depth)
    old_leaf, path, old_root = tree.get(0, index), tree.path(index), tree.root
    new_leaf = rng.randrange(R)
    tree.set(index, new_leaf)
    cs = ConstraintSystem()
    old = cs.alloc_private(old_leaf, name="old_leaf")
    new = cs.alloc_private(new_leaf, name="new_leaf")
    bits = [cs.alloc_private(b, name=f"b{i}") for i, b in enumerate(bits_of(index, depth))]
    sibs = [cs.alloc_private(s, name=f"s{i}") for i, s in enumerate(path)]
    roots = gm.merkle_update(cs, old, new, bits, sibs, name="u")
    values = cs.value(roots[0]), cs.value(roots[1])
    bound(cs, roots[0], old_root, "old_root")
    bound(cs, roots[1], tree.root, "new_root")
    return cs, (old, new, bits, sibs), values, (old_root, tree.root)


@pytest.mark.parametrize("depth", [1, 3, 5])
def test_update_gives_both_roots(depth):
    cs, _, values, expected = update_circuit(depth, depth)
    assert values == expected
    assert cs.n_constraints == gm.merkle_constraints(depth, paths=2) + 2
    cs.check()


def test_update_holds_only_with_the_honest_witness():
    cs, (old, new, bits, sibs), _, _ = update_circuit(3, 8)
    cs.check()
    cases = [(old, "old_root"), (new, "new_root"), (sibs[1], "old_root"), (bits[2], "u.bit2")]
    for var, broken in cases:
        honest = cs.value(var)
        cs.assign(var, honest + 1)
        with pytest.raises(UnsatisfiedConstraint) as info:
            cs.check()
        assert info.value.name == broken
        cs.assign(var, honest)
    for level in range(3):  # a flipped bit is boolean, but the path is another one
        honest = cs.value(bits[level])
        cs.assign(bits[level], 1 - honest)
        assert cs.first_violation() is not None
        cs.assign(bits[level], honest)
    wires = [v for v in cs.variables() if v.index > sibs[-1].index and not v.public]
    for w in random.Random(9).sample(wires, 30):
        honest = cs.value(w)
        cs.assign(w, honest + 1)
        assert cs.first_violation() is not None, w
        cs.assign(w, honest)
    cs.check()


# ---------------------------------------------------------------- arguments


def test_path_lengths_must_agree():
    cs = ConstraintSystem()
    with pytest.raises(ValueError, match="2 index bits but 3 siblings"):
        gm.merkle_root(cs, 1, [0, 1], [0, 0, 0])
    with pytest.raises(ValueError, match="2 index bits but 1 siblings"):
        gm.merkle_update(cs, 1, 2, [0, 1], [0])
    with pytest.raises(TypeError, match="linear combinations or ints"):
        gm.merkle_root(cs, "leaf", [0], [0])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="depth must be"):
        gm.merkle_constraints(-1)


def test_reexported_from_gadgets():
    assert (gadgets.merkle_root, gadgets.merkle_update) == (gm.merkle_root, gm.merkle_update)
