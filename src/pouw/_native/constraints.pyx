"""The mock prover's kernel: every constraint of docs/vm-and-trace.md, checked in C.

The C checker (``csrc/constraints.h``) reads the canonical trace bytes in
place, without the GIL, and writes each intent's id pre-image into a buffer
owned here; this module then hashes the pre-images with the ``blake3`` package
(with the GIL) and compares them with the header's ``intent_id``.

Nothing here raises for bad trace bytes: malformed framing is the rule
``MALFORMED``; the caller (``pouw.prover``) turns a failure into an exception.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t

from blake3 import blake3 as _blake3

from .merkle cimport simd_level_code

__all__ = ["RULE_NAMES", "RULE_TEXTS", "check_trace", "preimage_capacity"]


cdef extern from "constraints.h" nogil:
    enum:
        PW_CK_OK
        PW_CK_MALFORMED
        PW_CK_INTENT_ID
        PW_CK_BATCH_ID
        PW_CK_N_RULES
        PW_TRACE_KIND_INTENT
        PW_HDR_INTENT_ID

    const char *pw_ck_rule_name[]
    const char *pw_ck_rule_text[]

    ctypedef struct pw_ck_view:
        uint32_t n_steps
    ctypedef struct pw_ck_scratch:
        pass

    size_t pw_ck_preimage_capacity(size_t n_steps)
    size_t pw_ck_offsets_capacity(size_t n_steps)
    int pw_ck_frame(const uint8_t *buf, size_t length, pw_ck_view *v)
    int pw_ck_check(const uint8_t *buf, size_t length, uint8_t *pre, size_t pre_cap,
                    uint64_t *off, size_t off_cap, pw_ck_scratch *scratch, int simd_level,
                    int64_t *bad_step, uint32_t *n_intents, int *kind)


#: Rule names by code (``RULE_NAMES[0] == "OK"``), read from the C table.
RULE_NAMES = tuple(pw_ck_rule_name[i].decode("ascii") for i in range(PW_CK_N_RULES))
#: One-line statement of each rule, by code.
RULE_TEXTS = tuple(pw_ck_rule_text[i].decode("ascii") for i in range(PW_CK_N_RULES))

_BATCH_DOMAIN = b"pouw.batch.v1"


def preimage_capacity(size_t n_steps):
    """Bytes the checker may write for the intent-id pre-images of an ``n_steps`` trace."""
    return pw_ck_preimage_capacity(n_steps)


def check_trace(const uint8_t[::1] data not None):
    """Check every constraint of the canonical trace ``data``.

    Parameters
    ----------
    data : bytes-like, C-contiguous
        A trace's canonical encoding (any bytes: malformed framing is reported,
        never raised).

    Returns
    -------
    (ok, step, rule) : tuple[bool, int, int]
        ``(True, -1, 0)`` for a valid trace; otherwise the first failing step
        (``-1`` for the header) and the rule's code (an index of
        :data:`RULE_NAMES`).
    """
    cdef const uint8_t *buf = &data[0] if data.shape[0] > 0 else NULL
    cdef size_t length = <size_t>data.shape[0]
    cdef pw_ck_view view
    cdef uint8_t *pre = NULL
    cdef uint64_t *off = NULL
    cdef pw_ck_scratch *scratch = NULL
    cdef size_t pre_cap, off_cap
    cdef int64_t step = -1
    cdef uint32_t n_intents = 0, j
    cdef int kind = 0, rule

    # O(1) framing first, so the buffers below are sized by a bounded n_steps.
    if pw_ck_frame(buf, length, &view) != PW_CK_OK:
        return (False, -1, PW_CK_MALFORMED)
    pre_cap = pw_ck_preimage_capacity(view.n_steps)
    off_cap = pw_ck_offsets_capacity(view.n_steps)
    pre = <uint8_t *>PyMem_Malloc(pre_cap)
    off = <uint64_t *>PyMem_Malloc(off_cap * sizeof(uint64_t))
    scratch = <pw_ck_scratch *>PyMem_Malloc(sizeof(pw_ck_scratch))
    try:
        if pre == NULL or off == NULL or scratch == NULL:
            raise MemoryError()
        # `data` (a typed memoryview) holds the owner's buffer until we return;
        # `pre`, `off` and `scratch` are ours. The checker touches no Python object.
        with nogil:
            rule = pw_ck_check(buf, length, pre, pre_cap, off, off_cap, scratch,
                               simd_level_code(), &step, &n_intents, &kind)
        if rule != PW_CK_OK:
            return (False, step, rule)
        header_id = bytes(data[PW_HDR_INTENT_ID:PW_HDR_INTENT_ID + 32])
        if kind == PW_TRACE_KIND_INTENT:
            digest = _blake3((<char *>pre)[off[0]:off[1]]).digest()
            if digest != header_id:
                return (False, -1, PW_CK_INTENT_ID)
        else:
            batch = _blake3(_BATCH_DOMAIN)
            for j in range(n_intents):
                batch.update(_blake3((<char *>pre)[off[j]:off[j + 1]]).digest())
            if batch.digest() != header_id:
                return (False, -1, PW_CK_BATCH_ID)
        return (True, -1, PW_CK_OK)
    finally:
        PyMem_Free(pre)
        PyMem_Free(off)
        PyMem_Free(scratch)
