"""pytest-benchmark: one BN254 pairing and a 4-pair pairing_check, native against
MCL (C API via ctypes, alt_bn128) and py_ecc (one round).

    PYTHONPATH=src python -m pytest benchmarks/bench_pairing.py --benchmark-only \\
        --benchmark-group-by=group --benchmark-columns=min,median,ops
"""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path

import pytest
from py_ecc import optimized_bn128 as o

from pouw.zk.curve import G1Array, G2Array
from pouw.zk.pairing import G2Prepared, pairing, pairing_check

sys.path.insert(0, str(Path(__file__).parent))
from mcl_peer import Mcl  # noqa: E402
from pairing_throughput import groth16_pairs  # noqa: E402

PAIRS = groth16_pairs()
P1, Q1 = PAIRS[0]
TRUSTED = [(G1Array.from_ints([p]), G2Array.from_ints([q])) for p, q in PAIRS]
PREPARED = [(p, G2Prepared(q)) for p, q in TRUSTED]


@pytest.fixture(scope="module")
def mcl():
    return Mcl()


@pytest.mark.benchmark(group="pairing")
def test_pouw_pairing(benchmark):
    benchmark(pairing, *TRUSTED[0])


@pytest.mark.benchmark(group="pairing")
def test_pouw_pairing_prepared(benchmark):
    benchmark(pairing, *PREPARED[0])


@pytest.mark.benchmark(group="pairing")
def test_mcl_pairing(benchmark, mcl):
    a, b, gt = mcl.g1(P1), mcl.g2(Q1), mcl.GT()
    benchmark(mcl.lib.mclBn_pairing, ctypes.byref(gt), ctypes.byref(a), ctypes.byref(b))


@pytest.mark.benchmark(group="pairing")
def test_py_ecc_pairing(benchmark):
    benchmark.pedantic(o.pairing, args=(o.G2, o.G1), rounds=1, iterations=1)


@pytest.mark.benchmark(group="check4")
def test_pouw_check4(benchmark):
    assert benchmark(pairing_check, TRUSTED) is True


@pytest.mark.benchmark(group="check4")
def test_pouw_check4_prepared(benchmark):
    assert benchmark(pairing_check, PREPARED) is True


@pytest.mark.benchmark(group="check4")
def test_mcl_check4(benchmark, mcl):
    g1v = (mcl.G1 * 4)(*[mcl.g1(p) for p, _ in PAIRS])
    g2v = (mcl.G2 * 4)(*[mcl.g2(q) for _, q in PAIRS])
    gt = mcl.GT()

    def check() -> bool:
        mcl.lib.mclBn_millerLoopVec(ctypes.byref(gt), g1v, g2v, 4)
        mcl.lib.mclBn_finalExp(ctypes.byref(gt), ctypes.byref(gt))
        return bool(mcl.lib.mclBnGT_isOne(ctypes.byref(gt)))

    assert benchmark(check) is True
