"""Plain-Python oracle of the native Poseidon: circomlib's instance, textbook rounds.

Written from the Poseidon paper (eprint 2019/458, the HADES design), not from
the optimised form the kernel runs: every round adds its ``t`` round
constants, applies ``x^5`` to every element (full rounds: the first and last
four) or to ``state[0]`` only (partial rounds), then multiplies by the MDS
matrix, ``state'[i] = sum_j M[i][j] * state[j]``.  The constants are the
textbook ones of :func:`pouw.zk.poseidon_params.params`.

Hash: width ``t = n + 1`` for ``n = 1..16`` inputs, state ``[0, inputs...]``,
output ``state[0]`` after the permutation.  Inputs are never reduced: each
must be an integer in ``[0, r)``.  Slow (Python ints); for tests and
debugging, never a fallback.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

from ..zk.poseidon_params import ALPHA, WIDTHS, R, params

__all__ = ["R", "MAX_INPUTS", "permute", "poseidon", "poseidon_batch"]

#: The most inputs one hash takes (width 17).
MAX_INPUTS = WIDTHS[-1] - 1


def permute(state: Sequence[int]) -> list[int]:
    """The Poseidon permutation of a state of width 2..17, round by round."""
    t = len(state)
    p = params(t)
    s = [_element(x, "state element") for x in state]
    for r in range(p.rounds):
        s = [(x + c) % R for x, c in zip(s, p.round_constants[r], strict=True)]
        if p.is_full(r):
            s = [pow(x, ALPHA, R) for x in s]
        else:
            s[0] = pow(s[0], ALPHA, R)
        s = [sum(m * x for m, x in zip(row, s, strict=True)) % R for row in p.mds]
    return s


def poseidon(inputs: Sequence[int]) -> int:
    """circomlib's ``Poseidon(n)`` of 1..16 field elements.

    Raises
    ------
    ValueError
        If there are not 1..16 inputs or an input is not in ``[0, r)``.
    TypeError
        If an input is not an integer (``bool`` included).
    """
    values = list(inputs)
    if not 1 <= len(values) <= MAX_INPUTS:
        raise ValueError(f"Poseidon takes 1..{MAX_INPUTS} inputs, got {len(values)}")
    return permute([0, *(_element(x, "input") for x in values)])[0]


def poseidon_batch(columns: Sequence[Sequence[int]]) -> list[int]:
    """One hash per row: column ``j`` holds input ``j`` of every row (all of one length)."""
    cols = [list(c) for c in columns]
    if not 1 <= len(cols) <= MAX_INPUTS:
        raise ValueError(f"Poseidon takes 1..{MAX_INPUTS} inputs, got {len(cols)} columns")
    if len({len(c) for c in cols}) != 1:
        raise ValueError("all columns must have the same length")
    return [poseidon(row) for row in zip(*cols, strict=True)]


def _element(x: object, what: str) -> int:
    if isinstance(x, bool):
        raise TypeError(f"a Poseidon {what} must be an integer, not bool")
    try:
        v = operator.index(x)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"a Poseidon {what} must be an integer, not {type(x).__name__}") from None
    if not 0 <= v < R:
        raise ValueError(f"a Poseidon {what} must be in [0, r), got {v}")
    return v
