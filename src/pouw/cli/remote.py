"""The remote-mode commands of ``pouw`` (they need the ``server`` extra).

* ``pouw token new --worker ID --config CONFIG`` -- make a worker token, store
  its hash in the config, print the token once, alone on the last line;
* ``pouw worker --url URL --token TOKEN [--concurrency N] [--exit-when-idle]
  [--keys DIR] [--tiers LIST] [--zk-modes LIST] [--device cpu|gpu]
  [--min-units N] [--max-units N]``
  -- prove jobs for a node (:class:`~pouw.remote.worker.RemoteWorker`); the
  token may come from ``$POUW_TOKEN`` instead, out of the process list;
* ``pouw submit --url URL --intents N [--seed S] [--accounts A]`` -- generate
  intents and send them to a node;
* ``pouw jobs --url URL [--json]`` -- the node's stats and jobs, as a table or
  one JSON object ``{"stats": {...}, "jobs": [...]}``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["add_parser", "TOKEN_ENV"]

_SUBMIT_BATCH = 1000
TOKEN_ENV = "POUW_TOKEN"  #: where `pouw worker` finds its token without --token


def add_parser(sub: Any, name: str) -> None:
    """Add the remote command ``name`` (token, worker, submit or jobs) to ``sub``."""
    _PARSERS[name](sub)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _add_token(sub: Any) -> None:
    token = sub.add_parser("token", help="manage worker tokens")
    tsub = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    new = tsub.add_parser("new", help="create a worker token and store its hash in the config")
    new.add_argument("--worker", required=True, metavar="ID", help="the worker's id")
    new.add_argument("--config", required=True, metavar="CONFIG", help="node config (TOML) to edit")
    new.set_defaults(func=_cmd_token_new)


def _add_worker(sub: Any) -> None:
    w = sub.add_parser("worker", help="prove jobs for a node over HTTP")
    w.add_argument("--url", required=True, help="the node's base URL, e.g. http://127.0.0.1:8645")
    w.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENV),
        help=f"this worker's token (default: ${TOKEN_ENV}, which keeps it out of the process list)",
    )
    w.add_argument(
        "--concurrency", type=_positive, default=1, metavar="N", help="jobs proven at once"
    )
    w.add_argument(
        "--exit-when-idle",
        action="store_true",
        help="exit once the node has no job pending or in progress",
    )
    w.add_argument(
        "--keys",
        metavar="DIR",
        help="Groth16 key directory: the worker claims the jobs of the circuits it has keys "
        "for, and mock jobs (default: $POUW_KEYS, else ~/.cache/pouw/keys)",
    )
    w.add_argument(
        "--threads",
        type=_positive,
        metavar="N",
        help="threads of one Groth16 proof (default: the cores / --concurrency)",
    )
    w.add_argument(
        "--tiers", metavar="LIST", help="the tiers it proves, e.g. micro,macro (default: any)"
    )
    w.add_argument(
        "--zk-modes", metavar="LIST", help="mock, groth16 or both, comma-separated (default: both)"
    )
    w.add_argument(
        "--device", choices=("cpu", "gpu"), default="cpu", help="the device it proves on"
    )
    w.add_argument(
        "--min-units",
        type=int,
        default=0,
        metavar="N",
        help="the smallest job it takes, in work units (KiB of trace): a GPU's large jobs",
    )
    w.add_argument(
        "--max-units", type=int, metavar="N", help="the largest job it takes, in work units"
    )
    w.set_defaults(func=_cmd_worker)


def _add_submit(sub: Any) -> None:
    s = sub.add_parser("submit", help="generate intents and submit them to a node")
    s.add_argument("--url", required=True)
    s.add_argument("--intents", type=_positive, required=True, metavar="N")
    s.add_argument("--seed", type=int, default=0, metavar="S")
    s.add_argument(
        "--accounts", type=_positive, default=1000, metavar="A", help="the node's genesis accounts"
    )
    s.set_defaults(func=_cmd_submit)


def _add_jobs(sub: Any) -> None:
    j = sub.add_parser(
        "jobs",
        help="list a node's jobs and stats; `pouw jobs stats`: latency percentiles",
    )
    j.add_argument(
        "what",
        nargs="?",
        choices=("stats",),
        help="stats: counts and p50/p95/p99 latency (queue wait, proving, end to end) per "
        "tier and per worker, from the job history",
    )
    j.add_argument("--url", required=True)
    j.add_argument(
        "--json", action="store_true", help='print one object {"stats": ..., "jobs": [...]}'
    )
    j.add_argument(
        "--window",
        type=_positive,
        default=3600,
        metavar="S",
        help="stats: the window, in seconds back from now (default 3600)",
    )
    j.set_defaults(func=_cmd_jobs)


_PARSERS = {"token": _add_token, "worker": _add_worker, "submit": _add_submit, "jobs": _add_jobs}


def _cmd_token_new(args: argparse.Namespace) -> int:
    from ..remote.auth import add_token_to_config, new_token

    path = Path(args.config)
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    token = new_token()
    add_token_to_config(path, args.worker, token)
    print(f"stored the hash of worker {args.worker!r}'s token in {path}")
    print("the token is shown once; pass it to `pouw worker --token`:")
    print(token)
    return 0


def _cmd_worker(args: argparse.Namespace) -> int:
    from ..remote.worker import RemoteWorker

    if not args.token:
        raise ConfigError(f"pouw worker needs --token TOKEN or ${TOKEN_ENV}")

    can = _capabilities(args)
    provers = _worker_provers(args)
    worker = RemoteWorker(
        args.url,
        args.token,
        concurrency=args.concurrency,
        exit_when_idle=args.exit_when_idle,
        provers=provers,
        can=can,
    )

    def on_signal(signum: int, frame: object) -> None:
        worker.stop.set()  # unfinished jobs are given back; finished proofs still submitted

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    counts = worker.run()
    if worker.fatal:
        raise ConfigError(worker.fatal)
    print(json.dumps({"worker": counts}))
    return 0


def _capabilities(args: argparse.Namespace) -> Any:
    # what the worker declares with each claim; a bad flag is one line naming it
    from ..queue.capabilities import Capabilities

    def names(text: str | None) -> frozenset[str] | None:
        return None if text is None else frozenset(p.strip() for p in text.split(",") if p.strip())

    try:
        return Capabilities(
            tiers=names(args.tiers),  # type: ignore[arg-type]  # (names, parsed by it)
            zk_modes=names(args.zk_modes),
            device=args.device,
            min_units=args.min_units,
            max_units=args.max_units,
        )
    except ValueError as exc:
        raise ConfigError(f"pouw worker: {exc}") from None


def _worker_provers(args: argparse.Namespace) -> dict[str, Any]:
    # the worker's Groth16 provers, one per key found (none: it proves mock jobs only)
    from ..prover.keys import default_key_dir, provers_in

    folder = Path(args.keys) if args.keys else default_key_dir()
    if args.keys and not folder.is_dir():
        raise ConfigError(f"--keys: no directory {folder}")
    if not folder.is_dir():
        return {}
    threads = args.threads or max(1, (os.cpu_count() or 1) // args.concurrency)
    provers = provers_in(folder, threads=threads)
    for digest in provers:  # the key files are named {tier}-d{depth}[-n{N}]-{digest16}.pkey
        name = next((p.stem for p in folder.glob(f"*-{digest[:16]}.pkey")), digest[:16])
        print(f"key: {name}", file=sys.stderr)
    return provers


def _cmd_submit(args: argparse.Namespace) -> int:
    from ..node import generate_intents
    from ..remote.client import ApiRefused, NodeClient, Unreachable

    client = NodeClient(args.url)
    sent = 0
    batch: list[dict[str, Any]] = []
    try:
        for intent in generate_intents(args.intents, seed=args.seed, n_accounts=args.accounts):
            batch.append(intent.to_dict())
            if len(batch) == _SUBMIT_BATCH:
                sent += client.submit_intents(batch)
                batch = []
        if batch:
            sent += client.submit_intents(batch)
    except (ApiRefused, Unreachable) as exc:
        raise ConfigError(f"the node at {args.url}: {exc}") from None
    finally:
        client.close()
    print(json.dumps({"submitted": sent}))
    return 0


def _cmd_jobs(args: argparse.Namespace) -> int:
    from ..remote.client import ApiRefused, NodeClient, Unreachable

    if args.what == "stats":
        return _cmd_job_stats(args)
    client = NodeClient(args.url)
    try:
        stats = client.stats()
        jobs = client.list_jobs()
    except (ApiRefused, Unreachable) as exc:
        raise ConfigError(f"the node at {args.url}: {exc}") from None
    finally:
        client.close()
    if args.json:
        out = {
            "stats": dict(
                stats["stats"],
                by_tier=stats["by_tier"],
                workers=stats["workers"],
                proving_ms=stats["proving_ms"],
            ),
            "jobs": jobs,
        }
        print(json.dumps(out))
        return 0
    s = stats["stats"]
    print("  ".join(f"{k.removesuffix('_count')} {v}" for k, v in s.items()))
    print(f"{'job_id':18} {'tier':6} {'status':12} {'worker':12} {'attempts':>8}")
    for j in jobs:
        print(
            f"{j['job_id'][:16]}.. {j['tier']:6} {j['status']:12} {str(j['worker_id'] or '-')[:12]:12} "
            f"{j['attempts']:>8}"
        )
    if stats["workers"]:
        print(
            "workers: "
            + "; ".join(
                f"{w} " + ", ".join(f"{k} {v}" for k, v in c.items())
                for w, c in stats["workers"].items()
            )
        )
    sys.stdout.flush()
    return 0


def _cmd_job_stats(args: argparse.Namespace) -> int:
    from ..remote.client import ApiRefused, NodeClient, Unreachable

    client = NodeClient(args.url)
    try:
        latency = client.stats(window_s=args.window)["latency"]
    except (ApiRefused, Unreachable) as exc:
        raise ConfigError(f"the node at {args.url}: {exc}") from None
    finally:
        client.close()
    if args.json:
        print(json.dumps(latency))
        return 0
    print(f"the last {args.window} s: completed, failed, expired; latency p50/p95/p99 ms")
    head = f"{'':14} {'done':>6} {'fail':>5} {'exp':>5}  {'queue wait':>20}  {'proving':>20}  {'end to end':>20}"
    print(head)

    def spread(d: dict[str, Any]) -> str:
        return "/".join("-" if d[p] is None else str(d[p]) for p in ("p50", "p95", "p99"))

    rows = [("all", latency["all"])]
    rows += [(f"tier {t}", g) for t, g in latency["tiers"].items()]
    rows += [(f"worker {w}", g) for w, g in latency["workers"].items()]
    for name, g in rows:
        print(
            f"{name[:14]:14} {g['completed']:>6} {g['failed']:>5} {g['expired']:>5}  "
            f"{spread(g['queue_wait_ms']):>20}  {spread(g['proving_ms']):>20}  "
            f"{spread(g['end_to_end_ms']):>20}"
        )
    sys.stdout.flush()
    return 0
