/* bn254_field_x86.h -- the MULX/ADCX/ADOX Montgomery multiply (x86-64 only).
 *
 *   bn_mul_adx(F, r, a, b)   r := a * b / 2^256 mod p, canonical (< p)
 *
 * Caller guarantees: b < p (a may be any 256-bit value; the field keeps both
 * canonical anyway), F->p[3] < 2^62 (both BN254 moduli: the "no-carry" CIOS
 * of gnark applies, so the running total never needs a sixth limb).  r may
 * alias a or b: the result is stored only after every load.  Runs only where
 * bn_cpu_has_adx() said yes; included by bn254_field.h, which dispatches.
 *
 * The assembly is plain text for the assembler (MULX/ADX need no -march:
 * only the CPU, checked at run time, must have them).  Two carry chains run
 * at once: ADOX adds the low halves of the partial products, ADCX the high
 * halves, so the 4 x 4 product and the reduction interleave without
 * serialising on a single flag.  The five accumulator registers rotate by one
 * per outer step instead of being moved.
 */
#ifndef POUW_BN254_FIELD_X86_H
#define POUW_BN254_FIELD_X86_H

#include <stdint.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define BN_HAVE_ADX_ASM 1

/* Step A, first limb: (T4..T0) := a[0] * b. */
#define BN_ASM_A0(T0, T1, T2, T3, T4)                                                              \
    "movq 0(%[a]), %%rdx\n\t"                                                                      \
    "xorl %k[lo], %k[lo]\n\t"                                                                      \
    "mulxq 0(%[b]), %[" #T0 "], %[" #T1 "]\n\t"                                                   \
    "mulxq 8(%[b]), %[lo], %[" #T2 "]\n\t"                                                        \
    "adcxq %[lo], %[" #T1 "]\n\t"                                                                  \
    "mulxq 16(%[b]), %[lo], %[" #T3 "]\n\t"                                                       \
    "adcxq %[lo], %[" #T2 "]\n\t"                                                                  \
    "mulxq 24(%[b]), %[lo], %[" #T4 "]\n\t"                                                       \
    "adcxq %[lo], %[" #T3 "]\n\t"                                                                  \
    "movl $0, %k[lo]\n\t"                                                                          \
    "adcxq %[lo], %[" #T4 "]\n\t"

/* Step A, limb I > 0: (T4..T0) := (T3..T0) + a[I] * b  (T4 is written fresh). */
#define BN_ASM_A(I, T0, T1, T2, T3, T4)                                                            \
    "movq 8*" #I "(%[a]), %%rdx\n\t"                                                               \
    "xorl %k[lo], %k[lo]\n\t"                                                                      \
    "mulxq 0(%[b]), %[lo], %[hi]\n\t"                                                             \
    "adoxq %[lo], %[" #T0 "]\n\t"                                                                  \
    "adcxq %[hi], %[" #T1 "]\n\t"                                                                  \
    "mulxq 8(%[b]), %[lo], %[hi]\n\t"                                                             \
    "adoxq %[lo], %[" #T1 "]\n\t"                                                                  \
    "adcxq %[hi], %[" #T2 "]\n\t"                                                                  \
    "mulxq 16(%[b]), %[lo], %[hi]\n\t"                                                            \
    "adoxq %[lo], %[" #T2 "]\n\t"                                                                  \
    "adcxq %[hi], %[" #T3 "]\n\t"                                                                  \
    "mulxq 24(%[b]), %[lo], %[" #T4 "]\n\t"                                                       \
    "adoxq %[lo], %[" #T3 "]\n\t"                                                                  \
    "movl $0, %k[lo]\n\t"                                                                          \
    "adcxq %[lo], %[" #T4 "]\n\t"                                                                  \
    "adoxq %[lo], %[" #T4 "]\n\t"

/* Step B: m := T0 * (-1/p) mod 2^64; (T4..T0) += m * p, which zeroes T0;
 * the value divided by 2^64 is left in (T4..T1). */
#define BN_ASM_B(T0, T1, T2, T3, T4)                                                               \
    "movq %[" #T0 "], %%rdx\n\t"                                                                   \
    "imulq 32(%[p]), %%rdx\n\t"                                                                    \
    "xorl %k[lo], %k[lo]\n\t"                                                                      \
    "mulxq 0(%[p]), %[lo], %[hi]\n\t"                                                             \
    "adcxq %[" #T0 "], %[lo]\n\t"                                                                  \
    "adoxq %[hi], %[" #T1 "]\n\t"                                                                  \
    "mulxq 8(%[p]), %[lo], %[hi]\n\t"                                                             \
    "adcxq %[lo], %[" #T1 "]\n\t"                                                                  \
    "adoxq %[hi], %[" #T2 "]\n\t"                                                                  \
    "mulxq 16(%[p]), %[lo], %[hi]\n\t"                                                            \
    "adcxq %[lo], %[" #T2 "]\n\t"                                                                  \
    "adoxq %[hi], %[" #T3 "]\n\t"                                                                  \
    "mulxq 24(%[p]), %[lo], %[hi]\n\t"                                                            \
    "adcxq %[lo], %[" #T3 "]\n\t"                                                                  \
    "adoxq %[hi], %[" #T4 "]\n\t"                                                                  \
    "movl $0, %k[lo]\n\t"                                                                          \
    "adcxq %[lo], %[" #T4 "]\n\t"

/* `p` points at the descriptor: limbs at 0..24, -1/p mod 2^64 at 32
 * (the layout of bn_field in bn254_field.h, checked there). */
static inline void bn_mul_adx_raw(const uint64_t *p, uint64_t r[4], const uint64_t a[4],
                                  const uint64_t b[4]) {
    uint64_t t0, t1, t2, t3, t4, lo, hi, dx;
    __asm__(BN_ASM_A0(t0, t1, t2, t3, t4)
            BN_ASM_B(t0, t1, t2, t3, t4)
            BN_ASM_A(1, t1, t2, t3, t4, t0)
            BN_ASM_B(t1, t2, t3, t4, t0)
            BN_ASM_A(2, t2, t3, t4, t0, t1)
            BN_ASM_B(t2, t3, t4, t0, t1)
            BN_ASM_A(3, t3, t4, t0, t1, t2)
            BN_ASM_B(t3, t4, t0, t1, t2)
            /* result (t2 t1 t0 t4) < 2p: subtract p into (t3 dx hi lo), keep on borrow */
            "movq %[t4], %[lo]\n\t"
            "subq 0(%[p]), %[lo]\n\t"
            "movq %[t0], %[hi]\n\t"
            "sbbq 8(%[p]), %[hi]\n\t"
            "movq %[t1], %%rdx\n\t"
            "sbbq 16(%[p]), %%rdx\n\t"
            "movq %[t2], %[t3]\n\t"
            "sbbq 24(%[p]), %[t3]\n\t"
            "cmovcq %[t4], %[lo]\n\t"
            "cmovcq %[t0], %[hi]\n\t"
            "cmovcq %[t1], %%rdx\n\t"
            "cmovcq %[t2], %[t3]\n\t"
            : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4),
              [lo] "=&r"(lo), [hi] "=&r"(hi), "=&d"(dx)
            : [a] "r"(a), [b] "r"(b), [p] "r"(p), "m"(*(const uint64_t(*)[4])a),
              "m"(*(const uint64_t(*)[4])b), "m"(*(const uint64_t(*)[5])p)
            : "cc");
    r[0] = lo;
    r[1] = hi;
    r[2] = dx;
    r[3] = t3;
}

#undef BN_ASM_A0
#undef BN_ASM_A
#undef BN_ASM_B

#else
#define BN_HAVE_ADX_ASM 0
#endif

#endif /* POUW_BN254_FIELD_X86_H */
