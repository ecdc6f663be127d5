"""Kernels of the Groth16 prover that the field, NTT and MSM modules lack
(csrc/groth16_spmv.h): the sparse matrix-vector product over Fr that turns a
witness into the QAP's evaluations ``A·w`` and ``B·w``.

Layouts: field elements are C-contiguous numpy uint64 rows (n, 4) in
Montgomery form (an FrArray's storage); CSR index arrays are C-contiguous
int64.  The GIL is released around the product; the arrays are arguments of
the running call, so they stay alive across the release.

Public face: pouw.zk.groth16.qap.
"""

from libc.stddef cimport ptrdiff_t
from libc.stdint cimport int64_t, uint64_t

from .field cimport backend_code, check_index, check_rows

__all__ = ["spmv"]


cdef extern from "groth16_spmv.h" nogil:
    ptrdiff_t g16_spmv(int be, size_t n_rows, const int64_t *row_ptr, const int64_t *cols,
                       const uint64_t *vals, size_t n_w, const uint64_t *w, uint64_t *out)


def spmv(out, row_ptr, cols, values, w):
    """out[:n_rows] := M·w for the CSR matrix (row_ptr, cols, values); rows of
    ``out`` past n_rows are left as they are.  ValueError naming the first row
    whose pointers or columns are out of range (nothing is read out of bounds)."""
    cdef Py_ssize_t n_out = check_rows(out, "out", 4, True)
    cdef Py_ssize_t n_ptr = check_index(row_ptr, "row_ptr")
    cdef Py_ssize_t nnz = check_index(cols, "cols")
    cdef Py_ssize_t n_vals = check_rows(values, "values", 4, False)
    cdef Py_ssize_t n_w = check_rows(w, "w", 4, False)
    if n_ptr < 1:
        raise ValueError("row_ptr must have n_rows + 1 entries")
    cdef Py_ssize_t n_rows = n_ptr - 1
    if n_rows > n_out:
        raise ValueError(f"out has {n_out} rows, the matrix {n_rows}")
    if n_vals != nnz:
        raise ValueError(f"{nnz} columns but {n_vals} values")
    cdef const int64_t[::1] rp = row_ptr
    cdef const int64_t[::1] cv = cols
    if rp[n_rows] != nnz:
        raise ValueError(f"row_ptr ends at {rp[n_rows]}, not at the {nnz} entries")
    cdef uint64_t[:, ::1] o = out
    cdef const uint64_t[:, ::1] v = values
    cdef const uint64_t[:, ::1] x = w
    cdef int be = backend_code()
    cdef ptrdiff_t bad
    if n_rows == 0:
        return
    with nogil:
        bad = g16_spmv(be, <size_t>n_rows, &rp[0], &cv[0] if nnz else NULL,
                       &v[0, 0] if nnz else NULL, <size_t>n_w, &x[0, 0] if n_w else NULL,
                       &o[0, 0])
    if bad >= 0:
        raise ValueError(f"row {bad} of the sparse matrix has out-of-range pointers or columns")
