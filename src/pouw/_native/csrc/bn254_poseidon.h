/* bn254_poseidon.h -- the Poseidon permutation over BN254's Fr, in its optimised form.
 *
 * circomlib's instance: S-box x^5, width t = 2..17, R_F full rounds (half before,
 * half after) and R_P partial rounds.  The kernel runs the optimised form of the
 * Poseidon paper's appendix B, exactly as pouw.zk.poseidon_params.permute_optimized
 * defines it (f = R_F / 2, M the MDS matrix, sbox on every element):
 *
 *     s += initial
 *     f - 1 times:  s = M (sbox(s) + full_first[r])
 *                   s = dense (sbox(s) + pre_partial)
 *     R_P times:    s[0] = s[0]^5 + partial[i]
 *                   s[0], s[j] = sum_j row_i[j] s[j],  s[j] + col_i[j-1] s[0]   (sparse)
 *     f - 1 times:  s = M (sbox(s) + full_last[r])
 *                   s = M sbox(s)
 *
 * Constants (bn_psd): one array of field elements in the order of the offsets
 * below (bn_psd_layout), each in two forms: Montgomery rows (4 limbs of x*2^256
 * mod p, the field kernel's form) for the scalar paths, and, for the AVX-512
 * IFMA batch path, 5 x 52-bit limbs of x*2^260 mod p (the radix of
 * bn254_field_ifma.h's register primitives).  bn_psd_prepare fills both from
 * the canonical integers once; the caller owns the memory.
 *
 * Paths, all on the field kernel's arithmetic and the backend the caller passes
 * (pouw._native.field's backend_code()):
 *   portable / ADX  one state at a time with bn_mul_at (bn_psd_permute_at), every
 *                   element canonical (< p) after every operation;
 *   IFMA            bn_psd_hash_batch only: 8 rows at once, one per lane, the
 *                   whole permutation in 52-bit limb vectors with lazy reduction
 *                   (sums of products with one Montgomery reduction each,
 *                   bn254_field_ifma.h; bounds below), canonical at the output;
 *                   single permutations on this backend use ADX, as the field does.
 * Every path computes the same field elements, so the outputs agree bit for bit.
 *
 * Cost per permutation, in field products: full rounds 3t + t^2 each (x^5 =
 * x (x^2)^2, a dense mix), partial rounds 3 + t + (t - 1) each (the sparse mix).
 * t = 3: 8 * 18 + 57 * 8 = 600.  Interleaving rows on the scalar paths was
 * measured and dropped: independent ADX multiplies run no faster than a chain
 * of them on the reference machine (the multiply is throughput bound), and two
 * IFMA groups of 8 interleaved ran no faster than one.
 *
 * Nothing allocates, fails or touches Python: every function may run without
 * the GIL.  Not constant time in the IFMA tail handling (row counts are public);
 * the arithmetic is that of the field kernel.
 */
#ifndef POUW_BN254_POSEIDON_H
#define POUW_BN254_POSEIDON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bn254_field.h"

/* The permutation is bound by these field helpers: in this translation unit
 * they are always inlined (GCC otherwise keeps the multiply a call: ~8% of a
 * hash).  Redeclarations only add the attribute. */
#if defined(__GNUC__) && !defined(__clang__)
#define BN_PSD_ALWAYS_INLINE __attribute__((always_inline))
#if BN_HAVE_ADX_ASM
static inline void bn_mul_adx_raw(const uint64_t *, uint64_t[4], const uint64_t[4],
                                  const uint64_t[4]) BN_PSD_ALWAYS_INLINE;
#endif
static inline void bn_mul_adx(const bn_field *, uint64_t[4], const uint64_t[4],
                              const uint64_t[4]) BN_PSD_ALWAYS_INLINE;
static inline void bn_mul_portable(const bn_field *, uint64_t[4], const uint64_t[4],
                                   const uint64_t[4]) BN_PSD_ALWAYS_INLINE;
static inline void bn_mul_at(int, const bn_field *, uint64_t[4], const uint64_t[4],
                             const uint64_t[4]) BN_PSD_ALWAYS_INLINE;
#undef BN_PSD_ALWAYS_INLINE
#endif

enum { BN_PSD_MAX_T = 17 };

typedef struct bn_psd {
    int t, rf, rp;      /* width 2..BN_PSD_MAX_T, full rounds (even, >= 2), partial rounds (>= 1) */
    const uint64_t *m;  /* count elements, 4 limbs each: Montgomery form */
    const uint64_t *v;  /* count elements, 5 limbs each: the IFMA form; NULL: no IFMA path */
    /* element offsets into m / v (the order of OptimizedParams' fields) */
    size_t initial;     /* t */
    size_t full_first;  /* (rf/2 - 1) * t, round by round */
    size_t pre_partial; /* t */
    size_t dense;       /* t * t, row by row */
    size_t partial;     /* rp */
    size_t sparse_row;  /* rp * t */
    size_t sparse_col;  /* rp * (t - 1) */
    size_t full_last;   /* (rf/2 - 1) * t */
    size_t mds;         /* t * t */
    size_t count;       /* total */
} bn_psd;

/* Fill the shape and offsets of P for (t, rf, rp) (pointers untouched); returns
 * the element count, or 0 when the shape is not one this kernel runs. */
static inline size_t bn_psd_layout(bn_psd *P, int t, int rf, int rp) {
    size_t T, f1, k = 0;
    if (t < 2 || t > BN_PSD_MAX_T || rf < 2 || rf % 2 || rp < 1) return 0;
    T = (size_t)t;
    f1 = (size_t)(rf / 2 - 1);
    P->t = t; P->rf = rf; P->rp = rp;
    P->initial = k; k += T;
    P->full_first = k; k += f1 * T;
    P->pre_partial = k; k += T;
    P->dense = k; k += T * T;
    P->partial = k; k += (size_t)rp;
    P->sparse_row = k; k += (size_t)rp * T;
    P->sparse_col = k; k += (size_t)rp * (T - 1);
    P->full_last = k; k += f1 * T;
    P->mds = k; k += T * T;
    P->count = k;
    return k;
}

/* x (4 limbs, < 2^256) -> 5 x 52-bit limbs. */
static inline void bn_psd_split52(uint64_t out[5], const uint64_t x[4]) {
    const uint64_t m = 0xFFFFFFFFFFFFFULL;
    out[0] = x[0] & m;
    out[1] = ((x[0] >> 52) | (x[1] << 12)) & m;
    out[2] = ((x[1] >> 40) | (x[2] << 24)) & m;
    out[3] = ((x[2] >> 28) | (x[3] << 36)) & m;
    out[4] = x[3] >> 16;
}

/* mont[k] := raw[k] * 2^256 mod p and, when ifma is not NULL, ifma[k] := the 52-bit
 * limbs of raw[k] * 2^260 mod p, for the `count` canonical integers raw (4 limbs
 * each).  Returns -1, or the index of the first raw[k] >= p (nothing is converted
 * then).  The outputs must not overlap raw. */
static inline ptrdiff_t bn_psd_prepare(int backend, size_t count, uint64_t *mont, uint64_t *ifma,
                                       const uint64_t *raw) {
    const bn_field *F = &BN_FR;
    uint64_t x[4];
    size_t k;
    int d;
    for (k = 0; k < count; k++)
        if (!bn_lt_p(F, raw + 4 * k)) return (ptrdiff_t)k;
    for (k = 0; k < count; k++) {
        bn_to_mont_at(backend, F, mont + 4 * k, raw + 4 * k);
        if (ifma) {
            bn_copy(x, mont + 4 * k);
            for (d = 0; d < 4; d++) bn_add(F, x, x, x); /* * 16: radix 2^256 -> 2^260 */
            bn_psd_split52(ifma + 5 * k, x);
        }
    }
    return -1;
}

/* ------------------------------------------------------------------ scalar paths */

#define BN_PSD_INLINE static inline __attribute__((always_inline))

/* r := a + b in Fr, canonical in and out (the field's shared fast add). */
BN_PSD_INLINE void bn_psd_add(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
#ifdef BN_FAST_ADD
    bn_add_fast(BN_FR.p, r, a, b);
#else
    bn_add(&BN_FR, r, a, b);
#endif
}

/* x := x^5 = x * (x^2)^2.  When *rec is not NULL, x^2, x^4 and x^5 are also
 * written there (three rows) and *rec moves past them: the witness of the
 * S-box's three constraints (bn_psd_trace_at).  The hashing paths pass NULL,
 * a constant the inlining folds away. */
BN_PSD_INLINE void bn_psd_sbox(int backend, uint64_t x[4], uint64_t **rec) {
    uint64_t x2[4], x4[4];
    bn_mul_at(backend, &BN_FR, x2, x, x);
    bn_mul_at(backend, &BN_FR, x4, x2, x2);
    bn_mul_at(backend, &BN_FR, x, x4, x);
    if (rec && *rec) {
        bn_copy(*rec, x2);
        bn_copy(*rec + 4, x4);
        bn_copy(*rec + 8, x);
        *rec += 12;
    }
}

/* s := A (sbox(s) + c) for the t x t matrix A (rows of Montgomery elements) and
 * the t constants c (NULL: none). */
BN_PSD_INLINE void bn_psd_full_round(int backend, int t, uint64_t s[][4], const uint64_t *c,
                                     const uint64_t *A, uint64_t **rec) {
    const bn_field *F = &BN_FR;
    uint64_t u[BN_PSD_MAX_T][4], acc[4], tmp[4];
    int i, j;
    for (i = 0; i < t; i++) {
        bn_psd_sbox(backend, s[i], rec);
        if (c) bn_psd_add(u[i], s[i], c + 4 * i);
        else bn_copy(u[i], s[i]);
    }
    for (i = 0; i < t; i++) {
        const uint64_t *row = A + 4 * (size_t)t * i;
        bn_mul_at(backend, F, acc, row, u[0]);
        for (j = 1; j < t; j++) {
            bn_mul_at(backend, F, tmp, row + 4 * j, u[j]);
            bn_psd_add(acc, acc, tmp);
        }
        bn_copy(s[i], acc);
    }
}

/* The permutation of the state s (t Montgomery elements, in place); rec as
 * bn_psd_sbox (NULL, or the S-boxes' rows in evaluation order). */
BN_PSD_INLINE void bn_psd_permute_with(int backend, const bn_psd *P, uint64_t s[][4],
                                       uint64_t **rec) {
    const bn_field *F = &BN_FR;
    const int t = P->t, f1 = P->rf / 2 - 1;
    const uint64_t *m = P->m;
    uint64_t first[4], tmp[4];
    int i, j, r;
    for (i = 0; i < t; i++) bn_psd_add(s[i], s[i], m + 4 * (P->initial + (size_t)i));
    for (r = 0; r < f1; r++)
        bn_psd_full_round(backend, t, s, m + 4 * (P->full_first + (size_t)r * t), m + 4 * P->mds,
                          rec);
    bn_psd_full_round(backend, t, s, m + 4 * P->pre_partial, m + 4 * P->dense, rec);
    for (r = 0; r < P->rp; r++) {
        const uint64_t *row = m + 4 * (P->sparse_row + (size_t)r * t);
        const uint64_t *col = m + 4 * (P->sparse_col + (size_t)r * (t - 1));
        bn_psd_sbox(backend, s[0], rec);
        bn_psd_add(s[0], s[0], m + 4 * (P->partial + (size_t)r));
        bn_mul_at(backend, F, first, row, s[0]);
        for (j = 1; j < t; j++) {
            bn_mul_at(backend, F, tmp, row + 4 * j, s[j]);
            bn_psd_add(first, first, tmp);
            bn_mul_at(backend, F, tmp, col + 4 * (j - 1), s[0]);
            bn_psd_add(s[j], s[j], tmp);
        }
        bn_copy(s[0], first);
    }
    for (r = 0; r < f1; r++)
        bn_psd_full_round(backend, t, s, m + 4 * (P->full_last + (size_t)r * t), m + 4 * P->mds,
                          rec);
    bn_psd_full_round(backend, t, s, NULL, m + 4 * P->mds, rec);
}

static void bn_psd_permute_portable(const bn_psd *P, uint64_t s[][4]) {
    bn_psd_permute_with(BN_BACKEND_PORTABLE, P, s, NULL);
}

static void bn_psd_permute_adx(const bn_psd *P, uint64_t s[][4]) {
    bn_psd_permute_with(BN_BACKEND_ADX, P, s, NULL);
}

/* S-boxes of one permutation: t per full round, one per partial round. */
static inline size_t bn_psd_n_sboxes(const bn_psd *P) {
    return (size_t)P->rf * (size_t)P->t + (size_t)P->rp;
}

/* The permutation of s (as bn_psd_permute_at) recording x^2, x^4, x^5 of every
 * S-box in evaluation order into rec (3 * bn_psd_n_sboxes(P) Montgomery rows):
 * the witness of a circuit's Poseidon (pouw.zk.gadgets_poseidon). */
static void bn_psd_trace_at(int backend, const bn_psd *P, uint64_t *s, uint64_t *rec) {
    uint64_t (*st)[4] = (uint64_t (*)[4])s;
    if (backend == BN_BACKEND_PORTABLE)
        bn_psd_permute_with(BN_BACKEND_PORTABLE, P, st, &rec);
    else
        bn_psd_permute_with(BN_BACKEND_ADX, P, st, &rec);
}

/* The permutation of s (P->t Montgomery elements, 4 limbs each, canonical, in
 * place) on `backend` (IFMA runs the ADX path: one state fills one lane only). */
static inline void bn_psd_permute_at(int backend, const bn_psd *P, uint64_t *s) {
    uint64_t (*st)[4] = (uint64_t (*)[4])s;
    if (backend == BN_BACKEND_PORTABLE) bn_psd_permute_portable(P, st);
    else bn_psd_permute_adx(P, st);
}

/* One hash of plain integers: s holds P->t rows of 4 limbs, rows 1.. the inputs
 * (canonical integers, not Montgomery form; row 0 is ignored).  On return row 0
 * is the output as a canonical integer (the other rows are scratch). */
static inline void bn_psd_hash_ints(int backend, const bn_psd *P, uint64_t *s) {
    int j;
    memset(s, 0, 32);
    for (j = 1; j < P->t; j++) bn_to_mont_at(backend, &BN_FR, s + 4 * j, s + 4 * j);
    bn_psd_permute_at(backend, P, s);
    bn_from_mont_at(backend, &BN_FR, s, s);
}

/* ------------------------------------------------------------------ IFMA batch */

#if BN_HAVE_IFMA

/* Elements live in 52-bit limb vectors (one state per lane) in the radix-2^260
 * Montgomery form, reduced lazily: every product is a sum of products with one
 * Montgomery reduction (bn_ifma_mac/sqr/redc), below (sum)/2^260 + p, and
 * no step subtracts p; only the output is made canonical.  Bounds, with the
 * constants canonical (< p) and 2^260 > 84p: an S-box input below 21p gives
 * x^2 < 6.3p, x^4 < 1.5p, x^5 < 1.4p; a mix of t <= 17 terms below 2.4p
 * (x^5 plus a constant) gives < 1.5p; in the partial rounds s[0] < 2.4p, each
 * col product adds < 1.03p to s[j], and every BN_PSD_RENORM rounds s[j] is
 * brought back below 1.5p (a product by one), so s[j] < 18p and the row mix
 * < 4.4p throughout. */

#define BN_PSD_RENORM 16

typedef struct { __m512i l[5]; } bn_psd_v; /* one element of 8 states, one per lane */

typedef struct {
    __m512i P[5], pinv;
    uint64_t one[5]; /* 1 in the IFMA form: 2^260 mod p */
} bn_psd_vctx;

/* K := the constant k (5 limbs of the IFMA form) in every lane. */
#define BN_PSD_BCAST(K, k)                                                                         \
    do {                                                                                           \
        int q_;                                                                                    \
        for (q_ = 0; q_ < 5; q_++) (K)[q_] = _mm512_set1_epi64((long long)(k)[q_]);               \
    } while (0)

BN_TARGET_IFMA static inline void bn_psd_vzero(__m512i z[10]) {
    int i;
    for (i = 0; i < 10; i++) z[i] = _mm512_setzero_si512();
}

/* z += a * k for a constant k. */
BN_TARGET_IFMA static inline void bn_psd_vmack(__m512i z[10], const bn_psd_v *a, const uint64_t *k) {
    __m512i K[5];
    BN_PSD_BCAST(K, k);
    bn_ifma_mac(z, a->l, K);
}

/* r := a * k. */
BN_TARGET_IFMA static inline void bn_psd_vmulk(const bn_psd_vctx *c, bn_psd_v *r, const bn_psd_v *a,
                                               const uint64_t *k) {
    __m512i z[10];
    bn_psd_vzero(z);
    bn_psd_vmack(z, a, k);
    bn_ifma_redc(c->P, c->pinv, z, r->l);
}

/* r := sum_j a[j] k[j] for n elements a and n consecutive constants k (r may be a). */
BN_TARGET_IFMA static inline void bn_psd_vdotk(const bn_psd_vctx *c, bn_psd_v *r, int n,
                                               const bn_psd_v *a, const uint64_t *k) {
    __m512i z[10];
    int j;
    bn_psd_vzero(z);
    for (j = 0; j < n; j++) bn_psd_vmack(z, &a[j], k + 5 * j);
    bn_ifma_redc(c->P, c->pinv, z, r->l);
}

/* x := x^5 = x (x^2)^2. */
BN_TARGET_IFMA static inline void bn_psd_vsbox(const bn_psd_vctx *c, bn_psd_v *x) {
    __m512i z[10], x2[5], x4[5];
    bn_ifma_sqr(z, x->l);
    bn_ifma_redc(c->P, c->pinv, z, x2);
    bn_ifma_sqr(z, x2);
    bn_ifma_redc(c->P, c->pinv, z, x4);
    bn_psd_vzero(z);
    bn_ifma_mac(z, x4, x->l);
    bn_ifma_redc(c->P, c->pinv, z, x->l);
}

/* r := a + k (normalised, not reduced). */
BN_TARGET_IFMA static inline void bn_psd_vaddk(bn_psd_v *r, const bn_psd_v *a, const uint64_t *k) {
    __m512i K[5];
    BN_PSD_BCAST(K, k);
    bn_ifma_add_norm(a->l, K, r->l);
}

/* s := A (sbox(s) + k) with A and k in the IFMA form (k NULL: none). */
BN_TARGET_IFMA static inline void bn_psd_vfull_round(const bn_psd_vctx *c, int t, bn_psd_v *s,
                                                     const uint64_t *k, const uint64_t *A) {
    bn_psd_v u[BN_PSD_MAX_T];
    int i;
    for (i = 0; i < t; i++) {
        bn_psd_vsbox(c, &s[i]);
        if (k) bn_psd_vaddk(&u[i], &s[i], k + 5 * i);
        else u[i] = s[i];
    }
    for (i = 0; i < t; i++) bn_psd_vdotk(c, &s[i], t, u, A + 5 * (size_t)t * i);
}

/* The permutation of 8 states at once (IFMA form, lazily reduced, in place). */
BN_TARGET_IFMA static void bn_psd_vpermute(const bn_psd_vctx *c, const bn_psd *P, bn_psd_v *s) {
    const int t = P->t, f1 = P->rf / 2 - 1;
    const uint64_t *v = P->v;
    __m512i z[10], w[10];
    int i, j, q, r;
    for (i = 0; i < t; i++) bn_psd_vaddk(&s[i], &s[i], v + 5 * (P->initial + (size_t)i));
    for (r = 0; r < f1; r++)
        bn_psd_vfull_round(c, t, s, v + 5 * (P->full_first + (size_t)r * t), v + 5 * P->mds);
    bn_psd_vfull_round(c, t, s, v + 5 * P->pre_partial, v + 5 * P->dense);
    for (r = 0; r < P->rp; r++) {
        const uint64_t *row = v + 5 * (P->sparse_row + (size_t)r * t);
        const uint64_t *col = v + 5 * (P->sparse_col + (size_t)r * (t - 1));
        /* the row's terms of s[1..] first: they do not wait for the S-box */
        bn_psd_vzero(z);
        for (j = 1; j < t; j++) bn_psd_vmack(z, &s[j], row + 5 * j);
        bn_psd_vsbox(c, &s[0]);
        bn_psd_vaddk(&s[0], &s[0], v + 5 * (P->partial + (size_t)r));
        bn_psd_vmack(z, &s[0], row);
        for (j = 1; j < t; j++) {
            /* s[j] + col s[0] in one reduction: s[j] enters at digit 5 (times 2^260) */
            for (q = 0; q < 5; q++) {
                w[q] = _mm512_setzero_si512();
                w[5 + q] = s[j].l[q];
            }
            bn_psd_vmack(w, &s[0], col + 5 * (j - 1));
            bn_ifma_redc(c->P, c->pinv, w, s[j].l);
            if (r % BN_PSD_RENORM == BN_PSD_RENORM - 1) bn_psd_vmulk(c, &s[j], &s[j], c->one);
        }
        bn_ifma_redc(c->P, c->pinv, z, s[0].l);
    }
    for (r = 0; r < f1; r++)
        bn_psd_vfull_round(c, t, s, v + 5 * (P->full_last + (size_t)r * t), v + 5 * P->mds);
    bn_psd_vfull_round(c, t, s, NULL, v + 5 * P->mds);
}

/* out[i0 .. i0+rows) := Poseidon of rows i0.. of the t - 1 columns (rows <= 8;
 * a short group runs zero-padded lanes whose results are dropped).  to260 and
 * to256: 2^264 and 2^256 mod p, the radix conversions, as 52-bit limbs. */
BN_TARGET_IFMA static void bn_psd_hash8_ifma(const bn_psd_vctx *c, const bn_psd *P,
                                             const uint64_t *const *cols, size_t i0, size_t rows,
                                             uint64_t *out, const uint64_t to260[5],
                                             const uint64_t to256[5]) {
    bn_psd_v s[BN_PSD_MAX_T];
    uint64_t pad[32];
    __m512i L[4];
    int j;
    memset(&s[0], 0, sizeof s[0]);
    for (j = 1; j < P->t; j++) {
        const uint64_t *src = cols[j - 1] + 4 * i0;
        if (rows < 8) {
            memset(pad, 0, sizeof pad);
            memcpy(pad, src, 32 * rows);
            src = pad;
        }
        bn_ifma_load8(src, L);
        bn_ifma_to52(L, s[j].l, 0);           /* the integer x * 2^256 mod p, < p */
        bn_psd_vmulk(c, &s[j], &s[j], to260); /* * 2^264 / 2^260: x * 2^260 mod p, < 2p */
    }
    bn_psd_vpermute(c, P, s);
    bn_psd_vmulk(c, &s[0], &s[0], to256); /* * 2^256 / 2^260: x * 2^256 mod p, < 2p */
    bn_ifma_reduce(c->P, s[0].l);
    bn_ifma_from52(s[0].l, L);
    if (rows == 8) {
        bn_ifma_store8(out + 4 * i0, L);
    } else {
        bn_ifma_store8(pad, L);
        memcpy(out + 4 * i0, pad, 32 * rows);
    }
}

BN_TARGET_IFMA static void bn_psd_hash_batch_ifma(const bn_psd *P, size_t n,
                                                  const uint64_t *const *cols, uint64_t *out) {
    bn_psd_vctx c;
    uint64_t k[4], to260[5], to256[5];
    size_t i;
    int d;
    bn_ifma_modulus(&BN_FR, c.P, &c.pinv);
    bn_copy(k, BN_FR.one);
    bn_psd_split52(to256, k); /* 2^256 mod p */
    for (d = 0; d < 4; d++) bn_add(&BN_FR, k, k, k);
    bn_psd_split52(c.one, k); /* 2^260 mod p */
    for (d = 0; d < 4; d++) bn_add(&BN_FR, k, k, k);
    bn_psd_split52(to260, k); /* 2^264 mod p */
    for (i = 0; i < n; i += 8) bn_psd_hash8_ifma(&c, P, cols, i, n - i < 8 ? n - i : 8, out, to260, to256);
}

#endif /* BN_HAVE_IFMA */

/* ------------------------------------------------------------------ hashes */

/* out[i] := Poseidon(cols[0][i], .., cols[t-2][i]) for i < n: state [0, inputs..],
 * output state[0].  cols: t - 1 arrays of n Montgomery rows (canonical); out: n
 * rows, may alias a column (each row is read before it is written).  IFMA needs
 * P->v. */
static inline void bn_psd_hash_batch(int backend, const bn_psd *P, size_t n,
                                     const uint64_t *const *cols, uint64_t *out) {
    uint64_t s[BN_PSD_MAX_T * 4];
    size_t i;
    int j;
#if BN_HAVE_IFMA
    if (backend == BN_BACKEND_IFMA && P->v) {
        bn_psd_hash_batch_ifma(P, n, cols, out);
        return;
    }
#endif
    for (i = 0; i < n; i++) {
        memset(s, 0, 32);
        for (j = 1; j < P->t; j++) bn_copy(s + 4 * j, cols[j - 1] + 4 * i);
        bn_psd_permute_at(backend, P, s);
        bn_copy(out + 4 * i, s);
    }
}

#undef BN_PSD_INLINE

#endif /* POUW_BN254_POSEIDON_H */
