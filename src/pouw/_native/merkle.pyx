"""The Merkle hashes and sparse tree of the VM state (docs/vm-and-trace.md, "State").

Kernels: csrc/pw_hash.h (BLAKE3), csrc/pw_state_hash.h (BLAKE3 or Poseidon
behind one interface) and csrc/pw_smt.h (tree and hash map).  Public face:
pouw.merkle, which installs the Poseidon Hasher's constants (this layer
imports only C: the constants are built above it, from pouw.zk).

Every function that hashes takes ``hash``: a :class:`Hasher`, ``None``
(BLAKE3) or a name.  Under Poseidon, node and leaf values are the 32-byte
big-endian encodings of field elements: an input that is not one (not below
r) is refused with ValueError, never reduced.
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from libc.stdint cimport uint8_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset

from cpython.pycapsule cimport PyCapsule_GetPointer
from .pw_hash cimport (
    PW_K_LEAF,
    PW_K_NODE,
    PW_SIMD_N_LEVELS,
    pw_simd_level,
    pw_simd_level_name,
    pw_simd_set_level,
    pw_simd_supported,
)

__all__ = [
    "Hasher",
    "HASH_NAMES",
    "get_hasher",
    "set_hasher_provider",
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


#: The state hashes by id (the trace's hash byte).
HASH_NAMES = ("blake3", "poseidon")


@cython.final
cdef class Hasher:
    """Hasher(name, node=None, leaf=None, backend=None): one of the state tree's hashes, in kernel form.

    ``Hasher("blake3")``, or ``Hasher("poseidon", node, leaf, backend)`` with the
    :class:`pouw._native.poseidon.Constants` of widths 3 and 4 and that module's
    ``backend_capsule()`` (pouw.merkle builds them; use its ``hasher(name)``).
    """

    def __cinit__(self, name, node=None, leaf=None, backend=None):
        cdef const bn_psd *pn
        cdef const bn_psd *pl
        if name == "blake3":
            if node is not None or leaf is not None or backend is not None:
                raise ValueError("the BLAKE3 hasher takes no constants")
            self.h.kind = PW_HASH_BLAKE3
            self.h.node = self.h.leaf = NULL
            self.backend = NULL
        elif name == "poseidon":
            if node is None or leaf is None or backend is None:
                raise ValueError("the Poseidon hasher needs the constants of widths 3 and 4")
            pn = <const bn_psd *>PyCapsule_GetPointer(node.capsule(), b"pouw.bn_psd")
            pl = <const bn_psd *>PyCapsule_GetPointer(leaf.capsule(), b"pouw.bn_psd")
            if pn.t != 3 or pl.t != 4:
                raise ValueError("the Poseidon hasher needs the constants of widths 3 and 4")
            self.backend = <int (*)() noexcept nogil>PyCapsule_GetPointer(backend, b"pouw.backend_code")
            self.h.kind = PW_HASH_POSEIDON
            self.h.node = pn
            self.h.leaf = pl
            self.constants = (node, leaf)
        else:
            raise ValueError(f"hash must be one of {HASH_NAMES!r}, got {name!r}")
        self.name = name

    cdef void load(self, pw_hasher *out) noexcept:
        out[0] = self.h
        out.backend = self.backend() if self.backend != NULL else 0
        out.simd_level = pw_simd_level()

    @property
    def id(self):
        """The hash id written in a trace (0 BLAKE3, 1 Poseidon)."""
        return self.h.kind

    def __repr__(self):
        return f"Hasher({self.name!r})"


cdef Hasher _BLAKE3 = Hasher("blake3")
cdef dict _HASHERS = {"blake3": _BLAKE3}
cdef object _PROVIDER = None


def get_hasher(hash=None):
    """The :class:`Hasher` that ``hash`` names (None: BLAKE3); ValueError for an unknown name."""
    return hasher_for(hash)


def set_hasher_provider(provider):
    """Install ``provider(name) -> Hasher``, asked once per name not yet known (pouw.merkle)."""
    global _PROVIDER
    _PROVIDER = provider


cdef Hasher hasher_for(object hash):
    if hash is None:
        return _BLAKE3
    if isinstance(hash, Hasher):
        return <Hasher>hash
    h = _HASHERS.get(hash) if isinstance(hash, str) else None
    if h is None:
        if not isinstance(hash, str) or hash not in HASH_NAMES:
            raise ValueError(f"hash must be one of {HASH_NAMES!r}, got {hash!r}")
        if _PROVIDER is None:
            raise RuntimeError(f"the {hash!r} hasher is not installed (import pouw.merkle)")
        h = _PROVIDER(hash)
        if not isinstance(h, Hasher) or (<Hasher>h).name != hash:
            raise RuntimeError(f"the hasher provider gave {h!r} for {hash!r}")
        _HASHERS[hash] = h
    return <Hasher>h


cdef inline int check_element(Hasher h, const uint8_t *v, str name) except -1:
    if not pw_sh_owner_ok(h.h.kind, v):
        raise ValueError(f"{name} is not the encoding of a field element (it must be below r "
                         f"as a 32-byte big-endian integer under Poseidon)")
    return 0


def leaf_hash(owner, balance, nonce, hash=None):
    """leaf_hash(owner: bytes, balance: int, nonce: int, hash=None) -> bytes (32 zero bytes for an empty leaf)."""
    cdef Hasher h = hasher_for(hash)
    cdef const uint8_t *o = hash32(owner, "owner")
    cdef uint64_t b = u64(balance, "balance"), n = u64(nonce, "nonce")
    cdef uint8_t out[32]
    cdef pw_hasher ph
    check_element(h, o, "owner")
    h.load(&ph)
    pw_sh_leaf(&ph, o, b, n, out)
    return PyBytes_FromStringAndSize(<char *>out, 32)


def node_hash(left, right, hash=None):
    """node_hash(left: bytes, right: bytes, hash=None) -> bytes: the parent of two nodes."""
    cdef Hasher h = hasher_for(hash)
    cdef const uint8_t *l = hash32(left, "left")
    cdef const uint8_t *r = hash32(right, "right")
    cdef uint8_t out[32]
    cdef pw_hasher ph
    check_element(h, l, "left")
    check_element(h, r, "right")
    h.load(&ph)
    pw_sh_node(&ph, l, r, out)
    return PyBytes_FromStringAndSize(<char *>out, 32)


def zero_hashes(depth, hash=None):
    """zero_hashes(depth, hash=None) -> [Z[0], ..., Z[depth]]: empty-subtree roots, Z[depth] the empty tree's."""
    if not isinstance(depth, int) or not 0 <= depth <= 32:
        raise ValueError(f"depth must be an integer in 0..32, got {depth!r}")
    cdef Hasher h = hasher_for(hash)
    cdef pw_hasher ph
    cdef uint8_t z[33][32]
    cdef int l
    h.load(&ph)
    memset(z[0], 0, 32)
    for l in range(depth):
        pw_sh_node(&ph, z[l], z[l], z[l + 1])
    return [PyBytes_FromStringAndSize(<char *>z[l], 32) for l in range(depth + 1)]


def fold_path(leaf, index, path, depth, hash=None):
    """fold_path(leaf: bytes, index: int, path: bytes, depth: int, hash=None) -> bytes: the root ``leaf`` gives."""
    cdef Hasher h = hasher_for(hash)
    cdef const uint8_t *lf = hash32(leaf, "leaf")
    check_depth(depth)
    if not isinstance(index, int) or not 0 <= index < (1 << depth):
        raise ValueError(f"index must be in [0, 2^{depth}), got {index!r}")
    if not isinstance(path, bytes) or len(path) != 32 * depth:
        raise ValueError(f"path must be {32 * depth} bytes")
    cdef uint8_t out[32]
    cdef uint8_t bad = 0
    cdef pw_hasher ph
    cdef const uint8_t *pp = <const uint8_t *>PyBytes_AS_STRING(path)
    cdef uint32_t ix = <uint32_t>index
    h.load(&ph)
    pw_sh_fold_many(&ph, 1, &lf, &ix, &pp, depth, out, &bad)
    if bad:
        raise ValueError("the leaf or a sibling is not the encoding of a field element (Poseidon)")
    return PyBytes_FromStringAndSize(<char *>out, 32)


def fold_many(const uint8_t[::1] leaves not None, const uint32_t[::1] indexes not None,
              const uint8_t[::1] paths not None, depth, hash=None):
    """fold_many(leaves, indexes, paths, depth, hash=None) -> bytes: ``n`` folds at once.

    ``leaves`` is ``n`` leaf hashes (32*n bytes), ``indexes`` ``n`` uint32
    (e.g. a numpy array), ``paths`` ``n`` paths (32*depth*n bytes); returns the
    ``n`` roots, root ``j`` equal to ``fold_path(leaves[j], indexes[j], paths[j], depth)``.
    BLAKE3 folds run in SIMD lanes (:func:`simd_level`), Poseidon folds level by
    level in batches; without the GIL.  ValueError if a Poseidon input is not a
    field element.
    """
    cdef Hasher h = hasher_for(hash)
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
    cdef const uint8_t **lp = <const uint8_t **>PyMem_Malloc(2 * n * sizeof(uint8_t *) + n)
    if lp == NULL:
        raise MemoryError()
    cdef const uint8_t **pp = lp + n
    cdef uint8_t *bad = <uint8_t *>(lp + 2 * n)
    cdef uint8_t *o = <uint8_t *>PyBytes_AS_STRING(out)
    cdef pw_hasher ph
    cdef size_t first_bad = n
    h.load(&ph)
    try:
        for j in range(n):
            lp[j] = &leaves[32 * j]
            pp[j] = &paths[plen * j]
        # the memoryviews hold the callers' buffers, `out` and `lp` are ours
        with nogil:
            pw_sh_fold_many(&ph, n, lp, &indexes[0], pp, d, o, bad)
            for j in range(n):
                if bad[j]:
                    first_bad = j
                    break
    finally:
        PyMem_Free(lp)
    if first_bad < n:
        raise ValueError(f"fold {first_bad}: the leaf or a sibling is not the encoding of a "
                         "field element (Poseidon)")
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
    """SparseMerkleTree(depth=20, hash=None): the fixed-depth account tree, storing only non-empty nodes.

    ``hash`` as for :func:`leaf_hash` (BLAKE3 by default); :attr:`hasher` says which.

    Leaves are indexed ``0 .. 2^depth - 1``; an index outside raises ValueError.
    Not thread-safe: one owner mutates it (the GIL is released only inside
    kernels that hold the only reference, see vm.pyx).
    """

    def __cinit__(self, depth=20, hash=None):
        check_depth(depth)
        self.hasher = hasher_for(hash)
        cdef pw_hasher ph
        self.hasher.load(&ph)
        if pw_smt_init(&self.t, depth, &ph) < 0:
            raise MemoryError("SparseMerkleTree: out of memory")
        self.ready = True

    cdef void sync(self) noexcept:
        self.hasher.load(&self.t.h)

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
        check_element(self.hasher, lf, "leaf_hash")
        self.sync()
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
        cdef uint64_t s = start, k
        cdef int rc
        for k in range(n):
            check_element(self.hasher, p + 32 * k, f"leaf hash {k}")
        self.sync()
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
        cdef SparseMerkleTree other = SparseMerkleTree.__new__(SparseMerkleTree, self.t.depth, self.hasher)
        pw_smt_free(&other.t)
        other.ready = False
        if pw_smt_copy(&other.t, &self.t) < 0:
            raise MemoryError("SparseMerkleTree: out of memory")
        other.ready = True
        return other

    def __repr__(self):
        return (f"SparseMerkleTree(depth={self.t.depth}, hash={self.hasher.name!r}, "
                f"nodes={self.t.nodes.len}, root={self.root.hex()[:16]}...)")
