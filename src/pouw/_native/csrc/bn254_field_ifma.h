/* bn254_field_ifma.h -- placeholder: IFMA batch multiply (not yet built). */
#ifndef POUW_BN254_FIELD_IFMA_H
#define POUW_BN254_FIELD_IFMA_H
static inline int bn_cpu_has_ifma(void) { return 0; }
#define BN_DEFAULT_ALLOWED(b) 1
static inline size_t bn_mul_batch_ifma(const bn_field *F, size_t n, uint64_t *out, const uint64_t *a,
                                       const uint64_t *b) {
    (void)F; (void)n; (void)out; (void)a; (void)b;
    return 0;
}
#endif
