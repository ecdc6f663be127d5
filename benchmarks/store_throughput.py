"""SqliteJobQueue and PostgresJobQueue against the in-memory JobQueue, and the node over a durable store.

    PYTHONPATH=src python benchmarks/store_throughput.py [--jobs 2000] [--intents 2000] [--repeats 3]
        [--pg-url postgresql://127.0.0.1:5432/postgres] [--claimers 16]

With ``--pg-url`` (or ``$POUW_DATABASE_URL``) PostgreSQL joins every
measurement (a schema of its own per run, dropped after; loopback), and a
third one runs: ``--claimers`` threads, each with its own connection (its own
store object, as separate worker processes or replicas would have), claim and
complete ``--jobs`` enqueued jobs until none is left; the memory and SQLite
stores run it with the threads sharing the one store.

1. Job round trips: ``enqueue`` -> ``claim_next`` -> ``complete_by`` for
   ``--jobs`` jobs, one thread, with each backend: JobQueue (memory) and
   SqliteJobQueue at ``synchronous=FULL`` and ``NORMAL`` (WAL mode, a file in
   a temporary directory on the same disk as the repository's /tmp).
2. The node in remote mode processing ``--intents`` intents (execute, job,
   ledger entry, enqueue) with the in-memory store and with the SQLite store
   (the ledger entry, its job id and its job in one transaction), as ratios
   to execution alone.
3. ``--claimers`` threads claiming (one at a time, and ``batch=100``) and
   completing ``--jobs`` enqueued jobs; on PostgreSQL each thread on a store of
   its own, and all on one store (one process's pool, completions grouped).
4. ``enqueue`` one at a time against ``enqueue_many`` in batches of 100.
5. The stream: a producer thread ``enqueue_many``-ing batches of 100 while the
   claimers claim batches of 100 and complete each, first enqueue to last
   completion, all on one store.

Best of ``--repeats`` runs each; ratios are to the in-memory figure of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
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
        store.complete_by(rec.job_id, "bench", b"p" * 167, attempt=rec.attempts)
    return len(jobs) / (time.perf_counter() - t0)


def open_backend(name: str, tmp: str, n: int, pg_url: str | None, schema: str):
    if name == "memory":
        return JobQueue(n + 1, retention=n + 1)
    kind, sync = name.split("-")
    if kind == "sqlite":
        return SqliteJobQueue(
            Path(tmp) / "b.sqlite3", capacity=n + 1, retention=n + 1, synchronous=sync
        )
    from pouw.store import PostgresJobQueue

    return PostgresJobQueue(
        pg_url, schema=schema, capacity=n + 1, retention=n + 1, synchronous=sync
    )


def backends(pg_url: str | None) -> list[str]:
    names = ["memory", "sqlite-full", "sqlite-normal"]
    return names + (["postgres-full", "postgres-normal"] if pg_url else [])


def _close(store) -> None:
    drop = getattr(store, "drop", None) or getattr(store, "close", None)
    if drop:
        drop()


def store_rates(n: int, repeats: int, pg_url: str | None = None) -> dict[str, float]:
    out: dict[str, float] = {}
    for name in backends(pg_url):
        best = 0.0
        for r in range(repeats):
            jobs = make_jobs(n)
            with tempfile.TemporaryDirectory() as tmp:
                store = open_backend(name, tmp, n, pg_url, f"bench_rt_{r}")
                try:
                    best = max(best, round_trips(store, jobs))
                finally:
                    _close(store)
        out[name] = best
    return out


def concurrent_rates(
    n: int, claimers: int, pg_url: str | None, batch: int = 1, shared: bool = False
) -> dict[str, float]:
    """Jobs/s with ``claimers`` threads claiming (``batch`` at a time) and
    completing ``n`` jobs; PostgreSQL's claimers each on a store of their own
    (as separate processes), or with ``shared`` all on the one store and its
    pool (as one API replica's threads, whose completions go together)."""
    import threading

    out: dict[str, float] = {}
    for name in backends(pg_url):
        with tempfile.TemporaryDirectory() as tmp:
            store = open_backend(name, tmp, n, pg_url, "bench_cc")
            extra = []
            try:
                for job in make_jobs(n):
                    store.enqueue(job)
                if name.startswith("postgres") and not shared:
                    from pouw.store import PostgresJobQueue

                    extra = [
                        PostgresJobQueue(
                            pg_url,
                            schema="bench_cc",
                            sequencer=False,
                            synchronous=name.split("-")[1],
                            pool_size=1,
                            notify=False,
                        )
                        for _ in range(claimers)
                    ]
                views = extra or [store] * claimers

                def work(k: int, views: list = views) -> None:
                    s = views[k]
                    while recs := s.claim_next(f"w{k}", LEASE_MS, batch=batch):
                        for rec in recs:
                            s.complete_by(rec.job_id, f"w{k}", b"p" * 167, attempt=rec.attempts)

                threads = [threading.Thread(target=work, args=(k,)) for k in range(claimers)]
                t0 = time.perf_counter()
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                out[name] = n / (time.perf_counter() - t0)
                assert store.stats().completed_count == n
            finally:
                for e in extra:
                    e.close()
                _close(store)
    return out


def pipeline_rates(n: int, claimers: int, pg_url: str | None, batch: int = 100) -> dict[str, float]:
    """Enqueue -> claim -> complete as one stream: a producer thread enqueues ``n``
    jobs in batches of ``batch`` (``enqueue_many``: one transaction each) while
    ``claimers`` threads claim ``batch`` at a time and complete each, all on the
    one store (one process, as a node serving its API); jobs/s from the first
    enqueue to the last completion."""
    out: dict[str, float] = {}
    for name in backends(pg_url):
        with tempfile.TemporaryDirectory() as tmp:
            store = open_backend(name, tmp, n, pg_url, "bench_pipe")
            try:
                out[name] = _stream(store, make_jobs(n), claimers, batch)
                assert store.stats().completed_count == n
            finally:
                _close(store)
    return out


def _stream(store, jobs: list, claimers: int, batch: int) -> float:
    import threading

    produced = threading.Event()
    arrived = threading.Event()  # the store's wake-up, as the API's claim-next sleeps on it
    store.on_new_jobs(arrived.set)

    def produce() -> None:
        for k in range(0, len(jobs), batch):
            store.enqueue_many(jobs[k : k + batch])
        produced.set()

    def work(k: int) -> None:
        while True:
            done = produced.is_set()
            recs = store.claim_next(f"w{k}", LEASE_MS, batch=batch)
            if not recs:
                if done:
                    return
                arrived.wait(0.05)
                arrived.clear()
                continue
            for rec in recs:
                store.complete_by(rec.job_id, f"w{k}", b"p" * 167, attempt=rec.attempts)

    threads = [threading.Thread(target=produce)] + [
        threading.Thread(target=work, args=(k,)) for k in range(claimers)
    ]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(jobs) / (time.perf_counter() - t0)


def enqueue_rates(
    n: int, pg_url: str | None, batch: int = 100, repeats: int = 1
) -> dict[str, dict[str, float]]:
    """Jobs/s into each store by ``enqueue`` one at a time and by ``enqueue_many``
    in batches of ``batch``, best of ``repeats``."""
    out: dict[str, dict[str, float]] = {}
    for name in backends(pg_url):
        rates: dict[str, float] = {}
        for how in ("one", "many") * repeats:
            with tempfile.TemporaryDirectory() as tmp:
                store = open_backend(name, tmp, n, pg_url, "bench_enq")
                jobs = make_jobs(n)
                try:
                    t0 = time.perf_counter()
                    if how == "one":
                        for job in jobs:
                            store.enqueue(job)
                    else:
                        for k in range(0, n, batch):
                            store.enqueue_many(jobs[k : k + batch])
                    rates[how] = max(rates.get(how, 0.0), n / (time.perf_counter() - t0))
                finally:
                    _close(store)
        out[name] = rates
    return out


def wake_latency(pg_url: str, rounds: int = 30, poll_ms: int = 500) -> dict[str, float]:
    """Median ms from an enqueue's commit in one store (the node) to the job's
    claim by another (a replica's long-polling claimer), with NOTIFY and by
    polling every ``poll_ms`` alone (the API's claim-next does the same: it
    sleeps on ``on_new_jobs`` and looks again every poll interval)."""
    import statistics
    import threading

    from pouw.store import PostgresJobQueue

    out: dict[str, float] = {}
    for notify in (True, False):
        schema = f"bench_wake_{int(notify)}"
        node = PostgresJobQueue(pg_url, schema=schema, synchronous="normal", notify=notify)
        replica = PostgresJobQueue(
            pg_url, schema=schema, sequencer=False, synchronous="normal", notify=notify
        )
        arrived = threading.Event()
        replica.on_new_jobs(arrived.set)
        took: list[float] = []
        try:
            for job in make_jobs(rounds):
                arrived.clear()
                got: list[float] = []

                def claimer(
                    got: list[float] = got,
                    replica: PostgresJobQueue = replica,
                    arrived: threading.Event = arrived,
                ) -> None:
                    while True:
                        if replica.claim_next("w", LEASE_MS) is not None:
                            got.append(time.perf_counter())
                            return
                        arrived.wait(poll_ms / 1000)
                        arrived.clear()

                t = threading.Thread(target=claimer)
                t.start()
                time.sleep(0.05)  # the claimer is waiting
                t0 = time.perf_counter()
                node.enqueue(job)
                t.join(30)
                took.append((got[0] - t0) * 1000)
        finally:
            replica.close()
            node.drop()
        out["notify" if notify else f"poll {poll_ms} ms"] = statistics.median(took)
    return out


def node_rates(n: int, repeats: int, pg_url: str | None = None) -> dict[str, float]:
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
            if store is not None and store.startswith("pg-"):
                data["store"] = {"url": pg_url, "schema": "bench_node", "synchronous": store[3:]}
            elif store is not None:
                data["store"] = {"path": str(Path(tmp) / "n.sqlite3"), "synchronous": store}
            ctx = NodeContext.from_config(NodeConfig.from_dict(data))
            ctx.submit_intents(intents)
            t0 = time.perf_counter()
            ctx.process_all()
            rate = n / (time.perf_counter() - t0)
            assert ctx.job_queue.stats().pending_count == n
            ctx.close()
            if store is not None and store.startswith("pg-"):
                import psycopg

                with psycopg.connect(pg_url, autocommit=True) as c:
                    c.execute("DROP SCHEMA bench_node CASCADE")
        return rate

    for name, fn in (
        ("execution alone", execution),
        ("remote, memory store", lambda: node(None)),
        ("remote, sqlite full", lambda: node("full")),
        ("remote, sqlite normal", lambda: node("normal")),
        *(
            [
                ("remote, postgres full", lambda: node("pg-full")),
                ("remote, postgres normal", lambda: node("pg-normal")),
            ]
            if pg_url
            else []
        ),
    ):
        out[name] = max(fn() for _ in range(repeats))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=2000)
    ap.add_argument("--intents", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", metavar="PATH")
    ap.add_argument("--pg-url", default=os.environ.get("POUW_DATABASE_URL"))
    ap.add_argument("--claimers", type=int, default=16)
    args = ap.parse_args()
    stores = store_rates(args.jobs, args.repeats, args.pg_url)
    nodes = node_rates(args.intents, args.repeats, args.pg_url)

    def best(run) -> dict:  # the best of --repeats runs, per backend
        runs = [run() for _ in range(args.repeats)]
        return {name: max(r[name] for r in runs) for name in runs[0]}

    many = best(lambda: concurrent_rates(args.jobs, args.claimers, args.pg_url))
    batched = best(lambda: concurrent_rates(args.jobs, args.claimers, args.pg_url, batch=100))
    shared = (
        best(
            lambda: concurrent_rates(args.jobs, args.claimers, args.pg_url, batch=100, shared=True)
        )
        if args.pg_url
        else {}
    )
    print(f"enqueue -> claim_next -> complete_by, {args.jobs} jobs, best of {args.repeats}")
    for name, rate in stores.items():
        print(f"  {name:16} {rate:>10,.0f} jobs/s  {rate / stores['memory']:.3f}x memory")
    print(f"claim_next -> complete_by by {args.claimers} threads, {args.jobs} jobs")
    for name, rate in many.items():
        print(f"  {name:16} {rate:>10,.0f} jobs/s  {rate / many['memory']:.3f}x memory")
    print(f"claim_next(batch=100) -> complete_by each, {args.claimers} threads, {args.jobs} jobs")
    for name, rate in batched.items():
        print(f"  {name:16} {rate:>10,.0f} jobs/s  {rate / batched['memory']:.3f}x memory")
    if shared:
        print(f"the same, PostgreSQL's {args.claimers} threads on one store (one process's pool)")
        for name, rate in shared.items():
            if name.startswith("postgres"):
                print(f"  {name:16} {rate:>10,.0f} jobs/s  {rate / shared['memory']:.3f}x memory")
    enq = enqueue_rates(args.jobs, args.pg_url, repeats=args.repeats)
    pipe = best(lambda: pipeline_rates(args.jobs, args.claimers, args.pg_url))
    print(f"enqueue one at a time and enqueue_many(100), {args.jobs} jobs")
    for name, r in enq.items():
        print(f"  {name:16} {r['one']:>10,.0f} /s one  {r['many']:>10,.0f} /s many")
    print(
        f"the stream: enqueue_many(100) -> claim_next(batch=100) -> complete_by each, "
        f"{args.claimers} claimers on one store, {args.jobs} jobs"
    )
    for name, rate in pipe.items():
        print(f"  {name:16} {rate:>10,.0f} jobs/s  {rate / pipe['memory']:.3f}x memory")
    wake = wake_latency(args.pg_url) if args.pg_url else {}
    if wake:
        print("PostgreSQL: enqueue commit -> another process's long-polling claim (median)")
        for name, ms in wake.items():
            print(f"  {name:16} {ms:>8.1f} ms")
    print(f"node in remote mode, {args.intents} intents, best of {args.repeats}")
    base = nodes["execution alone"]
    for name, rate in nodes.items():
        print(f"  {name:24} {rate:>10,.0f} intents/s  {rate / base:.3f}x execution alone")
    print(
        "reproduce: PYTHONPATH=src python benchmarks/store_throughput.py "
        f"--jobs {args.jobs} --intents {args.intents} --repeats {args.repeats}"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "stores": stores,
                    "node": nodes,
                    "concurrent": many,
                    "batch_100": batched,
                    "batch_100_one_store": shared,
                    "enqueue": enq,
                    "stream": pipe,
                    "wake_ms": wake,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
