"""The VM kernel: account storage and intent execution writing canonical traces.

C in csrc/pw_vm.h (step rules, intent programs) over csrc/pw_smt.h (tree and
hash map).  Public faces: pouw.node.state (AccountState wraps AccountTable)
and pouw.node.executor.  Oracle: pouw._reference.vm (same names, pure Python).
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.mem cimport PyMem_RawFree, PyMem_RawMalloc
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset

from .merkle cimport (
    Hasher,
    SparseMerkleTree,
    pw_hasher,
    pw_map,
    pw_map_copy,
    pw_map_free,
    pw_map_init,
    pw_sh_leaf_many,
    pw_sh_owner_ok,
    pw_smt,
    pw_smt_path,
)
from .pw_hash cimport pw_store32_le
from .pw_isa cimport *

__all__ = ["AccountTable", "execute", "apply_op", "SUPPLY_LIMIT"]

#: Total supply must stay below this (so REFUND, REWARD and UNDO never overflow).
SUPPLY_LIMIT = 1 << 63
cdef uint64_t U64_MAX = 0xFFFFFFFFFFFFFFFF
# steps of the largest step log a table keeps between execute() calls
cdef size_t LOG_KEEP_STEPS = 1 << 16


cdef extern from "pw_vm.h" nogil:
    enum:
        PW_ACCOUNT_SIZE
    ctypedef struct pw_account:
        uint8_t owner[32]
        uint64_t balance
        uint64_t nonce
    ctypedef struct pw_vm_log:
        size_t cap
    ctypedef struct pw_vm:
        pw_map *accounts
        pw_smt *tree
        uint32_t coinbase
        size_t n_rewards
        uint8_t *cols[13]
        size_t n
        pw_vm_log *log
    int pw_vm_log_init(pw_vm_log *g, size_t cap)
    void pw_vm_log_free(pw_vm_log *g)
    ctypedef struct pw_intent_result:
        uint8_t status
        uint32_t n_steps
        uint64_t gas_used
        uint64_t fee
        uint8_t post_root[32]

    int pw_vm_apply(int op, uint64_t arg0, uint64_t arg1, uint64_t *bal, uint64_t *nonce, uint64_t *gas)
    void pw_account_load(const pw_map *accounts, uint32_t index, pw_account *a)
    int pw_account_put(pw_map *accounts, uint32_t index, const pw_account *a)
    int pw_account_store(pw_map *accounts, pw_smt *tree, uint32_t index, const pw_account *a,
                         uint8_t *path, uint8_t *root)
    int64_t pw_vm_check(const uint8_t *p, size_t len, size_t n_intents, int depth, const char **why)
    int pw_vm_run(pw_vm *vm, const uint8_t *p, size_t n_intents, pw_intent_result *res)


cdef inline uint64_t _u64(object v, str name) except? 0xFFFFFFFFFFFFFFFF:
    if not isinstance(v, int) or not 0 <= v <= U64_MAX:
        raise ValueError(f"{name} must be an integer in [0, 2^64), got {v!r}")
    return <uint64_t>v


@cython.final
cdef class AccountTable:
    """AccountTable(depth=20, hash=None): accounts by index plus their sparse Merkle tree.

    Keeps ``leaf_hash(account i)`` at leaf ``i`` of ``tree`` (hashed with
    ``hash``, as pouw._native.merkle takes it: BLAKE3 by default) and the total
    supply (sum of balances), which must stay below 2^63.  Under Poseidon an
    owner must be below r read as a big-endian integer.  Not thread-safe: one
    owner.
    """

    cdef readonly SparseMerkleTree tree
    cdef pw_map accounts
    cdef pw_vm_log log  # execute()'s step log, kept between calls (grown, never shrunk)
    cdef bint ready
    cdef bint busy  # set while execute() runs without the GIL: methods raise RuntimeError
    cdef readonly object total_supply

    def __cinit__(self, depth=20, hash=None):
        self.tree = SparseMerkleTree(depth, hash)
        memset(&self.log, 0, sizeof(self.log))
        if pw_map_init(&self.accounts, PW_ACCOUNT_SIZE, 64) < 0:
            raise MemoryError("AccountTable: out of memory")
        self.ready = True
        self.total_supply = 0

    def __dealloc__(self):
        pw_vm_log_free(&self.log)
        if self.ready:
            pw_map_free(&self.accounts)
            self.ready = False

    cdef int _log_for(self, size_t steps) except -1:
        """Make the step log hold ``steps`` (reused across calls: no allocation per intent)."""
        cdef size_t old = self.log.cap
        if old >= steps:
            return 0
        pw_vm_log_free(&self.log)
        if pw_vm_log_init(&self.log, steps if steps > 2 * old else 2 * old) < 0:
            raise MemoryError("VM: out of memory for the step log")
        return 0

    @property
    def depth(self):
        return self.tree.t.depth

    @property
    def root(self):
        self._free()
        return self.tree.root

    @property
    def hash(self):
        """The state's hash: ``"blake3"`` or ``"poseidon"``."""
        return self.tree.hasher.name

    def __len__(self):
        """The number of non-empty accounts."""
        self._free()
        return self.accounts.len

    cdef int _free(self) except -1:
        if self.busy:
            raise RuntimeError("AccountTable is being updated by execute() in another thread")
        return 0

    cdef uint32_t _index(self, object index) except? 0xFFFFFFFF:
        self._free()
        self.tree.check_index(index)
        return <uint32_t>index

    def get(self, index):
        """``(owner, balance, nonce)`` of account ``index`` (zeros if it is empty)."""
        cdef pw_account a
        pw_account_load(&self.accounts, self._index(index), &a)
        return PyBytes_FromStringAndSize(<char *>a.owner, 32), a.balance, a.nonce

    def set(self, index, owner, balance, nonce):
        """Overwrite account ``index``; ValueError if total supply would reach 2^63."""
        cdef uint32_t i = self._index(index)
        if not isinstance(owner, bytes) or len(owner) != 32:
            raise ValueError("owner must be 32 bytes")
        cdef pw_account a, old
        memcpy(a.owner, PyBytes_AS_STRING(owner), 32)
        _check_owner(self.tree.hasher, a.owner, index)
        a.balance = _u64(balance, "balance")
        a.nonce = _u64(nonce, "nonce")
        pw_account_load(&self.accounts, i, &old)
        supply = self.total_supply - old.balance + a.balance
        if supply >= SUPPLY_LIMIT:
            raise ValueError(f"total supply would be {supply}, must stay below 2^63")
        self.tree.sync()
        if pw_account_store(&self.accounts, &self.tree.t, i, &a, NULL, NULL) < 0:
            raise MemoryError("AccountTable: out of memory")
        self.total_supply = supply

    def set_range(self, start, owners, balance, nonce=0):
        """Set ``len(owners) // 32`` consecutive accounts from ``start`` (owners concatenated),
        each with ``balance`` and ``nonce``, rehashing each tree node once (a genesis)."""
        self._free()
        self.tree.check_index(start)
        if not isinstance(owners, bytes) or len(owners) % 32:
            raise ValueError("owners must be bytes, a multiple of 32 long")
        cdef uint64_t n = len(owners) // 32, k, s = start
        if n == 0:
            return
        if start + n > (<object>1 << self.tree.t.depth):
            raise ValueError("accounts run past the end of the tree")
        cdef uint64_t bal = _u64(balance, "balance"), non = _u64(nonce, "nonce")
        cdef pw_account a, old
        old_sum = 0
        for k in range(n):
            pw_account_load(&self.accounts, <uint32_t>(s + k), &old)
            old_sum += old.balance
        supply = self.total_supply - old_sum + n * bal
        if supply >= SUPPLY_LIMIT:
            raise ValueError(f"total supply would be {supply}, must stay below 2^63")
        cdef const uint8_t *ow = <const uint8_t *>PyBytes_AS_STRING(owners)
        for k in range(n):
            _check_owner(self.tree.hasher, ow + 32 * k, s + k)
        leaves = PyBytes_FromStringAndSize(NULL, 32 * n)
        cdef uint8_t *lv = <uint8_t *>PyBytes_AS_STRING(leaves)
        cdef int rc = 0
        cdef pw_hasher ph
        cdef const uint8_t **op = <const uint8_t **>PyMem_RawMalloc(n * (sizeof(uint8_t *) + 16))
        if op == NULL:
            raise MemoryError()
        cdef uint64_t *bals = <uint64_t *>(op + n)
        cdef uint64_t *nons = bals + n
        self.tree.hasher.load(&ph)
        self.busy = True
        try:
            with nogil:  # owners and leaves are held by this frame; self by the caller
                for k in range(n):
                    op[k] = ow + 32 * k
                    bals[k] = bal
                    nons[k] = non
                pw_sh_leaf_many(&ph, n, op, bals, nons, lv, NULL)
                for k in range(n):
                    memcpy(a.owner, ow + 32 * k, 32)
                    a.balance = bal
                    a.nonce = non
                    if pw_account_put(&self.accounts, <uint32_t>(s + k), &a) < 0:
                        rc = -1
                        break
        finally:
            self.busy = False
            PyMem_RawFree(op)
        if rc < 0:
            raise MemoryError("AccountTable: out of memory (table left inconsistent)")
        self.tree.set_leaves(start, leaves)
        self.total_supply = supply

    def leaf_hash(self, index):
        return self.tree.get_leaf_hash(index)

    def path(self, index):
        return self.tree.path(index)

    def copy(self):
        """An independent copy (two table memcpys)."""
        self._free()
        cdef AccountTable other = AccountTable.__new__(AccountTable, self.tree.t.depth, self.tree.hasher)
        pw_map_free(&other.accounts)
        other.ready = False
        if pw_map_copy(&other.accounts, &self.accounts) < 0:
            raise MemoryError("AccountTable: out of memory")
        other.ready = True
        other.tree = self.tree.copy()
        other.total_supply = self.total_supply
        return other


cdef int _check_owner(Hasher h, const uint8_t *owner, object index) except -1:
    if not pw_sh_owner_ok(h.h.kind, owner):
        raise ValueError(f"account {index}: under the {h.name} state hash an owner must be "
                         f"below r read as a 32-byte big-endian integer, got 0x{(<bytes>owner[:32]).hex()}")
    return 0


def apply_op(op, arg0, arg1, balance, nonce, gas_left):
    """The step rule alone: ``(status, balance, nonce, gas_left)`` after ``op`` (1..7)."""
    if not isinstance(op, int) or not PW_OP_NONCE <= op <= PW_OP_REWARD:
        raise ValueError(f"op must be 1..7, got {op!r}")
    cdef uint64_t a0 = _u64(arg0, "arg0"), a1 = _u64(arg1, "arg1")
    cdef uint64_t b = _u64(balance, "balance"), n = _u64(nonce, "nonce"), g = _u64(gas_left, "gas_left")
    cdef int st = pw_vm_apply(op, a0, a1, &b, &n, &g)
    return st, b, n, g


def execute(AccountTable state not None, coinbase, bytes programs not None, n_intents,
            header_id, kind, bint with_trace=True):
    """Run ``n_intents`` programs (pouw.isa.encode_program, concatenated) on ``state``.

    Returns ``(trace_bytes or None, pre_root, results)``, ``results`` a list of
    ``(status, n_steps, gas_used, fee, post_root)`` per intent.  The trace's
    header carries ``header_id`` (32 bytes: the intent's or the batch's id),
    ``kind`` and ``coinbase`` (0 when no intent got as far as REWARD).  Raises ValueError, before touching ``state``, for a malformed
    program, a coinbase outside the tree, too many steps, or total supply >= 2^63.
    """
    cdef int depth = state.tree.t.depth
    if not isinstance(coinbase, int) or not 0 <= coinbase < (<object>1 << depth):
        raise ValueError(f"coinbase must be an account index below 2^{depth}, got {coinbase!r}")
    if kind not in (PW_TRACE_KIND_INTENT, PW_TRACE_KIND_BATCH):
        raise ValueError(f"kind must be 1 or 2, got {kind!r}")
    if not isinstance(header_id, bytes) or len(header_id) != 32:
        raise ValueError("header_id must be 32 bytes")
    if not isinstance(n_intents, int) or n_intents < 1 or (kind == PW_TRACE_KIND_INTENT and n_intents != 1):
        raise ValueError(f"n_intents must be >= 1 (exactly 1 for kind 1), got {n_intents!r}")
    state._free()
    if state.total_supply >= SUPPLY_LIMIT:
        raise ValueError("total supply must be below 2^63")
    cdef const uint8_t *prog = <const uint8_t *>PyBytes_AS_STRING(programs)
    cdef size_t plen = PyBytes_GET_SIZE(programs), n = n_intents
    cdef const char *why = NULL
    cdef int64_t cap = pw_vm_check(prog, plen, n, depth, &why)
    if cap < 0:
        raise ValueError(f"intent {-1 - cap}: {why.decode()}")
    if cap > PW_MAX_STEPS:
        raise ValueError(f"up to {cap} steps: a trace holds at most {PW_MAX_STEPS}; split the batch")

    cdef pw_vm vm
    cdef int c, rc
    cdef size_t off = 0, w
    cdef uint8_t *scratch = NULL
    cdef pw_intent_result *res = <pw_intent_result *>PyMem_RawMalloc(n * sizeof(pw_intent_result))
    if res == NULL:
        raise MemoryError()
    try:
        state._log_for(<size_t>cap)
    except MemoryError:
        PyMem_RawFree(res)
        raise
    vm.log = &state.log
    vm.accounts = &state.accounts
    vm.tree = &state.tree.t
    vm.coinbase = coinbase
    vm.n_rewards = 0
    vm.n = 0
    memset(vm.cols, 0, sizeof(vm.cols))
    pre_root = state.tree.root
    try:
        if with_trace:
            scratch = <uint8_t *>PyMem_RawMalloc(<size_t>cap * pw_step_size(depth))
            if scratch == NULL:
                raise MemoryError()
            for c in range(PW_N_COLS):
                vm.cols[c] = scratch + off
                off += <size_t>cap * pw_col_width(c, depth)
        state._free()  # checked and set with the GIL held throughout: no second runner
        state.tree.sync()
        state.busy = state.tree.busy = True
        try:
            with nogil:  # state, programs and the buffers are held by this frame
                rc = pw_vm_run(&vm, prog, n, res)
        finally:
            state.busy = state.tree.busy = False
        if rc < 0:
            raise MemoryError("VM: out of memory; the state is left partly updated")
        trace = None
        if with_trace:
            trace = PyBytes_FromStringAndSize(NULL, pw_trace_size(vm.n, depth))
            # a trace without a REWARD step has coinbase 0 (docs/vm-and-trace.md): nothing binds it
            pw_write_header(<uint8_t *>PyBytes_AS_STRING(trace), depth, kind, state.tree.t.h.kind, vm.n,
                            coinbase if vm.n_rewards else 0,
                            <const uint8_t *>PyBytes_AS_STRING(pre_root),
                            <const uint8_t *>PyBytes_AS_STRING(header_id))
            off = PW_HEADER_SIZE
            for c in range(PW_N_COLS):
                w = vm.n * pw_col_width(c, depth)
                memcpy(<uint8_t *>PyBytes_AS_STRING(trace) + off, vm.cols[c], w)
                off += w
        results = [
            (res[k].status, res[k].n_steps, res[k].gas_used, res[k].fee,
             PyBytes_FromStringAndSize(<char *>res[k].post_root, 32))
            for k in range(n)
        ]
    finally:
        PyMem_RawFree(scratch)
        PyMem_RawFree(res)
        if state.log.cap > LOG_KEEP_STEPS:  # a big batch's log is not kept (~125 bytes a step)
            pw_vm_log_free(&state.log)
    return trace, pre_root, results

