"""Solidity export: the calldata decodes to the proof's points (EIP-196/197),
matches snarkjs's, and the generated contract compiles with solcjs and, run in
an in-memory EVM with the real precompiles, accepts the proof and rejects
every tampered one -- x + r included (iden3/snarkjs#480)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from groth16_support import VECTORS
from interop_tools import node_tools  # noqa: F401 - the session fixture
from pouw.errors import CurveError
from pouw.zk import Q, R, decode_g1, decode_g2
from pouw.zk.formats import (
    proof_from_json,
    public_from_json,
    solidity_calldata,
    solidity_verifier,
    vk_from_json,
)

VK = vk_from_json((VECTORS / "verification_key.json").read_text())
PROOF = proof_from_json((VECTORS / "proof.json").read_text())
PUBLIC = public_from_json((VECTORS / "public.json").read_text())
SIGNATURE = "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[2])"


def _words(calldata: str) -> list[int]:
    a, b, c, *inputs = json.loads(f"[{calldata}]")
    flat = [*a, *b[0], *b[1], *c, *(inputs[0] if inputs else [])]
    return [int(w, 16) for w in flat]


def _bytes(words: list[int]) -> bytes:
    return b"".join(w.to_bytes(32, "big") for w in words)


def test_calldata_decodes_to_the_proof_points():
    w = _words(solidity_calldata(PROOF, PUBLIC))
    assert decode_g1(_bytes(w[0:2])) == PROOF.a
    assert decode_g2(_bytes(w[2:6])) == PROOF.b  # imaginary part first, as EIP-197
    assert decode_g1(_bytes(w[6:8])) == PROOF.c
    assert w[8:] == PUBLIC


def test_calldata_is_snarkjs_calldata():
    ours = solidity_calldata(PROOF, PUBLIC)
    theirs = (VECTORS / "calldata.txt").read_text()
    assert ours == "".join(theirs.split())


def test_calldata_in_snarkjs_json_order_would_not_decode():
    """The twin: B with the real part first (snarkjs's JSON order) is not a G2 point."""
    w = _words(solidity_calldata(PROOF, PUBLIC))
    swapped = [w[3], w[2], w[5], w[4]]
    with pytest.raises(CurveError):  # off the twist or outside the subgroup
        decode_g2(_bytes(swapped))


@pytest.mark.parametrize("bad", [R, R + 5, -1])
def test_calldata_refuses_inputs_outside_the_scalar_field(bad):
    with pytest.raises(ValueError, match="not in \\[0, r\\)"):
        solidity_calldata(PROOF, [PUBLIC[0], bad])


def test_contract_checks_inputs_against_r_not_q():
    src = solidity_verifier(VK)
    assert f"uint256 internal constant R = {R};" in src
    assert "if (input[i] >= R) return false;" in src
    assert "input[i] >= Q" not in src
    assert "uint256[2] calldata input" in src and "N_PUBLIC = 2;" in src


def test_contract_without_public_inputs_takes_no_input_array():
    src = solidity_verifier(dataclasses.replace(VK, ic=VK.ic[:1]))
    assert "calldata input" not in src and "N_PUBLIC = 0;" in src


# ---------------------------------------------------------------- with solcjs and an EVM


def _compile(node_tools, tmp_path: Path, source: str) -> str:  # noqa: F811
    (tmp_path / "Verifier.sol").write_text(source)
    res = node_tools.run("solcjs", "--bin", "--abi", "-o", "out", "Verifier.sol", cwd=tmp_path)
    assert "Error" not in res.stderr, res.stderr
    return (tmp_path / "out" / "Verifier_sol_Groth16Verifier.bin").read_text().strip()


def test_contract_compiles_with_and_without_public_inputs(node_tools, tmp_path):  # noqa: F811
    assert _compile(node_tools, tmp_path, solidity_verifier(VK))
    assert _compile(node_tools, tmp_path, solidity_verifier(dataclasses.replace(VK, ic=VK.ic[:1])))


def test_contract_accepts_the_proof_and_rejects_tampered_ones(node_tools, tmp_path):  # noqa: F811
    bytecode = _compile(node_tools, tmp_path, solidity_verifier(VK))
    good = _words(solidity_calldata(PROOF, PUBLIC))
    cases = {
        "valid": good,
        "input + r (snarkjs#480)": good[:9] + [good[9] + R],
        "input + q": good[:9] + [good[9] + Q],
        "other input": good[:9] + [good[9] + 1],
        "swapped inputs": good[:8] + [good[9], good[8]],
        "A negated": good[:1] + [Q - good[1]] + good[2:],
        "A.x + q": [good[0] + Q] + good[1:],
        "B in JSON order": good[:2] + [good[3], good[2], good[5], good[4]] + good[6:],
        "C off the curve": good[:7] + [(good[7] + 1) % Q] + good[8:],
        "C replaced by A": good[:6] + good[0:2] + good[8:],
        "A at infinity": [0, 0] + good[2:],
        "B at infinity": good[:2] + [0, 0, 0, 0] + good[6:],
        "C at infinity": good[:6] + [0, 0] + good[8:],
    }
    calls = [{"signature": SIGNATURE, "words": [hex(w) for w in ws]} for ws in cases.values()]
    results = node_tools.evm_calls(bytecode, calls)
    verdicts = {
        name: r["ok"] and int(r["result"], 16) == 1 for name, r in zip(cases, results, strict=True)
    }
    assert verdicts == {name: name == "valid" for name in cases}
    assert all(r["ok"] for r in results), "the verifier must return false, never revert"


def test_contract_verifies_pouw_proofs_with_and_without_public_inputs(node_tools, tmp_path):  # noqa: F811
    """pouw's own setup and prover, checked on chain: a circuit with two public
    inputs and one with none (whose verifyProof takes a, b, c only)."""
    import random

    from pouw.zk import ConstraintSystem
    from pouw.zk.groth16 import prove, setup

    def circuit(public: bool) -> ConstraintSystem:
        cs = ConstraintSystem()
        alloc = cs.alloc_public if public else cs.alloc_private
        x, y = cs.alloc_private(6), alloc(7)
        cs.enforce(x, y, alloc(42))
        return cs

    for public, n in ((True, 2), (False, 0)):
        cs = circuit(public)
        pk, vk = setup(cs, rng=random.Random(n))
        proof = prove(pk, cs)
        assert vk.n_public == n
        bytecode = _compile(node_tools, tmp_path, solidity_verifier(vk))
        good = _words(solidity_calldata(proof, cs.public_inputs()))
        bad = good[:6] + good[0:2] + good[8:]  # C replaced by A
        sig = "verifyProof(uint256[2],uint256[2][2],uint256[2]" + (",uint256[2])" if n else ")")
        calls = [{"signature": sig, "words": [hex(w) for w in ws]} for ws in (good, bad)]
        results = node_tools.evm_calls(bytecode, calls)
        assert [int(r["result"], 16) for r in results] == [1, 0], (public, results)
