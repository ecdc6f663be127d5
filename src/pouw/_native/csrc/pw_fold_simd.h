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
 * is always built and is what every other host runs.  POUW_NO_SIMD=1 in the
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

/* 8 folds: out + 32*j gets lane j's root.  All 8 lanes are real (the caller pads). */
PW_TARGET_AVX2 static void pw_fold8_avx2(const uint8_t *const leaves[8], const uint32_t idx[8],
                                         const uint8_t *const paths[8], int depth, uint8_t *out) {
    const __m256i rot16 = _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2,
                                           3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    const __m256i rot8 = _mm256_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12, 1,
                                          2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i iv = _mm256_loadu_si256((const __m256i *)idx);
    __m256i h[8], s[8];
    int l, j;
    pw_load8(leaves, 0, h);
    for (l = 0; l < depth; l++) {
        /* lanes whose running hash is the right child at this level */
        const __m256i right =
            _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_srl_epi32(iv, _mm_cvtsi32_si128(l)), one), one);
        __m256i m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15;
        __m256i v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15;
        pw_load8(paths, 32 * (size_t)l, s);
        m0 = _mm256_blendv_epi8(h[0], s[0], right);
        m1 = _mm256_blendv_epi8(h[1], s[1], right);
        m2 = _mm256_blendv_epi8(h[2], s[2], right);
        m3 = _mm256_blendv_epi8(h[3], s[3], right);
        m4 = _mm256_blendv_epi8(h[4], s[4], right);
        m5 = _mm256_blendv_epi8(h[5], s[5], right);
        m6 = _mm256_blendv_epi8(h[6], s[6], right);
        m7 = _mm256_blendv_epi8(h[7], s[7], right);
        m8 = _mm256_blendv_epi8(s[0], h[0], right);
        m9 = _mm256_blendv_epi8(s[1], h[1], right);
        m10 = _mm256_blendv_epi8(s[2], h[2], right);
        m11 = _mm256_blendv_epi8(s[3], h[3], right);
        m12 = _mm256_blendv_epi8(s[4], h[4], right);
        m13 = _mm256_blendv_epi8(s[5], h[5], right);
        m14 = _mm256_blendv_epi8(s[6], h[6], right);
        m15 = _mm256_blendv_epi8(s[7], h[7], right);
        v0 = _mm256_set1_epi32((int)PW_K_NODE_WORDS[0]);
        v1 = _mm256_set1_epi32((int)PW_K_NODE_WORDS[1]);
        v2 = _mm256_set1_epi32((int)PW_K_NODE_WORDS[2]);
        v3 = _mm256_set1_epi32((int)PW_K_NODE_WORDS[3]);
        v4 = _mm256_set1_epi32((int)PW_K_NODE_WORDS[4]);
        v5 = _mm256_set1_epi32((int)PW_K_NODE_WORDS[5]);
        v6 = _mm256_set1_epi32((int)PW_K_NODE_WORDS[6]);
        v7 = _mm256_set1_epi32((int)PW_K_NODE_WORDS[7]);
        v8 = _mm256_set1_epi32((int)PW_IV[0]);
        v9 = _mm256_set1_epi32((int)PW_IV[1]);
        v10 = _mm256_set1_epi32((int)PW_IV[2]);
        v11 = _mm256_set1_epi32((int)PW_IV[3]);
        v12 = _mm256_setzero_si256(); /* counter 0 */
        v13 = _mm256_setzero_si256();
        v14 = _mm256_set1_epi32(PW_BLOCK_LEN);
        v15 = _mm256_set1_epi32(PW_ONE_BLOCK_KEYED);
        PW_ROUNDS(PW_G_AVX2);
        h[0] = _mm256_xor_si256(v0, v8);
        h[1] = _mm256_xor_si256(v1, v9);
        h[2] = _mm256_xor_si256(v2, v10);
        h[3] = _mm256_xor_si256(v3, v11);
        h[4] = _mm256_xor_si256(v4, v12);
        h[5] = _mm256_xor_si256(v5, v13);
        h[6] = _mm256_xor_si256(v6, v14);
        h[7] = _mm256_xor_si256(v7, v15);
    }
    pw_transpose8(h, s);
    for (j = 0; j < 8; j++) _mm256_storeu_si256((__m256i *)(out + 32 * j), s[j]);
}

#undef PW_G_AVX2
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

/* 16 folds: out + 32*j gets lane j's root.  All 16 lanes are real (the caller pads). */
PW_TARGET_AVX512 static void pw_fold16_avx512(const uint8_t *const leaves[16], const uint32_t idx[16],
                                              const uint8_t *const paths[16], int depth,
                                              uint8_t *out) {
    const __m512i iv = _mm512_loadu_si512((const void *)idx);
    __m512i h[8], s[8];
    __m256i r[8], w[8];
    int l, j;
    pw_load16(leaves, 0, h);
    for (l = 0; l < depth; l++) {
        /* lanes whose running hash is the right child at this level */
        const __mmask16 right = _mm512_test_epi32_mask(iv, _mm512_set1_epi32((int)(1u << l)));
        __m512i m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15;
        __m512i v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15;
        pw_load16(paths, 32 * (size_t)l, s);
        m0 = _mm512_mask_blend_epi32(right, h[0], s[0]);
        m1 = _mm512_mask_blend_epi32(right, h[1], s[1]);
        m2 = _mm512_mask_blend_epi32(right, h[2], s[2]);
        m3 = _mm512_mask_blend_epi32(right, h[3], s[3]);
        m4 = _mm512_mask_blend_epi32(right, h[4], s[4]);
        m5 = _mm512_mask_blend_epi32(right, h[5], s[5]);
        m6 = _mm512_mask_blend_epi32(right, h[6], s[6]);
        m7 = _mm512_mask_blend_epi32(right, h[7], s[7]);
        m8 = _mm512_mask_blend_epi32(right, s[0], h[0]);
        m9 = _mm512_mask_blend_epi32(right, s[1], h[1]);
        m10 = _mm512_mask_blend_epi32(right, s[2], h[2]);
        m11 = _mm512_mask_blend_epi32(right, s[3], h[3]);
        m12 = _mm512_mask_blend_epi32(right, s[4], h[4]);
        m13 = _mm512_mask_blend_epi32(right, s[5], h[5]);
        m14 = _mm512_mask_blend_epi32(right, s[6], h[6]);
        m15 = _mm512_mask_blend_epi32(right, s[7], h[7]);
        v0 = _mm512_set1_epi32((int)PW_K_NODE_WORDS[0]);
        v1 = _mm512_set1_epi32((int)PW_K_NODE_WORDS[1]);
        v2 = _mm512_set1_epi32((int)PW_K_NODE_WORDS[2]);
        v3 = _mm512_set1_epi32((int)PW_K_NODE_WORDS[3]);
        v4 = _mm512_set1_epi32((int)PW_K_NODE_WORDS[4]);
        v5 = _mm512_set1_epi32((int)PW_K_NODE_WORDS[5]);
        v6 = _mm512_set1_epi32((int)PW_K_NODE_WORDS[6]);
        v7 = _mm512_set1_epi32((int)PW_K_NODE_WORDS[7]);
        v8 = _mm512_set1_epi32((int)PW_IV[0]);
        v9 = _mm512_set1_epi32((int)PW_IV[1]);
        v10 = _mm512_set1_epi32((int)PW_IV[2]);
        v11 = _mm512_set1_epi32((int)PW_IV[3]);
        v12 = _mm512_setzero_si512(); /* counter 0 */
        v13 = _mm512_setzero_si512();
        v14 = _mm512_set1_epi32(PW_BLOCK_LEN);
        v15 = _mm512_set1_epi32(PW_ONE_BLOCK_KEYED);
        PW_ROUNDS(PW_G_AVX512);
        h[0] = _mm512_xor_si512(v0, v8);
        h[1] = _mm512_xor_si512(v1, v9);
        h[2] = _mm512_xor_si512(v2, v10);
        h[3] = _mm512_xor_si512(v3, v11);
        h[4] = _mm512_xor_si512(v4, v12);
        h[5] = _mm512_xor_si512(v5, v13);
        h[6] = _mm512_xor_si512(v6, v14);
        h[7] = _mm512_xor_si512(v7, v15);
    }
    /* back to lanes: the low halves hold lanes 0-7, the high halves 8-15 */
    for (j = 0; j < 8; j++) r[j] = _mm512_castsi512_si256(h[j]);
    pw_transpose8(r, w);
    for (j = 0; j < 8; j++) _mm256_storeu_si256((__m256i *)(out + 32 * j), w[j]);
    for (j = 0; j < 8; j++) r[j] = _mm512_extracti64x4_epi64(h[j], 1);
    pw_transpose8(r, w);
    for (j = 0; j < 8; j++) _mm256_storeu_si256((__m256i *)(out + 32 * (8 + j)), w[j]);
}

#undef PW_G_AVX512

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

/* The best supported level, or scalar when POUW_NO_SIMD is set to anything but "" or "0". */
static inline int pw_simd_detect(void) {
    const char *no = getenv("POUW_NO_SIMD");
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

/* A batch of `lanes` folds on the kernel of `level`, padding a short batch
 * with copies of its last lane (their roots are dropped). */
#if PW_HAVE_X86_SIMD
static inline void pw_fold_batch(int level, size_t lanes, const uint8_t *const *leaves,
                                 const uint32_t *indexes, const uint8_t *const *paths, int depth,
                                 uint8_t *roots_out) {
    const uint8_t *lp[16], *pp[16];
    uint32_t ix[16];
    uint8_t tmp[16 * 32];
    const size_t width = level == PW_SIMD_AVX512 ? 16 : 8;
    size_t j;
    for (j = 0; j < width; j++) {
        size_t k = j < lanes ? j : lanes - 1;
        lp[j] = leaves[k];
        pp[j] = paths[k];
        ix[j] = indexes[k];
    }
    if (level == PW_SIMD_AVX512)
        pw_fold16_avx512(lp, ix, pp, depth, tmp);
    else
        pw_fold8_avx2(lp, ix, pp, depth, tmp);
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
    const size_t width = level == PW_SIMD_AVX512 ? 16 : 8;
    size_t j = 0;
    if (level != PW_SIMD_SCALAR && depth > 0) {
        for (; j + width <= n; j += width) {
            if (level == PW_SIMD_AVX512)
                pw_fold16_avx512(leaves + j, indexes + j, paths + j, depth, roots_out + 32 * j);
            else
                pw_fold8_avx2(leaves + j, indexes + j, paths + j, depth, roots_out + 32 * j);
        }
        /* a single leftover fold is cheaper alone than in a padded batch */
        if (n - j > 1) {
            pw_fold_batch(level, n - j, leaves + j, indexes + j, paths + j, depth, roots_out + 32 * j);
            j = n;
        }
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

#endif /* POUW_PW_FOLD_SIMD_H */
