"""BN254 Fr NTT throughput: seconds per transform against an FFT-size estimate.

Run from a source checkout after ``make compile`` (or an installed package)::

    PYTHONPATH=src python benchmarks/ntt_throughput.py [--large]

For each multiply backend (the portable path and the fastest this CPU runs),
each size (2^16 and 2^20; 2^22 with ``--large``) and threads = 1 and all cores,
the best of REPEATS forward transforms (natural order in and out, in place,
twiddles cached).  The estimate is the multiply count of a radix-2 FFT,
n/2 * log2(n) butterflies with one multiply each, at the batch Fr multiply
rate measured here in the same run (pouw._native.field.mul on 2^12 elements in
cache), divided by the thread count: "achieved / estimate" is how many times
that bound the transform takes (additions, the bit reversal and memory traffic
make up the rest).  Target: 2^20 in <= 0.25 s on all cores.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # numpy's BLAS threads must not spin

import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from pouw._native import field as fk  # noqa: E402
from pouw._native import ntt as k  # noqa: E402
from pouw.zk.field import FrArray  # noqa: E402

REPEATS = 5
TARGET_S = 0.25
MUL_N = 1 << 12
COMMAND = "PYTHONPATH=src python benchmarks/ntt_throughput.py"


def best(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def mul_rate() -> float:
    """Batch Fr multiplies per second on the current backend (one core)."""
    a, b = FrArray.random(MUL_N, rng=1).montgomery, FrArray.random(MUL_N, rng=2).montgomery
    out = np.empty_like(a)
    reps = 50
    t = best(lambda: [fk.mul(fk.FR, out, a, b) for _ in range(reps)])
    return MUL_N * reps / t


def main() -> int:
    logs = [16, 20] + ([22] if "--large" in sys.argv else [])
    cores = os.cpu_count() or 1
    backends = sorted({"portable", fk.backend()}, key=fk.backends().index)
    before = fk.backend()
    print(f"BN254 Fr NTT (forward, in place), {cores} cores; reproduce: {COMMAND}")
    print(f"{'backend':9} {'size':>5} {'threads':>7} {'seconds':>9} {'estimate':>9} {'ratio':>7}")
    results = {}
    try:
        for name in backends:
            fk._set_backend(name)
            rate = mul_rate()
            print(f"{name}: batch Fr multiply {rate / 1e6:.1f} M/s per core")
            for log in logs:
                n = 1 << log
                a = FrArray.random(n, rng=log).montgomery.copy()
                k.twiddles(log)
                for threads in sorted({1, cores}):
                    secs = best(lambda a=a, threads=threads: k.forward(a, None, threads))
                    est = n // 2 * log / rate / threads
                    results[(name, log, threads)] = secs
                    print(
                        f"{name:9} 2^{log:<3} {threads:>7} {secs:9.4f} {est:9.4f} "
                        f"{secs / est:6.2f}x"
                    )
    finally:
        fk._set_backend(before)
    key = (before, 20, cores)
    ok = results[key] <= TARGET_S
    print(
        f"\ntarget 2^20 <= {TARGET_S} s on {cores} cores ({before}): "
        f"{results[key]:.4f} s {'ok' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
