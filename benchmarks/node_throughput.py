"""Node throughput per pouw_mode, as ratios to execution alone, measured in one run.

    PYTHONPATH=src python benchmarks/node_throughput.py [--intents 5000] [--repeats 3] [--json out.json]

Baseline: executing the same intents with traces on a fresh genesis state
(``Executor.execute_intent_with_trace`` in a loop), which every mode must do.
Each mode runs the whole pipeline on the same intents; local mode includes
waiting for its workers to finish every proof. The best of ``--repeats`` runs
is kept for each (the least disturbed by the machine). Also reported: the job
layer's own cost per job (``ProofJob.new_for_trace`` + ``JobQueue.enqueue``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from pouw import JobQueue, JobTier, ProofJob
from pouw.node import AccountState, Executor, NodeConfig, NodeContext, generate_intents

ACCOUNTS = 1000
BALANCE = 10**12


def intents_for(n: int, seed: int = 0) -> list:
    return list(generate_intents(n, seed=seed, n_accounts=ACCOUNTS))


def time_execution(intents: list) -> float:
    state = AccountState.genesis(ACCOUNTS, BALANCE)
    ex = Executor()
    t0 = time.perf_counter()
    for intent in intents:
        ex.execute_intent_with_trace(intent, state)
    return time.perf_counter() - t0


def time_mode(intents: list, mode: str, workers: int = 0) -> float:
    config = NodeConfig.from_dict(
        {
            "pouw_mode": mode,
            "workers": {"count": workers},
            "state": {"accounts": ACCOUNTS, "balance": BALANCE},
            "queue": {"capacity": len(intents) + 1, "retention": len(intents) + 1},
        }
    )
    with NodeContext.from_config(config) as ctx:
        ctx.submit_intents(intents)
        t0 = time.perf_counter()
        ctx.process_all()
        ctx.wait_for_local_jobs()
        elapsed = time.perf_counter() - t0
        stats = ctx.job_queue.stats()
        if mode == "local":
            assert stats.completed_count == len(intents), stats
    return elapsed


def breakdown_us(intents: list, repeats: int) -> dict[str, float]:
    """Where a remote-mode intent's time goes, in us: each stage added in turn."""
    from pouw.node.ledger import Ledger

    def run(stage: int) -> float:
        state = AccountState.genesis(ACCOUNTS, BALANCE)
        ex, q, ledger = Executor(), JobQueue(len(intents) + 1), Ledger()
        t0 = time.perf_counter()
        for intent in intents:
            result, trace = ex.execute_intent_with_trace(intent, state)
            if stage >= 1:
                trace.trace_hash  # noqa: B018 - BLAKE3 of the trace (cached on the trace)
            if stage >= 2:
                job = ProofJob.new_for_trace(trace, JobTier.MACRO, 1, 600_000)
            if stage >= 3:
                ledger.append(result, [job.job_id])
            if stage >= 4:
                q.enqueue(job)
        return (time.perf_counter() - t0) / len(intents) * 1e6

    cumulative = [min(run(stage) for _ in range(repeats)) for stage in range(5)]
    names = ["execute (VM + trace)", "trace hash (blake3)", "ProofJob", "ledger entry", "enqueue"]
    out = {names[0]: cumulative[0]}
    for i in range(1, 5):
        out[names[i]] = max(cumulative[i] - cumulative[i - 1], 0.0)
    return out


def job_layer_cost_us(intents: list) -> float:
    state = AccountState.genesis(ACCOUNTS, BALANCE)
    ex = Executor()
    traces = [ex.execute_intent_with_trace(i, state)[1] for i in intents]
    q = JobQueue(len(traces) + 1)
    t0 = time.perf_counter()
    for tr in traces:
        q.enqueue(ProofJob.new_for_trace(tr, JobTier.MACRO, 100, 600_000))
    return (time.perf_counter() - t0) / len(traces) * 1e6


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--intents", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args(argv)
    intents = intents_for(args.intents)
    n = len(intents)

    runs = {
        "execution alone": lambda: time_execution(intents),
        "disabled (inline mock proving)": lambda: time_mode(intents, "disabled"),
        "local, 0 workers (synchronous)": lambda: time_mode(intents, "local", 0),
        "local, 1 worker": lambda: time_mode(intents, "local", 1),
        "local, 2 workers": lambda: time_mode(intents, "local", 2),
        "remote (enqueue only)": lambda: time_mode(intents, "remote"),
    }
    best = {name: min(fn() for _ in range(args.repeats)) for name, fn in runs.items()}
    base = best["execution alone"]
    rows = {
        name: {"seconds": s, "intents_per_s": n / s, "ratio_to_execution": base / s}
        for name, s in best.items()
    }
    job_us = min(job_layer_cost_us(intents[:2000]) for _ in range(args.repeats))
    stages = breakdown_us(intents, args.repeats)
    stages["pipeline overhead"] = max(
        1e6 * best["remote (enqueue only)"] / n - sum(stages.values()), 0.0
    )
    out = {
        "intents": n,
        "modes": rows,
        "job_layer_us_per_job": job_us,
        "remote_breakdown_us": stages,
    }

    print(f"{n} transfers, best of {args.repeats}; ratio = throughput / execution alone")
    print(f"{'mode':34} {'intents/s':>12} {'ratio':>7}")
    for name, r in rows.items():
        print(f"{name:34} {r['intents_per_s']:12,.0f} {r['ratio_to_execution']:7.3f}")
    print(f"job layer (new_for_trace + enqueue): {job_us:.2f} us per job")
    print(
        "where a remote-mode intent's time goes (us): "
        + ", ".join(f"{k} {v:.2f}" for k, v in stages.items())
    )
    print(
        f"reproduce: PYTHONPATH=src {sys.executable} benchmarks/node_throughput.py "
        f"--intents {n} --repeats {args.repeats}"
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)
    return out


if __name__ == "__main__":
    main()
