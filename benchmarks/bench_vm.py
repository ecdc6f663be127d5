"""Executor and trace throughput: transfers/s with traces, and trace decode/encode cost.

Run:  PYTHONPATH=src python benchmarks/bench_vm.py
(single-threaded; the genesis is DEFAULT_ACCOUNTS accounts at depth 20).
"""

from __future__ import annotations

import time

from pouw.job import ProofJob
from pouw.node.executor import Executor
from pouw.node.intents import generate_intents
from pouw.node.state import AccountState
from pouw.trace import ExecutionTrace

N_TRANSFERS = 20_000
N_DECODE = 200_000
SEED = 1


def rate(label: str, n: int, seconds: float, unit: str = "transfers/s") -> None:
    print(f"{label:<46} {n / seconds:>12,.0f} {unit}")


def per_call(label: str, fn, n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    us = (time.perf_counter() - t0) / n * 1e6
    print(f"{label:<46} {us:>12.3f} us")
    return us


def main() -> None:
    ex = Executor(coinbase=0)
    for label, method in (
        ("execute_intent_with_trace (the node's path)", ex.execute_intent_with_trace),
        ("execute_intent (no trace object)", ex.execute_intent),
    ):
        state, intents = AccountState.genesis(), list(generate_intents(N_TRANSFERS, seed=SEED))
        t0 = time.perf_counter()
        for t in intents:
            method(t, state)
        rate(label, N_TRANSFERS, time.perf_counter() - t0)
    state, intents = AccountState.genesis(), list(generate_intents(N_TRANSFERS, seed=SEED))
    t0 = time.perf_counter()
    _, batch = ex.execute_batch_with_trace(intents, state)
    rate("execute_batch_with_trace (one kind-2 trace)", N_TRANSFERS, time.perf_counter() - t0)

    state = AccountState.genesis()
    _, trace = ex.execute_intent_with_trace(next(iter(generate_intents(1, seed=SEED))), state)
    data = trace.to_bytes()
    print(f"one transfer's trace: {trace.n_steps} steps, {len(data)} bytes")
    per_call("ExecutionTrace.from_bytes(bytes)", lambda: ExecutionTrace.from_bytes(data), N_DECODE)
    ba = bytearray(data)
    per_call(
        "ExecutionTrace.from_bytes(bytearray) (1 copy)",
        lambda: ExecutionTrace.from_bytes(ba),
        N_DECODE,
    )

    def new_job() -> None:  # a fresh trace each time, so its hash is not cached
        ProofJob.new_for_trace(ExecutionTrace.from_bytes(data), "macro", 1000, 60_000)

    per_call("from_bytes + ProofJob.new_for_trace", new_job, N_DECODE // 4)
    per_call(
        "ProofJob.new_for_trace (hash cached)",
        lambda: ProofJob.new_for_trace(trace, "macro", 1000, 60_000),
        N_DECODE // 4,
    )
    cols = trace.columns()
    hdr = dict(
        depth=trace.depth,
        kind=trace.kind,
        coinbase=trace.coinbase,
        pre_root=trace.pre_root,
        intent_id=trace.intent_id,
    )
    per_call(
        "ExecutionTrace.from_columns (6 steps)",
        lambda: ExecutionTrace.from_columns(**hdr, **cols),
        N_DECODE // 20,
    )


if __name__ == "__main__":
    main()
