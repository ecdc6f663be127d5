"""Batch kernels of the BN254 groups G1 and G2 (csrc/bn254_curve.h, csrc/bn254_fq2.h).

``group`` is G1 (1) or G2 (2).  Points are rows of C-contiguous numpy uint64
arrays, coordinates in Montgomery form (canonical, < q):

* affine G1 (n, 8): [x(4), y(4)]; affine G2 (n, 16): [x_c0, x_c1, y_c0, y_c1];
  the point at infinity is an all-zero row ((0, 0) is on neither curve).
* Jacobian G1 (n, 12), G2 (n, 24): [X, Y, Z]; Z = 0 is infinity.
* scalars (n, 4): plain (not Montgomery) 256-bit integers, little-endian limbs;
  [k]P is computed for k as given (the Python face reduces mod r first).
  G2 multiplications with k < r use 4-way GLS (psi = [6 x^2]), which is exact only
  for points of the order-r subgroup: for twist points outside it (arrays
  built with from_montgomery(check=False)) the result is unspecified; k >= r
  uses plain wNAF on any twist point.

Outputs are written into ``out`` (the caller allocates it), which must not
share memory with the inputs except where a docstring says so.  The GIL is
released for batches above a small threshold (always for multiplications and
subgroup checks); the arrays are arguments or locals of the running call, so
they stay alive across the release.  The multiply backend is the one
pouw._native.field uses (backend_code()), so field._set_backend switches these
kernels too.

Public face: pouw.zk.curve (which raises pouw.errors.CurveError from the
indexes check() returns: this layer imports only C and numpy).
"""

from libc.stddef cimport ptrdiff_t
from libc.stdint cimport uint64_t, uintptr_t
from libc.string cimport memcpy

from .field cimport BN_FQ, backend_code, bn_from_mont_at, bn_lt_p, bn_to_mont_at, check_rows

import numpy as np

__all__ = ["G1", "G2", "width", "add", "neg", "mul", "mul_ints", "mul_coords", "mul_jacobian",
           "to_affine", "check",
           "curve_b", "endomorphism_constants", "glv_split", "gls_split", "in_subgroup_by_order"]

G1 = BC_G1
G2 = BC_G2
# Additions below this many points are shorter than a GIL hand-off.
GIL_THRESHOLD = 16
cdef size_t C_GIL_THRESHOLD = GIL_THRESHOLD


# ---------------------------------------------------------------- the C boundary

cdef int coord_width(object group) except -1:
    if not isinstance(group, int) or group not in (G1, G2):
        raise ValueError(f"group must be G1 ({G1}) or G2 ({G2}), got {group!r}")
    return 4 if group == G1 else 8


def width(group):
    """width(group) -> int: limbs per coordinate (4 for G1, 8 for G2)."""
    return coord_width(group)


cdef int check_same(Py_ssize_t n, Py_ssize_t m, str name) except -1:
    if n != m:
        raise ValueError(f"length mismatch: out has {n} points, {name} has {m}")
    return 0


cdef int check_disjoint(object out, object src, str name) except -1:
    if np.shares_memory(out, src):
        raise ValueError(f"out must not share memory with {name}")
    return 0


cdef uint64_t *wptr(uint64_t[:, ::1] a) noexcept:
    return &a[0, 0] if a.shape[0] > 0 else NULL


cdef const uint64_t *rptr(const uint64_t[:, ::1] a) noexcept:
    return &a[0, 0] if a.shape[0] > 0 else NULL


# ---------------------------------------------------------------- constants

cdef object limbs_to_int(const uint64_t *x):
    return int(x[0]) | int(x[1]) << 64 | int(x[2]) << 128 | int(x[3]) << 192


def curve_b(group):
    """curve_b(group) -> int | tuple[int, int]: b of the curve, as plain integers."""
    cdef int w = coord_width(group)
    q = limbs_to_int(BN_FQ.p)
    rinv = pow(1 << 256, -1, q)
    if w == 4:
        return limbs_to_int(BC_B1) * rinv % q
    return (limbs_to_int(BC_B2) * rinv % q, limbs_to_int(&BC_B2[4]) * rinv % q)


cdef object signed_int(const uint64_t *x):
    v = limbs_to_int(x)
    return v - (1 << 256) if v >> 255 else v


def endomorphism_constants():
    """endomorphism_constants() -> dict: the header's endomorphism constants as plain ints.

    beta (Fq) and lambda (Fr) of the G1 GLV map phi(x, y) = (beta x, y) = [lambda](x, y);
    glv_basis ((A1, B1), (A2, B2)) with A1 - B1 lambda = A2 + B2 lambda = 0 mod r;
    psi_x, psi_y (Fq2 pairs) of the G2 map psi(x, y) = (conj(x) psi_x, conj(y) psi_y);
    six_x2 = 6 x^2 (x the BN parameter); gls_basis: the 4 rows (v_0..v_3) of the G2
    GLS lattice, sum_i v_i six_x2^i = 0 mod r; glv_rows / glv_g and gls_g: the signed
    basis rows and the rounding constants the split (bc_lattice_split_n) uses."""
    q = limbs_to_int(BN_FQ.p)
    rinv = pow(1 << 256, -1, q)
    cdef int i, j
    return {
        "beta": limbs_to_int(BC_GLV_BETA) * rinv % q,
        "lambda": limbs_to_int(BC_GLV_LAMBDA),
        "glv_basis": ((limbs_to_int(BC_GLV_A1), limbs_to_int(BC_GLV_B1)),
                      (limbs_to_int(BC_GLV_A2), limbs_to_int(BC_GLV_B2))),
        "glv_rows": tuple(tuple(signed_int(BC_GLV_BASIS[2 * j + i]) for i in range(2))
                          for j in range(2)),
        "glv_g": tuple(limbs_to_int(BC_GLV_G[j]) for j in range(2)),
        "psi_x": (limbs_to_int(BC_PSI_X) * rinv % q, limbs_to_int(&BC_PSI_X[4]) * rinv % q),
        "psi_y": (limbs_to_int(BC_PSI_Y) * rinv % q, limbs_to_int(&BC_PSI_Y[4]) * rinv % q),
        "six_x2": limbs_to_int(BC_6X2),
        "gls_basis": tuple(tuple(signed_int(BC_GLS_BASIS[4 * j + i]) for i in range(4))
                           for j in range(4)),
        "gls_g": tuple(limbs_to_int(BC_GLS_G[j]) for j in range(4)),
    }


cdef tuple _endo_split(object k, bint g2):
    k = int(k)
    if not 0 <= k < (1 << 256):
        raise ValueError("k must be in [0, 2^256)")
    cdef uint64_t kk[4]
    cdef uint64_t kv[4][4]
    cdef int i
    for i in range(4):
        kk[i] = (k >> (64 * i)) & 0xFFFFFFFFFFFFFFFF
    if g2:
        bc_gls_split(kv, kk)
        return tuple(signed_int(kv[i]) for i in range(4))
    bc_glv_split(kv[0], kv[1], kk)
    return (signed_int(kv[0]), signed_int(kv[1]))


def glv_split(k):
    """glv_split(k) -> (k1, k2): the native G1 GLV decomposition of the 256-bit k
    (0 <= k < 2^256), signed ints with k1 + k2 lambda = k mod r."""
    return _endo_split(k, False)


def gls_split(k):
    """gls_split(k) -> (k0, k1, k2, k3): the native G2 GLS decomposition of the 256-bit k
    (0 <= k < 2^256), signed ints with sum k_i (6 x^2)^i = k mod r."""
    return _endo_split(k, True)


def in_subgroup_by_order(group, points):
    """in_subgroup_by_order(group, points) -> list[bool]: [r]P == O for each affine row
    (the definition; check() uses the faster endomorphism test for G2)."""
    cdef int w = coord_width(group)
    cdef Py_ssize_t n = check_rows(points, "points", 2 * w, False), i
    cdef bc_ctx c = bc_make(group, backend_code())
    cdef const uint64_t[:, ::1] p = points
    return [bool(bc_in_subgroup_slow(&c, &p[i, 0])) for i in range(n)]


cdef int check_constants() except -1:
    """The header's curve constants, recomputed from q at import."""
    q = limbs_to_int(BN_FQ.p)
    inv82 = pow(82, -1, q)  # 1/(9 + u) = (9 - u)/82
    b2 = (27 * inv82 % q, -3 * inv82 % q)
    r = 21888242871839275222246405745257275088548364400416034343698204186575808495617
    if curve_b(G1) != 3 or curve_b(G2) != b2 or limbs_to_int(BC_R) != r:
        raise ImportError("bn254_curve.h: the curve constants are inconsistent")
    e = endomorphism_constants()
    beta, lam = e["beta"], e["lambda"]
    (a1, b1), (a2, b2_) = e["glv_basis"]
    x = 4965661367192848881
    if (beta == 1 or pow(beta, 3, q) != 1 or (lam * lam + lam + 1) % r != 0
            or (a1 - b1 * lam) % r or (a2 + b2_ * lam) % r or a1 * b2_ + a2 * b1 != r
            or e["six_x2"] != 6 * x * x):
        raise ImportError("bn254_curve.h: the endomorphism constants are inconsistent")
    if e["glv_rows"] != ((a1, -b1), (a2, b2_)):
        raise ImportError("bn254_curve.h: the GLV basis table is inconsistent")
    lp = e["six_x2"]
    rows = e["gls_basis"]
    if any(sum(v * pow(lp, i, r) for i, v in enumerate(row)) % r for row in rows):
        raise ImportError("bn254_curve.h: the GLS constants are inconsistent")
    return 0


check_constants()


# ---------------------------------------------------------------- kernels

cdef int to_affine_rows(bc_ctx *c, size_t n, uint64_t *aff, const uint64_t *jac) except -1:
    """Batch conversion with scratch it owns (a numpy array held until return)."""
    scratch = np.empty((max(<Py_ssize_t>n, 1), c.w), dtype=np.uint64)
    cdef uint64_t[:, ::1] s = scratch
    if n >= C_GIL_THRESHOLD:
        with nogil:
            bc_to_affine_batch(c, n, aff, jac, &s[0, 0])
    else:
        bc_to_affine_batch(c, n, aff, jac, &s[0, 0])
    return 0


def add(group, out, a, b):
    """add(group, out, a, b) -> None: out[i] := a[i] + b[i] (affine; out may equal a or b)."""
    cdef int w = coord_width(group)
    cdef Py_ssize_t n = check_rows(out, "out", 2 * w, True)
    check_same(n, check_rows(a, "a", 2 * w, False), "a")
    check_same(n, check_rows(b, "b", 2 * w, False), "b")
    cdef bc_ctx c = bc_make(group, backend_code())
    jac = np.empty((n, 3 * w), dtype=np.uint64)
    cdef uint64_t[:, ::1] j = jac
    cdef const uint64_t[:, ::1] x = a
    cdef const uint64_t[:, ::1] y = b
    if n == 0:
        return
    if <size_t>n >= C_GIL_THRESHOLD:
        with nogil:
            bc_add_batch(&c, n, &j[0, 0], &x[0, 0], &y[0, 0])
    else:
        bc_add_batch(&c, n, &j[0, 0], &x[0, 0], &y[0, 0])
    cdef uint64_t[:, ::1] o = out
    to_affine_rows(&c, n, &o[0, 0], &j[0, 0])


def neg(group, out, a):
    """neg(group, out, a) -> None: out[i] := -a[i] (affine; out may equal a)."""
    cdef int w = coord_width(group)
    cdef Py_ssize_t n = check_rows(out, "out", 2 * w, True)
    check_same(n, check_rows(a, "a", 2 * w, False), "a")
    if n == 0:
        return
    cdef bc_ctx c = bc_make(group, backend_code())
    cdef uint64_t[:, ::1] o = out
    cdef const uint64_t[:, ::1] x = a
    bc_neg_batch(&c, n, &o[0, 0], &x[0, 0])


def mul_jacobian(group, out, points, scalars):
    """mul_jacobian(group, out, points, scalars) -> None: out[i] := [scalars[i]] points[i].

    out is Jacobian (n, 3w); points affine (n, 2w); scalars (n, 4) plain
    integers.  out must not share memory with the inputs."""
    cdef int w = coord_width(group)
    cdef Py_ssize_t n = check_rows(out, "out", 3 * w, True)
    check_same(n, check_rows(points, "points", 2 * w, False), "points")
    check_same(n, check_rows(scalars, "scalars", 4, False), "scalars")
    if n == 0:
        return
    check_disjoint(out, points, "points")
    check_disjoint(out, scalars, "scalars")
    cdef bc_ctx c = bc_make(group, backend_code())
    cdef uint64_t[:, ::1] o = out
    cdef const uint64_t[:, ::1] p = points
    cdef const uint64_t[:, ::1] k = scalars
    with nogil:
        bc_mul_batch(&c, n, &o[0, 0], &p[0, 0], &k[0, 0])


def to_affine(group, out, jac):
    """to_affine(group, out, jac) -> None: affine out (n, 2w) of Jacobian jac (n, 3w),
    one field inversion for the whole batch (Montgomery's trick)."""
    cdef int w = coord_width(group)
    cdef Py_ssize_t n = check_rows(out, "out", 2 * w, True)
    check_same(n, check_rows(jac, "jac", 3 * w, False), "jac")
    if n == 0:
        return
    check_disjoint(out, jac, "jac")
    cdef bc_ctx c = bc_make(group, backend_code())
    cdef uint64_t[:, ::1] o = out
    cdef const uint64_t[:, ::1] j = jac
    to_affine_rows(&c, n, &o[0, 0], &j[0, 0])


# Below this many points, mul converts each result to affine on its own (one
# variable-time inversion, ~1 us) instead of batching: no scratch arrays, no
# Jacobian array, for the single-point calls that dominate in practice.
MUL_DIRECT = 8


def mul(group, out, points, scalars):
    """mul(group, out, points, scalars) -> None: affine out[i] := [scalars[i]] points[i].

    out (n, 2w) may be points itself (each row is read before it is written)."""
    cdef int w = coord_width(group)
    cdef Py_ssize_t n = check_rows(out, "out", 2 * w, True), i
    if n >= MUL_DIRECT:
        jac = np.empty((n, 3 * w), dtype=np.uint64)
        mul_jacobian(group, jac, points, scalars)
        to_affine(group, out, jac)
        return
    check_same(n, check_rows(points, "points", 2 * w, False), "points")
    check_same(n, check_rows(scalars, "scalars", 4, False), "scalars")
    if n == 0:
        return
    cdef bc_ctx c = bc_make(group, backend_code())
    cdef uint64_t[:, ::1] o = out
    cdef const uint64_t[:, ::1] p = points
    cdef const uint64_t[:, ::1] k = scalars
    cdef uint64_t acc[3 * BC_MAXW]
    cdef uint64_t kk[4]
    with nogil:
        for i in range(n):
            kk[0] = k[i, 0]  # copied: scalars may share memory with out
            kk[1] = k[i, 1]
            kk[2] = k[i, 2]
            kk[3] = k[i, 3]
            bc_from_affine(&c, acc, &p[i, 0])
            bc_mul(&c, acc, acc, kk)
            bc_to_affine(&c, &o[i, 0], acc)


def mul_ints(group, out, points, ks):
    """mul_ints(group, out, points, ks) -> None: affine out[i] := [ks[i]] points[i] for
    a short sequence of Python ints 0 <= ks[i] < 2^256 (OverflowError otherwise):
    mul without building a scalar array, for the single-point calls of the array
    face.  out may be points itself."""
    cdef int w = coord_width(group)
    cdef Py_ssize_t n = check_rows(out, "out", 2 * w, True), i
    check_same(n, check_rows(points, "points", 2 * w, False), "points")
    check_same(n, len(ks), "ks")
    if n == 0:
        return
    cdef bc_ctx c = bc_make(group, backend_code())
    cdef uint64_t[:, ::1] o = out
    cdef const uint64_t[:, ::1] p = points
    cdef uint64_t acc[3 * BC_MAXW]
    cdef uint64_t kk[4]
    for i in range(n):
        load_int(kk, ks[i])
        with nogil:
            bc_from_affine(&c, acc, &p[i, 0])
            bc_mul(&c, acc, acc, kk)
            bc_to_affine(&c, &o[i, 0], acc)


cdef int load_int(uint64_t *dst, object v) except -1:
    """dst[0..4) := the limbs of the int 0 <= v < 2^256 (OverflowError otherwise)."""
    cdef bytes b = int.to_bytes(v, 32, "little")
    memcpy(dst, <const char *>b, 32)
    return 0


cdef object store_int(const uint64_t *src):
    return int.from_bytes((<const char *>src)[:32], "little")


def mul_coords(group, coords, k):
    """mul_coords(group, coords, k) -> (status, coords): [k]P for one point given as its
    flat plain coordinates (G1 [x, y], G2 [x_c0, x_c1, y_c0, y_c1], ints), k an int in
    [0, 2^256) (the Python face reduces mod r).  The point is validated first:
    status 0 with the flat coordinates of the result (all zero: infinity); 1 a
    coordinate not below q; 2 not on the curve; 3 (G2) outside the order-r
    subgroup.  An all-zero coords is the point at infinity.  The single-point
    face of pouw.zk.curve: one call, no numpy."""
    cdef int w = coord_width(group), i
    cdef int nc = w // 2  # Fq coordinates per point: 2 (G1) or 4 (G2)
    cdef uint64_t a[2 * BC_MAXW]
    cdef uint64_t acc[3 * BC_MAXW]
    cdef uint64_t kk[4]
    cdef int status = 0
    cdef bc_ctx c = bc_make(group, backend_code())
    if len(coords) != nc:
        raise ValueError(f"expected {nc} coordinates, got {len(coords)}")
    for i in range(nc):
        v = coords[i]
        if not 0 <= v < (1 << 256):
            return (1, None)
        load_int(&a[4 * i], v)
        if not bn_lt_p(&BN_FQ, &a[4 * i]):
            return (1, None)
    load_int(kk, k)
    with nogil:
        for i in range(nc):
            bn_to_mont_at(c.be, &BN_FQ, &a[4 * i], &a[4 * i])
        if not bc_aff_on_curve(&c, a):
            status = 2
        elif not bc_in_subgroup(&c, a):
            status = 3
        else:
            bc_from_affine(&c, acc, a)
            bc_mul(&c, acc, acc, kk)
            bc_to_affine(&c, a, acc)
            for i in range(nc):
                bn_from_mont_at(c.be, &BN_FQ, &a[4 * i], &a[4 * i])
    if status:
        return (status, None)
    return (0, [store_int(&a[4 * i]) for i in range(nc)])


def check(group, points, subgroup=True):
    """check(group, points, subgroup=True) -> tuple[int, int]: (-1, 0) when every point
    is on the curve (and, for G2 when subgroup is true, in the order-r subgroup);
    else (index, why) of the first bad point, why 1 = off the curve, 2 = outside
    the subgroup.  Coordinates must be canonical (the caller checked them)."""
    cdef int w = coord_width(group)
    cdef Py_ssize_t n = check_rows(points, "points", 2 * w, False)
    cdef bc_ctx c = bc_make(group, backend_code())
    cdef int why = 0, sub = 1 if subgroup else 0
    cdef ptrdiff_t bad = -1
    if n == 0:
        return (-1, 0)
    cdef const uint64_t[:, ::1] p = points
    if (sub and group == G2) or <size_t>n >= C_GIL_THRESHOLD:
        with nogil:
            bad = bc_check_batch(&c, n, &p[0, 0], sub, &why)
    else:
        bad = bc_check_batch(&c, n, &p[0, 0], sub, &why)
    return (bad, why)
