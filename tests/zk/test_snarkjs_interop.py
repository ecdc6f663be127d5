"""snarkjs round trips, live: a .circom circuit compiled by circom2, its witness
and a small ceremony (powers of tau 2^8, one contribution per phase) by
snarkjs 0.7.6; proofs by pouw verified by ``snarkjs groth16 verify``, proofs
by snarkjs verified by pouw, and pouw's development keys used by snarkjs.
Each accepting check has a rejecting twin.  About 10 s in all."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from groth16_support import VECTORS
from interop_tools import INTEROP, NodeTools, node_tools  # noqa: F401 - the session fixture
from pouw.errors import ProofError
from pouw.zk import ConstraintSystem, R
from pouw.zk import gadgets as g
from pouw.zk.formats import (
    proof_from_json,
    proof_to_json,
    public_from_json,
    public_to_json,
    read_r1cs,
    read_wtns,
    read_zkey,
    vk_from_json,
    vk_to_json,
)
from pouw.zk.formats.binfile import read_binfile
from pouw.zk.formats.zkey_writer import write_zkey, zkey_bytes
from pouw.zk.groth16 import prove, setup, verify

# x0 = 2, x1 = 3, x2 = 5: the public signals are [out, x1, x2].
INPUT = {"x0": "2", "x1": "3", "x2": "5"}


def _expected_out() -> int:
    y = 2
    for _ in range(40):
        y = (y * y + 3) % R
    return y * 5 % R


@dataclass(frozen=True)
class Ceremony:
    dir: Path
    tools: NodeTools

    def path(self, name: str) -> Path:
        return self.dir / name

    def snarkjs(self, *args: object, check: bool = True):  # noqa: ANN201
        return self.tools.snarkjs(*args, cwd=self.dir, check=check)

    def snarkjs_verifies(self, vk: str, public: str, proof: str) -> bool:
        res = self.snarkjs("groth16", "verify", vk, public, proof, check=False)
        ok = res.returncode == 0 and "OK" in res.stdout
        assert ok or res.returncode != 0, "snarkjs must exit non-zero for an invalid proof"
        return ok


@pytest.fixture(scope="module")
def ceremony(node_tools, tmp_path_factory) -> Ceremony:  # noqa: F811
    """circom2 compile, powers of tau 2^8, Groth16 setup and contribution,
    verification key, witness: the snarkjs tutorial's flow, once per module."""
    d = tmp_path_factory.mktemp("ceremony")
    c = Ceremony(d, node_tools)
    node_tools.run("circom2", INTEROP / "chain.circom", "--r1cs", "--wasm", "-o", ".", cwd=d)
    c.snarkjs("powersoftau", "new", "bn128", "8", "pot_0.ptau")
    c.snarkjs(
        "powersoftau", "contribute", "pot_0.ptau", "pot_1.ptau", "--name=t", "-e=test entropy"
    )
    c.snarkjs("powersoftau", "prepare", "phase2", "pot_1.ptau", "pot.ptau")
    c.snarkjs("groth16", "setup", "chain.r1cs", "pot.ptau", "chain_0.zkey")
    c.snarkjs("zkey", "contribute", "chain_0.zkey", "chain.zkey", "--name=t", "-e=more entropy")
    c.snarkjs("zkey", "export", "verificationkey", "chain.zkey", "vk.json")
    (d / "input.json").write_text(json.dumps(INPUT))
    c.snarkjs("wtns", "calculate", "chain_js/chain.wasm", "input.json", "chain.wtns")
    return c


def _write(path: Path, obj: object) -> None:
    path.write_text(json.dumps(obj))


def test_pouw_reads_the_ceremony_key_as_snarkjs_exports_it(ceremony):
    _, vk = read_zkey(ceremony.path("chain.zkey"))
    assert vk_to_json(vk) == json.loads(ceremony.path("vk.json").read_text())
    assert vk_from_json(ceremony.path("vk.json").read_text()) == vk


def test_pouw_proof_verifies_under_snarkjs(ceremony):
    pk, _ = read_zkey(ceremony.path("chain.zkey"))
    w = read_wtns(ceremony.path("chain.wtns"))
    public = w[1 : pk.n_public + 1].to_ints()
    assert public == [_expected_out(), 3, 5]
    _write(ceremony.path("pouw_proof.json"), proof_to_json(prove(pk, w)))
    _write(ceremony.path("pouw_public.json"), public_to_json(public))
    assert ceremony.snarkjs_verifies("vk.json", "pouw_public.json", "pouw_proof.json")
    # the twin: another public input, same proof
    _write(ceremony.path("other_public.json"), public_to_json([public[0], 4, 5]))
    assert not ceremony.snarkjs_verifies("vk.json", "other_public.json", "pouw_proof.json")


def test_snarkjs_proof_verifies_under_pouw(ceremony):
    ceremony.snarkjs(
        "groth16", "prove", "chain.zkey", "chain.wtns", "sj_proof.json", "sj_public.json"
    )
    vk = vk_from_json(ceremony.path("vk.json").read_text())
    proof = proof_from_json(ceremony.path("sj_proof.json").read_text())
    public = public_from_json(ceremony.path("sj_public.json").read_text(), vk.n_public)
    assert public == [_expected_out(), 3, 5]
    assert verify(vk, public, proof)
    assert not verify(vk, [public[0], 3, 6], proof)
    # x + r is refused when read, never reduced into a valid statement (snarkjs#358)
    with pytest.raises(ProofError, match="not below r"):
        public_from_json([str(public[0]), str(3 + R), "5"], vk.n_public)


def test_an_unsatisfied_witness_is_refused_by_pouw(ceremony):
    pk, _ = read_zkey(ceremony.path("chain.zkey"))
    w = read_wtns(ceremony.path("chain.wtns")).to_ints()
    w[-1] = (w[-1] + 1) % R
    with pytest.raises(ProofError):
        prove(pk, w)


def test_pouw_development_keys_work_in_snarkjs(ceremony):
    """pouw setup -> .zkey: snarkjs exports the same verification key, proves
    with it, and pouw verifies snarkjs's proof (and vice versa)."""
    r1cs = read_r1cs(ceremony.path("chain.r1cs"))
    pk, vk = setup(r1cs)
    write_zkey(ceremony.path("pouw.zkey"), pk)
    _write(ceremony.path("pouw_vk.json"), vk_to_json(vk))
    ceremony.snarkjs("zkey", "export", "verificationkey", "pouw.zkey", "pouw_vk_sj.json")
    assert json.loads(ceremony.path("pouw_vk_sj.json").read_text()) == vk_to_json(vk)
    ceremony.snarkjs("groth16", "prove", "pouw.zkey", "chain.wtns", "p.json", "pub.json")
    assert ceremony.snarkjs_verifies("pouw_vk.json", "pub.json", "p.json")
    assert verify(
        vk,
        public_from_json(ceremony.path("pub.json").read_text()),
        proof_from_json(ceremony.path("p.json").read_text()),
    )
    # the twin: the ceremony's key is another circuit key for the same R1CS
    assert not ceremony.snarkjs_verifies("vk.json", "pub.json", "p.json")


def test_constraint_system_circuit_verifies_under_snarkjs(ceremony):
    """A circuit built with pouw.zk.ConstraintSystem, keys by pouw, checked by snarkjs."""
    cs = ConstraintSystem()
    x = cs.alloc_private(13, name="x")
    bits = g.to_bits(cs, x, 8, name="x")
    y = cs.alloc_public(name="y")
    cs.enforce(x, x + 1, y, name="y = x(x+1)")
    flag = cs.alloc_public(1, name="flag")
    out = g.select(cs, flag, bits[0], bits[1], name="out")
    g.assert_equal(cs, out, 1)
    cs.assign(y, 13 * 14)
    cs.check()
    pk, vk = setup(cs)
    _write(ceremony.path("cs_vk.json"), vk_to_json(vk))
    _write(ceremony.path("cs_proof.json"), proof_to_json(prove(pk, cs)))
    _write(ceremony.path("cs_public.json"), public_to_json(cs.public_inputs()))
    assert cs.public_inputs() == [182, 1]
    assert ceremony.snarkjs_verifies("cs_vk.json", "cs_public.json", "cs_proof.json")
    _write(ceremony.path("cs_wrong.json"), public_to_json([183, 1]))
    assert not ceremony.snarkjs_verifies("cs_vk.json", "cs_wrong.json", "cs_proof.json")


# ---------------------------------------------------------------- the .zkey writer (no node needed)


def test_written_zkey_is_snarkjs_zkey_section_for_section():
    """Read snarkjs's key, write it back: sections 1-9 are byte-identical
    (only the contributions, section 10, are left empty)."""
    path = VECTORS / "mul.zkey"
    pk, _ = read_zkey(path)
    ours = read_binfile(zkey_bytes(pk), b"zkey", (1,))
    theirs = read_binfile(path, b"zkey", (1,))
    for kind in range(1, 10):
        assert bytes(ours.section(kind, "")) == bytes(theirs.section(kind, "")), kind
    assert bytes(ours.section(10, "")) == bytes(64) + b"\0\0\0\0"


def test_written_zkey_of_a_development_key_reads_back(tmp_path):
    pk, vk = setup(read_r1cs(VECTORS / "mul.r1cs"))
    write_zkey(tmp_path / "k.zkey", pk)
    pk2, vk2 = read_zkey(tmp_path / "k.zkey")
    assert vk2 == vk and pk2.domain_size == pk.domain_size
    for name in ("a_query", "b_g1_query", "b_g2_query", "c_query", "h_query"):
        assert getattr(pk2, name).to_ints() == getattr(pk, name).to_ints(), name
    w = read_wtns(VECTORS / "mul.wtns")
    assert verify(vk, [168, 5], prove(pk2, w))
    # the twin: a truncated file is refused with a clear error, not a crash
    (tmp_path / "cut.zkey").write_bytes((tmp_path / "k.zkey").read_bytes()[:-10])
    with pytest.raises(ProofError):
        read_zkey(tmp_path / "cut.zkey")
