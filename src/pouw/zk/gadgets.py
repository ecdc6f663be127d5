"""Common gadgets for :class:`~pouw.zk.constraint_system.ConstraintSystem`.

Each gadget adds constraints and, where it allocates variables, gives them
hints that compute an honest witness from the inputs' values once those are
known.  The constraints alone are what a verifier relies on: every gadget's
tests check that each dishonest assignment of its outputs breaks a constraint.

=====================  ===========  ==============================================
gadget                 constraints  what it proves
=====================  ===========  ==============================================
:func:`boolean`        1            ``x ∈ {0, 1}``
:func:`to_bits`        n + 1        ``x = Σ 2^i b_i`` with ``n`` boolean ``b_i``
:func:`range_check`    n + 1        ``x < 2^n`` (``n ≤ 253``)
:func:`assert_equal`   1            ``a = b``
:func:`is_zero`        2            a boolean ``z = (x == 0)``
:func:`is_equal`       2            a boolean ``z = (a == b)``
:func:`select`         1 (+1)       ``out = cond ? a : b`` (and ``cond`` boolean)
:func:`inverse`        1            ``x · inv = 1``, so ``x ≠ 0``
:func:`assert_nonzero` 1            ``x ≠ 0`` (via :func:`inverse`)
:func:`poseidon`       3 per S-box  ``out = Poseidon(inputs)``, circomlib's (240 for 2 inputs)
:func:`merkle_root`    242 a level  the root of a leaf and its path (241 if bits are boolean)
:func:`merkle_update`  483 a level  the roots before and after one leaf changes
=====================  ===========  ==============================================

The hash gadgets live in :mod:`pouw.zk.gadgets_poseidon` (the count for every
width: :func:`~pouw.zk.gadgets_poseidon.poseidon_constraints`) and
:mod:`pouw.zk.gadgets_merkle`, and are re-exported here.
"""

from __future__ import annotations

import operator

from .constraint_system import (
    ConstraintSystem,
    LinearCombination,
    LinearLike,
    Variable,
    as_lc,
)
from .gadgets_merkle import merkle_root, merkle_update
from .gadgets_poseidon import poseidon

__all__ = [
    "boolean",
    "to_bits",
    "range_check",
    "assert_equal",
    "is_zero",
    "is_equal",
    "select",
    "inverse",
    "assert_nonzero",
    "poseidon",
    "merkle_root",
    "merkle_update",
]

#: Widest unique decomposition: 2^253 < R < 2^254, so 253 bits never wrap modulo R.
MAX_BITS = 253


def _label(name: str | None, part: str) -> str | None:
    return None if name is None else f"{name}.{part}"


def boolean(cs: ConstraintSystem, x: LinearLike, name: str | None = None) -> None:
    """Enforce ``x · (x - 1) = 0``: the only roots are 0 and 1."""
    cs.enforce(x, _lc(x) - 1, 0, name)


def to_bits(
    cs: ConstraintSystem, x: LinearLike, n_bits: int, name: str | None = None
) -> list[Variable]:
    """The ``n_bits`` bits of ``x``, least significant first, as new boolean
    private variables with ``Σ 2^i b_i = x`` enforced.

    ``n_bits`` is at most :data:`MAX_BITS` (253): the sum of 253 bits is below
    R, so the decomposition is unique and proves ``x < 2^n_bits``.  (With 254
    bits, both ``x`` and ``x + R`` would fit and the check would prove nothing.)
    """
    n = operator.index(n_bits)
    if not 1 <= n <= MAX_BITS:
        raise ValueError(f"n_bits must be in [1, {MAX_BITS}], got {n}")
    lx = _lc(x)
    bits: list[Variable] = []
    total: LinearCombination = cs.constant(0)
    for i in range(n):
        b = cs.alloc_private(cs.derive("bit", lx, arg=i), None if name is None else f"{name}[{i}]")
        boolean(cs, b, _label(name, f"bit{i}"))
        bits.append(b)
        total = total + b * (1 << i)
    cs.enforce(total, 1, lx, _label(name, "sum"))
    return bits


def range_check(cs: ConstraintSystem, x: LinearLike, n_bits: int, name: str | None = None) -> None:
    """Enforce ``0 ≤ x < 2^n_bits`` (as an integer in ``[0, R)``), by :func:`to_bits`."""
    to_bits(cs, x, n_bits, name)


def assert_equal(
    cs: ConstraintSystem, a: LinearLike, b: LinearLike, name: str | None = None
) -> None:
    """Enforce ``a = b`` (as ``(a - b) · 1 = 0``)."""
    cs.enforce(_lc(a) - _lc(b), 1, 0, name)


def is_zero(cs: ConstraintSystem, x: LinearLike, name: str | None = None) -> Variable:
    """A new private boolean ``z`` equal to 1 when ``x = 0`` and 0 otherwise.

    With ``inv`` a private helper: ``x · inv = 1 - z`` and ``x · z = 0``.  If
    ``x ≠ 0`` the second forces ``z = 0``, then the first needs ``inv = 1/x``;
    if ``x = 0`` the first forces ``z = 1``.  So ``z`` is determined by ``x``.
    """
    lx = _lc(x)
    inv = cs.alloc_private(cs.derive("inv", lx), _label(name, "inv"))
    z = cs.alloc_private(cs.derive("is_zero", lx), name)
    cs.enforce(lx, inv, 1 - z, _label(name, "inv"))
    cs.enforce(lx, z, 0, _label(name, "zero"))
    return z


def is_equal(
    cs: ConstraintSystem, a: LinearLike, b: LinearLike, name: str | None = None
) -> Variable:
    """A new private boolean equal to 1 when ``a = b`` (:func:`is_zero` of ``a - b``)."""
    return is_zero(cs, _lc(a) - _lc(b), name)


def select(
    cs: ConstraintSystem,
    cond: LinearLike,
    a: LinearLike,
    b: LinearLike,
    name: str | None = None,
    *,
    cond_is_boolean: bool = False,
) -> Variable:
    """A new private ``out = a if cond else b``, by ``cond · (a - b) = out - b``.

    The equation selects only if ``cond`` is 0 or 1, so ``cond`` is constrained
    boolean here unless the caller says it already is (``cond_is_boolean``).
    """
    lc, la, lb = _lc(cond), _lc(a), _lc(b)
    if not cond_is_boolean:
        boolean(cs, lc, _label(name, "cond"))
    out = cs.alloc_private(cs.derive("muladd", lc, la - lb, lb), name)
    cs.enforce(lc, la - lb, out - lb, name)
    return out


def inverse(cs: ConstraintSystem, x: LinearLike, name: str | None = None) -> Variable:
    """A new private ``inv`` with ``x · inv = 1`` enforced: it exists only when
    ``x ≠ 0`` (an honest witness for ``x = 0`` assigns 0 and breaks it)."""
    lx = _lc(x)
    inv = cs.alloc_private(cs.derive("inv", lx), name)
    cs.enforce(lx, inv, 1, name)
    return inv


def assert_nonzero(cs: ConstraintSystem, x: LinearLike, name: str | None = None) -> None:
    """Enforce ``x ≠ 0`` (by allocating its :func:`inverse`)."""
    inverse(cs, x, name)


def _lc(x: LinearLike) -> LinearCombination:
    lc = as_lc(x)
    if lc is None:
        raise TypeError(f"a gadget takes linear combinations or ints, got {type(x).__name__}")
    return lc
