/* bn254_msm.h -- multi-scalar multiplication sum_i [k_i] P_i on G1 and G2 of BN254.
 *
 * Pippenger's bucket method with signed c-bit digits:
 *   0. endomorphism split (msm_run_endo), below MSM_GLV_MAX_N / MSM_GLS_MAX_N
 *      points: G1 k = k0 + k1 lambda (GLV, parts < 2^128), G2 k = sum k_j
 *      psi^j (GLS, 4 parts < 2^66, < 2^65 in practice): an MSM of 2n / 4n
 *      points +-e^j(P_i) with short scalars, i.e. fewer windows.
 *   1. recoding: each scalar below 2^bits is cut into W = floor(bits/c) + 1
 *      digits d_j in [-2^(c_j-1), 2^(c_j-1)], the widths c_j <= c balanced
 *      to sum to bits + 1 (msm_offsets; a digit above 2^(c_j-1) borrows
 *      2^c_j from the next window), so a window needs only 2^(c_j-1)
 *      buckets and a negative digit adds -P (a free negation of y).
 *      Points at infinity get all-zero digits: they are never touched again.
 *   2. accumulation, per window: bucket[|d|-1] += sign(d) P_i.  Two modes:
 *      - MSM_AFFINE: buckets are affine and additions are collected into
 *        batches of up to MSM_BATCH independent (bucket, point) pairs (an
 *        eighth of the buckets: msm_batch_limit) whose denominators x2 - x1
 *        share ONE inversion (Montgomery's trick): about 6 multiplies per
 *        addition instead of 11 for a mixed Jacobian one.  A point whose
 *        bucket already waits in the batch is deferred and re-added later;
 *        only hot buckets (most of a retry deferred again) and P == +-bucket
 *        go to a per-bucket Jacobian overflow by mixed addition.
 *      - MSM_JACOBIAN: every addition is a mixed Jacobian one (madd).
 *   3. reduction: running sum from the top bucket, S = sum_b (b+1) bucket[b].
 *   4. combination: Horner over the windows, c_j doublings between them.
 * Threads: plain MSM splits WINDOWS over threads (an atomic counter hands them
 * out), each cut into point chunks when the windows do not divide among the
 * threads; the fixed-base MSM splits POINT RANGES (one bucket set per thread).
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

/* G2 goes through GLS (4n points, ~65-bit scalars) below this many points:
 * measured on one core against the 254-bit path at its best window, GLS
 * wins 8.2 to 9.1 us/pt at 2^14, ties at 2^16 (7.17 vs 7.21) and loses at
 * 2^17 (7.06 vs 6.52): four times the points to stream per window. */
#define MSM_GLS_MAX_N ((size_t)1 << 17)

/* Whether msm_run splits scalars by the endomorphism for n points of degree deg. */
static inline int msm_uses_endo(size_t n, int deg) {
    return n < (deg == 1 ? MSM_GLV_MAX_N : MSM_GLS_MAX_N);
}

/* The window for an endomorphism MSM of n points split dim ways into
 * bits-bit parts: minimises (bits/c + 1) * (dim n + red 2^(c-1)), the bucket
 * additions against the reduction (2 additions per bucket) weighted red.
 * G1 (dim 2, 128 bits): red 3, measured best within one window at
 * 2^10..2^17: 8, 10, 12, 13, 13. */
static inline int msm_pick_window_endo(size_t n, int dim, int bits, double red) {
    int c, best = 1;
    double best_cost = 0;
    for (c = 1; c <= MSM_MAX_WINDOW; c++) {
        double cost = (double)(bits / c + 1) * ((double)dim * (double)n + red * (double)((size_t)1 << (c - 1)));
        if (c == 1 || cost < best_cost) {
            best = c;
            best_cost = cost;
        }
    }
    return best;
}

static inline int msm_pick_window_glv(size_t n) { return msm_pick_window_endo(n, 2, 128, 3.0); }

/* The window for a G2 GLS MSM of n points (4n parts).  The parts are below
 * 2^66 and in practice below 2^65 (none of 80,000 random ones reached it), so
 * W windows of balanced widths ceil(66/W) (msm_offsets) cover them; the
 * width minimises W * (4n + 2.5 * 2^(width-1)): bucket additions against
 * the reduction (two Jacobian additions per bucket) weighted 2.5, fitted on
 * one core at 2^10, W = 6, 7, 8: 14.31, 11.96, 12.12 us/pt, and 2^12, W = 6,
 * 7: 9.04, 9.75.  2^10..2^16 get 10, 11, 11, 14 (W = 7, 6, 6, 5).
 * With threads, a W that does not divide among them costs a reduction per
 * thread and window (msm_chunks): 2 threads take W = 8 (c = 9) at 2^10. */
static inline int msm_pick_window_gls_threads(size_t n, int threads) {
    int W, best = 0; /* 0: none yet */
    double best_cost = 0;
    for (W = 5; W <= 66; W++) {
        const int width = (66 + W - 1) / W;
        const double adds = 4.0 * (double)n, red = 2.5 * (double)((size_t)1 << (width - 1));
        double cost;
        if (width > MSM_MAX_WINDOW) continue;
        if (threads <= 1 || W % threads == 0) /* whole windows per thread */
            cost = (double)((W + threads - 1) / threads) * (adds + red);
        else /* point chunks (msm_chunks): every thread reduces every window */
            cost = (double)W * (adds / threads + red);
        if (best == 0 || cost < best_cost) {
            best = width;
            best_cost = cost;
        }
    }
    return best;
}

static inline int msm_pick_window_gls(size_t n) { return msm_pick_window_gls_threads(n, 1); }

/* The window msm_run uses for n points of a group of degree deg (1: G1, 2: G2)
 * when given window 0. */
static inline int msm_pick_window_for(size_t n, int deg) {
    int c;
    if (msm_uses_endo(n, deg)) return deg == 1 ? msm_pick_window_glv(n) : msm_pick_window_gls(n);
    c = msm_pick_window(n) + (deg == 2); /* G2: dearer additions, measured */
    return c > MSM_MAX_WINDOW ? MSM_MAX_WINDOW : c;
}

/* The window msm_run uses for n points on `threads` threads when given
 * window 0: G2 GLS weighs the point chunks of a window count that does not
 * divide among the threads; otherwise msm_pick_window_for. */
static inline int msm_pick_window_threads(size_t n, int deg, int threads) {
    if (deg == 2 && msm_uses_endo(n, 2)) return msm_pick_window_gls_threads(n, threads);
    return msm_pick_window_for(n, deg);
}

/* ------------------------------------------------------------------ recoding */

/* The window boundaries of a plain MSM over scalars below 2^bits with
 * windows of at most c bits: W = bits/c + 1 windows (msm_windows for 254)
 * whose widths off[j+1] - off[j] differ by at most one and sum to bits + 1
 * (a signed digit needs one bit of room for the carry), so that the top
 * window is as full as the others: a nearly empty top window would send
 * most points into a handful of buckets (serialised additions).  Returns W;
 * off: W + 1 entries (MSM_MAX_DIGITS + 1 at most). */
#define MSM_MAX_DIGITS 256
static inline int msm_offsets(int bits, int c, int *off) {
    const int W = bits / c + 1, B = bits + 1;
    int j;
    off[0] = 0;
    for (j = 0; j < W; j++) off[j + 1] = off[j] + B / W + (j < B % W);
    return W;
}

/* digits[j * n + i] := signed digit j of scalar i (0 for infinity points),
 * window j spanning bits off[j] .. off[j+1] (<= MSM_MAX_WINDOW wide).
 * scalars: n x 4 limbs, Montgomery form of Fr when mont, else plain integers;
 * either way the value must be below 2^off[W] / 2 (< r; the Python face reduces). */
static inline void msm_recode_off(int be, size_t n, int W, const int *off, const uint64_t *scalars,
                                  int mont, const bc_ctx *ctx, const uint64_t *points, int16_t *digits) {
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
            const int c = off[j + 1] - off[j], bit = off[j], limb = bit >> 6, sh = bit & 63;
            const int64_t full = (int64_t)1 << c, half = (int64_t)1 << (c - 1);
            uint64_t v = limb < 5 ? k[limb] >> sh : 0;
            int64_t d;
            if (sh + c > 64 && limb < 4) v |= k[limb + 1] << (64 - sh);
            d = (int64_t)(v & ((uint64_t)full - 1)) + carry;
            carry = 0;
            if (d > half) {
                d -= full;
                carry = 1;
            }
            digits[(size_t)j * n + i] = (int16_t)d;
        }
    }
}

/* Uniform c-bit windows over 254-bit scalars (the fixed-base tables' shifts). */
static inline void msm_recode(int be, size_t n, int c, const uint64_t *scalars, int mont,
                              const bc_ctx *ctx, const uint64_t *points, int16_t *digits) {
    int off[MSM_MAX_DIGITS + 1], j, W = msm_windows(c);
    for (j = 0; j <= W; j++) off[j] = c * j;
    msm_recode_off(be, n, W, off, scalars, mont, ctx, points, digits);
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
    size_t len, lim; /* lim: flush at this many (msm_batch_limit) */
    uint32_t *bidx;
    const uint64_t **pt;
    uint8_t *neg;
    uint64_t *den, *pref, *tmp; /* MSM_BATCH * w each */
    uint64_t *vs;               /* MSM_BATCH * 16: msm_vmul's scratch */
    /* deferred (bucket busy): re-added when the queue fills and at the end */
    size_t npend;
    const uint64_t **pend_pt, **retry_pt; /* MSM_BATCH each; swapped by msm_acc_retry */
    int16_t *pend_d, *retry_d;
} msm_acc;

/* Additions per batch for nb buckets: a batch holds distinct buckets only, so
 * a batch near nb defers most points (a full MSM_BATCH over 256..512 buckets
 * sent most of G2's additions to the Jacobian overflow: 33% of a 2^10 MSM in
 * bc_madd); at nb >> MSM_BATCH_SHIFT a new point finds its bucket busy with
 * probability below 2^-MSM_BATCH_SHIFT, and MSM_BATCH_MIN keeps the shared
 * inversion amortised for small windows.  Measured (one core, us/pt):
 * shift 3 vs 2, G2 2^12 9.39 vs 9.92, 2^14 8.16 vs 8.38; minimum 64 vs 16 vs
 * 128, G1 2^10 (128 buckets) 5.10 vs 5.85 vs 6.54. */
#ifndef MSM_BATCH_SHIFT
#define MSM_BATCH_SHIFT 3
#endif
#ifndef MSM_BATCH_MIN
#define MSM_BATCH_MIN 64
#endif
static inline size_t msm_batch_limit(size_t nb) {
    size_t lim = nb >> MSM_BATCH_SHIFT;
    if (lim < MSM_BATCH_MIN) lim = MSM_BATCH_MIN;
    return lim > MSM_BATCH ? MSM_BATCH : lim;
}

static inline void msm_acc_free(msm_acc *a) {
    free(a->bucket); free(a->full); free(a->over); free(a->over_on); free(a->stamp);
    free(a->bidx); free((void *)a->pt); free(a->neg); free(a->den); free(a->pref); free(a->tmp); free(a->vs);
    free((void *)a->pend_pt); free(a->pend_d); free((void *)a->retry_pt); free(a->retry_d);
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
    a->retry_pt = (const uint64_t **)malloc(MSM_BATCH * sizeof(void *));
    a->retry_d = (int16_t *)malloc(MSM_BATCH * 2);
    a->epoch = 1;
    a->lim = msm_batch_limit(a->nb);
    if (!a->bucket || !a->full || !a->over || !a->over_on || !a->stamp || !a->bidx || !a->pt ||
        !a->neg || !a->den || !a->pref || !a->tmp || !a->vs || !a->pend_pt || !a->pend_d ||
        !a->retry_pt || !a->retry_d) {
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

static inline void msm_acc_add(msm_acc *a, const uint64_t *P, int d);

/* Flush the batch, then re-add what was deferred (a point may be deferred
 * again: waiting is cheaper than a Jacobian addition, unless most of the
 * queue waits on a few hot buckets -- then those go to the overflow). */
static inline void msm_acc_retry(msm_acc *a) {
    const uint64_t **pt = a->pend_pt;
    int16_t *dd = a->pend_d;
    size_t k, np = a->npend;
    msm_acc_flush_batch(a);
    a->pend_pt = a->retry_pt;
    a->pend_d = a->retry_d;
    a->retry_pt = pt;
    a->retry_d = dd;
    a->npend = 0;
    for (k = 0; k < np; k++) msm_acc_add(a, pt[k], dd[k]);
    if (2 * a->npend > np) { /* most deferred again: few hot buckets (equal digits); */
        for (k = 0; k < a->npend; k++) { /* waiting would take a batch per point */
            const int d = a->pend_d[k];
            msm_acc_overflow(a, (size_t)(d < 0 ? -d : d) - 1, a->pend_pt[k], d < 0);
        }
        a->npend = 0;
    }
}

/* Apply everything added so far.  Ends: each round starts with an empty
 * batch, so the first point of every round is taken. */
static inline void msm_acc_flush(msm_acc *a) {
    msm_acc_flush_batch(a);
    while (a->npend) {
        msm_acc_retry(a);
        msm_acc_flush_batch(a);
    }
}

/* bucket[|d|-1] += sign(d) P for a finite affine P and d != 0. */
static inline void msm_acc_add(msm_acc *a, const uint64_t *P, int d) {
    const bc_ctx *c = &a->c;
    const size_t w = (size_t)c->w;
    const int neg = d < 0;
    const size_t b = (size_t)(neg ? -d : d) - 1;
    uint64_t *B = a->bucket + 2 * w * b;
    if (a->mode == MSM_JACOBIAN) {
        msm_acc_overflow(a, b, P, neg);
        return;
    }
    if (a->stamp[b] == a->epoch) { /* bucket busy in this batch: defer */
        if (a->npend == MSM_BATCH) msm_acc_retry(a);
        if (a->npend == MSM_BATCH) { /* not reachable: a retry halves the queue at least */
            msm_acc_overflow(a, b, P, neg);
            return;
        }
        a->pend_pt[a->npend] = P;
        a->pend_d[a->npend++] = (int16_t)d;
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
    if (++a->len == a->lim) msm_acc_flush_batch(a);
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
    for (b = a->nb; b > 0 && !a->full[b - 1] && !a->over_on[b - 1]; b--) /* empty top: skip */
        ;
    while (b-- > 0) {
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
    int window, mode, W, chunks;
    const uint64_t *points;
    const int16_t *digits;
    uint64_t *sums;      /* W * chunks Jacobian sums, task order */
    int *next;           /* shared task counter */
    int status;
} msm_job;

/* Task t = (window t / chunks, point chunk t % chunks): its own bucket set. */
static void *msm_windows_worker(void *arg) {
    msm_job *job = (msm_job *)arg;
    const size_t pw = 2 * (size_t)job->c->w, n = job->n, ch = (size_t)job->chunks;
    msm_acc acc;
    int t;
    size_t i;
    if (msm_acc_init(&acc, job->c, job->window, job->mode) != 0) {
        job->status = MSM_ENOMEM;
        return NULL;
    }
    while ((t = __atomic_fetch_add(job->next, 1, __ATOMIC_RELAXED)) < job->W * job->chunks) {
        const size_t j = (size_t)t / ch, p = (size_t)t % ch;
        const int16_t *dj = job->digits + j * n;
        msm_acc_clear(&acc);
        for (i = n * p / ch; i < n * (p + 1) / ch; i++)
            if (dj[i]) msm_acc_add(&acc, job->points + pw * i, dj[i]);
        msm_acc_reduce(&acc, job->sums + 3 * (size_t)job->c->w * (size_t)t);
    }
    msm_acc_free(&acc);
    return NULL;
}

/* Point chunks per window: windows are shared out whole when they divide
 * among the threads; otherwise every window is cut into `threads` point
 * chunks (one more bucket reduction per chunk, a few percent once n >> 2^c)
 * so that the threads end together (GLS: 5-7 windows on 2 threads). */
static inline int msm_chunks(int threads, int W) { return threads > 1 && W % threads ? threads : 1; }

/* msm_run over scalars of at most `bits` bits (window already chosen). */
static inline int msm_run_bits(const bc_ctx *c, size_t n, uint64_t *R, const uint64_t *points,
                               const uint64_t *scalars, int mont, int window, int mode, int threads,
                               int bits) {
    const size_t w = (size_t)c->w;
    int W, j, t, chunks, next = 0, status = 0, off[MSM_MAX_DIGITS + 1];
    int16_t *digits;
    uint64_t *sums;
    msm_job jobs[MSM_MAX_THREADS];
    W = msm_offsets(bits, window, off);
    if (threads > MSM_MAX_THREADS) threads = MSM_MAX_THREADS;
    if (threads < 1) threads = 1;
    chunks = (size_t)threads <= n ? msm_chunks(threads, W) : 1;
    window = off[1] - off[0]; /* the widest window: the bucket count */
    if (threads > W * chunks) threads = W * chunks;
    digits = (int16_t *)malloc(n * (size_t)W * 2);
    sums = (uint64_t *)malloc((size_t)W * (size_t)chunks * 3 * w * 8);
    if (!digits || !sums) {
        free(digits);
        free(sums);
        return MSM_ENOMEM;
    }
    msm_recode_off(c->be, n, W, off, scalars, mont, c, points, digits);
    for (t = 0; t < threads; t++) {
        msm_job *jb = &jobs[t];
        jb->c = c; jb->n = n; jb->window = window; jb->mode = mode; jb->W = W; jb->chunks = chunks;
        jb->points = points; jb->digits = digits; jb->sums = sums; jb->next = &next;
        jb->status = 0;
    }
    msm_run_threads(threads, msm_windows_worker, jobs, sizeof(msm_job));
    for (t = 0; t < threads; t++)
        if (jobs[t].status) status = jobs[t].status;
    if (status == 0 && next < W * chunks) status = MSM_ENOMEM; /* every worker failed to start */
    if (status == 0) {
        for (j = 0; j < W; j++) /* window j's sum into task slot j * chunks */
            for (t = 1; t < chunks; t++)
                bc_add(c, sums + 3 * w * (size_t)(j * chunks), sums + 3 * w * (size_t)(j * chunks),
                       sums + 3 * w * (size_t)(j * chunks + t));
        bc_copy(c, R, sums + 3 * w * (size_t)((W - 1) * chunks));
        for (j = W - 2; j >= 0; j--) {
            for (t = off[j]; t < off[j + 1]; t++) bc_dbl(c, R, R);
            bc_add(c, R, R, sums + 3 * w * (size_t)(j * chunks));
        }
    }
    free(digits);
    free(sums);
    return status;
}

/* The endomorphism split shared by both groups: e = phi on G1 (GLV, dim 2,
 * |k_j| < 2^128) and psi on G2 (GLS, dim 4, |k_j| < 2^66), e = [lambda_e] on
 * the order-r subgroup.  k_i = sum_j k_ij lambda_e^j (bc_lattice_split_n), so
 *   sum_i [k_i] P_i = sum_{i,j} [|k_ij|] (+-e^j(P_i)):
 * an MSM of dim*n points with bits-bit scalars -- dim times fewer windows
 * (bucket reductions and Horner doublings) for about the same number of
 * bucket additions, plus a split and dim - 1 endomorphisms (a few Fq(2)
 * multiplies) per point.  Row j*n + i holds +-e^j(P_i). */
static inline int msm_run_endo(const bc_ctx *c, size_t n, uint64_t *R, const uint64_t *points,
                               const uint64_t *scalars, int mont, int window, int mode, int threads) {
    const int dim = c->deg == 1 ? 2 : 4;
    const size_t pw = 2 * (size_t)c->w, dn = (size_t)dim * n;
    int bits = 1; /* the longest part: windows cover what the parts use (G2: 65 bits in practice) */
    uint64_t *pts = (uint64_t *)malloc(dn * pw * 8), *sc = (uint64_t *)malloc(dn * 4 * 8);
    size_t i;
    int j, status;
    if (!pts || !sc) {
        free(pts);
        free(sc);
        return MSM_ENOMEM;
    }
    for (i = 0; i < n; i++) {
        const uint64_t *P = points + pw * i;
        uint64_t k[4], kv[4][4];
        if (bc_aff_is_inf(c, P)) { /* an all-zero row and scalar for every part */
            for (j = 0; j < dim; j++) {
                memset(pts + pw * ((size_t)j * n + i), 0, pw * 8);
                memset(sc + 4 * ((size_t)j * n + i), 0, 32);
            }
            continue;
        }
        if (mont) bn_from_mont_at(c->be, &BN_FR, k, scalars + 4 * i);
        else bn_copy(k, scalars + 4 * i);
        if (c->deg == 1) bc_lattice_split_n(2, kv, k, BC_GLV_BASIS, BC_GLV_G);
        else bc_gls_split(kv, k);
        for (j = 0; j < dim; j++) {
            uint64_t *A = pts + pw * ((size_t)j * n + i);
            if (j == 0) memcpy(A, P, pw * 8);
            else bc_endo_aff(c, A, A - pw * n); /* e(previous row), sign-free */
        }
        /* negate after all e^j are taken (each row applied e to the unsigned one) */
        for (j = dim - 1; j >= 0; j--) {
            uint64_t *A = pts + pw * ((size_t)j * n + i);
            uint64_t *m = sc + 4 * ((size_t)j * n + i);
            if (bc_u256_abs(m, kv[j])) bc_f_neg(c, A + c->w, A + c->w);
            if (bc_u256_bitlen(m) > bits) bits = bc_u256_bitlen(m);
        }
    }
    status = msm_run_bits(c, dn, R, pts, sc, 0, window, mode, threads, bits);
    free(pts);
    free(sc);
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
    if (window <= 0) window = msm_pick_window_threads(n, c->deg, threads);
    if (window > MSM_MAX_WINDOW) window = MSM_MAX_WINDOW;
    if (msm_uses_endo(n, c->deg))
        return msm_run_endo(c, n, R, points, scalars, mont, window, mode, threads);
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
            if (dj[i]) msm_acc_add(&acc, tj + pw * i, dj[i]);
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
