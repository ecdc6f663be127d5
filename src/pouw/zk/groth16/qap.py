"""From a rank-1 constraint system to a quadratic arithmetic program (QAP),
in snarkjs's conventions so keys from either side prove alike.

With ``m`` constraints and ``n_public`` public wires, the QAP has
``m + n_public + 1`` rows: the constraints, then one row ``A[m + i][i] = 1``
for each ``i = 0..n_public`` (B and C empty there), which makes the
verifier's IC points linearly independent (a known Groth16 requirement).  The
domain is the smallest power of two ``n`` with room for every row; row ``i``
lives at the point ``w_n^i``, so a wire's polynomials are
``A_j(x) = sum_i A[i][j] L_i(x)`` in the Lagrange basis of the domain.

The prover's quotient: ``P = (A·w)(B·w) - (C·w)`` has degree below ``2n - 1``
and vanishes on the domain.  snarkjs (and pouw) evaluate ``A·w`` and ``B·w``
on the domain, take ``C·w = (A·w) ∘ (B·w)`` there, interpolate (inverse NTT)
and evaluate on the coset ``g * <w_n>`` with ``g = w_{2n}`` (the odd points of
the ``2n`` domain): the H query holds ``[L'_{2i+1}(tau) / delta]_1`` for the
Lagrange basis ``L'`` of the ``2n`` domain, so ``sum_i P(g w_n^i) H_i`` is
``[h(tau) Z(tau) / delta]_1`` without any division by ``Z``.
"""

from __future__ import annotations

import numpy as np

from ..._native import groth16 as _g
from ..field import FrArray
from ..ntt import MAX_LOG_SIZE, coset_ntt_inplace, intt_inplace, root_of_unity
from ..r1cs import R1CS, SparseMatrix

__all__ = [
    "domain_size_for",
    "with_public_rows",
    "matvec",
    "transpose_matvec",
    "coset_generator",
    "quotient_on_coset",
]


def domain_size_for(n_rows: int) -> int:
    """The smallest power of two (at least 2) with room for ``n_rows`` QAP rows."""
    n = 2
    while n < n_rows:
        n *= 2
    if n.bit_length() - 1 >= MAX_LOG_SIZE:
        # The H query lives on the 2n domain: 2n must stay within 2^28.
        raise ValueError(f"{n_rows} QAP rows need a domain above 2^{MAX_LOG_SIZE - 1}")
    return n


def with_public_rows(r1cs: R1CS) -> tuple[SparseMatrix, SparseMatrix]:
    """A and B of ``r1cs`` with the ``n_public + 1`` extra rows (see the module docstring)."""
    k = r1cs.n_public + 1
    a, b = r1cs.a, r1cs.b
    a_ptr = np.concatenate([a.row_ptr, a.row_ptr[-1] + np.arange(1, k + 1, dtype=np.int64)])
    a_cols = np.concatenate([a.cols, np.arange(k, dtype=np.int64)])
    a_vals = FrArray._wrap(np.concatenate([a.values.montgomery, FrArray.ones(k).montgomery]))
    b_ptr = np.concatenate([b.row_ptr, np.full(k, b.row_ptr[-1], dtype=np.int64)])
    return (
        SparseMatrix(a_ptr, a_cols, a_vals),
        SparseMatrix(b_ptr, b.cols.copy(), b.values.copy()),
    )


def matvec(m: SparseMatrix, w: FrArray, size: int) -> FrArray:
    """The first ``size`` rows of ``M·w``, padded with zeros past ``M``'s rows
    (natively, GIL released)."""
    out = FrArray.zeros(size)
    ptr, cols, vals = m.row_ptr, m.cols, m.values.montgomery
    if size < m.n_rows:
        end = int(ptr[size])
        ptr, cols, vals = ptr[: size + 1], cols[:end], vals[:end]
    _g.spmv(out._limbs, ptr, cols, vals, w.montgomery)
    return out


def transpose_matvec(m: SparseMatrix, v: FrArray, n_cols: int) -> FrArray:
    """``M^T·v`` (length ``n_cols``): for each wire, the sum over rows of ``M[i][j] v[i]``."""
    rows = np.repeat(np.arange(m.n_rows, dtype=np.int64), np.diff(m.row_ptr))
    order = np.argsort(m.cols, kind="stable")
    counts = np.bincount(m.cols, minlength=n_cols).astype(np.int64)
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    vals = np.ascontiguousarray(m.values.montgomery[order])
    out = FrArray.zeros(n_cols)
    _g.spmv(out._limbs, ptr, np.ascontiguousarray(rows[order]), vals, v.montgomery)
    return out


def coset_generator(n: int) -> int:
    """``w_{2n}``: the shift of the coset on which the prover evaluates ``P``."""
    return root_of_unity(2 * n)


def quotient_on_coset(
    a: SparseMatrix, b: SparseMatrix, w: FrArray, n: int, threads: int | None = None
) -> FrArray:
    """``P(g w_n^i)`` for ``i < n``: the scalars of the H multi-exponentiation.

    ``A·w``, ``B·w`` and ``C·w = (A·w) ∘ (B·w)`` on the domain, each
    interpolated and re-evaluated on the coset ``g <w_n>`` (six NTTs of size n).
    """
    g = coset_generator(n)
    ea = matvec(a, w, n)
    eb = matvec(b, w, n)
    ec = ea * eb
    for e in (ea, eb, ec):
        intt_inplace(e, threads=threads)
        coset_ntt_inplace(e, g, threads=threads)
    ea *= eb
    ea -= ec
    return ea
