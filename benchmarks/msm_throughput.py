"""G1/G2 multi-scalar multiplication: pouw vs MCL's mulVec, µs per point, in one run.

    PYTHONPATH=src python benchmarks/msm_throughput.py [--quick]

MCL is ``mclbn256`` 1.3.5 through its C library, re-initialised with
``mclBn_init(4, 44)`` (MCL_BN_SNARK1 = alt_bn128; its Python classes are not
used afterwards) and fed the SAME points and scalars (points through
``mclBnG1_setStr`` in base 10, scalars through ``mclBnFr_setLittleEndian``).
One cross-check per group: MCL's result equals ours.  MCL's ``mulVec`` uses
its default threading (this build runs it on one core: its CPU time equals
its wall time).  MCL is skipped from MCL_MAX_LOG + 1 up: this build's
``mclBnG1_mulVec`` crashes (SIGSEGV) at 2^20 with the default 8 MiB stack,
and feeding it 2^20 points through setStr takes ~45 s.  ``--quick`` skips 2^20.  Rows are the best of REPEATS (5)
runs (one run at 2^20).  Points are distinct: sums ``A_i + B_j`` of two sets of
1024 random points (generating 2^20 by scalar multiplication would take
minutes).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable

import numpy as np

from mcl_peer import Mcl
from pouw._native import field as _f
from pouw._native import msm as _m
from pouw.zk.curve import G1_GENERATOR, G2_GENERATOR, G1Array, G2Array, PointArray
from pouw.zk.field import FrArray
from pouw.zk.msm import G1MSMContext, g1_msm, g2_msm, msm_window

G1_SIZES = (10, 16, 20)
G2_SIZES = (10, 12, 14, 16)
REPEATS = 5
MCL_MAX_LOG = 16
COMMAND = "PYTHONPATH=src python benchmarks/msm_throughput.py"


def distinct_points(cls: type[PointArray], gen: object, n: int, seed: int) -> PointArray:
    """n distinct random points: A_i + B_j over two sets of random points."""
    rng = np.random.default_rng(seed)
    side = min(n, 1024)
    a = cls.from_ints([gen] * side).mul([int(x) for x in rng.integers(1, 2**62, side)])
    if n <= side:
        return a
    b = cls.from_ints([gen] * side).mul([int(x) << 64 for x in rng.integers(1, 2**62, side)])
    rows = []
    for j in range(n // side):
        bj = cls._wrap(np.ascontiguousarray(np.broadcast_to(b._limbs[j], a._limbs.shape)))
        rows.append((a + bj)._limbs)
    return cls._wrap(np.ascontiguousarray(np.vstack(rows)))


def best(reps: int, fn: Callable[..., object], *args: object) -> float:
    """Seconds of the fastest of ``reps`` calls ``fn(*args)``."""
    out = []
    for _ in range(reps):
        t = time.perf_counter()
        fn(*args)
        out.append(time.perf_counter() - t)
    return min(out)


def run_group(mcl: Mcl, g2: bool, log_sizes: tuple[int, ...]) -> None:
    cls, gen, msm = (G2Array, G2_GENERATOR, g2_msm) if g2 else (G1Array, G1_GENERATOR, g1_msm)
    name = "G2" if g2 else "G1"
    cores = os.cpu_count() or 1
    for lg in log_sizes:
        n = 1 << lg
        reps = 1 if lg >= 18 else REPEATS
        pts = distinct_points(cls, gen, n, lg)
        sc = FrArray.random(n, lg)
        ks = sc.to_ints()
        ours = msm(pts, sc, threads=1)
        t1 = best(reps, msm, pts, sc, 1)
        tn = best(reps, msm, pts, sc, None)
        us = 1e6 / n
        line = (
            f"{name} 2^{lg:<2} window {msm_window(n, 2 if g2 else 1):2} / {msm_window(n, 2 if g2 else 1, None):2}  "
            f"pouw 1 thread {t1 * us:6.2f} µs/pt  "
            f"pouw {cores} threads {tn * us:6.2f} µs/pt"
        )
        if lg <= MCL_MAX_LOG:
            m_pts, m_ks = mcl.points(pts.to_ints(), g2), mcl.scalars(ks)
            if lg == log_sizes[0]:
                assert mcl.to_tuple(mcl.mul_vec(m_pts, m_ks, g2), g2) == ours, "MCL disagrees"
            tm = best(reps, mcl.mul_vec, m_pts, m_ks, g2)
            line += (
                f"  MCL mulVec {tm * us:6.2f} µs/pt  "
                f"MCL/pouw: 1 thread {tm / t1:4.2f}x, {cores} threads {tm / tn:4.2f}x"
            )
        print(line, flush=True)


def run_context(log_n: int) -> None:
    n = 1 << log_n
    pts = distinct_points(G1Array, G1_GENERATOR, n, 99)
    sc = FrArray.random(n, 98)
    t = time.perf_counter()
    ctx = G1MSMContext(pts)
    build = time.perf_counter() - t
    assert ctx.msm(sc) == g1_msm(pts, sc)
    for threads in (1, None):
        plain = best(REPEATS, g1_msm, pts, sc, threads)
        fixed = best(REPEATS, ctx.msm, sc, threads)
        print(
            f"G1 2^{log_n} fixed-base context (window {ctx.window}, table {ctx.table_bytes >> 20} MiB, "
            f"built in {build:.2f} s) threads={threads}: {fixed * 1e6 / n:.2f} µs/pt vs plain "
            f"{plain * 1e6 / n:.2f} µs/pt ({plain / fixed:.2f}x)"
        )


def main() -> None:
    quick = "--quick" in sys.argv
    print(f"# {COMMAND}{' --quick' if quick else ''}")
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"field backend {_f.backend()}, bucket mode affine, windows {_m.MAX_WINDOW} max"
    )
    mcl = Mcl()
    run_group(mcl, False, tuple(s for s in G1_SIZES if not (quick and s >= 18)))
    run_group(mcl, True, G2_SIZES)
    run_context(16)


if __name__ == "__main__":
    main()
