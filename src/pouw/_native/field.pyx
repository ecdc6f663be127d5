"""Batch kernels of the BN254 fields Fr and Fq (csrc/bn254_field.h).

Every array argument is a C-contiguous numpy uint64 array of shape (n, 4): n
elements, each 4 little-endian limbs in Montgomery form (canonical, < p).
``field`` is FR (0) or FQ (1).  Outputs are written into ``out`` (the caller
allocates it); elementwise kernels accept ``out`` equal to an input, never a
partial overlap.  The GIL is released for batches of GIL_THRESHOLD elements
or more; the caller's arrays are arguments of the call, so they stay alive
across the release.

Public face: pouw.zk.field (which raises pouw.errors.CurveError from the
indexes these kernels return: this layer imports only C and numpy).
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from libc.stddef cimport ptrdiff_t
from libc.stdint cimport uint8_t, uint64_t, uintptr_t

import numpy as np

__all__ = [
    "FR",
    "FQ",
    "GIL_THRESHOLD",
    "modulus",
    "backend",
    "backends",
    "add",
    "sub",
    "neg",
    "mul",
    "square",
    "inv",
    "pow",
    "to_mont",
    "from_mont",
    "from_bytes",
    "to_bytes",
    "canonical_mask",
]

FR = BN_FIELD_FR
FQ = BN_FIELD_FQ
# Below this many elements the call is shorter than a GIL hand-off (~0.2 us).
GIL_THRESHOLD = 64
cdef Py_ssize_t C_GIL_THRESHOLD = GIL_THRESHOLD


# ---------------------------------------------------------------- the C boundary

cdef const bn_field *field_of(object field) except NULL:
    if not isinstance(field, int) or field not in (FR, FQ):
        raise ValueError(f"field must be FR ({FR}) or FQ ({FQ}), got {field!r}")
    return bn_field_of(<int>field)


cdef Py_ssize_t check_rows(object arr, str name, Py_ssize_t cols, bint writable) except -1:
    """Rows of an (n, cols) C-contiguous native uint64 array; TypeError/ValueError otherwise."""
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray of uint64 limbs with shape (n, {cols}), "
                        f"got {type(arr).__name__}")
    if arr.dtype != np.uint64:
        raise TypeError(f"{name} must have dtype uint64 in native byte order, got {arr.dtype}")
    if arr.ndim != 2 or arr.shape[1] != cols:
        raise ValueError(f"{name} must have shape (n, {cols}), got {arr.shape}")
    if not arr.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (use numpy.ascontiguousarray)")
    if writable and not arr.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return arr.shape[0]


cdef Py_ssize_t check_index(object arr, str name) except -1:
    """Length of a one-dimensional C-contiguous int64 array (CSR indexes, witness
    programs); TypeError/ValueError otherwise."""
    if not isinstance(arr, np.ndarray) or arr.dtype != np.int64 or arr.ndim != 1:
        raise TypeError(f"{name} must be a one-dimensional numpy int64 array")
    if not arr.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    return arr.shape[0]


cdef inline Py_ssize_t check_limbs(object arr, str name, bint writable) except -1:
    return check_rows(arr, name, 4, writable)


cdef int check_same(Py_ssize_t n, Py_ssize_t m, str name) except -1:
    if n != m:
        raise ValueError(f"length mismatch: out has {n} elements, {name} has {m}")
    return 0


cdef int check_alias(const void *out, const void *src, size_t nbytes, bint exact_ok,
                     str name) except -1:
    """out and src (nbytes each) are the same buffer (when exact_ok) or disjoint."""
    cdef uintptr_t o = <uintptr_t>out, s = <uintptr_t>src
    if nbytes == 0 or o + nbytes <= s or s + nbytes <= o or (exact_ok and o == s):
        return 0
    if exact_ok:
        raise ValueError(f"out partially overlaps {name}: pass the same array or a separate one")
    raise ValueError(f"out must not share memory with {name}")


cdef int backend_code() noexcept nogil:
    return bn_backend()


# ---------------------------------------------------------------- constants and backends

cdef object limbs_to_int(const uint64_t *x):
    return int(x[0]) | int(x[1]) << 64 | int(x[2]) << 128 | int(x[3]) << 192


def modulus(field):
    """modulus(field: int) -> int: the prime p of FR or FQ."""
    return limbs_to_int(field_of(field).p)


cdef int check_descriptor(int code) except -1:
    """The descriptor's derived constants, recomputed from p at import."""
    cdef const bn_field *F = bn_field_of(code)
    p = limbs_to_int(F.p)
    ok = (p % 2 == 1 and p.bit_length() == F.bits and p >> 254 == 0
          and (int(F.pinv) * p) % (1 << 64) == (1 << 64) - 1
          and limbs_to_int(F.r2) == (1 << 512) % p
          and limbs_to_int(F.one) == (1 << 256) % p
          and limbs_to_int(F.pm2) == p - 2)
    if not ok:
        raise ImportError(f"bn254_field.h: the constants of field {code} are inconsistent")
    return 0


check_descriptor(BN_FIELD_FR)
check_descriptor(BN_FIELD_FQ)


def backend():
    """backend() -> str: the multiply path in use ("portable", "adx" or "ifma")."""
    return bn_backend_name[bn_backend()].decode("ascii")


def backends():
    """backends() -> tuple[str, ...]: the paths this CPU can run."""
    return tuple(bn_backend_name[i].decode("ascii")
                 for i in range(BN_N_BACKENDS) if bn_backend_supported(i))


def _set_backend(name):
    """_set_backend(name: str) -> None: force a path (tests and benchmarks only)."""
    for i in range(BN_N_BACKENDS):
        if name == bn_backend_name[i].decode("ascii"):
            if bn_set_backend(i) < 0:
                raise ValueError(f"backend {name!r} is not supported on this CPU; "
                                 f"one of {backends()!r}")
            return
    raise ValueError(f"unknown backend {name!r}; one of {backends()!r}")


# ---------------------------------------------------------------- one dispatcher

cdef enum Op:
    OP_ADD, OP_SUB, OP_MUL, OP_NEG, OP_SQUARE, OP_TO_MONT, OP_FROM_MONT, OP_INV, OP_POW,
    OP_FROM_BYTES, OP_TO_BYTES, OP_MASK


cdef struct Job:
    # Pointers into arrays the calling def function holds (as arguments and
    # typed memoryviews) until run() returns, so they outlive the GIL release.
    Op op
    int backend
    const bn_field *F
    size_t n
    uint64_t *out
    const uint64_t *a
    const uint64_t *b
    const uint64_t *e
    size_t elimbs
    const uint8_t *src
    uint8_t *dst
    int big_endian


cdef ptrdiff_t execute(Job *j) noexcept nogil:
    """Runs one kernel; -1, or the index that made it stop (inv, from_bytes), or a count (mask)."""
    if j.op == OP_ADD:
        bn_add_batch(j.F, j.n, j.out, j.a, j.b)
    elif j.op == OP_SUB:
        bn_sub_batch(j.F, j.n, j.out, j.a, j.b)
    elif j.op == OP_MUL:
        bn_mul_batch_at(j.backend, j.F, j.n, j.out, j.a, j.b)
    elif j.op == OP_NEG:
        bn_neg_batch(j.F, j.n, j.out, j.a)
    elif j.op == OP_SQUARE:
        bn_square_batch_at(j.backend, j.F, j.n, j.out, j.a)
    elif j.op == OP_TO_MONT:
        bn_to_mont_batch_at(j.backend, j.F, j.n, j.out, j.a)
    elif j.op == OP_FROM_MONT:
        bn_from_mont_batch_at(j.backend, j.F, j.n, j.out, j.a)
    elif j.op == OP_INV:
        return bn_inv_batch_at(j.backend, j.F, j.n, j.out, j.a)
    elif j.op == OP_POW:
        bn_pow_batch_at(j.backend, j.F, j.n, j.out, j.a, j.e, j.elimbs)
    elif j.op == OP_FROM_BYTES:
        return bn_from_bytes_batch_at(j.backend, j.F, j.n, j.out, j.src, j.big_endian)
    elif j.op == OP_TO_BYTES:
        bn_to_bytes_batch_at(j.backend, j.F, j.n, j.dst, j.a, j.big_endian)
    elif j.op == OP_MASK:
        return <ptrdiff_t>bn_canonical_mask(j.F, j.n, j.a, j.dst)
    return -1


cdef ptrdiff_t run(Job *j, Op op, object field, size_t n):
    """Fills the common fields and runs, without the GIL above GIL_THRESHOLD
    elements (pow: always, each element costs ~300 multiplies)."""
    cdef ptrdiff_t result
    j.op = op
    j.F = field_of(field)
    j.backend = bn_backend()
    j.n = n
    if n >= <size_t>C_GIL_THRESHOLD or (op == OP_POW and n > 0):
        with nogil:
            result = execute(j)
        return result
    return execute(j)


cdef Py_ssize_t binary(Op op, field, out, a, b) except -2:
    field_of(field)
    cdef Py_ssize_t n = check_limbs(out, "out", True)
    check_same(n, check_limbs(a, "a", False), "a")
    check_same(n, check_limbs(b, "b", False), "b")
    if n == 0:
        return 0
    cdef uint64_t[:, ::1] o = out
    cdef const uint64_t[:, ::1] x = a
    cdef const uint64_t[:, ::1] y = b
    check_alias(&o[0, 0], &x[0, 0], 32 * n, True, "a")
    check_alias(&o[0, 0], &y[0, 0], 32 * n, True, "b")
    cdef Job j
    j.out = &o[0, 0]
    j.a = &x[0, 0]
    j.b = &y[0, 0]
    return run(&j, op, field, n)


cdef Py_ssize_t unary(Op op, field, out, a, bint alias_ok) except -2:
    field_of(field)
    cdef Py_ssize_t n = check_limbs(out, "out", True)
    check_same(n, check_limbs(a, "a", False), "a")
    if n == 0:
        return -1
    cdef uint64_t[:, ::1] o = out
    cdef const uint64_t[:, ::1] x = a
    check_alias(&o[0, 0], &x[0, 0], 32 * n, alias_ok, "a")
    cdef Job j
    j.out = &o[0, 0]
    j.a = &x[0, 0]
    return run(&j, op, field, n)


# ---------------------------------------------------------------- elementwise kernels

def add(field, out, a, b):
    """add(field, out, a, b) -> None: out[i] := a[i] + b[i]."""
    binary(OP_ADD, field, out, a, b)


def sub(field, out, a, b):
    """sub(field, out, a, b) -> None: out[i] := a[i] - b[i]."""
    binary(OP_SUB, field, out, a, b)


def mul(field, out, a, b):
    """mul(field, out, a, b) -> None: out[i] := a[i] * b[i] (on backend())."""
    binary(OP_MUL, field, out, a, b)


def neg(field, out, a):
    """neg(field, out, a) -> None: out[i] := -a[i]."""
    unary(OP_NEG, field, out, a, True)


def square(field, out, a):
    """square(field, out, a) -> None: out[i] := a[i]^2."""
    unary(OP_SQUARE, field, out, a, True)


def to_mont(field, out, a):
    """to_mont(field, out, a) -> None: out[i] := a[i] * 2^256 mod p, for integers a[i] < 2^256."""
    unary(OP_TO_MONT, field, out, a, True)


def from_mont(field, out, a):
    """from_mont(field, out, a) -> None: out[i] := the canonical integer a[i] stands for."""
    unary(OP_FROM_MONT, field, out, a, True)


def inv(field, out, a):
    """inv(field, out, a) -> None: out[i] := 1/a[i] (Montgomery's trick, one Fermat inversion).

    Raises ZeroDivisionError naming the first zero's index (out is then
    unspecified).  out must not share memory with a.
    """
    cdef Py_ssize_t zero = unary(OP_INV, field, out, a, False)
    if zero >= 0:
        raise ZeroDivisionError(f"inverse of zero: element {zero} is 0")


def pow(field, out, a, k):
    """pow(field, out, a, k: int >= 0) -> None: out[i] := a[i]^k (0^0 = 1)."""
    field_of(field)
    cdef Py_ssize_t n = check_limbs(out, "out", True)
    check_same(n, check_limbs(a, "a", False), "a")
    if not isinstance(k, int) or isinstance(k, bool):
        raise TypeError(f"exponent must be an int, got {type(k).__name__}")
    if k < 0:
        raise ValueError(f"exponent must be >= 0, got {k}; invert first")
    if n == 0:
        return
    cdef Py_ssize_t elimbs = max(1, (k.bit_length() + 63) // 64)
    exponent = np.frombuffer(k.to_bytes(8 * elimbs, "little"), dtype="<u8").astype(np.uint64)
    cdef const uint64_t[::1] e = exponent
    cdef uint64_t[:, ::1] o = out
    cdef const uint64_t[:, ::1] x = a
    check_alias(&o[0, 0], &x[0, 0], 32 * n, True, "a")
    cdef Job j
    j.out = &o[0, 0]
    j.a = &x[0, 0]
    j.e = &e[0]
    j.elimbs = elimbs
    run(&j, OP_POW, field, n)


# ---------------------------------------------------------------- encodings

def from_bytes(field, out, data, bint big_endian):
    """from_bytes(field, out, data, big_endian: bool) -> int.

    out[i] := the Montgomery form of the integer in data[32i:32i+32].  Returns
    -1, or the index of the first encoding that is not below p (then nothing
    from that index on is written).  len(data) must be 32 * len(out).
    """
    field_of(field)
    cdef Py_ssize_t n = check_limbs(out, "out", True)
    cdef const uint8_t[::1] d = data
    if d.shape[0] != 32 * n:
        raise ValueError(f"length mismatch: out has {n} elements, data has {d.shape[0]} bytes "
                         f"(need {32 * n})")
    if n == 0:
        return -1
    cdef uint64_t[:, ::1] o = out
    check_alias(&o[0, 0], &d[0], 32 * n, False, "data")
    cdef Job j
    j.out = &o[0, 0]
    j.src = &d[0]
    j.big_endian = big_endian
    return run(&j, OP_FROM_BYTES, field, n)


def to_bytes(field, a, bint big_endian):
    """to_bytes(field, a, big_endian: bool) -> bytes: 32 bytes per element, canonical."""
    field_of(field)
    cdef Py_ssize_t n = check_limbs(a, "a", False)
    if n == 0:
        return b""
    cdef const uint64_t[:, ::1] x = a
    result = PyBytes_FromStringAndSize(NULL, 32 * n)  # fresh, not yet shared: writable
    cdef Job j
    j.a = &x[0, 0]
    j.dst = <uint8_t *>PyBytes_AS_STRING(result)
    j.big_endian = big_endian
    run(&j, OP_TO_BYTES, field, n)
    return result


def canonical_mask(field, a, mask):
    """canonical_mask(field, a, mask) -> int.

    mask[i] := 1 when the limbs a[i], read as an integer, are below p (any
    uint64 (n, 4) array; mask a C-contiguous uint8 array of n).  Returns the
    count of ones.
    """
    field_of(field)
    cdef Py_ssize_t n = check_limbs(a, "a", False)
    if not isinstance(mask, np.ndarray) or mask.dtype != np.uint8:
        raise TypeError("mask must be a numpy uint8 array")
    cdef uint8_t[::1] m = mask
    check_same(m.shape[0], n, "a")
    if n == 0:
        return 0
    cdef const uint64_t[:, ::1] x = a
    cdef Job j
    j.a = &x[0, 0]
    j.dst = &m[0]
    return run(&j, OP_MASK, field, n)
