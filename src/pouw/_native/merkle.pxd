# The sparse Merkle tree of the VM state (csrc/pw_smt.h), shared with vm.pyx,
# which updates it from C without the GIL.
from libc.stdint cimport uint8_t, uint32_t, uint64_t


cdef extern from "bn254_poseidon.h" nogil:
    ctypedef struct bn_psd:
        int t


cdef extern from "pw_state_hash.h" nogil:
    enum:
        PW_HASH_BLAKE3
        PW_HASH_POSEIDON
        PW_N_HASHES

    ctypedef struct pw_hasher:
        int kind
        int backend
        int simd_level
        const bn_psd *node
        const bn_psd *leaf

    void pw_sh_node_many(const pw_hasher *h, size_t n, const uint8_t **l, const uint8_t **r,
                         uint8_t *out, uint8_t *bad)
    void pw_sh_leaf_many(const pw_hasher *h, size_t n, const uint8_t **owner,
                         const uint64_t *balance, const uint64_t *nonce, uint8_t *out, uint8_t *bad)
    void pw_sh_fold_many(const pw_hasher *h, size_t n, const uint8_t **leaves,
                         const uint32_t *indexes, const uint8_t **paths, int depth,
                         uint8_t *roots, uint8_t *bad)
    int pw_sh_node(const pw_hasher *h, const uint8_t *l, const uint8_t *r, uint8_t *out)
    int pw_sh_leaf(const pw_hasher *h, const uint8_t *owner, uint64_t balance, uint64_t nonce,
                   uint8_t *out)
    int pw_sh_owner_ok(int kind, const uint8_t *owner)


cdef extern from "pw_smt.h" nogil:
    ctypedef struct pw_map:
        size_t cap
        size_t len
        size_t vsize

    ctypedef struct pw_smt:
        int depth
        pw_hasher h
        uint8_t zero[33][32]
        uint8_t root[32]
        pw_map nodes

    int pw_map_init(pw_map *m, size_t vsize, size_t cap)
    void pw_map_free(pw_map *m)
    uint8_t *pw_map_get(const pw_map *m, uint64_t key)
    int pw_map_reserve(pw_map *m, size_t extra)
    uint8_t *pw_map_put(pw_map *m, uint64_t key)
    void pw_map_del(pw_map *m, uint64_t key)
    int pw_map_copy(pw_map *dst, const pw_map *src)

    int pw_smt_init(pw_smt *t, int depth, const pw_hasher *h)
    void pw_smt_free(pw_smt *t)
    int pw_smt_copy(pw_smt *dst, const pw_smt *src)
    const uint8_t *pw_smt_node(const pw_smt *t, int level, uint64_t index)
    void pw_smt_path(const pw_smt *t, uint64_t index, uint8_t *path)
    int pw_smt_update(pw_smt *t, uint64_t index, const uint8_t *leaf, uint8_t *path, uint8_t *root)
    int pw_smt_set_range(pw_smt *t, uint64_t start, uint64_t n, const uint8_t *leaves)


# The fold level (pw_fold_simd.h) this module chose or was forced to: the one
# every kernel of the package passes to pw_fold_many_at (constraints.pyx),
# so _set_simd_level switches them all.
cdef int simd_level_code() noexcept nogil


cdef class Hasher:
    # One of the state's hashes in kernel form.  For Poseidon it holds the
    # Constants of widths 3 and 4 (h.node / h.leaf point into them, reached by
    # capsule so that this module never imports numpy), so that every tree
    # made with it keeps them alive.  load() fills a pw_hasher with
    # the field backend and fold level in effect now (tests switch them).
    cdef pw_hasher h
    cdef readonly str name
    cdef object constants
    cdef int (*backend)() noexcept nogil  # the field backend in effect (Poseidon), else NULL
    cdef void load(self, pw_hasher *out) noexcept


# The Hasher a `hash` argument names: a Hasher itself, None (BLAKE3), or a
# name ("blake3", or one the face installed with set_hasher_provider).
cdef Hasher hasher_for(object hash)


cdef class SparseMerkleTree:
    # Owns `t` (freed in __dealloc__); `ready` is set once pw_smt_init succeeded.
    # `busy` is set while a kernel works on `t` without the GIL; every method
    # then raises RuntimeError instead of touching a table being rewritten.
    cdef pw_smt t
    cdef bint ready
    cdef bint busy
    cdef readonly Hasher hasher

    # t.h := the hasher's current form (call before a kernel runs on t)
    cdef void sync(self) noexcept

    cdef int check_free(self) except -1
    cdef int check_index(self, object index) except -1
