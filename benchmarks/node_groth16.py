"""The node proving its own traces with Groth16: intents per second, local mode, 2 cores.

    PYTHONPATH=src python benchmarks/node_groth16.py [--depth 20] [--intents 24]
        [--keys DIR] [--full-n 4 16] [--json out.json] [--plot out.png]

For each setting, a fresh local-mode node (in-memory store) on the Poseidon
state of ``--depth`` takes ``--intents`` generated transfers, executes them,
makes their jobs and waits until every job is proven; the figure is intents
per second over the whole run (execution, jobs, witnesses, proofs). The
settings, all in the same run:

* Macro with the workers setting the node could default to: ``workers = 0``
  (proven inside the pipeline's thread, both cores per proof), one worker with
  two threads per proof, two workers with one thread each;
* Full with ``--full-n`` intents per job (one worker, two threads);
* the mock prover, same intents (the job layer's own cost, for scale).

Keys are development keys from ``pouw keys setup`` kept in ``--keys`` (made on
the first run: minutes at depth 20 for a large Full circuit).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from pouw.node import NodeConfig, NodeContext, generate_intents
from pouw.prover.circuits.tiers import circuit_for
from pouw.prover.keys import key_path, setup_keys


def run(settings: dict, depth: int, n: int, keys: Path) -> float:
    d = {
        "pouw_mode": "local",
        "zk_mode": settings.get("zk", "groth16"),
        "pouw": {"tier": settings["tier"], "batch_size": settings.get("n", 4)},
        "prover": {"keys": str(keys), "threads": settings.get("threads", 0)},
        "state": {"hash": "poseidon", "depth": depth, "accounts": 1000},
        "workers": {"count": settings["workers"]},
    }
    config = NodeConfig.from_dict(d)
    if config.zk_mode.value == "groth16":
        circuit = circuit_for(config.tier, depth, config.batch_size)
        if not key_path(keys, circuit).exists():
            print(f"  (setting up the {circuit.tier.value} key, once)", file=sys.stderr)
            setup_keys(keys, circuit)
        _ = circuit.compiled  # the circuit is built once per process: not the node's time
    ctx = NodeContext.from_config(config)
    try:
        ctx.submit_intents(generate_intents(n, seed=11, n_accounts=1000))
        t0 = time.perf_counter()
        ctx.process_all()
        ctx.wait_for_local_jobs()
        elapsed = time.perf_counter() - t0
        assert ctx.ledger.proven_count() == n, "every entry proven"
    finally:
        ctx.close()
    return n / elapsed


def plot(out: dict[str, float], depth: int, path: Path) -> None:
    """Bars of intents per second per setting, with the issue's target."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [k for k in out if not k.startswith("mock")]
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.barh(names[::-1], [out[k] for k in names[::-1]], color="#4a7ab0")
    ax.axvline(3.0, color="#c44", ls="--", lw=1, label="target: 3 Macro intents/s")
    ax.set_xlabel(f"intents proven per second (Groth16, depth {depth}, 2 cores)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--depth", type=int, default=20)
    ap.add_argument("--intents", type=int, default=24)
    ap.add_argument("--full-n", type=int, nargs="*", default=[4, 16])
    ap.add_argument("--keys", type=Path, default=Path(os.environ.get("POUW_KEYS", "bench-keys")))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--plot", type=Path)
    args = ap.parse_args()
    cases = {
        "macro, workers = 0 (inline, 2 threads)": {"tier": "macro", "workers": 0},
        "macro, 1 worker x 2 threads": {"tier": "macro", "workers": 1, "threads": 2},
        "macro, 2 workers x 1 thread": {"tier": "macro", "workers": 2, "threads": 1},
    }
    for n in args.full_n:
        cases[f"full n={n}, 1 worker x 2 threads"] = {
            "tier": "full",
            "n": n,
            "workers": 1,
            "threads": 2,
        }
    cases["mock prover (the job layer alone)"] = {"tier": "macro", "workers": 0, "zk": "mock"}
    out: dict[str, float] = {}
    for name, settings in cases.items():
        n = args.intents if settings["tier"] == "macro" else max(args.intents, settings.get("n", 1))
        rate = run(settings, args.depth, n, args.keys)
        out[name] = rate
        print(f"{name:45s} {rate:8.2f} intents/s", flush=True)
    base = out["macro, 1 worker x 2 threads"]
    print("ratios to macro, 1 worker x 2 threads:")
    for name, rate in out.items():
        print(f"  {name:45s} {rate / base:6.2f}x")
    result = {"depth": args.depth, "intents": args.intents, "intents_per_s": out}
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    if args.plot:
        plot(out, args.depth, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
