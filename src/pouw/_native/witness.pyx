"""Witness programs (csrc/pw_witness.h): a circuit's every variable from its inputs, natively.

``Program(code, lc_ptr, lc_var, lc_coef, n_vars, n_inputs, constants)`` checks a
compiled program once (ValueError naming the first bad instruction: nothing a
program read back from a file holds can make ``run`` read or write out of
bounds) and keeps its arrays; ``constants`` maps a Poseidon width t to the
:class:`pouw._native.poseidon.Constants` of that width (every width the
program's Poseidon ops use).  ``run(inputs, out)`` fills ``out`` (n_vars rows)
from ``inputs`` (n_inputs rows), with the GIL released.

Layouts: field elements are C-contiguous (n, 4) uint64 arrays of Montgomery
rows (an FrArray's storage); code and the LC table's indexes are C-contiguous
int64.  The instruction set is the header's.

Public face: pouw.zk.witness_program (the compiler).
"""

cimport cython
from libc.stddef cimport ptrdiff_t
from libc.stdint cimport int64_t, uint64_t

from .field cimport backend_code, check_index, check_rows
from .poseidon cimport BN_PSD_MAX_T, Constants, bn_psd

import numpy as np

__all__ = ["Program", "OPS"]


cdef extern from "pw_witness.h" nogil:
    enum:
        PW_W_INPUT
        PW_W_MULADD
        PW_W_INV
        PW_W_ISZERO
        PW_W_BITS
        PW_W_POSEIDON

    ctypedef struct pw_wprog:
        size_t n_vars, n_inputs, n_lc, n_code
        const int64_t *code
        const int64_t *lc_ptr
        const int64_t *lc_var
        const uint64_t *lc_coef
        const bn_psd *psd[18]

    size_t pw_wprog_psd_rows(const bn_psd *P, uint64_t mask)
    ptrdiff_t pw_wprog_check(const pw_wprog *W, size_t *scratch_rows)
    void pw_wprog_run(int be, const pw_wprog *W, const uint64_t *inputs, uint64_t *w,
                      uint64_t *scratch)

#: The op codes, by the names pouw.zk.witness_program uses.
OPS = {"input": PW_W_INPUT, "muladd": PW_W_MULADD, "inv": PW_W_INV, "is_zero": PW_W_ISZERO,
       "bits": PW_W_BITS, "poseidon": PW_W_POSEIDON}


@cython.final
cdef class Program:
    """A checked witness program (immutable: it keeps its own copies of the arrays)."""

    cdef pw_wprog W
    cdef object arrays      # the arrays W points into, kept alive
    cdef object constants   # the Constants W.psd points into, kept alive
    cdef size_t scratch_rows
    cdef readonly Py_ssize_t n_vars
    cdef readonly Py_ssize_t n_inputs

    def __cinit__(self, code, lc_ptr, lc_var, lc_coef, Py_ssize_t n_vars, Py_ssize_t n_inputs,
                  constants):
        cdef Py_ssize_t n_code = check_index(code, "code")
        cdef Py_ssize_t n_ptr = check_index(lc_ptr, "lc_ptr")
        cdef Py_ssize_t n_terms = check_index(lc_var, "lc_var")
        cdef Constants c
        cdef int t
        cdef ptrdiff_t bad
        if n_ptr < 1:
            raise ValueError("lc_ptr must have n_lc + 1 entries")
        if check_rows(lc_coef, "lc_coef", 4, False) != n_terms:
            raise ValueError(f"lc_var has {n_terms} terms, lc_coef {lc_coef.shape[0]}")
        if lc_ptr[n_ptr - 1] != n_terms:
            raise ValueError(f"lc_ptr ends at {lc_ptr[n_ptr - 1]}, not at the {n_terms} terms")
        if n_vars < 1 or n_inputs < 0:
            raise ValueError("a program has at least the constant one and no negative input count")
        code, lc_ptr, lc_var = code.copy(), lc_ptr.copy(), lc_var.copy()
        lc_coef = np.ascontiguousarray(lc_coef).copy()
        self.arrays = (code, lc_ptr, lc_var, lc_coef)
        cdef const int64_t[::1] cv = code
        cdef const int64_t[::1] pv = lc_ptr
        cdef const int64_t[::1] vv = lc_var
        cdef const uint64_t[:, ::1] kv = lc_coef
        self.W.n_vars = n_vars
        self.W.n_inputs = n_inputs
        self.W.n_lc = n_ptr - 1
        self.W.n_code = n_code
        self.W.code = &cv[0] if n_code else NULL
        self.W.lc_ptr = &pv[0]
        self.W.lc_var = &vv[0] if n_terms else NULL
        self.W.lc_coef = &kv[0, 0] if n_terms else NULL
        for t in range(BN_PSD_MAX_T + 1):
            self.W.psd[t] = NULL
        kept = {}
        for t_obj, const in dict(constants).items():
            c = const
            t = t_obj
            if c.t != t:
                raise ValueError(f"constants given for width {t} are of width {c.t}")
            self.W.psd[t] = &c.p
            kept[t] = c
        self.constants = kept
        bad = pw_wprog_check(&self.W, &self.scratch_rows)
        if bad >= 0:
            if <size_t>bad == self.W.n_code:
                raise ValueError("the program's linear combinations are malformed")
            raise ValueError(f"instruction at code[{bad}] is malformed, out of range or "
                             f"uses a Poseidon width without constants")
        self.n_vars = n_vars
        self.n_inputs = n_inputs

    def run(self, inputs, out):
        """run(inputs, out) -> None: out[:] := every variable, from inputs (Montgomery rows)."""
        if check_rows(inputs, "inputs", 4, False) != self.n_inputs:
            raise ValueError(f"the program takes {self.n_inputs} inputs, got {inputs.shape[0]}")
        if check_rows(out, "out", 4, True) != self.n_vars:
            raise ValueError(f"out must have {self.n_vars} rows, got {out.shape[0]}")
        scratch = np.zeros((max(<Py_ssize_t>self.scratch_rows, 1), 4), dtype=np.uint64)
        cdef uint64_t[:, ::1] s = scratch
        cdef uint64_t[:, ::1] o = out
        cdef const uint64_t[:, ::1] x
        cdef const uint64_t *xp = NULL
        if self.n_inputs:
            x = inputs
            xp = &x[0, 0]
        cdef int be = backend_code()
        with nogil:
            pw_wprog_run(be, &self.W, xp, &o[0, 0], &s[0, 0])

    def __repr__(self):
        return (f"Program({self.W.n_code} code words, {self.n_vars} variables, "
                f"{self.n_inputs} inputs)")
