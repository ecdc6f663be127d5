"""Multi-scalar multiplication on the BN254 groups G1 and G2 (csrc/bn254_msm.h).

``group`` is G1 (1) or G2 (2), as in pouw._native.curve.  Layouts are those of
curve.pyx: affine points are C-contiguous uint64 rows (n, 2w) in Montgomery
form (w = 4 for G1, 8 for G2; an all-zero row is the point at infinity);
scalars are rows (n, 4), either the Montgomery form of Fr (``mont`` true, an
FrArray's storage) or plain integers; in both cases below r (the Python face
reduces).  Results are written to ``out``, one affine row (1, 2w).

The GIL is released around every kernel; the arrays are arguments or locals
of the running call, so they stay alive across the release.  The C kernels
malloc their scratch (buckets, digits) and return a status: MSM_ENOMEM turns
into MemoryError here.  Threads are pthreads started inside C (``threads``
>= 1; the Python face maps None to os.cpu_count()).

Public face: pouw.zk.msm.
"""

from libc.stdint cimport int16_t, uint64_t

from .curve cimport bc_ctx, bc_make, bc_to_affine, BC_G1, BC_G2, BC_MAXW
from .field cimport backend_code, check_rows

import numpy as np

__all__ = ["G1", "G2", "JACOBIAN", "AFFINE", "MAX_WINDOW", "GLV_MAX_N", "GLS_MAX_N",
           "pick_window", "windows",
           "msm", "fixed_base_table", "fixed_base_msm"]


cdef extern from "bn254_msm.h" nogil:
    enum:
        MSM_ENOMEM
        MSM_MAX_WINDOW
        MSM_JACOBIAN
        MSM_AFFINE
    int msm_windows(int c)
    int msm_pick_window(size_t n)
    int msm_pick_window_for(size_t n, int deg)
    int msm_pick_window_threads(size_t n, int deg, int threads)
    size_t MSM_GLV_MAX_N
    size_t MSM_GLS_MAX_N
    # R (Jacobian) := sum [k_i] P_i; 0 or MSM_ENOMEM.  window 0: msm_pick_window(n).
    int msm_run(const bc_ctx *c, size_t n, uint64_t *R, const uint64_t *points,
                const uint64_t *scalars, int mont, int window, int mode, int threads)
    # table (W*n affine rows) := [2^(cj)] P_i; scratch n * 4w limbs; never fails.
    void msm_fb_table(const bc_ctx *c, size_t n, int window, const uint64_t *points,
                      uint64_t *table, uint64_t *scratch, int threads)
    int msm_fb_run(const bc_ctx *c, size_t n, uint64_t *R, const uint64_t *table,
                   const uint64_t *scalars, int mont, int window, int mode, int threads)


G1 = BC_G1
G2 = BC_G2
JACOBIAN = MSM_JACOBIAN
AFFINE = MSM_AFFINE
MAX_WINDOW = MSM_MAX_WINDOW
GLV_MAX_N = MSM_GLV_MAX_N
GLS_MAX_N = MSM_GLS_MAX_N


# ---------------------------------------------------------------- the C boundary

cdef int coord_width(object group) except -1:
    if not isinstance(group, int) or group not in (G1, G2):
        raise ValueError(f"group must be G1 ({G1}) or G2 ({G2}), got {group!r}")
    return 4 if group == G1 else 8


cdef int check_window(object window) except -1:
    if not isinstance(window, int) or not 0 <= window <= MSM_MAX_WINDOW:
        raise ValueError(f"window must be an int in [1, {MSM_MAX_WINDOW}] (0: automatic), "
                         f"got {window!r}")
    return window


cdef int check_mode(object mode) except -1:
    if mode not in (JACOBIAN, AFFINE):
        raise ValueError(f"mode must be JACOBIAN ({JACOBIAN}) or AFFINE ({AFFINE}), got {mode!r}")
    return mode


cdef int check_threads(object threads) except -1:
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int, got {threads!r}")
    return min(threads, 256)


cdef int result(bc_ctx *c, object out, uint64_t *R, int status) except -1:
    """Write the Jacobian R into the affine out row, or raise for a failed kernel."""
    if status == MSM_ENOMEM:
        raise MemoryError("msm: out of memory for buckets and digits")
    cdef uint64_t[:, ::1] o = out
    bc_to_affine(c, &o[0, 0], R)
    return 0


def pick_window(n, group=G1, threads=1):
    """pick_window(n, group=G1, threads=1) -> int: the window (widest digit, bits) the
    plain MSM uses for n points on ``threads`` threads: G1 below GLV_MAX_N points runs
    GLV (2n points, 128-bit scalars), G2 below GLS_MAX_N points GLS (4n points,
    ~65-bit scalars, a window count that suits the threads), each with its own
    window rule; otherwise 254-bit windows (one more for G2, whose additions cost
    more against the reduction)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    return msm_pick_window_threads(<size_t>n, 2 if coord_width(group) == 8 else 1,
                                   check_threads(threads))


def windows(window):
    """windows(window) -> int: digits per scalar (254 bits plus the top carry)."""
    if check_window(window) == 0:
        raise ValueError("window must be >= 1")
    return msm_windows(window)


# ---------------------------------------------------------------- kernels

def msm(group, out, points, scalars, mont, window=0, mode=AFFINE, threads=1):
    """msm(group, out, points, scalars, mont, window=0, mode=AFFINE, threads=1) -> None.

    out (1, 2w) := sum_i [scalars[i]] points[i] (affine).  points (n, 2w);
    scalars (n, 4), Montgomery Fr when mont else plain, all < r (not checked
    here).  window 0 chooses by n."""
    cdef int w = coord_width(group)
    cdef Py_ssize_t n = check_rows(points, "points", 2 * w, False)
    check_rows(out, "out", 2 * w, True)
    if out.shape[0] != 1:
        raise ValueError(f"out must have shape (1, {2 * w}), got {out.shape}")
    if check_rows(scalars, "scalars", 4, False) != n:
        raise ValueError(f"length mismatch: {n} points, {scalars.shape[0]} scalars")
    cdef int win = check_window(window), md = check_mode(mode), th = check_threads(threads)
    cdef int mt = 1 if mont else 0, status = 0
    cdef bc_ctx c = bc_make(group, backend_code())
    cdef uint64_t R[3 * BC_MAXW]
    cdef const uint64_t[:, ::1] p = points
    cdef const uint64_t[:, ::1] k = scalars
    cdef const uint64_t *pp = &p[0, 0] if n > 0 else NULL
    cdef const uint64_t *kp = &k[0, 0] if n > 0 else NULL
    with nogil:
        status = msm_run(&c, <size_t>n, R, pp, kp, mt, win, md, th)
    result(&c, out, R, status)


def fixed_base_table(group, table, points, window, threads=1):
    """fixed_base_table(group, table, points, window, threads=1) -> None.

    table (W*n, 2w) := rows j*n + i holding [2^(window*j)] points[i] (affine),
    W = windows(window).  table must not share memory with points."""
    cdef int w = coord_width(group)
    cdef Py_ssize_t n = check_rows(points, "points", 2 * w, False)
    if check_window(window) == 0:
        raise ValueError("window must be >= 1")
    cdef int win = window, th = check_threads(threads)
    cdef Py_ssize_t rows = check_rows(table, "table", 2 * w, True)
    if rows != n * msm_windows(win):
        raise ValueError(f"table must have {n * msm_windows(win)} rows, got {rows}")
    if n == 0:
        return
    if np.shares_memory(table, points):
        raise ValueError("table must not share memory with points")
    scratch = np.empty((n, 4 * w), dtype=np.uint64)
    cdef uint64_t[:, ::1] s = scratch
    cdef uint64_t[:, ::1] t = table
    cdef const uint64_t[:, ::1] p = points
    cdef bc_ctx c = bc_make(group, backend_code())
    with nogil:
        msm_fb_table(&c, <size_t>n, win, &p[0, 0], &t[0, 0], &s[0, 0], th)


def fixed_base_msm(group, out, table, scalars, mont, window, mode=AFFINE, threads=1):
    """fixed_base_msm(group, out, table, scalars, mont, window, mode=AFFINE, threads=1) -> None.

    out (1, 2w) := sum_i [scalars[i]] P_i for the table of fixed_base_table
    (same window); n = len(scalars)."""
    cdef int w = coord_width(group)
    cdef Py_ssize_t n = check_rows(scalars, "scalars", 4, False)
    check_rows(out, "out", 2 * w, True)
    if out.shape[0] != 1:
        raise ValueError(f"out must have shape (1, {2 * w}), got {out.shape}")
    if check_window(window) == 0:
        raise ValueError("window must be >= 1")
    cdef int win = window
    if check_rows(table, "table", 2 * w, False) != n * msm_windows(win):
        raise ValueError(f"length mismatch: the table holds {table.shape[0]} rows, "
                         f"{n} scalars need {n * msm_windows(win)}")
    cdef int md = check_mode(mode), th = check_threads(threads)
    cdef int mt = 1 if mont else 0, status = 0
    cdef bc_ctx c = bc_make(group, backend_code())
    cdef uint64_t R[3 * BC_MAXW]
    cdef const uint64_t[:, ::1] t = table
    cdef const uint64_t[:, ::1] k = scalars
    cdef const uint64_t *tp = &t[0, 0] if n > 0 else NULL
    cdef const uint64_t *kp = &k[0, 0] if n > 0 else NULL
    with nogil:
        status = msm_fb_run(&c, <size_t>n, R, tp, kp, mt, win, md, th)
    result(&c, out, R, status)
