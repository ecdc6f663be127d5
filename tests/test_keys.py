"""The trace circuits' keys (pouw.prover.keys, `pouw keys ...`) and the config keys they read."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from pouw.cli import main as pouw_main
from pouw.errors import ConfigError, ProofError
from pouw.node.config import NodeConfig
from pouw.prover import keys
from pouw.prover.circuits.builder import r1cs_digest
from pouw.prover.circuits.tiers import circuit_for
from pouw.status import JobTier
from pouw.zk.formats.r1cs import read_r1cs
from pouw.zk.formats.zkey_writer import write_zkey
from pouw.zk.groth16.generator import setup

DEPTH = 2


def _config(tmp: Path, **extra: str) -> Path:
    path = tmp / "pouw.toml"
    lines = [
        f'[state]\nhash = "poseidon"\ndepth = {DEPTH}\naccounts = 2',
        '[prover]\nkeys = "keys"',
    ]
    if extra:
        lines.append("[pouw]\n" + "\n".join(f"{k} = {v}" for k, v in extra.items()))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_config_reads_tier_batch_size_and_key_directory(tmp_path) -> None:
    config = NodeConfig.from_toml(_config(tmp_path, tier='"full"', batch_size="16"))
    assert config.tier is JobTier.FULL and config.batch_size == 16
    assert config.keys_dir == tmp_path / "keys"  # relative to the config file
    assert NodeConfig().tier is JobTier.MACRO and NodeConfig().batch_size == 4
    assert NodeConfig().keys_dir is None
    for bad, key in (
        ({"pouw": {"tier": "huge"}}, "pouw.tier"),
        ({"pouw": {"batch_size": 0}}, "pouw.batch_size"),
        ({"prover": {"keys": ""}}, "prover.keys"),
    ):
        with pytest.raises(ConfigError, match=key):
            NodeConfig.from_dict(bad)
    assert NodeConfig.from_dict(config.to_dict()) == NodeConfig.from_dict(
        config.to_dict(), source=None
    )


def test_setup_load_and_prove(tmp_path) -> None:
    circuit = circuit_for("macro", DEPTH)
    path = keys.setup_keys(tmp_path, circuit, random.Random(1))
    assert path.name == f"macro-d{DEPTH}-{circuit.digest[:16]}.pkey"
    pk = keys.load_keys(tmp_path, circuit)
    witness, publics = keys.sample_witness(circuit)
    from pouw.zk.groth16.prover import prove
    from pouw.zk.groth16.verifier import verify

    proof = prove(pk, witness)
    assert verify(pk.vk, publics, proof)
    assert not verify(pk.vk, [publics[0], *publics[1:3], publics[3] + 1, *publics[4:]], proof)


def test_a_missing_key_names_the_command_that_makes_it(tmp_path) -> None:
    with pytest.raises(keys.KeyMissing, match="pouw keys setup CONFIG --tiers full"):
        keys.load_keys(tmp_path, circuit_for("full", DEPTH, 3))


def test_a_key_of_another_circuit_under_this_name_is_refused(tmp_path) -> None:
    micro, macro = circuit_for("micro", DEPTH), circuit_for("macro", DEPTH)
    keys.setup_keys(tmp_path, micro, random.Random(2))
    keys.key_path(tmp_path, micro).rename(keys.key_path(tmp_path, macro))
    with pytest.raises(ProofError, match="not for the macro circuit"):
        keys.load_keys(tmp_path, macro)


def test_a_damaged_key_file_is_refused(tmp_path) -> None:
    circuit = circuit_for("micro", DEPTH)
    path = keys.setup_keys(tmp_path, circuit, random.Random(3))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.raises(ProofError):
        keys.load_keys(tmp_path, circuit)


def test_import_checks_the_matrices_and_a_trial_proof(tmp_path) -> None:
    circuit = circuit_for("micro", DEPTH)
    pk, _ = setup(circuit.compiled.r1cs, random.Random(4))
    write_zkey(tmp_path / "ok.zkey", pk)
    path = keys.import_zkey(tmp_path / "keys", circuit, tmp_path / "ok.zkey")
    assert keys.load_keys(tmp_path / "keys", circuit).n_wires == pk.n_wires
    assert path.exists()
    # same sizes, another circuit's A matrix: one coefficient changed
    other = circuit_for("micro", DEPTH + 1)
    pk2, _ = setup(other.compiled.r1cs, random.Random(5))
    write_zkey(tmp_path / "other.zkey", pk2)
    with pytest.raises(ProofError, match="micro circuit"):
        keys.import_zkey(tmp_path / "keys3", circuit, tmp_path / "other.zkey")
    with pytest.raises(ProofError, match="cannot read"):
        keys.import_zkey(tmp_path, circuit, tmp_path / "absent.zkey")


def test_import_refuses_a_key_made_for_another_c_matrix(tmp_path) -> None:
    """A and B equal, C not: only the trial proof can tell (a .zkey has no C), and
    it does for a coefficient on a wire the sample witness sets."""
    from pouw.zk.field import FrArray, R
    from pouw.zk.r1cs import R1CS, SparseMatrix

    circuit = circuit_for("micro", DEPTH)
    r = circuit.compiled.r1cs
    witness, _ = keys.sample_witness(circuit)
    w = witness.to_ints()
    k = next(i for i, col in enumerate(r.c.cols.tolist()) if col > r.n_public and w[col])
    ints = r.c.values.to_ints()
    ints[k] = (ints[k] + 1) % R
    c = SparseMatrix(r.c.row_ptr, r.c.cols, FrArray.from_ints(ints))
    pk, _ = setup(R1CS(r.n_wires, r.n_public, r.a, r.b, c), random.Random(6))
    write_zkey(tmp_path / "forged.zkey", pk)
    with pytest.raises(ProofError, match="does not verify"):
        keys.import_zkey(tmp_path / "keys", circuit, tmp_path / "forged.zkey")
    assert not keys.key_path(tmp_path / "keys", circuit).exists()


def test_export_r1cs_round_trips(tmp_path) -> None:
    circuit = circuit_for("full", DEPTH, 2)
    keys.export_r1cs(circuit, tmp_path / "full.r1cs")
    back = read_r1cs(tmp_path / "full.r1cs")
    assert r1cs_digest(back) == circuit.digest
    assert back.n_public == 6


def test_cli_setup_list_vkey_and_errors(tmp_path, capsys) -> None:
    config = _config(tmp_path, tier='"micro"')
    assert pouw_main(["keys", "setup", str(config)]) == 0  # the config's tier by default
    out = capsys.readouterr()
    assert "DEVELOPMENT keys, unsafe for production" in out.err
    assert out.out.startswith("micro: ")
    assert pouw_main(["keys", "list", str(config)]) == 0
    listing = capsys.readouterr().out
    assert "micro: " in listing and "key present" in listing and "key missing" in listing
    assert pouw_main(["keys", "vkey", str(config), "--tier", "micro"]) == 0
    assert '"nPublic": 6' in capsys.readouterr().out
    assert pouw_main(["keys", "vkey", str(config), "--tier", "macro"]) == 2
    assert "pouw keys setup" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        pouw_main(["keys", "setup", str(config), "--tiers", "micro,mega"])
    assert pouw_main(["keys", "list", str(tmp_path / "absent.toml")]) == 2


def test_an_unlabelled_key_file_is_checked_by_its_matrices(tmp_path) -> None:
    """Key files saved without the circuit label (pouw groth16 import, say) are
    compared matrix by matrix."""
    from pouw.zk.groth16.keyfile import save_proving_key

    micro, macro = circuit_for("micro", DEPTH), circuit_for("macro", DEPTH)
    pk, _ = setup(micro.compiled.r1cs, random.Random(8))
    save_proving_key(pk, keys.key_path(tmp_path, micro))
    assert "label" not in keys.load_keys(tmp_path, micro).cache
    pk2, _ = setup(circuit_for("micro", DEPTH + 1).compiled.r1cs, random.Random(9))
    save_proving_key(pk2, keys.key_path(tmp_path, macro))
    with pytest.raises(ProofError, match="macro circuit"):
        keys.load_keys(tmp_path, macro)
    labelled = keys.setup_keys(tmp_path / "l", micro, random.Random(10))
    assert keys.load_keys(tmp_path / "l", micro).cache["label"]["circuit"] == micro.digest
    assert labelled.exists()
