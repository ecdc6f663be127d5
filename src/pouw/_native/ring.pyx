"""Bounded lock-free multi-producer multi-consumer ring buffer of Python objects.

The queue itself is C (``csrc/ring.h``): Vyukov's per-slot sequence numbers
over C11 atomics, so correctness never depends on the GIL.  This module only
handles Python's side of each item -- one strong reference held per stored
item -- and turns blocking waits into short GIL-free slices that check for
signals in between, so Ctrl-C interrupts a blocked ``push`` or ``pop``.

Like every kernel it imports no Python layer of pouw: a push that finds the
ring closed raises ``ValueError``, one still full when its timeout passes
raises ``TimeoutError``, each read from a class attribute that the typed
face, ``pouw.queue.RingBuffer`` (a subclass), sets to pouw's ``QueueClosed``
and ``QueueFull``.  Public face: pouw.queue.
"""

cimport cython
from cpython.exc cimport PyErr_CheckSignals
from cpython.list cimport PyList_New
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.number cimport PyNumber_Index
from cpython.ref cimport Py_DECREF, Py_INCREF, PyObject, Py_XDECREF, Py_XINCREF
from cpython.sequence cimport PySequence_Fast
from libc.stdint cimport int64_t

cdef extern from *:
    """
    /* Hand a reference the ring owned to Cython, which then owns it. */
    #define pouw_ring_steal(p) ((PyObject *)(p))
    """
    object pouw_ring_steal(void *p)

cdef extern from "Python.h":
    # types.GenericAlias(origin, args), for RingBuffer[T] in annotations.
    object Py_GenericAlias(object origin, object args)
    void PyObject_GC_UnTrack(void *op)
    void PyObject_GC_Track(void *op)
    # Steals the reference to item (which the list slot then owns).
    void pouw_list_set "PyList_SET_ITEM"(object lst, Py_ssize_t i, void *item)
    # With itemlist NULL: delete lst[low:high] (NULL entries allowed).
    int pouw_list_cut "PyList_SetSlice"(
        object lst, Py_ssize_t low, Py_ssize_t high, PyObject *itemlist
    ) except -1
    Py_ssize_t PySequence_Fast_GET_SIZE(object seq)
    PyObject **PySequence_Fast_ITEMS(object seq)

# Longest stretch spent without the GIL in one wait: between slices the GIL is
# taken back and pending signals (KeyboardInterrupt) are delivered.
cdef int64_t WAIT_SLICE_NS = 50_000_000
# Timeouts longer than this (about 31 years) mean "wait forever".
cdef double FOREVER_S = 1e9


cdef int64_t _deadline(object timeout) except -2:
    """Absolute CLOCK_MONOTONIC deadline in ns for a timeout in seconds, or -1
    for no deadline (None or infinity).  Raises ValueError (GIL held) for a
    negative or NaN timeout."""
    if timeout is None:
        return -1
    cdef double t = timeout
    if not t >= 0.0:  # also catches NaN
        raise ValueError("'timeout' must be a non-negative number or None")
    if t > FOREVER_S:
        return -1
    return pouw_ring_monotonic_ns() + <int64_t>(t * 1e9)


cdef object _closed(RingBuffer rb):
    """The error of a push on a closed ring: the class's ``_closed_error``."""
    return rb._closed_error("ring buffer is closed")


cdef class RingBuffer:
    """RingBuffer(capacity)

    A bounded FIFO shared by any number of producer and consumer threads.

    Parameters
    ----------
    capacity : int
        Minimum number of items the ring holds, ``1 <= capacity <= 2**30``.
        It is rounded up to a power of two, at least 2; :attr:`capacity`
        gives the real value.  Anything else (0, negative, not an integer, a bool) raises
        ``ValueError``.

    Notes
    -----
    Any Python object except ``None`` can be stored: ``try_pop`` and ``pop``
    return ``None`` for "nothing", so every push method rejects ``None`` with
    ``TypeError``.  The ring keeps a strong reference to each stored item and
    hands it back on pop; items left at destruction are released.  The ring
    does not show its items to the cyclic garbage collector, so an item that
    refers back to its own ring keeps both alive.

    A push on a closed ring raises ``_closed_error`` (``ValueError`` here) and
    a blocking push still full at its timeout raises ``_full_error``
    (``TimeoutError`` here): the subclass ``pouw.queue.RingBuffer`` sets them
    to ``QueueClosed`` and ``QueueFull``.  No method is meant to be
    overridden: the kernel's C methods are the face's, with no Python frame
    in between.

    Pushes and pops are lock-free; only the blocking ``push``/``pop`` (and
    ``pop_many`` with a timeout) sleep, without the GIL, and they wake in
    slices of at most 50 ms to deliver signals such as ``KeyboardInterrupt``.
    """

    # Read only when raising (type lookups, never on the fast paths).
    _closed_error = ValueError
    _full_error = TimeoutError

    def __cinit__(self, capacity):
        if isinstance(capacity, bool):
            raise ValueError(f"capacity must be an integer >= 1, not {capacity!r}")
        try:
            requested = PyNumber_Index(capacity)
        except TypeError:
            raise ValueError(
                f"capacity must be an integer >= 1, not {type(capacity).__name__}"
            ) from None
        if requested < 1 or requested > POUW_RING_MAX_CAPACITY:
            raise ValueError(
                f"capacity must be between 1 and {POUW_RING_MAX_CAPACITY}, not {requested}"
            )
        cdef size_t cap = pouw_ring_round_capacity(<size_t>requested)
        cdef pouw_ring *ring = <pouw_ring *>PyMem_Malloc(pouw_ring_alloc_size(cap))
        if ring is NULL:
            raise MemoryError()
        cdef int rc = pouw_ring_init(ring, cap)
        if rc != 0:
            PyMem_Free(ring)
            raise OSError(rc, "cannot initialise the ring's mutex/condition variables")
        self._ring = ring
        self._capacity = <Py_ssize_t>cap

    def __dealloc__(self):
        # Nobody else can reach the ring now: release the references it owns.
        cdef void *item
        if self._ring is NULL:
            return
        while True:
            item = pouw_ring_try_pop(self._ring)
            if item is NULL:
                break
            Py_XDECREF(<PyObject *>item)
        pouw_ring_destroy(self._ring)
        PyMem_Free(self._ring)
        self._ring = NULL

    @classmethod
    def __class_getitem__(cls, item):
        return Py_GenericAlias(cls, item)

    @property
    def capacity(self):
        """The number of items the ring holds (a power of two)."""
        return self._capacity

    @property
    def closed(self):
        """Whether :meth:`close` has been called."""
        return pouw_ring_is_closed(self._ring) != 0

    def __len__(self):
        """Items currently stored; exact when no push or pop is in flight."""
        return pouw_ring_size(self._ring)

    def __repr__(self):
        return f"RingBuffer(capacity={self._capacity}, len={len(self)}, closed={self.closed})"

    # ---- non-blocking -------------------------------------------------------

    def try_push(self, item):
        """Store ``item`` if there is room; return whether it was stored.

        Raises ``TypeError`` for ``None`` and ``_closed_error``
        (:class:`pouw.errors.QueueClosed` on the face) if the ring is closed.
        """
        if item is None:
            raise TypeError("RingBuffer cannot store None (pop returns None for 'empty')")
        if pouw_ring_is_closed(self._ring):
            raise _closed(self)
        Py_INCREF(item)  # the ring's reference; taken before others can pop it
        if pouw_ring_try_push(self._ring, <void *>item):
            return True
        Py_DECREF(item)
        return False

    def try_pop(self):
        """Remove and return the oldest item, or ``None`` if the ring is empty."""
        cdef void *item = pouw_ring_try_pop(self._ring)
        if item is NULL:
            return None
        return pouw_ring_steal(item)

    def push_many(self, items):
        """Store items in order, as many as fit without waiting; return how many.

        ``items[:n]`` are stored and ``items[n:]`` are not, where ``n`` is the
        result.  A list or tuple is used as is; any other iterable is first
        read to the end into a list, so pass a list if you need the items that
        did not fit.  If any item is ``None`` nothing is stored and
        ``TypeError`` is raised; a closed ring raises ``_closed_error``
        (:class:`pouw.errors.QueueClosed` on the face).
        """
        seq = PySequence_Fast(items, "push_many() needs an iterable")
        cdef Py_ssize_t n, i, done = 0
        cdef size_t pos, k, j
        cdef PyObject **objs
        cdef PyObject *none = <PyObject *>None
        with cython.critical_section(seq):
            n = PySequence_Fast_GET_SIZE(seq)
            objs = PySequence_Fast_ITEMS(seq)
            for i in range(n):
                if objs[i] == none:
                    raise TypeError(
                        f"RingBuffer cannot store None (item {i}); nothing was pushed"
                    )
            if pouw_ring_is_closed(self._ring):
                raise _closed(self)
            while done < n:
                k = pouw_ring_claim_push(self._ring, <size_t>(n - done), &pos)
                if k == 0:
                    break
                # No Python code may run until every claimed slot is put.
                for j in range(k):
                    Py_XINCREF(objs[done + j])
                    pouw_ring_put(self._ring, pos + j, <void *>objs[done + j])
                done += k
        if done:
            pouw_ring_wake_consumers(self._ring, done > 1)
        return done

    def pop_many(self, max_items, timeout=None):
        """Remove and return up to ``max_items`` items, oldest first, as a list.

        Returns the items available right now (possibly ``[]``) without
        waiting when ``timeout`` is ``None`` (the default).  With a timeout in
        seconds (``math.inf`` for no limit) and an empty ring, waits up to
        ``timeout`` for the first item, then also takes whatever else is
        available at once; ``[]`` if none came.  ``max_items`` must be an
        integer >= 0 (``ValueError`` otherwise).
        """
        if isinstance(max_items, bool):
            raise ValueError("max_items must be an integer >= 0")
        try:
            wanted = PyNumber_Index(max_items)
        except TypeError:
            raise ValueError("max_items must be an integer >= 0") from None
        if wanted < 0:
            raise ValueError(f"max_items must be an integer >= 0, not {wanted}")
        cdef int64_t deadline = _deadline(timeout)
        cdef Py_ssize_t want = min(wanted, self._capacity)
        cdef Py_ssize_t size = <Py_ssize_t>pouw_ring_size(self._ring)
        cdef void *first = NULL
        if want == 0:
            return []
        if size > 0:
            result = self._take(min(want, size), NULL)
            if result or timeout is None:
                return result
        elif timeout is None:
            return []
        # Empty: allocate first so that an item, once taken, cannot be lost. The list
        # has NULL slots while we wait without the GIL: keep it out of the cyclic GC's
        # sight meanwhile (gc.get_objects() in another thread must never reach it).
        result = PyList_New(want)
        PyObject_GC_UnTrack(<void *>result)
        try:
            first = self._wait_pop(deadline)
            if first is NULL:
                pouw_list_cut(result, 0, want, NULL)
                return result
            return self._take_into(result, want, first)
        finally:
            PyObject_GC_Track(<void *>result)

    cdef list _take(self, Py_ssize_t m, void *first):
        """Up to m available items (after first, if given) as a new list."""
        if m == 0:
            return []
        return self._take_into(PyList_New(m), m, first)

    cdef list _take_into(self, list result, Py_ssize_t m, void *first):
        # result has m NULL slots; fill a prefix and cut the rest.
        cdef Py_ssize_t i = 0
        cdef size_t pos, k, j
        if first is not NULL:
            pouw_list_set(result, 0, first)
            i = 1
        while i < m:
            k = pouw_ring_claim_pop(self._ring, <size_t>(m - i), &pos)
            if k == 0:
                break
            for j in range(k):
                pouw_list_set(result, i + <Py_ssize_t>j, pouw_ring_take(self._ring, pos + j))
            i += k
        if i > (first is not NULL):
            pouw_ring_wake_producers(self._ring, 1)
        if i < m:
            pouw_list_cut(result, i, m, NULL)
        return result

    # ---- blocking -----------------------------------------------------------

    def push(self, item, timeout=None):
        """Store ``item``, waiting for room.

        ``timeout`` is in seconds; ``None`` waits as long as needed.  Raises
        ``_full_error`` (:class:`pouw.errors.QueueFull` on the face) when the
        timeout passes first, ``_closed_error`` (:class:`pouw.errors.QueueClosed`)
        when the ring is (or gets) closed, ``TypeError`` for ``None`` and
        ``ValueError`` for a negative timeout.  The wait releases the GIL and
        can be interrupted by signals.
        """
        if item is None:
            raise TypeError("RingBuffer cannot store None (pop returns None for 'empty')")
        cdef int64_t deadline = _deadline(timeout)
        if pouw_ring_is_closed(self._ring):
            raise _closed(self)
        cdef int status
        Py_INCREF(item)
        if pouw_ring_try_push(self._ring, <void *>item):
            return
        try:
            status = self._wait_push(<void *>item, deadline)
        except BaseException:
            Py_DECREF(item)
            raise
        if status == POUW_RING_OK:
            return
        Py_DECREF(item)
        if status == POUW_RING_CLOSED:
            raise _closed(self)
        raise self._full_error(f"ring buffer still full after {timeout} s")

    def pop(self, timeout=None):
        """Remove and return the oldest item, waiting for one.

        ``timeout`` is in seconds; ``None`` waits as long as needed.  Returns
        ``None`` when the timeout passes, or at once when the ring is closed
        and empty.  The wait releases the GIL and can be interrupted by
        signals.
        """
        cdef int64_t deadline = -1
        if timeout is not None:
            deadline = _deadline(timeout)  # validate even when not waiting
        cdef void *item = pouw_ring_try_pop(self._ring)
        if item is not NULL:
            return pouw_ring_steal(item)
        item = self._wait_pop(deadline)
        if item is NULL:
            return None
        return pouw_ring_steal(item)

    def close(self):
        """Refuse further pushes and wake every waiting thread.

        Items already stored can still be popped; once the ring is empty,
        pops return ``None`` (``pop_many`` returns ``[]``) without waiting.
        A push racing with ``close`` may still land, and is then popped
        normally.  Idempotent.
        """
        pouw_ring_close(self._ring)

    cdef int _wait_push(self, void *item, int64_t deadline) except -1:
        """Wait until item is stored (POUW_RING_OK), the deadline passes
        (POUW_RING_TIMEOUT) or the ring closes (POUW_RING_CLOSED).  The caller
        holds a reference for the ring; raises (GIL held) on a signal."""
        cdef int status
        cdef int64_t slice_ns, left
        while True:
            slice_ns = WAIT_SLICE_NS
            if deadline >= 0:
                left = deadline - pouw_ring_monotonic_ns()
                if left < slice_ns:
                    slice_ns = left if left > 0 else 0
            with nogil:
                status = pouw_ring_wait_push(self._ring, item, slice_ns)
            if status != POUW_RING_TIMEOUT:
                return status
            if deadline >= 0 and pouw_ring_monotonic_ns() >= deadline:
                return POUW_RING_TIMEOUT
            PyErr_CheckSignals()

    cdef void *_wait_pop(self, int64_t deadline) except? NULL:
        """The next item (a reference the caller now owns), or NULL when the
        deadline passes or the ring is closed and empty.  Raises (GIL held)
        on a signal; nothing is taken then."""
        cdef int status
        cdef int64_t slice_ns, left
        cdef void *item = NULL
        while True:
            slice_ns = WAIT_SLICE_NS
            if deadline >= 0:
                left = deadline - pouw_ring_monotonic_ns()
                if left < slice_ns:
                    slice_ns = left if left > 0 else 0
            with nogil:
                status = pouw_ring_wait_pop(self._ring, slice_ns, &item)
            if status == POUW_RING_OK:
                return item
            if status == POUW_RING_CLOSED:
                return NULL
            if deadline >= 0 and pouw_ring_monotonic_ns() >= deadline:
                return NULL
            PyErr_CheckSignals()
