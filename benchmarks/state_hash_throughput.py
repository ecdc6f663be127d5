"""The two state hashes side by side: executor, mock-prover checker and node, in one run.

    PYTHONPATH=src python benchmarks/state_hash_throughput.py [--transfers 3000] [--json out.json]
        [--plot benchmarks/results/state_hash.png]

Everything at depth 20 on a 1000-account genesis, one thread (the executor and
the checker run on the calling thread; the node in local mode with
``workers = 0`` proves inline). For each hash:

* executor: transfers/s of ``execute_intent_with_trace`` one intent at a time
  (the node's path) and of ``execute_batch_with_trace`` (one kernel call for
  the whole stream: every tree level one batch of hashes);
* checker: ms per transfer of ``check_traces`` over the single-intent traces
  (one GIL release for all), and of ``check_trace`` on one batch trace;
* node: intents/s per mode and the ratio to execution alone (same intents);
* where the executor's time goes: node and leaf hashes per transfer, and what
  they cost at ``poseidon_batch``'s measured rate.

Ratios (Poseidon / BLAKE3) are the figures to read; absolute numbers move with
the machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from pouw.node import AccountState, Executor, NodeConfig, NodeContext, generate_intents
from pouw.prover.check import check_trace, check_traces
from pouw.trace import ExecutionTrace

ACCOUNTS = 1000
DEPTH = 20
HASHES = ("blake3", "poseidon")


def best(fn, repeats: int) -> float:
    return min(fn() for _ in range(repeats))


def executor_rates(hash: str, intents: list, repeats: int) -> dict:
    def single() -> float:
        state, ex = AccountState.genesis(ACCOUNTS, depth=DEPTH, hash=hash), Executor()
        t0 = time.perf_counter()
        for t in intents:
            ex.execute_intent_with_trace(t, state)
        return time.perf_counter() - t0

    def batch() -> float:
        state, ex = AccountState.genesis(ACCOUNTS, depth=DEPTH, hash=hash), Executor()
        t0 = time.perf_counter()
        ex.execute_batch_with_trace(intents, state)
        return time.perf_counter() - t0

    n = len(intents)
    return {"single_per_s": n / best(single, repeats), "batch_per_s": n / best(batch, repeats)}


def traces_of(hash: str, intents: list) -> list[ExecutionTrace]:
    state, ex = AccountState.genesis(ACCOUNTS, depth=DEPTH, hash=hash), Executor()
    return [ex.execute_intent_with_trace(t, state)[1] for t in intents]


def checker_costs(traces: list[ExecutionTrace], repeats: int) -> dict:
    datas = [t.to_bytes() for t in traces]
    batch = ExecutionTrace.concat(traces[:200]).to_bytes()

    def many() -> float:
        t0 = time.perf_counter()
        out = check_traces(datas)
        dt = time.perf_counter() - t0
        assert all(ok for ok, _, _ in out)
        return dt

    def one_batch() -> float:
        t0 = time.perf_counter()
        assert check_trace(batch)[0]
        return time.perf_counter() - t0

    return {
        "ms_per_transfer": best(many, repeats) / len(datas) * 1e3,
        "batch_ms_per_transfer": best(one_batch, repeats) / min(200, len(traces)) * 1e3,
    }


def node_rates(hash: str, intents: list, repeats: int) -> dict:
    def mode(name: str) -> float:
        config = NodeConfig.from_dict(
            {
                "pouw_mode": name,
                "workers": {"count": 0},
                "state": {"accounts": ACCOUNTS, "depth": DEPTH, "hash": hash},
                "queue": {"capacity": len(intents) + 1, "retention": len(intents) + 1},
            }
        )
        with NodeContext.from_config(config) as ctx:
            ctx.submit_intents(intents)
            t0 = time.perf_counter()
            ctx.process_all()
            ctx.wait_for_local_jobs(600)
            return time.perf_counter() - t0

    n = len(intents)
    return {m: n / best(lambda m=m: mode(m), repeats) for m in ("disabled", "local", "remote")}


def hash_counts(traces: list[ExecutionTrace]) -> dict:
    """Leaf writes per transfer (each is one leaf hash and DEPTH node hashes)."""
    writes = sum(
        int(((t.balance_after != t.balance_before) | (t.nonce_after != t.nonce_before)).sum())
        for t in traces
    )
    n = len(traces)
    return {"leaf_hashes": writes / n, "node_hashes": writes * DEPTH / n}


def poseidon_batch_us() -> float:
    """Measured cost of one Poseidon(2) inside ``poseidon_batch`` (the executor's kernel)."""
    from pouw.zk.field import FrArray
    from pouw.zk.poseidon import poseidon_batch

    a, b = FrArray.random(4096, 1), FrArray.random(4096, 2)
    poseidon_batch([a, b])
    t0 = time.perf_counter()
    for _ in range(5):
        poseidon_batch([a, b])
    return (time.perf_counter() - t0) / (5 * 4096) * 1e6


def plot(out: dict, path: str) -> None:
    """Per-transfer cost of each stage, BLAKE3 beside Poseidon, log scale (needs matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stages = [
        ("executor\none intent a call", lambda r: 1e6 / r["executor"]["single_per_s"]),
        ("executor\none batch call", lambda r: 1e6 / r["executor"]["batch_per_s"]),
        ("checker\nsingle-intent traces", lambda r: 1e3 * r["checker"]["ms_per_transfer"]),
        ("checker\none batch trace", lambda r: 1e3 * r["checker"]["batch_ms_per_transfer"]),
        ("node, local\n(workers 0)", lambda r: 1e6 / r["node"]["local"]),
        ("node, remote\n(job creation)", lambda r: 1e6 / r["node"]["remote"]),
    ]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    x = range(len(stages))
    for k, (h, color) in enumerate((("blake3", "#3b7dd8"), ("poseidon", "#e07b39"))):
        ys = [f(out[h]) for _, f in stages]
        bars = ax.bar([i + (k - 0.5) * 0.38 for i in x], ys, 0.38, label=h, color=color)
        ax.bar_label(bars, labels=[f"{y:,.0f}" if y >= 10 else f"{y:.1f}" for y in ys], fontsize=7)
    ax.set_yscale("log")
    ax.set_xticks(list(x), [s for s, _ in stages], fontsize=8)
    ax.set_ylabel("µs per transfer (log)")
    ax.set_title(
        f"State hash: BLAKE3 vs Poseidon, depth {out['depth']}, {out['transfers']} transfers, one thread",
        fontsize=10,
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--transfers", type=int, default=3000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", metavar="PATH")
    ap.add_argument("--plot", metavar="PNG", help="draw the per-transfer costs (matplotlib)")
    args = ap.parse_args(argv)
    intents = list(generate_intents(args.transfers, seed=1, n_accounts=ACCOUNTS))
    out: dict = {"transfers": len(intents), "depth": DEPTH, "accounts": ACCOUNTS}
    for h in HASHES:
        traces = traces_of(h, intents)
        row = {
            "executor": executor_rates(h, intents, args.repeats),
            "checker": checker_costs(traces, args.repeats),
            "node": node_rates(h, intents, args.repeats),
            "hashes_per_transfer": hash_counts(traces),
        }
        row["node_ratio"] = {m: r / row["executor"]["single_per_s"] for m, r in row["node"].items()}
        out[h] = row
    out["poseidon_batch_us_per_hash"] = poseidon_batch_us()
    b, p = out["blake3"], out["poseidon"]
    print(f"depth {DEPTH}, {ACCOUNTS} accounts, {len(intents)} transfers, one thread")
    print(f"{'':40} {'blake3':>12} {'poseidon':>12} {'p/b':>7}")

    def line(label: str, x: float, y: float, fmt: str = ",.0f") -> None:
        print(f"{label:40} {x:>12{fmt}} {y:>12{fmt}} {y / x:>7.3f}")

    line(
        "executor, one intent a call (/s)",
        b["executor"]["single_per_s"],
        p["executor"]["single_per_s"],
    )
    line(
        "executor, one batch call (/s)", b["executor"]["batch_per_s"], p["executor"]["batch_per_s"]
    )
    line(
        "checker, check_traces (ms/transfer)",
        b["checker"]["ms_per_transfer"],
        p["checker"]["ms_per_transfer"],
        ".4f",
    )
    line(
        "checker, one batch trace (ms/transfer)",
        b["checker"]["batch_ms_per_transfer"],
        p["checker"]["batch_ms_per_transfer"],
        ".4f",
    )
    for m in ("disabled", "local", "remote"):
        line(f"node {m} (/s)", b["node"][m], p["node"][m])
        line(f"node {m} / execution alone", b["node_ratio"][m], p["node_ratio"][m], ".3f")
    hc = p["hashes_per_transfer"]
    us = out["poseidon_batch_us_per_hash"]
    print(
        f"per transfer: {hc['leaf_hashes']:.2f} leaf writes = {hc['node_hashes']:.0f} node hashes; "
        f"at poseidon_batch's {us:.2f} us/hash that is {hc['node_hashes'] * us / 1e3:.3f} ms "
        f"of the executor's {1e3 / p['executor']['single_per_s']:.3f} ms per intent"
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)
    if args.plot:
        plot(out, args.plot)
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
