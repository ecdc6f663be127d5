"""Claim + submit round trips per second over loopback, with mock proofs.

    PYTHONPATH=src python benchmarks/remote_throughput.py [--jobs 1500] [--workers 1 4 16]

For each store (memory; SQLite, synchronous FULL and NORMAL) and each worker
count, a fresh ``pouw node --listen 127.0.0.1:0`` subprocess is started with
``--jobs`` jobs waiting (``--intents``); then that many client threads in this
process each loop claim-next -> prove (MockProver) -> submit until no job is
left. The node verifies every proof before completing the job. The rate is
completed jobs over the wall time from the first claim to the last submit.
Node and clients share the machine's 2 cores, so the figure is a lower bound
of what a node does with its workers elsewhere. Ratios are to one worker on
the in-memory store of the same run.
"""

from __future__ import annotations

import argparse
import json
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


def write_config(tmp: Path, store: str) -> Path:
    store_toml = (
        "" if store == "memory" else f'[store]\npath = "b.sqlite3"\nsynchronous = "{store}"\n'
    )
    cfg = tmp / "bench.toml"
    cfg.write_text(
        'pouw_mode = "remote"\n[state]\naccounts = 1000\n'
        "[queue]\ncapacity = 1000000\nretention = 1000000\n"
        f"{store_toml}[leases]\nlease_ms = 600000\n"
        "[server]\nrate_limit = 1000000\nmax_leases = 1000\n"
        f'[server.tokens]\nbench = "{hash_token(TOKEN)}"\n'
    )
    return cfg


def start_node(cfg: Path, n: int) -> tuple[subprocess.Popen, str]:
    exe = shutil.which("pouw")
    cmd = [exe] if exe else [sys.executable, "-m", "pouw"]
    proc = subprocess.Popen(
        [*cmd, "node", str(cfg), "--listen", "127.0.0.1:0", "--intents", str(n)],
        stdout=subprocess.PIPE,
        text=True,
    )
    url = proc.stdout.readline().split()[-1]
    client = NodeClient(url)
    while client.stats()["ledger_entries"] < n:  # the node's pipeline makes the jobs
        time.sleep(0.05)
    client.close()
    return proc, url


def run_workers(url: str, workers: int) -> int:
    prover = MockProver()
    done = [0] * workers

    def loop(i: int) -> None:
        client = NodeClient(url, TOKEN)
        while True:
            claim = client.claim_next(0)
            if claim is None:
                break
            proof = prover.prove_job(job_from_claim(claim))
            assert client.submit(claim["job_id"], proof)["result"] == "completed"
            done[i] += 1
        client.close()

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done)


def measure(store: str, workers: int, n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_node(write_config(Path(tmp), store), n)
        try:
            t0 = time.perf_counter()
            completed = run_workers(url, workers)
            elapsed = time.perf_counter() - t0
            assert completed == n, (completed, n)
        finally:
            proc.terminate()
            proc.wait(30)
    return n / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=1500)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 4, 16])
    ap.add_argument("--stores", nargs="+", default=["memory", "full", "normal"])
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args()
    results: dict[str, dict[int, float]] = {}
    for store in args.stores:
        results[store] = {w: measure(store, w, args.jobs) for w in args.workers}
    base = results[args.stores[0]][args.workers[0]]
    print(f"claim-next + prove + submit round trips/s, {args.jobs} jobs, loopback")
    for store, row in results.items():
        cells = "  ".join(f"{w:>2} workers {r:>7,.0f}/s ({r / base:.2f}x)" for w, r in row.items())
        print(f"  {store:7} {cells}")
    print(
        "reproduce: PYTHONPATH=src python benchmarks/remote_throughput.py "
        f"--jobs {args.jobs} --workers {' '.join(map(str, args.workers))}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
