/* bn254_curve.h -- the groups G1 and G2 of BN254 (alt_bn128).
 *
 *   G1: y^2 = x^3 + 3 over Fq.  Its order is the prime r: the cofactor is 1,
 *       so every point on the curve is in the subgroup (no subgroup check).
 *   G2: y^2 = x^3 + 3/(9+u) over Fq2 (the sextic D-twist).  Its order is
 *       r * h with a large cofactor h, so untrusted points need a subgroup
 *       check (bc_in_subgroup: [r]P == O).
 *
 * One implementation for both groups, parameterised by a context (bc_ctx):
 * the coordinate field's degree (1: Fq, 2: Fq2), its width W in limbs (4 or
 * 8) and the multiply backend (field.pxd: backend_code()).  The point
 * formulas (bc_dbl, bc_add, bc_madd) are compiled once per degree with the
 * context constant (bc_dbl_g1, ...), every field operation inlined.
 *
 * Layouts (uint64 limbs, field elements in Montgomery form, canonical):
 *   affine   [x(W), y(W)]          2W limbs; the point at infinity is all zero
 *                                  ((0, 0) is on neither curve: 0 != b).
 *   Jacobian [X(W), Y(W), Z(W)]    3W limbs; x = X/Z^2, y = Y/Z^3; infinity
 *                                  is any Z = 0 (written as (1, 1, 0)).
 * Formulas are the a = 0 ones of the Explicit-Formulas Database (dbl-2009-l,
 * add-2007-bl, madd-2007-bl), with the exceptional cases (P == Q, P == -Q,
 * infinity) handled by branches.
 *
 * NOT constant time: branches and the wNAF digit sequence depend on the
 * scalar and the points.  Fine for public data (verification, proving keys,
 * MSM over public bases); do not use with secret scalars.
 *
 * Outputs may alias inputs unless a comment says otherwise.  Nothing here
 * allocates (batch functions take caller scratch), touches Python or fails:
 * every function may run without the GIL.
 */
#ifndef POUW_BN254_CURVE_H
#define POUW_BN254_CURVE_H

#include "bn254_field.h"
#include "bn254_fq2.h"

enum { BC_G1 = 1, BC_G2 = 2 };
#define BC_MAXW 8           /* limbs of a coordinate, at most (Fq2) */
#define BC_WNAF_W 5         /* window of the signed-digit scalar multiply */
#define BC_WNAF_TABLE (1 << (BC_WNAF_W - 2)) /* odd multiples P, 3P, .., 15P */
#define BC_MAX_DIGITS 260   /* a 256-bit scalar has at most 257 wNAF digits */

/* b of each curve, Montgomery form: 3 and 3/(9+u). */
static const uint64_t BC_B1[4] = {0x7a17caa950ad28d7ULL, 0x1f6ac17ae15521b9ULL, 0x334bea4e696bd284ULL,
                                  0x2a1f6744ce179d8eULL};
static const uint64_t BC_B2[8] = {0x3bf938e377b802a8ULL, 0x020b1b273633535dULL, 0x26b7edf049755260ULL,
                                  0x2514c6324384a86dULL, 0x38e7ecccd1dcff67ULL, 0x65f0b37d93ce0d3eULL,
                                  0xd749d0dd22ac00aaULL, 0x0141b9ce4a688d4dULL};

typedef struct bc_ctx {
    int deg;           /* 1: G1 over Fq, 2: G2 over Fq2 */
    int w;             /* limbs per coordinate: 4 * deg */
    int be;            /* field multiply backend */
    const uint64_t *b; /* the curve constant, w limbs */
} bc_ctx;

static inline bc_ctx bc_make(int group, int be) {
    bc_ctx c;
    c.deg = group == BC_G2 ? 2 : 1;
    c.w = 4 * c.deg;
    c.be = be;
    c.b = group == BC_G2 ? BC_B2 : BC_B1;
    return c;
}

/* ------------------------------------------------------------------ field ops on w limbs
 * Forced inline, and the point formulas below are flattened (every field
 * operation inlined into them): left to the compiler's heuristics, the
 * multiply and even add/sub stayed calls, which cost a third of a doubling. */
#if defined(__GNUC__) || defined(__clang__)
#define BC_ALWAYS_INLINE __attribute__((always_inline))
#define BC_FLATTEN __attribute__((flatten))
#else
#define BC_ALWAYS_INLINE
#define BC_FLATTEN
#endif

static inline BC_ALWAYS_INLINE int bc_f_is_zero(const bc_ctx *c, const uint64_t *a) {
    return c->deg == 1 ? bn_is_zero(a) : bn_fq2_is_zero(a);
}
static inline BC_ALWAYS_INLINE int bc_f_eq(const bc_ctx *c, const uint64_t *a, const uint64_t *b) {
    return c->deg == 1 ? bn_eq(a, b) : bn_fq2_eq(a, b);
}
static inline BC_ALWAYS_INLINE void bc_f_copy(const bc_ctx *c, uint64_t *r, const uint64_t *a) {
    memmove(r, a, 8 * (size_t)c->w);
}
static inline BC_ALWAYS_INLINE void bc_f_one(const bc_ctx *c, uint64_t *r) {
    memset(r, 0, 8 * (size_t)c->w);
    bn_copy(r, BN_FQ.one);
}
static inline BC_ALWAYS_INLINE void bc_f_add(const bc_ctx *c, uint64_t *r, const uint64_t *a, const uint64_t *b) {
    bn_fq_add_fast(r, a, b);
    if (c->deg == 2) bn_fq_add_fast(r + 4, a + 4, b + 4);
}
static inline BC_ALWAYS_INLINE void bc_f_sub(const bc_ctx *c, uint64_t *r, const uint64_t *a, const uint64_t *b) {
    bn_fq_sub_fast(r, a, b);
    if (c->deg == 2) bn_fq_sub_fast(r + 4, a + 4, b + 4);
}
static inline BC_ALWAYS_INLINE void bc_f_neg(const bc_ctx *c, uint64_t *r, const uint64_t *a) {
    bn_neg(&BN_FQ, r, a);
    if (c->deg == 2) bn_neg(&BN_FQ, r + 4, a + 4);
}
static inline BC_ALWAYS_INLINE void bc_f_mul(const bc_ctx *c, uint64_t *r, const uint64_t *a, const uint64_t *b) {
    if (c->deg == 1) bn_fq_mul_fast(c->be, r, a, b);
    else bn_fq2_mul_at(c->be, r, a, b);
}
static inline BC_ALWAYS_INLINE void bc_f_sqr(const bc_ctx *c, uint64_t *r, const uint64_t *a) {
    if (c->deg == 1) bn_fq_mul_fast(c->be, r, a, a);
    else bn_fq2_sqr_at(c->be, r, a);
}
/* Variable time (public points only): see bc_fq_inv_vartime. */
static inline void bc_f_inv(const bc_ctx *c, uint64_t *r, const uint64_t *a);

/* ------------------------------------------------------------------ variable-time inversion
 * bc_fq_inv_vartime: 1/a in Fq (Montgomery in, Montgomery out; 0 gives 0) by
 * the binary extended GCD with Pornin's batching ("Optimized Binary GCD for
 * Modular Inversion", eprint 2020/972): 31 steps at a time run on 64-bit
 * approximations of (a, b) -- the top 33 and the low 31 bits -- and record
 * update factors (f0, g0, f1, g1), |.| <= 2^31, which are then applied once to
 * the full values:  a' = (f0 a + g0 b) / 2^31,  b' = (f1 a + g1 b) / 2^31
 * (exact divisions: the low bits were exact), and to the cofactors u, v with
 * a = u x, b = v x (mod q) kept, dividing by 2^31 mod q Montgomery-style.
 * About 4x faster than Fermat's a^(q-2) here (~1.2 us vs ~4.9 us).
 *
 * NOT constant time: the number of rounds and the branches depend on a.  It
 * is used only on public data (point coordinates for the affine conversion
 * of public points); bn_inv_at (Fermat) remains the constant-sequence one.
 * The result is the unique inverse, so every backend agrees bit for bit. */
static inline int bc_u256_bitlen(const uint64_t a[4]) {
    int i;
    for (i = 3; i >= 0; i--)
        if (a[i]) return 64 * i + 64 - __builtin_clzll(a[i]);
    return 0;
}

/* bits [s, s + 64) of the 256-bit a (s >= 0; bits above 255 read as 0). */
static inline uint64_t bc_u256_bits64(const uint64_t a[4], int s) {
    int l = s >> 6, o = s & 63;
    uint64_t lo = l < 4 ? a[l] : 0, hi = l + 1 < 4 ? a[l + 1] : 0;
    return o ? (lo >> o) | (hi << (64 - o)) : lo;
}

/* r := |f a + g b| >> 31 for 0 <= a, b < 2^256 (f a + g b divisible by 2^31
 * and below 2^287 in magnitude); returns 1 when f a + g b < 0. */
static inline int bc_gcd_lin(uint64_t r[4], const uint64_t a[4], const uint64_t b[4], int64_t f,
                             int64_t g) {
    __extension__ typedef __int128 i128;
    uint64_t t[5];
    i128 acc = 0;
    int i, neg;
    for (i = 0; i < 4; i++) {
        acc += (i128)f * (i128)a[i] + (i128)g * (i128)b[i];
        t[i] = (uint64_t)acc;
        acc >>= 64; /* arithmetic: the signed carry */
    }
    t[4] = (uint64_t)acc;
    neg = (int64_t)t[4] < 0;
    if (neg) { /* two's complement negation of the 320-bit t */
        uint64_t c = 1;
        for (i = 0; i < 5; i++) {
            t[i] = ~t[i] + c;
            c = c && t[i] == 0;
        }
    }
    for (i = 0; i < 4; i++) r[i] = (t[i] >> 31) | (t[i + 1] << 33);
    return neg;
}

/* r := (f u + g v) / 2^31 mod q for u, v < q. */
static inline void bc_gcd_lin_mod(uint64_t r[4], const uint64_t u[4], const uint64_t v[4], int64_t f,
                                  int64_t g) {
    __extension__ typedef __int128 i128;
    const uint64_t *p = BN_FQ.p;
    uint64_t t[5], k;
    i128 acc = 0;
    int i;
    for (i = 0; i < 4; i++) {
        acc += (i128)f * (i128)u[i] + (i128)g * (i128)v[i];
        t[i] = (uint64_t)acc;
        acc >>= 64;
    }
    t[4] = (uint64_t)acc;
    /* + k q with k = -t / q mod 2^31 makes the low 31 bits zero */
    k = (t[0] * BN_FQ.pinv) & 0x7fffffffULL;
    acc = 0;
    for (i = 0; i < 4; i++) {
        acc += (i128)t[i] + (i128)((bn_u128)k * p[i]);
        t[i] = (uint64_t)acc;
        acc >>= 64;
    }
    t[4] += (uint64_t)acc;
    /* shift: |result| < 2^256 / 2^31 * 2^32 ... below 2^256 + q, signed in 5 limbs */
    {
        int64_t top = (int64_t)t[4] >> 31;
        uint64_t w[4];
        for (i = 0; i < 4; i++) w[i] = (t[i] >> 31) | (t[i + 1] << 33);
        /* (top, w) is the signed value; bring it into [0, q) */
        while (top < 0) { /* add q */
            uint64_t c = 0;
            for (i = 0; i < 4; i++) {
                bn_u128 s = (bn_u128)w[i] + p[i] + c;
                w[i] = (uint64_t)s;
                c = (uint64_t)(s >> 64);
            }
            top += (int64_t)c;
        }
        while (top > 0 || !bn_lt_p(&BN_FQ, w)) { /* subtract q */
            uint64_t bw = 0;
            for (i = 0; i < 4; i++) {
                bn_u128 d = (bn_u128)w[i] - p[i] - bw;
                w[i] = (uint64_t)d;
                bw = (uint64_t)(d >> 64) & 1;
            }
            top -= (int64_t)bw;
        }
        memcpy(r, w, 32);
    }
}

/* r := 1/x mod q for a plain (not Montgomery) x; 0 gives 0.  r may alias x. */
static inline void bc_fq_inv_plain_vartime(uint64_t r[4], const uint64_t x[4]) {
    uint64_t a[4], b[4], u[4] = {1, 0, 0, 0}, v[4] = {0, 0, 0, 0}, t[4];
    int rounds;
    memcpy(a, x, 32);
    memcpy(b, BN_FQ.p, 32);
    for (rounds = 0; rounds < 64 && !bn_is_zero(a); rounds++) {
        int la = bc_u256_bitlen(a), lb = bc_u256_bitlen(b), n = la > lb ? la : lb, i;
        uint64_t xa, xb;
        int64_t f0 = 1, g0 = 0, f1 = 0, g1 = 1;
        if (n <= 64) {
            xa = a[0];
            xb = b[0];
        } else { /* top 33 bits (at the common length) and the low 31 */
            xa = (bc_u256_bits64(a, n - 33) << 31) | (a[0] & 0x7fffffffULL);
            xb = (bc_u256_bits64(b, n - 33) << 31) | (b[0] & 0x7fffffffULL);
        }
        for (i = 0; i < 31; i++) { /* masks, not branches: the branches are coin flips */
            uint64_t odd = 0 - (xa & 1), sw = odd & (0 - (uint64_t)(xa < xb)), t0;
            t0 = (xa ^ xb) & sw; /* odd and a < b: swap the pairs */
            xa ^= t0;
            xb ^= t0;
            t0 = ((uint64_t)f0 ^ (uint64_t)f1) & sw;
            f0 = (int64_t)((uint64_t)f0 ^ t0);
            f1 = (int64_t)((uint64_t)f1 ^ t0);
            t0 = ((uint64_t)g0 ^ (uint64_t)g1) & sw;
            g0 = (int64_t)((uint64_t)g0 ^ t0);
            g1 = (int64_t)((uint64_t)g1 ^ t0);
            xa -= xb & odd; /* odd: a -= b */
            f0 -= (int64_t)((uint64_t)f1 & odd);
            g0 -= (int64_t)((uint64_t)g1 & odd);
            xa >>= 1;
            f1 = (int64_t)((uint64_t)f1 << 1);
            g1 = (int64_t)((uint64_t)g1 << 1);
        }
        if (bc_gcd_lin(t, a, b, f0, g0)) {
            f0 = -f0;
            g0 = -g0;
        }
        if (bc_gcd_lin(b, a, b, f1, g1)) {
            f1 = -f1;
            g1 = -g1;
        }
        memcpy(a, t, 32);
        bc_gcd_lin_mod(t, u, v, f0, g0);
        bc_gcd_lin_mod(v, u, v, f1, g1);
        memcpy(u, t, 32);
    }
    /* a = 0 and b = gcd(x, q) = 1 unless x = 0 (then b = q) */
    if (!bn_is_zero(a) || b[0] != 1 || (b[1] | b[2] | b[3])) {
        if (!bn_is_zero(a)) { /* not reached (the loop ends within 17 rounds); stay exact */
            uint64_t m[4];
            bn_to_mont_at(BN_BACKEND_PORTABLE, &BN_FQ, m, x);
            bn_inv_at(BN_BACKEND_PORTABLE, &BN_FQ, m, m);
            bn_from_mont_at(BN_BACKEND_PORTABLE, &BN_FQ, r, m);
            return;
        }
        memset(r, 0, 32);
        return;
    }
    memcpy(r, v, 32);
}

/* r := 1/a for a in Montgomery form (a R -> R / a); 0 gives 0.  r may alias a. */
static inline void bc_fq_inv_vartime(int be, uint64_t r[4], const uint64_t a[4]) {
    uint64_t t[4];
    bc_fq_inv_plain_vartime(t, a);                /* 1 / (a R) */
    bn_fq_mul_fast(be, t, t, BN_FQ.r2);           /* R / (a R) * R = 1/a ... times R */
    bn_fq_mul_fast(be, r, t, BN_FQ.r2);           /* R^2 / (a R) = R / a */
}

/* 1/a in Fq2: conj(a) / (a0^2 + a1^2), the norm inverted by bc_fq_inv_vartime. */
static inline void bc_fq2_inv_vartime(int be, uint64_t r[8], const uint64_t a[8]) {
    uint64_t t0[4], t1[4];
    bn_fq_mul_fast(be, t0, a, a);
    bn_fq_mul_fast(be, t1, a + 4, a + 4);
    bn_fq_add_fast(t0, t0, t1);
    bc_fq_inv_vartime(be, t1, t0);
    bn_fq_mul_fast(be, r, a, t1);
    bn_fq_mul_fast(be, r + 4, a + 4, t1);
    bn_neg(&BN_FQ, r + 4, r + 4);
}

static inline void bc_f_inv(const bc_ctx *c, uint64_t *r, const uint64_t *a) {
    if (c->deg == 1) bc_fq_inv_vartime(c->be, r, a);
    else bc_fq2_inv_vartime(c->be, r, a);
}

#define BC_X(c, P) (P)
#define BC_Y(c, P) ((P) + (c)->w)
#define BC_Z(c, P) ((P) + 2 * (c)->w)

/* ------------------------------------------------------------------ affine points */

static inline int bc_aff_is_inf(const bc_ctx *c, const uint64_t *a) {
    return bc_f_is_zero(c, a) && bc_f_is_zero(c, a + c->w);
}

/* 1 when a is the point at infinity or satisfies y^2 = x^3 + b. */
static inline int bc_aff_on_curve(const bc_ctx *c, const uint64_t *a) {
    uint64_t l[BC_MAXW], rr[BC_MAXW];
    if (bc_aff_is_inf(c, a)) return 1;
    bc_f_sqr(c, l, a + c->w);
    bc_f_sqr(c, rr, a);
    bc_f_mul(c, rr, rr, a);
    bc_f_add(c, rr, rr, c->b);
    return bc_f_eq(c, l, rr);
}

static inline void bc_aff_neg(const bc_ctx *c, uint64_t *r, const uint64_t *a) {
    bc_f_copy(c, r, a);
    bc_f_neg(c, r + c->w, a + c->w); /* -0 = 0 keeps infinity all zero */
}

/* ------------------------------------------------------------------ Jacobian points */

static inline int bc_is_inf(const bc_ctx *c, const uint64_t *P) { return bc_f_is_zero(c, BC_Z(c, P)); }

static inline void bc_set_inf(const bc_ctx *c, uint64_t *P) {
    bc_f_one(c, BC_X(c, P));
    bc_f_one(c, BC_Y(c, P));
    memset(BC_Z(c, P), 0, 8 * (size_t)c->w);
}

static inline void bc_copy(const bc_ctx *c, uint64_t *R, const uint64_t *P) {
    memmove(R, P, 24 * (size_t)c->w);
}

static inline void bc_from_affine(const bc_ctx *c, uint64_t *P, const uint64_t *a) {
    if (bc_aff_is_inf(c, a)) {
        bc_set_inf(c, P);
        return;
    }
    bc_f_copy(c, BC_X(c, P), a);
    bc_f_copy(c, BC_Y(c, P), a + c->w);
    bc_f_one(c, BC_Z(c, P));
}

static inline void bc_neg(const bc_ctx *c, uint64_t *R, const uint64_t *P) {
    bc_copy(c, R, P);
    bc_f_neg(c, BC_Y(c, R), BC_Y(c, P));
}

/* R := 2P (dbl-2009-l: 2M + 5S).  On G1, D = 4 X B by one multiply instead of
 * 2((X + B)^2 - A - C): 3M + 4S and two fewer additions, ~3% faster there (an
 * Fq square costs a multiply); on G2 an Fq2 square is cheaper than a multiply,
 * so the original form stays (~2% faster). */
static inline BC_ALWAYS_INLINE void bc_dbl_impl(const bc_ctx *c, uint64_t *R, const uint64_t *P) {
    uint64_t A[BC_MAXW], B[BC_MAXW], C[BC_MAXW], D[BC_MAXW], E[BC_MAXW], F[BC_MAXW], Z3[BC_MAXW];
    if (bc_is_inf(c, P)) {
        bc_copy(c, R, P);
        return;
    }
    bc_f_sqr(c, A, BC_X(c, P));
    bc_f_sqr(c, B, BC_Y(c, P));
    bc_f_sqr(c, C, B);
    if (c->deg == 1) { /* D = 4 X Y^2 */
        bc_f_mul(c, D, BC_X(c, P), B);
        bc_f_add(c, D, D, D);
        bc_f_add(c, D, D, D);
    } else { /* the same as 2((X + B)^2 - A - C): a square is cheaper in Fq2 */
        bc_f_add(c, D, BC_X(c, P), B);
        bc_f_sqr(c, D, D);
        bc_f_sub(c, D, D, A);
        bc_f_sub(c, D, D, C);
        bc_f_add(c, D, D, D);
    }
    bc_f_add(c, E, A, A);
    bc_f_add(c, E, E, A); /* E = 3 X^2 */
    bc_f_sqr(c, F, E);
    bc_f_mul(c, Z3, BC_Y(c, P), BC_Z(c, P));
    bc_f_add(c, BC_Z(c, R), Z3, Z3);
    bc_f_sub(c, BC_X(c, R), F, D);
    bc_f_sub(c, BC_X(c, R), BC_X(c, R), D);
    bc_f_sub(c, D, D, BC_X(c, R));
    bc_f_mul(c, D, E, D);
    bc_f_add(c, C, C, C);
    bc_f_add(c, C, C, C);
    bc_f_add(c, C, C, C);
    bc_f_sub(c, BC_Y(c, R), D, C);
}

/* bc_dbl per degree: compact, branch-free copies (constant context) called
 * from the generic entry point, instead of one body carrying both fields. */
static __attribute__((noinline)) BC_FLATTEN void bc_dbl_g1(int be, uint64_t *R, const uint64_t *P) {
    const bc_ctx c1 = {1, 4, be, BC_B1};
    bc_dbl_impl(&c1, R, P);
}
static __attribute__((noinline)) BC_FLATTEN void bc_dbl_g2(int be, uint64_t *R, const uint64_t *P) {
    const bc_ctx c2 = {2, 8, be, BC_B2};
    bc_dbl_impl(&c2, R, P);
}
static inline void bc_dbl(const bc_ctx *c, uint64_t *R, const uint64_t *P) {
    if (c->deg == 1) bc_dbl_g1(c->be, R, P);
    else bc_dbl_g2(c->be, R, P);
}

/* R := P + Q, both Jacobian (add-2007-bl: 11M + 5S); any inputs. */
static inline BC_ALWAYS_INLINE void bc_add_impl(const bc_ctx *c, uint64_t *R, const uint64_t *P, const uint64_t *Q) {
    uint64_t Z1Z1[BC_MAXW], Z2Z2[BC_MAXW], U1[BC_MAXW], U2[BC_MAXW], S1[BC_MAXW], S2[BC_MAXW];
    uint64_t H[BC_MAXW], I[BC_MAXW], J[BC_MAXW], r[BC_MAXW], V[BC_MAXW], t[BC_MAXW];
    if (bc_is_inf(c, P)) {
        bc_copy(c, R, Q);
        return;
    }
    if (bc_is_inf(c, Q)) {
        bc_copy(c, R, P);
        return;
    }
    bc_f_sqr(c, Z1Z1, BC_Z(c, P));
    bc_f_sqr(c, Z2Z2, BC_Z(c, Q));
    bc_f_mul(c, U1, BC_X(c, P), Z2Z2);
    bc_f_mul(c, U2, BC_X(c, Q), Z1Z1);
    bc_f_mul(c, S1, BC_Y(c, P), BC_Z(c, Q));
    bc_f_mul(c, S1, S1, Z2Z2);
    bc_f_mul(c, S2, BC_Y(c, Q), BC_Z(c, P));
    bc_f_mul(c, S2, S2, Z1Z1);
    bc_f_sub(c, H, U2, U1);
    bc_f_sub(c, r, S2, S1);
    if (bc_f_is_zero(c, H)) {
        if (bc_f_is_zero(c, r)) bc_dbl(c, R, P); /* P == Q */
        else bc_set_inf(c, R);                   /* P == -Q */
        return;
    }
    bc_f_add(c, r, r, r);
    bc_f_add(c, I, H, H);
    bc_f_sqr(c, I, I);
    bc_f_mul(c, J, H, I);
    bc_f_mul(c, V, U1, I);
    /* Z3 before X3/Y3 overwrite anything R may share with P or Q. */
    bc_f_add(c, t, BC_Z(c, P), BC_Z(c, Q));
    bc_f_sqr(c, t, t);
    bc_f_sub(c, t, t, Z1Z1);
    bc_f_sub(c, t, t, Z2Z2);
    bc_f_mul(c, BC_Z(c, R), t, H);
    bc_f_sqr(c, t, r);
    bc_f_sub(c, t, t, J);
    bc_f_sub(c, t, t, V);
    bc_f_sub(c, BC_X(c, R), t, V);
    bc_f_sub(c, t, V, BC_X(c, R));
    bc_f_mul(c, t, r, t);
    bc_f_mul(c, S1, S1, J);
    bc_f_add(c, S1, S1, S1);
    bc_f_sub(c, BC_Y(c, R), t, S1);
}

/* bc_add per degree: compact, branch-free copies (constant context) called
 * from the generic entry point, instead of one body carrying both fields. */
static __attribute__((noinline)) BC_FLATTEN void bc_add_g1(int be, uint64_t *R, const uint64_t *P, const uint64_t *Q) {
    const bc_ctx c1 = {1, 4, be, BC_B1};
    bc_add_impl(&c1, R, P, Q);
}
static __attribute__((noinline)) BC_FLATTEN void bc_add_g2(int be, uint64_t *R, const uint64_t *P, const uint64_t *Q) {
    const bc_ctx c2 = {2, 8, be, BC_B2};
    bc_add_impl(&c2, R, P, Q);
}
static inline void bc_add(const bc_ctx *c, uint64_t *R, const uint64_t *P, const uint64_t *Q) {
    if (c->deg == 1) bc_add_g1(c->be, R, P, Q);
    else bc_add_g2(c->be, R, P, Q);
}

/* R := P + a for Jacobian P and affine a (madd-2007-bl: 7M + 4S); any inputs. */
static inline BC_ALWAYS_INLINE void bc_madd_impl(const bc_ctx *c, uint64_t *R, const uint64_t *P, const uint64_t *a) {
    uint64_t Z1Z1[BC_MAXW], U2[BC_MAXW], S2[BC_MAXW], H[BC_MAXW], HH[BC_MAXW], I[BC_MAXW];
    uint64_t J[BC_MAXW], r[BC_MAXW], V[BC_MAXW], t[BC_MAXW], Y1[BC_MAXW];
    const uint64_t *x2 = a, *y2 = a + c->w;
    if (bc_aff_is_inf(c, a)) {
        bc_copy(c, R, P);
        return;
    }
    if (bc_is_inf(c, P)) {
        bc_from_affine(c, R, a);
        return;
    }
    bc_f_sqr(c, Z1Z1, BC_Z(c, P));
    bc_f_mul(c, U2, x2, Z1Z1);
    bc_f_mul(c, S2, y2, BC_Z(c, P));
    bc_f_mul(c, S2, S2, Z1Z1);
    bc_f_sub(c, H, U2, BC_X(c, P));
    bc_f_sub(c, r, S2, BC_Y(c, P));
    if (bc_f_is_zero(c, H)) {
        if (bc_f_is_zero(c, r)) bc_dbl(c, R, P);
        else bc_set_inf(c, R);
        return;
    }
    bc_f_add(c, r, r, r);
    bc_f_sqr(c, HH, H);
    bc_f_add(c, I, HH, HH);
    bc_f_add(c, I, I, I);
    bc_f_mul(c, J, H, I);
    bc_f_mul(c, V, BC_X(c, P), I);
    bc_f_copy(c, Y1, BC_Y(c, P));
    bc_f_add(c, t, BC_Z(c, P), H);
    bc_f_sqr(c, t, t);
    bc_f_sub(c, t, t, Z1Z1);
    bc_f_sub(c, BC_Z(c, R), t, HH);
    bc_f_sqr(c, t, r);
    bc_f_sub(c, t, t, J);
    bc_f_sub(c, t, t, V);
    bc_f_sub(c, BC_X(c, R), t, V);
    bc_f_sub(c, t, V, BC_X(c, R));
    bc_f_mul(c, t, r, t);
    bc_f_mul(c, Y1, Y1, J);
    bc_f_add(c, Y1, Y1, Y1);
    bc_f_sub(c, BC_Y(c, R), t, Y1);
}

/* bc_madd per degree: compact, branch-free copies (constant context) called
 * from the generic entry point, instead of one body carrying both fields. */
static __attribute__((noinline)) BC_FLATTEN void bc_madd_g1(int be, uint64_t *R, const uint64_t *P, const uint64_t *a) {
    const bc_ctx c1 = {1, 4, be, BC_B1};
    bc_madd_impl(&c1, R, P, a);
}
static __attribute__((noinline)) BC_FLATTEN void bc_madd_g2(int be, uint64_t *R, const uint64_t *P, const uint64_t *a) {
    const bc_ctx c2 = {2, 8, be, BC_B2};
    bc_madd_impl(&c2, R, P, a);
}
static inline void bc_madd(const bc_ctx *c, uint64_t *R, const uint64_t *P, const uint64_t *a) {
    if (c->deg == 1) bc_madd_g1(c->be, R, P, a);
    else bc_madd_g2(c->be, R, P, a);
}

/* 1 when P and Q are the same point (X1 Z2^2 = X2 Z1^2, Y1 Z2^3 = Y2 Z1^3). */
static inline int bc_eq(const bc_ctx *c, const uint64_t *P, const uint64_t *Q) {
    uint64_t z1[BC_MAXW], z2[BC_MAXW], a[BC_MAXW], b[BC_MAXW];
    int pi = bc_is_inf(c, P), qi = bc_is_inf(c, Q);
    if (pi || qi) return pi && qi;
    bc_f_sqr(c, z1, BC_Z(c, P));
    bc_f_sqr(c, z2, BC_Z(c, Q));
    bc_f_mul(c, a, BC_X(c, P), z2);
    bc_f_mul(c, b, BC_X(c, Q), z1);
    if (!bc_f_eq(c, a, b)) return 0;
    bc_f_mul(c, z1, z1, BC_Z(c, P));
    bc_f_mul(c, z2, z2, BC_Z(c, Q));
    bc_f_mul(c, a, BC_Y(c, P), z2);
    bc_f_mul(c, b, BC_Y(c, Q), z1);
    return bc_f_eq(c, a, b);
}

/* a := affine form of P (one inversion). */
static inline void bc_to_affine(const bc_ctx *c, uint64_t *a, const uint64_t *P) {
    uint64_t zi[BC_MAXW], zi2[BC_MAXW];
    if (bc_is_inf(c, P)) {
        memset(a, 0, 16 * (size_t)c->w);
        return;
    }
    bc_f_inv(c, zi, BC_Z(c, P));
    bc_f_sqr(c, zi2, zi);
    bc_f_mul(c, a, BC_X(c, P), zi2);
    bc_f_mul(c, zi2, zi2, zi);
    bc_f_mul(c, a + c->w, BC_Y(c, P), zi2);
}

/* aff[i] := affine form of jac[i] for n points with ONE inversion
 * (Montgomery's trick over the nonzero Z; infinity rows become all zero).
 * scratch: n * w limbs, owned by the caller.  aff must not overlap jac. */
static inline void bc_to_affine_batch(const bc_ctx *c, size_t n, uint64_t *aff, const uint64_t *jac,
                                      uint64_t *scratch) {
    uint64_t acc[BC_MAXW], inv[BC_MAXW], zi[BC_MAXW], zi2[BC_MAXW];
    const size_t w = (size_t)c->w;
    size_t i;
    int any = 0;
    bc_f_one(c, acc);
    for (i = 0; i < n; i++) { /* scratch[i] = product of the nonzero Z before i */
        const uint64_t *P = jac + 3 * w * i;
        bc_f_copy(c, scratch + w * i, acc);
        if (!bc_is_inf(c, P)) {
            bc_f_mul(c, acc, acc, BC_Z(c, P));
            any = 1;
        }
    }
    if (any) bc_f_inv(c, inv, acc); /* inv = 1 / (product of every nonzero Z) */
    for (i = n; i-- > 0;) {
        const uint64_t *P = jac + 3 * w * i;
        uint64_t *a = aff + 2 * w * i;
        if (bc_is_inf(c, P)) {
            memset(a, 0, 16 * w);
            continue;
        }
        bc_f_mul(c, zi, inv, scratch + w * i);  /* 1/Z_i */
        bc_f_mul(c, inv, inv, BC_Z(c, P));      /* drop Z_i from the running inverse */
        bc_f_sqr(c, zi2, zi);
        bc_f_mul(c, a, BC_X(c, P), zi2);
        bc_f_mul(c, zi2, zi2, zi);
        bc_f_mul(c, a + w, BC_Y(c, P), zi2);
    }
}

/* ------------------------------------------------------------------ scalar multiplication */

/* Width-w NAF of the 256-bit k (4 little-endian limbs): digits[i] odd in
 * (-2^(w-1), 2^(w-1)) or 0, k = sum digits[i] 2^i, no two nonzero digits within
 * w positions.  Returns the number of digits (0 for k = 0), at most 257. */
static inline int bc_wnaf(int8_t *digits, const uint64_t k[4], int w) {
    uint64_t t[5] = {k[0], k[1], k[2], k[3], 0};
    const int64_t full = (int64_t)1 << w, half = (int64_t)1 << (w - 1);
    int n = 0, i;
    while (t[0] | t[1] | t[2] | t[3] | t[4]) {
        int64_t d = 0;
        if (t[0] & 1) {
            d = (int64_t)(t[0] & (uint64_t)(full - 1));
            if (d >= half) d -= full;
            if (d > 0) { /* t -= d */
                uint64_t borrow = (uint64_t)d;
                for (i = 0; i < 5 && borrow; i++) {
                    uint64_t old = t[i];
                    t[i] = old - borrow;
                    borrow = old < borrow;
                }
            } else { /* t += -d */
                uint64_t carry = (uint64_t)(-d);
                for (i = 0; i < 5 && carry; i++) {
                    t[i] += carry;
                    carry = t[i] < carry;
                }
            }
        }
        digits[n++] = (int8_t)d;
        for (i = 0; i < 4; i++) t[i] = (t[i] >> 1) | (t[i + 1] << 63);
        t[4] >>= 1;
    }
    return n;
}

/* R := [k]P for Jacobian P and the 256-bit k as given (no reduction).  wNAF,
 * window BC_WNAF_W: ~256 doublings and ~43 additions from a table of 8 odd
 * multiples.  Any curve point (G2 subgroup checks rely on k not being
 * reduced).  R may alias P. */
static inline void bc_mul_wnaf(const bc_ctx *c, uint64_t *R, const uint64_t *P, const uint64_t k[4]) {
    uint64_t table[BC_WNAF_TABLE][3 * BC_MAXW], P2[3 * BC_MAXW], acc[3 * BC_MAXW], neg[3 * BC_MAXW];
    int8_t digits[BC_MAX_DIGITS];
    int n = bc_wnaf(digits, k, BC_WNAF_W), i;
    if (n == 0 || bc_is_inf(c, P)) {
        bc_set_inf(c, R);
        return;
    }
    bc_copy(c, table[0], P);
    bc_dbl(c, P2, P);
    for (i = 1; i < BC_WNAF_TABLE; i++) bc_add(c, table[i], table[i - 1], P2);
    bc_set_inf(c, acc);
    for (i = n - 1; i >= 0; i--) {
        int d = digits[i];
        bc_dbl(c, acc, acc);
        if (d > 0) {
            bc_add(c, acc, acc, table[d >> 1]);
        } else if (d < 0) {
            bc_neg(c, neg, table[(-d) >> 1]);
            bc_add(c, acc, acc, neg);
        }
    }
    bc_copy(c, R, acc);
}

/* The group order r as a plain integer. */
static const uint64_t BC_R[4] = {0x43e1f593f0000001ULL, 0x2833e84879b97091ULL, 0xb85045b68181585dULL,
                                 0x30644e72e131a029ULL};

/* ------------------------------------------------------------------ GLV (G1)
 * phi(x, y) = (beta x, y), beta a primitive cube root of unity in Fq, acts on
 * G1 as [lambda] with lambda^2 + lambda + 1 = 0 mod r:
 *   beta   = 0x59e26bcea0d48bacd4f263f1acdb5c4f5763473177fffffe
 *   lambda = 0xb3c4d79d41a917585bfc41088d8daaa78b17ea66b99c90dd
 * (curve.pyx re-derives both at import; tests check phi(G) == [lambda]G).
 * A scalar k (reduced mod r) splits as k = k1 + k2 lambda (mod r) over the
 * reduced lattice basis v1 = (A1, -B1), v2 = (A2, B2) of {(a, b): a + b lambda
 * = 0 mod r} (A1 B2 + A2 B1 = r):
 *   c1 = floor(k G1 / 2^256) ~ k B2 / r,  c2 = floor(k G2 / 2^256) ~ k B1 / r,
 *   k1 = k - c1 A1 - c2 A2,  k2 = c1 B1 - c2 B2,
 * with G1 = floor(B2 2^256 / r), G2 = floor(B1 2^256 / r).  The identity
 * k1 + k2 lambda = k (mod r) holds whatever c1, c2 are; the rounding only
 * bounds |k1|, |k2| (about 2^127).  Arithmetic is two's complement mod 2^256. */
static const uint64_t BC_GLV_BETA[4] = {0x71930c11d782e155ULL, 0xa6bb947cffbe3323ULL, 0xaa303344d4741444ULL,
                                        0x2c3b3f0d26594943ULL}; /* Montgomery form */
static const uint64_t BC_GLV_LAMBDA[4] = {0x8b17ea66b99c90ddULL, 0x5bfc41088d8daaa7ULL, 0xb3c4d79d41a91758ULL, 0};
static const uint64_t BC_GLV_A1[4] = {0x89d3256894d213e3ULL, 0, 0, 0};
static const uint64_t BC_GLV_B1[4] = {0x8211bbeb7d4f1128ULL, 0x6f4d8248eeb859fcULL, 0, 0};
static const uint64_t BC_GLV_A2[4] = {0x0be4e1541221250bULL, 0x6f4d8248eeb859fdULL, 0, 0};
static const uint64_t BC_GLV_B2[4] = {0x89d3256894d213e3ULL, 0, 0, 0};

/* r := a * b mod 2^256 (lo) and, when hi is not NULL, the upper 256 bits. */
static inline void bc_u256_mul(uint64_t lo[4], uint64_t *hi, const uint64_t a[4], const uint64_t b[4]) {
    uint64_t t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i, j;
    for (i = 0; i < 4; i++) {
        uint64_t carry = 0;
        for (j = 0; j < 4; j++) {
            unsigned __int128 m = (unsigned __int128)a[i] * b[j] + t[i + j] + carry;
            t[i + j] = (uint64_t)m;
            carry = (uint64_t)(m >> 64);
        }
        t[i + 4] = carry;
    }
    memcpy(lo, t, 32);
    if (hi) memcpy(hi, t + 4, 32);
}

static inline void bc_u256_sub(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
    uint64_t borrow = 0;
    int i;
    for (i = 0; i < 4; i++) {
        uint64_t d = a[i] - b[i], b2 = a[i] < b[i];
        r[i] = d - borrow;
        borrow = b2 | (d < borrow);
    }
}

static inline int bc_u256_geq(const uint64_t a[4], const uint64_t b[4]) {
    int i;
    for (i = 3; i >= 0; i--)
        if (a[i] != b[i]) return a[i] > b[i];
    return 1;
}

/* Two's complement value v -> (|v|, sign): returns 1 when v < 0 (mag := -v). */
static inline int bc_u256_abs(uint64_t mag[4], const uint64_t v[4]) {
    static const uint64_t zero[4] = {0, 0, 0, 0};
    if (v[3] >> 63) {
        bc_u256_sub(mag, zero, v);
        return 1;
    }
    memmove(mag, v, 32);
    return 0;
}

/* The generic split: kv[0..dim) (two's complement mod 2^256) with
 * sum_i kv[i] lam^i = k (mod r), for any 256-bit k (reduced mod r first), by
 * Babai rounding over a reduced basis of {v in Z^dim: sum_i v_i lam^i = 0 mod r}:
 *   c_j = floor(k G_j / 2^256) ~ alpha_j,  (k, 0, .., 0) = sum_j alpha_j v_j,
 *   kv  = (k, 0, .., 0) - sum_j c_j v_j.
 * basis: dim rows v_j of dim entries, each 4 limbs two's complement; G_j =
 * floor(N_j 2^256 / r) >= 0 with alpha_j = k N_j / r (the basis is oriented so
 * that every N_j >= 0).  The identity holds whatever the c_j are; the rounding
 * only bounds |kv[i]| < sum_j |v_ji| + 1 (each c_j is alpha_j minus less than 2). */
static inline void bc_lattice_split_n(int dim, uint64_t (*kv)[4], const uint64_t k[4],
                                      const uint64_t (*basis)[4], const uint64_t (*g)[4]) {
    uint64_t kr[4], cj[4], t[4];
    int i, j;
    memcpy(kr, k, 32);
    while (bc_u256_geq(kr, BC_R)) bc_u256_sub(kr, kr, BC_R); /* at most 5 rounds */
    memcpy(kv[0], kr, 32);
    for (i = 1; i < dim; i++) memset(kv[i], 0, 32);
    for (j = 0; j < dim; j++) {
        bc_u256_mul(t, cj, kr, g[j]);
        for (i = 0; i < dim; i++) {
            bc_u256_mul(t, NULL, cj, basis[dim * j + i]);
            bc_u256_sub(kv[i], kv[i], t);
        }
    }
}

/* G1 (GLV): v1 = (A1, -B1), v2 = (A2, B2); rounding constants G1, G2. */
static const uint64_t BC_GLV_BASIS[4][4] = {
    {0x89d3256894d213e3ULL, 0, 0, 0},                                     /* A1 */
    {0x7dee441482b0eed8ULL, 0x90b27db71147a603ULL, ~0ULL, ~0ULL},          /* -B1 */
    {0x0be4e1541221250bULL, 0x6f4d8248eeb859fdULL, 0, 0},                  /* A2 */
    {0x89d3256894d213e3ULL, 0, 0, 0},                                     /* B2 */
};
static const uint64_t BC_GLV_G[2][4] = {
    {0xd91d232ec7e0b3d7ULL, 0x0000000000000002ULL, 0, 0},
    {0x7a7bd9d4391eb18dULL, 0x4ccef014a773d2cfULL, 0x0000000000000002ULL, 0},
};

/* G1: k1 + k2 lambda = k mod r, |k1|, |k2| < 2^128. */
static inline void bc_glv_split(uint64_t k1[4], uint64_t k2[4], const uint64_t k[4]) {
    uint64_t kv[2][4];
    bc_lattice_split_n(2, kv, k, BC_GLV_BASIS, BC_GLV_G);
    memcpy(k1, kv[0], 32);
    memcpy(k2, kv[1], 32);
}

/* R := phi(P) for Jacobian G1 P: (beta X, Y, Z). */
static inline void bc_g1_phi(const bc_ctx *c, uint64_t *R, const uint64_t *P) {
    bn_mul_at(c->be, &BN_FQ, R, P, BC_GLV_BETA);
    memmove(R + 4, P + 4, 64);
}

/* ------------------------------------------------------------------ G2 subgroup check
 * psi = untwist o Frobenius o twist on the D-twist: psi(x, y) =
 * (conj(x) PSI_X, conj(y) PSI_Y) with PSI_X = xi^((q-1)/3), PSI_Y =
 * xi^((q-1)/2), xi = 9 + u.  On G2 psi acts as [q] = [t - 1] = [6 x^2]
 * (x = 4965661367192848881 the BN parameter): the GLS multiply uses it, and
 * the subgroup check (bc_in_subgroup) a relation between psi and [x]. */
static const uint64_t BC_PSI_X[8] = {0xb5773b104563ab30ULL, 0x347f91c8a9aa6454ULL, 0x7a007127242e0991ULL,
                                     0x1956bcd8118214ecULL, 0x6e849f1ea0aa4757ULL, 0xaa1c7b6d89f89141ULL,
                                     0xb6e713cdfae0ca3aULL, 0x26694fbb4e82ebc3ULL};
static const uint64_t BC_PSI_Y[8] = {0xe4bbdd0c2936b629ULL, 0xbb30f162e133bacbULL, 0x31a9d1b6f9645366ULL,
                                     0x253570bea500f8ddULL, 0xa1d77ce45ffe77c7ULL, 0x07affd117826d1dbULL,
                                     0x6d16bd27bb7edc6bULL, 0x2c87200285defeccULL};
static const uint64_t BC_6X2[4] = {0xf83e9682e87cfd46ULL, 0x6f4d8248eeb859fbULL, 0, 0};

/* R := psi(P) for Jacobian G2 P: (conj(X) PSI_X, conj(Y) PSI_Y, conj(Z)). */
static inline void bc_g2_psi(const bc_ctx *c, uint64_t *R, const uint64_t *P) {
    uint64_t t[8];
    bn_fq2_conj(t, P);
    bn_fq2_mul_at(c->be, R, t, BC_PSI_X);
    bn_fq2_conj(t, P + 8);
    bn_fq2_mul_at(c->be, R + 8, t, BC_PSI_Y);
    bn_fq2_conj(R + 16, P + 16);
}

/* ------------------------------------------------------------------ GLS (G2)
 * On G2, psi acts as [lambda_psi] with lambda_psi = 6 x^2 (mod r; 6 x^2 < r),
 * and psi^4 - psi^2 + 1 = 0 there (lambda_psi is a primitive 12th root of
 * unity mod r), so a scalar splits 4 ways: k = k0 + k1 psi + k2 psi^2 + k3 psi^3
 * with |k_i| < 2^66 (Galbraith-Scott).  The lattice {v in Z^4: sum_i v_i
 * lambda_psi^i = 0 mod r} has the reduced basis (x the BN parameter)
 *   v1 = (2x+1, 0, 2x, 1)         v2 = (2x, x+1, -x, x)
 *   v3 = (x+1, x, x, -2x)         v4 = (2x+1, -x, -x-1, -x)
 * (|det| = r; found by LLL, re-derived in tests/native/test_curve.py), and
 * G_j = floor(N_j 2^256 / r) for the first row N of r B^-1 (all N_j > 0). */
static const uint64_t BC_GLS_BASIS[16][4] = {
#define BC_P_(v) {v, 0, 0, 0}
#define BC_N_(v) {v, ~0ULL, ~0ULL, ~0ULL} /* negative: two's complement */
    BC_P_(0x89d3256894d213e3ULL), BC_P_(0), BC_P_(0x89d3256894d213e2ULL), BC_P_(1),
    BC_P_(0x89d3256894d213e2ULL), BC_P_(0x44e992b44a6909f2ULL), BC_N_(0xbb166d4bb596f60fULL),
    BC_P_(0x44e992b44a6909f1ULL),
    BC_P_(0x44e992b44a6909f2ULL), BC_P_(0x44e992b44a6909f1ULL), BC_P_(0x44e992b44a6909f1ULL),
    BC_N_(0x762cda976b2dec1eULL),
    BC_P_(0x89d3256894d213e3ULL), BC_N_(0xbb166d4bb596f60fULL), BC_N_(0xbb166d4bb596f60eULL),
    BC_N_(0xbb166d4bb596f60fULL),
#undef BC_P_
#undef BC_N_
};
static const uint64_t BC_GLS_G[4][4] = {
    {0x2dff291532e42728ULL, 0x55b4ca7ba3e5577fULL, 0x9e80318ab0d92b95ULL, 0},
    {0x46f4bda995d51bb1ULL, 0x08e5da66fc7184aeULL, 0x9e80318ab0d92b93ULL, 0},
    {0xd91d232ec7e0b3d7ULL, 0x0000000000000002ULL, 0, 0},
    {0xc170977dcef3cd3fULL, 0x55b4ca7ba3e5577dULL, 0x9e80318ab0d92b95ULL, 0},
};

/* G2: k0 + k1 l + k2 l^2 + k3 l^3 = k mod r (l = 6 x^2), |k_i| < 2^66. */
static inline void bc_gls_split(uint64_t (*kv)[4], const uint64_t k[4]) {
    bc_lattice_split_n(4, kv, k, BC_GLS_BASIS, BC_GLS_G);
}

/* ------------------------------------------------------------------ endomorphism multiply
 * R := [k mod r]P by the endomorphism e (G1: phi = [lambda], GLV, 2 parts of
 * ~128 bits; G2: psi = [6 x^2], GLS, 4 parts of ~64 bits): k = sum k_i e^i,
 * then one interleaved wNAF pass over the parts with a table of odd multiples
 * of +-e^i(P) per part: G1 ~128 doublings and ~43 additions, G2 ~66 and ~44.
 * Exact for every G1 point (cofactor 1) and for every G2 point in the order-r
 * subgroup; for a twist point outside G2 the result is unspecified (psi is
 * not [6 x^2] there). */
#define BC_ENDO_MAXDIM 4

/* -row, for a table row that is affine (2w limbs) or Jacobian (3w limbs). */
static inline void bc_neg_row(const bc_ctx *c, uint64_t *out, const uint64_t *row, int affine) {
    if (affine) bc_aff_neg(c, out, row);
    else bc_neg(c, out, row);
}

/* acc += sign(d) * rows[|d| / 2] for a wNAF digit d (0: nothing), by mixed addition
 * for affine rows and full addition for Jacobian ones; `neg` is scratch. */
static inline void bc_add_digit(const bc_ctx *c, uint64_t *acc, const uint64_t *const *rows, int d,
                                int affine, uint64_t *neg) {
    const uint64_t *q;
    if (d == 0) return;
    q = rows[(d > 0 ? d : -d) >> 1];
    if (d < 0) {
        bc_neg_row(c, neg, q, affine);
        q = neg;
    }
    if (affine) bc_madd(c, acc, acc, q);
    else bc_add(c, acc, acc, q);
}

/* The interleaved wNAF pass: acc = sum over parts j < dim of the digits
 * d[j][0..n[j]) against rows[j]; nmax = max n[j]. */
static inline void bc_endo_loop(const bc_ctx *c, uint64_t *acc, int dim,
                                const uint64_t *const (*rows)[BC_WNAF_TABLE],
                                const int8_t (*d)[BC_MAX_DIGITS], const int *n, int nmax, int affine,
                                uint64_t *neg) {
    int i, j;
    bc_set_inf(c, acc);
    for (i = nmax - 1; i >= 0; i--) {
        bc_dbl(c, acc, acc);
        for (j = 0; j < dim; j++)
            if (i < n[j]) bc_add_digit(c, acc, rows[j], d[j][i], affine, neg);
    }
}

/* e(a) for an affine row a: G1 (beta x, y), G2 (conj(x) PSI_X, conj(y) PSI_Y). */
static inline void bc_endo_aff(const bc_ctx *c, uint64_t *r, const uint64_t *a) {
    if (c->deg == 1) {
        bn_fq_mul_fast(c->be, r, a, BC_GLV_BETA);
        memmove(r + 4, a + 4, 32);
    } else {
        uint64_t t[8];
        bn_fq2_conj(t, a);
        bn_fq2_mul_at(c->be, r, t, BC_PSI_X);
        bn_fq2_conj(t, a + 8);
        bn_fq2_mul_at(c->be, r + 8, t, BC_PSI_Y);
    }
}

/* Affine tables (rows on an isomorphic curve, see bc_mul_endo, then mixed
 * additions) or Jacobian ones (full additions).  Measured here (C loop, one
 * core, best of 8): G1 22.8 us affine vs 23.5 Jacobian, G2 51.6 vs 61.0, both
 * with a batch inversion for the affine rows; the common-Z rows that replaced
 * it saved another ~5% (G1) and ~3% (G2), and building them by co-Z
 * additions another ~3% (G1) and ~10% (G2). */
#ifndef BC_ENDO_AFFINE_G1
#define BC_ENDO_AFFINE_G1 1
#endif
#ifndef BC_ENDO_AFFINE_G2
#define BC_ENDO_AFFINE_G2 1
#endif
static inline void bc_mul_endo(const bc_ctx *c, uint64_t *R, const uint64_t *P, const uint64_t k[4]) {
    uint64_t zc[BC_MAXW];
    /* table[j][i]: e^j applied to (2i+1)P, affine (2w limbs) or Jacobian (3w) */
    uint64_t table[BC_ENDO_MAXDIM][BC_WNAF_TABLE][3 * BC_MAXW], P2[3 * BC_MAXW];
    uint64_t acc[3 * BC_MAXW], neg[3 * BC_MAXW], kv[BC_ENDO_MAXDIM][4], m[4];
    const uint64_t *rows[BC_ENDO_MAXDIM][BC_WNAF_TABLE];
    int8_t d[BC_ENDO_MAXDIM][BC_MAX_DIGITS];
    int n[BC_ENDO_MAXDIM], sign[BC_ENDO_MAXDIM];
    const int affine = c->deg == 1 ? BC_ENDO_AFFINE_G1 : BC_ENDO_AFFINE_G2;
    const int dim = c->deg == 1 ? 2 : 4;
    int nmax = 0, i, j;
    if (bc_is_inf(c, P)) {
        bc_set_inf(c, R);
        return;
    }
    if (c->deg == 1) bc_lattice_split_n(2, kv, k, BC_GLV_BASIS, BC_GLV_G);
    else bc_gls_split(kv, k);
    for (j = 0; j < dim; j++) {
        sign[j] = bc_u256_abs(m, kv[j]);
        n[j] = bc_wnaf(d[j], m, BC_WNAF_W);
        if (n[j] > nmax) nmax = n[j];
    }
    if (nmax == 0) {
        bc_set_inf(c, R);
        return;
    }
    if (affine) {
        /* "Affine" rows without an inversion.  The odd multiples P_i = (2i+1)P
         * come from co-Z additions (Meloni): with T = 2P and P_i sharing one Z,
         *   t = X_i - X_T, A = t^2, B = X_T A, C = X_i A, u = Y_i - Y_T, E = Y_T (C - B),
         *   P_{i+1} = (u^2 - B - C, u (B - X_{i+1}) - E, Z t),  T := (B, E, Z t)
         * (5M + 2S instead of a full addition; t != 0 since (2i+1)P != +-2P for
         * the prime order r > 17).  Z_{i+1} = Z_i t_i, so lambda_i = prod_{j >= i}
         * t_j brings every row to the common Z = zc = Z_7 (times conj(Z_7) on
         * G2, which puts zc in Fq so that psi commutes with the scaling).
         * (X_i lambda_i^2, Y_i lambda_i^3) are then affine points of the
         * isomorphic curve y^2 = x^3 + b zc^6; doubling and addition never use
         * b, so the loop runs there unchanged and its result maps back by
         * Z := Z zc.  About half the multiplies of Jacobian additions followed
         * by a batch inversion. */
        uint64_t T[3 * BC_MAXW], tf[BC_WNAF_TABLE][BC_MAXW], lam[BC_MAXW], l2[BC_MAXW];
        uint64_t A[BC_MAXW], B[BC_MAXW], C[BC_MAXW], u[BC_MAXW];
        bc_dbl(c, T, P); /* Z_T = 2 Y Z: P_0 := P scaled by 2Y */
        bc_f_add(c, lam, BC_Y(c, P), BC_Y(c, P));
        bc_f_sqr(c, l2, lam);
        bc_f_mul(c, BC_X(c, table[0][0]), BC_X(c, P), l2);
        bc_f_mul(c, l2, l2, lam);
        bc_f_mul(c, BC_Y(c, table[0][0]), BC_Y(c, P), l2);
        bc_f_copy(c, BC_Z(c, table[0][0]), BC_Z(c, T));
        for (i = 0; i + 1 < BC_WNAF_TABLE; i++) {
            uint64_t *Pi = table[0][i], *Pn = table[0][i + 1];
            bc_f_sub(c, tf[i], BC_X(c, Pi), BC_X(c, T));
            bc_f_sqr(c, A, tf[i]);
            bc_f_mul(c, B, BC_X(c, T), A);
            bc_f_mul(c, C, BC_X(c, Pi), A);
            bc_f_sub(c, u, BC_Y(c, Pi), BC_Y(c, T));
            bc_f_sub(c, A, C, B);
            bc_f_mul(c, A, BC_Y(c, T), A); /* E */
            bc_f_sqr(c, BC_X(c, Pn), u);
            bc_f_sub(c, BC_X(c, Pn), BC_X(c, Pn), B);
            bc_f_sub(c, BC_X(c, Pn), BC_X(c, Pn), C);
            bc_f_sub(c, C, B, BC_X(c, Pn));
            bc_f_mul(c, C, u, C);
            bc_f_sub(c, BC_Y(c, Pn), C, A);
            bc_f_mul(c, BC_Z(c, Pn), BC_Z(c, T), tf[i]);
            bc_f_copy(c, BC_X(c, T), B);
            bc_f_copy(c, BC_Y(c, T), A);
            bc_f_copy(c, BC_Z(c, T), BC_Z(c, Pn));
        }
        if (c->deg == 1) {
            bc_f_copy(c, zc, BC_Z(c, table[0][BC_WNAF_TABLE - 1]));
            bc_f_one(c, lam);
        } else {
            bn_fq2_conj(lam, BC_Z(c, table[0][BC_WNAF_TABLE - 1]));
            bc_f_mul(c, zc, BC_Z(c, table[0][BC_WNAF_TABLE - 1]), lam); /* the norm: in Fq */
        }
        for (i = BC_WNAF_TABLE - 1; i >= 0; i--) {
            uint64_t *t = table[0][i];
            if (i + 1 < BC_WNAF_TABLE) bc_f_mul(c, lam, lam, tf[i]); /* zc / Z_i */
            if (c->deg == 1 && i + 1 == BC_WNAF_TABLE) continue;      /* lambda = 1 */
            bc_f_sqr(c, l2, lam);
            bc_f_mul(c, BC_X(c, t), BC_X(c, t), l2);
            bc_f_mul(c, l2, l2, lam);
            bc_f_mul(c, BC_Y(c, t), BC_Y(c, t), l2); /* row = [X, Y]: the first 2w limbs */
        }
        for (j = 1; j < dim; j++)
            for (i = 0; i < BC_WNAF_TABLE; i++) bc_endo_aff(c, table[j][i], table[j - 1][i]);
    } else { /* Jacobian rows: odd multiples by full additions of 2P */
        bc_copy(c, table[0][0], P);
        bc_dbl(c, P2, P);
        for (i = 1; i < BC_WNAF_TABLE; i++) bc_add(c, table[0][i], table[0][i - 1], P2);
        for (j = 1; j < dim; j++)
            for (i = 0; i < BC_WNAF_TABLE; i++) {
                if (c->deg == 1) bc_g1_phi(c, table[j][i], table[j - 1][i]);
                else bc_g2_psi(c, table[j][i], table[j - 1][i]);
            }
    }
    for (j = 0; j < dim; j++)
        for (i = 0; i < BC_WNAF_TABLE; i++) {
            if (sign[j]) bc_neg_row(c, table[j][i], table[j][i], affine);
            rows[j][i] = table[j][i];
        }
    /* literal `affine` so each call inlines a loop without the per-digit branch */
    if (affine) {
        bc_endo_loop(c, acc, dim, (const uint64_t *const (*)[BC_WNAF_TABLE])rows,
                     (const int8_t (*)[BC_MAX_DIGITS])d, n, nmax, 1, neg);
        bc_f_mul(c, BC_Z(c, acc), BC_Z(c, acc), zc); /* back from the isomorphic curve */
    } else {
        bc_endo_loop(c, acc, dim, (const uint64_t *const (*)[BC_WNAF_TABLE])rows,
                     (const int8_t (*)[BC_MAX_DIGITS])d, n, nmax, 0, neg);
    }
    bc_copy(c, R, acc);
}

/* G1 GLV (kept under its old name). */
static inline void bc_mul_glv(const bc_ctx *c, uint64_t *R, const uint64_t *P, const uint64_t k[4]) {
    bc_mul_endo(c, R, P, k);
}

/* R := [k]P for Jacobian P and the 256-bit k.  R may alias P.
 * G1: [k mod r]P by GLV, which equals [k]P for every point on the curve
 * (cofactor 1).
 * G2: k < r: [k]P by GLS (bc_mul_endo) -- exact for points of the order-r
 * subgroup, UNSPECIFIED for twist points outside it (which only arrays built
 * with from_montgomery(check=False) can hold; use bc_mul_wnaf for those).
 * k >= r: [k]P by plain wNAF with k as given, on any twist point (so raw
 * cofactor multiples such as [h]P or [r]P stay exact; the Python face always
 * reduces mod r first and so takes the GLS path). */
static inline void bc_mul(const bc_ctx *c, uint64_t *R, const uint64_t *P, const uint64_t k[4]) {
    if (c->deg == 1 || !bc_u256_geq(k, BC_R)) bc_mul_endo(c, R, P, k);
    else bc_mul_wnaf(c, R, P, k);
}

/* 1 when the affine point a (on the curve) lies in the order-r subgroup.
 * Always 1 for G1 (cofactor 1).  G2: rho(a) == O for the endomorphism
 *   rho = [x+1] + psi [x] + psi^2 [x] - psi^3 [2x]
 * (Dai, Lin, Zhao, Zhou, "Fast subgroup membership testings for G1, G2 and GT
 * on pairing-friendly curves", eprint 2022/348, BN curves).  On G2 psi = [6 x^2]
 * and (x+1) + 6x^3 + 36x^5 - 432x^7 = 0 mod r, so rho kills G2; E'(Fq2) is
 * cyclic of squarefree order r h, h = 10069 * 5864401 * 1875725156269 * p179
 * (four primes), so ker rho = G2 exactly when rho kills no point of order
 * l | h -- tests/native/test_curve.py checks one point of each such order
 * (and [r]Q == O, bc_in_subgroup_slow, on random twist points).  One 63-bit
 * multiplication [x]a, half the work of psi(a) == [6 x^2]a used before. */
static const uint64_t BC_BN_X[4] = {0x44e992b44a6909f1ULL, 0, 0, 0};

static inline int bc_in_subgroup(const bc_ctx *c, const uint64_t *a) {
    uint64_t P[3 * BC_MAXW], X[3 * BC_MAXW], L[3 * BC_MAXW], T[3 * BC_MAXW];
    if (c->deg == 1) return 1;
    bc_from_affine(c, P, a);
    if (bc_is_inf(c, P)) return 1;
    bc_mul_wnaf(c, X, P, BC_BN_X); /* [x]P */
    bc_add(c, L, X, P);            /* [x+1]P */
    bc_g2_psi(c, T, X);
    bc_add(c, L, L, T);            /* + psi([x]P) */
    bc_g2_psi(c, T, T);
    bc_add(c, L, L, T);            /* + psi^2([x]P) */
    bc_dbl(c, T, X);
    bc_g2_psi(c, T, T);
    bc_g2_psi(c, T, T);
    bc_g2_psi(c, T, T);            /* psi^3([2x]P) */
    return bc_eq(c, L, T);
}

/* 1 when [r]a == O: the definition, kept as the reference the tests compare
 * bc_in_subgroup against. */
static inline int bc_in_subgroup_slow(const bc_ctx *c, const uint64_t *a) {
    uint64_t P[3 * BC_MAXW];
    if (c->deg == 1) return 1;
    bc_from_affine(c, P, a);
    bc_mul_wnaf(c, P, P, BC_R);
    return bc_is_inf(c, P);
}

/* ------------------------------------------------------------------ batch kernels
 * n points, rows contiguous; affine rows 2w limbs, Jacobian rows 3w limbs. */

/* out[i] := jacobian(a[i] + b[i]) for affine a, b. */
static inline void bc_add_batch(const bc_ctx *c, size_t n, uint64_t *out, const uint64_t *a,
                                const uint64_t *b) {
    const size_t w = (size_t)c->w;
    size_t i;
    for (i = 0; i < n; i++) {
        uint64_t *R = out + 3 * w * i;
        bc_from_affine(c, R, a + 2 * w * i);
        bc_madd(c, R, R, b + 2 * w * i);
    }
}

/* out[i] := jacobian([k_i] a[i]); scalars are 4-limb plain integers. */
static inline void bc_mul_batch(const bc_ctx *c, size_t n, uint64_t *out, const uint64_t *a,
                                const uint64_t *scalars) {
    const size_t w = (size_t)c->w;
    size_t i;
    for (i = 0; i < n; i++) {
        uint64_t *R = out + 3 * w * i;
        bc_from_affine(c, R, a + 2 * w * i);
        bc_mul(c, R, R, scalars + 4 * i);
    }
}

static inline void bc_neg_batch(const bc_ctx *c, size_t n, uint64_t *out, const uint64_t *a) {
    const size_t w = (size_t)c->w;
    size_t i;
    for (i = 0; i < n; i++) bc_aff_neg(c, out + 2 * w * i, a + 2 * w * i);
}

/* Validation of affine points whose coordinates are canonical: -1 when every
 * point is valid, else the first bad index; *why := 1 not on the curve, 2 not
 * in the subgroup (checked only when subgroup is set). */
static inline ptrdiff_t bc_check_batch(const bc_ctx *c, size_t n, const uint64_t *a, int subgroup,
                                       int *why) {
    const size_t w = (size_t)c->w;
    size_t i;
    for (i = 0; i < n; i++) {
        const uint64_t *p = a + 2 * w * i;
        if (!bc_aff_on_curve(c, p)) {
            *why = 1;
            return (ptrdiff_t)i;
        }
        if (subgroup && !bc_in_subgroup(c, p)) {
            *why = 2;
            return (ptrdiff_t)i;
        }
    }
    return -1;
}

#endif /* POUW_BN254_CURVE_H */
