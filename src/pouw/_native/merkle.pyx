"""The Merkle hashes and sparse tree of the VM state (docs/vm-and-trace.md, "State").

Kernels: csrc/pw_hash.h (BLAKE3) and csrc/pw_smt.h (tree and hash map).
Public face: pouw.merkle.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.string cimport memcpy

from .pw_hash cimport (
    PW_K_LEAF,
    PW_K_NODE,
    PW_SIMD_N_LEVELS,
    pw_fold_many,
    pw_fold_path,
    pw_leaf_hash,
    pw_node_hash,
    pw_simd_level,
    pw_simd_level_name,
    pw_simd_set_level,
    pw_simd_supported,
)

__all__ = [
    "K_LEAF",
    "K_NODE",
    "leaf_hash",
    "node_hash",
    "zero_hashes",
    "fold_path",
    "fold_many",
    "simd_level",
    "simd_levels",
    "SparseMerkleTree",
]

K_LEAF = PyBytes_FromStringAndSize(<const char *>PW_K_LEAF, 32)
K_NODE = PyBytes_FromStringAndSize(<const char *>PW_K_NODE, 32)

cdef uint64_t U64_MAX = 0xFFFFFFFFFFFFFFFF


cdef inline const uint8_t *hash32(object h, str name) except NULL:
    if not isinstance(h, bytes) or len(<bytes>h) != 32:
        raise ValueError(f"{name} must be 32 bytes, got {type(h).__name__} of length "
                         f"{len(h) if hasattr(h, '__len__') else '?'}")
    return <const uint8_t *>PyBytes_AS_STRING(h)


cdef inline uint64_t u64(object v, str name) except? 0xFFFFFFFFFFFFFFFF:
    if not isinstance(v, int) or not 0 <= v <= U64_MAX:
        raise ValueError(f"{name} must be an integer in [0, 2^64), got {v!r}")
    return <uint64_t>v


cdef inline int check_depth(object depth) except -1:
    if not isinstance(depth, int) or not 1 <= depth <= 32:
        raise ValueError(f"depth must be an integer in 1..32, got {depth!r}")
    return 0


def leaf_hash(owner, balance, nonce):
    """leaf_hash(owner: bytes, balance: int, nonce: int) -> bytes (32 zero bytes for an empty leaf)."""
    cdef const uint8_t *o = hash32(owner, "owner")
    cdef uint64_t b = u64(balance, "balance"), n = u64(nonce, "nonce")
    cdef uint8_t out[32]
    pw_leaf_hash(o, b, n, out)
    return PyBytes_FromStringAndSize(<char *>out, 32)


def node_hash(left, right):
    """node_hash(left: bytes, right: bytes) -> bytes: keyed BLAKE3 (K_NODE) of left || right."""
    cdef const uint8_t *l = hash32(left, "left")
    cdef const uint8_t *r = hash32(right, "right")
    cdef uint8_t out[32]
    pw_node_hash(l, r, out)
    return PyBytes_FromStringAndSize(<char *>out, 32)


def zero_hashes(depth):
    """zero_hashes(depth) -> [Z[0], ..., Z[depth]]: empty-subtree roots, Z[depth] the empty tree's."""
    if not isinstance(depth, int) or not 0 <= depth <= 32:
        raise ValueError(f"depth must be an integer in 0..32, got {depth!r}")
    cdef uint8_t h[32]
    cdef int l
    out = [bytes(32)]
    for l in range(depth):
        memcpy(h, PyBytes_AS_STRING(out[l]), 32)
        pw_node_hash(h, h, h)
        out.append(PyBytes_FromStringAndSize(<char *>h, 32))
    return out


def fold_path(leaf, index, path, depth):
    """fold_path(leaf: bytes, index: int, path: bytes, depth: int) -> bytes: the root ``leaf`` gives."""
    cdef const uint8_t *lf = hash32(leaf, "leaf")
    check_depth(depth)
    if not isinstance(index, int) or not 0 <= index < (1 << depth):
        raise ValueError(f"index must be in [0, 2^{depth}), got {index!r}")
    if not isinstance(path, bytes) or len(path) != 32 * depth:
        raise ValueError(f"path must be {32 * depth} bytes")
    cdef uint8_t out[32]
    pw_fold_path(lf, <uint32_t>index, <const uint8_t *>PyBytes_AS_STRING(path), depth, out)
    return PyBytes_FromStringAndSize(<char *>out, 32)


def fold_many(const uint8_t[::1] leaves not None, const uint32_t[::1] indexes not None,
              const uint8_t[::1] paths not None, depth):
    """fold_many(leaves, indexes, paths, depth) -> bytes: ``n`` folds at once, in SIMD lanes.

    ``leaves`` is ``n`` leaf hashes (32*n bytes), ``indexes`` ``n`` uint32
    (e.g. a numpy array), ``paths`` ``n`` paths (32*depth*n bytes); returns the
    ``n`` roots, root ``j`` equal to ``fold_path(leaves[j], indexes[j], paths[j], depth)``.
    Runs on :func:`simd_level`'s kernel, without the GIL.
    """
    check_depth(depth)
    cdef size_t n = <size_t>indexes.shape[0], j, plen = 32 * <size_t>depth
    cdef int d = depth
    if <size_t>leaves.shape[0] != 32 * n or <size_t>paths.shape[0] != plen * n:
        raise ValueError(f"need 32*n bytes of leaves and 32*depth*n bytes of paths for n={n}")
    for j in range(n):
        if d < 32 and indexes[j] >> d:
            raise ValueError(f"indexes[{j}] = {indexes[j]} does not fit in {d} bits")
    out = PyBytes_FromStringAndSize(NULL, 32 * n)
    if n == 0:
        return out
    cdef const uint8_t **lp = <const uint8_t **>PyMem_Malloc(2 * n * sizeof(uint8_t *))
    if lp == NULL:
        raise MemoryError()
    cdef const uint8_t **pp = lp + n
    cdef uint8_t *o = <uint8_t *>PyBytes_AS_STRING(out)
    try:
        for j in range(n):
            lp[j] = &leaves[32 * j]
            pp[j] = &paths[plen * j]
        # the memoryviews hold the callers' buffers, `out` and `lp` are ours
        with nogil:
            pw_fold_many(n, lp, &indexes[0], pp, d, o)
    finally:
        PyMem_Free(lp)
    return out


cdef int simd_level_code() noexcept nogil:
    return pw_simd_level()


def simd_level():
    """The fold kernel in use: ``"avx512"``, ``"avx2"`` or ``"scalar"``.

    Chosen once from the CPU; ``POUW_PORTABLE=1`` in the environment (read at the
    first fold) forces ``"scalar"``. The checker (``pouw._native.constraints``)
    uses the same one.
    """
    return pw_simd_level_name[pw_simd_level()].decode("ascii")


def simd_levels():
    """The fold kernels this host can run, e.g. ``("scalar", "avx2", "avx512")``."""
    return tuple(pw_simd_level_name[i].decode("ascii")
                 for i in range(PW_SIMD_N_LEVELS) if pw_simd_supported(i))


def _set_simd_level(name):
    """Force a fold kernel (tests and benchmarks); ValueError if this host cannot run it."""
    cdef int i
    for i in range(PW_SIMD_N_LEVELS):
        if name == pw_simd_level_name[i].decode("ascii"):
            if pw_simd_set_level(i) < 0:
                raise ValueError(f"this host cannot run the {name!r} fold kernel")
            return
    raise ValueError(f"unknown fold kernel {name!r}; one of {simd_levels()!r}")


cdef class SparseMerkleTree:
    """SparseMerkleTree(depth=20): the fixed-depth account tree, storing only non-empty nodes.

    Leaves are indexed ``0 .. 2^depth - 1``; an index outside raises ValueError.
    Not thread-safe: one owner mutates it (the GIL is released only inside
    kernels that hold the only reference, see vm.pyx).
    """

    def __cinit__(self, depth=20):
        check_depth(depth)
        if pw_smt_init(&self.t, depth) < 0:
            raise MemoryError("SparseMerkleTree: out of memory")
        self.ready = True

    def __dealloc__(self):
        if self.ready:
            pw_smt_free(&self.t)
            self.ready = False

    cdef int check_free(self) except -1:
        if self.busy:
            raise RuntimeError("SparseMerkleTree is being updated by a kernel in another thread")
        return 0

    cdef int check_index(self, object index) except -1:
        self.check_free()
        if not isinstance(index, int) or not 0 <= index < (<object>1 << self.t.depth):
            raise ValueError(f"leaf index must be an integer in [0, 2^{self.t.depth}), got {index!r}")
        return 0

    @property
    def depth(self):
        """The number of levels below the root."""
        return self.t.depth

    @property
    def root(self):
        """The 32-byte root hash (``zero_hashes(depth)[depth]`` for the empty tree)."""
        self.check_free()
        return PyBytes_FromStringAndSize(<char *>self.t.root, 32)

    @property
    def node_count(self):
        """How many non-empty nodes (leaves included) are stored."""
        self.check_free()
        return self.t.nodes.len

    def get_leaf_hash(self, index):
        """The leaf hash at ``index`` (32 zero bytes if empty)."""
        self.check_index(index)
        return PyBytes_FromStringAndSize(<char *>pw_smt_node(&self.t, 0, <uint64_t>index), 32)

    def get_node(self, level, index):
        """The hash of node ``index`` at ``level`` (0 = leaves, depth = root)."""
        self.check_free()
        if not isinstance(level, int) or not 0 <= level <= self.t.depth:
            raise ValueError(f"level must be in 0..{self.t.depth}, got {level!r}")
        if not isinstance(index, int) or not 0 <= index < (<object>1 << (self.t.depth - level)):
            raise ValueError(f"index out of range for level {level}: {index!r}")
        return PyBytes_FromStringAndSize(<char *>pw_smt_node(&self.t, level, <uint64_t>index), 32)

    def path(self, index):
        """The ``depth`` sibling hashes of leaf ``index``, leaf level first (depth*32 bytes)."""
        self.check_index(index)
        out = PyBytes_FromStringAndSize(NULL, 32 * self.t.depth)
        pw_smt_path(&self.t, <uint64_t>index, <uint8_t *>PyBytes_AS_STRING(out))
        return out

    def set_leaf(self, index, leaf_hash):
        """Write the leaf hash at ``index`` and rehash its path (depth hashes)."""
        self.update_leaf(index, leaf_hash)

    def update_leaf(self, index, leaf_hash):
        """Write the leaf hash at ``index``; return ``(path, new_root)`` (path = the siblings)."""
        self.check_index(index)
        cdef const uint8_t *lf = hash32(leaf_hash, "leaf_hash")
        path = PyBytes_FromStringAndSize(NULL, 32 * self.t.depth)
        cdef uint8_t root[32]
        if pw_smt_update(&self.t, <uint64_t>index, lf, <uint8_t *>PyBytes_AS_STRING(path), root) < 0:
            raise MemoryError("SparseMerkleTree: out of memory")
        return path, PyBytes_FromStringAndSize(<char *>root, 32)

    def set_leaves(self, start, leaf_hashes):
        """Write ``len(leaf_hashes) // 32`` consecutive leaf hashes from ``start``, rehashing
        each affected node once (the fast way to build a genesis)."""
        self.check_index(start)
        if not isinstance(leaf_hashes, bytes) or len(leaf_hashes) % 32:
            raise ValueError("leaf_hashes must be bytes, a multiple of 32 long")
        cdef uint64_t n = len(leaf_hashes) // 32
        if start + n > (<object>1 << self.t.depth):
            raise ValueError("leaves run past the end of the tree")
        cdef const uint8_t *p = <const uint8_t *>PyBytes_AS_STRING(leaf_hashes)
        cdef uint64_t s = start
        cdef int rc
        self.busy = True
        try:
            with nogil:  # self and leaf_hashes stay referenced by this frame
                rc = pw_smt_set_range(&self.t, s, n, p)
        finally:
            self.busy = False
        if rc < 0:
            raise MemoryError("SparseMerkleTree: out of memory (tree left inconsistent)")

    def copy(self):
        """An independent copy (one memcpy of the node table)."""
        self.check_free()
        cdef SparseMerkleTree other = SparseMerkleTree.__new__(SparseMerkleTree, self.t.depth)
        pw_smt_free(&other.t)
        other.ready = False
        if pw_smt_copy(&other.t, &self.t) < 0:
            raise MemoryError("SparseMerkleTree: out of memory")
        other.ready = True
        return other

    def __repr__(self):
        return f"SparseMerkleTree(depth={self.t.depth}, nodes={self.t.nodes.len}, root={self.root.hex()[:16]}...)"
