# Declarations of csrc/bn254_fq2.h and csrc/bn254_curve.h: Fq2 and the groups
# G1 (over Fq) and G2 (over Fq2) of BN254.  MSM and pairing kernels cimport
# these and include the same headers, so the point arithmetic inlines into
# their loops; they build a context with bc_make(group, backend_code()) (field.pxd).
#
# Layouts (uint64 limbs, Montgomery form, canonical): a coordinate is w = 4
# (G1) or 8 (G2: c0 then c1) limbs; an affine point is [x, y] (2w limbs, all
# zero = the point at infinity); a Jacobian point is [X, Y, Z] (3w limbs,
# Z = 0 = infinity).  Every function is allocation free, never fails, touches
# no Python object and may run without the GIL.  Not constant time.
from libc.stddef cimport ptrdiff_t
from libc.stdint cimport int8_t, uint64_t


cdef extern from "bn254_fq2.h" nogil:
    enum:
        BN_FQ2_LIMBS
    bint bn_fq2_is_zero(const uint64_t *a)
    bint bn_fq2_eq(const uint64_t *a, const uint64_t *b)
    void bn_fq2_copy(uint64_t *r, const uint64_t *a)
    void bn_fq2_set_one(uint64_t *r)
    void bn_fq2_add(uint64_t *r, const uint64_t *a, const uint64_t *b)
    void bn_fq2_sub(uint64_t *r, const uint64_t *a, const uint64_t *b)
    void bn_fq2_neg(uint64_t *r, const uint64_t *a)
    void bn_fq2_conj(uint64_t *r, const uint64_t *a)
    void bn_fq2_mul_at(int be, uint64_t *r, const uint64_t *a, const uint64_t *b)
    void bn_fq2_sqr_at(int be, uint64_t *r, const uint64_t *a)
    void bn_fq2_mul_fq_at(int be, uint64_t *r, const uint64_t *a, const uint64_t *s)
    # 1/a; a = 0 gives 0.
    void bn_fq2_inv_at(int be, uint64_t *r, const uint64_t *a)
    # a * (9 + u), the non-residue of the Fq6 tower.
    void bn_fq2_mul_xi(uint64_t *r, const uint64_t *a)


cdef extern from "bn254_curve.h" nogil:
    enum:
        BC_G1
        BC_G2
        BC_MAXW
        BC_WNAF_W

    const uint64_t BC_B1[4]
    const uint64_t BC_B2[8]
    const uint64_t BC_R[4]
    # GLV on G1: beta (Montgomery), lambda, the lattice basis and rounding constants.
    const uint64_t BC_GLV_BETA[4]
    const uint64_t BC_GLV_LAMBDA[4]
    const uint64_t BC_GLV_A1[4]
    const uint64_t BC_GLV_B1[4]
    const uint64_t BC_GLV_A2[4]
    const uint64_t BC_GLV_B2[4]
    # G2 endomorphism psi (Montgomery Fq2 constants) and the scalar 6 x^2.
    const uint64_t BC_PSI_X[8]
    const uint64_t BC_PSI_Y[8]
    const uint64_t BC_6X2[4]
    # The same basis as a table of rows (A1, -B1), (A2, B2), two's complement, and
    # the rounding constants of bc_lattice_split_n.
    const uint64_t BC_GLV_BASIS[4][4]
    const uint64_t BC_GLV_G[2][4]
    # GLS on G2 (4 parts for psi = [6 x^2]): 4 basis rows of 4 entries, two's complement.
    const uint64_t BC_GLS_BASIS[16][4]
    const uint64_t BC_GLS_G[4][4]

    ctypedef struct bc_ctx:
        int deg
        int w
        int be
        const uint64_t *b

    bc_ctx bc_make(int group, int be)

    # Affine points (2w limbs).
    bint bc_aff_is_inf(const bc_ctx *c, const uint64_t *a)
    bint bc_aff_on_curve(const bc_ctx *c, const uint64_t *a)
    void bc_aff_neg(const bc_ctx *c, uint64_t *r, const uint64_t *a)
    # Jacobian points (3w limbs); outputs may alias inputs.
    bint bc_is_inf(const bc_ctx *c, const uint64_t *P)
    void bc_set_inf(const bc_ctx *c, uint64_t *P)
    void bc_copy(const bc_ctx *c, uint64_t *R, const uint64_t *P)
    void bc_from_affine(const bc_ctx *c, uint64_t *P, const uint64_t *a)
    void bc_neg(const bc_ctx *c, uint64_t *R, const uint64_t *P)
    void bc_dbl(const bc_ctx *c, uint64_t *R, const uint64_t *P)
    void bc_add(const bc_ctx *c, uint64_t *R, const uint64_t *P, const uint64_t *Q)
    void bc_madd(const bc_ctx *c, uint64_t *R, const uint64_t *P, const uint64_t *a)
    bint bc_eq(const bc_ctx *c, const uint64_t *P, const uint64_t *Q)
    void bc_to_affine(const bc_ctx *c, uint64_t *a, const uint64_t *P)
    # One inversion for n points; scratch holds n * w limbs; aff must not overlap jac.
    void bc_to_affine_batch(const bc_ctx *c, size_t n, uint64_t *aff, const uint64_t *jac,
                            uint64_t *scratch)
    # Signed digits of a 256-bit scalar (at most 257); returns their count.
    int bc_wnaf(int8_t *digits, const uint64_t *k, int w)
    # [k]P, k as given (any curve point).
    void bc_mul_wnaf(const bc_ctx *c, uint64_t *R, const uint64_t *P, const uint64_t *k)
    # G1: k1 + k2 lambda = k mod r (two's complement mod 2^256, |k1|, |k2| < 2^128).
    void bc_glv_split(uint64_t *k1, uint64_t *k2, const uint64_t *k)
    void bc_g1_phi(const bc_ctx *c, uint64_t *R, const uint64_t *P)
    void bc_mul_glv(const bc_ctx *c, uint64_t *R, const uint64_t *P, const uint64_t *k)
    # G2: k0 + k1 l + k2 l^2 + k3 l^3 = k mod r, l = 6 x^2 (two's complement, |k_i| < 2^66).
    void bc_gls_split(uint64_t (*kv)[4], const uint64_t *k)
    # [k mod r]P by GLV (G1) / GLS (G2; exact only on the order-r subgroup).
    void bc_mul_endo(const bc_ctx *c, uint64_t *R, const uint64_t *P, const uint64_t *k)
    # G1: [k mod r]P by GLV; G2: k < r by GLS (subgroup points only), k >= r by wNAF.
    void bc_mul(const bc_ctx *c, uint64_t *R, const uint64_t *P, const uint64_t *k)
    void bc_g2_psi(const bc_ctx *c, uint64_t *R, const uint64_t *P)
    # G2: psi(a) == [6 x^2]a; bc_in_subgroup_slow: [r]a == O (reference).
    bint bc_in_subgroup(const bc_ctx *c, const uint64_t *a)
    bint bc_in_subgroup_slow(const bc_ctx *c, const uint64_t *a)

    # Batches (rows contiguous): Jacobian outputs.
    void bc_add_batch(const bc_ctx *c, size_t n, uint64_t *out, const uint64_t *a,
                      const uint64_t *b)
    void bc_mul_batch(const bc_ctx *c, size_t n, uint64_t *out, const uint64_t *a,
                      const uint64_t *scalars)
    void bc_neg_batch(const bc_ctx *c, size_t n, uint64_t *out, const uint64_t *a)
    # -1, or the first invalid index (*why: 1 off the curve, 2 outside the subgroup).
    ptrdiff_t bc_check_batch(const bc_ctx *c, size_t n, const uint64_t *a, int subgroup,
                             int *why)
