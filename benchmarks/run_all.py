"""Run every benchmark script side by side, save the figures and draw the plot.

    PYTHONPATH=src python benchmarks/run_all.py [--quick]

Writes ``benchmarks/results/results.json`` and ``benchmarks/results/summary.png``
(the plot needs matplotlib: ``pip install '.[bench]'``). Every figure is a ratio
to a baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from blake3 import blake3

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import node_throughput  # noqa: E402
import ring_throughput  # noqa: E402
from pouw import JobTier, ProofJob  # noqa: E402
from pouw.trace import ExecutionTrace  # noqa: E402

RESULTS = HERE / "results"


def job_creation(repeats: int) -> dict:
    """new_for_trace on fresh traces vs bare blake3 of the same bytes."""
    import bench_job

    out = {}
    for label, data, count in (
        ("1KiB", bench_job.small_trace_bytes(), 20_000),
        ("1MiB", bench_job.large_trace_bytes(), 40),
    ):
        best_job = best_hash = float("inf")
        for _ in range(repeats):
            traces = [ExecutionTrace.from_bytes(data) for _ in range(count)]
            t0 = time.perf_counter()
            for t in traces:
                ProofJob.new_for_trace(t, JobTier.MACRO, 1, 60_000)
            best_job = min(best_job, (time.perf_counter() - t0) / count)
            t0 = time.perf_counter()
            for _ in range(count):
                blake3(data).digest()
            best_hash = min(best_hash, (time.perf_counter() - t0) / count)
        out[label] = {
            "trace_bytes": len(data),
            "new_for_trace_us": best_job * 1e6,
            "blake3_us": best_hash * 1e6,
            "throughput_ratio_to_blake3": best_hash / best_job,
        }
        print(
            f"new_for_trace {label} ({len(data)} B): {best_job * 1e6:.2f} us/job; "
            f"bare blake3 {best_hash * 1e6:.2f} us; ratio {best_hash / best_job:.2f}"
        )
    return out


def plot(results: dict, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no plot (pip install '.[bench]')")
        return
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    ring = results["ring"]["ratios"]
    names = list(ring)
    axes[0].barh(names, [ring[k] for k in names], color="#3b7dd8")
    axes[0].axvline(1.0, color="k", lw=0.8)
    axes[0].set_xlabel("throughput ratio (higher is better)")
    axes[0].set_title("RingBuffer vs Python queues, same run")
    modes = results["node"]["modes"]
    names = list(modes)
    vals = [modes[k]["ratio_to_execution"] for k in names]
    axes[1].barh(names, vals, color="#e07b39")
    axes[1].axvline(1.0, color="k", lw=0.8)
    axes[1].set_xlabel("throughput / execution alone (1.0 = no overhead)")
    axes[1].set_title(f"node throughput, {results['node']['intents']} transfers")
    for ax in axes:
        ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"plot: {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer intents and repeats")
    args = ap.parse_args()
    repeats = 2 if args.quick else 3
    RESULTS.mkdir(exist_ok=True)
    results = {
        "machine": ring_throughput.machine_info(),
        "ring": ring_throughput.measure(),
        "job": job_creation(repeats),
        "node": node_throughput.main(
            ["--intents", "2000" if args.quick else "5000", "--repeats", str(repeats)]
        ),
    }
    (RESULTS / "results.json").write_text(json.dumps(results, indent=2))
    plot(results, RESULTS / "summary.png")


if __name__ == "__main__":
    main()
