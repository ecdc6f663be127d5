"""The Poseidon hash over BN254's Fr, circomlib's instance (csrc/bn254_poseidon.h).

A :class:`Constants` holds one width's constants, converted once into the
kernel's forms; it is built from the canonical integers of the optimised form
(pouw.zk.poseidon_params.optimized(t)), flattened in the order of
:func:`layout`'s names and given as a C-contiguous (count, 4) uint64 array of
little-endian limbs.  Then:

* hash(c, inputs) -> int: one hash of c.t - 1 inputs, each an int (or an
  object with __index__, not bool) in [0, r).
* hash_batch(c, columns, out): out[i] := the hash of row i of the c.t - 1
  columns; columns and out are C-contiguous (n, 4) uint64 arrays of Montgomery
  rows (canonical, the layout of pouw._native.field), out equal to a column or
  disjoint from every one.
* permute(c, state) -> list[int]: the whole permutation of c.t ints (tests).

The multiply backend is the one pouw._native.field uses (backend_code()), so
field._set_backend switches these kernels too: the batch runs 8 rows at once
in AVX-512 IFMA lanes on the "ifma" backend, one row at a time otherwise.
The GIL is released around every permutation (a hash is several
microseconds); the arrays are arguments of the running call and the columns
are held in a tuple, so they stay alive across the release.

Public face: pouw.zk.poseidon (which builds the Constants per width on first
use; this layer imports only C and numpy).
"""

cimport cython
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.number cimport PyNumber_Index
from cpython.pycapsule cimport PyCapsule_New
from libc.stddef cimport ptrdiff_t
from libc.stdint cimport uint64_t
from libc.string cimport memcpy, memset

from .field cimport (
    BN_BACKEND_IFMA,
    BN_FR,
    backend_code,
    bn_backend_supported,
    bn_from_mont_at,
    bn_lt_p,
    bn_to_mont_at,
    check_alias,
    check_rows,
)

__all__ = ["MAX_T", "LAYOUT", "layout", "Constants", "hash", "hash_batch", "permute", "trace"]

R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
#: The widest state the kernel runs (16 inputs).
MAX_T = BN_PSD_MAX_T
#: The fields of the constants array, in order (OptimizedParams' names).
LAYOUT = ("initial", "full_first", "pre_partial", "dense", "partial", "sparse_row",
          "sparse_col", "full_last", "mds")


def layout(int t, int full_rounds, int partial_rounds):
    """layout(t, full_rounds, partial_rounds) -> dict[str, int]: elements per LAYOUT field."""
    cdef bn_psd p
    if bn_psd_layout(&p, t, full_rounds, partial_rounds) == 0:
        raise ValueError(f"no Poseidon layout for t = {t}, R_F = {full_rounds}, "
                         f"R_P = {partial_rounds} (t in 2..{MAX_T}, R_F even >= 2, R_P >= 1)")
    f1 = full_rounds // 2 - 1
    return dict(zip(LAYOUT, (t, f1 * t, t, t * t, partial_rounds, partial_rounds * t,
                             partial_rounds * (t - 1), f1 * t, t * t)))


@cython.final
cdef class Constants:
    """One width's constants in the kernel's forms (immutable; share one per width).

    ``Constants(t, full_rounds, partial_rounds, raw)``: ``raw`` is the (count, 4)
    uint64 array of the canonical integers, LAYOUT order; ValueError if its
    shape is not the layout's or an element is not below r.
    """

    def __cinit__(self, int t, int full_rounds, int partial_rounds, raw):
        sizes = layout(t, full_rounds, partial_rounds)
        cdef size_t count = bn_psd_layout(&self.p, t, full_rounds, partial_rounds)
        if check_rows(raw, "raw", 4, False) != <Py_ssize_t>count:
            raise ValueError(f"raw must hold {count} constants for t = {t} "
                             f"({sizes}), got {raw.shape[0]}")
        cdef const uint64_t[:, ::1] r = raw
        cdef bint ifma = bn_backend_supported(BN_BACKEND_IFMA)
        cdef size_t limbs = count * (9 if ifma else 4)
        self.buf = <uint64_t *>PyMem_Malloc(limbs * sizeof(uint64_t))
        if self.buf == NULL:
            raise MemoryError("no memory for the Poseidon constants")
        cdef uint64_t *mont = self.buf
        cdef uint64_t *vec = self.buf + 4 * count if ifma else NULL
        cdef ptrdiff_t bad = bn_psd_prepare(backend_code(), count, mont, vec, &r[0, 0])
        if bad >= 0:
            raise ValueError(f"constant {bad} is not below r")
        self.p.m = mont
        self.p.v = vec
        self.t = t
        self.full_rounds = full_rounds
        self.partial_rounds = partial_rounds

    def __dealloc__(self):
        PyMem_Free(self.buf)

    def __repr__(self):
        return (f"Constants(t={self.t}, full_rounds={self.full_rounds}, "
                f"partial_rounds={self.partial_rounds})")

    def capsule(self):
        """A PyCapsule ("pouw.bn_psd") of the kernel's bn_psd, valid while this object lives.

        How kernels that must not import numpy (pouw._native.merkle, which the
        mock prover loads) reach these constants: by pointer, not by cimport."""
        return PyCapsule_New(&self.p, b"pouw.bn_psd", NULL)


cdef int _backend() noexcept nogil:
    return backend_code()


def backend_capsule():
    """A PyCapsule ("pouw.backend_code") of ``int (*)(void)``: the field backend in effect."""
    return PyCapsule_New(<void *>_backend, b"pouw.backend_code", NULL)


# ---------------------------------------------------------------- Python ints at the boundary

class NotAnInteger(ValueError, TypeError):
    """An input that is not an integer: a ValueError, as the contract says of every
    input outside [0, r), and a TypeError, as Python says of a wrong type."""


cdef int load_int(uint64_t *dst, object x, Py_ssize_t i) except -1:
    """dst[0..4) := the limbs of input i, an integer in [0, r); ValueError otherwise
    (NotAnInteger, also a TypeError, for a non-integer)."""
    cdef bytes b
    if type(x) is not int:
        if isinstance(x, bool):
            raise NotAnInteger(f"Poseidon input {i} must be an integer, not bool")
        try:
            x = PyNumber_Index(x)
        except TypeError:
            raise NotAnInteger(f"Poseidon input {i} must be an integer, "
                               f"not {type(x).__name__}") from None
    try:
        b = int.to_bytes(x, 32, "little")
    except OverflowError:  # negative, or 2^256 and above
        raise ValueError(f"Poseidon input {i} must be in [0, r), got {x}") from None
    memcpy(dst, <const char *>b, 32)
    if not bn_lt_p(&BN_FR, dst):
        raise ValueError(f"Poseidon input {i} must be in [0, r), got {x}")
    return 0


cdef inline object store_int(const uint64_t *src):
    return int.from_bytes((<const char *>src)[:32], "little")


def hash(Constants c not None, inputs):
    """hash(c, inputs) -> int: the Poseidon hash of the c.t - 1 integers in inputs (a list or tuple)."""
    cdef uint64_t s[BN_PSD_MAX_T * 4]
    cdef Py_ssize_t n = len(inputs), i
    cdef int backend = backend_code()
    if n != c.t - 1:
        raise ValueError(f"this width takes {c.t - 1} inputs, got {n}")
    for i in range(n):
        load_int(s + 4 * (i + 1), inputs[i], i)
    with nogil:
        bn_psd_hash_ints(backend, &c.p, s)
    return store_int(s)


def trace(Constants c not None, inputs):
    """trace(c, inputs) -> list[int]: ``x^2, x^4, x^5`` of every S-box of the hash of
    ``inputs`` (c.t - 1 integers in [0, r)) in evaluation order, then the hash.

    The optimised rounds of pouw.zk.poseidon_params.permute_optimized, on the
    scalar multiply (ADX, or portable): the witness of a circuit's Poseidon
    (pouw.zk.gadgets_poseidon), 3 * (R_F * t + R_P) + 1 integers."""
    cdef uint64_t s[BN_PSD_MAX_T * 4]
    cdef Py_ssize_t n = len(inputs), i
    cdef int backend = backend_code(), j
    if n != c.t - 1:
        raise ValueError(f"this width takes {c.t - 1} inputs, got {n}")
    memset(s, 0, 32)
    for i in range(n):
        load_int(s + 4 * (i + 1), inputs[i], i)
        bn_to_mont_at(backend, &BN_FR, s + 4 * (i + 1), s + 4 * (i + 1))
    cdef size_t rows = 3 * bn_psd_n_sboxes(&c.p), k
    cdef uint64_t *rec = <uint64_t *>PyMem_Malloc(4 * rows * sizeof(uint64_t))
    if rec == NULL:
        raise MemoryError()
    try:
        with nogil:
            bn_psd_trace_at(backend, &c.p, s, rec)
            for k in range(rows):
                bn_from_mont_at(backend, &BN_FR, rec + 4 * k, rec + 4 * k)
            bn_from_mont_at(backend, &BN_FR, s, s)
        out = [store_int(rec + 4 * k) for k in range(rows)]
    finally:
        PyMem_Free(rec)
    out.append(store_int(s))
    return out


def permute(Constants c not None, state):
    """permute(c, state) -> list[int]: the permutation of c.t integers in [0, r)."""
    cdef uint64_t s[BN_PSD_MAX_T * 4]
    cdef Py_ssize_t n = len(state), i
    cdef int backend = backend_code()
    if n != c.t:
        raise ValueError(f"the state of this width has {c.t} elements, got {n}")
    for i in range(n):
        load_int(s + 4 * i, state[i], i)
    with nogil:
        for i in range(n):
            bn_to_mont_at(backend, &BN_FR, s + 4 * i, s + 4 * i)
        bn_psd_permute_at(backend, &c.p, s)
        for i in range(n):
            bn_from_mont_at(backend, &BN_FR, s + 4 * i, s + 4 * i)
    return [store_int(s + 4 * i) for i in range(n)]


def hash_batch(Constants c not None, columns, out):
    """hash_batch(c, columns, out) -> None: out[i] := the hash of row i of the columns.

    columns: a sequence of c.t - 1 arrays of n Montgomery rows; out: n rows.
    """
    cdef tuple cols = tuple(columns)  # held across the release, whatever the caller's list does
    cdef Py_ssize_t k = len(cols), n, j
    cdef const uint64_t *ptrs[BN_PSD_MAX_T]
    cdef const uint64_t[:, ::1] view
    cdef uint64_t[:, ::1] o
    cdef uint64_t *outp
    cdef int backend = backend_code()
    if k != c.t - 1:
        raise ValueError(f"this width takes {c.t - 1} columns, got {k}")
    n = check_rows(out, "out", 4, True)
    for j in range(k):
        if check_rows(cols[j], f"columns[{j}]", 4, False) != n:
            raise ValueError(f"length mismatch: out has {n} rows, columns[{j}] has "
                             f"{cols[j].shape[0]}")
    if n == 0:
        return
    o = out
    outp = &o[0, 0]
    for j in range(k):
        view = cols[j]
        ptrs[j] = &view[0, 0]
        check_alias(outp, ptrs[j], 32 * n, True, f"columns[{j}]")
    with nogil:
        bn_psd_hash_batch(backend, &c.p, n, ptrs, outp)
