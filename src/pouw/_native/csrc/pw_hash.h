/* pw_hash.h -- BLAKE3 for pouw's Merkle state and trace ids, in portable C.
 *
 * Written from the BLAKE3 specification (compression function, message
 * schedule, chunk/parent tree); checked against the `blake3` package in
 * tests/native/test_merkle.py.  Everything is `static inline`, allocation
 * free, touches no Python object and so may be called without the GIL.
 *
 *   pw_compress_words    the compression function on message words: the 7
 *                        rounds written out (PW_ROUNDS, the message permutation
 *                        applied at compile time), the state in locals.
 *   pw_keyed_hash_small  keyed hash of <= 64 bytes: ONE compression with
 *                        CHUNK_START|CHUNK_END|ROOT|KEYED_HASH, counter 0,
 *                        block_len = len, zero-padded block.
 *   pw_leaf_hash         leaf_hash(owner, balance, nonce); 0^32 for the empty leaf.
 *   pw_node_hash         node_hash(left, right) = keyed(K_NODE, left || right).
 *   pw_fold_path         a leaf hash folded up its sibling path (spec bit order).
 *
 * Many folds at once, in SIMD lanes, are in pw_fold_simd.h (same results).
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

/* The quarter-round on local variables.  `a + m + b` (not `a + b + m`) so the
 * message word is added while `b` is still being computed: one add, not two,
 * on the critical path. */
#define PW_G(a, b, c, d, mx, my)   \
    a = a + (mx) + b;              \
    d = pw_rotr32(d ^ a, 16);      \
    c = c + d;                     \
    b = pw_rotr32(b ^ c, 12);      \
    a = a + (my) + b;              \
    d = pw_rotr32(d ^ a, 8);       \
    c = c + d;                     \
    b = pw_rotr32(b ^ c, 7)

/* One round with the quarter-round macro G (PW_G here; the SIMD kernels of
 * pw_fold_simd.h pass vector ones over the same local names); s0..s15 are the
 * message word numbers of the spec's schedule for that round, so the
 * permutation is applied at compile time. */
#define PW_ROUND(G, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15) \
    G(v0, v4, v8, v12, m##s0, m##s1);                                                  \
    G(v1, v5, v9, v13, m##s2, m##s3);                                                  \
    G(v2, v6, v10, v14, m##s4, m##s5);                                                 \
    G(v3, v7, v11, v15, m##s6, m##s7);                                                 \
    G(v0, v5, v10, v15, m##s8, m##s9);                                                 \
    G(v1, v6, v11, v12, m##s10, m##s11);                                               \
    G(v2, v7, v8, v13, m##s12, m##s13);                                                \
    G(v3, v4, v9, v14, m##s14, m##s15)

/* The 7 rounds over locals v0..v15 and m0..m15.  Row r is the spec's message
 * permutation [2,6,3,10,7,0,4,13,1,11,12,5,9,14,15,8] applied r times to 0..15. */
#define PW_ROUNDS(G)                                                      \
    PW_ROUND(G, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);   \
    PW_ROUND(G, 2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8);   \
    PW_ROUND(G, 3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1);   \
    PW_ROUND(G, 10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6);   \
    PW_ROUND(G, 12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4);   \
    PW_ROUND(G, 9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7);   \
    PW_ROUND(G, 11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13)

/* Compress the message words m[16] into the chaining value `cv` (in place);
 * only the first 8 output words are kept (all that a 32-byte output needs).
 * Everything lives in locals, so after inlining the state stays in registers. */
static inline void pw_compress_words(uint32_t cv[8], const uint32_t m[16], uint64_t counter,
                                     uint32_t block_len, uint32_t flags) {
    const uint32_t m0 = m[0], m1 = m[1], m2 = m[2], m3 = m[3], m4 = m[4], m5 = m[5], m6 = m[6],
                   m7 = m[7], m8 = m[8], m9 = m[9], m10 = m[10], m11 = m[11], m12 = m[12],
                   m13 = m[13], m14 = m[14], m15 = m[15];
    uint32_t v0 = cv[0], v1 = cv[1], v2 = cv[2], v3 = cv[3], v4 = cv[4], v5 = cv[5], v6 = cv[6],
             v7 = cv[7];
    uint32_t v8 = PW_IV[0], v9 = PW_IV[1], v10 = PW_IV[2], v11 = PW_IV[3];
    uint32_t v12 = (uint32_t)counter, v13 = (uint32_t)(counter >> 32), v14 = block_len, v15 = flags;
    PW_ROUNDS(PW_G);
    cv[0] = v0 ^ v8;
    cv[1] = v1 ^ v9;
    cv[2] = v2 ^ v10;
    cv[3] = v3 ^ v11;
    cv[4] = v4 ^ v12;
    cv[5] = v5 ^ v13;
    cv[6] = v6 ^ v14;
    cv[7] = v7 ^ v15;
}

/* Compress one 64-byte block (words little-endian) into `cv`, in place. */
static inline void pw_compress(uint32_t cv[8], const uint8_t block[64], uint64_t counter,
                               uint32_t block_len, uint32_t flags) {
    uint32_t m[16];
    int i;
    for (i = 0; i < 16; i++) m[i] = pw_load32_le(block + 4 * i);
    pw_compress_words(cv, m, counter, block_len, flags);
}

/* The flags of every hash here: one block that is the whole keyed input. */
#define PW_ONE_BLOCK_KEYED (PW_CHUNK_START | PW_CHUNK_END | PW_ROOT | PW_KEYED_HASH)

/* K_LEAF and K_NODE as chaining-value words (little-endian loads of the keys
 * above; a test checks them against the byte form through the hashes). */
static const uint32_t PW_K_LEAF_WORDS[8] = {0xd657d8f6u, 0xb57202d5u, 0xbaff820bu, 0x48fa3cecu,
                                            0x154292abu, 0x186cb0c3u, 0xacea742au, 0x30b4eb82u};
static const uint32_t PW_K_NODE_WORDS[8] = {0x7a614418u, 0x1743011au, 0x14ff3b09u, 0x8154bbf2u,
                                            0xef539fb4u, 0x808db878u, 0x61e0b427u, 0xec857565u};

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
    pw_compress(cv, block, 0, (uint32_t)len, PW_ONE_BLOCK_KEYED);
    pw_words_out(cv, out);
}

/* The leaf block's message words: owner (8 words) || balance || nonce || 0. */
static inline void pw_leaf_words(const uint8_t owner[32], uint64_t balance, uint64_t nonce,
                                 uint32_t m[16]) {
    int i;
    for (i = 0; i < 8; i++) m[i] = pw_load32_le(owner + 4 * i);
    m[8] = (uint32_t)balance;
    m[9] = (uint32_t)(balance >> 32);
    m[10] = (uint32_t)nonce;
    m[11] = (uint32_t)(nonce >> 32);
    m[12] = m[13] = m[14] = m[15] = 0;
}

/* 1 when the account (owner, balance, nonce) is all zeros: its leaf is 0^32. */
static inline int pw_leaf_is_empty(const uint8_t owner[32], uint64_t balance, uint64_t nonce) {
    uint64_t acc = balance | nonce;
    int i;
    for (i = 0; i < 32; i += 8) acc |= pw_load64_le(owner + i);
    return acc == 0;
}

/* leaf_hash(owner, balance, nonce): 0^32 for the all-zero account, else
 * keyed(K_LEAF, owner || balance u64 LE || nonce u64 LE).  `out` may alias `owner`. */
static inline void pw_leaf_hash(const uint8_t owner[32], uint64_t balance, uint64_t nonce,
                                uint8_t out[32]) {
    uint32_t m[16], cv[8];
    if (pw_leaf_is_empty(owner, balance, nonce)) {
        memset(out, 0, 32);
        return;
    }
    pw_leaf_words(owner, balance, nonce, m);
    memcpy(cv, PW_K_LEAF_WORDS, sizeof cv);
    pw_compress_words(cv, m, 0, 48, PW_ONE_BLOCK_KEYED);
    pw_words_out(cv, out);
}

/* node_hash on words: cv := keyed(K_NODE, left || right), each side 8 words. */
static inline void pw_node_words(const uint32_t left[8], const uint32_t right[8], uint32_t cv[8]) {
    uint32_t m[16];
    memcpy(m, left, 32);
    memcpy(m + 8, right, 32);
    memcpy(cv, PW_K_NODE_WORDS, 32);
    pw_compress_words(cv, m, 0, 64, PW_ONE_BLOCK_KEYED);
}

/* node_hash(left, right) = keyed(K_NODE, left || right).  `out` may alias either input. */
static inline void pw_node_hash(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]) {
    uint32_t l[8], r[8], cv[8];
    int i;
    for (i = 0; i < 8; i++) {
        l[i] = pw_load32_le(left + 4 * i);
        r[i] = pw_load32_le(right + 4 * i);
    }
    pw_node_words(l, r, cv);
    pw_words_out(cv, out);
}

/* Fold a leaf hash up `path` (depth sibling hashes, leaf level first), on
 * words; only bits 0..depth-1 of `index` are read.  depth in 0..32. */
static inline void pw_fold_words(const uint8_t leaf[32], uint32_t index, const uint8_t *path,
                                 int depth, uint8_t out_root[32]) {
    uint32_t h[8], s[8];
    int l, i;
    for (i = 0; i < 8; i++) h[i] = pw_load32_le(leaf + 4 * i);
    for (l = 0; l < depth; l++) {
        const uint8_t *sib = path + 32 * (size_t)l;
        for (i = 0; i < 8; i++) s[i] = pw_load32_le(sib + 4 * i);
        if ((index >> l) & 1u)
            pw_node_words(s, h, h);
        else
            pw_node_words(h, s, h);
    }
    pw_words_out(h, out_root);
}

/* Fold `leaf` up `path` (depth sibling hashes, leaf level first).  At level l
 * bit l of `index` (LSB first) is 1 when the running hash is the right child.
 * Returns 0, or -1 (out_root untouched) if depth is not in 0..32 or index
 * does not fit in `depth` bits.  out_root may alias leaf. */
static inline int pw_fold_path(const uint8_t leaf[32], uint32_t index, const uint8_t *path, int depth,
                               uint8_t out_root[32]) {
    if (depth < 0 || depth > PW_MAX_PATH_DEPTH) return -1;
    if (depth < 32 && (index >> depth) != 0) return -1;
    pw_fold_words(leaf, index, path, depth, out_root);
    return 0;
}

#endif /* POUW_PW_HASH_H */
