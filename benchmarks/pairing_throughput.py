"""One pairing and a 4-pair pairing_check: pouw vs MCL (mclbn256 1.3.5, through its
C library with mclBn_init(4) = MCL_BN_SNARK1 = alt_bn128) vs py_ecc, in one run.

    PYTHONPATH=src python benchmarks/pairing_throughput.py [--no-py-ecc]
"""

from __future__ import annotations

import ctypes
import sys
import time

from mcl_peer import Mcl
from pouw._native import field as _f
from pouw.zk.curve import G1_GENERATOR, G2_GENERATOR, G1Array, G2Array, g1_mul, g2_mul
from pouw.zk.pairing import G2Prepared, pairing, pairing_check


def best(fn, reps: int = 200, rounds: int = 5) -> float:
    """Seconds per call: the best mean over rounds."""
    fn()
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        out.append((time.perf_counter() - t) / reps)
    return min(out)


def groth16_pairs() -> list:
    a, b, c, d = 11, 22, 33, 44
    return [
        (g1_mul(G1_GENERATOR, a), g2_mul(G2_GENERATOR, b)),
        (g1_mul(G1_GENERATOR, -(a * b - c * d - 5)), G2_GENERATOR),
        (g1_mul(G1_GENERATOR, -c), g2_mul(G2_GENERATOR, d)),
        (g1_mul(G1_GENERATOR, -5), G2_GENERATOR),
    ]


def main() -> None:
    run_py_ecc = "--no-py-ecc" not in sys.argv
    pairs = groth16_pairs()
    p1, q1 = pairs[0]
    g1a, g2a = G1Array.from_ints([p1]), G2Array.from_ints([q1])
    prepared = [(G1Array.from_ints([p]), G2Prepared(q)) for p, q in pairs]
    trusted = [(G1Array.from_ints([p]), G2Array.from_ints([q])) for p, q in pairs]
    assert pairing_check(pairs) and pairing_check(prepared)

    rows = {}
    rows["pouw pairing (tuples, validated)"] = best(lambda: pairing(p1, q1))
    rows["pouw pairing (arrays)"] = best(lambda: pairing(g1a, g2a))
    pq = G2Prepared(q1)
    rows["pouw pairing (prepared G2)"] = best(lambda: pairing(g1a, pq))
    rows["pouw check4 (tuples, validated)"] = best(lambda: pairing_check(pairs), 50)
    rows["pouw check4 (arrays)"] = best(lambda: pairing_check(trusted), 100)
    rows["pouw check4 (prepared G2)"] = best(lambda: pairing_check(prepared), 100)

    mcl = Mcl()
    lib = mcl.lib
    a, b = mcl.g1(p1), mcl.g2(q1)
    gt = mcl.GT()
    rows["mcl pairing"] = best(
        lambda: lib.mclBn_pairing(ctypes.byref(gt), ctypes.byref(a), ctypes.byref(b))
    )
    g1v = (mcl.G1 * 4)(*[mcl.g1(p) for p, _ in pairs])
    g2v = (mcl.G2 * 4)(*[mcl.g2(q) for _, q in pairs])

    def mcl_check() -> bool:
        lib.mclBn_millerLoopVec(ctypes.byref(gt), g1v, g2v, 4)
        lib.mclBn_finalExp(ctypes.byref(gt), ctypes.byref(gt))
        return bool(lib.mclBnGT_isOne(ctypes.byref(gt)))

    assert mcl_check()
    rows["mcl check4 (millerLoopVec + finalExp)"] = best(mcl_check, 100)

    if run_py_ecc:
        from py_ecc import optimized_bn128 as o

        t = time.perf_counter()
        o.pairing(o.G2, o.G1)
        rows["py_ecc pairing (1 run)"] = time.perf_counter() - t

    print(f"backend: {_f.backend()}")
    for name, sec in rows.items():
        print(f"{name:40s} {sec * 1e3:9.3f} ms")
    print(
        f"ratio pairing arrays / mcl:   {rows['pouw pairing (arrays)'] / rows['mcl pairing']:.2f}"
    )
    print(
        f"ratio pairing prepared / mcl: {rows['pouw pairing (prepared G2)'] / rows['mcl pairing']:.2f}"
    )
    mc = rows["mcl check4 (millerLoopVec + finalExp)"]
    print(f"ratio check4 arrays / mcl:    {rows['pouw check4 (arrays)'] / mc:.2f}")
    print(f"ratio check4 prepared / mcl:  {rows['pouw check4 (prepared G2)'] / mc:.2f}")
    if run_py_ecc:
        print(
            f"py_ecc / pouw pairing (arrays): {rows['py_ecc pairing (1 run)'] / rows['pouw pairing (arrays)']:.0f}x"
        )


if __name__ == "__main__":
    main()
