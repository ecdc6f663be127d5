"""The executor and the mock prover's checker on both state hashes, side by side.

    PYTHONPATH=src python -m pytest benchmarks/bench_state_hash.py --benchmark-only \
        --benchmark-group-by=group --benchmark-columns=min,median -q

Depth 20, the default 1000-account genesis, one thread. Groups: ``executor``
(one transfer per ``execute_intent_with_trace`` call, the node's path),
``executor-batch`` (one call for N_BATCH transfers), ``check`` (one
single-transfer trace per ``check_trace`` call) and ``check-batch`` (a trace of
N_BATCH transfers). Each benchmark's ``extra_info["per_transfer_us"]`` is the
figure to compare; the Poseidon row over the BLAKE3 row is the price of a state a
circuit can prove. The script ``state_hash_throughput.py`` adds the node's modes.
"""

from __future__ import annotations

import pytest

from pouw.node import AccountState, Executor, generate_intents
from pouw.prover.check import check_trace
from pouw.trace import ExecutionTrace

DEPTH = 20
N_STREAM = 2000
N_BATCH = 200
HASHES = ("blake3", "poseidon")


def per_transfer(benchmark, n: int, stat: str = "min") -> None:
    """Record a round's cost per transfer (nothing when benchmarks are disabled): the best
    round, or the mean where rounds differ by design (a stream's intents)."""
    if benchmark.stats is not None:
        value = getattr(benchmark.stats.stats, stat)
        benchmark.extra_info["per_transfer_us"] = value / n * 1e6


@pytest.fixture(scope="module", params=HASHES)
def hash(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def intents() -> list:
    return list(generate_intents(N_STREAM, seed=1))


@pytest.fixture(scope="module")
def traces(hash, intents) -> list[ExecutionTrace]:
    state, ex = AccountState.genesis(depth=DEPTH, hash=hash), Executor()
    return [ex.execute_intent_with_trace(t, state)[1] for t in intents[:N_BATCH]]


@pytest.mark.benchmark(group="executor")
def test_executor_one_intent_a_call(benchmark, hash, intents):
    state, ex = AccountState.genesis(depth=DEPTH, hash=hash), Executor()
    stream = iter(intents)  # each round runs the next intent of a valid stream

    def run():
        ex.execute_intent_with_trace(next(stream), state)

    benchmark.pedantic(run, rounds=min(N_STREAM, 1500), iterations=1, warmup_rounds=0)
    per_transfer(benchmark, 1, "mean")  # a failing intent writes nothing: min says little


@pytest.mark.benchmark(group="executor-batch")
def test_executor_one_batch(benchmark, hash, intents):
    def setup():
        return (AccountState.genesis(depth=DEPTH, hash=hash), intents[:N_BATCH]), {}

    benchmark.pedantic(
        lambda state, batch: Executor().execute_batch_with_trace(batch, state),
        setup=setup,
        rounds=5,
    )
    per_transfer(benchmark, N_BATCH)


@pytest.mark.benchmark(group="check")
def test_check_one_transfer(benchmark, traces):
    datas = [t.to_bytes() for t in traces]

    def run():
        for data in datas:
            check_trace(data)

    assert all(check_trace(d)[0] for d in datas)
    benchmark.pedantic(run, rounds=5)
    per_transfer(benchmark, len(datas))


@pytest.mark.benchmark(group="check-batch")
def test_check_batch_trace(benchmark, traces):
    data = ExecutionTrace.concat(traces).to_bytes()
    assert check_trace(data)[0]
    benchmark.pedantic(check_trace, args=(data,), rounds=5)
    per_transfer(benchmark, len(traces))
