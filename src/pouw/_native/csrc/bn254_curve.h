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
 * 8) and the multiply backend (field.pxd: backend_code()).  The degree is a
 * predictable branch in each field operation; the field multiply dominates.
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

/* ------------------------------------------------------------------ field ops on w limbs */

static inline int bc_f_is_zero(const bc_ctx *c, const uint64_t *a) {
    return c->deg == 1 ? bn_is_zero(a) : bn_fq2_is_zero(a);
}
static inline int bc_f_eq(const bc_ctx *c, const uint64_t *a, const uint64_t *b) {
    return c->deg == 1 ? bn_eq(a, b) : bn_fq2_eq(a, b);
}
static inline void bc_f_copy(const bc_ctx *c, uint64_t *r, const uint64_t *a) {
    memmove(r, a, 8 * (size_t)c->w);
}
static inline void bc_f_one(const bc_ctx *c, uint64_t *r) {
    memset(r, 0, 8 * (size_t)c->w);
    bn_copy(r, BN_FQ.one);
}
static inline void bc_f_add(const bc_ctx *c, uint64_t *r, const uint64_t *a, const uint64_t *b) {
    bn_add(&BN_FQ, r, a, b);
    if (c->deg == 2) bn_add(&BN_FQ, r + 4, a + 4, b + 4);
}
static inline void bc_f_sub(const bc_ctx *c, uint64_t *r, const uint64_t *a, const uint64_t *b) {
    bn_sub(&BN_FQ, r, a, b);
    if (c->deg == 2) bn_sub(&BN_FQ, r + 4, a + 4, b + 4);
}
static inline void bc_f_neg(const bc_ctx *c, uint64_t *r, const uint64_t *a) {
    bn_neg(&BN_FQ, r, a);
    if (c->deg == 2) bn_neg(&BN_FQ, r + 4, a + 4);
}
static inline void bc_f_mul(const bc_ctx *c, uint64_t *r, const uint64_t *a, const uint64_t *b) {
    if (c->deg == 1) bn_mul_at(c->be, &BN_FQ, r, a, b);
    else bn_fq2_mul_at(c->be, r, a, b);
}
static inline void bc_f_sqr(const bc_ctx *c, uint64_t *r, const uint64_t *a) {
    if (c->deg == 1) bn_mul_at(c->be, &BN_FQ, r, a, a);
    else bn_fq2_sqr_at(c->be, r, a);
}
static inline void bc_f_inv(const bc_ctx *c, uint64_t *r, const uint64_t *a) {
    if (c->deg == 1) bn_inv_at(c->be, &BN_FQ, r, a);
    else bn_fq2_inv_at(c->be, r, a);
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

/* R := 2P (dbl-2009-l: 2M + 5S). */
static inline void bc_dbl(const bc_ctx *c, uint64_t *R, const uint64_t *P) {
    uint64_t A[BC_MAXW], B[BC_MAXW], C[BC_MAXW], D[BC_MAXW], E[BC_MAXW], F[BC_MAXW], Z3[BC_MAXW];
    if (bc_is_inf(c, P)) {
        bc_copy(c, R, P);
        return;
    }
    bc_f_sqr(c, A, BC_X(c, P));
    bc_f_sqr(c, B, BC_Y(c, P));
    bc_f_sqr(c, C, B);
    bc_f_add(c, D, BC_X(c, P), B);
    bc_f_sqr(c, D, D);
    bc_f_sub(c, D, D, A);
    bc_f_sub(c, D, D, C);
    bc_f_add(c, D, D, D);
    bc_f_add(c, E, A, A);
    bc_f_add(c, E, E, A);
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

/* R := P + Q, both Jacobian (add-2007-bl: 11M + 5S); any inputs. */
static inline void bc_add(const bc_ctx *c, uint64_t *R, const uint64_t *P, const uint64_t *Q) {
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

/* R := P + a for Jacobian P and affine a (madd-2007-bl: 7M + 4S); any inputs. */
static inline void bc_madd(const bc_ctx *c, uint64_t *R, const uint64_t *P, const uint64_t *a) {
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
static const uint64_t BC_GLV_G1[4] = {0xd91d232ec7e0b3d7ULL, 0x0000000000000002ULL, 0, 0};
static const uint64_t BC_GLV_G2[4] = {0x7a7bd9d4391eb18dULL, 0x4ccef014a773d2cfULL, 0x0000000000000002ULL, 0};

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

/* k1, k2 (two's complement mod 2^256) with k1 + k2 lam = k mod r, for any
 * 256-bit k, over the reduced basis (A1, -B1), (A2, B2) with rounding
 * constants G1c, G2c (see above); |k1|, |k2| < 2^128. */
static inline void bc_lattice_split(uint64_t k1[4], uint64_t k2[4], const uint64_t k[4],
                                    const uint64_t A1[4], const uint64_t B1[4], const uint64_t A2[4],
                                    const uint64_t B2[4], const uint64_t G1c[4], const uint64_t G2c[4]) {
    uint64_t kr[4], c1[4], c2[4], t[4];
    memcpy(kr, k, 32);
    while (bc_u256_geq(kr, BC_R)) bc_u256_sub(kr, kr, BC_R); /* at most 5 rounds */
    bc_u256_mul(t, c1, kr, G1c);
    bc_u256_mul(t, c2, kr, G2c);
    bc_u256_mul(t, NULL, c1, A1);
    bc_u256_sub(k1, kr, t);
    bc_u256_mul(t, NULL, c2, A2);
    bc_u256_sub(k1, k1, t);
    bc_u256_mul(k2, NULL, c1, B1);
    bc_u256_mul(t, NULL, c2, B2);
    bc_u256_sub(k2, k2, t);
}

/* G1: k1 + k2 lambda = k mod r. */
static inline void bc_glv_split(uint64_t k1[4], uint64_t k2[4], const uint64_t k[4]) {
    bc_lattice_split(k1, k2, k, BC_GLV_A1, BC_GLV_B1, BC_GLV_A2, BC_GLV_B2, BC_GLV_G1, BC_GLV_G2);
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
 * (x = 4965661367192848881 the BN parameter), and for BN254 the converse holds:
 * a twist point Q is in G2 iff psi(Q) == [6 x^2]Q (El Housni, Guillevic,
 * Piellard, "Co-factor clearing and subgroup membership testing on
 * pairing-friendly curves", eprint 2022/352).  tests/native/test_curve.py
 * checks it against [r]Q == O (bc_in_subgroup_slow) on uncleared twist
 * points, cofactor-torsion points and mixtures.  A 127-bit multiplication
 * instead of the 254-bit [r]Q. */
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
 * On G2, psi acts as [lambda_psi] with lambda_psi = 6 x^2 (mod r; 6 x^2 < r).
 * The lattice {(a, b): a + b lambda_psi = 0 mod r} has the reduced basis
 * v1 = (A1, -B1) = (6 x^2, -1), v2 = (A2, B2) (both ~2^127, A1 B2 + A2 B1 = r),
 * so bc_lattice_split with these constants gives k = k1 + k2 lambda_psi
 * (mod r), |k1|, |k2| < 2^128 (tests/native/test_curve.py re-derives the basis
 * by Gauss reduction and checks the constants).  G2c = floor(2^256 / r) = 5. */
static const uint64_t BC_GLS_B1[4] = {1, 0, 0, 0};
static const uint64_t BC_GLS_A2[4] = {0x9d797039be763ba7ULL, 0x0000000000000001ULL, 0, 0};
static const uint64_t BC_GLS_B2[4] = {0x95b806bca6f338efULL, 0x6f4d8248eeb859fdULL, 0, 0};
static const uint64_t BC_GLS_G1[4] = {0x2cb62031c8e01941ULL, 0x4ccef014a773d2d5ULL, 0x0000000000000002ULL, 0};
static const uint64_t BC_GLS_G2[4] = {5, 0, 0, 0};

/* G2: k1 + k2 (6 x^2) = k mod r. */
static inline void bc_gls_split(uint64_t k1[4], uint64_t k2[4], const uint64_t k[4]) {
    bc_lattice_split(k1, k2, k, BC_6X2, BC_GLS_B1, BC_GLS_A2, BC_GLS_B2, BC_GLS_G1, BC_GLS_G2);
}

/* R := [k mod r]P by the endomorphism (G1: phi = [lambda], GLV; G2: psi =
 * [6 x^2], GLS): k = k1 + k2 lambda, then one interleaved wNAF pass over the
 * two ~128-bit halves with tables of odd multiples of +-P and +-endo(P): ~128
 * doublings and ~86 additions.  Exact for every G1 point (cofactor 1) and for
 * every G2 point in the order-r subgroup; for a twist point outside G2 the
 * result is unspecified (psi is not [6 x^2] there).  R may alias P. */
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

/* The interleaved wNAF pass: acc = sum over the digits of d1 (rows1) and d2 (rows2). */
static inline void bc_endo_loop(const bc_ctx *c, uint64_t *acc, const uint64_t *const *rows1,
                                const uint64_t *const *rows2, const int8_t *d1, int n1,
                                const int8_t *d2, int n2, int n, int affine, uint64_t *neg) {
    int i;
    bc_set_inf(c, acc);
    for (i = n - 1; i >= 0; i--) {
        bc_dbl(c, acc, acc);
        if (i < n1) bc_add_digit(c, acc, rows1, d1[i], affine, neg);
        if (i < n2) bc_add_digit(c, acc, rows2, d2[i], affine, neg);
    }
}

#ifndef BC_ENDO_AFFINE_G1
#define BC_ENDO_AFFINE_G1 0 /* measured: 53 us vs 50.5 us Jacobian -- slower */
#endif
#ifndef BC_ENDO_AFFINE_G2
#define BC_ENDO_AFFINE_G2 1 /* measured: 134-135 us vs 137-142 us Jacobian */
#endif
static inline void bc_mul_endo(const bc_ctx *c, uint64_t *R, const uint64_t *P, const uint64_t k[4]) {
    uint64_t jt[BC_WNAF_TABLE * 3 * BC_MAXW], scratch[BC_WNAF_TABLE * BC_MAXW];
    uint64_t a1[BC_WNAF_TABLE][2 * BC_MAXW], a2[BC_WNAF_TABLE][2 * BC_MAXW];
    uint64_t t1[BC_WNAF_TABLE][3 * BC_MAXW], t2[BC_WNAF_TABLE][3 * BC_MAXW], P2[3 * BC_MAXW];
    uint64_t acc[3 * BC_MAXW], neg[3 * BC_MAXW];
    const uint64_t *rows1[BC_WNAF_TABLE], *rows2[BC_WNAF_TABLE];
    uint64_t k1[4], k2[4], m1[4], m2[4];
    int8_t d1[BC_MAX_DIGITS], d2[BC_MAX_DIGITS];
    const int w = c->w, affine = c->deg == 1 ? BC_ENDO_AFFINE_G1 : BC_ENDO_AFFINE_G2;
    int s1, s2, n1, n2, n, i;
    if (bc_is_inf(c, P)) {
        bc_set_inf(c, R);
        return;
    }
    if (c->deg == 1) bc_glv_split(k1, k2, k);
    else bc_gls_split(k1, k2, k);
    s1 = bc_u256_abs(m1, k1);
    s2 = bc_u256_abs(m2, k2);
    n1 = bc_wnaf(d1, m1, BC_WNAF_W);
    n2 = bc_wnaf(d2, m2, BC_WNAF_W);
    n = n1 > n2 ? n1 : n2;
    if (n == 0) {
        bc_set_inf(c, R);
        return;
    }
    bc_copy(c, t1[0], P);
    bc_dbl(c, P2, P);
    for (i = 1; i < BC_WNAF_TABLE; i++) bc_add(c, t1[i], t1[i - 1], P2);
    if (affine) {
        /* Odd multiples of P are never O (order r prime > 15); one inversion. */
        for (i = 0; i < BC_WNAF_TABLE; i++) bc_copy(c, jt + 3 * w * i, t1[i]);
        bc_to_affine_batch(c, BC_WNAF_TABLE, a1[0], jt, scratch);
        /* bc_to_affine_batch wrote rows of 2w limbs contiguously: spread them. */
        for (i = BC_WNAF_TABLE - 1; i >= 0; i--) memmove(a1[i], a1[0] + 2 * w * i, 16 * w);
        for (i = 0; i < BC_WNAF_TABLE; i++) {
            if (c->deg == 1) {
                bn_mul_at(c->be, &BN_FQ, a2[i], a1[i], BC_GLV_BETA);
                memcpy(a2[i] + 4, a1[i] + 4, 32);
            } else {
                uint64_t t[8];
                bn_fq2_conj(t, a1[i]);
                bn_fq2_mul_at(c->be, a2[i], t, BC_PSI_X);
                bn_fq2_conj(t, a1[i] + 8);
                bn_fq2_mul_at(c->be, a2[i] + 8, t, BC_PSI_Y);
            }
        }
    } else {
        for (i = 0; i < BC_WNAF_TABLE; i++) {
            if (c->deg == 1) bc_g1_phi(c, t2[i], t1[i]);
            else bc_g2_psi(c, t2[i], t1[i]);
        }
    }
    for (i = 0; i < BC_WNAF_TABLE; i++) {
        uint64_t *r1 = affine ? a1[i] : t1[i], *r2 = affine ? a2[i] : t2[i];
        if (s1) bc_neg_row(c, r1, r1, affine);
        if (s2) bc_neg_row(c, r2, r2, affine);
        rows1[i] = r1;
        rows2[i] = r2;
    }
    /* literal `affine` so each call inlines a loop without the per-digit branch */
    if (affine) bc_endo_loop(c, acc, rows1, rows2, d1, n1, d2, n2, n, 1, neg);
    else bc_endo_loop(c, acc, rows1, rows2, d1, n1, d2, n2, n, 0, neg);
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
 * Always 1 for G1 (cofactor 1); G2: psi(a) == [6 x^2]a. */
static inline int bc_in_subgroup(const bc_ctx *c, const uint64_t *a) {
    uint64_t P[3 * BC_MAXW], S[3 * BC_MAXW];
    if (c->deg == 1) return 1;
    bc_from_affine(c, P, a);
    if (bc_is_inf(c, P)) return 1;
    bc_g2_psi(c, S, P);
    bc_mul_wnaf(c, P, P, BC_6X2);
    return bc_eq(c, S, P);
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
