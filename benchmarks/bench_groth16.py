"""Groth16 prove and verify: pouw vs groth16py (arkworks) on the same .zkey and .wtns.

    PYTHONPATH=src python -m pytest benchmarks/bench_groth16.py --benchmark-only

The chain circuit (y <- y^2 + x) at SIZES constraints, files from
groth16_throughput.chain_files (pouw's development setup written as a snarkjs
.zkey, the witness as a circom .wtns; cached in $TMPDIR).  pouw proves from
its own key file (with the fixed-base MSM tables it saves), groth16py from
the imported .zkey; both in process with their default threads.  See
groth16_throughput.py for one-thread rows, key loading and peak memory.
"""

from __future__ import annotations

import pytest

from groth16_throughput import chain_files
from pouw.zk.formats import read_wtns
from pouw.zk.groth16 import encode_proof, load_proving_key, prepare, prove, verify

groth16py = pytest.importorskip("groth16py")

SIZES = (1000, 4000)
_CACHE: dict = {}


def _keys(m: int):
    if m not in _CACHE:
        files = chain_files(m)
        pk = load_proving_key(files["pkey"])
        gpk, gvk = groth16py.import_zkey(str(files["zkey"]))
        _CACHE[m] = files, pk, gpk, gvk
    return _CACHE[m]


@pytest.mark.parametrize("m", SIZES)
def test_prove_pouw(benchmark, m):
    benchmark.group = f"groth16 prove {m}"
    files, pk, _, gvk = _keys(m)
    proof = benchmark(lambda: prove(pk, read_wtns(files["wtns"])))
    public = read_wtns(files["wtns"])[1:3].to_ints()
    assert groth16py.Verifier(gvk).verify(encode_proof(proof), public)


@pytest.mark.parametrize("m", SIZES)
def test_prove_groth16py(benchmark, m):
    benchmark.group = f"groth16 prove {m}"
    files, _, gpk, _ = _keys(m)
    benchmark(groth16py.prove_wtns, gpk, str(files["wtns"]))


def test_verify_pouw(benchmark):
    benchmark.group = "groth16 verify"
    files, pk, _, _ = _keys(SIZES[0])
    w = read_wtns(files["wtns"])
    proof, pvk, public = prove(pk, w), prepare(pk.vk), w[1:3].to_ints()
    assert benchmark(verify, pvk, public, proof)


def test_verify_groth16py(benchmark):
    benchmark.group = "groth16 verify"
    files, pk, gpk, gvk = _keys(SIZES[0])
    proof = groth16py.prove_wtns(gpk, str(files["wtns"]))
    public = read_wtns(files["wtns"])[1:3].to_ints()
    assert benchmark(groth16py.Verifier(gvk).verify, proof, public)
