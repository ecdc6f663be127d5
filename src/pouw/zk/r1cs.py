"""Rank-1 constraint systems in circom's wire order: the data both the
:class:`~pouw.zk.ConstraintSystem` builder and :func:`pouw.zk.formats.read_r1cs`
produce, and that :func:`pouw.zk.groth16.setup` consumes.

A constraint says ``<a_i, w> * <b_i, w> = <c_i, w>`` for the full assignment
``w`` (the *witness*), a vector over Fr indexed by wire:

- wire 0 is the constant 1;
- wires ``1 .. n_public`` are the public signals, in circom's order (outputs,
  then public inputs): the verifier's ``public_inputs`` are ``w[1 : n_public + 1]``;
- the remaining wires are private.

Each of the three matrices is stored in compressed sparse row form with its
coefficients in an :class:`~pouw.zk.field.FrArray`, so the prover evaluates
``A·w``, ``B·w`` and ``C·w`` in one native pass per matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .field import FrArray

__all__ = ["SparseMatrix", "R1CS"]


@dataclass(frozen=True, eq=False)
class SparseMatrix:
    """One of A, B, C in CSR form: row ``i``'s terms are
    ``cols[row_ptr[i]:row_ptr[i+1]]`` with coefficients at the same positions
    of ``values``.  ``row_ptr`` is ``int64`` of length ``n_rows + 1``,
    non-decreasing from 0; ``cols`` is ``int64`` with every entry a wire index
    below ``n_wires``; ``len(values) == len(cols)``."""

    row_ptr: npt.NDArray[np.int64]
    cols: npt.NDArray[np.int64]
    values: FrArray

    @property
    def n_rows(self) -> int:
        return len(self.row_ptr) - 1

    @property
    def nnz(self) -> int:
        return len(self.cols)


@dataclass(frozen=True, eq=False)
class R1CS:
    """A constraint system over Fr: ``n_wires`` wires (wire 0 is the
    constant 1), ``n_public`` public signals (wires ``1..n_public``), and the
    matrices ``a``, ``b``, ``c`` with one row per constraint."""

    n_wires: int
    n_public: int
    a: SparseMatrix
    b: SparseMatrix
    c: SparseMatrix

    @property
    def n_constraints(self) -> int:
        return self.a.n_rows
