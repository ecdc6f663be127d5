"""The NTT over Fr of BN254, in place (csrc/bn254_ntt.h).

Arrays are C-contiguous numpy uint64 arrays of shape (n, 4): rows in
Montgomery form (canonical, < r), n a power of two up to 2^28.  Every
transform works in place and keeps natural order:

* forward(a, shift=None, threads=1): a[i] *= shift^i when a shift is given,
  then a[k] := sum_i a[i] w^(ik) for the domain's root w = root_of_unity(n).
* inverse(a, shift=None, threads=1): the inverse of forward with the same shift.

The multiply backend is the one pouw._native.field uses (backend_code()), so
field._set_backend switches these kernels too.  Twiddle tables are built
once per size by :class:`Twiddles` and cached (twiddles(log_size)); the lookup
is guarded by a lock.  The GIL is released around every transform above
GIL_THRESHOLD rows; the array is an argument and the table a local of the
running call, so both stay alive across the release.

Public face: pouw.zk.ntt (validation of FrArrays, the shift as an Fr).
"""

cimport cython
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdint cimport uint64_t

from .field cimport backend_code


__all__ = [
    "MAX_LOG",
    "GENERATOR",
    "ROOT_OF_UNITY",
    "GIL_THRESHOLD",
    "root_of_unity",
    "Twiddles",
    "twiddles",
    "forward",
    "inverse",
    "clear_cache",
]


cdef extern from "bn254_ntt.h" nogil:
    enum:
        BN_NTT_MAX_LOG
    # Fill tw (n = 2^logn rows): tw[m + j] = w_{2m}^j.  omega: w_n in Montgomery form.
    void bn_ntt_twiddles(int backend, uint64_t *tw, int logn, const uint64_t *omega)
    # In place, natural order; c, h: Montgomery rows (h may be NULL); see the header.
    void bn_ntt_forward(int backend, uint64_t *a, int logn, const uint64_t *tw,
                        const uint64_t *c, const uint64_t *h, int threads)
    void bn_ntt_inverse(int backend, uint64_t *a, int logn, const uint64_t *tw,
                        const uint64_t *c, const uint64_t *h, int threads)


R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
MAX_LOG = BN_NTT_MAX_LOG
#: The multiplicative generator of Fr* whose power roots every domain (as snarkjs and arkworks).
GENERATOR = 5
#: A primitive 2^28-th root of unity: GENERATOR^((r - 1) / 2^28).
ROOT_OF_UNITY = pow(GENERATOR, (R - 1) >> MAX_LOG, R)
# Below this many rows a transform is shorter than a GIL hand-off.
GIL_THRESHOLD = 64

if (R - 1) % (1 << MAX_LOG) or pow(ROOT_OF_UNITY, 1 << (MAX_LOG - 1), R) != R - 1:
    raise ImportError("pouw._native.ntt: the 2^28-th root of unity of Fr is wrong")


def root_of_unity(Py_ssize_t log_size):
    """root_of_unity(log_size: int) -> int: the primitive 2^log_size-th root w_{2^28}^(2^(28-log_size))."""
    if log_size < 0 or log_size > MAX_LOG:
        raise ValueError(f"log_size must be in [0, {MAX_LOG}], got {log_size}")
    return pow(ROOT_OF_UNITY, 1 << (MAX_LOG - log_size), R)


cdef void to_limbs(object x, uint64_t out[4]):
    """out := the Montgomery form of the integer x (reduced mod r) as 4 little-endian limbs."""
    cdef object m = ((x % R) << 256) % R
    cdef int i
    for i in range(4):
        out[i] = <uint64_t>((m >> (64 * i)) & 0xFFFFFFFFFFFFFFFF)


@cython.final
cdef class Twiddles:
    """The twiddle table of the domain of 2^log_size points (owns n Montgomery rows).

    Attributes are the domain's constants as Python ints: ``size``, ``log_size``,
    ``omega`` (w_n), ``omega_inv`` and ``size_inv`` (1/n mod r).  Immutable once
    built; shared by every call through :func:`twiddles`.
    """

    cdef uint64_t *tw            # n rows; PyMem, freed in __dealloc__
    cdef uint64_t size_inv_m[4]  # 1/n, Montgomery
    cdef readonly int log_size
    cdef readonly Py_ssize_t size
    cdef readonly object omega, omega_inv, size_inv

    def __cinit__(self, int log_size):
        cdef uint64_t omega_m[4]
        cdef int backend = backend_code()
        if log_size < 0 or log_size > MAX_LOG:
            raise ValueError(f"log_size must be in [0, {MAX_LOG}], got {log_size}")
        self.log_size = log_size
        self.size = <Py_ssize_t>1 << log_size
        self.omega = root_of_unity(log_size)
        self.omega_inv = pow(self.omega, -1, R)
        self.size_inv = pow(self.size, -1, R)
        to_limbs(self.omega, omega_m)
        to_limbs(self.size_inv, self.size_inv_m)
        self.tw = <uint64_t *>PyMem_Malloc(<size_t>self.size * 4 * sizeof(uint64_t))
        if self.tw == NULL:
            raise MemoryError(f"no memory for the twiddles of 2^{log_size} points")
        with nogil:
            bn_ntt_twiddles(backend, self.tw, log_size, omega_m)

    def __dealloc__(self):
        PyMem_Free(self.tw)

    def __repr__(self):
        return f"Twiddles(log_size={self.log_size})"


cdef dict _cache = {}
# Guards _cache; waiting for it releases the GIL (Cython's lock, no threading import).
cdef cython.pymutex _lock


def twiddles(int log_size):
    """twiddles(log_size: int) -> Twiddles: the cached table, built on first use (thread safe)."""
    cdef Twiddles t = _cache.get(log_size)
    if t is not None:
        return t
    with _lock:
        t = _cache.get(log_size)
        if t is None:
            t = Twiddles(log_size)
            _cache[log_size] = t
    return t


def clear_cache():
    """clear_cache() -> None: drop every cached table (calls in flight keep theirs)."""
    with _lock:
        _cache.clear()


cdef int log2_rows(uint64_t[:, ::1] a) except -1:
    cdef Py_ssize_t n = a.shape[0]
    cdef int k = 0
    if a.shape[1] != 4:
        raise ValueError(f"rows must have 4 limbs, got shape ({n}, {a.shape[1]})")
    if n < 1 or n & (n - 1):
        raise ValueError(f"the length must be a power of two, got {n}")
    while (<Py_ssize_t>1 << k) < n:
        k += 1
    if k > MAX_LOG:
        raise ValueError(f"the length must be at most 2^{MAX_LOG}, got 2^{k}")
    return k


cdef int check_threads(object threads) except -1:
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int, got {threads!r}")
    return <int>min(threads, 64)


def forward(uint64_t[:, ::1] a not None, shift=None, threads=1):
    """forward(a, shift: int | None = None, threads: int = 1) -> None: the coset DFT in place.

    a[k] := sum_i a[i] (shift w^k)^i, w = root_of_unity(log2 n); shift None means 1.
    """
    cdef int logn = log2_rows(a)
    cdef int nthreads = check_threads(threads)
    cdef Twiddles t = twiddles(logn)
    cdef uint64_t c[4]
    cdef uint64_t h[4]
    cdef uint64_t *hp = NULL
    cdef int backend = backend_code()
    to_limbs(1, c)
    if shift is not None:
        if shift % R == 0:
            raise ValueError("the coset shift must be nonzero")
        to_limbs(shift, h)
        hp = h
    if a.shape[0] >= GIL_THRESHOLD:
        with nogil:
            bn_ntt_forward(backend, &a[0, 0], logn, t.tw, c, hp, nthreads)
    else:
        bn_ntt_forward(backend, &a[0, 0], logn, t.tw, c, hp, nthreads)


def inverse(uint64_t[:, ::1] a not None, shift=None, threads=1):
    """inverse(a, shift: int | None = None, threads: int = 1) -> None: undoes forward(a, shift).

    a[i] := shift^-i / n * sum_k a[k] w^(-ik).
    """
    cdef int logn = log2_rows(a)
    cdef int nthreads = check_threads(threads)
    cdef Twiddles t = twiddles(logn)
    cdef uint64_t h[4]
    cdef uint64_t *hp = NULL
    cdef int backend = backend_code()
    if shift is not None:
        if shift % R == 0:
            raise ValueError("the coset shift must be nonzero")
        to_limbs(pow(shift, -1, R), h)
        hp = h
    if a.shape[0] >= GIL_THRESHOLD:
        with nogil:
            bn_ntt_inverse(backend, &a[0, 0], logn, t.tw, t.size_inv_m, hp, nthreads)
    else:
        bn_ntt_inverse(backend, &a[0, 0], logn, t.tw, t.size_inv_m, hp, nthreads)
