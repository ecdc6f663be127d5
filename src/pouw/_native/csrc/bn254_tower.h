/* bn254_tower.h -- the extension tower of BN254's pairing target group.
 *
 *   Fq6  = Fq2[v]/(v^3 - xi), xi = 9 + u     an element: 24 limbs, c0 + c1 v + c2 v^2
 *   Fq12 = Fq6[w]/(w^2 - v)                  an element: 48 limbs, c0 + c1 w
 *
 * So w^6 = xi and, over Fq2, an Fq12 element is sum_k a_k w^k with a_k at
 * Fq6 half k%2, slot k/2.  (py_ecc's FQ12 = Fq[w]/(w^12 - 18 w^6 + 82) is the
 * same field with u = w^6 - 9; the Python face maps the coefficients.)
 * Every Fq2 coefficient is Montgomery form and canonical (bn254_fq2.h).  `be`
 * is the multiply backend (field.pxd: backend_code()).  Outputs may alias
 * inputs.  No allocation, no Python, no failure: every function may run
 * without the GIL.  Not constant time (public data only).
 */
#ifndef POUW_BN254_TOWER_H
#define POUW_BN254_TOWER_H

#include "bn254_fq2.h"


/* ------------------------------------------------------------------ fast Fq/Fq2
 * Local helpers with the exact results of bn254_field.h/bn254_fq2.h (canonical
 * in, canonical out): carry-flag add/sub on x86-64 and a one-reduction multiply
 * by xi = 9 + u.  Elsewhere they fall back to the bn_* functions. */
/* fast Fq add/sub (x86-64 carry intrinsics), same results as bn_add/bn_sub */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <x86intrin.h>
#define BT_P0 0x3c208c16d87cfd47ULL
#define BT_P1 0x97816a916871ca8dULL
#define BT_P2 0xb85045b68181585dULL
#define BT_P3 0x30644e72e131a029ULL
static inline __attribute__((always_inline)) void bt_fp_add(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
    unsigned long long t0, t1, t2, t3, s0, s1, s2, s3;
    unsigned char c = 0;
    c = _addcarry_u64(c, a[0], b[0], &t0);
    c = _addcarry_u64(c, a[1], b[1], &t1);
    c = _addcarry_u64(c, a[2], b[2], &t2);
    (void)_addcarry_u64(c, a[3], b[3], &t3);
    c = _subborrow_u64(0, t0, BT_P0, &s0);
    c = _subborrow_u64(c, t1, BT_P1, &s1);
    c = _subborrow_u64(c, t2, BT_P2, &s2);
    c = _subborrow_u64(c, t3, BT_P3, &s3);
    if (c) { r[0] = t0; r[1] = t1; r[2] = t2; r[3] = t3; }
    else { r[0] = s0; r[1] = s1; r[2] = s2; r[3] = s3; }
}
static inline __attribute__((always_inline)) void bt_fp_sub(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
    unsigned long long t0, t1, t2, t3, m;
    unsigned char c;
    c = _subborrow_u64(0, a[0], b[0], &t0);
    c = _subborrow_u64(c, a[1], b[1], &t1);
    c = _subborrow_u64(c, a[2], b[2], &t2);
    c = _subborrow_u64(c, a[3], b[3], &t3);
    m = 0 - (unsigned long long)c;
    c = _addcarry_u64(0, t0, BT_P0 & m, &t0);
    c = _addcarry_u64(c, t1, BT_P1 & m, &t1);
    c = _addcarry_u64(c, t2, BT_P2 & m, &t2);
    (void)_addcarry_u64(c, t3, BT_P3 & m, &t3);
    r[0] = t0; r[1] = t1; r[2] = t2; r[3] = t3;
}
/* r := T mod p for T = (t4..t0) < 16p (used by the small-constant multiplies). */
static inline void bt_fp_reduce_small(uint64_t r[4], uint64_t t0, uint64_t t1, uint64_t t2, uint64_t t3,
                                      uint64_t t4) {
    uint64_t q = ((t4 << 32) | (t3 >> 32)) / ((BT_P3 >> 32) + 1); /* <= floor(T/p) */
    bn_u128 m;
    uint64_t c, q0, q1, q2, q3, q4;
    unsigned char b;
    m = (bn_u128)q * BT_P0; q0 = (uint64_t)m; c = (uint64_t)(m >> 64);
    m = (bn_u128)q * BT_P1 + c; q1 = (uint64_t)m; c = (uint64_t)(m >> 64);
    m = (bn_u128)q * BT_P2 + c; q2 = (uint64_t)m; c = (uint64_t)(m >> 64);
    m = (bn_u128)q * BT_P3 + c; q3 = (uint64_t)m; q4 = (uint64_t)(m >> 64);
    b = _subborrow_u64(0, t0, q0, (unsigned long long *)&t0);
    b = _subborrow_u64(b, t1, q1, (unsigned long long *)&t1);
    b = _subborrow_u64(b, t2, q2, (unsigned long long *)&t2);
    b = _subborrow_u64(b, t3, q3, (unsigned long long *)&t3);
    (void)_subborrow_u64(b, t4, q4, (unsigned long long *)&t4);
    for (;;) { /* at most a couple of rounds */
        unsigned long long s0, s1, s2, s3, s4;
        b = _subborrow_u64(0, t0, BT_P0, &s0);
        b = _subborrow_u64(b, t1, BT_P1, &s1);
        b = _subborrow_u64(b, t2, BT_P2, &s2);
        b = _subborrow_u64(b, t3, BT_P3, &s3);
        b = _subborrow_u64(b, t4, 0, &s4);
        if (b) break;
        t0 = s0; t1 = s1; t2 = s2; t3 = s3; t4 = s4;
    }
    r[0] = t0; r[1] = t1; r[2] = t2; r[3] = t3;
}
/* r := 9 a + s * b with s = +1 or -1 (a, b canonical). */
static inline void bt_fp_9a_pm_b(uint64_t r[4], const uint64_t a[4], const uint64_t b[4], int neg) {
    unsigned long long t0, t1, t2, t3, t4, u0, u1, u2, u3;
    unsigned char c;
    /* 8a */
    u0 = a[0] << 3; u1 = (a[1] << 3) | (a[0] >> 61); u2 = (a[2] << 3) | (a[1] >> 61);
    u3 = (a[3] << 3) | (a[2] >> 61); t4 = a[3] >> 61;
    c = _addcarry_u64(0, u0, a[0], &t0);
    c = _addcarry_u64(c, u1, a[1], &t1);
    c = _addcarry_u64(c, u2, a[2], &t2);
    c = _addcarry_u64(c, u3, a[3], &t3);
    t4 += c;
    if (neg) { /* + (p - b), in (0, p] */
        unsigned long long n0, n1, n2, n3;
        c = _subborrow_u64(0, BT_P0, b[0], &n0);
        c = _subborrow_u64(c, BT_P1, b[1], &n1);
        c = _subborrow_u64(c, BT_P2, b[2], &n2);
        (void)_subborrow_u64(c, BT_P3, b[3], &n3);
        c = _addcarry_u64(0, t0, n0, &t0);
        c = _addcarry_u64(c, t1, n1, &t1);
        c = _addcarry_u64(c, t2, n2, &t2);
        c = _addcarry_u64(c, t3, n3, &t3);
    } else {
        c = _addcarry_u64(0, t0, b[0], &t0);
        c = _addcarry_u64(c, t1, b[1], &t1);
        c = _addcarry_u64(c, t2, b[2], &t2);
        c = _addcarry_u64(c, t3, b[3], &t3);
    }
    t4 += c;
    bt_fp_reduce_small(r, t0, t1, t2, t3, t4);
}
static inline void bt_fq2_mul_xi(uint64_t r[8], const uint64_t a[8]) {
    uint64_t c0[4];
    bt_fp_9a_pm_b(c0, a, a + 4, 1);
    bt_fp_9a_pm_b(r + 4, a + 4, a, 0);
    bn_copy(r, c0);
}
#define BT_FAST_FQ 1
#else
static inline void bt_fp_add(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) { bn_add(&BN_FQ, r, a, b); }
static inline void bt_fp_sub(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) { bn_sub(&BN_FQ, r, a, b); }
static inline void bt_fq2_mul_xi(uint64_t r[8], const uint64_t a[8]) { bn_fq2_mul_xi(r, a); }
#endif
/* r := a b / 2^256 mod p: bn_mul_at's result, with the ADX multiply inlined
 * into the tower code (bn_mul_at itself is too large for the compiler to
 * inline, and a call per multiply cost half the time). */
#if defined(__GNUC__) || defined(__clang__)
#define BT_FLATTEN __attribute__((flatten)) /* inline the ADX multiply */
#else
#define BT_FLATTEN
#endif
static __attribute__((noinline)) void bt_fp_mul_portable(uint64_t r[4], const uint64_t a[4],
                                                         const uint64_t b[4]) {
    bn_mul_portable(&BN_FQ, r, a, b);
}
static inline __attribute__((always_inline)) void bt_fp_mul(int be, uint64_t r[4], const uint64_t a[4],
                                                            const uint64_t b[4]) {
#if BN_HAVE_ADX_ASM
    if (__builtin_expect(be != BN_BACKEND_PORTABLE, 1)) { bn_mul_adx_raw(BN_FQ.p, r, a, b); return; }
#else
    (void)be;
#endif
    bt_fp_mul_portable(r, a, b);
}

/* r := a + b without reduction, for a, b < 2p: r < 4p < 2^256.  Only for the
 * first operand of a multiply (bn_mul_at takes any 256-bit a when b < p). */
static inline void bt_fp_add_nr(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
#if BT_FAST_FQ
    unsigned char c;
    c = _addcarry_u64(0, a[0], b[0], (unsigned long long *)&r[0]);
    c = _addcarry_u64(c, a[1], b[1], (unsigned long long *)&r[1]);
    c = _addcarry_u64(c, a[2], b[2], (unsigned long long *)&r[2]);
    (void)_addcarry_u64(c, a[3], b[3], (unsigned long long *)&r[3]);
#else
    uint64_t c = 0;
    bn_u128 s;
    int i;
    for (i = 0; i < 4; i++) {
        s = (bn_u128)a[i] + b[i] + c;
        r[i] = (uint64_t)s;
        c = (uint64_t)(s >> 64);
    }
#endif
}
static inline void bt_fq2_add_nr(uint64_t r[8], const uint64_t a[8], const uint64_t b[8]) {
    bt_fp_add_nr(r, a, b); bt_fp_add_nr(r + 4, a + 4, b + 4);
}
static inline void bt_fq2_add(uint64_t r[8], const uint64_t a[8], const uint64_t b[8]) {
    bt_fp_add(r, a, b); bt_fp_add(r + 4, a + 4, b + 4);
}
static inline void bt_fq2_sub(uint64_t r[8], const uint64_t a[8], const uint64_t b[8]) {
    bt_fp_sub(r, a, b); bt_fp_sub(r + 4, a + 4, b + 4);
}
/* Karatsuba, as bn_fq2_mul_at (same canonical result).  b canonical; the halves
 * of a may be unreduced below 2p (a's sum, below 4p, only enters as a first
 * multiply operand). */
static inline BT_FLATTEN void bt_fq2_mul(int be, uint64_t r[8], const uint64_t a[8], const uint64_t b[8]) {
    uint64_t v0[4], v1[4], sa[4], sb[4], m[4];
    bt_fp_mul(be, v0, a, b);
    bt_fp_mul(be, v1, a + 4, b + 4);
    bt_fp_add_nr(sa, a, a + 4);
    bt_fp_add(sb, b, b + 4);
    bt_fp_mul(be, m, sa, sb);
    bt_fp_sub(m, m, v0);
    bt_fp_sub(r + 4, m, v1);
    bt_fp_sub(r, v0, v1);
}
/* Complex squaring, as bn_fq2_sqr_at. */
static inline BT_FLATTEN void bt_fq2_sqr(int be, uint64_t r[8], const uint64_t a[8]) {
    uint64_t s[4], d[4], m[4];
    bt_fp_add_nr(s, a, a + 4);  /* first operand only: < 2p suffices */
    bt_fp_sub(d, a, a + 4);
    bt_fp_mul(be, m, a, a + 4);
    bt_fp_mul(be, r, s, d);
    bt_fp_add(r + 4, m, m);
}

/* r := a * s for s in Fq, as bn_fq2_mul_fq_at. */
static inline BT_FLATTEN void bt_fq2_mul_fq(int be, uint64_t r[8], const uint64_t a[8], const uint64_t s[4]) {
    bt_fp_mul(be, r, a, s);
    bt_fp_mul(be, r + 4, a + 4, s);
}

#define BT_FQ6_LIMBS 24
#define BT_FQ12_LIMBS 48

/* Frobenius constants (Montgomery form, Fq2 c0 then c1), derived from xi and
 * checked against Python ints in tests/native/test_pairing.py. */
/* gamma_1[k] = xi^(k(q^1-1)/6), k = 1..5 */
static const uint64_t BT_FROB1[5][8] = {
    {0xaf9ba69633144907ULL, 0xca6b1d7387afb78aULL, 0x11bded5ef08a2087ULL, 0x02f34d751a1f3a7cULL,
     0xa222ae234c492d72ULL, 0xd00f02a4565de15bULL, 0xdc2ff3a253dfc926ULL, 0x10a75716b3899551ULL},
    {0xb5773b104563ab30ULL, 0x347f91c8a9aa6454ULL, 0x7a007127242e0991ULL, 0x1956bcd8118214ecULL,
     0x6e849f1ea0aa4757ULL, 0xaa1c7b6d89f89141ULL, 0xb6e713cdfae0ca3aULL, 0x26694fbb4e82ebc3ULL},
    {0xe4bbdd0c2936b629ULL, 0xbb30f162e133bacbULL, 0x31a9d1b6f9645366ULL, 0x253570bea500f8ddULL,
     0xa1d77ce45ffe77c7ULL, 0x07affd117826d1dbULL, 0x6d16bd27bb7edc6bULL, 0x2c87200285defeccULL},
    {0x7361d77f843abe92ULL, 0xa5bb2bd3273411fbULL, 0x9c941f314b3e2399ULL, 0x15df9cddbb9fd3ecULL,
     0x5dddfd154bd8c949ULL, 0x62cb29a5a4445b60ULL, 0x37bc870a0c7dd2b9ULL, 0x24830a9d3171f0fdULL},
    {0xc970692f41690fe7ULL, 0xe240342127694b0bULL, 0x32bee66b83c459e8ULL, 0x12aabced0ab08841ULL,
     0x0d485d2340aebfa9ULL, 0x05193418ab2fcc57ULL, 0xd3b0a40b8a4910f5ULL, 0x2f21ebb535d2925aULL},
};
/* gamma_2[k] = xi^(k(q^2-1)/6), k = 1..5 */
static const uint64_t BT_FROB2[5][8] = {
    {0xca8d800500fa1bf2ULL, 0xf0c5d61468b39769ULL, 0x0e201271ad0d4418ULL, 0x04290f65bad856e6ULL,
     0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL},
    {0x3350c88e13e80b9cULL, 0x7dce557cdb5e56b9ULL, 0x6001b4b8b615564aULL, 0x2682e617020217e0ULL,
     0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL},
    {0x68c3488912edefaaULL, 0x8d087f6872aabf4fULL, 0x51e1a24709081231ULL, 0x2259d6b14729c0faULL,
     0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL},
    {0x71930c11d782e155ULL, 0xa6bb947cffbe3323ULL, 0xaa303344d4741444ULL, 0x2c3b3f0d26594943ULL,
     0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL},
    {0x08cfc388c494f1abULL, 0x19b315148d1373d4ULL, 0x584e90fdcb6c0213ULL, 0x09e1685bdf2f8849ULL,
     0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL},
};
/* gamma_3[k] = xi^(k(q^3-1)/6), k = 1..5 */
static const uint64_t BT_FROB3[5][8] = {
    {0x365316184e46d97dULL, 0x0af7129ed4c96d9fULL, 0x659da72fca1009b5ULL, 0x08116d8983a20d23ULL,
     0xb1df4af7c39c1939ULL, 0x3d9f02878a73bf7fULL, 0x9b2220928caf0ae0ULL, 0x26684515eff054a6ULL},
    {0xc9af22f716ad6badULL, 0xb311782a4aa662b2ULL, 0x19eeaf64e248c7f4ULL, 0x20273e77e3439f82ULL,
     0xacc02860f7ce93acULL, 0x3933d5817ba76b4cULL, 0x69e6188b446c8467ULL, 0x0a46036d4417cc55ULL},
    {0x5764af0aaf46471eULL, 0xdc50792e873e0fc1ULL, 0x86a673ff881d04f6ULL, 0x0b2eddb43c30a74cULL,
     0x9a490f32787e8580ULL, 0x8fd16d7ff04af8b1ULL, 0x4b39888ec6027bf2ULL, 0x03dd2e705b52a15dULL},
    {0x448a93a57b6762dfULL, 0xbfd62df528fdeadfULL, 0xd858f5d00e9bd47aULL, 0x06b03d4d3476ec58ULL,
     0x2b19daf4bcc936d1ULL, 0xa1a54e7a56f4299fULL, 0xb533eee05adeaef1ULL, 0x170c812b84dda0b2ULL},
    {0xe0bc4b2275cf559fULL, 0xc238b945c154e60fULL, 0x803982a5929a7d5eULL, 0x15ce052df7e4a37eULL,
     0x2d28efbdbf3799a7ULL, 0x9b097e3c1ad60773ULL, 0x982d4113af4a535bULL, 0x24e18991e3056063ULL},
};

/* ------------------------------------------------------------------ Fq6 */

static inline void bt_fq6_add(uint64_t r[24], const uint64_t a[24], const uint64_t b[24]) {
    bt_fq2_add(r, a, b); bt_fq2_add(r + 8, a + 8, b + 8); bt_fq2_add(r + 16, a + 16, b + 16);
}
static inline void bt_fq6_sub(uint64_t r[24], const uint64_t a[24], const uint64_t b[24]) {
    bt_fq2_sub(r, a, b); bt_fq2_sub(r + 8, a + 8, b + 8); bt_fq2_sub(r + 16, a + 16, b + 16);
}
static inline void bt_fq6_neg(uint64_t r[24], const uint64_t a[24]) {
    bn_fq2_neg(r, a); bn_fq2_neg(r + 8, a + 8); bn_fq2_neg(r + 16, a + 16);
}
static inline int bt_fq6_is_zero(const uint64_t a[24]) {
    return bn_fq2_is_zero(a) && bn_fq2_is_zero(a + 8) && bn_fq2_is_zero(a + 16);
}

/* r := a * v = (xi a2, a0, a1). */
static inline void bt_fq6_mul_v(uint64_t r[24], const uint64_t a[24]) {
    uint64_t t[8];
    bt_fq2_mul_xi(t, a + 16);
    bn_fq2_copy(r + 16, a + 8);
    bn_fq2_copy(r + 8, a);
    bn_fq2_copy(r, t);
}

/* Karatsuba over three coefficients: 6 Fq2 multiplies. */
static inline void bt_fq6_mul(int be, uint64_t r[24], const uint64_t a[24], const uint64_t b[24]) {
    uint64_t t0[8], t1[8], t2[8], s[8], u[8], c0[8], c1[8], c2[8];
    bt_fq2_mul(be, t0, a, b);
    bt_fq2_mul(be, t1, a + 8, b + 8);
    bt_fq2_mul(be, t2, a + 16, b + 16);
    bt_fq2_add_nr(s, a + 8, a + 16); bt_fq2_add(u, b + 8, b + 16);
    bt_fq2_mul(be, c0, s, u); bt_fq2_sub(c0, c0, t1); bt_fq2_sub(c0, c0, t2);
    bt_fq2_mul_xi(c0, c0); bt_fq2_add(c0, c0, t0);
    bt_fq2_add_nr(s, a, a + 8); bt_fq2_add(u, b, b + 8);
    bt_fq2_mul(be, c1, s, u); bt_fq2_sub(c1, c1, t0); bt_fq2_sub(c1, c1, t1);
    bt_fq2_mul_xi(s, t2); bt_fq2_add(c1, c1, s);
    bt_fq2_add_nr(s, a, a + 16); bt_fq2_add(u, b, b + 16);
    bt_fq2_mul(be, c2, s, u); bt_fq2_sub(c2, c2, t0); bt_fq2_sub(c2, c2, t2);
    bt_fq2_add(c2, c2, t1);
    bn_fq2_copy(r, c0); bn_fq2_copy(r + 8, c1); bn_fq2_copy(r + 16, c2);
}

/* CH-SQR2 (Chung-Hasan): 2 Fq2 multiplies and 3 squarings. */
static inline void bt_fq6_sqr(int be, uint64_t r[24], const uint64_t a[24]) {
    uint64_t s0[8], s1[8], s2[8], s3[8], s4[8], t[8];
    bt_fq2_sqr(be, s0, a);
    bt_fq2_mul(be, s1, a, a + 8); bt_fq2_add(s1, s1, s1);
    bt_fq2_sub(t, a, a + 8); bt_fq2_add(t, t, a + 16); bt_fq2_sqr(be, s2, t);
    bt_fq2_mul(be, s3, a + 8, a + 16); bt_fq2_add(s3, s3, s3);
    bt_fq2_sqr(be, s4, a + 16);
    bt_fq2_mul_xi(t, s3); bt_fq2_add(r, t, s0);              /* c0 = xi s3 + s0 */
    bt_fq2_add(t, s1, s2); bt_fq2_add(t, t, s3);             /* s1 + s2 + s3 */
    bt_fq2_sub(t, t, s0); bt_fq2_sub(r + 16, t, s4);         /* c2 = s1 + s2 + s3 - s0 - s4 */
    bt_fq2_mul_xi(t, s4); bt_fq2_add(r + 8, s1, t);          /* c1 = s1 + xi s4 */
}

/* r := a * (b0 + b1 v): 5 Fq2 multiplies (the sparse factor of a line). */
static inline void bt_fq6_mul_01(int be, uint64_t r[24], const uint64_t a[24], const uint64_t b0[8],
                                 const uint64_t b1[8]) {
    uint64_t t0[8], t1[8], c0[8], c1[8], c2[8], s[8], u[8];
    bt_fq2_mul(be, t0, a, b0);
    bt_fq2_mul(be, t1, a + 8, b1);
    bt_fq2_mul(be, c0, a + 16, b1); bt_fq2_mul_xi(c0, c0); bt_fq2_add(c0, c0, t0);
    bt_fq2_add_nr(s, a, a + 8); bt_fq2_add(u, b0, b1);
    bt_fq2_mul(be, c1, s, u); bt_fq2_sub(c1, c1, t0); bt_fq2_sub(c1, c1, t1);
    bt_fq2_mul(be, c2, a + 16, b0); bt_fq2_add(c2, c2, t1);
    bn_fq2_copy(r, c0); bn_fq2_copy(r + 8, c1); bn_fq2_copy(r + 16, c2);
}

/* r := a * s for s in Fq2. */
static inline void bt_fq6_mul_fq2(int be, uint64_t r[24], const uint64_t a[24], const uint64_t s[8]) {
    bt_fq2_mul(be, r, a, s); bt_fq2_mul(be, r + 8, a + 8, s); bt_fq2_mul(be, r + 16, a + 16, s);
}

/* 1/a (a = 0 gives 0). */
static inline void bt_fq6_inv(int be, uint64_t r[24], const uint64_t a[24]) {
    uint64_t c0[8], c1[8], c2[8], t[8], n[8];
    bt_fq2_sqr(be, c0, a); bt_fq2_mul(be, t, a + 8, a + 16); bt_fq2_mul_xi(t, t);
    bt_fq2_sub(c0, c0, t);                                     /* a0^2 - xi a1 a2 */
    bt_fq2_sqr(be, c1, a + 16); bt_fq2_mul_xi(c1, c1); bt_fq2_mul(be, t, a, a + 8);
    bt_fq2_sub(c1, c1, t);                                     /* xi a2^2 - a0 a1 */
    bt_fq2_sqr(be, c2, a + 8); bt_fq2_mul(be, t, a, a + 16);
    bt_fq2_sub(c2, c2, t);                                     /* a1^2 - a0 a2 */
    bt_fq2_mul(be, n, a + 16, c1); bt_fq2_mul(be, t, a + 8, c2); bt_fq2_add(n, n, t);
    bt_fq2_mul_xi(n, n); bt_fq2_mul(be, t, a, c0); bt_fq2_add(n, n, t);
    bn_fq2_inv_at(be, n, n);
    bt_fq2_mul(be, r, c0, n); bt_fq2_mul(be, r + 8, c1, n); bt_fq2_mul(be, r + 16, c2, n);
}

/* ------------------------------------------------------------------ Fq12 */

static inline void bt_fq12_set_one(uint64_t r[48]) {
    memset(r, 0, 48 * 8);
    bn_fq2_set_one(r);
}
static inline int bt_fq12_eq(const uint64_t a[48], const uint64_t b[48]) {
    return memcmp(a, b, 48 * 8) == 0; /* canonical limbs */
}
static inline int bt_fq12_is_one(const uint64_t a[48]) {
    uint64_t one[48];
    bt_fq12_set_one(one);
    return bt_fq12_eq(a, one);
}

/* a^(q^6): c0 - c1 w (the inverse on the cyclotomic subgroup). */
static inline void bt_fq12_conj(uint64_t r[48], const uint64_t a[48]) {
    if (r != a) memcpy(r, a, 24 * 8);
    bt_fq6_neg(r + 24, a + 24);
}

/* Karatsuba: 3 Fq6 multiplies. */
static inline void bt_fq12_mul(int be, uint64_t r[48], const uint64_t a[48], const uint64_t b[48]) {
    uint64_t t0[24], t1[24], s[24], u[24];
    bt_fq6_mul(be, t0, a, b);
    bt_fq6_mul(be, t1, a + 24, b + 24);
    bt_fq6_add(s, a, a + 24); bt_fq6_add(u, b, b + 24);
    bt_fq6_mul(be, s, s, u); bt_fq6_sub(s, s, t0); bt_fq6_sub(r + 24, s, t1);
    bt_fq6_mul_v(t1, t1); bt_fq6_add(r, t0, t1);
}

/* Complex squaring: 2 Fq6 multiplies. */
static inline void bt_fq12_sqr(int be, uint64_t r[48], const uint64_t a[48]) {
    uint64_t t[24], s[24], u[24];
    bt_fq6_mul(be, t, a, a + 24);                 /* a0 a1 */
    bt_fq6_add(s, a, a + 24);
    bt_fq6_mul_v(u, a + 24); bt_fq6_add(u, u, a); /* a0 + v a1 */
    bt_fq6_mul(be, s, s, u);
    bt_fq6_sub(s, s, t); bt_fq6_mul_v(u, t); bt_fq6_sub(r, s, u);
    bt_fq6_add(r + 24, t, t);
}

/* 1/a = (a0 - a1 w)/(a0^2 - v a1^2) (a = 0 gives 0). */
static inline void bt_fq12_inv(int be, uint64_t r[48], const uint64_t a[48]) {
    uint64_t t0[24], t1[24];
    bt_fq6_sqr(be, t0, a);
    bt_fq6_sqr(be, t1, a + 24); bt_fq6_mul_v(t1, t1);
    bt_fq6_sub(t0, t0, t1);
    bt_fq6_inv(be, t0, t0);
    bt_fq6_mul(be, r, a, t0);
    bt_fq6_mul(be, r + 24, a + 24, t0); bt_fq6_neg(r + 24, r + 24);
}

/* r := f * (l0 + l1 w + l3 w^3), the shape of every line of the Miller loop
 * (D-type twist): 13 Fq2 multiplies instead of 18. */
static inline void bt_fq12_mul_line(int be, uint64_t f[48], const uint64_t l0[8], const uint64_t l1[8],
                                    const uint64_t l3[8]) {
    uint64_t t0[24], t1[24], s[24], m[8];
    bt_fq6_mul_fq2(be, t0, f, l0);               /* f0 * l0 */
    bt_fq6_mul_01(be, t1, f + 24, l1, l3);       /* f1 * (l1 + l3 v) */
    bt_fq6_add(s, f, f + 24);
    bt_fq2_add(m, l0, l1);
    bt_fq6_mul_01(be, s, s, m, l3);
    bt_fq6_sub(s, s, t0); bt_fq6_sub(f + 24, s, t1);
    bt_fq6_mul_v(t1, t1); bt_fq6_add(f, t0, t1);
}

/* Granger-Scott squaring, valid only on the cyclotomic subgroup (after the
 * easy part of the final exponentiation): Fq12 seen as Fq4^3 with
 * Fq4 = Fq2[s]/(s^2 - xi), s = w^3. */
static inline void bt_fq4_sqr(int be, uint64_t c0[8], uint64_t c1[8], const uint64_t a[8],
                              const uint64_t b[8]) {
    uint64_t t0[8], t1[8], s[8];
    bt_fq2_sqr(be, t0, a);
    bt_fq2_sqr(be, t1, b);
    bt_fq2_add(s, a, b); bt_fq2_sqr(be, s, s);
    bt_fq2_sub(s, s, t0); bt_fq2_sub(c1, s, t1);
    bt_fq2_mul_xi(t1, t1); bt_fq2_add(c0, t1, t0);
}

static inline void bt_fq12_cyclo_sqr(int be, uint64_t r[48], const uint64_t a[48]) {
    uint64_t z0[8], z1[8], z2[8], z3[8], z4[8], z5[8], t0[8], t1[8], t2[8], t3[8];
    bn_fq2_copy(z0, a); bn_fq2_copy(z4, a + 8); bn_fq2_copy(z3, a + 16);
    bn_fq2_copy(z2, a + 24); bn_fq2_copy(z1, a + 32); bn_fq2_copy(z5, a + 40);
    bt_fq4_sqr(be, t0, t1, z0, z1);
    bt_fq2_sub(z0, t0, z0); bt_fq2_add(z0, z0, z0); bt_fq2_add(z0, z0, t0);
    bt_fq2_add(z1, t1, z1); bt_fq2_add(z1, z1, z1); bt_fq2_add(z1, z1, t1);
    bt_fq4_sqr(be, t0, t1, z2, z3);
    bt_fq4_sqr(be, t2, t3, z4, z5);
    bt_fq2_sub(z4, t0, z4); bt_fq2_add(z4, z4, z4); bt_fq2_add(z4, z4, t0);
    bt_fq2_add(z5, t1, z5); bt_fq2_add(z5, z5, z5); bt_fq2_add(z5, z5, t1);
    bt_fq2_mul_xi(t0, t3);
    bt_fq2_add(z2, t0, z2); bt_fq2_add(z2, z2, z2); bt_fq2_add(z2, z2, t0);
    bt_fq2_sub(z3, t2, z3); bt_fq2_add(z3, z3, z3); bt_fq2_add(z3, z3, t2);
    bn_fq2_copy(r, z0); bn_fq2_copy(r + 8, z4); bn_fq2_copy(r + 16, z3);
    bn_fq2_copy(r + 24, z2); bn_fq2_copy(r + 32, z1); bn_fq2_copy(r + 40, z5);
}

/* r := a^(q^n), n in 1..3: a_k w^k -> frob_Fq2^n(a_k) gamma_n[k] w^k.
 * The coefficient of w^k sits at limb offset 24*(k%2) + 8*(k/2). */
static inline void bt_fq12_frob(int be, uint64_t r[48], const uint64_t a[48], int n) {
    const uint64_t (*g)[8] = n == 1 ? BT_FROB1 : n == 2 ? BT_FROB2 : BT_FROB3;
    uint64_t t[8];
    int k, off;
    for (k = 0; k < 6; k++) {
        off = 24 * (k % 2) + 8 * (k / 2);
        if (n & 1) bn_fq2_conj(t, a + off); else bn_fq2_copy(t, a + off);
        if (k) bt_fq2_mul(be, t, t, g[k - 1]);
        bn_fq2_copy(r + off, t);
    }
}

#endif /* POUW_BN254_TOWER_H */
