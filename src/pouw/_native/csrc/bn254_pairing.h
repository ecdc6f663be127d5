/* bn254_pairing.h -- the optimal ate pairing of BN254 (alt_bn128), as Ethereum's
 * precompile (EIP-197) and py_ecc define it:
 *
 *   e(P, Q) = ( f_{6x+2,Q}(P) * l_{T,pi(Q)}(P) * l_{T+pi(Q),-pi^2(Q)}(P) )^((q^12-1)/r)
 *
 * with x = 4965661367192848881, the Miller loop over the signed digits (NAF)
 * of 6x+2, and the full final exponentiation: easy part (q^6-1)(q^2+1), hard
 * part (q^4-q^2+1)/r by the vectorial addition chain of Scott et al. (three
 * exponentiations by x plus Frobenius maps), exactly that exponent (not a
 * multiple), so values equal py_ecc's.
 *
 * G2 enters only through its lines: bp_prepare() walks T over the loop once,
 * in homogeneous projective coordinates on the twist, and stores each line as
 * three Fq2 coefficients (A, B, C) meaning A*yP + B*xP*w + C*w^3; evaluating
 * at P costs 4 Fq multiplies per line.  A verifying key's G2 points are
 * prepared once and reused.  Lines differ from the textbook ones by factors in
 * Fq2, which the final exponentiation removes.
 *
 * Caller guarantees: points are affine Montgomery rows (G1: 8 limbs, G2: 16),
 * on their curves, G2 in the order-r subgroup, neither at infinity (callers
 * skip such pairs: they contribute 1).  No allocation, no Python, no failure:
 * every function may run without the GIL.  Not constant time.
 */
#ifndef POUW_BN254_PAIRING_H
#define POUW_BN254_PAIRING_H

#include "bn254_curve.h"
#include "bn254_tower.h"

/* NAF of 6x+2, most significant digit first (the first is 1). */
#define BP_NAF_LEN 66
static const int8_t BP_NAF[BP_NAF_LEN] = {
    1,0,-1,0,1,0,0,0,-1,0,-1,0,0,0,-1,0,1,0,-1,0,0,-1,0,0,0,0,0,1,0,0,-1,0,1,0,0,-1,0,0,0,0,
    -1,0,1,0,0,0,-1,0,-1,0,0,1,0,0,0,-1,0,0,-1,0,1,0,1,0,0,0};
/* NAF of x, most significant digit first. */
#define BP_XNAF_LEN 63
static const int8_t BP_XNAF[BP_XNAF_LEN] = {
    1,0,0,0,1,0,1,0,0,-1,0,1,0,1,0,-1,0,0,1,0,1,0,-1,0,-1,0,-1,0,1,0,0,0,1,0,0,1,0,1,0,1,0,
    -1,0,1,0,0,1,0,0,0,0,1,0,1,0,0,0,0,-1,0,0,0,1};

/* Width-4 NAF of x (odd digits in -7..7), most significant digit first (the
 * first is 1): 13 multiplies instead of the NAF's 23, for 3 more to tabulate
 * a^3, a^5, a^7. */
#define BP_XWNAF_LEN 63
static const int8_t BP_XWNAF[BP_XWNAF_LEN] = {
    1,0,0,0,0,0,5,0,0,0,0,-3,0,0,0,3,0,0,0,0,5,0,0,0,-5,0,0,0,-3,0,0,0,1,0,0,0,0,5,0,0,0,0,7,
    0,0,0,-7,0,0,0,0,0,0,5,0,0,0,0,-1,0,0,0,1};

/* Lines of one G2 point: 65 doublings, 21 additions, 2 Frobenius additions. */
#define BP_N_LINES 88
#define BP_LINE_LIMBS 24 /* A, B, C: Fq2 each */

/* Fq halving: a/2 mod q (a + q < 2^255 when a is odd). */
static inline void bp_fq_half(uint64_t r[4], const uint64_t a[4]) {
    uint64_t t[4], c = 0, m = 0 - (a[0] & 1);
    bn_u128 s;
    int i;
    for (i = 0; i < 4; i++) {
        s = (bn_u128)a[i] + (BN_FQ.p[i] & m) + c;
        t[i] = (uint64_t)s;
        c = (uint64_t)(s >> 64);
    }
    for (i = 0; i < 3; i++) r[i] = (t[i] >> 1) | (t[i + 1] << 63);
    r[3] = t[3] >> 1;
}
static inline void bp_fq2_half(uint64_t r[8], const uint64_t a[8]) {
    bp_fq_half(r, a);
    bp_fq_half(r + 4, a + 4);
}

/* T := 2T (homogeneous projective X, Y, Z over Fq2; 24 limbs) and its tangent
 * line (Costello-Lange-Naehrig / Aranha et al. 2011 for the D-type twist):
 * A = -2YZ, B = 3X^2, C = 3b'Z^2 - Y^2. */
static inline void bp_dbl_step(int be, uint64_t T[24], uint64_t line[24]) {
    uint64_t *X = T, *Y = T + 8, *Z = T + 16;
    uint64_t a[8], b[8], c[8], e[8], f[8], g[8], h[8], t[8];
    bt_fq2_mul(be, a, X, Y); bp_fq2_half(a, a);           /* XY/2 */
    bt_fq2_sqr(be, b, Y);                                   /* Y^2 */
    bt_fq2_sqr(be, c, Z);                                   /* Z^2 */
    bt_fq2_add(e, c, c); bt_fq2_add(e, e, c);                  /* 3Z^2 */
    bt_fq2_mul(be, e, e, BC_B2);                            /* 3b'Z^2 */
    bt_fq2_add(f, e, e); bt_fq2_add(f, f, e);                  /* 3E */
    bt_fq2_add(g, b, f); bp_fq2_half(g, g);                    /* (B+F)/2 */
    bt_fq2_add(h, Y, Z); bt_fq2_sqr(be, h, h);
    bt_fq2_sub(h, h, b); bt_fq2_sub(h, h, c);                  /* 2YZ */
    /* line */
    bn_fq2_neg(line, h);
    bt_fq2_sqr(be, t, X); bt_fq2_add(line + 8, t, t); bt_fq2_add(line + 8, line + 8, t);
    bt_fq2_sub(line + 16, e, b);
    /* point */
    bt_fq2_sub(t, b, f); bt_fq2_mul(be, X, a, t);           /* X3 = A(B - F) */
    bt_fq2_sqr(be, t, e); bt_fq2_add(a, t, t); bt_fq2_add(a, a, t);
    bt_fq2_sqr(be, Y, g); bt_fq2_sub(Y, Y, a);              /* Y3 = G^2 - 3E^2 */
    bt_fq2_mul(be, Z, b, h);                                /* Z3 = B H */
}

/* T := T + Q (Q affine, 16 limbs, T != +-Q) and the chord line:
 * A = lambda, B = -theta, C = theta x2 - lambda y2 with theta = Y - y2 Z,
 * lambda = X - x2 Z. */
static inline void bp_add_step(int be, uint64_t T[24], const uint64_t Q[16], uint64_t line[24]) {
    uint64_t *X = T, *Y = T + 8, *Z = T + 16;
    const uint64_t *x2 = Q, *y2 = Q + 8;
    uint64_t th[8], la[8], c[8], d[8], e[8], f[8], g[8], h[8], t[8];
    bt_fq2_mul(be, th, y2, Z); bt_fq2_sub(th, Y, th);
    bt_fq2_mul(be, la, x2, Z); bt_fq2_sub(la, X, la);
    bt_fq2_sqr(be, c, th);
    bt_fq2_sqr(be, d, la);
    bt_fq2_mul(be, e, la, d);
    bt_fq2_mul(be, f, Z, c);
    bt_fq2_mul(be, g, X, d);
    bt_fq2_add(h, e, f); bt_fq2_sub(h, h, g); bt_fq2_sub(h, h, g);
    /* line */
    bn_fq2_copy(line, la);
    bn_fq2_neg(line + 8, th);
    bt_fq2_mul(be, t, th, x2); bt_fq2_mul(be, line + 16, la, y2);
    bt_fq2_sub(line + 16, t, line + 16);
    /* point */
    bt_fq2_mul(be, X, la, h);
    bt_fq2_sub(t, g, h); bt_fq2_mul(be, t, th, t);
    bt_fq2_mul(be, Y, Y, e); bt_fq2_sub(Y, t, Y);
    bt_fq2_mul(be, Z, Z, e);
}

/* lines[BP_N_LINES * BP_LINE_LIMBS] := the lines of the Miller loop of Q. */
static inline void bp_prepare(int be, uint64_t *lines, const uint64_t Q[16]) {
    uint64_t T[24], nQ[16], Q1[16], Q2[16];
    int i, k = 0;
    bn_fq2_copy(T, Q); bn_fq2_copy(T + 8, Q + 8); bn_fq2_set_one(T + 16);
    bn_fq2_copy(nQ, Q); bn_fq2_neg(nQ + 8, Q + 8);
    for (i = 1; i < BP_NAF_LEN; i++) {
        bp_dbl_step(be, T, lines + BP_LINE_LIMBS * k++);
        if (BP_NAF[i] == 1) bp_add_step(be, T, Q, lines + BP_LINE_LIMBS * k++);
        else if (BP_NAF[i] == -1) bp_add_step(be, T, nQ, lines + BP_LINE_LIMBS * k++);
    }
    /* Q1 = pi(Q), Q2 = -pi^2(Q), on the twist. */
    bn_fq2_conj(Q1, Q); bt_fq2_mul(be, Q1, Q1, BT_FROB1[1]);
    bn_fq2_conj(Q1 + 8, Q + 8); bt_fq2_mul(be, Q1 + 8, Q1 + 8, BT_FROB1[2]);
    bt_fq2_mul(be, Q2, Q, BT_FROB2[1]);
    bt_fq2_mul(be, Q2 + 8, Q + 8, BT_FROB2[2]); bn_fq2_neg(Q2 + 8, Q2 + 8);
    bp_add_step(be, T, Q1, lines + BP_LINE_LIMBS * k++);
    bp_add_step(be, T, Q2, lines + BP_LINE_LIMBS * k++);
}

/* f := f * line(P). */
static inline void bp_mul_line(int be, uint64_t f[48], const uint64_t line[24], const uint64_t P[8]) {
    uint64_t l0[8], l1[8];
    bt_fq2_mul_fq(be, l0, line, P + 4);     /* A yP */
    bt_fq2_mul_fq(be, l1, line + 8, P);     /* B xP */
    bt_fq12_mul_line(be, f, l0, l1, line + 16);
}

/* f := prod_j f_j(P_j), the Miller loops of n pairs sharing their squarings:
 * lines[j] from bp_prepare, P rows of 8 limbs (n may be 0: f = 1). */
static inline void bp_miller_loop(int be, uint64_t f[48], size_t n, const uint64_t *const *lines,
                                  const uint64_t *P) {
    size_t j;
    int i, k = 0;
    bt_fq12_set_one(f);
    for (i = 1; i < BP_NAF_LEN; i++) {
        if (i > 1) bt_fq12_sqr(be, f, f);
        for (j = 0; j < n; j++) bp_mul_line(be, f, lines[j] + BP_LINE_LIMBS * k, P + 8 * j);
        k++;
        if (BP_NAF[i]) {
            for (j = 0; j < n; j++) bp_mul_line(be, f, lines[j] + BP_LINE_LIMBS * k, P + 8 * j);
            k++;
        }
    }
    for (; k < BP_N_LINES; k++)
        for (j = 0; j < n; j++) bp_mul_line(be, f, lines[j] + BP_LINE_LIMBS * k, P + 8 * j);
}

/* r := a^x on the cyclotomic subgroup (width-4 NAF of x, conjugation as
 * inverse; r may alias a). */
static inline void bp_cyclo_exp_x(int be, uint64_t r[48], const uint64_t a[48]) {
    uint64_t acc[48], a2[48], tab[4][48], itab[4][48]; /* a^(2k+1), a^-(2k+1) */
    int i, d;
    memcpy(tab[0], a, sizeof tab[0]);
    bt_fq12_cyclo_sqr(be, a2, a);
    for (i = 1; i < 4; i++) bt_fq12_mul(be, tab[i], tab[i - 1], a2);
    for (i = 0; i < 4; i++) bt_fq12_conj(itab[i], tab[i]);
    memcpy(acc, a, sizeof acc);
    for (i = 1; i < BP_XWNAF_LEN; i++) {
        bt_fq12_cyclo_sqr(be, acc, acc);
        d = BP_XWNAF[i];
        if (d > 0) bt_fq12_mul(be, acc, acc, tab[d >> 1]);
        else if (d < 0) bt_fq12_mul(be, acc, acc, itab[(-d) >> 1]);
    }
    memcpy(r, acc, sizeof acc);
}

/* r := f^((q^12-1)/r) exactly (r may alias f). */
static inline void bp_final_exp(int be, uint64_t r[48], const uint64_t f[48]) {
    uint64_t t0[48], t1[48], t2[48], fp[48], fp2[48], fp3[48], fu[48], fu2[48], fu3[48];
    uint64_t y0[48], y1[48], y2[48], y3[48], y4[48], y5[48], y6[48];
    /* easy part: f^((q^6-1)(q^2+1)) */
    bt_fq12_inv(be, t0, f);
    bt_fq12_conj(t1, f);
    bt_fq12_mul(be, t1, t1, t0);
    bt_fq12_frob(be, t2, t1, 2);
    bt_fq12_mul(be, t1, t1, t2);
    /* hard part: (q^4-q^2+1)/r = l0 + l1 q + l2 q^2 + q^3 (Scott et al. 2009) */
    bt_fq12_frob(be, fp, t1, 1);
    bt_fq12_frob(be, fp2, t1, 2);
    bt_fq12_frob(be, fp3, fp2, 1);
    bp_cyclo_exp_x(be, fu, t1);
    bp_cyclo_exp_x(be, fu2, fu);
    bp_cyclo_exp_x(be, fu3, fu2);
    bt_fq12_frob(be, y3, fu, 1);
    bt_fq12_frob(be, t2, fu2, 1);          /* fu2^q */
    bt_fq12_frob(be, y2, fu2, 2);
    bt_fq12_mul(be, y0, fp, fp2); bt_fq12_mul(be, y0, y0, fp3);
    bt_fq12_conj(y1, t1);
    bt_fq12_conj(y5, fu2);
    bt_fq12_conj(y3, y3);
    bt_fq12_mul(be, y4, fu, t2); bt_fq12_conj(y4, y4);
    bt_fq12_frob(be, t2, fu3, 1);          /* fu3^q */
    bt_fq12_mul(be, y6, fu3, t2); bt_fq12_conj(y6, y6);
    bt_fq12_cyclo_sqr(be, t0, y6); bt_fq12_mul(be, t0, t0, y4); bt_fq12_mul(be, t0, t0, y5);
    bt_fq12_mul(be, t1, y3, y5); bt_fq12_mul(be, t1, t1, t0);
    bt_fq12_mul(be, t0, t0, y2);
    bt_fq12_cyclo_sqr(be, t1, t1); bt_fq12_mul(be, t1, t1, t0); bt_fq12_cyclo_sqr(be, t1, t1);
    bt_fq12_mul(be, t0, t1, y1);
    bt_fq12_mul(be, t1, t1, y0);
    bt_fq12_cyclo_sqr(be, t0, t0); bt_fq12_mul(be, r, t0, t1);
}

#endif /* POUW_BN254_PAIRING_H */
