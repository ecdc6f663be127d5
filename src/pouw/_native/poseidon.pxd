# Declarations of csrc/bn254_poseidon.h: the Poseidon permutation over BN254's Fr
# (circomlib's instance, optimised form) on the field kernel's multiply.  Every
# function is allocation free, never fails, touches no Python object and may
# run without the GIL; the backend argument is field.backend_code().
# Constants (poseidon.pyx) owns one width's converted constants; later kernels
# (the Poseidon Merkle state, circuit witnesses) cimport it and pass &c.p.
cimport cython
from libc.stddef cimport ptrdiff_t
from libc.stdint cimport uint64_t


cdef extern from "bn254_poseidon.h" nogil:
    enum:
        BN_PSD_MAX_T

    ctypedef struct bn_psd:
        int t
        int rf
        int rp
        const uint64_t *m
        const uint64_t *v
        size_t count

    # The element count of the (t, rf, rp) layout (offsets filled in P), 0 if unsupported.
    size_t bn_psd_layout(bn_psd *P, int t, int rf, int rp)
    # -1, or the index of the first raw constant >= r; ifma may be NULL.
    ptrdiff_t bn_psd_prepare(int backend, size_t count, uint64_t *mont, uint64_t *ifma,
                             const uint64_t *raw)
    # s: P.t Montgomery rows (4 limbs each), permuted in place.
    void bn_psd_permute_at(int backend, const bn_psd *P, uint64_t *s)
    # s: P.t rows, rows 1.. plain canonical integers; row 0 := the hash (plain integer).
    void bn_psd_hash_ints(int backend, const bn_psd *P, uint64_t *s)
    # S-boxes of one permutation, and the permutation recording x^2, x^4, x^5 of each
    # (3 * n_sboxes Montgomery rows into rec, in evaluation order).
    size_t bn_psd_n_sboxes(const bn_psd *P)
    void bn_psd_trace_at(int backend, const bn_psd *P, uint64_t *s, uint64_t *rec)
    # out[i] := hash of row i of the P.t - 1 columns (Montgomery rows); out equal to a
    # column or disjoint from all.
    void bn_psd_hash_batch(int backend, const bn_psd *P, size_t n, const uint64_t **cols,
                           uint64_t *out)


@cython.final
cdef class Constants:
    # P.m / P.v point into buf (PyMem, freed in __dealloc__); immutable once built.
    cdef bn_psd p
    cdef uint64_t *buf
    cdef readonly int t
    cdef readonly int full_rounds
    cdef readonly int partial_rounds
