"""The mock prover's kernel: every constraint of docs/vm-and-trace.md, checked in C.

The C checker (``csrc/constraints.h``) reads the canonical trace bytes in
place, without the GIL, and writes each intent's id pre-image into a buffer
owned here; this module hands the pre-images back.  Hashing them (BLAKE3 of
variable length, the ``blake3`` package) and comparing them with the header's
``intent_id`` -- the rules ``INTENT_ID`` and ``BATCH_ID`` -- is the face's
part (``pouw.prover.check``): kernels import only C and numpy.

Nothing here raises for bad trace bytes: malformed framing is the rule
``MALFORMED``; the caller (``pouw.prover``) turns a failure into an exception.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t

from .merkle cimport PW_HASH_BLAKE3, PW_HASH_POSEIDON, PW_N_HASHES, hasher_for, pw_hasher

__all__ = ["RULE_NAMES", "RULE_TEXTS", "check_trace", "check_traces", "preimage_capacity"]


cdef extern from "constraints.h" nogil:
    enum:
        PW_CK_OK
        PW_CK_MALFORMED
        PW_CK_N_RULES
        PW_HDR_INTENT_ID

    const char *pw_ck_rule_name[]
    const char *pw_ck_rule_text[]

    ctypedef struct pw_ck_view:
        int hash
        uint32_t n_steps
    ctypedef struct pw_ck_scratch:
        pass

    size_t pw_ck_preimage_capacity(size_t n_steps)
    size_t pw_ck_offsets_capacity(size_t n_steps)
    int pw_ck_frame(const uint8_t *buf, size_t length, pw_ck_view *v)
    int pw_ck_check(const uint8_t *buf, size_t length, uint8_t *pre, size_t pre_cap,
                    uint64_t *off, size_t off_cap, pw_ck_scratch *scratch, const pw_hasher *hashers,
                    int64_t *bad_step, uint32_t *n_intents, int *kind)


#: Rule names by code (``RULE_NAMES[0] == "OK"``), read from the C table.
RULE_NAMES = tuple(pw_ck_rule_name[i].decode("ascii") for i in range(PW_CK_N_RULES))
#: One-line statement of each rule, by code.
RULE_TEXTS = tuple(pw_ck_rule_text[i].decode("ascii") for i in range(PW_CK_N_RULES))


def preimage_capacity(size_t n_steps):
    """Bytes the checker may write for the intent-id pre-images of an ``n_steps`` trace."""
    return pw_ck_preimage_capacity(n_steps)


def check_trace(data):
    """Check every constraint of the canonical trace ``data``.

    Parameters
    ----------
    data : bytes-like, C-contiguous
        A trace's canonical encoding (any bytes: malformed framing is reported,
        never raised).

    Returns
    -------
    (ok, step, rule, ids) : tuple[bool, int, int, tuple | None]
        ``(False, step, rule, None)`` when a rule fails: the first failing step
        (``-1`` for the header) and the rule's code (an index of
        :data:`RULE_NAMES`).  ``(True, -1, 0, (kind, header_id, preimages))``
        when every rule checked here holds: the trace's kind, the header's
        32-byte ``intent_id`` and the intents' id pre-images (bytes, in order),
        which the caller hashes to check ``INTENT_ID`` (kind 1) or ``BATCH_ID``.
    """
    if data is None:
        raise TypeError("check_trace: data is None")
    return check_traces((data,))[0]


cdef list _preimages(const uint8_t *pre, const uint64_t *off, uint32_t n_intents):
    """The intent-id pre-images the checker wrote, as bytes (GIL held)."""
    cdef uint32_t j
    return [(<char *>pre)[off[j]:off[j + 1]] for j in range(n_intents)]


ctypedef struct _job:
    const uint8_t *buf
    size_t length
    uint8_t *pre
    size_t pre_cap
    uint64_t *off
    size_t off_cap
    int64_t step
    uint32_t n_intents
    int kind
    int rule


def check_traces(traces):
    """:func:`check_trace` for many traces with ONE release of the GIL.

    A worker that proves a batch of jobs hands the GIL back once per batch
    instead of once per trace, which matters when another thread (the node's
    executor) wants it too. Returns one ``(ok, step, rule, ids)`` per trace, in order.
    """
    cdef list views = list(traces)
    cdef list held = []  # the acquired buffers, released when this list goes
    cdef Py_ssize_t n = len(views), i
    cdef const uint8_t[::1] mv
    cdef pw_ck_view view
    cdef _job *jobs = NULL
    cdef pw_ck_scratch *scratch = NULL
    cdef size_t total_pre = 0, total_off = 0
    cdef uint8_t *pre_pool = NULL
    cdef uint64_t *off_pool = NULL
    cdef pw_hasher hashers[PW_N_HASHES]
    cdef bint poseidon = False
    results = [None] * n
    if n == 0:
        return results
    jobs = <_job *>PyMem_Malloc(n * sizeof(_job))
    scratch = <pw_ck_scratch *>PyMem_Malloc(sizeof(pw_ck_scratch))
    try:
        if jobs == NULL or scratch == NULL:
            raise MemoryError()
        # O(1) framing of each trace first, so every buffer is sized by a bounded n_steps.
        for i in range(n):
            if views[i] is None:
                raise TypeError("check_traces: a trace is None")
            mv = views[i]
            held.append(mv)
            jobs[i].buf = &mv[0] if mv.shape[0] > 0 else NULL
            jobs[i].length = <size_t>mv.shape[0]
            jobs[i].rule = pw_ck_frame(jobs[i].buf, jobs[i].length, &view)
            if jobs[i].rule != PW_CK_OK:
                jobs[i].rule = PW_CK_MALFORMED
                jobs[i].pre_cap = jobs[i].off_cap = 0
                continue
            poseidon |= view.hash == PW_HASH_POSEIDON
            jobs[i].pre_cap = pw_ck_preimage_capacity(view.n_steps)
            jobs[i].off_cap = pw_ck_offsets_capacity(view.n_steps)
            total_pre += jobs[i].pre_cap
            total_off += jobs[i].off_cap
        # the hashers, with the fold level and field backend in effect now; the
        # Poseidon constants (built above this layer) only when a trace needs them
        hasher_for("blake3").load(&hashers[PW_HASH_BLAKE3])
        hashers[PW_HASH_POSEIDON].kind = PW_HASH_POSEIDON
        hashers[PW_HASH_POSEIDON].node = hashers[PW_HASH_POSEIDON].leaf = NULL
        if poseidon:
            hasher_for("poseidon").load(&hashers[PW_HASH_POSEIDON])
        pre_pool = <uint8_t *>PyMem_Malloc(total_pre + 1)
        off_pool = <uint64_t *>PyMem_Malloc((total_off + 1) * sizeof(uint64_t))
        if pre_pool == NULL or off_pool == NULL:
            raise MemoryError()
        total_pre = total_off = 0
        for i in range(n):
            jobs[i].pre = pre_pool + total_pre
            jobs[i].off = off_pool + total_off
            total_pre += jobs[i].pre_cap
            total_off += jobs[i].off_cap
        # `held` holds every owner's buffer until we return; the pools and the
        # scratch are ours; the checker touches no Python object.
        with nogil:
            for i in range(n):
                if jobs[i].rule != PW_CK_OK:
                    continue
                jobs[i].step = -1
                jobs[i].rule = pw_ck_check(jobs[i].buf, jobs[i].length, jobs[i].pre,
                                           jobs[i].pre_cap, jobs[i].off, jobs[i].off_cap,
                                           scratch, hashers, &jobs[i].step, &jobs[i].n_intents,
                                           &jobs[i].kind)
        for i in range(n):
            if jobs[i].rule == PW_CK_MALFORMED and jobs[i].pre_cap == 0:
                results[i] = (False, -1, PW_CK_MALFORMED, None)
            elif jobs[i].rule != PW_CK_OK:
                results[i] = (False, jobs[i].step, jobs[i].rule, None)
            else:
                header_id = (<char *>jobs[i].buf)[PW_HDR_INTENT_ID:PW_HDR_INTENT_ID + 32]
                results[i] = (True, -1, PW_CK_OK, (
                    jobs[i].kind, header_id,
                    _preimages(jobs[i].pre, jobs[i].off, jobs[i].n_intents)))
        return results
    finally:
        PyMem_Free(jobs)
        PyMem_Free(scratch)
        PyMem_Free(pre_pool)
        PyMem_Free(off_pool)
