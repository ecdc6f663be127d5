"""The ``pouw`` command line.

``pouw node CONFIG [--intents N] [--seed S] [--workers W] [--json]`` runs a
node on generated intents as a batch: process them, wait for local provers,
report, exit. User mistakes (a bad config, a missing file) are reported on
stderr with exit status 2 and no traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from . import __version__
from .errors import PouwError
from .status import PoUwMode

__all__ = ["main"]

EXIT_USER_ERROR = 2


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pouw",
        description="Proof-of-useful-work job layer: execute intents, turn traces into "
        "proof jobs, and prove them inline, locally or remotely.",
    )
    parser.add_argument("--version", action="version", version=f"pouw {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    node = sub.add_parser(
        "node",
        help="run a node on generated intents and report",
        description="Run the node on N generated intents as a batch run: process them, "
        "wait for local workers, print a summary and exit.",
    )
    node.add_argument("config", metavar="CONFIG", help="node config (TOML)")
    node.add_argument(
        "--intents",
        type=_non_negative,
        metavar="N",
        help="intents to generate (default: the config's intents.count)",
    )
    node.add_argument(
        "--seed",
        type=_non_negative,
        metavar="S",
        help="seed of the generated intents (default: the config's intents.seed)",
    )
    node.add_argument(
        "--workers",
        type=_non_negative,
        metavar="W",
        help="local prover threads (overrides workers.count)",
    )
    node.add_argument("--json", action="store_true", help="print one JSON object")
    node.set_defaults(func=_cmd_node)
    return parser


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


class _Progress:
    """A one-line progress bar on a terminal; silent elsewhere."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.enabled = total > 0 and stream.isatty()
        self._last = 0.0
        self._t0 = time.perf_counter()

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < self.total and now - self._last < 0.1:
            return
        self._last = now
        width = 30
        filled = width * done // self.total
        rate = done / max(now - self._t0, 1e-9)
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r[{bar}] {done}/{self.total} intents  {rate:,.0f}/s")
        if done >= self.total:
            self.stream.write("\n")
        self.stream.flush()


def _cmd_node(args: argparse.Namespace) -> int:
    from .node import NodeConfig, NodeContext, generate_intents

    config = NodeConfig.from_toml(args.config)
    if args.workers is not None:
        config = dataclasses.replace(config, workers=args.workers)
    n = config.intent_count if args.intents is None else args.intents
    seed = config.intent_seed if args.seed is None else args.seed

    ctx = NodeContext.from_config(config)
    try:
        ctx.submit_intents(
            generate_intents(
                n, seed=seed, n_accounts=config.accounts, balance=config.genesis_balance
            )
        )
        progress = _Progress(n, sys.stderr)
        t0 = time.perf_counter()
        ctx.process_all(progress=progress)
        ctx.wait_for_local_jobs()
        elapsed = time.perf_counter() - t0
    finally:
        ctx.close()
    report = ctx.summary(elapsed)
    if config.pouw_mode is PoUwMode.REMOTE:
        report["note"] = (
            "remote mode: jobs stay pending for external provers "
            "(the HTTP API that serves them is not part of this release)"
        )
    if args.json:
        print(json.dumps(report, sort_keys=False))
    else:
        _print_report(report)
    return 0


def _print_report(r: dict[str, Any]) -> None:
    jobs = r["jobs"]
    lines = [
        f"mode            {r['mode']} (zk_mode {r['zk_mode']}, workers {r['workers']})",
        f"intents         {r['intents']} in {r['elapsed_s']:.3f} s "
        f"({r['intents_per_s']:,.0f} intents/s)",
        f"ledger entries  {r['ledger_entries']} ({r['entries_with_job_ids']} with job ids, "
        f"{r['entries_proven']} proven)",
        "jobs            " + ", ".join(f"{k} {v}" for k, v in jobs.items()),
        f"proofs verified {r['proofs_verified']}",
        f"state root      {r['state_root']}",
    ]
    if "note" in r:
        lines.append(f"note            {r['note']}")
    print("\n".join(lines))


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USER_ERROR
    try:
        return int(args.func(args))
    except (PouwError, OSError) as exc:
        print(f"pouw: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("pouw: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
