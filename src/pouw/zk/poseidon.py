"""The Poseidon hash over BN254's scalar field: circomlib's ``Poseidon(n)``, natively.

- :func:`poseidon`: one hash of 1..16 field elements given as integers.
- :func:`poseidon_batch`: one hash per row of 1..16 :class:`~pouw.zk.field.FrArray`
  columns (column ``j`` holds input ``j`` of every row), with the GIL released.

The instance is circomlib's, and so circomlibjs's and light-poseidon's, bit for
bit: the field Fr (modulus :data:`R`), the S-box ``x^5``, width ``t = n + 1``,
8 full rounds and circomlib's partial-round counts, the state ``[0, inputs...]``
and the output ``state[0]``.  Its constants, and the optimised (sparse) form
the kernel runs, are :mod:`pouw.zk.poseidon_params`; the plain textbook rounds
in :mod:`pouw._reference.poseidon` are the tests' oracle.

Inputs are never reduced: an input must be an integer in ``[0, r)`` (a Python
``int`` or a numpy integer; ``bool`` is not one), else ``ValueError`` (out of
range, not 1..16 of them, or not an integer: that error is also a
``TypeError``).  An
:class:`~pouw.zk.field.FrArray` holds canonical elements only, so the batch
form has nothing to check but the shapes.

The kernel (``pouw._native.poseidon``) follows the multiply backend of
``pouw._native.field``: the batch runs 8 rows at once in AVX-512 IFMA lanes
where the CPU has them, one row at a time on the ADX or portable multiply
otherwise (``POUW_PORTABLE=1`` forces the portable path); every path gives the
same bits.  Each width's constants are converted once, on first use (thread
safe).  Call overhead is small, but a loop of :func:`poseidon` calls is still
several times slower per hash than one :func:`poseidon_batch` call on IFMA hosts.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import SupportsIndex

from .._native import missing_extension
from . import poseidon_params
from .field import FrArray, R

try:
    from .._native import poseidon as _k
except ImportError as exc:  # pragma: no cover - a broken build
    raise missing_extension("poseidon", exc) from exc

__all__ = ["R", "MAX_INPUTS", "poseidon", "poseidon_batch"]

#: The most inputs one hash takes (width 17).
MAX_INPUTS = poseidon_params.WIDTHS[-1] - 1

if _k.MAX_T != MAX_INPUTS + 1 or _k.R != R:  # pragma: no cover - a corrupt build
    raise ImportError("pouw._native.poseidon disagrees with pouw.zk.poseidon on the instance")

# _CONSTANTS[n]: the kernel's constants for n inputs (width n + 1), built on first use.
_CONSTANTS: list[_k.Constants | None] = [None] * (MAX_INPUTS + 1)
_LOCK = threading.Lock()


def _build(n: int) -> _k.Constants:
    """The kernel's constants for ``n`` inputs, from :func:`poseidon_params.optimized`."""
    o = poseidon_params.optimized(n + 1)
    flat: list[int] = []
    for name in _k.LAYOUT:
        value = getattr(o, name)
        if value and isinstance(value[0], tuple):
            for row in value:
                flat += row
        else:
            flat += value
    return _k.Constants(o.t, o.full_rounds, o.partial_rounds, poseidon_params.limbs(flat))


def _constants(n: int, what: str) -> _k.Constants:
    if not 1 <= n <= MAX_INPUTS:
        raise ValueError(f"Poseidon takes 1..{MAX_INPUTS} inputs, got {n} {what}")
    c = _CONSTANTS[n]
    if c is None:
        with _LOCK:
            c = _CONSTANTS[n]
            if c is None:
                c = _CONSTANTS[n] = _build(n)
    return c


def poseidon(inputs: Sequence[SupportsIndex]) -> int:
    """circomlib's ``Poseidon(n)`` of ``n = len(inputs)`` field elements (1..16).

    Parameters
    ----------
    inputs : sequence of int
        Integers in ``[0, r)``: Python ints or numpy integers.

    Returns
    -------
    int
        The hash, an integer in ``[0, r)``.

    Raises
    ------
    ValueError
        If there are not 1..16 inputs, or an input is negative or not below ``r``
        (never reduced).
    TypeError
        If an input is not an integer (a float, a string, ``bool``); the error is
        a ``ValueError`` too (``NotAnInteger``).
    """
    values = inputs if type(inputs) is list or type(inputs) is tuple else list(inputs)
    n = len(values)
    c = _CONSTANTS[n] if 0 < n <= MAX_INPUTS else None
    if c is None:
        c = _constants(n, "inputs")
    return _k.hash(c, values)


def poseidon_batch(columns: Sequence[FrArray]) -> FrArray:
    """One Poseidon hash per row: ``out[i] = poseidon([columns[0][i], columns[1][i], ...])``.

    Parameters
    ----------
    columns : sequence of FrArray
        1..16 arrays of one length ``m``; column ``j`` holds input ``j`` of every row.

    Returns
    -------
    FrArray
        The ``m`` hashes.  The work runs without the GIL.

    Raises
    ------
    ValueError
        If there are not 1..16 columns or their lengths differ.
    TypeError
        If a column is not an :class:`~pouw.zk.field.FrArray`.
    """
    cols = list(columns)
    c = _constants(len(cols), "columns")
    for j, col in enumerate(cols):
        if not isinstance(col, FrArray):
            raise TypeError(f"Poseidon column {j} must be an FrArray, got {type(col).__name__}")
    m = len(cols[0])
    for j, col in enumerate(cols):
        if len(col) != m:
            raise ValueError(
                f"all Poseidon columns must have one length: column 0 has {m}, "
                f"column {j} has {len(col)}"
            )
    out = FrArray._empty(m)
    _k.hash_batch(c, [col._limbs for col in cols], out._limbs)
    return out
