"""Claim + submit round trips per second over loopback, with mock proofs.

    PYTHONPATH=src python benchmarks/remote_throughput.py [--jobs 1500] [--workers 1 4 16]
        [--pg-url postgresql://127.0.0.1:5432/postgres] [--replicas 1 2]

For each store (memory; SQLite, synchronous FULL and NORMAL; with ``--pg-url``
PostgreSQL, NORMAL) and each worker count, a fresh ``pouw node --listen
127.0.0.1:0`` subprocess is started with ``--jobs`` jobs waiting
(``--intents``); then that many client threads in this process each loop
claim-next -> prove (MockProver) -> submit (with the claim's attempt) until no
job is left. On PostgreSQL, ``--replicas 2`` also starts a ``pouw serve``
replica on the same schema and the workers alternate between the two APIs. The node verifies every proof before completing the job. The rate is
completed jobs over the wall time from the first claim to the last submit.
Node and clients share the machine's 2 cores, so the figure is a lower bound
of what a node does with its workers elsewhere. Ratios are to one worker on
the in-memory store of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from pouw.prover import MockProver
from pouw.remote.auth import hash_token
from pouw.remote.client import NodeClient, job_from_claim

TOKEN = "pouw_bench-token"


def write_config(tmp: Path, store: str, pg_url: str | None = None) -> Path:
    if store == "memory":
        store_toml = ""
    elif store == "postgres":
        schema = f"bench_rt_{tmp.name.lower().replace('-', '_')[-20:]}"
        store_toml = f'[store]\nurl = "{pg_url}"\nschema = "{schema}"\nsynchronous = "normal"\n'
    else:
        store_toml = f'[store]\npath = "b.sqlite3"\nsynchronous = "{store}"\n'

    cfg = tmp / "bench.toml"
    cfg.write_text(
        'pouw_mode = "remote"\n[state]\naccounts = 1000\n'
        "[queue]\ncapacity = 1000000\nretention = 1000000\n"
        f"{store_toml}[leases]\nlease_ms = 600000\n"
        "[server]\nrate_limit = 1000000\nmax_leases = 1000\n"
        f'[server.tokens]\nbench = "{hash_token(TOKEN)}"\n'
    )
    return cfg


def _pouw() -> list[str]:
    exe = shutil.which("pouw")
    return [exe] if exe else [sys.executable, "-m", "pouw"]


def start_replica(cfg: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [*_pouw(), "serve", str(cfg), "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True
    )
    return proc, proc.stdout.readline().split()[-1]


def start_node(cfg: Path, n: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [*_pouw(), "node", str(cfg), "--listen", "127.0.0.1:0", "--intents", str(n)],
        stdout=subprocess.PIPE,
        text=True,
    )
    url = proc.stdout.readline().split()[-1]
    client = NodeClient(url)
    while client.stats()["ledger_entries"] < n:  # the node's pipeline makes the jobs
        time.sleep(0.05)
    client.close()
    return proc, url


def run_workers(urls: list[str], workers: int) -> int:
    prover = MockProver()
    done = [0] * workers

    def loop(i: int) -> None:
        client = NodeClient(urls[i % len(urls)], TOKEN)
        while True:
            claim = client.claim_next(0)
            if claim is None:
                break
            proof = prover.prove_job(job_from_claim(claim))
            result = client.submit(claim["job_id"], proof, claim["attempts"])["result"]
            assert result == "completed", result
            done[i] += 1
        client.close()

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done)


def measure(
    store: str, workers: int, n: int, pg_url: str | None = None, replicas: int = 1
) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = write_config(Path(tmp), store, pg_url)
        proc, url = start_node(cfg, n)
        procs, urls = [proc], [url]
        try:
            for _ in range(replicas - 1):
                rp, rurl = start_replica(cfg)
                procs.append(rp)
                urls.append(rurl)
            t0 = time.perf_counter()
            completed = run_workers(urls, workers)
            elapsed = time.perf_counter() - t0
            assert completed == n, (completed, n)
        finally:
            for p in reversed(procs):
                p.terminate()
                p.wait(30)
            if store == "postgres":
                _drop_schema(pg_url, cfg)
    return n / elapsed


def _drop_schema(pg_url: str | None, cfg: Path) -> None:
    import psycopg
    import tomllib

    schema = tomllib.loads(cfg.read_text())["store"]["schema"]
    with psycopg.connect(pg_url, autocommit=True) as c:
        c.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=1500)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--stores", nargs="+", default=["memory", "full", "normal"])
    ap.add_argument("--json", metavar="PATH")
    ap.add_argument("--pg-url", default=os.environ.get("POUW_DATABASE_URL"))
    ap.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    args = ap.parse_args()
    results: dict[str, dict[int, float]] = {}
    for store in args.stores:
        results[store] = {w: measure(store, w, args.jobs) for w in args.workers}
    if args.pg_url:
        for r in args.replicas:
            results[f"pg-{r}api"] = {
                w: measure("postgres", w, args.jobs, args.pg_url, r) for w in args.workers
            }
    base = results[args.stores[0]][args.workers[0]]
    print(f"claim-next + prove + submit round trips/s, {args.jobs} jobs, loopback")
    for store, row in results.items():
        cells = "  ".join(f"{w:>2} workers {r:>7,.0f}/s ({r / base:.2f}x)" for w, r in row.items())
        print(f"  {store:8} {cells}")
    print(
        "reproduce: PYTHONPATH=src python benchmarks/remote_throughput.py "
        f"--jobs {args.jobs} --workers {' '.join(map(str, args.workers))}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
