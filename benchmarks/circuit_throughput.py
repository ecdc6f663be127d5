"""The trace circuits per tier: constraints, witness, prove, verify, proof size; verify_batch.

    PYTHONPATH=src python benchmarks/circuit_throughput.py [--depth 20] [--full-n 4]
        [--repeats 3] [--batch 64] [--keys DIR] [--json out.json]
        [--plot benchmarks/results/circuits.png]

For each tier at ``--depth`` (Full with ``--full-n`` intents per batch): the
circuit's constraint count and build time (Python, once per process), the key
(development setup, saved in ``--keys`` and reused on later runs), then on a
Poseidon genesis of 1000 accounts, best of ``--repeats``:

* witness: trace values (Python, a few dozen ints a step) plus the native
  witness program, in ms, and its share of the prove time;
* prove: ``Groth16Prover.prove`` in process with the loaded key, every core;
* verify: ``Groth16Prover.verify`` (statement from the trace, one pairing
  check);
* proof size in bytes.

Beside pouw, on the same key (written as a ``.zkey``) and witness (``.wtns``),
in the same run: groth16py (arkworks, the ``bench`` extra) in process,
rapidsnark's ``prover`` as a whole process (``$POUW_RAPIDSNARK``: the path of
its binary; skipped when unset) and ``pouw groth16 prove`` as a whole process.

Then ``verify_batch`` of ``--batch`` Macro proofs against as many single
verifications (the ratio is the figure to read).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from pouw.node import AccountState, Executor, generate_intents
from pouw.prover import Groth16Prover, keys
from pouw.prover.circuits.tiers import circuit_for
from pouw.zk.groth16.proof_encoding import decode_proof
from pouw.zk.groth16.verifier import prepare, verify, verify_batch

ACCOUNTS = 1000


def best(fn, repeats: int) -> float:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return min(out)


def traces(depth: int, full_n: int) -> dict:
    state = AccountState.genesis(ACCOUNTS, depth=depth, hash="poseidon")
    ex = Executor(coinbase=7)
    # successful transfers only: the common case (failures prove the same circuit)
    stream = [t for t in generate_intents(400, 3, n_accounts=ACCOUNTS)]
    singles = []
    for t in stream[:8]:
        res, trace = ex.execute_intent_with_trace(t, state)
        if res.status.name == "OK":
            singles.append(trace)
    _, batch = ex.execute_batch_with_trace(stream[8 : 8 + full_n], state)
    return {"micro": singles[0], "macro": singles[0], "full": batch, "singles": singles}


def tier_figures(tier: str, depth: int, full_n: int, key_dir: Path, trace, repeats: int) -> dict:
    circuit = circuit_for(tier, depth, full_n)
    t0 = time.perf_counter()
    compiled = circuit.compiled
    build_s = time.perf_counter() - t0
    path = keys.key_path(key_dir, circuit)
    setup_s = None
    if not path.exists():
        t0 = time.perf_counter()
        keys.setup_keys(key_dir, circuit)
        setup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pk = keys.load_keys(key_dir, circuit)
    load_ms = (time.perf_counter() - t0) * 1e3
    prover = Groth16Prover(pk, circuit)
    job = "ab" * 32
    values_s = best(lambda: circuit.values(trace, job), repeats)
    values, _ = circuit.values(trace, job)
    program_s = best(lambda: compiled.witness(values), repeats)
    proof = prover.prove(trace, tier=tier, job_id=job)
    prove_s = best(lambda: prover.prove(trace, tier=tier, job_id=job), repeats)
    verify_s = best(lambda: prover.verify(trace, proof, tier=tier, job_id=job), repeats)
    assert prover.verify(trace, proof, tier=tier, job_id=job)
    peers = peer_figures(pk, compiled.witness(values), repeats)
    peer_s = peers["groth16py_prove_s"]
    rs = peers["rapidsnark_prove_s"]
    return {
        "tier": tier,
        "depth": depth,
        "batch_size": circuit.batch_size,
        "constraints": compiled.n_constraints,
        "build_s": build_s,
        "setup_s": setup_s,
        "key_load_ms": load_ms,
        "witness_values_ms": values_s * 1e3,
        "witness_program_ms": program_s * 1e3,
        "witness_share_of_prove": (values_s + program_s) / prove_s,
        "prove_s": prove_s,
        "verify_ms": verify_s * 1e3,
        "proof_bytes": len(proof),
        "groth16py_prove_s": peer_s,
        "prove_vs_groth16py": prove_s / peer_s if peer_s else None,
        "rapidsnark_prove_s": rs,
        "pouw_cli_prove_s": peers["pouw_cli_prove_s"],
        "prove_vs_rapidsnark": prove_s / rs if rs else None,
        "cli_vs_rapidsnark": peers["pouw_cli_prove_s"] / rs if rs else None,
    }


def _process_s(cmd: list[str], repeats: int, env: dict | None = None) -> float:
    """Median wall time of ``cmd`` as a whole process (after one warm-up run)."""
    import statistics
    import subprocess

    subprocess.run(cmd, check=True, capture_output=True, env=env)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peer_figures(pk, witness, repeats: int) -> dict:
    """On the same key (as a .zkey) and witness (as a .wtns): groth16py's (arkworks)
    prove time in process, rapidsnark's ``prover`` as a whole process (from
    ``$POUW_RAPIDSNARK``; its proof checked by pouw's verifier) and ``pouw
    groth16 prove`` as a whole process (key cache warm); None for a tool that is
    not installed."""
    import os
    import tempfile

    from pouw.zk.formats.snarkjs_json import proof_from_json, public_from_json
    from pouw.zk.formats.wtns import write_wtns
    from pouw.zk.formats.zkey_writer import write_zkey

    out: dict = {"groth16py_prove_s": None, "rapidsnark_prove_s": None, "pouw_cli_prove_s": None}
    with tempfile.TemporaryDirectory() as d:
        write_zkey(f"{d}/k.zkey", pk)
        write_wtns(f"{d}/w.wtns", witness)
        try:
            import groth16py

            gpk, _ = groth16py.import_zkey(f"{d}/k.zkey")
            out["groth16py_prove_s"] = best(
                lambda: groth16py.prove_wtns(gpk, f"{d}/w.wtns"), repeats
            )
        except ImportError:
            pass
        rapidsnark = os.environ.get("POUW_RAPIDSNARK")
        files = [f"{d}/k.zkey", f"{d}/w.wtns", f"{d}/proof.json", f"{d}/public.json"]
        if rapidsnark:
            out["rapidsnark_prove_s"] = _process_s([rapidsnark, *files], repeats)
            proof = proof_from_json(json.loads(Path(f"{d}/proof.json").read_text()))
            public = public_from_json(json.loads(Path(f"{d}/public.json").read_text()))
            assert verify(pk.vk, public, proof), "rapidsnark's proof verifies under pouw"
        env = dict(os.environ, POUW_CACHE_DIR=f"{d}/cache")
        cli = [sys.executable, "-m", "pouw", "groth16", "prove", *files]
        out["pouw_cli_prove_s"] = _process_s(cli, repeats, env)
    return out


def batch_figures(depth: int, key_dir: Path, singles: list, n: int, repeats: int) -> dict:
    circuit = circuit_for("macro", depth)
    pk = keys.load_keys(key_dir, circuit)
    prover = Groth16Prover(pk, circuit)
    pvk = prepare(pk.vk)
    base = []
    for trace in singles[:4]:
        publics = circuit.public_inputs(trace, tier="macro", job_id=None)
        base.append((publics, decode_proof(prover.prove(trace, tier="macro", job_id=None))))
    items = [base[i % len(base)] for i in range(n)]
    single_s = best(lambda: [verify(pvk, x, p) for x, p in items], repeats)
    batch_s = best(lambda: verify_batch(pvk, items), repeats)
    assert verify_batch(pvk, items)
    return {
        "proofs": n,
        "single_ms": single_s * 1e3,
        "batch_ms": batch_s * 1e3,
        "speedup": single_s / batch_s,
    }


def plot(result: dict, path: str) -> None:
    """pouw's prove time beside groth16py's on the same key and witness, per tier."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tiers = result["tiers"]
    names = [f"{t['tier']}\n{t['constraints']:,} constraints" for t in tiers]
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    ys = range(len(tiers))
    ours = [t["prove_s"] for t in tiers]
    peer = [t.get("groth16py_prove_s") or 0 for t in tiers]
    ax.barh([y + 0.2 for y in ys], ours, height=0.38, color="#4c72b0", label="pouw (in process)")
    peer_max = max([t.get("rapidsnark_prove_s") or 0 for t in tiers] + [0])
    rs = [t.get("rapidsnark_prove_s") or 0 for t in tiers]
    h = 0.26 if any(rs) else 0.38
    ax.barh(
        [y - 0.2 for y in ys],
        peer,
        height=h,
        color="#999999",
        label="groth16py (arkworks) in process, same .zkey and .wtns",
    )
    if any(rs):
        ax.barh(
            [y - 0.2 - h for y in ys],
            rs,
            height=h,
            color="#dd8452",
            label="rapidsnark prover, whole process, same files",
        )
    for y, t in zip(ys, tiers, strict=True):
        ratio = t.get("prove_vs_groth16py")
        note = f"  {t['prove_s']:.2f} s" + (f" = {ratio:.2f}x groth16py" if ratio else "")
        if t.get("prove_vs_rapidsnark"):
            note += f", {t['prove_vs_rapidsnark']:.2f}x rapidsnark"
        ax.text(t["prove_s"], y + 0.2, note, va="center", fontsize=9)
    ax.set_yticks(list(ys), names)
    ax.set_xlabel("seconds per proof (2 cores); witness < 2% of pouw's time")
    ax.set_title(f"Trace circuits at depth {tiers[0]['depth']}: Groth16 prove")
    ax.set_xlim(0, max(peer + ours + [peer_max]) * 1.35)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--depth", type=int, default=20)
    ap.add_argument("--full-n", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--keys", type=Path, default=Path("build/bench-keys"))
    ap.add_argument("--tiers", default="micro,macro,full")
    ap.add_argument("--json", default=None)
    ap.add_argument("--plot", default=None)
    args = ap.parse_args(argv)
    data = traces(args.depth, args.full_n)
    result: dict = {"tiers": []}
    for tier in args.tiers.split(","):
        fig = tier_figures(tier, args.depth, args.full_n, args.keys, data[tier], args.repeats)
        result["tiers"].append(fig)
        print(
            f"{tier:5} {fig['constraints']:>8,} constraints  build {fig['build_s']:.1f} s  "
            f"witness {fig['witness_values_ms'] + fig['witness_program_ms']:.1f} ms "
            f"({100 * fig['witness_share_of_prove']:.1f}% of prove)  prove {fig['prove_s']:.3f} s  "
            f"verify {fig['verify_ms']:.2f} ms  proof {fig['proof_bytes']} B"
            + (
                f"  groth16py {fig['groth16py_prove_s']:.3f} s "
                f"(pouw {fig['prove_vs_groth16py']:.2f}x its time)"
                if fig["groth16py_prove_s"]
                else ""
            )
            + f"  pouw groth16 prove (process) {fig['pouw_cli_prove_s']:.3f} s"
            + (
                f"  rapidsnark (process) {fig['rapidsnark_prove_s']:.3f} s: in process "
                f"{fig['prove_vs_rapidsnark']:.2f}x, process {fig['cli_vs_rapidsnark']:.2f}x"
                if fig["rapidsnark_prove_s"]
                else ""
            ),
            flush=True,
        )
    if "macro" in args.tiers.split(","):
        b = batch_figures(args.depth, args.keys, data["singles"], args.batch, args.repeats)
        result["verify_batch"] = b
        print(
            f"verify_batch of {b['proofs']}: {b['batch_ms']:.1f} ms against "
            f"{b['single_ms']:.1f} ms one by one ({b['speedup']:.2f}x)"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    if args.plot:
        plot(result, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
