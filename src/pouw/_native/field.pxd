# Declarations of csrc/bn254_field.h: the BN254 fields Fr and Fq in Montgomery
# form (4 little-endian uint64 limbs per element, canonical).  Later kernels
# (curve, MSM, NTT, pairing) cimport these and include the same header, so the
# multiply inlines into their loops; they pass backend_code() (the choice this
# module owns) to the *_at functions.  Every function is allocation free, never
# fails, touches no Python object and may run without the GIL.
from libc.stddef cimport ptrdiff_t
from libc.stdint cimport uint8_t, uint64_t


cdef extern from "bn254_field.h" nogil:
    ctypedef struct bn_field:
        uint64_t p[4]
        uint64_t pinv
        uint64_t r2[4]
        uint64_t one[4]
        uint64_t pm2[4]
        int bits

    const bn_field BN_FR
    const bn_field BN_FQ

    enum:
        BN_FIELD_FR
        BN_FIELD_FQ
        BN_BACKEND_PORTABLE
        BN_BACKEND_ADX
        BN_BACKEND_IFMA
        BN_N_BACKENDS

    const char *bn_backend_name[]

    const bn_field *bn_field_of(int code)
    int bn_backend_supported(int backend)
    int bn_backend()
    int bn_set_backend(int backend)

    # One element (r may alias a and b).
    bint bn_is_zero(const uint64_t *a)
    bint bn_eq(const uint64_t *a, const uint64_t *b)
    bint bn_lt_p(const bn_field *F, const uint64_t *a)
    void bn_add(const bn_field *F, uint64_t *r, const uint64_t *a, const uint64_t *b)
    void bn_sub(const bn_field *F, uint64_t *r, const uint64_t *a, const uint64_t *b)
    void bn_neg(const bn_field *F, uint64_t *r, const uint64_t *a)
    void bn_mul_portable(const bn_field *F, uint64_t *r, const uint64_t *a, const uint64_t *b)
    void bn_mul_adx(const bn_field *F, uint64_t *r, const uint64_t *a, const uint64_t *b)
    void bn_mul_at(int backend, const bn_field *F, uint64_t *r, const uint64_t *a, const uint64_t *b)
    void bn_to_mont_at(int backend, const bn_field *F, uint64_t *r, const uint64_t *a)
    void bn_from_mont_at(int backend, const bn_field *F, uint64_t *r, const uint64_t *a)
    void bn_pow_at(int backend, const bn_field *F, uint64_t *r, const uint64_t *a,
                   const uint64_t *e, size_t elimbs)
    void bn_inv_at(int backend, const bn_field *F, uint64_t *r, const uint64_t *a)

    # Batches of n contiguous elements (out may alias the inputs unless noted).
    void bn_add_batch(const bn_field *F, size_t n, uint64_t *out, const uint64_t *a,
                      const uint64_t *b)
    void bn_sub_batch(const bn_field *F, size_t n, uint64_t *out, const uint64_t *a,
                      const uint64_t *b)
    void bn_neg_batch(const bn_field *F, size_t n, uint64_t *out, const uint64_t *a)
    # Canonical inputs (the IFMA path needs a < 2^254 and b < p; scalar paths b < p).
    void bn_mul_batch_at(int backend, const bn_field *F, size_t n, uint64_t *out,
                         const uint64_t *a, const uint64_t *b)
    # s must not alias out.
    void bn_mul_scalar_batch_at(int backend, const bn_field *F, size_t n, uint64_t *out,
                                const uint64_t *a, const uint64_t *s)
    void bn_square_batch_at(int backend, const bn_field *F, size_t n, uint64_t *out,
                            const uint64_t *a)
    void bn_pow_batch_at(int backend, const bn_field *F, size_t n, uint64_t *out,
                         const uint64_t *a, const uint64_t *e, size_t elimbs)
    void bn_to_mont_batch_at(int backend, const bn_field *F, size_t n, uint64_t *out,
                             const uint64_t *a)
    void bn_from_mont_batch_at(int backend, const bn_field *F, size_t n, uint64_t *out,
                               const uint64_t *a)
    ptrdiff_t bn_find_zero(size_t n, const uint64_t *a)
    # -1, or the first zero's index; out must not alias a.
    ptrdiff_t bn_inv_batch_at(int backend, const bn_field *F, size_t n, uint64_t *out,
                              const uint64_t *a)
    # -1, or the first non-canonical encoding's index; src must not overlap out.
    ptrdiff_t bn_from_bytes_batch_at(int backend, const bn_field *F, size_t n, uint64_t *out,
                                     const uint8_t *src, int big_endian)
    void bn_to_bytes_batch_at(int backend, const bn_field *F, size_t n, uint8_t *dst,
                              const uint64_t *a, int big_endian)
    size_t bn_canonical_mask(const bn_field *F, size_t n, const uint64_t *a, uint8_t *mask)


# The backend this module chose or was forced to (_set_backend): the one every
# BN254 kernel of the package passes to the *_at functions.
cdef int backend_code() noexcept nogil


# Rows of an (n, cols) C-contiguous native uint64 array (the layout of every BN254
# kernel's limbs); TypeError/ValueError naming `name` otherwise.  Shared by the
# field, curve and MSM modules.
cdef Py_ssize_t check_rows(object arr, str name, Py_ssize_t cols, bint writable) except -1


# Length of a one-dimensional C-contiguous int64 array (CSR indexes, witness programs);
# TypeError/ValueError naming `name` otherwise.  Shared by the Groth16 and witness modules.
cdef Py_ssize_t check_index(object arr, str name) except -1


# out and src (nbytes each) are one buffer (allowed when exact_ok) or disjoint;
# ValueError naming `name` otherwise.  Shared by the field and Poseidon modules.
cdef int check_alias(const void *out, const void *src, size_t nbytes, bint exact_ok,
                     str name) except -1
