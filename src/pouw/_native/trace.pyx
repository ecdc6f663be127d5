"""The execution trace: canonical bytes with lazy, read-only numpy column views.

Format: docs/vm-and-trace.md, "Trace encoding" (version 2, and version 1,
which still decodes: its traces are BLAKE3 ones); sizes and offsets
come from csrc/pw_isa.h.  Public face: pouw.trace.

An ExecutionTrace owns one immutable ``bytes`` object (its canonical
encoding); the column arrays are ``np.frombuffer`` views of it, made on first
use, so decoding costs one header check and, for a non-``bytes`` input, one
copy.  The decoder trusts nothing: every header field and the exact length
are checked before anything is allocated.

Like every kernel this module imports only C and numpy, and nothing here
hashes.  Malformed input raises the class's ``_error``, plain ``ValueError``
(``TypeError`` for a wrong type); the face, ``pouw.trace.ExecutionTrace``, is
a subclass that sets ``_error`` to ``TraceError`` -- so the kernel's own C
methods raise pouw's error, with no Python frame on the decode path -- and
adds what needs BLAKE3: ``trace_hash``, ``intent_ids`` and ``concat`` (the
batch id), from the intents' id pre-images that this module writes
(``_intent_preimages``).
"""

cimport cython
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memchr, memcmp, memcpy

from .pw_hash cimport pw_load32_le, pw_load64_le, pw_store32_le
from .pw_isa cimport *

import numpy as np

__all__ = ["ExecutionTrace", "COLUMNS", "HASH_NAMES"]

#: The state hashes by id (the header's hash byte, csrc/pw_isa.h PW_HASH_*).
HASH_NAMES = ("blake3", "poseidon")

#: Column names, in encoding order.
COLUMNS = (
    "op", "status", "account", "arg0", "arg1", "gas_left", "owner",
    "balance_before", "nonce_before", "balance_after", "nonce_after", "path", "root_after",
)
# dtype of one entry's scalar and its per-step shape (depth is filled in for "path")
_DTYPES = (
    np.dtype("u1"), np.dtype("u1"), np.dtype("<u4"), np.dtype("<u8"), np.dtype("<u8"),
    np.dtype("<u8"), np.dtype("u1"), np.dtype("<u8"), np.dtype("<u8"), np.dtype("<u8"),
    np.dtype("<u8"), np.dtype("u1"), np.dtype("u1"),
)
_COL_INDEX = {name: i for i, name in enumerate(COLUMNS)}

# header check results
cdef enum:
    HDR_OK = 0
    HDR_SHORT
    HDR_MAGIC
    HDR_VERSION
    HDR_DEPTH
    HDR_KIND
    HDR_N_STEPS
    HDR_COINBASE
    HDR_LENGTH


cdef struct header_t:
    int hash
    int depth
    int kind
    uint32_t n_steps
    uint32_t coinbase
    size_t expected_len


cdef int check_header(const uint8_t *p, size_t length, header_t *h) noexcept nogil:
    """Validate the 80-byte header and the exact total length; reads only
    min(length, 80) bytes.  Caller guarantees p points at `length` bytes."""
    if length < PW_HEADER_SIZE:
        return HDR_SHORT
    if memcmp(p + PW_HDR_MAGIC, PW_TRACE_MAGIC, 4) != 0:
        return HDR_MAGIC
    h.hash = pw_trace_hash(p)
    if h.hash < 0:
        return HDR_VERSION
    h.depth = p[PW_HDR_DEPTH]
    if h.depth < PW_MIN_DEPTH or h.depth > PW_MAX_DEPTH:
        return HDR_DEPTH
    h.kind = p[PW_HDR_KIND]
    if h.kind != PW_TRACE_KIND_INTENT and h.kind != PW_TRACE_KIND_BATCH:
        return HDR_KIND
    h.n_steps = pw_load32_le(p + PW_HDR_N_STEPS)
    if h.n_steps < 1 or h.n_steps > PW_MAX_STEPS:
        return HDR_N_STEPS
    h.coinbase = pw_load32_le(p + PW_HDR_COINBASE)
    if h.depth < 32 and (h.coinbase >> h.depth) != 0:
        return HDR_COINBASE
    h.expected_len = pw_trace_size(h.n_steps, h.depth)  # <= 80 + 2^20 * 1150: no overflow
    if length != h.expected_len:
        return HDR_LENGTH
    return HDR_OK


cdef str header_error(int code, const uint8_t *p, size_t length, header_t *h):
    """The message of a failed check_header."""
    if code == HDR_SHORT:
        return (f"trace truncated: {length} bytes, the header alone is {PW_HEADER_SIZE}")
    if code == HDR_MAGIC:
        return (f"not a trace: magic {bytes(p[:4])!r}, expected b'PWTR'")
    if code == HDR_VERSION:
        if p[4] in (1, PW_TRACE_VERSION):
            return (f"trace version {p[4]} with unknown state hash id {p[5]} "
                    f"(known: {', '.join(f'{i} {n}' for i, n in enumerate(HASH_NAMES))})")
        return (f"unsupported trace version {p[4] | (p[5] << 8)} (this build reads 1 and {PW_TRACE_VERSION})")
    if code == HDR_DEPTH:
        return (f"trace depth {h.depth} is not in {PW_MIN_DEPTH}..{PW_MAX_DEPTH}")
    if code == HDR_KIND:
        return (f"trace kind {h.kind} is neither 1 (intent) nor 2 (batch)")
    if code == HDR_N_STEPS:
        return (f"trace n_steps {h.n_steps} is not in 1..{PW_MAX_STEPS}")
    if code == HDR_COINBASE:
        return (f"trace coinbase {h.coinbase} does not fit depth {h.depth}")
    what = "truncated" if length < h.expected_len else "has trailing bytes"
    return (f"trace {what}: {length} bytes, expected exactly {h.expected_len} "
            f"for {h.n_steps} steps at depth {h.depth}")


cdef class ExecutionTrace:
    """ExecutionTrace(data): a decoded, immutable execution trace.

    Built by ``from_bytes`` (untrusted input), ``from_columns`` or ``_concat``;
    the executor makes them.  Equality and hashing are by canonical bytes.
    Column properties are read-only numpy views into those bytes.

    Not final: the face ``pouw.trace.ExecutionTrace`` subclasses it (errors
    and hashing, see the module docstring); the classmethods build ``cls``.
    """

    # What malformed input raises (looked up only when raising).
    _error = ValueError

    cdef bytes _data
    cdef int _depth, _kind, _hash
    cdef uint32_t _n, _coinbase
    cdef object _iid       # cached intent_id (str) or None
    cdef list _cols        # cached column views (None until made)

    def __cinit__(self):
        # A trace made by __new__ alone is the empty placeholder until _set runs:
        # accessors then see bytes, never None.
        self._data = b""

    def __init__(self, data):
        self._set(data)

    # -- construction ----------------------------------------------------------

    @cython.final
    cdef int _set(self, object data) except -1:
        cdef header_t h
        cdef Py_buffer view
        if PyBytes_GET_SIZE(self._data) != 0:
            raise TypeError("ExecutionTrace is immutable: it cannot be initialised twice")
        cdef int code
        if type(data) is bytes:
            code = check_header(<const uint8_t *>PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), &h)
            if code != HDR_OK:
                raise self._error(header_error(code, <const uint8_t *>PyBytes_AS_STRING(data),
                                               PyBytes_GET_SIZE(data), &h))
            self._data = data
        else:
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise TypeError(f"trace data must be bytes, bytearray or memoryview, not {type(data).__name__}")
            try:
                PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
            except BufferError as exc:
                raise self._error(f"trace data is not a contiguous buffer: {exc}") from None
            try:
                code = check_header(<const uint8_t *>view.buf, <size_t>view.len, &h)
                if code != HDR_OK:
                    raise self._error(header_error(code, <const uint8_t *>view.buf,
                                                   <size_t>view.len, &h))
                self._data = PyBytes_FromStringAndSize(<const char *>view.buf, view.len)
            finally:
                PyBuffer_Release(&view)
        self._depth = h.depth
        self._hash = h.hash
        self._kind = h.kind
        self._n = h.n_steps
        self._coinbase = h.coinbase
        self._iid = None
        self._cols = None
        return 0

    @classmethod
    def from_bytes(cls, data):
        """Decode untrusted ``bytes``/``bytearray``/``memoryview``; raises ``_error`` if the
        header or length is wrong (before allocating anything), TypeError for other types."""
        cdef ExecutionTrace t = cls.__new__(cls)
        t._set(data)
        return t

    @classmethod
    def from_columns(cls, *, depth, kind, coinbase, pre_root, intent_id, op, status, account,
                     arg0, arg1, gas_left, owner, balance_before, nonce_before, balance_after,
                     nonce_after, path, root_after, hash="blake3"):
        """Encode columns (array-likes of non-negative integers that fit their widths;
        ``owner``/``root_after`` shaped (n, 32), ``path`` (n, depth, 32)) into a trace
        (version 2, whose header names the state ``hash``: "blake3" or "poseidon").

        Only the encoding is checked (header fields, shapes, integer ranges); whether
        the steps obey the VM's rules is the constraint checker's business.
        """
        err = cls._error
        if not isinstance(depth, int) or not PW_MIN_DEPTH <= depth <= PW_MAX_DEPTH:
            raise err(f"depth must be an integer in 1..32, got {depth!r}")
        if kind not in (PW_TRACE_KIND_INTENT, PW_TRACE_KIND_BATCH):
            raise err(f"kind must be 1 (intent) or 2 (batch), got {kind!r}")
        if not isinstance(coinbase, int) or not 0 <= coinbase < (1 << depth):
            raise err(f"coinbase must be an account index below 2^{depth}, got {coinbase!r}")
        if not isinstance(pre_root, bytes) or len(pre_root) != 32:
            raise err("pre_root must be 32 bytes")
        if hash not in HASH_NAMES:
            raise err(f"hash must be one of {HASH_NAMES!r}, got {hash!r}")
        cdef int hash_id = HASH_NAMES.index(hash)
        iid = _id_bytes(intent_id, err)
        cols = (op, status, account, arg0, arg1, gas_left, owner, balance_before, nonce_before,
                balance_after, nonce_after, path, root_after)
        n = len(op) if hasattr(op, "__len__") else -1
        if not 1 <= n <= PW_MAX_STEPS:
            raise err(f"a trace has 1..{PW_MAX_STEPS} steps, got {n}")
        arrays = [_as_column(err, COLUMNS[c], cols[c], _DTYPES[c], _shape(c, n, depth)) for c in range(PW_N_COLS)]
        cdef size_t total = pw_trace_size(n, depth), off = PW_HEADER_SIZE
        out = PyBytes_FromStringAndSize(NULL, total)
        cdef uint8_t *p = <uint8_t *>PyBytes_AS_STRING(out)
        pw_write_header(p, depth, kind, hash_id, n, coinbase, <const uint8_t *>PyBytes_AS_STRING(pre_root),
                        <const uint8_t *>PyBytes_AS_STRING(iid))
        cdef const uint8_t[::1] mv
        for a in arrays:
            mv = a.reshape(-1).view(np.uint8)
            if mv.shape[0]:
                memcpy(p + off, &mv[0], mv.shape[0])
            off += mv.shape[0]
        cdef ExecutionTrace t = cls.__new__(cls)
        t._set(out)
        return t

    @classmethod
    def _concat(cls, traces, batch_id):
        """One batch trace (kind 2) of ``traces`` in order: same depth, each ``pre_root``
        equal to the previous ``post_root``; the id is ``batch_id(preimages)``, where
        ``preimages`` lists the id pre-images of all their intents, recomputed from the
        steps, and the callable (the face's BLAKE3) returns the 32-byte batch id.

        Coinbase: the traces that have a REWARD step must agree on it, and those without
        one must have coinbase 0 (the spec's rule); the batch's is the agreed one, or 0
        when no trace has a REWARD step.  ``_error`` otherwise."""
        err = cls._error
        parts = list(traces)
        if not parts:
            raise err("concat needs at least one trace")
        cdef ExecutionTrace first, t, prev = None, paid = None
        for k, t in enumerate(parts):  # raises TypeError for a non-trace
            if prev is not None:
                if t._depth != prev._depth:
                    raise err(f"concat: trace {k} has depth {t._depth}, trace 0 has {prev._depth}")
                if t._hash != prev._hash:
                    raise err(f"concat: trace {k} uses the {HASH_NAMES[t._hash]} state hash, "
                              f"trace 0 {HASH_NAMES[prev._hash]}")
                if t.pre_root != prev.post_root:
                    raise err("concat: a trace's pre_root is not the previous trace's post_root")
            if t._has_reward():
                if paid is not None and t._coinbase != paid._coinbase:
                    raise err(f"concat: trace {k} pays REWARD to coinbase {t._coinbase}, "
                                     f"an earlier trace to {paid._coinbase}")
                paid = t
            elif t._coinbase != 0:
                raise err(f"concat: trace {k} has no REWARD step but coinbase {t._coinbase} "
                                 "(must be 0)")
            prev = t
        first = parts[0]
        cdef size_t n = sum((<ExecutionTrace>t)._n for t in parts)
        if n > PW_MAX_STEPS:
            raise err(f"concat: {n} steps exceed MAX_STEPS ({PW_MAX_STEPS})")
        bid = batch_id([b for t in parts for b in (<ExecutionTrace>t)._preimages(err)])
        if not isinstance(bid, bytes) or len(bid) != 32:
            raise TypeError("concat: batch_id() must return 32 bytes")
        cdef int depth = first._depth, c
        out = PyBytes_FromStringAndSize(NULL, pw_trace_size(n, depth))
        cdef uint8_t *p = <uint8_t *>PyBytes_AS_STRING(out)
        batch_pre_root = first.pre_root
        pw_write_header(p, depth, PW_TRACE_KIND_BATCH, first._hash, n,
                        paid._coinbase if paid is not None else 0,
                        <const uint8_t *>PyBytes_AS_STRING(batch_pre_root),
                        <const uint8_t *>PyBytes_AS_STRING(bid))
        cdef size_t off = PW_HEADER_SIZE, w, src_off
        for c in range(PW_N_COLS):
            w = pw_col_width(c, depth)
            for t in parts:
                src_off = pw_col_offset(c, t._n, depth)
                memcpy(p + off, PyBytes_AS_STRING(t._data) + src_off, t._n * w)
                off += t._n * w
        cdef ExecutionTrace batch = cls.__new__(cls)
        batch._set(out)
        return batch

    def __reduce__(self):
        return (type(self), (self._data,))

    # -- header ------------------------------------------------------------------

    def to_bytes(self):
        """The canonical encoding (the same object every time; immutable)."""
        return self._data

    @property
    def intent_id(self):
        """The header's intent id (kind 1) or batch id (kind 2), 64 hex digits."""
        if self._iid is None:
            self._iid = self._data[PW_HDR_INTENT_ID:PW_HDR_INTENT_ID + 32].hex()
        return self._iid

    @property
    def depth(self):
        return self._depth

    @property
    def hash(self):
        """The state hash the trace's roots and paths use: ``"blake3"`` or ``"poseidon"``."""
        return HASH_NAMES[self._hash]

    @property
    def version(self):
        """The encoding version (2; 1 for a trace made before the hash byte, always BLAKE3)."""
        return self._data[PW_HDR_VERSION]

    @property
    def kind(self):
        """1 = one intent, 2 = a batch."""
        return self._kind

    @property
    def n_steps(self):
        return self._n

    @property
    def coinbase(self):
        return self._coinbase

    @property
    def nbytes(self):
        return PyBytes_GET_SIZE(self._data)

    @property
    def pre_root(self):
        """The state root before the first step (32 bytes)."""
        return self._data[PW_HDR_PRE_ROOT:PW_HDR_PRE_ROOT + 32]

    @property
    def post_root(self):
        """The last step's root_after (32 bytes)."""
        cdef size_t end = PyBytes_GET_SIZE(self._data)
        return self._data[end - 32:end]

    def __len__(self):
        return self._n

    def __eq__(self, other):
        if not isinstance(other, ExecutionTrace):
            return NotImplemented
        return self._data == (<ExecutionTrace>other)._data

    def __hash__(self):
        return hash(self._data)

    def __repr__(self):
        return (f"ExecutionTrace(kind={self._kind}, n_steps={self._n}, depth={self._depth}, "
                f"intent_id={self.intent_id[:16]}..., {PyBytes_GET_SIZE(self._data)} bytes)")

    # -- columns -----------------------------------------------------------------

    @cython.final
    cdef object _column(self, int c):
        if self._cols is None:
            self._cols = [None] * PW_N_COLS
        a = self._cols[c]
        if a is None:
            a = np.frombuffer(self._data, dtype=_DTYPES[c],
                              count=self._n * pw_col_width(c, self._depth) // _DTYPES[c].itemsize,
                              offset=pw_col_offset(c, self._n, self._depth))
            if c == PW_COL_OWNER or c == PW_COL_ROOT_AFTER:
                a = a.reshape(self._n, 32)
            elif c == PW_COL_PATH:
                a = a.reshape(self._n, self._depth, 32)
            self._cols[c] = a
        return a

    def column(self, name):
        """The named column (one of COLUMNS) as a read-only numpy view."""
        try:
            return self._column(_COL_INDEX[name])
        except KeyError:
            raise KeyError(f"no trace column {name!r}; columns are {', '.join(COLUMNS)}") from None

    def columns(self):
        """All columns, by name, in encoding order."""
        return {name: self._column(i) for i, name in enumerate(COLUMNS)}

    @property
    def op(self): return self._column(PW_COL_OP)
    @property
    def status(self): return self._column(PW_COL_STATUS)
    @property
    def account(self): return self._column(PW_COL_ACCOUNT)
    @property
    def arg0(self): return self._column(PW_COL_ARG0)
    @property
    def arg1(self): return self._column(PW_COL_ARG1)
    @property
    def gas_left(self): return self._column(PW_COL_GAS_LEFT)
    @property
    def owner(self): return self._column(PW_COL_OWNER)
    @property
    def balance_before(self): return self._column(PW_COL_BALANCE_BEFORE)
    @property
    def nonce_before(self): return self._column(PW_COL_NONCE_BEFORE)
    @property
    def balance_after(self): return self._column(PW_COL_BALANCE_AFTER)
    @property
    def nonce_after(self): return self._column(PW_COL_NONCE_AFTER)
    @property
    def path(self): return self._column(PW_COL_PATH)
    @property
    def root_after(self): return self._column(PW_COL_ROOT_AFTER)

    # -- intents -----------------------------------------------------------------

    @cython.final
    cdef bint _has_reward(self) noexcept:
        """Whether any step's op is REWARD (a scan of the n-byte op column)."""
        cdef const char *op = PyBytes_AS_STRING(self._data) + pw_col_offset(PW_COL_OP, self._n, self._depth)
        return memchr(op, PW_OP_REWARD, self._n) != NULL

    def _intent_preimages(self):
        """The id pre-images (``PW_INTENT_DOMAIN || program``) of the intents in this
        trace, in order, recomputed from their NONCE, FEE and body steps; ``_error``
        if the steps are not a sequence of whole intents.  The face hashes them."""
        return self._preimages(self._error)

    @cython.final
    cdef list _preimages(self, object err):
        cdef const uint8_t *base = <const uint8_t *>PyBytes_AS_STRING(self._data)
        cdef size_t n = self._n
        cdef int d = self._depth
        cdef const uint8_t *op = base + pw_col_offset(PW_COL_OP, n, d)
        cdef const uint8_t *acct = base + pw_col_offset(PW_COL_ACCOUNT, n, d)
        cdef const uint8_t *a0 = base + pw_col_offset(PW_COL_ARG0, n, d)
        cdef const uint8_t *a1 = base + pw_col_offset(PW_COL_ARG1, n, d)
        cdef size_t i = 0, start, j, nb
        cdef bytes pre
        cdef uint8_t *q
        cdef uint8_t *body
        out = []
        while i < n:
            start = i
            if op[i] != PW_OP_NONCE or i + 1 >= n or op[i + 1] != PW_OP_FEE:
                raise err(f"step {i}: an intent starts with NONCE then FEE")
            i += 2
            while i < n and (op[i] == PW_OP_DEBIT or op[i] == PW_OP_CREDIT):
                i += 1
            nb = i - start - 2
            if nb == 0:
                raise err(f"step {i}: an intent has at least one body op")
            while i < n and op[i] == PW_OP_UNDO:
                i += 1
            if i < n and op[i] == PW_OP_REFUND:
                i += 1
            if i < n and op[i] == PW_OP_REWARD:
                i += 1
            if i < n and op[i] != PW_OP_NONCE:
                raise err(f"step {i}: op {op[i]} where the next intent's NONCE belongs")
            # a new bytes object is ours to fill until it is returned
            pre = PyBytes_FromStringAndSize(
                NULL, PW_INTENT_DOMAIN_LEN + PW_PROGRAM_HEAD + PW_BODY_OP_SIZE * nb)
            q = <uint8_t *>PyBytes_AS_STRING(pre)
            memcpy(q, PW_INTENT_DOMAIN, PW_INTENT_DOMAIN_LEN)
            q += PW_INTENT_DOMAIN_LEN
            memcpy(q, acct + 4 * start, 4)                 # sender u32
            memcpy(q + 4, a0 + 8 * start, 8)               # nonce u64
            memcpy(q + 12, a0 + 8 * (start + 1), 8)        # gas_limit u64
            memcpy(q + 20, a1 + 8 * (start + 1), 8)        # gas_price u64
            pw_store32_le(q + 28, <uint32_t>nb)            # n_body u32
            body = q + PW_PROGRAM_HEAD
            for j in range(nb):                            # op u8, account u32, arg0 u64
                body[PW_BODY_OP_SIZE * j] = op[start + 2 + j]
                memcpy(body + PW_BODY_OP_SIZE * j + 1, acct + 4 * (start + 2 + j), 4)
                memcpy(body + PW_BODY_OP_SIZE * j + 5, a0 + 8 * (start + 2 + j), 8)
            out.append(pre)
        return out


cdef bytes _id_bytes(object intent_id, object err):
    if isinstance(intent_id, str):
        try:
            raw = bytes.fromhex(intent_id)
        except ValueError:
            raise err("intent_id must be 64 hex digits") from None
    elif isinstance(intent_id, bytes):
        raw = intent_id
    else:
        raise err("intent_id must be a hex str or 32 bytes")
    if len(raw) != 32:
        raise err("intent_id must be 32 bytes (64 hex digits)")
    return raw


cdef tuple _shape(int c, Py_ssize_t n, int depth):
    if c == PW_COL_OWNER or c == PW_COL_ROOT_AFTER:
        return (n, 32)
    if c == PW_COL_PATH:
        return (n, depth, 32)
    return (n,)


cdef object _as_column(object err, str name, object values, object dtype, tuple shape):
    a = np.asarray(values)
    if a.shape != shape:
        raise err(f"column {name}: shape {a.shape}, expected {shape}")
    if a.dtype.kind not in "ui":
        raise err(f"column {name}: dtype {a.dtype} is not an integer type")
    if a.size:
        hi = (1 << (8 * dtype.itemsize)) - 1
        if (a.dtype.kind == "i" and int(a.min()) < 0) or int(a.max()) > hi:
            raise err(f"column {name}: values must be in [0, {hi}]")
    return np.ascontiguousarray(a, dtype=dtype)



def _isa_constants():
    """The constants of csrc/pw_isa.h as compiled, for the test that pouw.isa mirrors them."""
    return {
        "ops": [PW_OP_NONCE, PW_OP_FEE, PW_OP_DEBIT, PW_OP_CREDIT, PW_OP_UNDO, PW_OP_REFUND,
                PW_OP_REWARD],
        "statuses": [PW_ST_OK, PW_ST_BAD_NONCE, PW_ST_INTRINSIC_GAS, PW_ST_CANNOT_PAY_FEE,
                     PW_ST_INSUFFICIENT_BALANCE, PW_ST_OUT_OF_GAS, PW_ST_OVERFLOW, PW_ST_SKIPPED],
        "INTRINSIC_GAS": PW_INTRINSIC_GAS,
        "DEBIT_GAS": PW_DEBIT_GAS,
        "CREDIT_GAS": PW_CREDIT_GAS,
        "TRACE_MAGIC": <bytes>PW_TRACE_MAGIC,
        "INTENT_DOMAIN": PW_INTENT_DOMAIN[:PW_INTENT_DOMAIN_LEN],
        "PROGRAM_HEAD": PW_PROGRAM_HEAD,
        "BODY_OP_SIZE": PW_BODY_OP_SIZE,
        "TRACE_VERSION": PW_TRACE_VERSION,
        "HASH_IDS": {"blake3": PW_HASH_BLAKE3, "poseidon": PW_HASH_POSEIDON},
        "N_HASHES": PW_N_HASHES,
        "HEADER_SIZE": PW_HEADER_SIZE,
        "MAX_STEPS": PW_MAX_STEPS,
        "MIN_DEPTH": PW_MIN_DEPTH,
        "MAX_DEPTH": PW_MAX_DEPTH,
        "DEFAULT_DEPTH": PW_DEFAULT_DEPTH,
        "TRACE_KIND_INTENT": PW_TRACE_KIND_INTENT,
        "TRACE_KIND_BATCH": PW_TRACE_KIND_BATCH,
        "STEP_FIXED": PW_STEP_FIXED,
        "step_size": [pw_step_size(d) for d in range(PW_MIN_DEPTH, PW_MAX_DEPTH + 1)],
        "col_widths": [pw_col_width(c, 20) for c in range(PW_N_COLS)],
    }
