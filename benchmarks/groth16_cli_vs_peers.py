"""Groth16 prove as a whole process: ``pouw groth16 prove`` vs rapidsnark and snarkjs, one run.

    PYTHONPATH=src python benchmarks/groth16_cli_vs_peers.py --files DIR \\
        [--sizes 1000,4000,32000] [--repeats 5]

Issue 4's whole-process target: ``pouw groth16 prove ZKEY WTNS PROOF PUBLIC``
≤ 1.0× rapidsnark's ``prover`` on the same files at 32,000 constraints (at
4,000: the ratio, and how much of it is the interpreter's start-up).

Files: ``DIR/chain_{m}.zkey`` and ``DIR/chain_{m}.wtns`` for each size ``m``
(the circom chain circuit ``y <- y^2 + x``, a snarkjs powers-of-tau and
phase-2 key, a witness from circom's generator; see benchmarks/README.md for
the commands).  Without ``--files`` the sizes come from
``groth16_throughput.chain_files`` (pouw's development key written as a .zkey).

Tools, every one given the same .zkey and .wtns, each run as its own process
(wall time from the parent; peak RSS and CPU time, user + system, from
``wait4``'s rusage: CPU time is the load-insensitive cross-check on a shared
machine), interleaved round by round, medians of ``--repeats``:

- pouw: ``pouw groth16 prove`` with its key cache warm (the .zkey is hashed
  and pouw's key file for that digest opened; see ``load_zkey_cached``) in
  ``$POUW_CACHE_DIR``, a fresh directory per size.  The cold run (empty
  cache: every point validated, then the key file saved) is timed once per
  size and shown apart;
- rapidsnark ``prover`` from ``$POUW_RAPIDSNARK`` (skipped, with a note, if unset);
- snarkjs ``groth16 prove`` (``$POUW_SNARKJS``, else ``snarkjs`` on PATH);
- groth16py ``prove_wtns`` in process (key imported beforehand): the
  in-process yardstick of ``groth16_throughput.py``.

Every tool's proof of every size is checked once by ``snarkjs groth16 verify``
against the verification key snarkjs exports from the same .zkey.
Unless ``--no-breakdown``, each round also runs one pouw process timed from
inside (imports, key open = hash + key file, .wtns read, prove, JSON write)
and a bare ``python -c pass`` (interpreter start-up); exit + rest is the
whole process's wall time less those (argument parsing, interpreter teardown).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = (1000, 4000, 32000)
REPEATS = 5
COMMAND = "PYTHONPATH=src python benchmarks/groth16_cli_vs_peers.py"

# pouw's process with timestamps between its steps (the same calls _prove makes).
_BREAKDOWN = """\
import json, sys, time
t0 = time.perf_counter()
import pouw.cli, pouw.cli.groth16  # what `pouw groth16` loads
from pouw.zk.formats import proof_to_json, public_to_json, read_wtns
from pouw.zk.groth16 import prove
from pouw.zk.groth16.keyfile import load_zkey_cached
t1 = time.perf_counter()
pk = load_zkey_cached(sys.argv[1])
t2 = time.perf_counter()
w = read_wtns(sys.argv[2])
t3 = time.perf_counter()
proof = prove(pk, w)
t4 = time.perf_counter()
with open(sys.argv[3], "w") as f:
    f.write(json.dumps(proof_to_json(proof), indent=1) + "\\n")
with open(sys.argv[4], "w") as f:
    f.write(json.dumps(public_to_json(w[1 : pk.n_public + 1]), indent=1) + "\\n")
t5 = time.perf_counter()
with open(sys.argv[5], "w") as f:
    f.write(json.dumps({"imports": t1 - t0, "key open": t2 - t1, "wtns read": t3 - t2,
                        "prove": t4 - t3, "json write": t5 - t4}))
"""

# groth16py in process: import the key once, then time prove_wtns alone.
_GROTH16PY = """\
import json, statistics, sys, time
from pathlib import Path
import groth16py
zkey, wtns, repeats, proof_out, public_out = sys.argv[1:6]
pk, _ = groth16py.import_zkey(zkey)
times = []
for _ in range(int(repeats)):
    t = time.perf_counter()
    proof = groth16py.prove_wtns(pk, wtns)
    times.append(time.perf_counter() - t)
hwm = [l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:")]
rss = int(hwm[0].split()[1]) / 1024 if hwm else float("nan")
from pouw.zk.formats import proof_to_json, public_to_json, read_wtns  # after the RSS reading
from pouw.zk.groth16 import decode_proof
w = read_wtns(wtns)
Path(proof_out).write_text(json.dumps(proof_to_json(decode_proof(proof)), indent=1))
Path(public_out).write_text(json.dumps(public_to_json(w[1:3]), indent=1))
print(json.dumps({"prove_s": statistics.median(times), "rss_mb": rss}))
"""


def run_process(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Run ``cmd`` to completion: (wall seconds, peak RSS in MB, CPU seconds) of that process.

    ``os.wait4`` gives the child's own rusage, so no wrapper process (and no
    /usr/bin/time) sits between the parent's clock and the tool."""
    with tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            err.seek(0)
            msg = err.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"{cmd[:3]}... exited with {p.returncode}: {msg}")
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def pouw_command() -> tuple[list[str], str]:
    """The argv prefix for ``pouw groth16 prove`` and a note on how it is launched:
    ``python -m pouw``, what the ``pouw`` script runs."""
    return [sys.executable, "-m", "pouw", "groth16", "prove"], "`python -m pouw groth16 prove`"


def snarkjs_verify(snarkjs: str, vkey: Path, public: Path, proof: Path) -> bool:
    out = subprocess.run(
        [snarkjs, "groth16", "verify", str(vkey), str(public), str(proof)],
        capture_output=True,
        text=True,
    )
    return out.returncode == 0 and "OK" in out.stdout


def size_files(files_dir: Path | None, m: int, work: Path, snarkjs: str) -> dict[str, Path]:
    """The .zkey, .wtns and verification key JSON for size ``m``."""
    if files_dir is not None:
        f = {"zkey": files_dir / f"chain_{m}.zkey", "wtns": files_dir / f"chain_{m}.wtns"}
    else:
        sys.path.insert(0, str(Path(__file__).parent))
        from groth16_throughput import chain_files

        f = dict(chain_files(m))
    vkey = work / f"chain_{m}.vkey.json"
    if not vkey.exists():
        cmd = [snarkjs, "zkey", "export", "verificationkey", str(f["zkey"]), str(vkey)]
        subprocess.run(cmd, check=True, capture_output=True)
    f["vkey"] = vkey
    return f


def breakdown_sample(f: dict[str, Path], work: Path, env: dict[str, str]) -> dict:
    """One timed pouw process (its steps from inside) and one bare interpreter."""
    py = sys.executable
    bare = run_process([py, "-c", "pass"], env)[0]
    out = work / "breakdown.json"
    paths = [f["zkey"], f["wtns"], work / "bd_proof.json", work / "bd_public.json", out]
    wall = run_process([py, "-c", _BREAKDOWN, *map(str, paths)], env)[0]
    parts = json.loads(out.read_text())
    return {"interpreter start-up": bare, **parts, "whole process": wall}


def summarize_breakdown(samples: list[dict]) -> dict:
    """Medians per step; exit + rest (what the steps and a bare start-up do not
    cover: argument parsing, interpreter teardown) is taken per sample."""
    for p in samples:
        p["exit + rest"] = p["whole process"] - sum(
            v for k, v in p.items() if k not in ("whole process", "exit + rest")
        )
    keys = [k for k in samples[0] if k != "whole process"] + ["whole process"]
    return {k: statistics.median(p[k] for p in samples) for k in keys}


def bench_size(
    m: int,
    f: dict[str, Path],
    work: Path,
    tools: dict[str, list[str]],
    repeats: int,
    with_breakdown: bool,
) -> dict:
    """One size: cold pouw once, then the tools (and the breakdown process)
    interleaved round by round, groth16py, the checks."""
    cache = work / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    env = dict(os.environ, POUW_CACHE_DIR=str(cache))
    io = [str(f["zkey"]), str(f["wtns"])]

    def out(tool: str) -> list[str]:
        return [str(work / f"{tool}_proof.json"), str(work / f"{tool}_public.json")]

    res: dict = {"m": m, "runs": {t: [] for t in tools}}
    res["pouw cold"] = run_process(tools["pouw"] + io + out("pouw"), env)
    samples = []
    for _ in range(repeats):
        for tool, cmd in tools.items():
            res["runs"][tool].append(run_process(cmd + io + out(tool), env))
        if with_breakdown:
            samples.append(breakdown_sample(f, work, env))
    res["breakdown"] = summarize_breakdown(samples) if samples else None
    g = subprocess.run(
        [sys.executable, "-c", _GROTH16PY, *io, str(repeats), *out("groth16py")],
        capture_output=True,
        text=True,
        env=env,
    )
    if g.returncode == 0:
        res["groth16py"] = json.loads(g.stdout.strip().splitlines()[-1])
    else:
        print(f"# groth16py failed at m={m}: {g.stderr[-500:]}")
    snarkjs = tools["snarkjs"][0]
    res["valid"] = {
        t: snarkjs_verify(snarkjs, f["vkey"], *map(Path, reversed(out(t))))
        for t in [*tools, *(["groth16py"] if "groth16py" in res else [])]
    }
    return res


def summarize(res: dict) -> dict[str, tuple[float, ...]]:
    """tool -> (median wall s, median peak RSS MB, median CPU s)."""
    return {
        t: tuple(statistics.median(r[i] for r in runs) for i in range(3))
        for t, runs in res["runs"].items()
    }


def report(res: dict) -> list[str]:
    """Print one size's table; return its markdown row."""
    m, s, bd = res["m"], summarize(res), res["breakdown"]
    base = s.get("rapidsnark")
    cold_s, cold_rss, _ = res["pouw cold"]
    print(f"m={m}")
    for tool, (wall, rss, cpu) in s.items():
        ratio = f"{wall / base[0]:.2f}x rapidsnark" if base else "no rapidsnark"
        ok = res["valid"].get(tool)
        print(
            f"  {tool:12s} {wall * 1e3:8.1f} ms  {rss:6.0f} MB  {ratio}  (cpu {cpu * 1e3:.0f} ms)"
            f"  snarkjs verify {ok}"
        )
    print(
        f"  pouw cold    {cold_s * 1e3:8.1f} ms  {cold_rss:6.0f} MB  (fresh cache: import + save)"
    )
    g = res.get("groth16py")
    if g:
        print(
            f"  groth16py    {g['prove_s'] * 1e3:8.1f} ms  {g['rss_mb']:6.0f} MB  "
            f"(in process, prove_wtns only)  snarkjs verify {res['valid'].get('groth16py')}"
        )
    if bd:
        parts = ", ".join(f"{k} {v * 1e3:.1f}" for k, v in bd.items())
        print(f"  pouw process breakdown (ms): {parts}")
        if base:
            fixed = bd["interpreter start-up"] + bd["imports"]
            rest = s["pouw"][0] - fixed
            print(
                f"  pouw without start-up + imports ({fixed * 1e3:.0f} ms): "
                f"{rest * 1e3:.1f} ms = {rest / base[0]:.2f}x rapidsnark"
            )
    cells = [f"{m:,}"]
    for tool in ("pouw", "rapidsnark", "snarkjs"):
        if tool in s:
            wall, rss, _ = s[tool]
            ratio = f" (**{wall / base[0]:.2f}×**)" if base and tool != "rapidsnark" else ""
            cells.append(f"{wall:.3f} s, {rss:.0f} MB{ratio}")
        else:
            cells.append("–")
    cells.append(f"{cold_s:.2f} s")
    cells.append(f"{g['prove_s']:.3f} s, {g['rss_mb']:.0f} MB" if g else "–")
    return ["| " + " | ".join(cells) + " |"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=Path, default=None, help="dir with chain_{m}.zkey/.wtns")
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)))
    ap.add_argument("--repeats", type=int, default=REPEATS)
    ap.add_argument("--no-breakdown", action="store_true")
    a = ap.parse_args()
    snarkjs = os.environ.get("POUW_SNARKJS") or shutil.which("snarkjs")
    if not snarkjs:
        sys.exit("snarkjs not found: set POUW_SNARKJS or put it on PATH")
    pouw, note = pouw_command()
    tools = {"pouw": pouw}
    rapidsnark = os.environ.get("POUW_RAPIDSNARK")
    if rapidsnark:
        tools["rapidsnark"] = [rapidsnark]
    tools["snarkjs"] = [snarkjs, "groth16", "prove"]
    files = f" --files {a.files}" if a.files else ""
    print(f"# {COMMAND}{files} --sizes {a.sizes} --repeats {a.repeats}  (cpus={os.cpu_count()})")
    print(f"# pouw: {note}")
    if not rapidsnark:
        print("# rapidsnark skipped: set POUW_RAPIDSNARK to its `prover` binary")
    rows = []
    with tempfile.TemporaryDirectory(prefix="pouw-g16-cli-") as tmp:
        for m in (int(s) for s in a.sizes.split(",")):
            work = Path(tmp) / str(m)
            work.mkdir()
            f = size_files(a.files, m, work, snarkjs)
            rows += report(bench_size(m, f, work, tools, a.repeats, not a.no_breakdown))
    print(
        "\n| constraints | `pouw groth16 prove` (warm key cache) | rapidsnark `prover` "
        "| snarkjs `groth16 prove` | pouw cold (first import) | groth16py in process |"
    )
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
