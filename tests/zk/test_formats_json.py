"""snarkjs JSON converters: files written by snarkjs 0.7.6 (tests/vectors/groth16)
read back exactly, and every malformed or non-canonical input is refused with
a ProofError naming the field (never reduced, never a crash)."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groth16_support import VECTORS, py_ecc_verify, twist_point_outside_subgroup
from pouw.errors import ProofError
from pouw.zk import G1_GENERATOR, G2_GENERATOR, FrArray, Q, R, g1_mul, g2_mul
from pouw.zk.formats import (
    proof_from_json,
    proof_to_json,
    public_from_json,
    public_to_json,
    vk_from_json,
    vk_to_json,
)
from pouw.zk.groth16.keys import Proof


def _load(name: str):
    return json.loads((VECTORS / name).read_text())


PROOF, VK, PUBLIC = _load("proof.json"), _load("verification_key.json"), _load("public.json")


# ---------------------------------------------------------------- snarkjs's own files


def test_snarkjs_files_read_back_exactly():
    vk, proof = vk_from_json(VK), proof_from_json(PROOF)
    assert vk.n_public == 2 and public_from_json(PUBLIC, vk.n_public) == [168, 5]
    assert vk_to_json(vk) == VK  # vk_alphabeta_12 included
    assert proof_to_json(proof) == PROOF
    assert public_to_json([168, 5]) == PUBLIC
    assert vk.gamma_g2 == G2_GENERATOR  # [c0, c1] order: snarkjs's gamma is the generator


def test_snarkjs_proof_satisfies_the_groth16_equation():
    vk, proof = vk_from_json(VK), proof_from_json(PROOF)
    assert py_ecc_verify(vk, [168, 5], proof)


@pytest.mark.parametrize("public", [[169, 5], [168, 6], [5, 168]])
def test_snarkjs_proof_fails_for_other_public_inputs(public):
    vk, proof = vk_from_json(VK), proof_from_json(PROOF)
    assert not py_ecc_verify(vk, public, proof)


def test_text_and_bytes_are_accepted():
    text = (VECTORS / "proof.json").read_text()
    assert proof_from_json(text) == proof_from_json(text.encode()) == proof_from_json(PROOF)


@given(st.integers(1, R - 1), st.integers(1, R - 1), st.integers(1, R - 1))
def test_random_proofs_round_trip_through_json_text(ka, kb, kc):
    proof = Proof(g1_mul(G1_GENERATOR, ka), g2_mul(G2_GENERATOR, kb), g1_mul(G1_GENERATOR, kc))
    assert proof_from_json(json.dumps(proof_to_json(proof))) == proof


def test_public_to_json_takes_fr_arrays_and_refuses_out_of_range_ints():
    assert public_to_json(FrArray.from_ints([0, R - 1])) == ["0", str(R - 1)]
    for bad in (R, -1, R + 5):
        with pytest.raises(ValueError, match="not in \\[0, r\\)"):
            public_to_json([1, bad])
    with pytest.raises(TypeError):
        public_to_json([True])


# ---------------------------------------------------------------- malformed input


def _mutate(doc, path, value):
    out = copy.deepcopy(doc)
    node = out
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


_DELETE = object()
_X = int(PROOF["pi_a"][0])
_OUTSIDE = twist_point_outside_subgroup()

PROOF_CASES = [
    (("pi_a", 0), _X, "pi_a\\[0\\]: expected a decimal string, got int"),
    (("pi_a", 0), hex(_X), "pi_a\\[0\\]: .* is not a decimal string"),
    (("pi_a", 0), "-1", "not a decimal string"),
    (("pi_a", 0), " 1", "not a decimal string"),
    (("pi_a", 0), "1e3", "not a decimal string"),
    (("pi_a", 0), "0" + str(_X), "leading zeros"),
    (("pi_a", 0), "9" * 100, "not a decimal string"),
    (("pi_a", 0), str(_X + Q), "pi_a\\[0\\]: .* not below q"),  # x + q: never reduced
    (("pi_a", 1), str(Q), "not below q"),
    (("pi_a", 1), str((int(PROOF["pi_a"][1]) + 1) % Q), "pi_a: .*curve"),
    (("pi_a", 2), "0", "pi_a: .*infinity is refused"),
    (("pi_a", 2), "2", 'pi_a: .*z = "1"'),
    (("pi_a",), PROOF["pi_a"][:2], "pi_a: expected a list of 3, got a list of 2"),
    (("pi_a",), "1", "pi_a: expected a list of 3, got str"),
    (("pi_b", 0), PROOF["pi_b"][0][::-1], "pi_b"),  # EIP-197 order by mistake: off the twist
    (("pi_b", 0, 1), str(int(PROOF["pi_b"][0][1]) + Q), "pi_b\\[0\\]\\[1\\]: .*not below q"),
    (("pi_b", 2), ["1", "1"], "pi_b: .*infinity is refused"),
    (("pi_b", 1), ["1"], "pi_b\\[1\\]: expected a list of 2"),
    (
        ("pi_b",),
        [[str(c) for c in _OUTSIDE[0]], [str(c) for c in _OUTSIDE[1]], ["1", "0"]],
        "subgroup",
    ),
    (("pi_c",), _DELETE, "missing pi_c"),
    (("protocol",), "plonk", "protocol 'plonk'"),
    (("curve",), "bls12381", "curve 'bls12381'"),
]


@pytest.mark.parametrize("path, value, message", PROOF_CASES)
def test_malformed_proofs_are_refused(path, value, message):
    doc = _mutate(PROOF, path, value)
    with pytest.raises(ProofError, match=message):
        proof_from_json(doc)


def test_rapidsnark_style_proofs_without_curve_are_accepted():
    doc = _mutate(PROOF, ("curve",), _DELETE)
    assert proof_from_json(doc) == proof_from_json(PROOF)


@pytest.mark.parametrize("data", ["[1, 2", b"\xff", [], "null", 5])
def test_non_objects_and_bad_json_are_refused(data):
    with pytest.raises(ProofError, match="proof.json"):
        proof_from_json(data)


VK_CASES = [
    (("nPublic",), 3, "IC: expected nPublic \\+ 1 = 4 points, got 3"),
    (("nPublic",), "2", "nPublic: expected a non-negative integer"),
    (("nPublic",), -1, "nPublic"),
    (("IC",), _DELETE, "missing IC"),
    (("IC", 2, 1), "1", "IC\\[2\\]: .*curve"),
    (("vk_delta_2", 0, 0), str(Q), "vk_delta_2\\[0\\]\\[0\\]: .*not below q"),
    (
        ("vk_gamma_2",),
        [[str(c) for c in _OUTSIDE[0]], [str(c) for c in _OUTSIDE[1]], ["1", "0"]],
        "vk_gamma_2 .*subgroup",
    ),
    (("vk_alpha_1", 2), "0", "vk_alpha_1: .*infinity"),
    (("vk_alphabeta_12", 1), [], "vk_alphabeta_12\\[1\\]: expected a list of 3"),
    (("vk_alphabeta_12", 0, 0, 0), str(Q), "vk_alphabeta_12\\[0\\]\\[0\\]\\[0\\]: .*not below q"),
]


@pytest.mark.parametrize("path, value, message", VK_CASES)
def test_malformed_verifying_keys_are_refused(path, value, message):
    with pytest.raises(ProofError, match=message):
        vk_from_json(_mutate(VK, path, value))


def test_verifying_key_without_alphabeta_is_accepted():
    assert vk_from_json(_mutate(VK, ("vk_alphabeta_12",), _DELETE)) == vk_from_json(VK)


@pytest.mark.parametrize(
    "doc, n_public, message",
    [
        (["168", str(5 + R)], 2, "public.json\\[1\\]: .* not below r"),  # x + r: snarkjs#358
        (["168", str(R)], 2, "not below r"),
        ([168, "5"], 2, "public.json\\[0\\]: expected a decimal string, got int"),
        (["-5"], None, "not a decimal string"),
        (["168"], 2, "1 public inputs, the verifying key takes 2"),
        (["168", "5", "0"], 2, "3 public inputs"),
        ({"0": "1"}, None, "expected a list"),
    ],
)
def test_malformed_public_inputs_are_refused(doc, n_public, message):
    with pytest.raises(ProofError, match=message):
        public_from_json(doc, n_public)


def test_public_inputs_at_the_top_of_the_range_are_accepted():
    assert public_from_json([str(R - 1), "0"], 2) == [R - 1, 0]
