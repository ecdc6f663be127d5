/* pw_fold_simd.h -- many independent Merkle folds at once, one per SIMD lane.
 *
 *   pw_fold_many(n, leaves, indexes, paths, depth, roots_out)
 *       roots_out[32*j .. 32*j+32) := leaves[j] folded up paths[j] at index
 *       indexes[j], for j < n: exactly pw_fold_path of pw_hash.h, lane by lane.
 *
 * The folds are computed level by level across lanes: the running hashes stay
 * transposed in vector registers (word k of every lane in one register), each
 * level's message is (h, sibling) or (sibling, h) chosen per lane by a blend
 * on bit l of the lane's index, and the siblings are loaded with an 8x8
 * transpose of 32-bit words.  One keyed node compression (K_NODE, 64 bytes,
 * one-block flags) then runs on 8 lanes (AVX2) or 16 (AVX-512F).
 *
 * Run-time dispatch, no -march flags: the x86 kernels are compiled per
 * function with __attribute__((target(...))) and chosen once from
 * __builtin_cpu_supports (gcc/clang on x86-64 only); the portable scalar loop
 * is always built and is what every other host runs.  POUW_PORTABLE=1 in the
 * environment (read once, at the first fold) forces the scalar path;
 * pw_simd_set_level forces any supported level (tests cover every path).
 *
 * The level is a static of this header, so each extension module that
 * includes it has its own; pouw._native.merkle owns the one the package uses
 * and hands it to the checker (constraints.pyx) as pw_fold_many_at's level.
 *
 * Everything is allocation free, touches no Python object and may run without
 * the GIL.  Little-endian hosts only on the x86 paths (x86 is); the scalar
 * path is byte-order independent.
 */
#ifndef POUW_PW_FOLD_SIMD_H
#define POUW_PW_FOLD_SIMD_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pw_hash.h"

enum { PW_SIMD_SCALAR = 0, PW_SIMD_AVX2 = 1, PW_SIMD_AVX512 = 2, PW_SIMD_N_LEVELS = 3 };

static const char *const pw_simd_level_name[PW_SIMD_N_LEVELS] = {"scalar", "avx2", "avx512"};

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#define PW_HAVE_X86_SIMD 1
#include <immintrin.h>
#else
#define PW_HAVE_X86_SIMD 0
#endif

/* ---- the portable path ---- */

/* Only bits 0..depth-1 of each index are read (the checker range-checks
 * accounts itself, before it looks at a fold).  depth in 0..32. */
static inline void pw_fold_many_scalar(size_t n, const uint8_t *const *leaves,
                                       const uint32_t *indexes, const uint8_t *const *paths,
                                       int depth, uint8_t *roots_out) {
    size_t j;
    for (j = 0; j < n; j++) pw_fold_words(leaves[j], indexes[j], paths[j], depth, roots_out + 32 * j);
}

#if PW_HAVE_X86_SIMD

#define PW_TARGET_AVX2 __attribute__((target("avx2")))
#define PW_TARGET_AVX512 __attribute__((target("avx2,avx512f")))

/* ---- AVX2: 8 lanes ---- */

/* In: r[j] = the 8 words of lane j.  Out: s[k] = word k of lanes 0..7.
 * (The transpose is its own inverse: it also turns words back into lanes.) */
PW_TARGET_AVX2 static inline void pw_transpose8(const __m256i r[8], __m256i s[8]) {
    __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
    __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
    __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
    __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
    /* u_k: word k (low half) and word k+4 (high half) of lanes 0-3, then 4-7 in u_{k+4} */
    __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
    __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
    __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
    __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
    s[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
    s[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
    s[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
    s[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
    s[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
    s[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
    s[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
    s[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

/* Words k of the 32-byte rows p[0..7] + off, transposed. */
PW_TARGET_AVX2 static inline void pw_load8(const uint8_t *const p[8], size_t off, __m256i s[8]) {
    __m256i r[8];
    int j;
    for (j = 0; j < 8; j++) r[j] = _mm256_loadu_si256((const __m256i *)(p[j] + off));
    pw_transpose8(r, s);
}

/* Rotations right: by 16 and 8 as byte shuffles, by 12 and 7 as two shifts. */
#define PW_R16_8(x) _mm256_shuffle_epi8((x), rot16)
#define PW_R8_8(x) _mm256_shuffle_epi8((x), rot8)
#define PW_RN_8(x, n) _mm256_or_si256(_mm256_srli_epi32((x), (n)), _mm256_slli_epi32((x), 32 - (n)))

#define PW_G_AVX2(a, b, c, d, mx, my)                                   \
    a = _mm256_add_epi32(_mm256_add_epi32(a, mx), b);                   \
    d = PW_R16_8(_mm256_xor_si256(d, a));                               \
    c = _mm256_add_epi32(c, d);                                         \
    b = PW_RN_8(_mm256_xor_si256(b, c), 12);                            \
    a = _mm256_add_epi32(_mm256_add_epi32(a, my), b);                   \
    d = PW_R8_8(_mm256_xor_si256(d, a));                                \
    c = _mm256_add_epi32(c, d);                                         \
    b = PW_RN_8(_mm256_xor_si256(b, c), 7)

/* The state of one keyed compression (counter 0, one-block flags) on 8
 * lanes, as locals m0S..m15S (message words, from the array M) and
 * v0S..v15S; S is a name suffix, so two compressions can be interleaved. */
#define PW_STATE_AVX2(S, M, key, block_len)                                                    \
    const __m256i m0##S = M[0], m1##S = M[1], m2##S = M[2], m3##S = M[3], m4##S = M[4],        \
                  m5##S = M[5], m6##S = M[6], m7##S = M[7], m8##S = M[8], m9##S = M[9],        \
                  m10##S = M[10], m11##S = M[11], m12##S = M[12], m13##S = M[13],              \
                  m14##S = M[14], m15##S = M[15];                                              \
    __m256i v0##S = _mm256_set1_epi32((int)key[0]), v1##S = _mm256_set1_epi32((int)key[1]),    \
            v2##S = _mm256_set1_epi32((int)key[2]), v3##S = _mm256_set1_epi32((int)key[3]),    \
            v4##S = _mm256_set1_epi32((int)key[4]), v5##S = _mm256_set1_epi32((int)key[5]),    \
            v6##S = _mm256_set1_epi32((int)key[6]), v7##S = _mm256_set1_epi32((int)key[7]),    \
            v8##S = _mm256_set1_epi32((int)PW_IV[0]), v9##S = _mm256_set1_epi32((int)PW_IV[1]), \
            v10##S = _mm256_set1_epi32((int)PW_IV[2]),                                         \
            v11##S = _mm256_set1_epi32((int)PW_IV[3]), v12##S = _mm256_setzero_si256(),        \
            v13##S = _mm256_setzero_si256(), v14##S = _mm256_set1_epi32((int)(block_len)),     \
            v15##S = _mm256_set1_epi32(PW_ONE_BLOCK_KEYED)

/* The output words h[k] = v_k ^ v_{k+8} of the state with suffix S. */
#define PW_OUT_AVX2(S, H)                      \
    H[0] = _mm256_xor_si256(v0##S, v8##S);     \
    H[1] = _mm256_xor_si256(v1##S, v9##S);     \
    H[2] = _mm256_xor_si256(v2##S, v10##S);    \
    H[3] = _mm256_xor_si256(v3##S, v11##S);    \
    H[4] = _mm256_xor_si256(v4##S, v12##S);    \
    H[5] = _mm256_xor_si256(v5##S, v13##S);    \
    H[6] = _mm256_xor_si256(v6##S, v14##S);    \
    H[7] = _mm256_xor_si256(v7##S, v15##S)

#define PW_ROT_MASKS_AVX2                                                                        \
    const __m256i rot16 = _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, \
                                           2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13); \
    const __m256i rot8 = _mm256_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12,  \
                                          1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12)

/* Two quarter-rounds, on the states without and with the suffix _b. */
#define PW_G2_AVX2(a, b, c, d, mx, my) \
    PW_G_AVX2(a, b, c, d, mx, my);     \
    PW_G_AVX2(a##_b, b##_b, c##_b, d##_b, mx##_b, my##_b)

/* One compression of the 16 transposed message words m on 8 lanes: h[k] =
 * word k of each lane's output. */
PW_TARGET_AVX2 static inline void pw_compress8(const __m256i m[16], const uint32_t key[8],
                                               uint32_t block_len, __m256i h[8]) {
    PW_ROT_MASKS_AVX2;
    PW_STATE_AVX2(, m, key, block_len);
    PW_ROUNDS(PW_G_AVX2);
    PW_OUT_AVX2(, h);
}

/* Two independent compressions, interleaved: one alone is bound by the
 * latency of its dependency chains, two fill the vector pipes. */
PW_TARGET_AVX2 static inline void pw_compress8x2(const __m256i ma[16], const __m256i mb[16],
                                                 const uint32_t key[8], uint32_t block_len,
                                                 __m256i ha[8], __m256i hb[8]) {
    PW_ROT_MASKS_AVX2;
    PW_STATE_AVX2(, ma, key, block_len);
    PW_STATE_AVX2(_b, mb, key, block_len);
    PW_ROUNDS(PW_G2_AVX2);
    PW_OUT_AVX2(, ha);
    PW_OUT_AVX2(_b, hb);
}

/* Transposed words back to lanes: out + 32*j gets lane j's 8 words. */
PW_TARGET_AVX2 static inline void pw_store8(const __m256i h[8], uint8_t *out) {
    __m256i r[8];
    int j;
    pw_transpose8(h, r);
    for (j = 0; j < 8; j++) _mm256_storeu_si256((__m256i *)(out + 32 * j), r[j]);
}

/* The message words of one level: (h, s) where the lane's bit is 0, (s, h) where 1. */
PW_TARGET_AVX2 static inline void pw_node_msg8(const __m256i h[8], const __m256i s[8], __m256i right,
                                               __m256i m[16]) {
    int k;
    for (k = 0; k < 8; k++) {
        m[k] = _mm256_blendv_epi8(h[k], s[k], right);
        m[k + 8] = _mm256_blendv_epi8(s[k], h[k], right);
    }
}

/* Lanes whose bit l of the index is set (the running hash is the right child). */
PW_TARGET_AVX2 static inline __m256i pw_right8(__m256i iv, int l) {
    const __m256i one = _mm256_set1_epi32(1);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_srl_epi32(iv, _mm_cvtsi32_si128(l)), one), one);
}

/* 8 folds: out + 32*j gets lane j's root.  All 8 lanes are real (the caller pads). */
PW_TARGET_AVX2 static void pw_fold8_avx2(const uint8_t *const leaves[8], const uint32_t idx[8],
                                         const uint8_t *const paths[8], int depth, uint8_t *out) {
    const __m256i iv = _mm256_loadu_si256((const __m256i *)idx);
    __m256i h[8], s[8], m[16];
    int l;
    pw_load8(leaves, 0, h);
    for (l = 0; l < depth; l++) {
        pw_load8(paths, 32 * (size_t)l, s);
        pw_node_msg8(h, s, pw_right8(iv, l), m);
        pw_compress8(m, PW_K_NODE_WORDS, PW_BLOCK_LEN, h);
    }
    pw_store8(h, out);
}

/* 16 folds as two interleaved 8-lane batches; out + 32*j gets lane j's root. */
PW_TARGET_AVX2 static void pw_fold16_avx2(const uint8_t *const leaves[16], const uint32_t idx[16],
                                          const uint8_t *const paths[16], int depth, uint8_t *out) {
    const __m256i iva = _mm256_loadu_si256((const __m256i *)idx);
    const __m256i ivb = _mm256_loadu_si256((const __m256i *)(idx + 8));
    __m256i ha[8], hb[8], s[8], ma[16], mb[16];
    int l;
    pw_load8(leaves, 0, ha);
    pw_load8(leaves + 8, 0, hb);
    for (l = 0; l < depth; l++) {
        pw_load8(paths, 32 * (size_t)l, s);
        pw_node_msg8(ha, s, pw_right8(iva, l), ma);
        pw_load8(paths + 8, 32 * (size_t)l, s);
        pw_node_msg8(hb, s, pw_right8(ivb, l), mb);
        pw_compress8x2(ma, mb, PW_K_NODE_WORDS, PW_BLOCK_LEN, ha, hb);
    }
    pw_store8(ha, out);
    pw_store8(hb, out + 8 * 32);
}

/* 8 leaf hashes (pw_leaf_hash): out + 32*j gets lane j's.  All lanes real. */
PW_TARGET_AVX2 static void pw_leaf8_avx2(const uint8_t *const owners[8], const uint64_t bal[8],
                                         const uint64_t non[8], uint8_t *out) {
    __m256i m[16], h[8], any;
    int k;
    pw_load8(owners, 0, m);
    /* low and high words of 8 u64: [l0 h0 l1 h1 | l2 h2 l3 h3] pairs, deinterleaved */
#define PW_SPLIT64(src, lo, hi)                                                                 \
    do {                                                                                        \
        __m256 x_ = _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)(src)));            \
        __m256 y_ = _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)((src) + 4)));      \
        lo = _mm256_permute4x64_epi64(_mm256_castps_si256(_mm256_shuffle_ps(x_, y_, 0x88)), 0xd8); \
        hi = _mm256_permute4x64_epi64(_mm256_castps_si256(_mm256_shuffle_ps(x_, y_, 0xdd)), 0xd8); \
    } while (0)
    PW_SPLIT64(bal, m[8], m[9]);
    PW_SPLIT64(non, m[10], m[11]);
#undef PW_SPLIT64
    m[12] = m[13] = m[14] = m[15] = _mm256_setzero_si256();
    pw_compress8(m, PW_K_LEAF_WORDS, 48, h);
    /* the all-zero account's leaf is 0^32 */
    any = m[0];
    for (k = 1; k < 12; k++) any = _mm256_or_si256(any, m[k]);
    any = _mm256_cmpeq_epi32(any, _mm256_setzero_si256());
    for (k = 0; k < 8; k++) h[k] = _mm256_andnot_si256(any, h[k]);
    pw_store8(h, out);
}

#undef PW_G_AVX2
#undef PW_G2_AVX2
#undef PW_STATE_AVX2
#undef PW_OUT_AVX2
#undef PW_ROT_MASKS_AVX2
#undef PW_R16_8
#undef PW_R8_8
#undef PW_RN_8

/* ---- AVX-512F: 16 lanes ---- */

/* Word k of the 32-byte rows p[0..15] + off: row j and row j+8 share one
 * register (low and high 256 bits), the 8x8 transpose runs in both halves
 * at once, and one two-source permute per word puts the 128-bit pieces in
 * lane order. */
PW_TARGET_AVX512 static inline void pw_load16(const uint8_t *const p[16], size_t off, __m512i s[8]) {
    const __m512i lo = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
    const __m512i hi = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
    __m512i r[8], t[8], u[8];
    int j;
    for (j = 0; j < 8; j++)
        r[j] = _mm512_inserti64x4(
            _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(p[j] + off))),
            _mm256_loadu_si256((const __m256i *)(p[j + 8] + off)), 1);
    for (j = 0; j < 8; j += 2) {
        t[j] = _mm512_unpacklo_epi32(r[j], r[j + 1]);
        t[j + 1] = _mm512_unpackhi_epi32(r[j], r[j + 1]);
    }
    /* u_k (k < 4): words k and k+4 of lanes 0-3 and 8-11; u_{k+4}: of lanes 4-7 and 12-15 */
    u[0] = _mm512_unpacklo_epi64(t[0], t[2]);
    u[1] = _mm512_unpackhi_epi64(t[0], t[2]);
    u[2] = _mm512_unpacklo_epi64(t[1], t[3]);
    u[3] = _mm512_unpackhi_epi64(t[1], t[3]);
    u[4] = _mm512_unpacklo_epi64(t[4], t[6]);
    u[5] = _mm512_unpackhi_epi64(t[4], t[6]);
    u[6] = _mm512_unpacklo_epi64(t[5], t[7]);
    u[7] = _mm512_unpackhi_epi64(t[5], t[7]);
    for (j = 0; j < 4; j++) {
        s[j] = _mm512_permutex2var_epi64(u[j], lo, u[j + 4]);
        s[j + 4] = _mm512_permutex2var_epi64(u[j], hi, u[j + 4]);
    }
}

#define PW_G_AVX512(a, b, c, d, mx, my)                              \
    a = _mm512_add_epi32(_mm512_add_epi32(a, mx), b);                \
    d = _mm512_ror_epi32(_mm512_xor_si512(d, a), 16);                \
    c = _mm512_add_epi32(c, d);                                      \
    b = _mm512_ror_epi32(_mm512_xor_si512(b, c), 12);                \
    a = _mm512_add_epi32(_mm512_add_epi32(a, my), b);                \
    d = _mm512_ror_epi32(_mm512_xor_si512(d, a), 8);                 \
    c = _mm512_add_epi32(c, d);                                      \
    b = _mm512_ror_epi32(_mm512_xor_si512(b, c), 7)

#define PW_G2_AVX512(a, b, c, d, mx, my) \
    PW_G_AVX512(a, b, c, d, mx, my);     \
    PW_G_AVX512(a##_b, b##_b, c##_b, d##_b, mx##_b, my##_b)

/* PW_STATE_AVX2 / PW_OUT_AVX2 on 16 lanes. */
#define PW_STATE_AVX512(S, M, key, block_len)                                                  \
    const __m512i m0##S = M[0], m1##S = M[1], m2##S = M[2], m3##S = M[3], m4##S = M[4],        \
                  m5##S = M[5], m6##S = M[6], m7##S = M[7], m8##S = M[8], m9##S = M[9],        \
                  m10##S = M[10], m11##S = M[11], m12##S = M[12], m13##S = M[13],              \
                  m14##S = M[14], m15##S = M[15];                                              \
    __m512i v0##S = _mm512_set1_epi32((int)key[0]), v1##S = _mm512_set1_epi32((int)key[1]),    \
            v2##S = _mm512_set1_epi32((int)key[2]), v3##S = _mm512_set1_epi32((int)key[3]),    \
            v4##S = _mm512_set1_epi32((int)key[4]), v5##S = _mm512_set1_epi32((int)key[5]),    \
            v6##S = _mm512_set1_epi32((int)key[6]), v7##S = _mm512_set1_epi32((int)key[7]),    \
            v8##S = _mm512_set1_epi32((int)PW_IV[0]), v9##S = _mm512_set1_epi32((int)PW_IV[1]), \
            v10##S = _mm512_set1_epi32((int)PW_IV[2]),                                         \
            v11##S = _mm512_set1_epi32((int)PW_IV[3]), v12##S = _mm512_setzero_si512(),        \
            v13##S = _mm512_setzero_si512(), v14##S = _mm512_set1_epi32((int)(block_len)),     \
            v15##S = _mm512_set1_epi32(PW_ONE_BLOCK_KEYED)

#define PW_OUT_AVX512(S, H)                    \
    H[0] = _mm512_xor_si512(v0##S, v8##S);     \
    H[1] = _mm512_xor_si512(v1##S, v9##S);     \
    H[2] = _mm512_xor_si512(v2##S, v10##S);    \
    H[3] = _mm512_xor_si512(v3##S, v11##S);    \
    H[4] = _mm512_xor_si512(v4##S, v12##S);    \
    H[5] = _mm512_xor_si512(v5##S, v13##S);    \
    H[6] = _mm512_xor_si512(v6##S, v14##S);    \
    H[7] = _mm512_xor_si512(v7##S, v15##S)

/* pw_compress8 and pw_compress8x2 on 16 lanes. */
PW_TARGET_AVX512 static inline void pw_compress16(const __m512i m[16], const uint32_t key[8],
                                                  uint32_t block_len, __m512i h[8]) {
    PW_STATE_AVX512(, m, key, block_len);
    PW_ROUNDS(PW_G_AVX512);
    PW_OUT_AVX512(, h);
}

PW_TARGET_AVX512 static inline void pw_compress16x2(const __m512i ma[16], const __m512i mb[16],
                                                    const uint32_t key[8], uint32_t block_len,
                                                    __m512i ha[8], __m512i hb[8]) {
    PW_STATE_AVX512(, ma, key, block_len);
    PW_STATE_AVX512(_b, mb, key, block_len);
    PW_ROUNDS(PW_G2_AVX512);
    PW_OUT_AVX512(, ha);
    PW_OUT_AVX512(_b, hb);
}

/* Transposed words back to lanes: the low halves hold lanes 0-7, the high 8-15. */
PW_TARGET_AVX512 static inline void pw_store16(const __m512i h[8], uint8_t *out) {
    __m256i r[8];
    int j;
    for (j = 0; j < 8; j++) r[j] = _mm512_castsi512_si256(h[j]);
    pw_store8(r, out);
    for (j = 0; j < 8; j++) r[j] = _mm512_extracti64x4_epi64(h[j], 1);
    pw_store8(r, out + 8 * 32);
}

/* One level's message words (pw_node_msg8 on 16 lanes, bit l of each index). */
PW_TARGET_AVX512 static inline void pw_node_msg16(const __m512i h[8], const __m512i s[8], __m512i iv,
                                                  int l, __m512i m[16]) {
    const __mmask16 right = _mm512_test_epi32_mask(iv, _mm512_set1_epi32((int)(1u << l)));
    int k;
    for (k = 0; k < 8; k++) {
        m[k] = _mm512_mask_blend_epi32(right, h[k], s[k]);
        m[k + 8] = _mm512_mask_blend_epi32(right, s[k], h[k]);
    }
}

/* 16 folds: out + 32*j gets lane j's root.  All 16 lanes are real (the caller pads). */
PW_TARGET_AVX512 static void pw_fold16_avx512(const uint8_t *const leaves[16], const uint32_t idx[16],
                                              const uint8_t *const paths[16], int depth,
                                              uint8_t *out) {
    const __m512i iv = _mm512_loadu_si512((const void *)idx);
    __m512i h[8], s[8], m[16];
    int l;
    pw_load16(leaves, 0, h);
    for (l = 0; l < depth; l++) {
        pw_load16(paths, 32 * (size_t)l, s);
        pw_node_msg16(h, s, iv, l, m);
        pw_compress16(m, PW_K_NODE_WORDS, PW_BLOCK_LEN, h);
    }
    pw_store16(h, out);
}

/* 32 folds as two interleaved 16-lane batches. */
PW_TARGET_AVX512 static void pw_fold32_avx512(const uint8_t *const leaves[32], const uint32_t idx[32],
                                              const uint8_t *const paths[32], int depth,
                                              uint8_t *out) {
    const __m512i iva = _mm512_loadu_si512((const void *)idx);
    const __m512i ivb = _mm512_loadu_si512((const void *)(idx + 16));
    __m512i ha[8], hb[8], s[8], ma[16], mb[16];
    int l;
    pw_load16(leaves, 0, ha);
    pw_load16(leaves + 16, 0, hb);
    for (l = 0; l < depth; l++) {
        pw_load16(paths, 32 * (size_t)l, s);
        pw_node_msg16(ha, s, iva, l, ma);
        pw_load16(paths + 16, 32 * (size_t)l, s);
        pw_node_msg16(hb, s, ivb, l, mb);
        pw_compress16x2(ma, mb, PW_K_NODE_WORDS, PW_BLOCK_LEN, ha, hb);
    }
    pw_store16(ha, out);
    pw_store16(hb, out + 16 * 32);
}

/* 16 leaf hashes (pw_leaf_hash): out + 32*j gets lane j's.  All lanes real. */
PW_TARGET_AVX512 static void pw_leaf16_avx512(const uint8_t *const owners[16], const uint64_t bal[16],
                                              const uint64_t non[16], uint8_t *out) {
    __m512i m[16], h[8], any;
    __mmask16 empty;
    int k;
    pw_load16(owners, 0, m);
    /* low and high words of 16 u64, 8 at a time */
#define PW_SPLIT64(src, lo, hi)                                                                  \
    do {                                                                                         \
        const __m512i a_ = _mm512_loadu_si512((const void *)(src));                              \
        const __m512i b_ = _mm512_loadu_si512((const void *)((src) + 8));                        \
        lo = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(a_)),               \
                                _mm512_cvtepi64_epi32(b_), 1);                                   \
        hi = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtepi64_epi32(_mm512_srli_epi64(a_, 32))), \
                                _mm512_cvtepi64_epi32(_mm512_srli_epi64(b_, 32)), 1);            \
    } while (0)
    PW_SPLIT64(bal, m[8], m[9]);
    PW_SPLIT64(non, m[10], m[11]);
#undef PW_SPLIT64
    m[12] = m[13] = m[14] = m[15] = _mm512_setzero_si512();
    pw_compress16(m, PW_K_LEAF_WORDS, 48, h);
    /* the all-zero account's leaf is 0^32 */
    any = m[0];
    for (k = 1; k < 12; k++) any = _mm512_or_si512(any, m[k]);
    empty = _mm512_testn_epi32_mask(any, any);
    for (k = 0; k < 8; k++) h[k] = _mm512_mask_mov_epi32(h[k], empty, _mm512_setzero_si512());
    pw_store16(h, out);
}

#undef PW_G_AVX512
#undef PW_G2_AVX512
#undef PW_STATE_AVX512
#undef PW_OUT_AVX512

#endif /* PW_HAVE_X86_SIMD */

/* ---- dispatch ---- */

/* 1 when this host (CPU and OS) can run `level`. */
static inline int pw_simd_supported(int level) {
    if (level == PW_SIMD_SCALAR) return 1;
#if PW_HAVE_X86_SIMD
    __builtin_cpu_init();
    if (level == PW_SIMD_AVX2) return __builtin_cpu_supports("avx2") != 0;
    if (level == PW_SIMD_AVX512) return __builtin_cpu_supports("avx512f") != 0;
#endif
    return 0;
}

/* The level chosen at the first fold, -1 before.  (gcc/clang atomics where
 * they exist: a test may switch it while another thread folds.) */
static int pw_simd_level_state = -1;

#if defined(__GNUC__) || defined(__clang__)
#define PW_SIMD_LOAD() __atomic_load_n(&pw_simd_level_state, __ATOMIC_RELAXED)
#define PW_SIMD_STORE(v) __atomic_store_n(&pw_simd_level_state, (v), __ATOMIC_RELAXED)
#else
#define PW_SIMD_LOAD() (pw_simd_level_state)
#define PW_SIMD_STORE(v) (pw_simd_level_state = (v))
#endif

/* The best supported level, or scalar when POUW_PORTABLE (the switch for every kernel) is set to anything but "" or "0". */
static inline int pw_simd_detect(void) {
    const char *no = getenv("POUW_PORTABLE");
    if (no != NULL && no[0] != '\0' && strcmp(no, "0") != 0) return PW_SIMD_SCALAR;
    if (pw_simd_supported(PW_SIMD_AVX512)) return PW_SIMD_AVX512;
    if (pw_simd_supported(PW_SIMD_AVX2)) return PW_SIMD_AVX2;
    return PW_SIMD_SCALAR;
}

/* The level pw_fold_many uses (detected once, then cached). */
static inline int pw_simd_level(void) {
    int level = PW_SIMD_LOAD();
    if (level < 0) {
        level = pw_simd_detect(); /* idempotent: a race only repeats it */
        PW_SIMD_STORE(level);
    }
    return level;
}

/* Force `level` (tests, benchmarks); 0, or -1 (unchanged) when this host cannot run it. */
static inline int pw_simd_set_level(int level) {
    if (level < 0 || level >= PW_SIMD_N_LEVELS || !pw_simd_supported(level)) return -1;
    PW_SIMD_STORE(level);
    return 0;
}

#undef PW_SIMD_LOAD
#undef PW_SIMD_STORE

#if PW_HAVE_X86_SIMD
/* Folds j < `width` on the kernel of `level` that runs `width` lanes (8, 16
 * or 32: every kernel reads all of its lanes). */
static inline void pw_fold_kernel(int level, size_t width, const uint8_t *const *leaves,
                                  const uint32_t *indexes, const uint8_t *const *paths, int depth,
                                  uint8_t *out) {
    if (level == PW_SIMD_AVX512) {
        if (width == 32)
            pw_fold32_avx512(leaves, indexes, paths, depth, out);
        else
            pw_fold16_avx512(leaves, indexes, paths, depth, out);
    } else {
        if (width == 16)
            pw_fold16_avx2(leaves, indexes, paths, depth, out);
        else
            pw_fold8_avx2(leaves, indexes, paths, depth, out);
    }
}

/* `lanes` < `width` folds on a `width`-lane kernel, padded with copies of the
 * last lane (their roots are dropped). */
static inline void pw_fold_padded(int level, size_t width, size_t lanes,
                                  const uint8_t *const *leaves, const uint32_t *indexes,
                                  const uint8_t *const *paths, int depth, uint8_t *roots_out) {
    const uint8_t *lp[32], *pp[32];
    uint32_t ix[32];
    uint8_t tmp[32 * 32];
    size_t j;
    for (j = 0; j < width; j++) {
        size_t k = j < lanes ? j : lanes - 1;
        lp[j] = leaves[k];
        pp[j] = paths[k];
        ix[j] = indexes[k];
    }
    pw_fold_kernel(level, width, lp, ix, pp, depth, tmp);
    memcpy(roots_out, tmp, 32 * lanes);
}
#endif

/* pw_fold_many on an explicit level (one the host supports: pw_simd_level()
 * or a level pw_simd_set_level accepted).
 *
 * Caller guarantees: for j < n, leaves[j] is readable for 32 bytes, paths[j]
 * for 32*depth, and roots_out is writable for 32*n bytes and overlaps no
 * input; depth is 0..32.  Only bits 0..depth-1 of indexes[j] are read (unlike
 * pw_fold_path, an index that does not fit is not refused: range checks are
 * the caller's).  No allocation, no Python object, no GIL needed. */
static inline void pw_fold_many_at(int level, size_t n, const uint8_t *const *leaves,
                                   const uint32_t *indexes, const uint8_t *const *paths, int depth,
                                   uint8_t *roots_out) {
#if PW_HAVE_X86_SIMD
    /* one register's lanes, and two interleaved (one compression alone is
     * bound by the latency of its dependency chains, two fill the pipes) */
    const size_t width = level == PW_SIMD_AVX512 ? 16 : 8, wide = 2 * width;
    size_t j = 0, rest;
    if (level != PW_SIMD_SCALAR && depth > 0) {
        for (; n - j >= wide; j += wide)
            pw_fold_kernel(level, wide, leaves + j, indexes + j, paths + j, depth, roots_out + 32 * j);
        rest = n - j;
        if (rest == width)
            pw_fold_kernel(level, width, leaves + j, indexes + j, paths + j, depth, roots_out + 32 * j);
        else if (rest > 1) /* a single leftover fold is cheaper alone than padded */
            pw_fold_padded(level, rest > width ? wide : width, rest, leaves + j, indexes + j,
                           paths + j, depth, roots_out + 32 * j);
        if (rest > 1) j = n;
    }
    pw_fold_many_scalar(n - j, leaves + j, indexes + j, paths + j, depth, roots_out + 32 * j);
#else
    (void)level;
    pw_fold_many_scalar(n, leaves, indexes, paths, depth, roots_out);
#endif
}

/* roots_out[32*j ..) := leaves[j] folded up paths[j] at indexes[j], j < n, on
 * the level of pw_simd_level().  Contract: pw_fold_many_at. */
static inline void pw_fold_many(size_t n, const uint8_t *const *leaves, const uint32_t *indexes,
                                const uint8_t *const *paths, int depth, uint8_t *roots_out) {
    pw_fold_many_at(pw_simd_level(), n, leaves, indexes, paths, depth, roots_out);
}

/* out[32*j ..) := pw_leaf_hash(owners[j], balances[j], nonces[j]) for j < n,
 * on `level` (supported by the host).  Caller guarantees: owners[j] readable
 * for 32 bytes, balances and nonces for n values, out writable for 32*n bytes
 * and overlapping no input.  No allocation, no GIL needed. */
static inline void pw_leaf_hash_many_at(int level, size_t n, const uint8_t *const *owners,
                                        const uint64_t *balances, const uint64_t *nonces,
                                        uint8_t *out) {
    size_t j = 0;
#if PW_HAVE_X86_SIMD
    if (level != PW_SIMD_SCALAR) {
        const size_t width = level == PW_SIMD_AVX512 ? 16 : 8;
        while (n - j > 1) { /* a single leftover leaf is cheaper alone */
            const uint8_t *op[16];
            uint64_t b[16], nn[16];
            uint8_t tmp[16 * 32];
            const size_t lanes = n - j < width ? n - j : width;
            size_t k;
            for (k = 0; k < width; k++) { /* a short batch repeats its last lane */
                const size_t s = j + (k < lanes ? k : lanes - 1);
                op[k] = owners[s];
                b[k] = balances[s];
                nn[k] = nonces[s];
            }
            if (level == PW_SIMD_AVX512)
                pw_leaf16_avx512(op, b, nn, tmp);
            else
                pw_leaf8_avx2(op, b, nn, tmp);
            memcpy(out + 32 * j, tmp, 32 * lanes);
            j += lanes;
        }
    }
#else
    (void)level;
#endif
    for (; j < n; j++) pw_leaf_hash(owners[j], balances[j], nonces[j], out + 32 * j);
}

#endif /* POUW_PW_FOLD_SIMD_H */
