"""The optimal ate pairing of BN254 (csrc/bn254_pairing.h, csrc/bn254_tower.h).

Layouts (C-contiguous numpy uint64, Montgomery form, canonical):

* an Fq12 value: 48 limbs, the tower Fq6[w]/(w^2 - v) over Fq2[v]/(v^3 - xi):
  c0.c0, c0.c1, c0.c2, c1.c0, c1.c1, c1.c2, each an Fq2 (c0 then c1, 4 limbs each);
* G1 points: (n, 8) affine rows [x, y]; a G2 point: 16 limbs [x_c0, x_c1, y_c0, y_c1]
  (all-zero rows are the point at infinity, which contributes 1).

Points must already be validated (on the curve; G2 in the subgroup): the
public face (pouw.zk.pairing) does it.  The GIL is released around the line
precomputation, the Miller loops and the final exponentiation; the arrays and
G2Lines objects involved are arguments or locals of the running call, so they
stay alive across the release.  The multiply backend is pouw._native.field's
(backend_code()).
"""

cimport cython
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdint cimport int8_t, uint64_t
from libc.string cimport memcpy, memset

from .field cimport backend_code

import numpy as np

__all__ = ["G2Lines", "N_LINES", "miller_loop", "final_exp", "pairing_product", "check",
           "fq12_mul", "fq12_sqr", "fq12_inv", "fq12_frob", "fq12_conj", "fq12_pow",
           "fq12_cyclo_sqr", "frobenius_constants"]


cdef extern from "bn254_tower.h" nogil:
    const uint64_t BT_FROB1[5][8]
    const uint64_t BT_FROB2[5][8]
    const uint64_t BT_FROB3[5][8]
    bint bt_fq12_is_one(const uint64_t *a)
    void bt_fq12_set_one(uint64_t *r)
    void bt_fq12_conj(uint64_t *r, const uint64_t *a)
    void bt_fq12_mul(int be, uint64_t *r, const uint64_t *a, const uint64_t *b)
    void bt_fq12_sqr(int be, uint64_t *r, const uint64_t *a)
    void bt_fq12_inv(int be, uint64_t *r, const uint64_t *a)
    void bt_fq12_cyclo_sqr(int be, uint64_t *r, const uint64_t *a)
    void bt_fq12_frob(int be, uint64_t *r, const uint64_t *a, int n)


cdef extern from "bn254_pairing.h" nogil:
    enum:
        BP_N_LINES
        BP_LINE_LIMBS
    void bp_prepare(int be, uint64_t *lines, const uint64_t *Q)
    void bp_miller_loop(int be, uint64_t *f, size_t n, const uint64_t *const *lines,
                        const uint64_t *P)
    void bp_final_exp(int be, uint64_t *r, const uint64_t *f)


N_LINES = BP_N_LINES


# ---------------------------------------------------------------- the C boundary

cdef int check_vec(object arr, str name, Py_ssize_t size, bint writable) except -1:
    """A 1-D C-contiguous native uint64 array of `size` limbs; TypeError/ValueError otherwise."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray of uint64 limbs, got {type(arr).__name__}")
    if arr.dtype != np.uint64:
        raise TypeError(f"{name} must have dtype uint64 in native byte order, got {arr.dtype}")
    if arr.ndim != 1 or arr.shape[0] != size:
        raise ValueError(f"{name} must have shape ({size},), got {arr.shape}")
    if not arr.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (use numpy.ascontiguousarray)")
    if writable and not arr.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return 0


cdef Py_ssize_t check_g1(object arr) except -1:
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"g1 must be a numpy.ndarray of uint64 limbs with shape (n, 8), "
                        f"got {type(arr).__name__}")
    if arr.dtype != np.uint64:
        raise TypeError(f"g1 must have dtype uint64 in native byte order, got {arr.dtype}")
    if arr.ndim != 2 or arr.shape[1] != 8:
        raise ValueError(f"g1 must have shape (n, 8), got {arr.shape}")
    if not arr.flags.c_contiguous:
        raise ValueError("g1 must be C-contiguous (use numpy.ascontiguousarray)")
    return arr.shape[0]


cdef bint all_zero(const uint64_t *a, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        if a[i]:
            return False
    return True


@cython.final
cdef class G2Lines:
    """G2Lines(q): the Miller-loop lines of one G2 point (a (16,) uint64 affine
    row, validated by the caller), computed once; ``is_infinity`` when q is the
    all-zero row (its pairings are 1).  Owns a PyMem buffer of
    N_LINES * 24 limbs, freed in __dealloc__."""

    cdef uint64_t *lines
    cdef readonly bint is_infinity

    def __cinit__(self, q):
        check_vec(q, "q", 16, False)
        cdef const uint64_t[::1] qv = q
        self.lines = NULL
        self.is_infinity = all_zero(&qv[0], 16)
        if self.is_infinity:
            return
        self.lines = <uint64_t *>PyMem_Malloc(BP_N_LINES * BP_LINE_LIMBS * sizeof(uint64_t))
        if self.lines == NULL:
            raise MemoryError()
        cdef int be = backend_code()
        with nogil:
            bp_prepare(be, self.lines, &qv[0])

    def __dealloc__(self):
        PyMem_Free(self.lines)

    def coefficients(self):
        """coefficients() -> numpy.ndarray: a copy of the lines, (N_LINES, 24) limbs."""
        out = np.zeros((BP_N_LINES, BP_LINE_LIMBS), dtype=np.uint64)
        cdef uint64_t[:, ::1] o = out
        if self.lines != NULL:
            memcpy(&o[0, 0], self.lines, BP_N_LINES * BP_LINE_LIMBS * sizeof(uint64_t))
        return out


cdef int run_miller(object out, object g1, object lines) except -1:
    """out := product of the Miller loops over the pairs (g1[i], lines[i]), skipping
    pairs with a point at infinity."""
    check_vec(out, "out", 48, True)
    cdef Py_ssize_t n = check_g1(g1), i, m = 0
    if not isinstance(lines, (list, tuple)):
        raise TypeError(f"lines must be a list of G2Lines, got {type(lines).__name__}")
    if len(lines) != n:
        raise ValueError(f"length mismatch: {n} G1 points, {len(lines)} G2Lines")
    for item in lines:
        if not isinstance(item, G2Lines):
            raise TypeError(f"lines must hold G2Lines, got {type(item).__name__}")
    cdef uint64_t[::1] o = out
    cdef const uint64_t[:, ::1] p = g1
    cdef const uint64_t **lp = <const uint64_t **>PyMem_Malloc((n + 1) * sizeof(uint64_t *))
    cdef uint64_t *pp = <uint64_t *>PyMem_Malloc((n + 1) * 8 * sizeof(uint64_t))
    cdef G2Lines q
    cdef int be = backend_code()
    if lp == NULL or pp == NULL:
        PyMem_Free(lp)
        PyMem_Free(pp)
        raise MemoryError()
    for i in range(n):
        q = lines[i]
        if q.is_infinity or all_zero(&p[i, 0], 8):
            continue
        lp[m] = q.lines
        memcpy(pp + 8 * m, &p[i, 0], 8 * sizeof(uint64_t))
        m += 1
    # `lines` (and so every G2Lines buffer) is an argument: alive across the release.
    with nogil:
        bp_miller_loop(be, &o[0], <size_t>m, lp, pp)
    PyMem_Free(lp)
    PyMem_Free(pp)
    return 0


def miller_loop(out, g1, lines):
    """miller_loop(out, g1, lines) -> None: out (48,) := prod_i f_i(g1[i]), the Miller
    loops (with the two Frobenius additions) of the pairs, without the final
    exponentiation.  g1 (n, 8) validated affine rows, lines a list of n G2Lines."""
    run_miller(out, g1, lines)


def final_exp(out, f):
    """final_exp(out, f) -> None: out := f^((q^12-1)/r) (out may be f)."""
    check_vec(out, "out", 48, True)
    check_vec(f, "f", 48, False)
    cdef uint64_t[::1] o = out
    cdef const uint64_t[::1] a = f
    cdef uint64_t t[48]
    cdef int be = backend_code()
    memcpy(t, &a[0], sizeof(t))
    with nogil:
        bp_final_exp(be, t, t)
    memcpy(&o[0], t, sizeof(t))


def pairing_product(out, g1, lines):
    """pairing_product(out, g1, lines) -> None: out := prod_i e(g1[i], Q_i), one final
    exponentiation for all pairs."""
    run_miller(out, g1, lines)
    cdef uint64_t[::1] o = out
    cdef int be = backend_code()
    with nogil:
        bp_final_exp(be, &o[0], &o[0])


def check(g1, lines):
    """check(g1, lines) -> bool: prod_i e(g1[i], Q_i) == 1."""
    out = np.empty(48, dtype=np.uint64)
    pairing_product(out, g1, lines)
    cdef uint64_t[::1] o = out
    return bool(bt_fq12_is_one(&o[0]))


# ---------------------------------------------------------------- Fq12 arithmetic

cdef int fq12_args(object out, object a, object b) except -1:
    check_vec(out, "out", 48, True)
    check_vec(a, "a", 48, False)
    if b is not None:
        check_vec(b, "b", 48, False)
    return 0


def fq12_mul(out, a, b):
    """fq12_mul(out, a, b) -> None: out := a * b (out may alias a or b)."""
    fq12_args(out, a, b)
    cdef uint64_t[::1] o = out
    cdef const uint64_t[::1] x = a
    cdef const uint64_t[::1] y = b
    cdef uint64_t t[48]
    bt_fq12_mul(backend_code(), t, &x[0], &y[0])
    memcpy(&o[0], t, sizeof(t))


cdef int unary(int op, object out, object a, int n) except -1:
    fq12_args(out, a, None)
    cdef uint64_t[::1] o = out
    cdef const uint64_t[::1] x = a
    cdef uint64_t t[48]
    cdef int be = backend_code()
    if op == 0:
        bt_fq12_sqr(be, t, &x[0])
    elif op == 1:
        bt_fq12_inv(be, t, &x[0])
    elif op == 2:
        bt_fq12_frob(be, t, &x[0], n)
    elif op == 3:
        bt_fq12_conj(t, &x[0])
    else:
        bt_fq12_cyclo_sqr(be, t, &x[0])
    memcpy(&o[0], t, sizeof(t))
    return 0


def fq12_sqr(out, a):
    """fq12_sqr(out, a) -> None: out := a^2."""
    unary(0, out, a, 0)


def fq12_inv(out, a):
    """fq12_inv(out, a) -> None: out := 1/a (0 for a = 0)."""
    unary(1, out, a, 0)


def fq12_frob(out, a, n):
    """fq12_frob(out, a, n) -> None: out := a^(q^n) for n in 1, 2, 3."""
    if n not in (1, 2, 3):
        raise ValueError(f"n must be 1, 2 or 3, got {n!r}")
    unary(2, out, a, n)


def fq12_conj(out, a):
    """fq12_conj(out, a) -> None: out := a^(q^6)."""
    unary(3, out, a, 0)


def fq12_cyclo_sqr(out, a):
    """fq12_cyclo_sqr(out, a) -> None: out := a^2 for a in the cyclotomic subgroup
    (garbage otherwise)."""
    unary(4, out, a, 0)


def fq12_pow(out, a, e):
    """fq12_pow(out, a, e) -> None: out := a^e for a non-negative int e (square and
    multiply, general squaring)."""
    fq12_args(out, a, None)
    if e < 0:
        raise ValueError("e must be non-negative (invert first)")
    cdef uint64_t[::1] o = out
    cdef const uint64_t[::1] x = a
    cdef uint64_t acc[48]
    cdef uint64_t base[48]
    cdef int be = backend_code()
    cdef Py_ssize_t i, nbits = e.bit_length()
    bits = np.frombuffer(e.to_bytes((nbits + 7) // 8 or 1, "little"), dtype=np.uint8)
    cdef const unsigned char[::1] bv = np.unpackbits(bits, bitorder="little")
    memcpy(base, &x[0], sizeof(base))
    bt_fq12_set_one(acc)
    with nogil:
        for i in range(nbits - 1, -1, -1):
            bt_fq12_sqr(be, acc, acc)
            if bv[i]:
                bt_fq12_mul(be, acc, acc, base)
    memcpy(&o[0], acc, sizeof(acc))


def frobenius_constants():
    """frobenius_constants() -> numpy.ndarray: (3, 5, 8) limbs, [n-1][k-1] =
    xi^(k(q^n-1)/6) in Montgomery form (Fq2: c0 then c1)."""
    out = np.empty((3, 5, 8), dtype=np.uint64)
    cdef uint64_t[:, :, ::1] o = out
    memcpy(&o[0, 0, 0], BT_FROB1, sizeof(BT_FROB1))
    memcpy(&o[1, 0, 0], BT_FROB2, sizeof(BT_FROB2))
    memcpy(&o[2, 0, 0], BT_FROB3, sizeof(BT_FROB3))
    return out
