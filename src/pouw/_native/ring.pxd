# Declarations of csrc/ring.h (a bounded lock-free MPMC ring of void*) and of
# the extension class that owns one.  Nothing declared here touches Python or
# needs the GIL; the ring stores pointers and never dereferences them.

cimport cython
from libc.stdint cimport int64_t


cdef extern from "ring.h" nogil:
    enum:
        POUW_RING_OK
        POUW_RING_TIMEOUT
        POUW_RING_CLOSED
        POUW_RING_MAX_CAPACITY

    ctypedef struct pouw_ring:
        pass

    # Setup and teardown; the caller allocates pouw_ring_alloc_size() bytes.
    size_t pouw_ring_round_capacity(size_t requested) noexcept  # 0: invalid
    size_t pouw_ring_alloc_size(size_t capacity) noexcept
    int pouw_ring_init(pouw_ring *r, size_t capacity) noexcept  # 0 or errno
    void pouw_ring_destroy(pouw_ring *r) noexcept  # caller: no users left

    size_t pouw_ring_capacity(const pouw_ring *r) noexcept
    size_t pouw_ring_size(pouw_ring *r) noexcept
    int pouw_ring_is_closed(pouw_ring *r) noexcept
    void pouw_ring_close(pouw_ring *r) noexcept

    # Lock-free single-item operations (they wake sleepers when needed).
    int pouw_ring_try_push(pouw_ring *r, void *item) noexcept  # 1 stored, 0 full
    void *pouw_ring_try_pop(pouw_ring *r) noexcept  # NULL when empty

    # Batch operations: claim k positions with one CAS, then put/take each.
    size_t pouw_ring_claim_push(pouw_ring *r, size_t want, size_t *pos) noexcept
    void pouw_ring_put(pouw_ring *r, size_t pos, void *item) noexcept
    void pouw_ring_wake_consumers(pouw_ring *r, int all) noexcept
    size_t pouw_ring_claim_pop(pouw_ring *r, size_t want, size_t *pos) noexcept
    void *pouw_ring_take(pouw_ring *r, size_t pos) noexcept
    void pouw_ring_wake_producers(pouw_ring *r, int all) noexcept

    # Sleeping waits bounded by slice_ns; they return a POUW_RING_* status.
    int pouw_ring_wait_pop(pouw_ring *r, int64_t slice_ns, void **out) noexcept
    int pouw_ring_wait_push(pouw_ring *r, void *item, int64_t slice_ns) noexcept
    int64_t pouw_ring_monotonic_ns() noexcept


# Not final: the typed face (pouw.queue.RingBuffer) subclasses it to name pouw's
# errors.  The helpers are final, so calls to them stay direct C calls.
cdef class RingBuffer:
    # Owns the ring memory (PyMem_Malloc) and one reference per stored item.
    cdef pouw_ring *_ring
    cdef Py_ssize_t _capacity

    # Helpers with the GIL held; see ring.pyx for their contracts.
    @cython.final
    cdef list _take(self, Py_ssize_t m, void *first)
    @cython.final
    cdef list _take_into(self, list result, Py_ssize_t m, void *first)
    @cython.final
    cdef int _wait_push(self, void *item, int64_t deadline) except -1
    @cython.final
    cdef void *_wait_pop(self, int64_t deadline) except? NULL
