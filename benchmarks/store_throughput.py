"""SqliteJobQueue against the in-memory JobQueue, and the node over a durable store.

    PYTHONPATH=src python benchmarks/store_throughput.py [--jobs 2000] [--intents 2000] [--repeats 3]

1. Job round trips: ``enqueue`` -> ``claim_next`` -> ``complete_by`` for
   ``--jobs`` jobs, one thread, with each backend: JobQueue (memory) and
   SqliteJobQueue at ``synchronous=FULL`` and ``NORMAL`` (WAL mode, a file in
   a temporary directory on the same disk as the repository's /tmp).
2. The node in remote mode processing ``--intents`` intents (execute, job,
   ledger entry, enqueue) with the in-memory store and with the SQLite store
   (the ledger entry, its job id and its job in one transaction), as ratios
   to execution alone.

Best of ``--repeats`` runs each; ratios are to the in-memory figure of the same run.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from pouw import JobQueue
from pouw.node import AccountState, Executor, NodeConfig, NodeContext, generate_intents
from pouw.store import SqliteJobQueue
from support_jobs import make_jobs

ACCOUNTS = 1000
BALANCE = 10**12
LEASE_MS = 60_000


def round_trips(store, jobs) -> float:
    t0 = time.perf_counter()
    for job in jobs:
        store.enqueue(job)
        rec = store.claim_next("bench", LEASE_MS)
        store.complete_by(rec.job_id, "bench", b"p" * 167)
    return len(jobs) / (time.perf_counter() - t0)


def store_rates(n: int, repeats: int) -> dict[str, float]:
    out: dict[str, float] = {}
    for name in ("memory", "sqlite-full", "sqlite-normal"):
        best = 0.0
        for _ in range(repeats):
            jobs = make_jobs(n)
            with tempfile.TemporaryDirectory() as tmp:
                if name == "memory":
                    store = JobQueue(n + 1, retention=n + 1)
                else:
                    sync = name.split("-")[1]
                    store = SqliteJobQueue(
                        Path(tmp) / "b.sqlite3", capacity=n + 1, retention=n + 1, synchronous=sync
                    )
                best = max(best, round_trips(store, jobs))
                close = getattr(store, "close", None)
                if close:
                    close()
        out[name] = best
    return out


def node_rates(n: int, repeats: int) -> dict[str, float]:
    intents = list(generate_intents(n, seed=0, n_accounts=ACCOUNTS))
    out: dict[str, float] = {}

    def execution() -> float:
        state = AccountState.genesis(ACCOUNTS, BALANCE)
        ex = Executor()
        t0 = time.perf_counter()
        for intent in intents:
            ex.execute_intent_with_trace(intent, state)
        return n / (time.perf_counter() - t0)

    def node(store: str | None) -> float:
        with tempfile.TemporaryDirectory() as tmp:
            data = {
                "pouw_mode": "remote",
                "state": {"accounts": ACCOUNTS, "balance": BALANCE},
                "queue": {"capacity": n + 1, "retention": n + 1},
            }
            if store is not None:
                data["store"] = {"path": str(Path(tmp) / "n.sqlite3"), "synchronous": store}
            ctx = NodeContext.from_config(NodeConfig.from_dict(data))
            ctx.submit_intents(intents)
            t0 = time.perf_counter()
            ctx.process_all()
            rate = n / (time.perf_counter() - t0)
            assert ctx.job_queue.stats().pending_count == n
            ctx.close()
        return rate

    for name, fn in (
        ("execution alone", execution),
        ("remote, memory store", lambda: node(None)),
        ("remote, sqlite full", lambda: node("full")),
        ("remote, sqlite normal", lambda: node("normal")),
    ):
        out[name] = max(fn() for _ in range(repeats))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=2000)
    ap.add_argument("--intents", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args()
    stores = store_rates(args.jobs, args.repeats)
    nodes = node_rates(args.intents, args.repeats)
    print(f"enqueue -> claim_next -> complete_by, {args.jobs} jobs, best of {args.repeats}")
    for name, rate in stores.items():
        print(f"  {name:16} {rate:>10,.0f} jobs/s  {rate / stores['memory']:.3f}x memory")
    print(f"node in remote mode, {args.intents} intents, best of {args.repeats}")
    base = nodes["execution alone"]
    for name, rate in nodes.items():
        print(f"  {name:24} {rate:>10,.0f} intents/s  {rate / base:.3f}x execution alone")
    print(
        "reproduce: PYTHONPATH=src python benchmarks/store_throughput.py "
        f"--jobs {args.jobs} --intents {args.intents} --repeats {args.repeats}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps({"stores": stores, "node": nodes}, indent=2))


if __name__ == "__main__":
    main()
