/* bn254_field_ifma.h -- eight Montgomery multiplies at once with AVX-512 IFMA.
 *
 *   bn_mul_batch_ifma(F, n, out, a, b) -> count
 *       out[i] := a[i] * b[i] / 2^256 mod p for i < count = n rounded down to a
 *       multiple of 8 (the caller finishes the tail on the scalar path).
 *
 * Caller guarantees: a[i] < 2^254, b[i] < p (canonical inputs are); the CPU has avx512f and avx512ifma
 * (bn_cpu_has_ifma); out is equal to a or b or disjoint from both.
 * Included by bn254_field.h after bn_field is defined.
 *
 * Each lane holds one element in five 52-bit limbs (vpmadd52luq/huq multiply
 * 52-bit limbs and add the low/high 52 bits of the product to a 64-bit
 * accumulator).  The Montgomery radix is then 2^260, not 2^256: the kernel
 * feeds 16a (a shifted left by 4 bits, still < 2^258) so that
 *     (16a * b) / 2^260 = a * b / 2^256 mod p,
 * the same Montgomery form as the scalar paths, and the result is below
 * 16p^2/2^260 + p < 1.25p: one conditional subtraction makes it canonical.
 * The accumulators are redundant (up to ~57 bits per limb) until the final
 * carry pass.  Elements are moved between the (n, 4) row layout and the limb
 * vectors with two-source permutes (16 per 8 products, each way).
 */
#ifndef POUW_BN254_FIELD_IFMA_H
#define POUW_BN254_FIELD_IFMA_H

#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define BN_HAVE_IFMA 1
#include <immintrin.h>

#define BN_TARGET_IFMA __attribute__((target("avx512f,avx512ifma")))
#define BN_M52 0xFFFFFFFFFFFFFULL

static inline int bn_cpu_has_ifma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512ifma");
}

/* Rows r[0..7] (4 limbs each, 4 vectors of 2 rows) -> L[k] = limb k of all 8. */
BN_TARGET_IFMA static inline void bn_ifma_load8(const uint64_t *r, __m512i L[4]) {
    const __m512i x0 = _mm512_loadu_si512((const void *)(r + 0));
    const __m512i x1 = _mm512_loadu_si512((const void *)(r + 8));
    const __m512i x2 = _mm512_loadu_si512((const void *)(r + 16));
    const __m512i x3 = _mm512_loadu_si512((const void *)(r + 24));
    /* rows 0-3: limbs 0,1 of each / limbs 2,3 of each */
    const __m512i i01 = _mm512_set_epi64(13, 9, 5, 1, 12, 8, 4, 0);
    const __m512i i23 = _mm512_set_epi64(15, 11, 7, 3, 14, 10, 6, 2);
    const __m512i s0 = _mm512_permutex2var_epi64(x0, i01, x1);
    const __m512i s1 = _mm512_permutex2var_epi64(x0, i23, x1);
    const __m512i s2 = _mm512_permutex2var_epi64(x2, i01, x3);
    const __m512i s3 = _mm512_permutex2var_epi64(x2, i23, x3);
    const __m512i lo = _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0);
    const __m512i hi = _mm512_set_epi64(15, 14, 13, 12, 7, 6, 5, 4);
    L[0] = _mm512_permutex2var_epi64(s0, lo, s2);
    L[1] = _mm512_permutex2var_epi64(s0, hi, s2);
    L[2] = _mm512_permutex2var_epi64(s1, lo, s3);
    L[3] = _mm512_permutex2var_epi64(s1, hi, s3);
}

/* The inverse of bn_ifma_load8. */
BN_TARGET_IFMA static inline void bn_ifma_store8(uint64_t *r, const __m512i L[4]) {
    const __m512i i0 = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0);
    const __m512i i1 = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
    /* (L0, L1) -> rows' limbs 0,1 interleaved; (L2, L3) -> limbs 2,3 */
    const __m512i a0 = _mm512_permutex2var_epi64(L[0], i0, L[1]); /* r0l0 r0l1 r1l0 r1l1 .. r3l0 r3l1 */
    const __m512i a1 = _mm512_permutex2var_epi64(L[0], i1, L[1]); /* rows 4..7 */
    const __m512i b0 = _mm512_permutex2var_epi64(L[2], i0, L[3]);
    const __m512i b1 = _mm512_permutex2var_epi64(L[2], i1, L[3]);
    const __m512i j0 = _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0);
    const __m512i j1 = _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4);
    _mm512_storeu_si512((void *)(r + 0), _mm512_permutex2var_epi64(a0, j0, b0));
    _mm512_storeu_si512((void *)(r + 8), _mm512_permutex2var_epi64(a0, j1, b0));
    _mm512_storeu_si512((void *)(r + 16), _mm512_permutex2var_epi64(a1, j0, b1));
    _mm512_storeu_si512((void *)(r + 24), _mm512_permutex2var_epi64(a1, j1, b1));
}

/* 4 x 64-bit limbs of x -> 5 x 52-bit limbs of x, or of 16x when shift4
 * (x < 2^254, so 16x < 2^258 fits the 260 bits but not 4 x 64). */
BN_TARGET_IFMA static inline void bn_ifma_to52(const __m512i L[4], __m512i X[5], int shift4) {
    const __m512i m = _mm512_set1_epi64((long long)BN_M52);
    const int s = shift4 ? 4 : 0;
    X[0] = _mm512_and_si512(_mm512_slli_epi64(L[0], s), m);
    X[1] = _mm512_and_si512(
        _mm512_or_si512(_mm512_srli_epi64(L[0], 52 - s), _mm512_slli_epi64(L[1], 12 + s)), m);
    X[2] = _mm512_and_si512(
        _mm512_or_si512(_mm512_srli_epi64(L[1], 40 - s), _mm512_slli_epi64(L[2], 24 + s)), m);
    X[3] = _mm512_and_si512(
        _mm512_or_si512(_mm512_srli_epi64(L[2], 28 - s), _mm512_slli_epi64(L[3], 36 + s)), m);
    X[4] = _mm512_srli_epi64(L[3], 16 - s);
}

/* ---- register-level primitives: 8 lanes, 5 x 52-bit limbs, Montgomery radix 2^260.
 * Kernels that keep elements in vectors across many products (the Poseidon
 * batch) use these directly; bn_ifma_mul8 below is them between loads and stores.
 * "Normalised" limbs are each below 2^52 (the value then is below 2^260). */

/* The modulus as 5 broadcast 52-bit limbs, and -1/p mod 2^52. */
BN_TARGET_IFMA static inline void bn_ifma_modulus(const bn_field *F, __m512i P[5], __m512i *pinv) {
    const uint64_t *p = F->p;
    P[0] = _mm512_set1_epi64((long long)(p[0] & BN_M52));
    P[1] = _mm512_set1_epi64((long long)(((p[0] >> 52) | (p[1] << 12)) & BN_M52));
    P[2] = _mm512_set1_epi64((long long)(((p[1] >> 40) | (p[2] << 24)) & BN_M52));
    P[3] = _mm512_set1_epi64((long long)(((p[2] >> 28) | (p[3] << 36)) & BN_M52));
    P[4] = _mm512_set1_epi64((long long)(p[3] >> 16));
    *pinv = _mm512_set1_epi64((long long)(F->pinv & BN_M52));
}

/* Z := A * B / 2^260 mod p, lanewise, normalised, and below A*B/2^260 + p (not
 * reduced: below 2p whenever A*B < p * 2^260, e.g. A < 2^258 and B < 4p).  A and
 * B normalised; Z may alias neither.  CIOS, one 52-bit digit of A per step. */
BN_TARGET_IFMA static inline void bn_ifma_montmul(const __m512i P[5], __m512i pinv,
                                                  const __m512i A[5], const __m512i B[5],
                                                  __m512i Z[5]) {
    const __m512i m52 = _mm512_set1_epi64((long long)BN_M52);
    const __m512i zero = _mm512_setzero_si512();
    __m512i z[6], m;
    int i, j;
    for (j = 0; j < 6; j++) z[j] = zero;
    for (i = 0; i < 5; i++) {
        for (j = 0; j < 5; j++) {
            z[j] = _mm512_madd52lo_epu64(z[j], A[i], B[j]);
            z[j + 1] = _mm512_madd52hi_epu64(z[j + 1], A[i], B[j]);
        }
        m = _mm512_madd52lo_epu64(zero, z[0], pinv); /* low 52 bits of z0 * (-1/p) */
        for (j = 0; j < 5; j++) {
            z[j] = _mm512_madd52lo_epu64(z[j], m, P[j]);
            z[j + 1] = _mm512_madd52hi_epu64(z[j + 1], m, P[j]);
        }
        /* z0 is now 0 mod 2^52: carry it and shift down one limb */
        z[1] = _mm512_add_epi64(z[1], _mm512_srli_epi64(z[0], 52));
        for (j = 0; j < 5; j++) z[j] = z[j + 1];
        z[5] = zero;
    }
    /* normalise to 52-bit limbs (the accumulators hold up to ~57 bits) */
    for (j = 0; j < 4; j++) {
        z[j + 1] = _mm512_add_epi64(z[j + 1], _mm512_srli_epi64(z[j], 52));
        Z[j] = _mm512_and_si512(z[j], m52);
    }
    Z[4] = z[4];
}

/* Z := Z - p where Z >= p, for normalised Z < 2p: canonical afterwards. */
BN_TARGET_IFMA static inline void bn_ifma_reduce(const __m512i P[5], __m512i Z[5]) {
    const __m512i m52 = _mm512_set1_epi64((long long)BN_M52);
    __m512i d[5], borrow = _mm512_setzero_si512();
    __mmask8 keep;
    int j;
    for (j = 0; j < 5; j++) {
        d[j] = _mm512_sub_epi64(_mm512_sub_epi64(Z[j], P[j]), borrow);
        borrow = _mm512_srli_epi64(d[j], 63);
        d[j] = _mm512_and_si512(d[j], m52);
    }
    keep = _mm512_test_epi64_mask(borrow, borrow); /* Z < p: keep Z */
    for (j = 0; j < 5; j++) Z[j] = _mm512_mask_blend_epi64(keep, d[j], Z[j]);
}

/* Lazy reduction: products summed into 10 accumulators of 52-bit digit
 * positions (z[k] is digit k; each may grow to 64 bits: a few thousand
 * products), then one Montgomery reduction for the whole sum.  A sum of k
 * products costs 50k + 55 multiplies instead of 105k. */

/* z += A * B (A, B normalised). */
BN_TARGET_IFMA static inline void bn_ifma_mac(__m512i z[10], const __m512i A[5], const __m512i B[5]) {
    int i, j;
    for (i = 0; i < 5; i++)
        for (j = 0; j < 5; j++) {
            z[i + j] = _mm512_madd52lo_epu64(z[i + j], A[i], B[j]);
            z[i + j + 1] = _mm512_madd52hi_epu64(z[i + j + 1], A[i], B[j]);
        }
}

/* z := A^2 (A normalised): the 10 cross products once, doubled, then the 5 squares
 * (30 multiplies instead of 50). */
BN_TARGET_IFMA static inline void bn_ifma_sqr(__m512i z[10], const __m512i A[5]) {
    int i, j;
    for (i = 0; i < 10; i++) z[i] = _mm512_setzero_si512();
    for (i = 0; i < 5; i++)
        for (j = i + 1; j < 5; j++) {
            z[i + j] = _mm512_madd52lo_epu64(z[i + j], A[i], A[j]);
            z[i + j + 1] = _mm512_madd52hi_epu64(z[i + j + 1], A[i], A[j]);
        }
    for (i = 1; i < 10; i++) z[i] = _mm512_add_epi64(z[i], z[i]); /* z[0] has no cross term */
    for (i = 0; i < 5; i++) {
        z[2 * i] = _mm512_madd52lo_epu64(z[2 * i], A[i], A[i]);
        z[2 * i + 1] = _mm512_madd52hi_epu64(z[2 * i + 1], A[i], A[i]);
    }
}

/* Z := z / 2^260 mod p, normalised, below z / 2^260 + p (z is the integer
 * sum_k z[k] 2^(52k); the caller keeps z below (2^260 - p) 2^260 so that Z
 * fits 260 bits).  z is consumed. */
BN_TARGET_IFMA static inline void bn_ifma_redc(const __m512i P[5], __m512i pinv, __m512i z[10],
                                               __m512i Z[5]) {
    const __m512i m52 = _mm512_set1_epi64((long long)BN_M52);
    const __m512i zero = _mm512_setzero_si512();
    __m512i m;
    int i, j;
    for (i = 0; i < 5; i++) {
        m = _mm512_madd52lo_epu64(zero, z[i], pinv);
        for (j = 0; j < 5; j++) {
            z[i + j] = _mm512_madd52lo_epu64(z[i + j], m, P[j]);
            z[i + j + 1] = _mm512_madd52hi_epu64(z[i + j + 1], m, P[j]);
        }
        z[i + 1] = _mm512_add_epi64(z[i + 1], _mm512_srli_epi64(z[i], 52)); /* z[i] = 0 mod 2^52 */
    }
    for (j = 5; j < 9; j++) {
        z[j + 1] = _mm512_add_epi64(z[j + 1], _mm512_srli_epi64(z[j], 52));
        Z[j - 5] = _mm512_and_si512(z[j], m52);
    }
    Z[4] = z[9];
}

/* Z := A + B limbwise, then one carry pass: normalised (A + B < 2^260). */
BN_TARGET_IFMA static inline void bn_ifma_add_norm(const __m512i A[5], const __m512i B[5], __m512i Z[5]) {
    const __m512i m52 = _mm512_set1_epi64((long long)BN_M52);
    __m512i z[5];
    int j;
    for (j = 0; j < 5; j++) z[j] = _mm512_add_epi64(A[j], B[j]);
    for (j = 0; j < 4; j++) {
        z[j + 1] = _mm512_add_epi64(z[j + 1], _mm512_srli_epi64(z[j], 52));
        Z[j] = _mm512_and_si512(z[j], m52);
    }
    Z[4] = z[4];
}

/* 5 normalised 52-bit limbs (value < 2^256) -> 4 x 64-bit limbs. */
BN_TARGET_IFMA static inline void bn_ifma_from52(const __m512i Z[5], __m512i L[4]) {
    L[0] = _mm512_or_si512(Z[0], _mm512_slli_epi64(Z[1], 52));
    L[1] = _mm512_or_si512(_mm512_srli_epi64(Z[1], 12), _mm512_slli_epi64(Z[2], 40));
    L[2] = _mm512_or_si512(_mm512_srli_epi64(Z[2], 24), _mm512_slli_epi64(Z[3], 28));
    L[3] = _mm512_or_si512(_mm512_srli_epi64(Z[3], 36), _mm512_slli_epi64(Z[4], 16));
}

/* Eight products; a, b, out point at 8 rows each. */
BN_TARGET_IFMA static inline void bn_ifma_mul8(const __m512i P[5], __m512i pinv, const uint64_t *a,
                                              const uint64_t *b, uint64_t *out) {
    __m512i L[4], A[5], B[5], Z[5];
    bn_ifma_load8(a, L);
    bn_ifma_to52(L, A, 1); /* 16a < 2^258, b < p: Z < 1.25p */
    bn_ifma_load8(b, L);
    bn_ifma_to52(L, B, 0);
    bn_ifma_montmul(P, pinv, A, B, Z);
    bn_ifma_reduce(P, Z);
    bn_ifma_from52(Z, L);
    bn_ifma_store8(out, L);
}

BN_TARGET_IFMA static size_t bn_mul_batch_ifma(const bn_field *F, size_t n, uint64_t *out,
                                               const uint64_t *a, const uint64_t *b) {
    __m512i P[5], pinv;
    size_t i, whole = n & ~(size_t)7;
    bn_ifma_modulus(F, P, &pinv);
    for (i = 0; i < whole; i += 8) bn_ifma_mul8(P, pinv, a + 4 * i, b + 4 * i, out + 4 * i);
    return whole;
}

#undef BN_M52
#else
#define BN_HAVE_IFMA 0
static inline int bn_cpu_has_ifma(void) { return 0; }
static inline size_t bn_mul_batch_ifma(const bn_field *F, size_t n, uint64_t *out,
                                       const uint64_t *a, const uint64_t *b) {
    (void)F; (void)n; (void)out; (void)a; (void)b;
    return 0;
}
#endif

/* Which supported backends bn_backend() may pick by itself: all of them.  Measured
 * (benchmarks/field_throughput.py, AMD EPYC Zen 5): IFMA ~2.9x ADX on batch Fr multiply. */
#define BN_DEFAULT_ALLOWED(b) 1

#endif /* POUW_BN254_FIELD_IFMA_H */
