"""A soak of the PostgreSQL store: a steady stream of jobs for ``--minutes``, with a
``REPEATABLE READ`` transaction held open for ``--hold`` minutes in the middle.

    PYTHONPATH=src python benchmarks/pg_soak.py --pg-url postgresql://127.0.0.1:5432/postgres
        [--minutes 10] [--hold-at 4] [--hold 2] [--rate 400] [--claimers 4]
        [--json benchmarks/results/pg_soak.json] [--plot benchmarks/results/pg_soak.png]

The classic way a PostgreSQL queue degrades: an open snapshot (a long report, a
forgotten ``BEGIN`` in a console, a replica's ``hot_standby_feedback``) keeps
every row version that it might still see, so vacuum cannot remove the dead
versions that every claim and completion leaves behind; the pending index and
the table fill with them and each claim wades through more. This runs the
node's side (a sequencer store enqueueing ``--rate`` jobs/s) and an API
replica's side (``--claimers`` threads on a store of their own, claiming
batches of 10 and completing each), and every 5 s records the claim
latencies, the jobs table's size and its live and dead tuples. The snapshot
is taken ``--hold-at`` minutes in and released ``--hold`` minutes later; the
report gives claim p50/p95/p99 and the table before, during and after it, so
that recovery after the transaction ends shows.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from pathlib import Path

from pouw.queue.analytics import percentile
from pouw.store import PostgresJobQueue
from support_jobs import make_jobs

SCHEMA = "bench_soak"
LEASE_MS = 60_000
TICK_S = 0.1
SAMPLE_S = 5.0


def _claim_ms(seconds: list[float]) -> dict[str, float]:
    """p50/p95/p99 of claim times in ms, nearest rank (the store's own percentile)."""
    ms = sorted(x * 1000 for x in seconds)
    return {f"claim_p{p}_ms": percentile(ms, p) or 0.0 for p in (50, 95, 99)}


def soak(
    url: str,
    minutes: float,
    hold_at: float,
    hold: float,
    rate: int,
    claimers: int,
    vacuum: bool = True,
) -> dict:
    import psycopg

    with psycopg.connect(url, autocommit=True) as c:
        c.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
    node = PostgresJobQueue(
        url,
        schema=SCHEMA,
        synchronous="normal",
        capacity=1_000_000,
        retention=10_000,
        vacuum=vacuum,
    )
    replica = PostgresJobQueue(url, schema=SCHEMA, sequencer=False, synchronous="normal")
    stop = threading.Event()
    lock = threading.Lock()
    claims: list[tuple[float, float]] = []  # (time since start, claim seconds)
    done = [0]
    t0 = time.perf_counter()

    def produce() -> None:
        per_tick = max(1, round(rate * TICK_S))
        nxt = time.perf_counter()
        while not stop.is_set():
            with node.batch():
                for job in make_jobs(per_tick):
                    node.enqueue(job)
            nxt += TICK_S
            time.sleep(max(0.0, nxt - time.perf_counter()))

    def claim(k: int) -> None:
        while not stop.is_set():
            t = time.perf_counter()
            recs = replica.claim_next(f"soak{k}", LEASE_MS, batch=10)
            took = time.perf_counter() - t
            with lock:
                claims.append((t - t0, took))
            if not recs:
                time.sleep(0.02)
                continue
            for rec in recs:
                replica.complete_by(rec.job_id, f"soak{k}", b"p" * 167, attempt=rec.attempts)
            with lock:
                done[0] += len(recs)

    def sweeper() -> None:  # as the API's sweeper thread does (every 0.2 s)
        while not stop.wait(0.2):
            node.sweep()

    samples: list[dict] = []

    def table(c) -> tuple[int, int, int]:
        c.execute("SELECT pg_stat_clear_snapshot()")
        size = c.execute("SELECT pg_total_relation_size(%s)", (f'"{SCHEMA}".jobs',)).fetchone()[0]
        live, dead = c.execute(
            "SELECT n_live_tup, n_dead_tup FROM pg_stat_user_tables "
            "WHERE schemaname = %s AND relname = 'jobs'",
            (SCHEMA,),
        ).fetchone()
        return int(size), int(live), int(dead)

    threads = [threading.Thread(target=produce), threading.Thread(target=sweeper)] + [
        threading.Thread(target=claim, args=(k,)) for k in range(claimers)
    ]
    for t in threads:
        t.start()
    holder = psycopg.connect(url)  # not autocommit: its BEGIN holds the snapshot
    held = False
    monitor = psycopg.connect(url, autocommit=True)
    seen = 0
    try:
        end = minutes * 60
        while (now := time.perf_counter() - t0) < end:
            time.sleep(SAMPLE_S - (now % SAMPLE_S))
            now = time.perf_counter() - t0
            if not held and hold_at * 60 <= now < (hold_at + hold) * 60:
                holder.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                holder.execute(f'SELECT COUNT(*) FROM "{SCHEMA}".jobs').fetchone()
                held = True
            elif held and now >= (hold_at + hold) * 60:
                holder.rollback()
                held = False
            with lock:
                window = [took for at, took in claims[seen:]]
                seen = len(claims)
                completed = done[0]
            size, live, dead = table(monitor)
            samples.append(
                {
                    "t_s": round(now, 1),
                    "held": held,
                    "claims": len(window),
                    **_claim_ms(window),
                    "completed": completed,
                    "jobs_bytes": size,
                    "live_tuples": live,
                    "dead_tuples": dead,
                }
            )
            s = samples[-1]
            print(
                f"{s['t_s']:6.0f}s {'HELD' if held else '    '} claims {s['claims']:5} "
                f"p95 {s['claim_p95_ms']:7.2f} ms  done {completed:8}  jobs "
                f"{size / 1e6:7.1f} MB live {live:7} dead {dead:7}",
                flush=True,
            )
    finally:
        if held:
            holder.rollback()
        holder.close()
        monitor.close()
        stop.set()
        for t in threads:
            t.join()
        replica.close()
        node.drop()
    phases: dict[str, dict] = {}
    for name, keep in (
        ("before", lambda at: at < hold_at * 60),
        ("during", lambda at: hold_at * 60 <= at < (hold_at + hold) * 60),
        ("after", lambda at: at >= (hold_at + hold) * 60 + 60),  # a minute to recover
    ):
        xs = [took for at, took in claims if keep(at)]
        rows = [s for s in samples if keep(s["t_s"])]
        phases[name] = {
            "claims": len(xs),
            **_claim_ms(xs),
            "max_jobs_bytes": max((s["jobs_bytes"] for s in rows), default=0),
            "max_dead_tuples": max((s["dead_tuples"] for s in rows), default=0),
            "last_dead_tuples": rows[-1]["dead_tuples"] if rows else 0,
            "last_jobs_bytes": rows[-1]["jobs_bytes"] if rows else 0,
        }
    return {
        "minutes": minutes,
        "hold_at_min": hold_at,
        "hold_min": hold,
        "rate": rate,
        "claimers": claimers,
        "store_vacuum": vacuum,
        "completed": done[0],
        "phases": phases,
        "samples": samples,
    }


def plot(result: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = result["samples"]
    t = [x["t_s"] / 60 for x in s]
    fig, (a, b) = plt.subplots(2, 1, sharex=True, figsize=(8, 6))
    a.plot(t, [x["claim_p95_ms"] for x in s], label="claim p95")
    a.plot(t, [x["claim_p50_ms"] for x in s], label="claim p50")
    a.set_ylabel("ms")
    a.legend()
    b.plot(t, [x["dead_tuples"] for x in s], label="dead tuples")
    b.plot(t, [x["live_tuples"] for x in s], label="live tuples")
    b.set_ylabel("jobs table rows")
    b.set_xlabel("minutes")
    b.legend()
    for ax in (a, b):
        ax.axvspan(result["hold_at_min"], result["hold_at_min"] + result["hold_min"], alpha=0.15)
    a.set_title(
        f"PostgreSQL soak: {result['rate']} jobs/s, REPEATABLE READ held "
        f"{result['hold_min']} min (shaded)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pg-url", default=os.environ.get("POUW_DATABASE_URL"))
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--hold-at", type=float, default=4)
    ap.add_argument("--hold", type=float, default=2)
    ap.add_argument("--rate", type=int, default=400)
    ap.add_argument("--claimers", type=int, default=4)
    ap.add_argument("--no-vacuum", action="store_true", help="the store leaves it to autovacuum")
    ap.add_argument("--json", metavar="PATH")
    ap.add_argument("--plot", metavar="PATH")
    args = ap.parse_args()
    if not args.pg_url:
        ap.error("--pg-url (or $POUW_DATABASE_URL) is required")
    result = soak(
        args.pg_url,
        args.minutes,
        args.hold_at,
        args.hold,
        args.rate,
        args.claimers,
        vacuum=not args.no_vacuum,
    )
    for name, p in result["phases"].items():
        print(
            f"{name:7} claims {p['claims']:7}  p50 {p['claim_p50_ms']:6.2f}  p95 "
            f"{p['claim_p95_ms']:6.2f}  p99 {p['claim_p99_ms']:6.2f} ms  jobs up to "
            f"{p['max_jobs_bytes'] / 1e6:.1f} MB, dead tuples up to {p['max_dead_tuples']}, "
            f"last {p['last_dead_tuples']}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    if args.plot:
        plot(result, args.plot)


if __name__ == "__main__":
    main()
