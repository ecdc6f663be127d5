"""The mock prover's checker per transfer: native (each fold kernel) against the Python oracle.

    PYTHONPATH=src python -m pytest benchmarks/bench_constraints.py --benchmark-only \
        --benchmark-columns=mean,ops -q

Traces are the executor's, at depth DEPTH: N_SINGLE one-transfer traces (kind 1,
~6 steps: what a local worker checks per job; the oracle runs the same ones) and
one batch of N_BATCH transfers (kind 2). ``extra_info["per_transfer_us"]`` is the figure to compare with the
executor's cost per transfer (benchmarks/bench_vm.py). The kernels are forced
with ``pouw._native.merkle._set_simd_level``; those the host cannot run are skipped.
"""

from __future__ import annotations

import pytest

from pouw._native import merkle as native_merkle
from pouw._reference.constraints import check_trace as reference_check
from pouw.node import AccountState, Executor, generate_intents
from pouw.prover.check import check_trace
from pouw.trace import ExecutionTrace

DEPTH = 20
N_SINGLE = 200  # one-transfer traces per round (native and oracle alike)
N_BATCH = 1000  # transfers in the batch trace
SEED = 1
LEVELS = ("scalar", "avx2", "avx512")


@pytest.fixture(scope="module")
def traces() -> list[ExecutionTrace]:
    state = AccountState.genesis(depth=DEPTH)
    ex = Executor(coinbase=0)
    return [ex.execute_intent_with_trace(t, state)[1] for t in generate_intents(N_BATCH, seed=SEED)]


@pytest.fixture(scope="module")
def singles(traces) -> list[bytes]:
    return [t.to_bytes() for t in traces[:N_SINGLE]]


@pytest.fixture(scope="module")
def batch(traces) -> bytes:
    return ExecutionTrace.concat(traces).to_bytes()


@pytest.fixture(params=LEVELS)
def level(request):
    if request.param not in native_merkle.simd_levels():
        pytest.skip(f"this host cannot run the {request.param} kernel")
    before = native_merkle.simd_level()
    native_merkle._set_simd_level(request.param)
    yield request.param
    native_merkle._set_simd_level(before)


@pytest.mark.benchmark(group="check-one-transfer")
def test_native_single(benchmark, singles, level):
    def run():
        for data in singles:
            check_trace(data)

    benchmark(run)
    assert all(check_trace(d)[0] for d in singles)
    benchmark.extra_info["per_transfer_us"] = benchmark.stats.stats.mean / len(singles) * 1e6


@pytest.mark.benchmark(group="check-one-transfer")
def test_reference_single(benchmark, singles):
    def run():
        for data in singles:
            reference_check(data)

    benchmark.pedantic(run, rounds=5)
    benchmark.extra_info["per_transfer_us"] = benchmark.stats.stats.mean / len(singles) * 1e6


@pytest.mark.benchmark(group="check-batch")
def test_native_batch(benchmark, batch, level):
    assert check_trace(batch)[0]
    benchmark(check_trace, batch)
    benchmark.extra_info["per_transfer_us"] = benchmark.stats.stats.mean / N_BATCH * 1e6
