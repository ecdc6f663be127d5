/* pw_hash.h -- BLAKE3 for pouw's Merkle state and trace ids, in portable C.
 *
 * Written from the BLAKE3 specification (compression function, message
 * schedule, chunk/parent tree); checked against the `blake3` package in
 * tests/native/test_merkle.py.  Everything is `static inline`, allocation
 * free, touches no Python object and so may be called without the GIL.
 *
 *   pw_keyed_hash_small  keyed hash of <= 64 bytes: ONE compression with
 *                        CHUNK_START|CHUNK_END|ROOT|KEYED_HASH, counter 0,
 *                        block_len = len, zero-padded block.
 *   pw_leaf_hash         leaf_hash(owner, balance, nonce); 0^32 for the empty leaf.
 *   pw_node_hash         node_hash(left, right) = keyed(K_NODE, left || right).
 *   pw_fold_path         a leaf hash folded up its sibling path (spec bit order).
 *
 * Only the one-block keyed hash lives here, because Merkle nodes and leaves
 * must be hashed without the GIL inside the VM and the checker.  Everything
 * of variable length (trace hashes, job ids, intent ids) goes through the
 * `blake3` package: BLAKE3 itself is not reimplemented.
 *
 * Integers are encoded little-endian byte by byte, so results do not depend
 * on the host's byte order.  The one place a SNARK-friendly hash replaces
 * BLAKE3 is here (and pouw.merkle on the Python side).
 */
#ifndef POUW_PW_HASH_H
#define POUW_PW_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PW_HASH_LEN 32
#define PW_BLOCK_LEN 64
#define PW_CHUNK_LEN 1024
#define PW_MAX_PATH_DEPTH 32

enum {
    PW_CHUNK_START = 1u << 0,
    PW_CHUNK_END = 1u << 1,
    PW_PARENT = 1u << 2,
    PW_ROOT = 1u << 3,
    PW_KEYED_HASH = 1u << 4
};

/* K_LEAF = blake3(b"pouw.merkle.leaf.v1"), K_NODE = blake3(b"pouw.merkle.node.v1");
 * recomputed by a test (tests/native/test_merkle.py::test_keys_match_their_definition). */
static const uint8_t PW_K_LEAF[32] = {
    0xf6, 0xd8, 0x57, 0xd6, 0xd5, 0x02, 0x72, 0xb5, 0x0b, 0x82, 0xff, 0xba, 0xec, 0x3c, 0xfa, 0x48,
    0xab, 0x92, 0x42, 0x15, 0xc3, 0xb0, 0x6c, 0x18, 0x2a, 0x74, 0xea, 0xac, 0x82, 0xeb, 0xb4, 0x30};
static const uint8_t PW_K_NODE[32] = {
    0x18, 0x44, 0x61, 0x7a, 0x1a, 0x01, 0x43, 0x17, 0x09, 0x3b, 0xff, 0x14, 0xf2, 0xbb, 0x54, 0x81,
    0xb4, 0x9f, 0x53, 0xef, 0x78, 0xb8, 0x8d, 0x80, 0x27, 0xb4, 0xe0, 0x61, 0x65, 0x75, 0x85, 0xec};

static const uint32_t PW_IV[8] = {0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au,
                                  0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u};

/* Message word order of each of the 7 rounds: row r is the spec's permutation
 * [2,6,3,10,7,0,4,13,1,11,12,5,9,14,15,8] applied r times to 0..15. */
static const uint8_t PW_SCHEDULE[7][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8},
    {3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1},
    {10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6},
    {12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4},
    {9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7},
    {11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13},
};

/* ---- little-endian helpers (byte by byte: portable to big-endian hosts) ---- */

static inline uint32_t pw_load32_le(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint64_t pw_load64_le(const uint8_t *p) {
    return (uint64_t)pw_load32_le(p) | ((uint64_t)pw_load32_le(p + 4) << 32);
}

static inline void pw_store32_le(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline void pw_store64_le(uint8_t *p, uint64_t v) {
    pw_store32_le(p, (uint32_t)v);
    pw_store32_le(p + 4, (uint32_t)(v >> 32));
}

/* ---- the compression function ---- */

static inline uint32_t pw_rotr32(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

#define PW_G(a, b, c, d, mx, my)            \
    do {                                    \
        v[a] = v[a] + v[b] + (mx);          \
        v[d] = pw_rotr32(v[d] ^ v[a], 16);  \
        v[c] = v[c] + v[d];                 \
        v[b] = pw_rotr32(v[b] ^ v[c], 12);  \
        v[a] = v[a] + v[b] + (my);          \
        v[d] = pw_rotr32(v[d] ^ v[a], 8);   \
        v[c] = v[c] + v[d];                 \
        v[b] = pw_rotr32(v[b] ^ v[c], 7);   \
    } while (0)

/* Compress one 64-byte block into the chaining value `cv` (in place); only
 * the first 8 output words are kept (all that a 32-byte output needs). */
static inline void pw_compress(uint32_t cv[8], const uint8_t block[64], uint64_t counter,
                               uint32_t block_len, uint32_t flags) {
    uint32_t m[16], v[16];
    int i;
    for (i = 0; i < 16; i++) m[i] = pw_load32_le(block + 4 * i);
    for (i = 0; i < 8; i++) v[i] = cv[i];
    v[8] = PW_IV[0];
    v[9] = PW_IV[1];
    v[10] = PW_IV[2];
    v[11] = PW_IV[3];
    v[12] = (uint32_t)counter;
    v[13] = (uint32_t)(counter >> 32);
    v[14] = block_len;
    v[15] = flags;
    /* the 7 rounds written out, so every message index is a compile-time constant */
#define PW_ROUND(r)                                                                   \
    do {                                                                              \
        PW_G(0, 4, 8, 12, m[PW_SCHEDULE[r][0]], m[PW_SCHEDULE[r][1]]);                \
        PW_G(1, 5, 9, 13, m[PW_SCHEDULE[r][2]], m[PW_SCHEDULE[r][3]]);                \
        PW_G(2, 6, 10, 14, m[PW_SCHEDULE[r][4]], m[PW_SCHEDULE[r][5]]);               \
        PW_G(3, 7, 11, 15, m[PW_SCHEDULE[r][6]], m[PW_SCHEDULE[r][7]]);               \
        PW_G(0, 5, 10, 15, m[PW_SCHEDULE[r][8]], m[PW_SCHEDULE[r][9]]);               \
        PW_G(1, 6, 11, 12, m[PW_SCHEDULE[r][10]], m[PW_SCHEDULE[r][11]]);             \
        PW_G(2, 7, 8, 13, m[PW_SCHEDULE[r][12]], m[PW_SCHEDULE[r][13]]);              \
        PW_G(3, 4, 9, 14, m[PW_SCHEDULE[r][14]], m[PW_SCHEDULE[r][15]]);              \
    } while (0)
    PW_ROUND(0);
    PW_ROUND(1);
    PW_ROUND(2);
    PW_ROUND(3);
    PW_ROUND(4);
    PW_ROUND(5);
    PW_ROUND(6);
#undef PW_ROUND
    for (i = 0; i < 8; i++) cv[i] = v[i] ^ v[i + 8];
}

#undef PW_G

static inline void pw_key_words(const uint8_t *key, uint32_t out[8]) {
    int i;
    if (key == NULL) {
        for (i = 0; i < 8; i++) out[i] = PW_IV[i];
    } else {
        for (i = 0; i < 8; i++) out[i] = pw_load32_le(key + 4 * i);
    }
}

static inline void pw_words_out(const uint32_t cv[8], uint8_t out[32]) {
    int i;
    for (i = 0; i < 8; i++) pw_store32_le(out + 4 * i, cv[i]);
}

/* ---- one keyed block ---- */

/* Keyed BLAKE3 of `len` <= 64 bytes (a single compression).  `data` may alias `out`. */
static inline void pw_keyed_hash_small(const uint8_t key[32], const uint8_t *data, size_t len,
                                       uint8_t out[32]) {
    uint8_t block[64];
    uint32_t cv[8];
    if (len > 64) len = 64; /* caller's contract is len <= 64; never read past a block */
    memset(block, 0, sizeof block);
    if (len) memcpy(block, data, len);
    pw_key_words(key, cv);
    pw_compress(cv, block, 0, (uint32_t)len,
                PW_CHUNK_START | PW_CHUNK_END | PW_ROOT | PW_KEYED_HASH);
    pw_words_out(cv, out);
}

/* leaf_hash(owner, balance, nonce): 0^32 for the all-zero account, else
 * keyed(K_LEAF, owner || balance u64 LE || nonce u64 LE). */
static inline void pw_leaf_hash(const uint8_t owner[32], uint64_t balance, uint64_t nonce,
                                uint8_t out[32]) {
    uint8_t buf[48];
    int i, nonzero = (balance | nonce) != 0;
    for (i = 0; i < 32 && !nonzero; i++) nonzero = owner[i] != 0;
    if (!nonzero) {
        memset(out, 0, 32);
        return;
    }
    memcpy(buf, owner, 32);
    pw_store64_le(buf + 32, balance);
    pw_store64_le(buf + 40, nonce);
    pw_keyed_hash_small(PW_K_LEAF, buf, 48, out);
}

/* node_hash(left, right) = keyed(K_NODE, left || right).  `out` may alias either input. */
static inline void pw_node_hash(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]) {
    uint8_t buf[64];
    memcpy(buf, left, 32);
    memcpy(buf + 32, right, 32);
    pw_keyed_hash_small(PW_K_NODE, buf, 64, out);
}

/* Fold `leaf` up `path` (depth sibling hashes, leaf level first).  At level l
 * bit l of `index` (LSB first) is 1 when the running hash is the right child.
 * Returns 0, or -1 (out_root untouched) if depth is not in 0..32 or index
 * does not fit in `depth` bits.  out_root may alias leaf. */
static inline int pw_fold_path(const uint8_t leaf[32], uint32_t index, const uint8_t *path, int depth,
                               uint8_t out_root[32]) {
    uint8_t h[32];
    int l;
    if (depth < 0 || depth > PW_MAX_PATH_DEPTH) return -1;
    if (depth < 32 && (index >> depth) != 0) return -1;
    memcpy(h, leaf, 32);
    for (l = 0; l < depth; l++) {
        const uint8_t *sib = path + 32 * (size_t)l;
        if ((index >> l) & 1u)
            pw_node_hash(sib, h, h);
        else
            pw_node_hash(h, sib, h);
    }
    memcpy(out_root, h, 32);
    return 0;
}

#endif /* POUW_PW_HASH_H */
