/* bn254_ntt.h -- the number-theoretic transform over Fr of BN254, in place.
 *
 *   bn_ntt_twiddles(backend, tw, logn, omega)
 *       fill the table of a domain of n = 2^logn points (n rows of 4 limbs):
 *       tw[m + j] = omega_{2m}^j for every power of two m < n and j < m, where
 *       omega_{2m} = omega^(n / 2m) (tw[0] is 1, unused).  Each stage of the
 *       transform reads its m twiddles contiguously.  The rows for m < n/2 are
 *       the same in every larger domain (omega_{2m} does not depend on n).
 *   bn_ntt_forward(backend, a, logn, tw, c, h, threads)
 *       a[i] *= c * h^i first when h is not NULL (the coset shift), then
 *       a := DFT(a): a[k] = sum_i a[i] omega^(ik), natural order in and out.
 *   bn_ntt_inverse(backend, a, logn, tw, c, h, threads)
 *       a := DFT(a) read at -k (the inverse up to the factor n), then
 *       a[i] *= c * h^i; with c = 1/n and h = 1 (or NULL) that is the inverse
 *       DFT, with h = 1/shift the inverse coset transform.
 *
 * Method: bit-reversal permutation, then radix-2 decimation in time.  The
 * first BN_NTT_BLOCK_LOG stages run block by block (a block of 2^13 rows,
 * 256 KiB, stays in L2 through all of them; blocks are independent
 * sub-transforms, split between threads); each later stage is one pass whose
 * butterflies are split between threads.  Butterflies of a contiguous run of
 * j use the batch multiply: on the IFMA backend 8 products at once
 * (bn_mul_batch_ifma on chunks of BN_NTT_CHUNK rows, kept in L1 for the
 * additions that follow), otherwise the scalar ADX or portable multiply.
 *
 * Caller guarantees: a holds n canonical Montgomery rows; tw was built for the
 * same logn by bn_ntt_twiddles; c and h (when given) are canonical Montgomery
 * rows that do not alias a; nothing else writes a or tw during the call.
 * Nothing here allocates on the heap, touches Python objects or fails: it runs
 * without the GIL.  Threads are pthreads created for each phase and joined
 * before it ends (a thread that cannot be created is replaced by running its
 * share on the calling thread), so the call returns only when all is done.
 */
#ifndef POUW_BN254_NTT_H
#define POUW_BN254_NTT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "bn254_field.h"

#define BN_NTT_MAX_LOG 28      /* two-adicity of r - 1 */
#define BN_NTT_BLOCK_LOG 13    /* stages done block by block (2^13 rows = 256 KiB) */
#define BN_NTT_CHUNK 64        /* rows per batch multiply (3 x 2 KiB in L1) */
#define BN_NTT_MIN_PAR_LOG 12  /* below 2^12 rows one thread does everything */
#define BN_NTT_MAX_THREADS 64
#define BN_NTT_GROUP_LOG 7     /* later stages go in groups of up to 7 */
#define BN_NTT_TILE 64         /* columns per tile of a group (2^7 x 64 rows = 256 KiB) */

/* ------------------------------------------------------------------ butterflies */

/* (x0, x1) := (x0 + x1, x0 - x1) mod p, both canonical; one pass over the limbs
 * with the carry chains of the x86 add/subtract-with-carry instructions (a
 * portable __int128 form elsewhere).  Branch free. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
static inline void bn_ntt_addsub(const bn_field *F, uint64_t *x0, uint64_t *x1) {
    const uint64_t *p = F->p;
    unsigned long long s0, s1, s2, s3, t0, t1, t2, t3, d0, d1, d2, d3, m;
    unsigned char c;
    const unsigned long long a0 = x0[0], a1 = x0[1], a2 = x0[2], a3 = x0[3];
    const unsigned long long b0 = x1[0], b1 = x1[1], b2 = x1[2], b3 = x1[3];
    c = _addcarry_u64(0, a0, b0, &s0); /* s = a + b < 2p < 2^255: no carry out */
    c = _addcarry_u64(c, a1, b1, &s1);
    c = _addcarry_u64(c, a2, b2, &s2);
    (void)_addcarry_u64(c, a3, b3, &s3);
    c = _subborrow_u64(0, s0, p[0], &t0); /* t = s - p; keep s when that borrows */
    c = _subborrow_u64(c, s1, p[1], &t1);
    c = _subborrow_u64(c, s2, p[2], &t2);
    c = _subborrow_u64(c, s3, p[3], &t3);
    m = 0ULL - (unsigned long long)c;
    x0[0] = (s0 & m) | (t0 & ~m);
    x0[1] = (s1 & m) | (t1 & ~m);
    x0[2] = (s2 & m) | (t2 & ~m);
    x0[3] = (s3 & m) | (t3 & ~m);
    c = _subborrow_u64(0, a0, b0, &d0); /* d = a - b, plus p when that borrows */
    c = _subborrow_u64(c, a1, b1, &d1);
    c = _subborrow_u64(c, a2, b2, &d2);
    c = _subborrow_u64(c, a3, b3, &d3);
    m = 0ULL - (unsigned long long)c;
    c = _addcarry_u64(0, d0, p[0] & m, &d0);
    c = _addcarry_u64(c, d1, p[1] & m, &d1);
    c = _addcarry_u64(c, d2, p[2] & m, &d2);
    (void)_addcarry_u64(c, d3, p[3] & m, &d3);
    x1[0] = d0; x1[1] = d1; x1[2] = d2; x1[3] = d3;
}
#else
static inline void bn_ntt_addsub(const bn_field *F, uint64_t *x0, uint64_t *x1) {
    uint64_t u[4];
    bn_copy(u, x0);
    bn_add(F, x0, u, x1);
    bn_sub(F, x1, u, x1);
}
#endif

/* (x0, x1) := (x0 + w x1, x0 - w x1) on `len` contiguous rows of each. */
static inline void bn_ntt_bfly_run(int backend, const bn_field *F, uint64_t *x0, uint64_t *x1,
                                   const uint64_t *w, size_t len) {
    size_t i = 0, k, c;
    if (backend == BN_BACKEND_IFMA) {
        while (len - i >= 8) {
            c = len - i;
            if (c > BN_NTT_CHUNK) c = BN_NTT_CHUNK;
            c &= ~(size_t)7;
            bn_mul_batch_ifma(F, c, x1 + 4 * i, x1 + 4 * i, w + 4 * i);
            for (k = i; k < i + c; k++) bn_ntt_addsub(F, x0 + 4 * k, x1 + 4 * k);
            i += c;
        }
    }
    for (; i < len; i++) {
        bn_mul_at(backend, F, x1 + 4 * i, x1 + 4 * i, w + 4 * i);
        bn_ntt_addsub(F, x0 + 4 * i, x1 + 4 * i);
    }
}

/* The first stage (m = 1): every twiddle is 1. */
static inline void bn_ntt_stage1(const bn_field *F, uint64_t *a, size_t n) {
    size_t i;
    for (i = 0; i < n; i += 2) bn_ntt_addsub(F, a + 4 * i, a + 4 * i + 4);
}

/* Stages m = 1 .. len/2 of a block of len rows (a sub-transform in bit-reversed input order). */
static inline void bn_ntt_block(int backend, const bn_field *F, uint64_t *a, size_t len,
                                const uint64_t *tw) {
    size_t m, k;
    if (len < 2) return;
    bn_ntt_stage1(F, a, len);
    for (m = 2; m < len; m <<= 1)
        for (k = 0; k < len; k += 2 * m)
            bn_ntt_bfly_run(backend, F, a + 4 * k, a + 4 * (k + m), tw + 4 * m, m);
}

/* Stages m, 2m, .., 2^(L-1) m (a group) on one tile: the rows base + q m + j0 + jj
 * for q < 2^L and jj < width.  Those rows form 'width' independent transforms of
 * 2^L points over these stages, so a tile (width * 2^L rows, <= 256 KiB) stays in
 * L2 through the whole group: one pass over memory instead of L. */
static inline void bn_ntt_tile(int backend, const bn_field *F, uint64_t *a, size_t m, int L,
                               const uint64_t *tw, size_t base, size_t j0, size_t width) {
    size_t q, ms, rows = (size_t)1 << L;
    int s;
    for (s = 0; s < L; s++) {
        ms = m << s;
        for (q = 0; q < rows; q++) {
            if (q & ((size_t)1 << s)) continue;
            bn_ntt_bfly_run(backend, F, a + 4 * (base + q * m + j0), a + 4 * (base + q * m + j0 + ms),
                            tw + 4 * (ms + (q & (((size_t)1 << s) - 1)) * m + j0), width);
        }
    }
}

/* ------------------------------------------------------------------ permutations */

static inline size_t bn_ntt_bitrev(size_t i, int logn) {
    uint32_t x = (uint32_t)i;
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0F0F0F0Fu) | ((x & 0x0F0F0F0Fu) << 4);
    x = __builtin_bswap32(x);
    return (size_t)(x >> (32 - logn)); /* logn >= 1 */
}

static inline void bn_ntt_swap(uint64_t *x, uint64_t *y) {
    uint64_t t[4];
    bn_copy(t, x);
    bn_copy(x, y);
    bn_copy(y, t);
}

/* Swap i and rev(i) for i in [lo, hi) with i < rev(i): each pair has one owner. */
static inline void bn_ntt_bitrev_range(uint64_t *a, int logn, size_t lo, size_t hi) {
    size_t i, j;
    for (i = lo; i < hi; i++) {
        j = bn_ntt_bitrev(i, logn);
        if (i < j) bn_ntt_swap(a + 4 * i, a + 4 * j);
    }
}

/* a[i] := c * h^i * a[i] for i in [lo, hi) (h NULL: h = 1). */
static inline void bn_ntt_scale_range(int backend, const bn_field *F, uint64_t *a, size_t lo,
                                      size_t hi, const uint64_t c[4], const uint64_t *h) {
    uint64_t pw[BN_NTT_CHUNK][4], step[BN_NTT_CHUNK][4], e;
    size_t i, k, cnt;
    if (lo >= hi) return;
    if (h == NULL) {
        for (k = 0; k < BN_NTT_CHUNK; k++) bn_copy(pw[k], c);
        for (i = lo; i < hi; i += cnt) {
            cnt = hi - i < BN_NTT_CHUNK ? hi - i : BN_NTT_CHUNK;
            bn_mul_batch_at(backend, F, cnt, a + 4 * i, a + 4 * i, &pw[0][0]);
        }
        return;
    }
    e = (uint64_t)lo;
    bn_pow_at(backend, F, pw[0], h, &e, 1);
    bn_mul_at(backend, F, pw[0], pw[0], c);
    for (k = 1; k < BN_NTT_CHUNK; k++) bn_mul_at(backend, F, pw[k], pw[k - 1], h);
    e = BN_NTT_CHUNK;
    bn_pow_at(backend, F, step[0], h, &e, 1);
    for (k = 1; k < BN_NTT_CHUNK; k++) bn_copy(step[k], step[0]);
    for (i = lo; i < hi; i += cnt) {
        cnt = hi - i < BN_NTT_CHUNK ? hi - i : BN_NTT_CHUNK;
        bn_mul_batch_at(backend, F, cnt, a + 4 * i, a + 4 * i, &pw[0][0]);
        if (i + cnt < hi) bn_mul_batch_at(backend, F, BN_NTT_CHUNK, &pw[0][0], &pw[0][0], &step[0][0]);
    }
}

/* ------------------------------------------------------------------ threads */

enum { BN_NTT_BITREV, BN_NTT_BLOCKS, BN_NTT_STAGE, BN_NTT_NEGATE, BN_NTT_SCALE };

typedef struct bn_ntt_job {
    int kind, backend, logn, nthreads;
    const bn_field *F;
    uint64_t *a;
    size_t n, m, block;      /* m: first stage of the group (BN_NTT_STAGE); block: rows per block */
    int L;                   /* stages in the group */
    const uint64_t *tw, *c, *h;
} bn_ntt_job;

typedef struct bn_ntt_arg {
    const bn_ntt_job *job;
    int tid;
} bn_ntt_arg;

/* [lo, hi) of thread tid out of count items, split on multiples of `align`. */
static inline void bn_ntt_share(size_t count, size_t align, int tid, int nthreads, size_t *lo,
                                size_t *hi) {
    size_t units = (count + align - 1) / align;
    *lo = units * (size_t)tid / (size_t)nthreads * align;
    *hi = units * (size_t)(tid + 1) / (size_t)nthreads * align;
    if (*lo > count) *lo = count;
    if (*hi > count) *hi = count;
}

static void *bn_ntt_worker(void *p) {
    const bn_ntt_arg *arg = (const bn_ntt_arg *)p;
    const bn_ntt_job *J = arg->job;
    size_t lo, hi, b;
    switch (J->kind) {
    case BN_NTT_BITREV:
        bn_ntt_share(J->n, BN_NTT_CHUNK, arg->tid, J->nthreads, &lo, &hi);
        bn_ntt_bitrev_range(J->a, J->logn, lo, hi);
        break;
    case BN_NTT_BLOCKS:
        bn_ntt_share(J->n / J->block, 1, arg->tid, J->nthreads, &lo, &hi);
        for (b = lo; b < hi; b++) bn_ntt_block(J->backend, J->F, J->a + 4 * J->block * b, J->block, J->tw);
        break;
    case BN_NTT_STAGE: { /* units: (span, tile) pairs, all independent */
        size_t width = J->m < BN_NTT_TILE ? J->m : BN_NTT_TILE, tiles = J->m / width;
        size_t span = J->m << J->L;
        bn_ntt_share((J->n / span) * tiles, 1, arg->tid, J->nthreads, &lo, &hi);
        for (b = lo; b < hi; b++)
            bn_ntt_tile(J->backend, J->F, J->a, J->m, J->L, J->tw, (b / tiles) * span,
                        (b % tiles) * width, width);
        break;
    }
    case BN_NTT_NEGATE: /* a[i] <-> a[n - i] for 0 < i < n/2 */
        bn_ntt_share(J->n / 2, BN_NTT_CHUNK, arg->tid, J->nthreads, &lo, &hi);
        for (b = lo > 0 ? lo : 1; b < hi; b++) bn_ntt_swap(J->a + 4 * b, J->a + 4 * (J->n - b));
        break;
    case BN_NTT_SCALE:
        bn_ntt_share(J->n, BN_NTT_CHUNK, arg->tid, J->nthreads, &lo, &hi);
        bn_ntt_scale_range(J->backend, J->F, J->a, lo, hi, J->c, J->h);
        break;
    }
    return NULL;
}

/* Run the job on J->nthreads threads (the caller's included) and wait for all. */
static inline void bn_ntt_run(bn_ntt_job *J) {
    pthread_t th[BN_NTT_MAX_THREADS];
    bn_ntt_arg args[BN_NTT_MAX_THREADS];
    int started[BN_NTT_MAX_THREADS];
    int t;
    for (t = 0; t < J->nthreads; t++) {
        args[t].job = J;
        args[t].tid = t;
        started[t] = t > 0 && pthread_create(&th[t], NULL, bn_ntt_worker, &args[t]) == 0;
    }
    bn_ntt_worker(&args[0]);
    for (t = 1; t < J->nthreads; t++) {
        if (started[t]) pthread_join(th[t], NULL);
        else bn_ntt_worker(&args[t]); /* could not start it: do its share here */
    }
}

static inline int bn_ntt_threads(int logn, int threads) {
    if (logn < BN_NTT_MIN_PAR_LOG || threads < 1) return 1;
    return threads > BN_NTT_MAX_THREADS ? BN_NTT_MAX_THREADS : threads;
}

/* ------------------------------------------------------------------ transforms */

static inline void bn_ntt_twiddles(int backend, uint64_t *tw, int logn, const uint64_t omega[4]) {
    const bn_field *F = &BN_FR;
    size_t n = (size_t)1 << logn, half = n / 2, m, j;
    bn_copy(tw, F->one);
    if (n < 2) return;
    bn_copy(tw + 4 * half, F->one);
    for (j = 1; j < half; j++) bn_mul_at(backend, F, tw + 4 * (half + j), tw + 4 * (half + j - 1), omega);
    for (m = half / 2; m >= 1; m /= 2)
        for (j = 0; j < m; j++) bn_copy(tw + 4 * (m + j), tw + 4 * (2 * m + 2 * j));
}

/* The DFT without any scaling (natural order in and out). */
static inline void bn_ntt_dft(bn_ntt_job *J) {
    size_t m;
    if (J->n < 2) return;
    J->kind = BN_NTT_BITREV;
    bn_ntt_run(J);
    J->block = J->n < ((size_t)1 << BN_NTT_BLOCK_LOG) ? J->n : ((size_t)1 << BN_NTT_BLOCK_LOG);
    J->kind = BN_NTT_BLOCKS;
    {
        int saved = J->nthreads;
        if ((size_t)J->nthreads > J->n / J->block) J->nthreads = (int)(J->n / J->block);
        bn_ntt_run(J);
        J->nthreads = saved;
    }
    J->kind = BN_NTT_STAGE;
    for (m = J->block; m < J->n; m <<= J->L) {
        J->m = m;
        J->L = 0;
        while (J->L < BN_NTT_GROUP_LOG && (m << J->L) < J->n) J->L++;
        bn_ntt_run(J);
    }
}

static inline void bn_ntt_job_init(bn_ntt_job *J, int backend, uint64_t *a, int logn,
                                   const uint64_t *tw, const uint64_t *c, const uint64_t *h,
                                   int threads) {
    J->backend = backend;
    J->F = &BN_FR;
    J->a = a;
    J->logn = logn;
    J->n = (size_t)1 << logn;
    J->m = 0;
    J->block = 1;
    J->L = 0;
    J->tw = tw;
    J->c = c;
    J->h = h;
    J->nthreads = bn_ntt_threads(logn, threads);
}

static inline void bn_ntt_forward(int backend, uint64_t *a, int logn, const uint64_t *tw,
                                  const uint64_t *c, const uint64_t *h, int threads) {
    bn_ntt_job J;
    bn_ntt_job_init(&J, backend, a, logn, tw, c, h, threads);
    if (h != NULL) {
        J.kind = BN_NTT_SCALE;
        bn_ntt_run(&J);
    }
    bn_ntt_dft(&J);
}

static inline void bn_ntt_inverse(int backend, uint64_t *a, int logn, const uint64_t *tw,
                                  const uint64_t *c, const uint64_t *h, int threads) {
    bn_ntt_job J;
    bn_ntt_job_init(&J, backend, a, logn, tw, c, h, threads);
    bn_ntt_dft(&J);
    if (J.n >= 4) {
        J.kind = BN_NTT_NEGATE;
        bn_ntt_run(&J);
    }
    J.kind = BN_NTT_SCALE;
    bn_ntt_run(&J);
}

#endif /* POUW_BN254_NTT_H */
