"""Merkle paths as constraints: the root of a Poseidon Merkle tree from a leaf and its path.

The tree is pouw's state tree under its Poseidon hash (docs/vm-and-trace.md):
``node = Poseidon(2)(left, right)``, and a path lists the siblings from the
leaf level up with the index bits least significant first, bit ``l`` saying
whether the running hash is the right child (1) or the left child (0) at
level ``l``.

Per level, with ``h`` the running hash, ``s`` the sibling and ``b`` the bit:
one constraint ``d = b·(s - h)`` orders the pair, ``left = h + d`` and
``right = s - d`` (``(h, s)`` when ``b = 0``, ``(s, h)`` when ``b = 1``), then
:func:`~pouw.zk.gadgets_poseidon.poseidon` hashes it in 240 constraints.  The
selection is only a swap if ``b`` is 0 or 1, so each bit is also constrained
boolean (one constraint), unless the caller says it already is
(``bits_are_boolean``, e.g. bits from :func:`~pouw.zk.gadgets.to_bits`, which
constrains them).  A level thus costs 242 constraints, 241 with
``bits_are_boolean``; :func:`merkle_update` proves two paths over the same
bits and siblings in ``1 + 2·241 = 483`` per level.

Constants cost less: a constant bit (which must be 0 or 1) needs neither the
booleanity nor the product, and a constant sibling (an empty subtree known
when the circuit is built, say) is a constant input of the hash, three
constraints fewer.
"""

from __future__ import annotations

from collections.abc import Sequence

from .constraint_system import ConstraintSystem, LinearCombination, LinearLike, as_lc
from .gadgets_poseidon import poseidon

__all__ = ["merkle_root", "merkle_update", "merkle_constraints"]


def merkle_constraints(depth: int, *, bits_are_boolean: bool = False, paths: int = 1) -> int:
    """How many constraints :func:`merkle_root` (``paths = 1``) or
    :func:`merkle_update` (``paths = 2``) adds for a path of ``depth``
    non-constant bits and a non-constant leaf."""
    if depth < 0 or paths not in (1, 2):
        raise ValueError("depth must be >= 0 and paths 1 or 2")
    return depth * ((0 if bits_are_boolean else 1) + paths * 241)


def merkle_root(
    cs: ConstraintSystem,
    leaf: LinearLike,
    index_bits: Sequence[LinearLike],
    siblings: Sequence[LinearLike],
    *,
    bits_are_boolean: bool = False,
    name: str | None = None,
) -> LinearCombination:
    """The root that ``leaf`` and its path give (a new private variable).

    ``index_bits[l]`` and ``siblings[l]`` are the path at level ``l`` (the
    leaf's level is 0); both have the tree's depth.  Each bit is constrained
    boolean here unless ``bits_are_boolean`` says the caller did it.

    Raises
    ------
    ValueError
        If the lengths differ, a constant bit is not 0 or 1, or an input holds
        another system's variables.
    TypeError
        If an input is not a linear combination or an int.
    """
    bits, sibs = _path(cs, index_bits, siblings, bits_are_boolean, name)
    return _fold(cs, _lc(leaf), bits, sibs, name)


def merkle_update(
    cs: ConstraintSystem,
    old_leaf: LinearLike,
    new_leaf: LinearLike,
    index_bits: Sequence[LinearLike],
    siblings: Sequence[LinearLike],
    *,
    bits_are_boolean: bool = False,
    name: str | None = None,
) -> tuple[LinearCombination, LinearCombination]:
    """``(old_root, new_root)``: the roots before and after the leaf at the
    path's index changes from ``old_leaf`` to ``new_leaf``.

    The two paths share the bits (constrained boolean once, unless
    ``bits_are_boolean``) and the siblings, so the proof says that only that
    one leaf changed.  Arguments and errors as in :func:`merkle_root`.
    """
    bits, sibs = _path(cs, index_bits, siblings, bits_are_boolean, name)
    old = _fold(cs, _lc(old_leaf), bits, sibs, _label(name, "old"))
    new = _fold(cs, _lc(new_leaf), bits, sibs, _label(name, "new"))
    return old, new


def _path(
    cs: ConstraintSystem,
    index_bits: Sequence[LinearLike],
    siblings: Sequence[LinearLike],
    bits_are_boolean: bool,
    name: str | None,
) -> tuple[list[LinearCombination], list[LinearCombination]]:
    bits, sibs = [_lc(b) for b in index_bits], [_lc(s) for s in siblings]
    if len(bits) != len(sibs):
        raise ValueError(f"{len(bits)} index bits but {len(sibs)} siblings")
    for level, b in enumerate(bits):
        if b.is_constant():
            if b.constant not in (0, 1):
                raise ValueError(f"index bit {level} is the constant {b.constant}, not 0 or 1")
        elif not bits_are_boolean:
            cs.enforce(b, b - 1, 0, _label(name, f"bit{level}"))
    return bits, sibs


def _fold(
    cs: ConstraintSystem,
    leaf: LinearCombination,
    bits: list[LinearCombination],
    sibs: list[LinearCombination],
    name: str | None,
) -> LinearCombination:
    h = leaf
    for level, (b, s) in enumerate(zip(bits, sibs, strict=True)):
        d = _product(cs, b, s - h, _label(name, f"swap{level}"))
        h = poseidon(cs, [h + d, s - d], _label(name, f"node{level}"))
    return h


def _product(
    cs: ConstraintSystem, a: LinearCombination, b: LinearCombination, name: str | None
) -> LinearCombination:
    """``a·b``: linear (no constraint) when either is a constant."""
    if a.is_constant():
        return b * a.constant
    if b.is_constant():
        return a * b.constant
    return cs.mul(a, b, name)


def _label(name: str | None, part: str) -> str | None:
    return None if name is None else f"{name}.{part}"


def _lc(x: LinearLike) -> LinearCombination:
    lc = as_lc(x)
    if lc is None:
        raise TypeError(f"a Merkle path takes linear combinations or ints, got {type(x).__name__}")
    return lc
