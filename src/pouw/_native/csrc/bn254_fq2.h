/* bn254_fq2.h -- Fq2 = Fq[u]/(u^2 + 1), the field of BN254's G2 twist.
 *
 * An element is 8 little-endian uint64 limbs: c0 (limbs 0..3) then c1 (limbs
 * 4..7), the value c0 + c1*u, each half an Fq element in Montgomery form and
 * canonical (bn254_field.h).  Every function takes canonical inputs and returns
 * canonical outputs; r may alias a and b.  `be` is the multiply backend
 * (field.pxd: backend_code()).  No allocation, no Python, no failure: every
 * function may run without the GIL.  Not constant time (public data only).
 */
#ifndef POUW_BN254_FQ2_H
#define POUW_BN254_FQ2_H

#include "bn254_field.h"

#define BN_FQ2_LIMBS 8

static inline int bn_fq2_is_zero(const uint64_t a[8]) { return bn_is_zero(a) && bn_is_zero(a + 4); }

static inline int bn_fq2_eq(const uint64_t a[8], const uint64_t b[8]) {
    return bn_eq(a, b) && bn_eq(a + 4, b + 4);
}

static inline void bn_fq2_copy(uint64_t r[8], const uint64_t a[8]) { memcpy(r, a, 64); }

static inline void bn_fq2_set_one(uint64_t r[8]) {
    bn_copy(r, BN_FQ.one);
    memset(r + 4, 0, 32);
}

static inline void bn_fq2_add(uint64_t r[8], const uint64_t a[8], const uint64_t b[8]) {
    bn_add(&BN_FQ, r, a, b);
    bn_add(&BN_FQ, r + 4, a + 4, b + 4);
}

static inline void bn_fq2_sub(uint64_t r[8], const uint64_t a[8], const uint64_t b[8]) {
    bn_sub(&BN_FQ, r, a, b);
    bn_sub(&BN_FQ, r + 4, a + 4, b + 4);
}

static inline void bn_fq2_neg(uint64_t r[8], const uint64_t a[8]) {
    bn_neg(&BN_FQ, r, a);
    bn_neg(&BN_FQ, r + 4, a + 4);
}

/* c0 - c1*u: the Frobenius map x -> x^q. */
static inline void bn_fq2_conj(uint64_t r[8], const uint64_t a[8]) {
    bn_copy(r, a);
    bn_neg(&BN_FQ, r + 4, a + 4);
}

/* Karatsuba: 3 Fq multiplies.  (a0 + a1 u)(b0 + b1 u) = a0b0 - a1b1 + ((a0+a1)(b0+b1) - a0b0 - a1b1) u */
static inline void bn_fq2_mul_at(int be, uint64_t r[8], const uint64_t a[8], const uint64_t b[8]) {
    uint64_t v0[4], v1[4], sa[4], sb[4];
    bn_mul_at(be, &BN_FQ, v0, a, b);
    bn_mul_at(be, &BN_FQ, v1, a + 4, b + 4);
    bn_add(&BN_FQ, sa, a, a + 4);
    bn_add(&BN_FQ, sb, b, b + 4);
    bn_mul_at(be, &BN_FQ, r + 4, sa, sb);
    bn_sub(&BN_FQ, r + 4, r + 4, v0);
    bn_sub(&BN_FQ, r + 4, r + 4, v1);
    bn_sub(&BN_FQ, r, v0, v1);
}

/* Complex squaring: 2 Fq multiplies.  (a0 + a1 u)^2 = (a0+a1)(a0-a1) + 2 a0 a1 u */
static inline void bn_fq2_sqr_at(int be, uint64_t r[8], const uint64_t a[8]) {
    uint64_t s[4], d[4], m[4];
    bn_add(&BN_FQ, s, a, a + 4);
    bn_sub(&BN_FQ, d, a, a + 4);
    bn_mul_at(be, &BN_FQ, m, a, a + 4);
    bn_mul_at(be, &BN_FQ, r, s, d);
    bn_add(&BN_FQ, r + 4, m, m);
}

/* r := a * s for s in Fq (both halves scaled). */
static inline void bn_fq2_mul_fq_at(int be, uint64_t r[8], const uint64_t a[8], const uint64_t s[4]) {
    bn_mul_at(be, &BN_FQ, r, a, s);
    bn_mul_at(be, &BN_FQ, r + 4, a + 4, s);
}

/* 1/a = conj(a) / (a0^2 + a1^2); a = 0 gives 0 (callers check first). */
static inline void bn_fq2_inv_at(int be, uint64_t r[8], const uint64_t a[8]) {
    uint64_t t0[4], t1[4];
    bn_mul_at(be, &BN_FQ, t0, a, a);
    bn_mul_at(be, &BN_FQ, t1, a + 4, a + 4);
    bn_add(&BN_FQ, t0, t0, t1);
    bn_inv_at(be, &BN_FQ, t1, t0);
    bn_mul_at(be, &BN_FQ, r, a, t1);
    bn_mul_at(be, &BN_FQ, r + 4, a + 4, t1);
    bn_neg(&BN_FQ, r + 4, r + 4);
}

/* r := 9 * a in Fq (additions only). */
static inline void bn_fq_mul9(uint64_t r[4], const uint64_t a[4]) {
    uint64_t t[4];
    bn_add(&BN_FQ, t, a, a);  /* 2a */
    bn_add(&BN_FQ, t, t, t);  /* 4a */
    bn_add(&BN_FQ, t, t, t);  /* 8a */
    bn_add(&BN_FQ, r, t, a);  /* 9a */
}

/* Multiply by the non-residue xi = 9 + u that builds Fq6 = Fq2[v]/(v^3 - xi):
 * (a0 + a1 u)(9 + u) = (9 a0 - a1) + (a0 + 9 a1) u.  Additions only. */
static inline void bn_fq2_mul_xi(uint64_t r[8], const uint64_t a[8]) {
    uint64_t c0[4], c1[4];
    bn_fq_mul9(c0, a);
    bn_sub(&BN_FQ, c0, c0, a + 4);
    bn_fq_mul9(c1, a + 4);
    bn_add(&BN_FQ, c1, c1, a);
    bn_copy(r, c0);
    bn_copy(r + 4, c1);
}

#endif /* POUW_BN254_FQ2_H */
