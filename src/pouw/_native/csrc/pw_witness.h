/* pw_witness.h -- a circuit's witness from its inputs: a small straight-line program over Fr.
 *
 * pouw.zk.witness_program compiles a ConstraintSystem whose variables carry
 * declarative hints into this program; running it fills every variable, in
 * the system's allocation order, from the circuit's inputs (trace fields,
 * public inputs), with no Python per variable.  The ops are exactly the hint
 * kinds of the gadgets, so a compiled witness is the one the Python hints give.
 *
 * State: w, n_vars elements of 4 limbs (Montgomery form of Fr, canonical); w[0]
 * is the constant one.  Linear combinations are a CSR table (lc_ptr, lc_var,
 * lc_coef): lc k is sum(lc_coef[j] * w[lc_var[j]]) over j in lc_ptr[k] ..
 * lc_ptr[k+1] (the constant term is a term on w[0]).  Instructions, in code[],
 * each [op, out, args...], write w[out] (or a block from w[out]):
 *
 *   PW_W_INPUT    slot             w[out] = inputs[slot]
 *   PW_W_MULADD   a b c            w[out] = lc a * lc b + lc c   (b < 0: times 1; c < 0: plus 0)
 *   PW_W_INV      a                w[out] = 1 / lc a, or 0 when lc a = 0
 *   PW_W_ISZERO   a                w[out] = 1 when lc a = 0, else 0
 *   PW_W_BITS     a first n        w[out + j] = bit (first + j) of lc a (as an integer in [0, r))
 *   PW_W_POSEIDON t mask a_1..a_{t-1}
 *                                  the wires of one Poseidon gadget (pouw.zk.gadgets_poseidon):
 *                                  x^2, x^4, x^5 of every S-box in evaluation order, except the
 *                                  first-round S-boxes whose bit in mask is clear (their input is a
 *                                  constant) and the last S-box's x^5, then the hash.
 *
 * pw_wprog_check validates a program once (every index in range, outputs in
 * increasing order and inside w, the Poseidon widths available), so that a
 * program read back from a file cannot make pw_wprog_run read or write out of
 * bounds; pw_wprog_run then trusts it.  Nothing allocates except the Poseidon
 * scratch the caller passes; nothing touches Python: runs without the GIL.
 */
#ifndef POUW_PW_WITNESS_H
#define POUW_PW_WITNESS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bn254_field.h"
#include "bn254_poseidon.h"

enum {
    PW_W_INPUT = 1,
    PW_W_MULADD = 2,
    PW_W_INV = 3,
    PW_W_ISZERO = 4,
    PW_W_BITS = 5,
    PW_W_POSEIDON = 6,
};

typedef struct {
    size_t n_vars, n_inputs, n_lc, n_code;
    const int64_t *code;
    const int64_t *lc_ptr; /* n_lc + 1 */
    const int64_t *lc_var;
    const uint64_t *lc_coef; /* Montgomery, 4 limbs each */
    const bn_psd *psd[BN_PSD_MAX_T + 1]; /* the constants of width t, or NULL */
} pw_wprog;

/* Rows one Poseidon op writes for width t and first-round mask (bits 0..t-1). */
static inline size_t pw_wprog_psd_rows(const bn_psd *P, uint64_t mask) {
    size_t kept = (size_t)P->rf * (size_t)P->t + (size_t)P->rp - (size_t)P->t;
    int j;
    for (j = 0; j < P->t; j++) kept += (mask >> j) & 1;
    return 3 * kept; /* the last S-box's x^5 gives way to the hash: same count */
}

/* The scratch (in rows of 4 limbs) one Poseidon op of width t needs. */
static inline size_t pw_wprog_psd_scratch(const bn_psd *P) {
    return 3 * bn_psd_n_sboxes(P) + (size_t)P->t;
}

/* Instruction length (op, out and its arguments), or 0 for an unknown op or a
 * record that runs past the end (code[i] is the op, i < n). */
static inline size_t pw_wprog_len(const int64_t *code, size_t i, size_t n) {
    size_t len;
    switch (code[i]) {
    case PW_W_INPUT: len = 3; break;
    case PW_W_MULADD: len = 5; break;
    case PW_W_INV: case PW_W_ISZERO: len = 3; break;
    case PW_W_BITS: len = 5; break;
    case PW_W_POSEIDON:
        if (i + 2 >= n || code[i + 2] < 2 || code[i + 2] > BN_PSD_MAX_T) return 0;
        len = 4 + (size_t)(code[i + 2] - 1);
        break;
    default: return 0;
    }
    return i + len <= n ? len : 0;
}

/* -1 when the program is well formed, else the offset in code of the first bad
 * instruction (n_code when the LC table itself is bad).  *scratch_rows := the
 * Poseidon scratch pw_wprog_run needs. */
static ptrdiff_t pw_wprog_check(const pw_wprog *W, size_t *scratch_rows) {
    size_t i = 0, k, len, next_out = 1, need = 0;
    const int64_t *c = W->code;
    if (W->n_vars < 1 || W->lc_ptr[0] != 0) return (ptrdiff_t)W->n_code;
    for (k = 0; k < W->n_lc; k++)
        if (W->lc_ptr[k + 1] < W->lc_ptr[k]) return (ptrdiff_t)W->n_code;
    for (k = 0; k < (size_t)W->lc_ptr[W->n_lc]; k++)
        if (W->lc_var[k] < 0 || (uint64_t)W->lc_var[k] >= W->n_vars) return (ptrdiff_t)W->n_code;
    while (i < W->n_code) {
        size_t a, rows = 1;
        len = pw_wprog_len(c, i, W->n_code);
        if (!len) return (ptrdiff_t)i;
        if (c[i + 1] < (int64_t)next_out) return (ptrdiff_t)i; /* outputs in increasing order */
        for (a = 2; a < len; a++) {
            int64_t x = c[i + a];
            int is_lc = !(c[i] == PW_W_INPUT || (c[i] == PW_W_BITS && a >= 3) ||
                          (c[i] == PW_W_POSEIDON && a < 4));
            if (is_lc) {
                int optional = c[i] == PW_W_MULADD && a >= 3;
                if (x < (optional ? -1 : 0) || (x >= 0 && (uint64_t)x >= W->n_lc))
                    return (ptrdiff_t)i;
            }
        }
        switch (c[i]) {
        case PW_W_INPUT:
            if (c[i + 2] < 0 || (uint64_t)c[i + 2] >= W->n_inputs) return (ptrdiff_t)i;
            break;
        case PW_W_BITS:
            if (c[i + 3] < 0 || c[i + 4] < 1 || c[i + 3] + c[i + 4] > 254) return (ptrdiff_t)i;
            rows = (size_t)c[i + 4];
            break;
        case PW_W_POSEIDON: {
            const bn_psd *P = W->psd[c[i + 2]];
            if (!P || c[i + 3] < 0 || (uint64_t)c[i + 3] >> P->t) return (ptrdiff_t)i;
            rows = pw_wprog_psd_rows(P, (uint64_t)c[i + 3]);
            if (pw_wprog_psd_scratch(P) > need) need = pw_wprog_psd_scratch(P);
            break;
        }
        default: break;
        }
        if ((uint64_t)c[i + 1] + rows > W->n_vars) return (ptrdiff_t)i;
        next_out = (size_t)c[i + 1] + rows;
        i += len;
    }
    *scratch_rows = need;
    return -1;
}

/* r := lc k over w (r must not alias w). */
static inline void pw_wprog_lc(int be, const pw_wprog *W, int64_t k, const uint64_t *w,
                               uint64_t r[4]) {
    const bn_field *F = &BN_FR;
    uint64_t t[4];
    int64_t j;
    memset(r, 0, 32);
    for (j = W->lc_ptr[k]; j < W->lc_ptr[k + 1]; j++) {
        const uint64_t *coef = W->lc_coef + 4 * j, *x = w + 4 * W->lc_var[j];
        if (bn_eq(coef, F->one)) {
            bn_add(F, r, r, x);
        } else {
            bn_mul_at(be, F, t, coef, x);
            bn_add(F, r, r, t);
        }
    }
}

/* Run a checked program: w (n_vars rows) is filled from inputs (n_inputs rows,
 * Montgomery); scratch holds the rows pw_wprog_check asked for. */
static void pw_wprog_run(int be, const pw_wprog *W, const uint64_t *inputs, uint64_t *w,
                         uint64_t *scratch) {
    const bn_field *F = &BN_FR;
    const int64_t *c = W->code;
    uint64_t a[4], b[4], x[4];
    size_t i = 0, len;
    memset(w, 0, 32 * W->n_vars);
    bn_copy(w, F->one);
    while (i < W->n_code) {
        uint64_t *out = w + 4 * c[i + 1];
        len = pw_wprog_len(c, i, W->n_code);
        switch (c[i]) {
        case PW_W_INPUT:
            bn_copy(out, inputs + 4 * c[i + 2]);
            break;
        case PW_W_MULADD:
            pw_wprog_lc(be, W, c[i + 2], w, a);
            if (c[i + 3] >= 0) {
                pw_wprog_lc(be, W, c[i + 3], w, b);
                bn_mul_at(be, F, a, a, b);
            }
            if (c[i + 4] >= 0) {
                pw_wprog_lc(be, W, c[i + 4], w, b);
                bn_add(F, a, a, b);
            }
            bn_copy(out, a);
            break;
        case PW_W_INV:
            pw_wprog_lc(be, W, c[i + 2], w, a);
            bn_inv_at(be, F, out, a); /* 0 -> 0 (a^(r-2)) */
            break;
        case PW_W_ISZERO:
            pw_wprog_lc(be, W, c[i + 2], w, a);
            if (bn_is_zero(a)) bn_copy(out, F->one);
            else memset(out, 0, 32);
            break;
        case PW_W_BITS: {
            int64_t first = c[i + 3], n = c[i + 4], j;
            pw_wprog_lc(be, W, c[i + 2], w, a);
            bn_from_mont_at(be, F, x, a);
            for (j = 0; j < n; j++) {
                int64_t bit = first + j;
                if ((x[bit >> 6] >> (bit & 63)) & 1) bn_copy(out + 4 * j, F->one);
                else memset(out + 4 * j, 0, 32);
            }
            break;
        }
        case PW_W_POSEIDON: {
            const bn_psd *P = W->psd[c[i + 2]];
            uint64_t mask = (uint64_t)c[i + 3];
            const int t = P->t;
            uint64_t *s = scratch, *rec = scratch + 4 * (size_t)t, *o = out;
            size_t k, n_sbox = bn_psd_n_sboxes(P);
            int j;
            memset(s, 0, 32);
            for (j = 1; j < t; j++) pw_wprog_lc(be, W, c[i + 3 + j], w, s + 4 * j);
            bn_psd_trace_at(be, P, s, rec);
            for (k = 0; k < n_sbox; k++) {
                size_t rows = 3;
                if (k < (size_t)t && !((mask >> k) & 1)) continue;
                if (k == n_sbox - 1) rows = 2;
                memcpy(o, rec + 12 * k, 32 * rows);
                o += 4 * rows;
            }
            bn_copy(o, s); /* the hash: state[0] */
            break;
        }
        default: break; /* unreachable after pw_wprog_check */
        }
        i += len;
    }
}

#endif /* POUW_PW_WITNESS_H */
