/* bn254_msm.h -- multi-scalar multiplication sum_i [k_i] P_i on G1 and G2 of BN254.
 *
 * Pippenger's bucket method with signed c-bit digits:
 *   1. recoding: each scalar (canonical, < r) is cut into W = floor(254/c) + 1
 *      digits d_j in [-2^(c-1), 2^(c-1)] with k = sum d_j 2^(cj) (a digit above
 *      2^(c-1) borrows 2^c from the next window), so a window needs only
 *      2^(c-1) buckets and a negative digit adds -P (a free negation of y).
 *      Points at infinity get all-zero digits: they are never touched again.
 *   2. accumulation, per window: bucket[|d|-1] += sign(d) P_i.  Two modes:
 *      - MSM_AFFINE: buckets are affine and additions are collected into
 *        batches of MSM_BATCH independent (bucket, point) pairs whose
 *        denominators x2 - x1 share ONE inversion (Montgomery's trick):
 *        about 6 multiplies per addition instead of 11 for a mixed Jacobian
 *        one.  A point whose bucket already waits in the current batch is
 *        retried after the flush; on a second conflict (or when P == +-bucket)
 *        it goes to a per-bucket Jacobian overflow by mixed addition.
 *      - MSM_JACOBIAN: every addition is a mixed Jacobian one (madd).
 *   3. reduction: running sum from the top bucket, S = sum_b (b+1) bucket[b].
 *   4. combination: Horner over the windows, c doublings between them.
 * Threads: plain MSM splits WINDOWS over threads (an atomic counter hands them
 * out); the fixed-base MSM splits POINT RANGES (one bucket set per thread).
 *
 * Fixed bases (msm_fb_*): table[j][i] = [2^(cj)] P_i, affine, computed once;
 * then every window shares one bucket set, so an MSM is one accumulation of
 * n*W additions plus ONE reduction and no doublings.
 *
 * Memory: the kernels malloc their scratch (buckets, digits, batches) and free
 * it before returning; they return 0, or MSM_ENOMEM (nothing written).  No
 * Python object is touched: every function may run without the GIL (the
 * Cython caller keeps the input buffers alive across the release).  Not
 * constant time: for public points (proving keys) and non-secret timing.
 */
#ifndef POUW_BN254_MSM_H
#define POUW_BN254_MSM_H

#include <pthread.h>
#include "bn254_curve.h"

/* The bucket loops are bound by these small field helpers: in this
 * translation unit they are always inlined (GCC otherwise keeps them as calls,
 * ~25% of an MSM).  Redeclarations only add the attribute. */
#if defined(__GNUC__) && !defined(__clang__)
#define MSM_ALWAYS_INLINE __attribute__((always_inline))
static inline void bc_f_sub(const bc_ctx *, uint64_t *, const uint64_t *, const uint64_t *) MSM_ALWAYS_INLINE;
static inline void bc_f_add(const bc_ctx *, uint64_t *, const uint64_t *, const uint64_t *) MSM_ALWAYS_INLINE;
static inline void bc_f_mul(const bc_ctx *, uint64_t *, const uint64_t *, const uint64_t *) MSM_ALWAYS_INLINE;
static inline void bc_f_sqr(const bc_ctx *, uint64_t *, const uint64_t *) MSM_ALWAYS_INLINE;
static inline void bc_f_neg(const bc_ctx *, uint64_t *, const uint64_t *) MSM_ALWAYS_INLINE;
static inline void bn_mul_adx_raw(const uint64_t *, uint64_t[4], const uint64_t[4], const uint64_t[4]) MSM_ALWAYS_INLINE;
static inline void bn_add(const bn_field *, uint64_t[4], const uint64_t[4], const uint64_t[4]) MSM_ALWAYS_INLINE;
static inline void bn_sub(const bn_field *, uint64_t[4], const uint64_t[4], const uint64_t[4]) MSM_ALWAYS_INLINE;
static inline void bn_neg(const bn_field *, uint64_t[4], const uint64_t[4]) MSM_ALWAYS_INLINE;
static inline void bn_reduce_once(const bn_field *, uint64_t[4], const uint64_t[4]) MSM_ALWAYS_INLINE;
static inline void bn_mul_adx(const bn_field *, uint64_t[4], const uint64_t[4], const uint64_t[4]) MSM_ALWAYS_INLINE;
static inline void bn_mul_at(int, const bn_field *, uint64_t[4], const uint64_t[4], const uint64_t[4]) MSM_ALWAYS_INLINE;
#endif

#define MSM_ENOMEM (-1)
#define MSM_MAX_WINDOW 15 /* digits fit int16: |d| <= 2^14 */
#define MSM_MAX_THREADS 256
#define MSM_BATCH 1024    /* pairs sharing one inversion in affine mode */
enum { MSM_JACOBIAN = 0, MSM_AFFINE = 1 };
#ifndef MSM_VECTOR
#define MSM_VECTOR 1 /* flushes as array multiplies (IFMA: 8 at once); 0: scalar */
#endif

/* Windows of c bits for 254-bit scalars (room for the top window's carry). */
static inline int msm_windows(int c) { return 254 / c + 1; }

/* The window size for n points: minimises W(c) * (n + 2 * 2^(c-1)) (an
 * addition into a bucket against the ~2x dearer reduction step per bucket; measured best at 2^10 and 2^16). */
static inline int msm_pick_window(size_t n) {
    int c, best = 1;
    double best_cost = 0;
    for (c = 1; c <= MSM_MAX_WINDOW; c++) {
        double cost = (double)msm_windows(c) * ((double)n + 2.0 * (double)((size_t)1 << (c - 1)));
        if (c == 1 || cost < best_cost) {
            best = c;
            best_cost = cost;
        }
    }
    return best;
}

/* G1 goes through GLV (2n points, 128-bit scalars) below this many points.
 * GLV halves the windows, i.e. the bucket reductions and Horner doublings,
 * for the same number of bucket additions plus a split per scalar; once the
 * additions dominate it stops paying (measured on one and two threads: 2^17
 * 2.26 vs 2.49 us/pt, 2^18 2.20 vs 2.14, 2^20 2.22 vs 1.91). */
#define MSM_GLV_MAX_N ((size_t)1 << 18)

/* Windows of c bits for 128-bit GLV halves (room for the top carry). */
static inline int msm_glv_windows(int c) { return 128 / c + 1; }

/* The window for a GLV MSM of n points: minimises W128(c) * (2n + 3 * 2^(c-1))
 * over the 2n half-size points (the reduction weighted 3, measured best
 * against 2 within one window at 2^10..2^17: 8, 10, 12, 13, 13). */
static inline int msm_pick_window_glv(size_t n) {
    int c, best = 1;
    double best_cost = 0;
    for (c = 1; c <= MSM_MAX_WINDOW; c++) {
        double cost = (double)msm_glv_windows(c) * (2.0 * (double)n + 3.0 * (double)((size_t)1 << (c - 1)));
        if (c == 1 || cost < best_cost) {
            best = c;
            best_cost = cost;
        }
    }
    return best;
}

/* The window msm_run uses for n points of a group of degree deg (1: G1, 2: G2)
 * when given window 0. */
static inline int msm_pick_window_for(size_t n, int deg) {
    int c;
    if (deg == 1 && n < MSM_GLV_MAX_N) return msm_pick_window_glv(n);
    c = msm_pick_window(n) + (deg == 2); /* G2: dearer additions, measured */
    return c > MSM_MAX_WINDOW ? MSM_MAX_WINDOW : c;
}

/* ------------------------------------------------------------------ recoding */

/* digits[j * n + i] := signed digit j of scalar i (0 for infinity points).
 * scalars: n x 4 limbs, Montgomery form of Fr when mont, else plain integers;
 * either way the value must be < r (the Python face reduces). */
static inline void msm_recode_bits(int be, size_t n, int c, const uint64_t *scalars, int mont,
                                   const bc_ctx *ctx, const uint64_t *points, int16_t *digits, int bits) {
    const int W = bits / c + 1;
    const int64_t full = (int64_t)1 << c, half = (int64_t)1 << (c - 1);
    const uint64_t mask = (uint64_t)full - 1;
    const size_t pw = 2 * (size_t)ctx->w;
    size_t i;
    int j;
    for (i = 0; i < n; i++) {
        uint64_t k[5];
        int64_t carry = 0;
        if (points && bc_aff_is_inf(ctx, points + pw * i)) {
            for (j = 0; j < W; j++) digits[(size_t)j * n + i] = 0;
            continue;
        }
        if (mont) bn_from_mont_at(be, &BN_FR, k, scalars + 4 * i);
        else bn_copy(k, scalars + 4 * i);
        k[4] = 0;
        for (j = 0; j < W; j++) {
            int bit = j * c, limb = bit >> 6, sh = bit & 63;
            uint64_t v = k[limb] >> sh;
            int64_t d;
            if (sh + c > 64 && limb < 4) v |= k[limb + 1] << (64 - sh);
            d = (int64_t)(v & mask) + carry;
            carry = 0;
            if (d > half) {
                d -= full;
                carry = 1;
            }
            digits[(size_t)j * n + i] = (int16_t)d;
        }
    }
}

static inline void msm_recode(int be, size_t n, int c, const uint64_t *scalars, int mont,
                              const bc_ctx *ctx, const uint64_t *points, int16_t *digits) {
    msm_recode_bits(be, n, c, scalars, mont, ctx, points, digits, 254);
}

/* ------------------------------------------------------------------ bucket accumulator */

typedef struct msm_acc {
    bc_ctx c;
    int mode;
    size_t nb;         /* buckets: 2^(c-1) */
    uint64_t *bucket;  /* nb affine points (2w limbs) */
    uint8_t *full;     /* bucket[b] holds a point (else it is zero) */
    uint64_t *over;    /* nb Jacobian points: the overflow */
    uint8_t *over_on;  /* over[b] was written */
    uint32_t *stamp;   /* == epoch: bucket[b] waits in the current batch */
    uint32_t epoch;
    /* the batch of affine additions */
    size_t len;
    uint32_t *bidx;
    const uint64_t **pt;
    uint8_t *neg;
    uint64_t *den, *pref, *tmp; /* MSM_BATCH * w each */
    uint64_t *vs;               /* MSM_BATCH * 16: msm_vmul's scratch */
    /* deferred (bucket busy): retried after the next flush */
    size_t npend;
    const uint64_t **pend_pt;
    int16_t *pend_d;
} msm_acc;

static inline void msm_acc_free(msm_acc *a) {
    free(a->bucket); free(a->full); free(a->over); free(a->over_on); free(a->stamp);
    free(a->bidx); free((void *)a->pt); free(a->neg); free(a->den); free(a->pref); free(a->tmp); free(a->vs);
    free((void *)a->pend_pt); free(a->pend_d);
    memset(a, 0, sizeof(*a));
}

static inline int msm_acc_init(msm_acc *a, const bc_ctx *c, int window, int mode) {
    const size_t w = (size_t)c->w;
    memset(a, 0, sizeof(*a));
    a->c = *c;
    a->mode = mode;
    a->nb = (size_t)1 << (window - 1);
    a->bucket = (uint64_t *)malloc(a->nb * 2 * w * 8);
    a->full = (uint8_t *)calloc(a->nb, 1);
    a->over = (uint64_t *)malloc(a->nb * 3 * w * 8);
    a->over_on = (uint8_t *)calloc(a->nb, 1);
    a->stamp = (uint32_t *)calloc(a->nb, 4);
    a->bidx = (uint32_t *)malloc(MSM_BATCH * 4);
    a->pt = (const uint64_t **)malloc(MSM_BATCH * sizeof(void *));
    a->neg = (uint8_t *)malloc(MSM_BATCH);
    a->den = (uint64_t *)malloc(MSM_BATCH * w * 8);
    a->pref = (uint64_t *)malloc(MSM_BATCH * w * 8);
    a->tmp = (uint64_t *)malloc(MSM_BATCH * w * 8);
    a->vs = (uint64_t *)malloc(MSM_BATCH * 16 * 8);
    a->pend_pt = (const uint64_t **)malloc(MSM_BATCH * sizeof(void *));
    a->pend_d = (int16_t *)malloc(MSM_BATCH * 2);
    a->epoch = 1;
    if (!a->bucket || !a->full || !a->over || !a->over_on || !a->stamp || !a->bidx || !a->pt ||
        !a->neg || !a->den || !a->pref || !a->tmp || !a->vs || !a->pend_pt || !a->pend_d) {
        msm_acc_free(a);
        return MSM_ENOMEM;
    }
    return 0;
}

/* Empty every bucket (a new window). */
static inline void msm_acc_clear(msm_acc *a) {
    memset(a->full, 0, a->nb);
    memset(a->over_on, 0, a->nb);
}

/* over[b] += s*P by mixed Jacobian addition (any P, bucket states). */
static inline void msm_acc_overflow(msm_acc *a, size_t b, const uint64_t *P, int neg) {
    const bc_ctx *c = &a->c;
    uint64_t tmp[2 * BC_MAXW], *O = a->over + 3 * (size_t)c->w * b;
    const uint64_t *q = P;
    if (neg) {
        bc_aff_neg(c, tmp, P);
        q = tmp;
    }
    if (!a->over_on[b]) {
        bc_from_affine(c, O, q);
        a->over_on[b] = 1;
    } else {
        bc_madd(c, O, O, q);
    }
}

/* out[k] := x[k] * y[k] for n coordinates (Fq or Fq2) as whole-array
 * multiplies, so that the IFMA backend runs them eight at a time.  Fq2 by
 * Karatsuba: one multiply over the 2n Fq halves (x0 y0, x1 y1), one over the
 * n sums (x0 + x1)(y0 + y1).  vs: 4n Fq rows of scratch.  out may alias x, y. */
static inline void msm_vmul(const bc_ctx *c, size_t n, uint64_t *out, const uint64_t *x,
                            const uint64_t *y, uint64_t *vs) {
    const bn_field *F = &BN_FQ;
    uint64_t *t01 = vs, *sa = vs + 8 * n, *sb = vs + 12 * n;
    size_t k;
    if (c->deg == 1) {
        bn_mul_batch_at(c->be, F, n, out, x, y);
        return;
    }
    bn_mul_batch_at(c->be, F, 2 * n, t01, x, y);
    for (k = 0; k < n; k++) {
        bn_add(F, sa + 4 * k, x + 8 * k, x + 8 * k + 4);
        bn_add(F, sb + 4 * k, y + 8 * k, y + 8 * k + 4);
    }
    bn_mul_batch_at(c->be, F, n, sa, sa, sb);
    for (k = 0; k < n; k++) {
        const uint64_t *t0 = t01 + 8 * k, *t1 = t01 + 8 * k + 4;
        bn_sub(F, out + 8 * k, t0, t1);
        bn_sub(F, out + 8 * k + 4, sa + 4 * k, t0);
        bn_sub(F, out + 8 * k + 4, out + 8 * k + 4, t1);
    }
}

/* out[l] := 1 / x[l] for m <= 8 nonzero coordinates (one inversion). */
static inline void msm_inv_small(const bc_ctx *c, size_t m, uint64_t *out, const uint64_t *x) {
    const size_t w = (size_t)c->w;
    uint64_t pre[8 * BC_MAXW], inv[BC_MAXW], t[BC_MAXW];
    size_t l;
    bc_f_copy(c, pre, x);
    for (l = 1; l < m; l++) bc_f_mul(c, pre + w * l, pre + w * (l - 1), x + w * l);
    bc_f_inv(c, inv, pre + w * (m - 1));
    for (l = m; l-- > 1;) {
        bc_f_mul(c, out + w * l, inv, pre + w * (l - 1));
        bc_f_mul(c, t, inv, x + w * l);
        bc_f_copy(c, inv, t);
    }
    bc_f_copy(c, out, inv);
}

/* The flush below written with whole-array multiplies (msm_vmul): Montgomery's
 * trick on 8 interleaved chains (pref[k] = pref[k-8] * den[k]), one inversion
 * of the 8 chain products, then lambda, lambda^2 and the y products over the
 * whole batch. */
static inline void msm_acc_flush_batch_vec(msm_acc *a) {
    const bc_ctx *c = &a->c;
    const size_t w = (size_t)c->w, n = a->len;
    uint64_t *den = a->den, *pref = a->pref, *tmp = a->tmp, *vs = a->vs;
    uint64_t tot[8 * BC_MAXW], inv[8 * BC_MAXW];
    size_t k, b, m, l, lanes = n < 8 ? n : 8;
    memcpy(pref, den, 8 * w * lanes);
    for (k = 8; k < n; k += 8) {
        m = n - k < 8 ? n - k : 8;
        msm_vmul(c, m, pref + w * k, pref + w * (k - 8), den + w * k, vs);
    }
    for (l = 0; l < lanes; l++) bc_f_copy(c, tot + w * l, pref + w * (((n - 1 - l) / 8) * 8 + l));
    msm_inv_small(c, lanes, inv, tot);      /* den != 0: every product is nonzero */
    for (b = ((n - 1) / 8) * 8;; b -= 8) { /* tmp[k] := 1 / den[k] */
        m = n - b < 8 ? n - b : 8;
        if (b == 0) {
            memcpy(tmp, inv, 8 * w * m);
            break;
        }
        msm_vmul(c, m, tmp + w * b, inv, pref + w * (b - 8), vs);
        msm_vmul(c, m, inv, inv, den + w * b, vs);
    }
    for (k = 0; k < n; k++) { /* pref[k] := y2 - y1 */
        const uint64_t *B = a->bucket + 2 * w * a->bidx[k], *P = a->pt[k];
        if (a->neg[k]) {
            bc_f_add(c, pref + w * k, P + w, B + w);
            bc_f_neg(c, pref + w * k, pref + w * k);
        } else {
            bc_f_sub(c, pref + w * k, P + w, B + w);
        }
    }
    msm_vmul(c, n, den, pref, tmp, vs); /* den := lambda */
    msm_vmul(c, n, tmp, den, den, vs);  /* tmp := lambda^2 */
    for (k = 0; k < n; k++) {           /* x3 into the bucket, pref := x1 - x3 */
        uint64_t *B = a->bucket + 2 * w * a->bidx[k];
        uint64_t x3[BC_MAXW];
        bc_f_sub(c, x3, tmp + w * k, B);
        bc_f_sub(c, x3, x3, a->pt[k]);
        bc_f_sub(c, pref + w * k, B, x3);
        bc_f_copy(c, B, x3);
    }
    msm_vmul(c, n, tmp, den, pref, vs); /* lambda (x1 - x3) */
    for (k = 0; k < n; k++) {
        uint64_t *B = a->bucket + 2 * w * a->bidx[k];
        bc_f_sub(c, B + w, tmp + w * k, B + w);
    }
    a->len = 0;
    a->epoch++;
}

/* Apply the batch: one inversion for every denominator, then the affine sums. */
static inline void msm_acc_flush_batch(msm_acc *a) {
    const bc_ctx *c = &a->c;
    const size_t w = (size_t)c->w;
    uint64_t inv[BC_MAXW], dinv[BC_MAXW], lam[BC_MAXW], y2[BC_MAXW], x3[BC_MAXW], t[BC_MAXW];
    size_t k, n = a->len;
    if (n == 0) return;
    if (MSM_VECTOR) {
        msm_acc_flush_batch_vec(a);
        return;
    }
    bc_f_copy(c, a->pref, a->den);
    for (k = 1; k < n; k++) bc_f_mul(c, a->pref + w * k, a->pref + w * (k - 1), a->den + w * k);
    bc_f_inv(c, inv, a->pref + w * (n - 1));
    for (k = n; k-- > 0;) {
        uint64_t *B = a->bucket + 2 * w * a->bidx[k];
        const uint64_t *P = a->pt[k];
        if (k > 0) {
            bc_f_mul(c, dinv, inv, a->pref + w * (k - 1));
            bc_f_mul(c, inv, inv, a->den + w * k);
        } else {
            bc_f_copy(c, dinv, inv);
        }
        if (a->neg[k]) bc_f_neg(c, y2, P + w);
        else bc_f_copy(c, y2, P + w);
        bc_f_sub(c, lam, y2, B + w);
        bc_f_mul(c, lam, lam, dinv);       /* (y2 - y1) / (x2 - x1) */
        bc_f_sqr(c, x3, lam);
        bc_f_sub(c, x3, x3, B);
        bc_f_sub(c, x3, x3, P);             /* lam^2 - x1 - x2 */
        bc_f_sub(c, t, B, x3);
        bc_f_mul(c, t, lam, t);
        bc_f_sub(c, B + w, t, B + w);       /* lam (x1 - x3) - y1 */
        bc_f_copy(c, B, x3);
    }
    a->len = 0;
    a->epoch++;
}

static inline void msm_acc_add(msm_acc *a, const uint64_t *P, int d, int may_defer);

/* Flush the batch, then retry what was deferred (second conflicts overflow). */
static inline void msm_acc_flush(msm_acc *a) {
    size_t k, np;
    msm_acc_flush_batch(a);
    while (a->npend) {
        np = a->npend;
        a->npend = 0;
        for (k = 0; k < np; k++) msm_acc_add(a, a->pend_pt[k], a->pend_d[k], 0);
        msm_acc_flush_batch(a);
    }
}

/* bucket[|d|-1] += sign(d) P for a finite affine P and d != 0. */
static inline void msm_acc_add(msm_acc *a, const uint64_t *P, int d, int may_defer) {
    const bc_ctx *c = &a->c;
    const size_t w = (size_t)c->w;
    const int neg = d < 0;
    const size_t b = (size_t)(neg ? -d : d) - 1;
    uint64_t *B = a->bucket + 2 * w * b;
    if (a->mode == MSM_JACOBIAN) {
        msm_acc_overflow(a, b, P, neg);
        return;
    }
    if (a->stamp[b] == a->epoch) { /* bucket busy in this batch */
        if (may_defer) {
            if (a->npend == MSM_BATCH) msm_acc_flush(a); /* never fills twice in a row */
            a->pend_pt[a->npend] = P;
            a->pend_d[a->npend++] = (int16_t)d;
        } else {
            msm_acc_overflow(a, b, P, neg);
        }
        return;
    }
    if (!a->full[b]) {
        if (neg) bc_aff_neg(c, B, P);
        else bc_f_copy(c, B, P), bc_f_copy(c, B + w, P + w);
        a->full[b] = 1;
        return;
    }
    {
        uint64_t *dx = a->den + w * a->len;
        bc_f_sub(c, dx, P, B);
        if (bc_f_is_zero(c, dx)) { /* P == +-bucket: rare, leave it to Jacobian */
            msm_acc_overflow(a, b, P, neg);
            return;
        }
    }
    a->bidx[a->len] = (uint32_t)b;
    a->pt[a->len] = P;
    a->neg[a->len] = (uint8_t)neg;
    a->stamp[b] = a->epoch;
    if (++a->len == MSM_BATCH) msm_acc_flush(a);
}

/* R := sum_b (b + 1) * (bucket[b] + over[b]) (Jacobian), by running sums. */
static inline void msm_acc_reduce(msm_acc *a, uint64_t *R) {
    const bc_ctx *c = &a->c;
    const size_t w = (size_t)c->w;
    uint64_t run[3 * BC_MAXW];
    size_t b;
    msm_acc_flush(a);
    bc_set_inf(c, run);
    bc_set_inf(c, R);
    for (b = a->nb; b-- > 0;) {
        if (a->full[b]) bc_madd(c, run, run, a->bucket + 2 * w * b);
        if (a->over_on[b]) bc_add(c, run, run, a->over + 3 * w * b);
        bc_add(c, R, R, run);
    }
}

/* ------------------------------------------------------------------ threads */

static inline void msm_run_threads(int threads, void *(*fn)(void *), void *args, size_t argsize) {
    pthread_t tid[MSM_MAX_THREADS];
    int started[MSM_MAX_THREADS];
    int t;
    for (t = 1; t < threads; t++)
        started[t] = pthread_create(&tid[t], NULL, fn, (char *)args + argsize * (size_t)t) == 0;
    fn(args);
    for (t = 1; t < threads; t++) {
        if (started[t]) pthread_join(tid[t], NULL);
        else fn((char *)args + argsize * (size_t)t); /* could not start: run it here */
    }
}

/* ------------------------------------------------------------------ plain MSM */

typedef struct msm_job {
    const bc_ctx *c;
    size_t n;
    int window, mode, W;
    const uint64_t *points;
    const int16_t *digits;
    uint64_t *sums;      /* W Jacobian window sums */
    int *next;           /* shared window counter */
    int status;
} msm_job;

static void *msm_windows_worker(void *arg) {
    msm_job *job = (msm_job *)arg;
    const size_t pw = 2 * (size_t)job->c->w;
    msm_acc acc;
    int j;
    size_t i;
    if (msm_acc_init(&acc, job->c, job->window, job->mode) != 0) {
        job->status = MSM_ENOMEM;
        return NULL;
    }
    while ((j = __atomic_fetch_add(job->next, 1, __ATOMIC_RELAXED)) < job->W) {
        const int16_t *dj = job->digits + (size_t)j * job->n;
        msm_acc_clear(&acc);
        for (i = 0; i < job->n; i++)
            if (dj[i]) msm_acc_add(&acc, job->points + pw * i, dj[i], 1);
        msm_acc_reduce(&acc, job->sums + 3 * (size_t)job->c->w * (size_t)j);
    }
    msm_acc_free(&acc);
    return NULL;
}

/* msm_run over scalars of at most `bits` bits (window already chosen). */
static inline int msm_run_bits(const bc_ctx *c, size_t n, uint64_t *R, const uint64_t *points,
                               const uint64_t *scalars, int mont, int window, int mode, int threads,
                               int bits) {
    const size_t w = (size_t)c->w;
    int W, j, t, next = 0, status = 0;
    int16_t *digits;
    uint64_t *sums;
    msm_job jobs[MSM_MAX_THREADS];
    W = bits / window + 1;
    if (threads > W) threads = W;
    if (threads > MSM_MAX_THREADS) threads = MSM_MAX_THREADS;
    if (threads < 1) threads = 1;
    digits = (int16_t *)malloc(n * (size_t)W * 2);
    sums = (uint64_t *)malloc((size_t)W * 3 * w * 8);
    if (!digits || !sums) {
        free(digits);
        free(sums);
        return MSM_ENOMEM;
    }
    msm_recode_bits(c->be, n, window, scalars, mont, c, points, digits, bits);
    for (t = 0; t < threads; t++) {
        msm_job *jb = &jobs[t];
        jb->c = c; jb->n = n; jb->window = window; jb->mode = mode; jb->W = W;
        jb->points = points; jb->digits = digits; jb->sums = sums; jb->next = &next;
        jb->status = 0;
    }
    msm_run_threads(threads, msm_windows_worker, jobs, sizeof(msm_job));
    for (t = 0; t < threads; t++)
        if (jobs[t].status) status = jobs[t].status;
    if (status == 0 && next < W) status = MSM_ENOMEM; /* every worker failed to start */
    if (status == 0) {
        bc_copy(c, R, sums + 3 * w * (size_t)(W - 1));
        for (j = W - 2; j >= 0; j--) {
            for (t = 0; t < window; t++) bc_dbl(c, R, R);
            bc_add(c, R, R, sums + 3 * w * (size_t)j);
        }
    }
    free(digits);
    free(sums);
    return status;
}

/* G1 by GLV: k_i = k1 + k2 lambda (bc_glv_split, |k1|, |k2| < 2^128), so
 * sum [k_i] P_i = sum [|k1|](+-P_i) + [|k2|](+-phi(P_i)): an MSM of 2n points
 * with 128-bit scalars, half the windows (half the bucket reductions and
 * Horner doublings) for the same number of bucket additions. */
static inline int msm_run_glv(const bc_ctx *c, size_t n, uint64_t *R, const uint64_t *points,
                              const uint64_t *scalars, int mont, int window, int mode, int threads) {
    uint64_t *pts2 = (uint64_t *)malloc(2 * n * 8 * 8), *sc2 = (uint64_t *)malloc(2 * n * 4 * 8);
    size_t i;
    int status;
    if (!pts2 || !sc2) {
        free(pts2);
        free(sc2);
        return MSM_ENOMEM;
    }
    for (i = 0; i < n; i++) {
        const uint64_t *P = points + 8 * i;
        uint64_t *A = pts2 + 8 * i, *B = pts2 + 8 * (n + i);
        uint64_t k[4], k1[4], k2[4];
        if (bc_aff_is_inf(c, P)) {
            memset(A, 0, 64);
            memset(B, 0, 64);
            memset(sc2 + 4 * i, 0, 32);
            memset(sc2 + 4 * (n + i), 0, 32);
            continue;
        }
        if (mont) bn_from_mont_at(c->be, &BN_FR, k, scalars + 4 * i);
        else bn_copy(k, scalars + 4 * i);
        bc_glv_split(k1, k2, k);
        memcpy(A, P, 64);
        if (bc_u256_abs(sc2 + 4 * i, k1)) bn_neg(&BN_FQ, A + 4, A + 4);
        bn_mul_at(c->be, &BN_FQ, B, P, BC_GLV_BETA);
        memcpy(B + 4, P + 4, 32);
        if (bc_u256_abs(sc2 + 4 * (n + i), k2)) bn_neg(&BN_FQ, B + 4, B + 4);
    }
    status = msm_run_bits(c, 2 * n, R, pts2, sc2, 0, window, mode, threads, 128);
    free(pts2);
    free(sc2);
    return status;
}

/* R (Jacobian, 3w limbs) := sum_i [k_i] points[i].  points: n affine rows
 * (2w limbs, all zero = infinity); scalars: n x 4 limbs < r (Montgomery form of
 * Fr when mont).  window 0 picks one; threads >= 1.  0, or MSM_ENOMEM.
 * G1 below MSM_GLV_MAX_N points goes through GLV (msm_run_glv), larger G1
 * and G2 through 254-bit windows. */
static inline int msm_run(const bc_ctx *c, size_t n, uint64_t *R, const uint64_t *points,
                          const uint64_t *scalars, int mont, int window, int mode, int threads) {
    if (n == 0) {
        bc_set_inf(c, R);
        return 0;
    }
    if (window <= 0) window = msm_pick_window_for(n, c->deg);
    if (window > MSM_MAX_WINDOW) window = MSM_MAX_WINDOW;
    if (c->deg == 1 && n < MSM_GLV_MAX_N)
        return msm_run_glv(c, n, R, points, scalars, mont, window, mode, threads);
    return msm_run_bits(c, n, R, points, scalars, mont, window, mode, threads, 254);
}

/* ------------------------------------------------------------------ fixed bases */

typedef struct msm_table_job {
    const bc_ctx *c;
    size_t n, lo, hi;
    int window;
    const uint64_t *points;
    uint64_t *table, *scratch;
} msm_table_job;

/* Rows lo..hi of every window of the table (scratch rows lo..hi likewise). */
static void *msm_table_worker(void *arg) {
    msm_table_job *job = (msm_table_job *)arg;
    const bc_ctx *c = job->c;
    const size_t w = (size_t)c->w, pw = 2 * w, n = job->n, lo = job->lo, m = job->hi - job->lo;
    const int W = msm_windows(job->window);
    uint64_t *jac = job->scratch + 3 * w * lo, *inv = job->scratch + 3 * w * n + w * lo;
    size_t i;
    int j, k;
    if (m == 0) return NULL;
    memcpy(job->table + pw * lo, job->points + pw * lo, m * pw * 8);
    for (j = 1; j < W; j++) {
        const uint64_t *prev = job->table + ((size_t)(j - 1) * n + lo) * pw;
        for (i = 0; i < m; i++) {
            uint64_t *P = jac + 3 * w * i;
            bc_from_affine(c, P, prev + pw * i);
            for (k = 0; k < job->window; k++) bc_dbl(c, P, P);
        }
        bc_to_affine_batch(c, m, job->table + ((size_t)j * n + lo) * pw, jac, inv);
    }
    return NULL;
}

/* table (W*n affine rows, row j*n + i) := [2^(cj)] points[i]; scratch:
 * n * 4w limbs (Jacobian rows and the batch inversion's products).  Point
 * ranges are split over threads; never fails. */
static inline void msm_fb_table(const bc_ctx *c, size_t n, int window, const uint64_t *points,
                                uint64_t *table, uint64_t *scratch, int threads) {
    msm_table_job jobs[MSM_MAX_THREADS];
    int t;
    if (threads > MSM_MAX_THREADS) threads = MSM_MAX_THREADS;
    if (threads < 1) threads = 1;
    for (t = 0; t < threads; t++) {
        jobs[t].c = c; jobs[t].n = n; jobs[t].window = window; jobs[t].points = points;
        jobs[t].table = table; jobs[t].scratch = scratch;
        jobs[t].lo = n * (size_t)t / (size_t)threads;
        jobs[t].hi = n * (size_t)(t + 1) / (size_t)threads;
    }
    msm_run_threads(threads, msm_table_worker, jobs, sizeof(msm_table_job));
}

typedef struct msm_fb_job {
    const bc_ctx *c;
    size_t n, lo, hi;
    int window, mode, W;
    const uint64_t *table;
    const int16_t *digits;
    uint64_t R[3 * BC_MAXW];
    int status;
} msm_fb_job;

static void *msm_fb_worker(void *arg) {
    msm_fb_job *job = (msm_fb_job *)arg;
    const size_t pw = 2 * (size_t)job->c->w;
    msm_acc acc;
    size_t i;
    int j;
    bc_set_inf(job->c, job->R);
    if (job->lo >= job->hi) return NULL;
    if (msm_acc_init(&acc, job->c, job->window, job->mode) != 0) {
        job->status = MSM_ENOMEM;
        return NULL;
    }
    msm_acc_clear(&acc);
    for (j = 0; j < job->W; j++) {
        const int16_t *dj = job->digits + (size_t)j * job->n;
        const uint64_t *tj = job->table + (size_t)j * job->n * pw;
        for (i = job->lo; i < job->hi; i++)
            if (dj[i]) msm_acc_add(&acc, tj + pw * i, dj[i], 1);
    }
    msm_acc_reduce(&acc, job->R);
    msm_acc_free(&acc);
    return NULL;
}

/* R := sum_i [k_i] P_i from the table of msm_fb_table (same window). */
static inline int msm_fb_run(const bc_ctx *c, size_t n, uint64_t *R, const uint64_t *table,
                             const uint64_t *scalars, int mont, int window, int mode, int threads) {
    const int W = msm_windows(window);
    int t, status = 0;
    int16_t *digits;
    msm_fb_job jobs[MSM_MAX_THREADS];
    bc_set_inf(c, R);
    if (n == 0) return 0;
    if (threads > MSM_MAX_THREADS) threads = MSM_MAX_THREADS;
    if (threads < 1) threads = 1;
    if ((size_t)threads > n) threads = (int)n;
    digits = (int16_t *)malloc(n * (size_t)W * 2);
    if (!digits) return MSM_ENOMEM;
    msm_recode(c->be, n, window, scalars, mont, c, table, digits);
    for (t = 0; t < threads; t++) {
        msm_fb_job *jb = &jobs[t];
        jb->c = c; jb->n = n; jb->window = window; jb->mode = mode; jb->W = W;
        jb->lo = n * (size_t)t / (size_t)threads;
        jb->hi = n * (size_t)(t + 1) / (size_t)threads;
        jb->table = table; jb->digits = digits; jb->status = 0;
    }
    msm_run_threads(threads, msm_fb_worker, jobs, sizeof(msm_fb_job));
    for (t = 0; t < threads; t++) {
        if (jobs[t].status) status = jobs[t].status;
        bc_add(c, R, R, jobs[t].R);
    }
    free(digits);
    return status;
}

#endif /* POUW_BN254_MSM_H */
