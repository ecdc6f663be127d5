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
    fig, axes = plt.subplots(1, 3, figsize=(18, 5), gridspec_kw={"width_ratios": [1.1, 1, 1]})
    rows = [r for r in results["ring"]["rows"] if r["target"] is not None]
    labels = [f"{r['case'].split(',')[0]}\nvs {r['baseline']}" for r in rows]
    axes[0].barh(labels, [r["ratio"] for r in rows], color="#3b7dd8", label="measured")
    axes[0].scatter(
        [r["target"] for r in rows], labels, marker="|", s=400, color="k", label="target", zorder=3
    )
    axes[0].set_xscale("log")
    axes[0].set_xlabel("RingBuffer throughput / baseline (log scale)")
    axes[0].set_title("RingBuffer vs Python queues, same run")
    axes[0].legend(loc="lower right")

    modes = results["node"]["modes"]
    names = list(modes)
    axes[1].barh(names, [modes[k]["ratio_to_execution"] for k in names], color="#e07b39")
    targets = {"remote (enqueue only)": 0.9, "local, 1 worker": 0.75, "local, 2 workers": 0.75}
    axes[1].scatter(
        [targets[k] for k in names if k in targets],
        [k for k in names if k in targets],
        marker="|",
        s=400,
        color="k",
        label="target",
        zorder=3,
    )
    axes[1].set_xlim(0, 1.05)
    axes[1].set_xlabel("throughput / execution alone (1.0 = no overhead)")
    base = modes["execution alone"]["intents_per_s"]
    axes[1].set_title(
        f"node, {results['node']['intents']} transfers (execution alone {base:,.0f}/s)"
    )
    axes[1].legend(loc="lower right")

    stages = results["node"]["remote_breakdown_us"]
    left = 0.0
    colors = ["#4c956c", "#2c6e49", "#d68c45", "#a44a3f", "#6d597a", "#999999"]
    for (name, us), color in zip(stages.items(), colors, strict=False):
        axes[2].barh([0], [us], left=left, color=color, height=0.5, label=f"{name}: {us:.1f} us")
        left += us
    axes[2].set_yticks([])
    axes[2].set_xlabel("microseconds per intent")
    axes[2].set_title("where remote mode's time goes")
    axes[2].legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize=8)
    for ax in axes[:2]:
        ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    print(f"plot: {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer intents and repeats")
    ap.add_argument("--plot-only", action="store_true", help="redraw from results.json")
    args = ap.parse_args()
    if args.plot_only:
        plot(json.loads((RESULTS / "results.json").read_text()), RESULTS / "summary.png")
        return
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
