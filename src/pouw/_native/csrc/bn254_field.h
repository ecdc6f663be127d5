/* bn254_field.h -- the prime fields of BN254 (alt_bn128), Fr and Fq, in Montgomery form.
 *
 * One implementation for both fields, parameterised by a modulus descriptor
 * (bn_field: p, -1/p mod 2^64, R^2 mod p, R mod p, p - 2) with R = 2^256.
 * An element is 4 little-endian 64-bit limbs holding a*R mod p, always
 * canonical (< p) at every function boundary.
 *
 * Backends of the multiply (the only operation that has more than one):
 *   BN_BACKEND_PORTABLE  CIOS with unsigned __int128; always built, any host.
 *   BN_BACKEND_ADX       MULX/ADCX/ADOX assembly (bn254_field_x86.h), x86-64
 *                        hosts whose CPU reports bmi2 and adx.
 *   BN_BACKEND_IFMA      8 multiplies at once on 52-bit limbs with AVX-512
 *                        IFMA (bn254_field_ifma.h), batch kernels only; scalar
 *                        calls on this backend use ADX.
 * bn_backend() detects the best one once (POUW_PORTABLE=1 in the environment,
 * read then, forces the portable path); bn_set_backend() forces any supported
 * one.  The choice is a static of this header, so each extension module that
 * includes it has its own: pouw._native.field owns the one the package uses
 * and exports it (field.pxd: backend_code) for curve/MSM/NTT kernels to pass
 * to the *_at functions here.
 *
 * Both moduli are below 2^254, so a + b never overflows 4 limbs and the
 * "no-carry" CIOS applies (p[3] < 2^62).  Functions take canonical inputs and
 * return canonical outputs; outputs may alias inputs (elementwise kernels) unless
 * a comment says otherwise.  Nothing allocates, touches Python objects or
 * fails: every function may run without the GIL.  Not constant time in the
 * batch/zero checks, the window choice of pow (the exponent is public) or the
 * encodings; the multiply and add paths are branch free.
 */
#ifndef POUW_BN254_FIELD_H
#define POUW_BN254_FIELD_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 bn_u128;

typedef struct bn_field {
    uint64_t p[4];   /* the modulus, little-endian limbs (offset 0: the asm reads it) */
    uint64_t pinv;   /* -p^-1 mod 2^64 (offset 32: the asm reads it) */
    uint64_t r2[4];  /* R^2 mod p: to_mont(x) = mul(x, R^2) */
    uint64_t one[4]; /* R mod p: 1 in Montgomery form */
    uint64_t pm2[4]; /* p - 2: the Fermat exponent of the inverse */
    int bits;        /* bit length of p */
} bn_field;

_Static_assert(offsetof(bn_field, pinv) == 32, "bn254_field_x86.h reads pinv at offset 32");

/* The scalar field r (order of G1/G2) and the base field q of BN254. */
static const bn_field BN_FR = {
    {0x43e1f593f0000001ULL, 0x2833e84879b97091ULL, 0xb85045b68181585dULL, 0x30644e72e131a029ULL},
    0xc2e1f593efffffffULL,
    {0x1bb8e645ae216da7ULL, 0x53fe3ab1e35c59e3ULL, 0x8c49833d53bb8085ULL, 0x0216d0b17f4e44a5ULL},
    {0xac96341c4ffffffbULL, 0x36fc76959f60cd29ULL, 0x666ea36f7879462eULL, 0x0e0a77c19a07df2fULL},
    {0x43e1f593efffffffULL, 0x2833e84879b97091ULL, 0xb85045b68181585dULL, 0x30644e72e131a029ULL},
    254,
};
static const bn_field BN_FQ = {
    {0x3c208c16d87cfd47ULL, 0x97816a916871ca8dULL, 0xb85045b68181585dULL, 0x30644e72e131a029ULL},
    0x87d20782e4866389ULL,
    {0xf32cfc5b538afa89ULL, 0xb5e71911d44501fbULL, 0x47ab1eff0a417ff6ULL, 0x06d89f71cab8351fULL},
    {0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL, 0x666ea36f7879462cULL, 0x0e0a77c19a07df2fULL},
    {0x3c208c16d87cfd45ULL, 0x97816a916871ca8dULL, 0xb85045b68181585dULL, 0x30644e72e131a029ULL},
    254,
};

enum { BN_FIELD_FR = 0, BN_FIELD_FQ = 1 };
static inline const bn_field *bn_field_of(int code) { return code == BN_FIELD_FQ ? &BN_FQ : &BN_FR; }

#include "bn254_field_x86.h"

enum { BN_BACKEND_PORTABLE = 0, BN_BACKEND_ADX = 1, BN_BACKEND_IFMA = 2, BN_N_BACKENDS = 3 };
static const char *const bn_backend_name[BN_N_BACKENDS] = {"portable", "adx", "ifma"};

#include "bn254_field_ifma.h"

/* ------------------------------------------------------------------ small helpers */

static inline int bn_is_zero(const uint64_t a[4]) { return (a[0] | a[1] | a[2] | a[3]) == 0; }

static inline int bn_eq(const uint64_t a[4], const uint64_t b[4]) {
    return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == 0;
}

static inline void bn_copy(uint64_t r[4], const uint64_t a[4]) {
    r[0] = a[0]; r[1] = a[1]; r[2] = a[2]; r[3] = a[3];
}

/* 1 when a < p (a canonical encoding), for any 256-bit a. */
static inline int bn_lt_p(const bn_field *F, const uint64_t a[4]) {
    bn_u128 d;
    uint64_t borrow = 0;
    int i;
    for (i = 0; i < 4; i++) {
        d = (bn_u128)a[i] - F->p[i] - borrow;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    return (int)borrow;
}

/* r := t - p if t >= p else t, for t < 2p (branch free). */
static inline void bn_reduce_once(const bn_field *F, uint64_t r[4], const uint64_t t[4]) {
    uint64_t s[4], borrow = 0, mask;
    bn_u128 d;
    int i;
    for (i = 0; i < 4; i++) {
        d = (bn_u128)t[i] - F->p[i] - borrow;
        s[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    mask = 0 - borrow; /* all ones: t < p, keep t */
    for (i = 0; i < 4; i++) r[i] = (t[i] & mask) | (s[i] & ~mask);
}

/* ------------------------------------------------------------------ add, sub, neg */

static inline void bn_add(const bn_field *F, uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
    uint64_t t[4], c = 0;
    bn_u128 s;
    int i;
    for (i = 0; i < 4; i++) { /* a + b < 2p < 2^255: no carry out */
        s = (bn_u128)a[i] + b[i] + c;
        t[i] = (uint64_t)s;
        c = (uint64_t)(s >> 64);
    }
    bn_reduce_once(F, r, t);
}

/* r := a + b mod p for canonical a, b (any of the two moduli: p is F->p): the
 * same result as bn_add, for the hot loops of Fq2 and Poseidon.  On x86-64 it is
 * assembly -- four add/adc, a trial subtraction of p, four cmov -- because with
 * the carry intrinsics the compiler turned the final select into a branch taken
 * half the time, or spilled it through SSE registers: a chain of these measured
 * 7 cycles each against bn_add's 47.  Elsewhere it is bn_add. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define BN_FAST_ADD 1
static inline __attribute__((always_inline)) void bn_add_fast(const uint64_t p[4], uint64_t r[4],
                                                              const uint64_t a[4],
                                                              const uint64_t b[4]) {
    uint64_t t0 = a[0], t1 = a[1], t2 = a[2], t3 = a[3], s0, s1, s2, s3;
    __asm__("addq %[b0], %[t0]\n\t"
            "adcq %[b1], %[t1]\n\t"
            "adcq %[b2], %[t2]\n\t"
            "adcq %[b3], %[t3]\n\t" /* a + b < 2p < 2^255: no carry out */
            "movq %[t0], %[s0]\n\t"
            "movq %[t1], %[s1]\n\t"
            "movq %[t2], %[s2]\n\t"
            "movq %[t3], %[s3]\n\t"
            "subq %[p0], %[s0]\n\t"
            "sbbq %[p1], %[s1]\n\t"
            "sbbq %[p2], %[s2]\n\t"
            "sbbq %[p3], %[s3]\n\t"
            "cmovcq %[t0], %[s0]\n\t" /* borrow: the sum was already below p */
            "cmovcq %[t1], %[s1]\n\t"
            "cmovcq %[t2], %[s2]\n\t"
            "cmovcq %[t3], %[s3]\n\t"
            : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [s0] "=&r"(s0),
              [s1] "=&r"(s1), [s2] "=&r"(s2), [s3] "=&r"(s3)
            : [b0] "m"(b[0]), [b1] "m"(b[1]), [b2] "m"(b[2]), [b3] "m"(b[3]), [p0] "m"(p[0]),
              [p1] "m"(p[1]), [p2] "m"(p[2]), [p3] "m"(p[3])
            : "cc");
    r[0] = s0;
    r[1] = s1;
    r[2] = s2;
    r[3] = s3;
}
#endif

static inline void bn_sub(const bn_field *F, uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
    uint64_t t[4], borrow = 0, mask, c = 0;
    bn_u128 d;
    int i;
    for (i = 0; i < 4; i++) {
        d = (bn_u128)a[i] - b[i] - borrow;
        t[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    mask = 0 - borrow; /* a < b: add p back */
    for (i = 0; i < 4; i++) {
        d = (bn_u128)t[i] + (F->p[i] & mask) + c;
        r[i] = (uint64_t)d;
        c = (uint64_t)(d >> 64);
    }
}

static inline void bn_neg(const bn_field *F, uint64_t r[4], const uint64_t a[4]) {
    uint64_t t[4], borrow = 0, mask;
    bn_u128 d;
    int i;
    mask = 0 - (uint64_t)(!bn_is_zero(a)); /* -0 = 0, not p */
    for (i = 0; i < 4; i++) {
        d = (bn_u128)F->p[i] - a[i] - borrow;
        t[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    for (i = 0; i < 4; i++) r[i] = t[i] & mask;
}

/* ------------------------------------------------------------------ multiply */

/* CIOS Montgomery multiply, no-carry variant: r := a*b/R mod p.  b < p. */
static inline void bn_mul_portable(const bn_field *F, uint64_t r[4], const uint64_t a[4],
                                   const uint64_t b[4]) {
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4, m, ai, c, t[4];
    const uint64_t b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
    const uint64_t *p = F->p;
    bn_u128 acc;
    int i;
    for (i = 0; i < 4; i++) {
        ai = a[i];
        acc = (bn_u128)ai * b0 + t0;
        t0 = (uint64_t)acc; c = (uint64_t)(acc >> 64);
        acc = (bn_u128)ai * b1 + t1 + c;
        t1 = (uint64_t)acc; c = (uint64_t)(acc >> 64);
        acc = (bn_u128)ai * b2 + t2 + c;
        t2 = (uint64_t)acc; c = (uint64_t)(acc >> 64);
        acc = (bn_u128)ai * b3 + t3 + c;
        t3 = (uint64_t)acc; t4 = (uint64_t)(acc >> 64);

        m = t0 * F->pinv;
        acc = (bn_u128)m * p[0] + t0;
        c = (uint64_t)(acc >> 64);
        acc = (bn_u128)m * p[1] + t1 + c;
        t0 = (uint64_t)acc; c = (uint64_t)(acc >> 64);
        acc = (bn_u128)m * p[2] + t2 + c;
        t1 = (uint64_t)acc; c = (uint64_t)(acc >> 64);
        acc = (bn_u128)m * p[3] + t3 + c;
        t2 = (uint64_t)acc; t3 = t4 + (uint64_t)(acc >> 64);
    }
    t[0] = t0; t[1] = t1; t[2] = t2; t[3] = t3;
    bn_reduce_once(F, r, t);
}

static inline int bn_cpu_has_adx(void) {
#if BN_HAVE_ADX_ASM
    __builtin_cpu_init();
    return __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("adx");
#else
    return 0;
#endif
}

static inline void bn_mul_adx(const bn_field *F, uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
#if BN_HAVE_ADX_ASM
    bn_mul_adx_raw(F->p, r, a, b);
#else
    bn_mul_portable(F, r, a, b);
#endif
}

/* ------------------------------------------------------------------ backend choice */

static inline int bn_backend_supported(int backend) {
    if (backend == BN_BACKEND_PORTABLE) return 1;
    if (backend == BN_BACKEND_ADX) return bn_cpu_has_adx();
    if (backend == BN_BACKEND_IFMA) return bn_cpu_has_adx() && bn_cpu_has_ifma();
    return 0;
}

static int bn_backend_state = -1; /* -1 until the first bn_backend() */

static inline int bn_backend_detect(void) {
    const char *portable = getenv("POUW_PORTABLE");
    int b;
    if (portable && portable[0] && strcmp(portable, "0") != 0) return BN_BACKEND_PORTABLE;
    for (b = BN_N_BACKENDS - 1; b > 0; b--)
        if (BN_DEFAULT_ALLOWED(b) && bn_backend_supported(b)) return b;
    return BN_BACKEND_PORTABLE;
}

/* The backend in use (detected once; a race only repeats the detection). */
static inline int bn_backend(void) {
    int b = __atomic_load_n(&bn_backend_state, __ATOMIC_RELAXED);
    if (b < 0) {
        b = bn_backend_detect();
        __atomic_store_n(&bn_backend_state, b, __ATOMIC_RELAXED);
    }
    return b;
}

/* Force a supported backend (tests, benchmarks): 0, or -1 (unchanged). */
static inline int bn_set_backend(int backend) {
    if (backend < 0 || backend >= BN_N_BACKENDS || !bn_backend_supported(backend)) return -1;
    __atomic_store_n(&bn_backend_state, backend, __ATOMIC_RELAXED);
    return 0;
}

/* One multiply on `backend` (IFMA is a batch backend: single products use ADX). */
static inline void bn_mul_at(int backend, const bn_field *F, uint64_t r[4], const uint64_t a[4],
                             const uint64_t b[4]) {
    if (backend != BN_BACKEND_PORTABLE) bn_mul_adx(F, r, a, b);
    else bn_mul_portable(F, r, a, b);
}

static inline void bn_to_mont_at(int backend, const bn_field *F, uint64_t r[4], const uint64_t a[4]) {
    bn_mul_at(backend, F, r, a, F->r2); /* a < 2^256 need not be reduced: a*R^2/R < 2p, reduced once */
}

static inline void bn_from_mont_at(int backend, const bn_field *F, uint64_t r[4], const uint64_t a[4]) {
    static const uint64_t raw_one[4] = {1, 0, 0, 0};
    bn_mul_at(backend, F, r, a, raw_one);
}

/* r := a^e for the exponent e of `elimbs` little-endian limbs (e = 0 gives 1,
 * 0^0 included).  Left to right with a fixed 4-bit window: per exponent bit one
 * squaring, per nibble one table multiply.  r may alias a. */
static inline void bn_pow_at(int backend, const bn_field *F, uint64_t r[4], const uint64_t a[4],
                             const uint64_t *e, size_t elimbs) {
    uint64_t table[16][4], acc[4];
    size_t top = elimbs;
    int i, k, started = 0;
    while (top > 0 && e[top - 1] == 0) top--;
    if (top == 0) {
        bn_copy(r, F->one);
        return;
    }
    bn_copy(table[0], F->one);
    bn_copy(table[1], a);
    for (k = 2; k < 16; k++) bn_mul_at(backend, F, table[k], table[k - 1], a);
    bn_copy(acc, F->one);
    while (top > 0) {
        uint64_t w = e[--top];
        for (i = 60; i >= 0; i -= 4) {
            unsigned nib = (unsigned)(w >> i) & 15u;
            if (started) {
                bn_mul_at(backend, F, acc, acc, acc);
                bn_mul_at(backend, F, acc, acc, acc);
                bn_mul_at(backend, F, acc, acc, acc);
                bn_mul_at(backend, F, acc, acc, acc);
            }
            if (nib) {
                bn_mul_at(backend, F, acc, acc, table[nib]);
                started = 1;
            }
        }
    }
    bn_copy(r, acc);
}

/* r := 1/a by Fermat (a^(p-2)): fixed exponent, so the sequence of operations
 * does not depend on a.  a = 0 gives 0 (callers check for zero first). */
static inline void bn_inv_at(int backend, const bn_field *F, uint64_t r[4], const uint64_t a[4]) {
    bn_pow_at(backend, F, r, a, F->pm2, 4);
}

/* ------------------------------------------------------------------ batch kernels
 * n elements of 4 limbs, contiguous; out may alias the inputs unless noted. */

static inline void bn_add_batch(const bn_field *F, size_t n, uint64_t *out, const uint64_t *a,
                                const uint64_t *b) {
    size_t i;
    for (i = 0; i < n; i++) bn_add(F, out + 4 * i, a + 4 * i, b + 4 * i);
}

static inline void bn_sub_batch(const bn_field *F, size_t n, uint64_t *out, const uint64_t *a,
                                const uint64_t *b) {
    size_t i;
    for (i = 0; i < n; i++) bn_sub(F, out + 4 * i, a + 4 * i, b + 4 * i);
}

static inline void bn_neg_batch(const bn_field *F, size_t n, uint64_t *out, const uint64_t *a) {
    size_t i;
    for (i = 0; i < n; i++) bn_neg(F, out + 4 * i, a + 4 * i);
}

static inline void bn_mul_batch_at(int backend, const bn_field *F, size_t n, uint64_t *out,
                                   const uint64_t *a, const uint64_t *b) {
    size_t i = 0;
    if (backend == BN_BACKEND_IFMA) {
        i = bn_mul_batch_ifma(F, n, out, a, b); /* whole groups of 8; the tail below */
        backend = BN_BACKEND_ADX;
    }
    if (backend == BN_BACKEND_ADX)
        for (; i < n; i++) bn_mul_adx(F, out + 4 * i, a + 4 * i, b + 4 * i);
    else
        for (; i < n; i++) bn_mul_portable(F, out + 4 * i, a + 4 * i, b + 4 * i);
}

/* out[i] := a[i] * s for one element s (s must not alias out). */
static inline void bn_mul_scalar_batch_at(int backend, const bn_field *F, size_t n, uint64_t *out,
                                          const uint64_t *a, const uint64_t s[4]) {
    size_t i;
    if (backend != BN_BACKEND_PORTABLE)
        for (i = 0; i < n; i++) bn_mul_adx(F, out + 4 * i, a + 4 * i, s);
    else
        for (i = 0; i < n; i++) bn_mul_portable(F, out + 4 * i, a + 4 * i, s);
}

static inline void bn_square_batch_at(int backend, const bn_field *F, size_t n, uint64_t *out,
                                      const uint64_t *a) {
    bn_mul_batch_at(backend, F, n, out, a, a);
}

static inline void bn_pow_batch_at(int backend, const bn_field *F, size_t n, uint64_t *out,
                                   const uint64_t *a, const uint64_t *e, size_t elimbs) {
    size_t i;
    for (i = 0; i < n; i++) bn_pow_at(backend, F, out + 4 * i, a + 4 * i, e, elimbs);
}

/* Conversions: into Montgomery form (a[i] < p, or any 256-bit value, which is
 * then reduced) and out of it (canonical integers). */
static inline void bn_to_mont_batch_at(int backend, const bn_field *F, size_t n, uint64_t *out,
                                       const uint64_t *a) {
    size_t i;
    for (i = 0; i < n; i++) bn_to_mont_at(backend, F, out + 4 * i, a + 4 * i);
}

static inline void bn_from_mont_batch_at(int backend, const bn_field *F, size_t n, uint64_t *out,
                                         const uint64_t *a) {
    size_t i;
    for (i = 0; i < n; i++) bn_from_mont_at(backend, F, out + 4 * i, a + 4 * i);
}

/* Index of the first zero element, or -1. */
static inline ptrdiff_t bn_find_zero(size_t n, const uint64_t *a) {
    size_t i;
    for (i = 0; i < n; i++)
        if (bn_is_zero(a + 4 * i)) return (ptrdiff_t)i;
    return -1;
}

/* out[i] := 1/a[i] by Montgomery's trick: n - 1 products forward, one
 * inversion (bn_inv_at), 2(n - 1) products back: about 3 multiplies per element
 * plus one inversion per call.  Returns -1, or the index of the first zero
 * (out is then unspecified).  out must NOT alias a (it holds the prefix products). */
static inline ptrdiff_t bn_inv_batch_at(int backend, const bn_field *F, size_t n, uint64_t *out,
                                        const uint64_t *a) {
    uint64_t inv[4], tmp[4];
    size_t i;
    ptrdiff_t z = bn_find_zero(n, a);
    if (z >= 0 || n == 0) return z;
    bn_copy(out, a);
    for (i = 1; i < n; i++) bn_mul_at(backend, F, out + 4 * i, out + 4 * (i - 1), a + 4 * i);
    bn_inv_at(backend, F, inv, out + 4 * (n - 1));
    for (i = n - 1; i > 0; i--) {
        bn_mul_at(backend, F, out + 4 * i, out + 4 * (i - 1), inv); /* 1/a[i] */
        bn_mul_at(backend, F, tmp, inv, a + 4 * i);                 /* 1/(a[0]..a[i-1]) */
        bn_copy(inv, tmp);
    }
    bn_copy(out, inv);
    return -1;
}

/* 32-byte encodings of canonical integers, big- or little-endian. */
static inline uint64_t bn_load64_be(const uint8_t *s) {
    uint64_t v;
    memcpy(&v, s, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_bswap64(v);
#else
    return v;
#endif
}

static inline uint64_t bn_load64_le(const uint8_t *s) {
    uint64_t v;
    memcpy(&v, s, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(v);
#else
    return v;
#endif
}

static inline void bn_store64_be(uint8_t *d, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(d, &v, 8);
}

static inline void bn_store64_le(uint8_t *d, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(d, &v, 8);
}

/* out[i] := Montgomery form of the integer encoded in src[32i .. 32i+32).
 * Returns -1, or the index of the first encoding >= p (out[i] before it is
 * written, from it on unspecified).  src must not overlap out. */
static inline ptrdiff_t bn_from_bytes_batch_at(int backend, const bn_field *F, size_t n,
                                               uint64_t *out, const uint8_t *src, int big_endian) {
    uint64_t x[4];
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        const uint8_t *s = src + 32 * i;
        for (k = 0; k < 4; k++) x[k] = big_endian ? bn_load64_be(s + 24 - 8 * k) : bn_load64_le(s + 8 * k);
        if (!bn_lt_p(F, x)) return (ptrdiff_t)i;
        bn_to_mont_at(backend, F, out + 4 * i, x);
    }
    return -1;
}

static inline void bn_to_bytes_batch_at(int backend, const bn_field *F, size_t n, uint8_t *dst,
                                        const uint64_t *a, int big_endian) {
    uint64_t x[4];
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        uint8_t *d = dst + 32 * i;
        bn_from_mont_at(backend, F, x, a + 4 * i);
        for (k = 0; k < 4; k++) {
            if (big_endian) bn_store64_be(d + 24 - 8 * k, x[k]);
            else bn_store64_le(d + 8 * k, x[k]);
        }
    }
}

/* mask[i] := 1 when a[i] < p (the 4 limbs, read as an integer, are canonical). */
static inline size_t bn_canonical_mask(const bn_field *F, size_t n, const uint64_t *a, uint8_t *mask) {
    size_t i, count = 0;
    for (i = 0; i < n; i++) {
        mask[i] = (uint8_t)bn_lt_p(F, a + 4 * i);
        count += mask[i];
    }
    return count;
}

#endif /* POUW_BN254_FIELD_H */
