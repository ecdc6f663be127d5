"""Groth16 prove, verify and key loading: pouw vs groth16py (arkworks), same files, one run.

    PYTHONPATH=src python benchmarks/groth16_throughput.py [--sizes 1000,4000,32000] [--repeats 5]

The circuit is the chain ``y <- y^2 + x`` (one constraint per step; public
``out`` and ``x``; the same constraint shape as the circom chain circuit of
issue 4), built in Python.  Its key comes from pouw's development setup,
written as a snarkjs ``.zkey`` (``pouw.zk.formats.zkey_writer``) and its
witness as a circom ``.wtns`` (byte-identical to what circom's tools write):
both tools read the SAME two files.  Files are cached in ``$TMPDIR/pouw-groth16-bench``.

Each measurement runs in a fresh subprocess (``--worker``) so that peak
memory (``VmHWM``, read before any cross-check) is per tool, and so that groth16py's thread pool can be
pinned: ``RAYON_NUM_THREADS=1`` for its one-thread rows (pouw: ``threads=1``).
Per size and thread setting, the workers alternate (pouw, groth16py) and each
reports medians of ``--repeats`` proofs.  Timed:

- prove: pouw ``read_wtns`` + ``prove`` (key already loaded), groth16py
  ``prove_wtns(pk, path)`` (it reads the .wtns too); one cross-check per size:
  pouw verifies groth16py's proof and groth16py verifies pouw's;
- load: pouw ``load_proving_key`` (its own hash-checked file), groth16py ``import_zkey``;
  pouw's one-time ``read_zkey`` import (every point validated) is shown too;
- verify: pouw ``verify`` with a PreparedVerifyingKey, groth16py ``Verifier.verify``.

A pouw breakdown (``--breakdown``, threads=None) shows where the time goes:
witness checks, A·w/B·w + 6 NTTs, the five MSMs.

Whole processes (``pouw groth16 prove`` vs rapidsnark's ``prover`` and
snarkjs on circom's files) are compared by ``groth16_cli_vs_peers.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SIZES = (1000, 4000, 32000)
REPEATS = 5
COMMAND = "PYTHONPATH=src python benchmarks/groth16_throughput.py"
CACHE = Path(tempfile.gettempdir()) / "pouw-groth16-bench"


def chain_files(m: int) -> dict[str, Path]:
    """The chain circuit's .zkey, .wtns and pouw key file for ``m`` constraints (cached)."""
    from pouw.zk.field import FrArray, R
    from pouw.zk.formats.wtns import write_wtns
    from pouw.zk.formats.zkey_writer import write_zkey
    from pouw.zk.groth16 import save_proving_key, setup
    from pouw.zk.r1cs import R1CS, SparseMatrix

    CACHE.mkdir(exist_ok=True)
    files = {k: CACHE / f"chain_{m}.{k}" for k in ("zkey", "wtns", "pkey")}
    if all(p.exists() for p in files.values()):
        return files
    x, ys = 3, [5]
    for _ in range(m - 1):
        ys.append((ys[-1] ** 2 + x) % R)
    out = (ys[-1] ** 2 + x) % R
    ones = np.arange(m + 1, dtype=np.int64)
    wires = np.arange(3, 3 + m, dtype=np.int64)
    a = SparseMatrix(ones, wires, FrArray.ones(m))
    b = SparseMatrix(ones.copy(), wires.copy(), FrArray.ones(m))
    c_cols = np.stack([np.append(wires[1:], 1), np.full(m, 2)], axis=1).reshape(-1)
    c_vals = FrArray.from_ints([1, R - 1] * m)
    c = SparseMatrix(np.arange(0, 2 * m + 1, 2, dtype=np.int64), c_cols, c_vals)
    pk, _ = setup(R1CS(3 + m, 2, a, b, c))
    write_zkey(files["zkey"], pk)
    write_wtns(files["wtns"], FrArray.from_ints([1, out, x, *ys]))
    save_proving_key(pk, files["pkey"])
    return files


def peak_rss_mb() -> float:
    """This process's peak resident memory: VmHWM (per address space, so a worker
    does not inherit the parent's high-water mark through fork, as ru_maxrss does)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def wtns_public(path: Path) -> list[int]:
    """w[1], w[2] of a .wtns, parsed with the standard library only (no pouw import)."""
    raw = path.read_bytes()
    # magic, version, section count (12 bytes); section 1's type and size (12); n8, prime.
    n = int.from_bytes(raw[60:64], "little")
    start = len(raw) - 32 * n  # section 2, the values, ends the file
    return [int.from_bytes(raw[start + 32 * i : start + 32 * i + 32], "little") for i in (1, 2)]


def _median(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def worker(tool: str, m: int, threads: int | None, repeats: int, breakdown: bool) -> dict:
    files = chain_files(m)
    res: dict = {"tool": tool, "m": m, "threads": threads}
    if tool == "pouw":
        from pouw.zk.formats import read_wtns, read_zkey
        from pouw.zk.groth16 import load_proving_key, prepare, prove, verify

        res["load_s"], pk = _median(lambda: load_proving_key(files["pkey"]), 1)
        res["prove_s"], proof = _median(
            lambda: prove(pk, read_wtns(files["wtns"]), threads=threads), repeats
        )
        w = read_wtns(files["wtns"])
        public = w[1:3].to_ints()
        pvk = prepare(pk.vk)
        res["verify_s"], ok = _median(lambda: verify(pvk, public, proof), 20)
        assert ok
        res["maxrss_mb"] = peak_rss_mb()
        if breakdown:
            res["breakdown"] = pouw_breakdown(pk, w, threads)
            res["import_zkey_s"], _ = _median(lambda: read_zkey(files["zkey"]), 1)
        import groth16py  # cross-check: groth16py verifies pouw's proof

        from pouw.zk.groth16 import encode_proof

        _, gvk = groth16py.import_zkey(str(files["zkey"]))
        res["peer_accepts"] = bool(groth16py.Verifier(gvk).verify(encode_proof(proof), public))
    else:
        import groth16py

        res["load_s"], (gpk, gvk) = _median(lambda: groth16py.import_zkey(str(files["zkey"])), 1)
        res["prove_s"], proof = _median(
            lambda: groth16py.prove_wtns(gpk, str(files["wtns"])), repeats
        )
        public = wtns_public(files["wtns"])
        v = groth16py.Verifier(gvk)
        res["verify_s"], ok = _median(lambda: v.verify(proof, public), 20)
        assert ok
        res["maxrss_mb"] = peak_rss_mb()
        from pouw.zk.formats import read_zkey  # after the RSS reading: pouw's share stays out
        from pouw.zk.groth16 import decode_proof, verify

        _, vk = read_zkey(files["zkey"])
        res["peer_accepts"] = verify(vk, public, decode_proof(proof))
    return res


def pouw_breakdown(pk, w, threads) -> dict:
    from pouw.zk.curve import g1_msm, g2_msm
    from pouw.zk.groth16.prover import check_witness
    from pouw.zk.groth16.qap import quotient_on_coset

    out = {}
    out["check_witness"], _ = _median(lambda: check_witness(pk, w), 3)
    out["qap (A·w, B·w, 6 NTTs)"], h = _median(
        lambda: quotient_on_coset(pk.a, pk.b, w, pk.domain_size, threads), 3
    )
    out["msm A (G1)"], _ = _median(lambda: g1_msm(pk.a_query, w, threads=threads), 3)
    out["msm B1 (G1)"], _ = _median(lambda: g1_msm(pk.b_g1_query, w, threads=threads), 3)
    out["msm B2 (G2)"], _ = _median(lambda: g2_msm(pk.b_g2_query, w, threads=threads), 3)
    priv = w[pk.n_public + 1 :]
    out["msm C (G1)"], _ = _median(lambda: g1_msm(pk.c_query, priv, threads=threads), 3)
    out["msm H (G1)"], _ = _median(lambda: g1_msm(pk.h_query, h, threads=threads), 3)
    return out


def run_worker(tool: str, m: int, threads: int | None, repeats: int, breakdown: bool) -> dict:
    env = dict(os.environ)
    if threads == 1:
        env["RAYON_NUM_THREADS"] = "1"
    args = [
        sys.executable,
        __file__,
        "--worker",
        tool,
        "--sizes",
        str(m),
        "--repeats",
        str(repeats),
    ]
    args += ["--threads", str(threads or 0)] + (["--breakdown"] if breakdown else [])
    for attempt in range(3):
        out = subprocess.run(args, env=env, capture_output=True, text=True)
        if out.returncode == 0:
            return json.loads(out.stdout.strip().splitlines()[-1])
        # groth16py 0.x crashed (SIGSEGV) now and then at 32,000 constraints here: retry.
        print(f"# {tool} worker exited with {out.returncode} (attempt {attempt + 1}), retrying")
    raise RuntimeError(f"the {tool} worker failed three times: {out.stderr[-2000:]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--repeats", type=int, default=REPEATS)
    ap.add_argument("--worker", choices=("pouw", "groth16py"))
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--breakdown", action="store_true")
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    if a.worker:
        print(json.dumps(worker(a.worker, sizes[0], a.threads or None, a.repeats, a.breakdown)))
        return
    print(f"# {COMMAND} --sizes {a.sizes} --repeats {a.repeats}  (cpus={os.cpu_count()})")
    for m in sizes:
        t = time.perf_counter()
        chain_files(m)
        print(f"# chain {m}: files ready in {time.perf_counter() - t:.1f} s")
        for threads in (None, 1):
            p = run_worker("pouw", m, threads, a.repeats, breakdown=threads is None)
            g = run_worker("groth16py", m, threads, a.repeats, False)
            label = "all cores" if threads is None else "1 thread"
            print(
                f"m={m:6d} {label:9s} prove pouw {p['prove_s'] * 1e3:8.1f} ms  groth16py "
                f"{g['prove_s'] * 1e3:8.1f} ms  ratio {p['prove_s'] / g['prove_s']:.2f}x | "
                f"verify {p['verify_s'] * 1e3:.2f} / {g['verify_s'] * 1e3:.2f} ms "
                f"({p['verify_s'] / g['verify_s']:.2f}x) | load {p['load_s'] * 1e3:.1f} / "
                f"{g['load_s'] * 1e3:.1f} ms | peak RSS {p['maxrss_mb']:.0f} / "
                f"{g['maxrss_mb']:.0f} MB ({p['maxrss_mb'] / g['maxrss_mb']:.2f}x) | "
                f"cross-verified {p['peer_accepts'] and g['peer_accepts']}"
            )
            if "breakdown" in p:
                print(f"    pouw one-time read_zkey import: {p['import_zkey_s']:.2f} s")
                parts = ", ".join(f"{k} {v * 1e3:.1f}" for k, v in p["breakdown"].items())
                print(f"    pouw breakdown (ms): {parts}")


if __name__ == "__main__":
    main()
