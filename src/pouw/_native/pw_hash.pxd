# Declarations of csrc/pw_hash.h (BLAKE3: one compression for <= 64 bytes) and
# csrc/pw_fold_simd.h (many folds in SIMD lanes): the Merkle leaf/node hashes of
# the VM spec (docs/vm-and-trace.md).  Every function is allocation free, touches no
# Python object and may be called without the GIL.
from libc.stdint cimport uint8_t, uint32_t, uint64_t


cdef extern from "pw_hash.h" nogil:
    enum:
        PW_HASH_LEN
        PW_MAX_PATH_DEPTH

    const uint8_t PW_K_LEAF[32]
    const uint8_t PW_K_NODE[32]

    uint32_t pw_load32_le(const uint8_t *p)
    uint64_t pw_load64_le(const uint8_t *p)
    void pw_store32_le(uint8_t *p, uint32_t v)
    void pw_store64_le(uint8_t *p, uint64_t v)

    # Keyed BLAKE3 of len <= 64 bytes (one compression).
    void pw_keyed_hash_small(const uint8_t *key, const uint8_t *data, size_t len, uint8_t *out)
    # 0^32 for the all-zero account, else keyed(K_LEAF, owner || balance LE || nonce LE).
    void pw_leaf_hash(const uint8_t *owner, uint64_t balance, uint64_t nonce, uint8_t *out)
    # keyed(K_NODE, left || right); out may alias an input.
    void pw_node_hash(const uint8_t *left, const uint8_t *right, uint8_t *out)
    # Fold a leaf hash up depth sibling hashes (leaf level first); 0, or -1 if
    # depth is not 0..32 or index has bits at or above depth.
    int pw_fold_path(const uint8_t *leaf, uint32_t index, const uint8_t *path, int depth,
                     uint8_t *out_root)


cdef extern from "pw_fold_simd.h" nogil:
    enum:
        PW_SIMD_SCALAR
        PW_SIMD_AVX2
        PW_SIMD_AVX512
        PW_SIMD_N_LEVELS

    const char *pw_simd_level_name[]

    # 1 when this host can run the level.
    int pw_simd_supported(int level)
    # The level pw_fold_many uses (detected once; POUW_PORTABLE=1 forces scalar).
    int pw_simd_level()
    # Force a supported level: 0, or -1 (unchanged) when the host cannot run it.
    int pw_simd_set_level(int level)
    # roots_out[32*j:32*j+32] = leaves[j] folded up paths[j] at indexes[j] (bits
    # below depth only), for j < n, on the given level / the current one.
    void pw_fold_many_at(int level, size_t n, const uint8_t *const *leaves,
                         const uint32_t *indexes, const uint8_t *const *paths, int depth,
                         uint8_t *roots_out)
    void pw_fold_many(size_t n, const uint8_t *const *leaves, const uint32_t *indexes,
                      const uint8_t *const *paths, int depth, uint8_t *roots_out)
