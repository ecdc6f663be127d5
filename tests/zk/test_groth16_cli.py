"""``pouw groth16 prove | verify | setup | solidity | calldata`` through
:func:`pouw.cli.groth16.main` (the module the top-level ``pouw`` command hooks in),
on the snarkjs fixtures of tests/vectors/groth16; the last tests run the real
``python -m pouw groth16`` and need pouw.cli to hook this module in."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pouw
from groth16_support import VECTORS
from pouw.cli.groth16 import main
from pouw.zk import R
from pouw.zk.formats import proof_from_json, read_zkey, vk_from_json, vk_to_json
from pouw.zk.formats.binfile import read_binfile
from pouw.zk.groth16 import verify

VK, ZKEY, WTNS, R1CS = (
    VECTORS / n for n in ("verification_key.json", "mul.zkey", "mul.wtns", "mul.r1cs")
)


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch) -> Path:
    """``prove`` caches validated .zkey imports: keep them in the test's directory
    (the environment variable reaches the subprocess tests too)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("POUW_CACHE_DIR", str(folder))
    return folder / "groth16"


def _run(capsys, *argv: object) -> tuple[int, str, str]:
    code = main(["groth16", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def proved(tmp_path, capsys) -> tuple[Path, Path]:
    proof, public = tmp_path / "proof.json", tmp_path / "public.json"
    assert _run(capsys, "prove", ZKEY, WTNS, proof, public)[0] == 0
    return proof, public


def test_prove_writes_snarkjs_files_that_verify(proved, capsys):
    proof, public = proved
    assert json.loads(public.read_text()) == ["168", "5"]
    assert json.loads(proof.read_text())["protocol"] == "groth16"
    assert verify(vk_from_json(VK.read_text()), [168, 5], proof_from_json(proof.read_text()))
    assert _run(capsys, "verify", VK, public, proof) == (0, "OK\n", "")


def test_verify_accepts_snarkjs_files_and_rejects_other_inputs(tmp_path, capsys):
    assert _run(capsys, "verify", VK, VECTORS / "public.json", VECTORS / "proof.json")[:2] == (
        0,
        "OK\n",
    )
    other = tmp_path / "other.json"
    for bad, why in (
        (["168", "6"], "does not verify"),
        (["168", str(5 + R)], "not below r"),  # x + r: refused, never reduced
        (["168"], "1 public inputs, the verifying key takes 2"),
        ("168", "expected a list"),
    ):
        other.write_text(json.dumps(bad))
        code, out, _ = _run(capsys, "verify", VK, other, VECTORS / "proof.json")
        assert code == 1 and out.startswith("INVALID") and why in out


def test_verify_rejects_a_tampered_proof(tmp_path, capsys):
    doc = json.loads((VECTORS / "proof.json").read_text())
    doc["pi_a"], doc["pi_c"] = doc["pi_c"], doc["pi_a"]
    tampered = tmp_path / "proof.json"
    tampered.write_text(json.dumps(doc))
    code, out, _ = _run(capsys, "verify", VK, VECTORS / "public.json", tampered)
    assert (code, out) == (
        1,
        "INVALID: the proof does not verify for these public inputs under this key\n",
    )


def test_usage_errors_exit_2_without_traceback(tmp_path, capsys):
    code, out, err = _run(
        capsys, "verify", tmp_path / "missing.json", VECTORS / "public.json", VECTORS / "proof.json"
    )
    assert code == 2 and out == "" and "cannot read" in err and "Traceback" not in err
    (tmp_path / "junk.zkey").write_bytes(b"not a zkey")
    code, _, err = _run(
        capsys, "prove", tmp_path / "junk.zkey", WTNS, tmp_path / "p.json", tmp_path / "q.json"
    )
    assert code == 2 and "zkey" in err and not (tmp_path / "p.json").exists()


def test_prove_refuses_a_witness_of_another_circuit(tmp_path, capsys):
    wtns = bytearray(WTNS.read_bytes())
    wtns[-32] ^= 1  # the last wire's value: the witness no longer satisfies the circuit
    (tmp_path / "bad.wtns").write_bytes(bytes(wtns))
    code, _, err = _run(
        capsys, "prove", ZKEY, tmp_path / "bad.wtns", tmp_path / "p.json", tmp_path / "q.json"
    )
    assert code == 2 and "witness" in err and not (tmp_path / "p.json").exists()


def test_setup_writes_a_zkey_and_vk_that_prove_and_verify(tmp_path, capsys):
    zkey, vk_json = tmp_path / "dev.zkey", tmp_path / "vk.json"
    code, _, err = _run(capsys, "setup", R1CS, zkey, vk_json)
    assert code == 0 and "never use them in production" in err
    _, vk = read_zkey(zkey)
    assert vk_to_json(vk) == json.loads(vk_json.read_text())
    proof, public = tmp_path / "proof.json", tmp_path / "public.json"
    assert _run(capsys, "prove", zkey, WTNS, proof, public)[0] == 0
    assert _run(capsys, "verify", vk_json, public, proof)[:2] == (0, "OK\n")
    # the twin: the fixture's ceremony key does not accept a proof made with the dev key
    assert _run(capsys, "verify", VK, public, proof)[0] == 1


def test_solidity_and_calldata(tmp_path, capsys):
    out = tmp_path / "Verifier.sol"
    assert _run(capsys, "solidity", VK, out)[0] == 0
    assert "contract Groth16Verifier" in out.read_text()
    code, text, _ = _run(capsys, "calldata", VECTORS / "public.json", VECTORS / "proof.json")
    assert code == 0 and text.strip() == "".join((VECTORS / "calldata.txt").read_text().split())
    (tmp_path / "bad.json").write_text('["1", "x"]')
    assert _run(capsys, "calldata", tmp_path / "bad.json", VECTORS / "proof.json")[0] == 2


# ---------------------------------------------------------------- the real command (pouw.cli hooks it in)


def _pouw_env() -> dict[str, str]:
    """The environment of a ``python -m pouw`` child: the pouw this test imported
    comes first on its path (a relative PYTHONPATH would not survive ``cwd``)."""
    root = str(Path(pouw.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root + (os.pathsep + path if path else "")}


def test_python_m_pouw_groth16_verify(tmp_path):
    for public, code, out in (
        (VECTORS / "public.json", 0, "OK"),
        (tmp_path / "bad.json", 1, "INVALID"),
    ):
        (tmp_path / "bad.json").write_text('["168", "6"]')
        res = subprocess.run(
            [
                sys.executable,
                "-m",
                "pouw",
                "groth16",
                "verify",
                str(VK),
                str(public),
                str(VECTORS / "proof.json"),
            ],
            capture_output=True,
            text=True,
            env=_pouw_env(),
        )
        assert res.returncode == code and res.stdout.startswith(out), res.stderr


def test_python_m_pouw_groth16_prove(tmp_path):
    shutil.copy(ZKEY, tmp_path / "k.zkey")
    res = subprocess.run(
        [sys.executable, "-m", "pouw", "groth16", "prove", "k.zkey", str(WTNS), "p.json", "q.json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_pouw_env(),
    )
    assert res.returncode == 0, res.stderr
    assert verify(
        vk_from_json(VK.read_text()), [168, 5], proof_from_json((tmp_path / "p.json").read_text())
    )


def test_import_makes_a_key_file_that_proves_like_the_zkey(tmp_path, capsys):
    key = tmp_path / "mul.key"
    assert _run(capsys, "import", ZKEY, key)[0] == 0
    assert key.read_bytes()[:8] == b"POUWG16K"
    proof, public = tmp_path / "proof.json", tmp_path / "public.json"
    assert _run(capsys, "prove", key, WTNS, proof, public)[0] == 0
    assert _run(capsys, "verify", VK, public, proof)[:2] == (0, "OK\n")
    assert _run(capsys, "vkey", key, tmp_path / "vk.json")[0] == 0
    assert json.loads((tmp_path / "vk.json").read_text()) == json.loads(VK.read_text())
    # the twin: a corrupted key file is refused by its hash, not used
    raw = bytearray(key.read_bytes())
    raw[-1] ^= 1
    key.write_bytes(bytes(raw))
    code, _, err = _run(capsys, "prove", key, WTNS, tmp_path / "p2.json", tmp_path / "q2.json")
    assert code == 2 and not (tmp_path / "p2.json").exists()


# ---------------------------------------------------------------- prove's .zkey cache


def test_prove_caches_the_validated_zkey_and_reuses_it(tmp_path, capsys, cache_dir, monkeypatch):
    from pouw.zk.groth16 import keyfile

    assert _run(capsys, "prove", ZKEY, WTNS, tmp_path / "p.json", tmp_path / "q.json")[0] == 0
    entries = list(cache_dir.glob("*.pkey"))
    assert len(entries) == 1
    # the second run opens the cache entry: a full import would fail here
    monkeypatch.setattr("pouw.zk.formats.zkey.read_zkey", _no_full_import)
    loaded = []
    real = keyfile.load_proving_key
    monkeypatch.setattr(keyfile, "load_proving_key", lambda p: loaded.append(p) or real(p))
    assert _run(capsys, "prove", ZKEY, WTNS, tmp_path / "p2.json", tmp_path / "q2.json")[0] == 0
    assert loaded == entries
    assert _run(capsys, "verify", VK, tmp_path / "q2.json", tmp_path / "p2.json")[:2] == (0, "OK\n")


def _no_full_import(*args, **kwargs):
    raise AssertionError("the cached key should have been used")


def test_prove_validates_a_changed_zkey_afresh(tmp_path, capsys, cache_dir):
    zkey = tmp_path / "k.zkey"
    zkey.write_bytes(ZKEY.read_bytes())
    assert _run(capsys, "prove", zkey, WTNS, tmp_path / "p.json", tmp_path / "q.json")[0] == 0
    # the twin: the same path with other bytes (a point moved off the curve) is
    # not served from the cache but validated, and refused
    raw = bytearray(zkey.read_bytes())
    (offset, _), *_ = read_binfile(bytes(raw), b"zkey", (1,)).sections[9]  # the H query
    raw[offset] ^= 1
    zkey.write_bytes(bytes(raw))
    code, _, err = _run(capsys, "prove", zkey, WTNS, tmp_path / "p2.json", tmp_path / "q2.json")
    assert code == 2 and str(zkey) in err and not (tmp_path / "p2.json").exists()
    assert len(list(cache_dir.glob("*.pkey"))) == 1


def test_prove_no_cache_writes_nothing(tmp_path, capsys, cache_dir):
    argv = ["prove", "--no-cache", ZKEY, WTNS, tmp_path / "p.json", tmp_path / "q.json"]
    assert _run(capsys, *argv)[0] == 0
    assert not cache_dir.exists()
    other = tmp_path / "other"
    argv = ["prove", "--cache-dir", other, ZKEY, WTNS, tmp_path / "p.json", tmp_path / "q.json"]
    assert _run(capsys, *argv)[0] == 0
    assert len(list(other.glob("*.pkey"))) == 1 and not cache_dir.exists()
