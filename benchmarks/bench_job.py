"""ProofJob.new_for_trace against bare blake3 over the same bytes (pytest-benchmark).

    PYTHONPATH=src python -m pytest benchmarks/bench_job.py --benchmark-only

Each round makes jobs from *fresh* trace objects (decoded from bytes, hash not
yet cached), so hashing the trace is inside the measured cost.
"""

from __future__ import annotations

import pytest
from blake3 import blake3

from pouw import JobTier, ProofJob
from pouw.node import AccountState, Executor, generate_intents
from pouw.trace import ExecutionTrace

SMALL_DEPTH = 1  # one transfer at depth 1: 1028 bytes of trace (the 1 KiB case)
LARGE_INTENTS = 240  # a batch at depth 20: ~1 MiB of trace
BATCH = 1000


def small_trace_bytes() -> bytes:
    state = AccountState.genesis(2, 10**9, depth=SMALL_DEPTH)
    intent = next(iter(generate_intents(1, seed=0, n_accounts=2)))
    _, trace = Executor().execute_intent_with_trace(intent, state)
    return trace.to_bytes()


def large_trace_bytes() -> bytes:
    state = AccountState.genesis(1000, 10**9)
    intents = list(generate_intents(LARGE_INTENTS, seed=0, n_accounts=1000))
    _, trace = Executor().execute_batch_with_trace(intents, state)
    return trace.to_bytes()


@pytest.fixture(scope="module")
def small() -> bytes:
    return small_trace_bytes()


@pytest.fixture(scope="module")
def large() -> bytes:
    return large_trace_bytes()


@pytest.mark.benchmark(group="job-1KiB")
def test_new_for_trace_1kib(benchmark, small):
    def setup():
        return ([ExecutionTrace.from_bytes(small) for _ in range(BATCH)],), {}

    def make(traces):
        for t in traces:
            ProofJob.new_for_trace(t, JobTier.MACRO, 100, 60_000)

    benchmark.pedantic(make, setup=setup, rounds=20)
    benchmark.extra_info["per_job_us"] = benchmark.stats.stats.mean / BATCH * 1e6
    benchmark.extra_info["trace_bytes"] = len(small)


@pytest.mark.benchmark(group="job-1KiB")
def test_blake3_1kib_baseline(benchmark, small):
    def run():
        for _ in range(BATCH):
            blake3(small).digest()

    benchmark(run)


@pytest.mark.benchmark(group="job-1MiB")
def test_new_for_trace_1mib(benchmark, large):
    benchmark.pedantic(
        lambda t: ProofJob.new_for_trace(t, JobTier.FULL, 100, 60_000),
        setup=lambda: ((ExecutionTrace.from_bytes(large),), {}),
        rounds=50,
    )
    benchmark.extra_info["trace_bytes"] = len(large)


@pytest.mark.benchmark(group="job-1MiB")
def test_blake3_1mib_baseline(benchmark, large):
    benchmark(lambda: blake3(large).digest())
