"""``pouw node CONFIG [--intents N] [--seed S] [--workers W] [--json]``: run a
node on generated intents as a batch (process them, wait for local provers,
report, exit). With ``--listen HOST:PORT`` it serves the HTTP API instead
(``--db PATH`` overrides the config's SQLite file) until SIGINT/SIGTERM.

``pouw serve CONFIG [--listen HOST:PORT]``: an API replica beside the node on
its PostgreSQL store (``NodeContext.from_config(config, replica=True)``).

The node stack is imported when the command runs, not when its parser is
built: ``pouw node --help`` stays light.
"""

from __future__ import annotations

import argparse
import sys
import time

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads the name)

if TYPE_CHECKING:
    from typing import Any, TextIO

__all__ = ["add_parser"]


def add_parser(sub: Any, name: str = "node") -> None:
    """Add the ``node`` command (or ``serve``, by ``name``) to the subparsers ``sub``."""
    if name == "serve":
        _add_serve(sub)
        return
    node = sub.add_parser(
        name,
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
    node.add_argument(
        "--listen",
        nargs="?",
        const="",
        metavar="HOST:PORT",
        help="serve the HTTP API on HOST:PORT until interrupted (port 0: any free port; "
        "no value: the config's server.listen); without --intents no intents are generated",
    )
    node.add_argument(
        "--db", metavar="PATH", help="SQLite file of jobs and ledger (overrides [store] path)"
    )
    node.set_defaults(func=_cmd_node)


def _add_serve(sub: Any) -> None:
    serve = sub.add_parser(
        "serve",
        help="serve the HTTP API for workers beside the node, on its PostgreSQL store",
        description="An API replica: serve claims, heartbeats, submissions (verified here) "
        "and intents (into the shared intake, executed by the node) on the config's "
        "PostgreSQL store ([store] url), without executing anything. Run any number beside "
        "one `pouw node CONFIG --listen`; a worker may talk to any of them.",
    )
    serve.add_argument("config", metavar="CONFIG", help="node config (TOML) with [store] url")
    serve.add_argument(
        "--listen",
        nargs="?",
        const="",
        default="",
        metavar="HOST:PORT",
        help="where to serve (port 0: any free port; default: the config's server.listen)",
    )
    serve.set_defaults(func=_cmd_serve)


def _listener(config: Any, listen: str | None) -> tuple[str, int, Any]:
    """``--listen`` (empty: the config's ``server.listen``) as host and port, and the
    serving function (ConfigError without the server extra)."""
    from ..errors import ConfigError
    from ..node.config import parse_listen

    try:
        host, port = parse_listen(listen or config.listen)
    except ValueError as exc:
        raise ConfigError(f"--listen: {exc}") from None
    try:
        from ..remote.serving import serve
    except ImportError as exc:
        raise ConfigError(
            f"--listen needs the server extra (pip install 'pouw[server]'): {exc}"
        ) from None
    return host, port, serve


def _cmd_serve(args: argparse.Namespace) -> int:
    from ..node import NodeConfig, NodeContext

    config = NodeConfig.from_toml(args.config)
    host, port, serve = _listener(config, args.listen)
    ctx = NodeContext.from_config(config, replica=True)
    try:
        serve(ctx, host, port)
    finally:
        ctx.close()
    return 0


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
    import dataclasses
    import json
    from pathlib import Path

    from ..node import NodeConfig, NodeContext, generate_intents
    from ..status import PoUwMode

    config = NodeConfig.from_toml(args.config)
    if args.workers is not None:  # the bound of workers.count, not only argparse's sign check
        config = config.override("workers.count", args.workers, name="--workers")
    if args.db is not None:  # --db PATH: a SQLite file instead of the config's store
        config = dataclasses.replace(config, store_path=Path(args.db), store_url=None)
    if args.listen is not None:
        return _serve_node(config, args)
    n = config.intent_count if args.intents is None else args.intents
    seed = config.intent_seed if args.seed is None else args.seed

    ctx = NodeContext.from_config(config)
    try:
        ctx.submit_intents(
            generate_intents(
                n,
                seed=seed,
                n_accounts=config.accounts,
                balance=config.genesis_balance,
                state=ctx.state if len(ctx.ledger) else None,  # a restored node goes on
            )
        )
        progress = _Progress(n, sys.stderr)
        t0 = time.perf_counter()
        ctx.process_all(progress=progress)
        ctx.wait_for_local_jobs()  # the elapsed time includes proving
        elapsed = time.perf_counter() - t0
        report = ctx.summary(elapsed)  # before close: a durable store closes with the node
    finally:
        ctx.close()
    if config.pouw_mode is PoUwMode.REMOTE:
        where = (
            f" in {config.store_path}"
            if config.store_path
            else f" in PostgreSQL schema {config.store_schema}"
            if config.store_url
            else ""
        )
        report["note"] = (
            f"remote mode: jobs stay pending{where} for external provers; "
            "serve them with --listen HOST:PORT"
        )
    if args.json:
        print(json.dumps(report, sort_keys=False))
    else:
        _print_report(report)
    return 0


def _serve_node(config: Any, args: argparse.Namespace) -> int:
    from ..node import NodeContext, generate_intents

    host, port, serve = _listener(config, args.listen)  # bare --listen: the config's
    ctx = NodeContext.from_config(config)
    try:
        if args.intents:
            seed = config.intent_seed if args.seed is None else args.seed
            ctx.submit_intents(
                generate_intents(
                    args.intents,
                    seed=seed,
                    n_accounts=config.accounts,
                    balance=config.genesis_balance,
                    state=ctx.state if len(ctx.ledger) else None,
                )
            )
        serve(ctx, host, port)
    finally:
        ctx.close()
    return 0


def _rate(per_s: float | None) -> str:
    # thousands for the mock prover's rates, two digits for Groth16's few per second
    if per_s is None:
        return "-"
    return f"{per_s:,.0f}" if per_s >= 100 else f"{per_s:.2f}"


def _print_report(r: dict[str, Any]) -> None:
    jobs = r["jobs"]
    lines = [
        f"mode            {r['mode']} (zk_mode {r['zk_mode']}, workers {r['workers']})",
        f"intents         {r['intents']} in {r['elapsed_s']:.3f} s "
        f"({_rate(r['intents_per_s'])} intents/s)",
        f"ledger entries  {r['ledger_entries']} ({r['entries_with_job_ids']} with job ids, "
        f"{r['entries_proven']} proven)",
        "jobs            " + ", ".join(f"{k} {v}" for k, v in jobs.items()),
        f"proofs verified {r['proofs_verified']}",
        f"state root      {r['state_root']} ({r['state_hash']} tree)",
    ]
    if "note" in r:
        lines.append(f"note            {r['note']}")
    print("\n".join(lines))
