"""The trace circuits' proofs in the circom/snarkjs/Ethereum world, live.

- every tier's proof, with the verification key ``pouw keys vkey`` exports, is
  accepted by ``snarkjs groth16 verify`` (and another statement is not);
- a ceremony: ``pouw keys export-r1cs`` -> snarkjs powers of tau (2^11) and
  phase 2 (one contribution, a beacon) -> ``pouw keys import`` -> pouw proves
  with the ceremony's key and snarkjs accepts; a key of another circuit is
  refused at import;
- the tier's Solidity verifier (``pouw keys solidity``), compiled by solcjs and
  run in an in-memory EVM, accepts pouw's proof and refuses another fee.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from interop_tools import NodeTools, node_tools  # noqa: F401 - the session fixture
from pouw.cli import main as pouw_main
from pouw.errors import ProofError
from pouw.node.executor import Executor
from pouw.node.intents import Transfer
from pouw.node.state import AccountState
from pouw.prover import keys
from pouw.prover.circuits.tiers import circuit_for
from pouw.prover.groth16 import Groth16Prover
from pouw.zk.formats import proof_to_json, public_to_json
from pouw.zk.formats.solidity import solidity_calldata
from pouw.zk.groth16.proof_encoding import decode_proof

DEPTH = 4
JOB = "12" * 32


def _config(tmp: Path, depth: int = DEPTH) -> Path:
    path = tmp / "pouw.toml"
    path.write_text(
        f'[state]\nhash = "poseidon"\ndepth = {depth}\naccounts = 2\n'
        '[pouw]\nbatch_size = 2\n[prover]\nkeys = "keys"\n'
    )
    return path


def _trace(depth: int = DEPTH):
    size = 1 << depth
    state = AccountState.genesis(min(4, size), depth=depth, hash="poseidon")
    executor = Executor(coinbase=min(2, size - 1))
    return executor.execute_intent_with_trace(Transfer(0, 1, 9, 0), state)[1]


def _verifies(tools: NodeTools, d: Path, vk: str, public: list[int], proof) -> bool:
    (d / "public.json").write_text(json.dumps(public_to_json(public)))
    (d / "proof.json").write_text(json.dumps(proof_to_json(proof)))
    res = tools.snarkjs("groth16", "verify", vk, "public.json", "proof.json", cwd=d, check=False)
    return res.returncode == 0 and "OK" in res.stdout


def test_snarkjs_accepts_every_tiers_proof(node_tools, tmp_path):  # noqa: F811
    config = _config(tmp_path)
    assert pouw_main(["keys", "setup", str(config), "--tiers", "micro,macro,full"]) == 0
    trace = _trace()
    for tier in ("micro", "macro", "full"):
        assert (
            pouw_main(
                [
                    "keys",
                    "vkey",
                    str(config),
                    "--tier",
                    tier,
                    "-o",
                    str(tmp_path / f"{tier}.vk.json"),
                ]
            )
            == 0
        )
        circuit = circuit_for(tier, DEPTH, 2)
        prover = Groth16Prover(keys.load_keys(tmp_path / "keys", circuit), circuit)
        proof = decode_proof(prover.prove(trace, tier=tier, job_id=JOB))
        public = circuit.public_inputs(trace, tier=tier, job_id=JOB)
        assert _verifies(node_tools, tmp_path, f"{tier}.vk.json", public, proof), tier
        other = list(public)
        other[3] += 1  # another fee
        assert not _verifies(node_tools, tmp_path, f"{tier}.vk.json", other, proof)


def test_a_snarkjs_ceremony_on_the_exported_circuit(node_tools, tmp_path):  # noqa: F811
    depth = 1  # Micro at depth 1: under 2^11 rows, a quick powers of tau
    config = _config(tmp_path, depth)
    d = tmp_path

    def sj(*args: object) -> None:
        node_tools.snarkjs(*args, cwd=d)

    assert (
        pouw_main(["keys", "export-r1cs", str(config), "--tier", "micro", str(d / "micro.r1cs")])
        == 0
    )
    sj("powersoftau", "new", "bn128", "11", "pot_0.ptau")
    sj("powersoftau", "contribute", "pot_0.ptau", "pot_1.ptau", "--name=t", "-e=entropy")
    sj("powersoftau", "prepare", "phase2", "pot_1.ptau", "pot.ptau")
    sj("groth16", "setup", "micro.r1cs", "pot.ptau", "micro_0.zkey")
    sj("zkey", "contribute", "micro_0.zkey", "micro_1.zkey", "--name=t", "-e=more entropy")
    sj(
        "zkey",
        "beacon",
        "micro_1.zkey",
        "micro.zkey",
        "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "10",
    )
    sj("zkey", "export", "verificationkey", "micro.zkey", "vk.json")
    assert pouw_main(["keys", "import", str(config), "--tier", "micro", str(d / "micro.zkey")]) == 0

    circuit = circuit_for("micro", depth)
    prover = Groth16Prover(keys.load_keys(d / "keys", circuit), circuit)
    trace = _trace(depth)
    proof = decode_proof(prover.prove(trace, tier="micro", job_id=JOB))
    public = circuit.public_inputs(trace, tier="micro", job_id=JOB)
    assert _verifies(node_tools, d, "vk.json", public, proof)
    other = list(public)
    other[2] += 1  # another step digest
    assert not _verifies(node_tools, d, "vk.json", other, proof)

    # a key of another circuit (the Macro tier's, same depth) is refused at import
    from pouw.zk.formats.zkey_writer import write_zkey
    from pouw.zk.groth16.generator import setup

    other_pk, _ = setup(circuit_for("macro", depth).compiled.r1cs, random.Random(3))
    write_zkey(d / "other.zkey", other_pk)
    with pytest.raises(ProofError, match="not for the micro circuit"):
        keys.import_zkey(d / "keys2", circuit, d / "other.zkey")
    assert not (d / "keys2").exists() or not any((d / "keys2").iterdir())


def test_the_solidity_verifier_accepts_a_macro_proof(node_tools, tmp_path):  # noqa: F811
    config = _config(tmp_path)
    assert pouw_main(["keys", "setup", str(config), "--tiers", "macro"]) == 0
    assert (
        pouw_main(
            [
                "keys",
                "solidity",
                str(config),
                "--tier",
                "macro",
                "-o",
                str(tmp_path / "Verifier.sol"),
            ]
        )
        == 0
    )
    res = node_tools.run("solcjs", "--bin", "--abi", "-o", "out", "Verifier.sol", cwd=tmp_path)
    assert "Error" not in res.stderr, res.stderr
    bytecode = (tmp_path / "out" / "Verifier_sol_Groth16Verifier.bin").read_text().strip()
    circuit = circuit_for("macro", DEPTH)
    prover = Groth16Prover(keys.load_keys(tmp_path / "keys", circuit), circuit)
    trace = _trace()
    proof = decode_proof(prover.prove(trace, tier="macro", job_id=JOB))
    public = circuit.public_inputs(trace, tier="macro", job_id=JOB)
    other = list(public)
    other[3] += 1

    def words(p: list[int]) -> list[str]:
        a, b, c, inputs = json.loads(f"[{solidity_calldata(proof, p)}]")
        return [hex(int(w, 16)) for w in [*a, *b[0], *b[1], *c, *inputs]]

    sig = "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[6])"
    calls = [{"signature": sig, "words": words(p)} for p in (public, other)]
    results = node_tools.evm_calls(bytecode, calls)
    assert [int(r["result"], 16) for r in results] == [1, 0]


def test_snarkjs_accepts_a_proof_the_node_exported_from_its_ledger(node_tools, tmp_path):  # noqa: F811
    # the node proves its own intents (local mode, Full tier: one proof for two
    # entries), `pouw proof export` writes one, snarkjs verifies it as written
    from pouw.node import NodeConfig, NodeContext, generate_intents

    config = tmp_path / "node.toml"
    config.write_text(
        'pouw_mode = "local"\nzk_mode = "groth16"\n[pouw]\ntier = "full"\nbatch_size = 2\n'
        f'[prover]\nkeys = "keys"\n[state]\nhash = "poseidon"\ndepth = {DEPTH}\naccounts = 8\n'
        '[workers]\ncount = 0\n[store]\npath = "jobs.sqlite3"\n'
    )
    assert pouw_main(["keys", "setup", str(config)]) == 0
    ctx = NodeContext.from_config(NodeConfig.from_toml(config))
    ctx.submit_intents(generate_intents(2, seed=5, n_accounts=8))
    ctx.process_all()
    first, second = ctx.ledger.entries
    job_id = first.meta.job_ids[0]
    assert second.meta.job_ids == [job_id] and first.meta.proven
    ctx.close()
    out = tmp_path / "out"
    assert pouw_main(["proof", "export", str(config), job_id, "-o", str(out)]) == 0
    assert (
        pouw_main(["keys", "vkey", str(config), "--tier", "full", "-o", str(out / "vk.json")]) == 0
    )
    res = node_tools.snarkjs("groth16", "verify", "vk.json", "public.json", "proof.json", cwd=out)
    assert "OK" in res.stdout
    public = json.loads((out / "public.json").read_text())
    public[3] = str(int(public[3]) + 1)  # another fee
    (out / "public.json").write_text(json.dumps(public))
    res = node_tools.snarkjs(
        "groth16", "verify", "vk.json", "public.json", "proof.json", cwd=out, check=False
    )
    assert "OK" not in res.stdout
