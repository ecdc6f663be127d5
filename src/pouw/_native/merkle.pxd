# The sparse Merkle tree of the VM state (csrc/pw_smt.h), shared with vm.pyx,
# which updates it from C without the GIL.
from libc.stdint cimport uint8_t, uint64_t


cdef extern from "pw_smt.h" nogil:
    ctypedef struct pw_map:
        size_t cap
        size_t len
        size_t vsize

    ctypedef struct pw_smt:
        int depth
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

    int pw_smt_init(pw_smt *t, int depth)
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


cdef class SparseMerkleTree:
    # Owns `t` (freed in __dealloc__); `ready` is set once pw_smt_init succeeded.
    # `busy` is set while a kernel works on `t` without the GIL; every method
    # then raises RuntimeError instead of touching a table being rewritten.
    cdef pw_smt t
    cdef bint ready
    cdef bint busy

    cdef int check_free(self) except -1
    cdef int check_index(self, object index) except -1
