"""Draw the proving side's recorded figures: BN254 kernels, Groth16, remote mode.

    python benchmarks/plot_proving.py

Reads ``benchmarks/results/proving.json`` (figures copied from the tables of
``benchmarks/README.md``, each with the script and command that measured it)
and writes ``benchmarks/results/proving.png``. Nothing is measured here: the
heavy benchmarks are run by hand on a quiet machine, and this only redraws
what they recorded. A range is drawn at its midpoint with the range as an
error bar. Needs matplotlib (``pip install '.[bench]'``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
BLUE, ORANGE, GREEN, GREY, RED = "#3b7dd8", "#e07b39", "#4c956c", "#888888", "#a44a3f"


def mid_err(rows: list[dict[str, Any]]) -> tuple[list[float], list[list[float]]]:
    """Midpoints of ``[low, high]`` ranges and matplotlib's (below, above) error lengths."""
    mids = [(r["low"] + r["high"]) / 2 for r in rows]
    below = [m - r["low"] for m, r in zip(mids, rows, strict=True)]
    above = [r["high"] - m for m, r in zip(mids, rows, strict=True)]
    return mids, [below, above]


def target_ticks(ax: Any, rows: list[dict[str, Any]], label: str) -> None:
    """Mark each row's target (if it has one) as a black bar across the row."""
    hits = [(r["target"], i) for i, r in enumerate(rows) if "target" in r]
    if hits:
        xs, ys = zip(*hits, strict=True)
        ax.scatter(xs, ys, marker="|", s=500, linewidths=2.5, color="k", label=label, zorder=4)


def speedup_bars(
    ax: Any, section: dict[str, Any], peer: str, color: str, ticks: list[float]
) -> None:
    """Horizontal bars of peer time / pouw time, log scale, with targets and values."""
    rows = section["rows"]
    mids, err = mid_err(rows)
    ys = list(range(len(rows)))
    ax.barh(ys, mids, 0.6, xerr=err, color=color, capsize=3, label="measured (range as error bar)")
    target_ticks(ax, rows, "target (README)")
    for y, m, r in zip(ys, mids, rows, strict=True):
        text = ("≥ " if r.get("lower_bound") else "") + (f"{m:.2f}×" if m < 10 else f"{m:.0f}×")
        ax.text(r["high"] * 1.04, y, text, va="center", fontsize=9)
    ax.set_yticks(ys, [r["label"] for r in rows], fontsize=9)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xticks(ticks, [f"{t:g}×" for t in ticks])
    ax.minorticks_off()
    ax.axvline(1.0, color=GREY, lw=1, ls="--")
    ax.set_xlabel(f"{peer} time ÷ pouw time (log scale; > 1 = pouw faster)")
    ax.legend(loc="lower right", fontsize=8)


def panel_mcl(ax: Any, data: dict[str, Any]) -> None:
    speedup_bars(ax, data["kernels_vs_mcl"], "MCL", BLUE, [0.5, 1, 2, 3, 5])
    ax.set_xlim(0.45, 8)
    ax.set_title("(a) BN254 kernels vs MCL, same run\n(MCL's MSM, mulVec, runs on one core)")


def panel_py_ecc(ax: Any, data: dict[str, Any]) -> None:
    speedup_bars(ax, data["kernels_vs_py_ecc"], "py_ecc", GREEN, [10, 30, 100, 300, 1000])
    ax.set_xlim(10, 30_000)
    ax.set_title("(a) BN254 kernels vs py_ecc (optimized_bn128), same run")


def panel_whole_process(ax: Any, data: dict[str, Any]) -> None:
    section = data["groth16_whole_process"]
    xs = section["constraints"]
    styles = {
        "pouw groth16 prove (warm key cache)": (BLUE, "-", "o"),
        "pouw, cold (first .zkey import)": (BLUE, ":", "o"),
        "rapidsnark prover": (RED, "-", "s"),
        "snarkjs groth16 prove": (ORANGE, "-", "^"),
    }
    for name, rows in section["tools"].items():
        color, ls, marker = styles[name]
        mids, err = mid_err(rows)
        ax.errorbar(xs, mids, yerr=err, color=color, ls=ls, marker=marker, capsize=4, label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(xs, [f"{x:,}" for x in xs])
    ax.minorticks_off()
    seconds = [0.05, 0.1, 0.2, 0.5, 1, 2, 5]
    ax.set_yticks(seconds, [f"{t:g}" for t in seconds])
    ax.set_xlabel("constraints (chain circuit y ← y² + x; log scale)")
    ax.set_ylabel("whole-process prove time, s (log scale)")
    ax.annotate(
        "target: pouw ≤ rapidsnark at 32k\n(met: 0.58–0.65×)",
        xy=(32000, 0.86),
        xytext=(5500, 2.6),
        fontsize=9,
        arrowprops={"arrowstyle": "->", "color": "k"},
    )
    ax.set_title("(b) Groth16 prove, one fresh process per proof\n(same .zkey and .wtns, medians)")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(True, which="major", alpha=0.3)


def panel_in_process(ax: Any, data: dict[str, Any]) -> None:
    section = data["groth16_in_process_vs_groth16py"]
    xs = section["constraints"]
    start = section["targets_from_constraints"]
    for (name, series), color in zip(section["series"].items(), (BLUE, GREEN), strict=True):
        mids, err = mid_err(series["rows"])
        ax.errorbar(xs, mids, yerr=err, color=color, marker="o", capsize=4, label=f"pouw, {name}")
        target = series["target"]
        ax.hlines(target, start, xs[-1], color=color, ls="--", lw=1.5)
        ax.text(xs[-1] * 1.08, target, f"target ≤ {target}×\n({name}, 4k–32k)", va="center")
    ax.axhline(1.0, color=GREY, lw=1.5, label="groth16py (arkworks) = 1")
    ax.set_xscale("log")
    ax.set_xticks(xs, [f"{x:,}" for x in xs])
    ax.minorticks_off()
    ax.set_xlim(700, 150_000)
    ax.set_ylim(0, 1.1)
    ax.set_xlabel("constraints (log scale)")
    ax.set_ylabel("pouw prove time ÷ groth16py prove time\n(< 1 = pouw faster)")
    ax.set_title("(b) Groth16 prove in process vs groth16py\n(key loaded, same files, medians)")
    ax.legend(loc="lower left", fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)


def panel_http(ax: Any, data: dict[str, Any]) -> None:
    section = data["remote_http"]
    workers = section["workers"]
    width = 0.38
    for k, ((name, rows), color) in enumerate(
        zip(section["series"].items(), (BLUE, ORANGE), strict=True)
    ):
        mids, err = mid_err(rows)
        pos = [i + (k - 0.5) * width for i in range(len(workers))]
        ax.bar(pos, mids, width, yerr=err, capsize=4, color=color, label=name)
    ax.set_xticks(range(len(workers)), [f"{w} worker{'s' if w > 1 else ''}" for w in workers])
    ax.set_xlabel("HTTP worker threads (clients and node share the 2 cores)")
    ax.set_ylabel("round trips per second\n(claim-next + mock prove + submit)")
    ax.set_title("(c) remote mode over HTTP (loopback), best of 3\nlower bounds: no target set")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)


def panel_store(ax: Any, data: dict[str, Any]) -> None:
    rows = data["remote_store"]["rows"]
    mids, err = mid_err(rows)
    ys = list(range(len(rows)))
    ax.barh(ys, mids, xerr=err, capsize=4, color=[BLUE, ORANGE, RED])
    base = mids[0]
    for y, m, r in zip(ys, mids, rows, strict=True):
        ratio = "1.00×" if y == 0 else f"{m / base:.3f}×"
        ax.text(r["high"] * 1.15, y, f"{m / 1000:,.3g} k/s ({ratio})", va="center", fontsize=9)
    ax.set_yticks(ys, [r["label"] for r in rows])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlim(1000, 2_000_000)
    ax.set_xlabel("jobs per second, enqueue → claim → complete, one thread (log scale)")
    ax.set_title("(c) job store: SQLite (WAL, synchronous=…) vs memory\nno target set")


def plot(data: dict[str, Any], path: Path) -> None:
    """Draw the six panels (three rows: kernels, Groth16, remote) into ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 2, figsize=(15, 16))
    panel_mcl(axes[0][0], data)
    panel_py_ecc(axes[0][1], data)
    panel_whole_process(axes[1][0], data)
    panel_in_process(axes[1][1], data)
    panel_http(axes[2][0], data)
    panel_store(axes[2][1], data)
    fig.suptitle(
        "pouw proving side, figures of benchmarks/README.md (2-core shared machine, "
        f"{data['date']})",
        fontsize=13,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=100, bbox_inches="tight")
    print(f"plot: {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, default=RESULTS / "proving.json")
    ap.add_argument("--out", type=Path, default=RESULTS / "proving.png")
    args = ap.parse_args()
    plot(json.loads(args.json.read_text()), args.out)


if __name__ == "__main__":
    main()
