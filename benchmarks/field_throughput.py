"""BN254 Fr multiply throughput: every native path against gmpy2, Python ints and py_ecc, as ratios.

Run from a source checkout after ``make compile`` (or an installed package)::

    PYTHONPATH=src python benchmarks/field_throughput.py

One core (the kernels are single-threaded per call).  Each row is the best of
REPEATS runs, interleaved so a busy machine slows them alike.  The native rows
multiply N elements in one call (Montgomery form, in cache); the peers multiply
N pairs one call at a time, as Python code would.  gmpy2 is optional (it is in
the ``bench`` extra); its rows are skipped, and the target ratio against it
not checked, when it is not installed.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable

import numpy as np
from py_ecc.fields.field_elements import FQ as PyEccFQ
from py_ecc.fields.optimized_field_elements import FQ as PyEccOptFQ

from pouw._native import field as k
from pouw.zk.field import FrArray, R

try:
    import gmpy2
except ImportError:  # pragma: no cover - optional
    gmpy2 = None

N = 1 << 14  # elements per native batch (3 arrays of 512 KiB: in L2)
PEER_N = 1 << 14  # multiplies per peer run
INV_N = 1 << 14  # elements per batch inverse
REPEATS = 7
TARGET_MS = 80.0  # batch Fr multiplies, millions per second per core
TARGET_VS_GMPY2 = 20.0

COMMAND = "PYTHONPATH=src python benchmarks/field_throughput.py"


class PyEccFr(PyEccFQ):
    field_modulus = R


class PyEccOptFr(PyEccOptFQ):
    field_modulus = R


def best_seconds(runs: list[Callable[[], object]], repeats: int = REPEATS) -> list[float]:
    best = [float("inf")] * len(runs)
    for _ in range(repeats):
        for i, run in enumerate(runs):
            t0 = time.perf_counter()
            run()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def measure() -> dict[str, float]:
    """Millions of Fr multiplies per second for every path and peer (plus inversion costs in us)."""
    a, b = FrArray.random(N, rng=1), FrArray.random(N, rng=2)
    am, bm = a.montgomery, b.montgomery
    out = np.empty_like(am)
    xs, ys = a.to_ints()[:PEER_N], b.to_ints()[:PEER_N]
    before = k.backend()

    def native(name: str) -> Callable[[], object]:
        def run() -> None:
            k._set_backend(name)
            k.mul(k.FR, out, am, bm)

        return run

    runs: dict[str, tuple[Callable[[], object], int]] = {
        f"native {name}": (native(name), N) for name in k.backends()
    }
    k._set_backend(before)
    runs["FrArray a * b (new array)"] = (lambda: a * b, N)
    runs["python int (a*b) % r"] = (
        lambda: [x * y % R for x, y in zip(xs, ys, strict=True)],
        PEER_N,
    )
    if gmpy2 is not None:
        gx, gy, gr = [gmpy2.mpz(x) for x in xs], [gmpy2.mpz(y) for y in ys], gmpy2.mpz(R)
        runs["gmpy2 (a*b) % r"] = (
            lambda: [x * y % gr for x, y in zip(gx, gy, strict=True)],
            PEER_N,
        )
    px, py = [PyEccFr(x) for x in xs], [PyEccFr(y) for y in ys]
    runs["py_ecc FQ a * b"] = (lambda: [x * y for x, y in zip(px, py, strict=True)], PEER_N)
    ox, oy = [PyEccOptFr(x) for x in xs], [PyEccOptFr(y) for y in ys]
    runs["py_ecc optimized FQ a * b"] = (
        lambda: [x * y for x, y in zip(ox, oy, strict=True)],
        PEER_N,
    )

    names = list(runs)
    secs = best_seconds([runs[n][0] for n in names])
    k._set_backend(before)
    rates = {n: runs[n][1] / s / 1e6 for n, s in zip(names, secs, strict=True)}

    inv_a, one = FrArray.random(INV_N, rng=3), FrArray.random(1, rng=4)
    t_batch, t_one = best_seconds([inv_a.inv, one.inv])
    rates["inv batch us/element"] = t_batch / INV_N * 1e6
    rates["inv single us"] = t_one * 1e6
    return rates


def main() -> int:
    print(f"# {COMMAND}")
    print(
        f"# {platform.processor() or platform.machine()}, Python {sys.version.split()[0]}, "
        f"numpy {np.__version__}, default backend {k.backend()}, gmpy2 "
        f"{'present' if gmpy2 else 'absent (pip install gmpy2 for its row)'}"
    )
    rates = measure()
    fast = rates[f"native {k.backend()}"]
    print(f"\nFr multiply, one core (N = {N} per native batch, {PEER_N} per peer run)")
    print(f"{'path':34} {'M mul/s':>10} {'ns/mul':>8} {'fast path / this':>17}")
    for name, rate in rates.items():
        if name.startswith("inv"):
            continue
        print(f"{name:34} {rate:10.2f} {1e3 / rate:8.2f} {fast / rate:16.1f}x")
    print(
        f"\nbatch inverse: {rates['inv batch us/element'] * 1e3:.1f} ns per element "
        f"(n = {INV_N}); one inversion (n = 1, Fermat): {rates['inv single us']:.2f} us"
    )
    ok = fast >= TARGET_MS
    print(f"\ntarget >= {TARGET_MS:.0f} M/s: {fast:.1f} {'ok' if ok else 'MISSED'}")
    if "gmpy2 (a*b) % r" in rates:
        ratio = fast / rates["gmpy2 (a*b) % r"]
        ok = ok and ratio >= TARGET_VS_GMPY2
        print(f"target >= {TARGET_VS_GMPY2:.0f}x gmpy2: {ratio:.1f}x")
    else:
        print(f"target >= {TARGET_VS_GMPY2:.0f}x gmpy2: not checked (gmpy2 absent)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
