"""Groth16 setup, prove and verify: proofs that pouw's verifier and an
independent py_ecc check accept, and every kind of wrong proof they refuse."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groth16_support import (
    chain,
    first_violation,
    py_ecc_verify,
    random_circuit,
    twist_point_outside_subgroup,
)
from pouw.errors import ProofError
from pouw.zk.curve import G1_GENERATOR, G2_GENERATOR, g1_add, g1_neg, g2_add
from pouw.zk.field import FrArray, Q, R
from pouw.zk.groth16 import Proof, check_proof, prepare, prove, setup, verify


@pytest.fixture(scope="module")
def keys():
    r1cs, w = chain(20)
    pk, vk = setup(r1cs, rng=random.Random(7))
    return r1cs, w, pk, vk


@pytest.fixture(scope="module")
def proof(keys):
    _, w, pk, _ = keys
    return prove(pk, w, rng=random.Random(8))


def test_proof_verifies_under_pouw_and_py_ecc(keys, proof):
    _, w, _, vk = keys
    assert verify(vk, w[1:3], proof)
    assert py_ecc_verify(vk, w[1:3], proof)


def test_wrong_public_input_fails_under_pouw_and_py_ecc(keys, proof):
    _, w, _, vk = keys
    wrong = [w[1], (w[2] + 1) % R]
    assert not verify(vk, wrong, proof)
    assert not py_ecc_verify(vk, wrong, proof)


def test_public_inputs_as_frarray(keys, proof):
    _, w, _, vk = keys
    assert verify(vk, FrArray.from_ints(w[1:3]), proof)
    assert not verify(vk, FrArray.from_ints([w[1], w[2] + 1]), proof)


@pytest.mark.parametrize("part", ["a", "b", "c"])
def test_tampered_proof_fails(keys, proof, part):
    _, w, _, vk = keys
    if part == "a":
        bad = Proof(g1_add(proof.a, G1_GENERATOR), proof.b, proof.c)
    elif part == "b":
        bad = Proof(proof.a, g2_add(proof.b, G2_GENERATOR), proof.c)
    else:
        bad = Proof(proof.a, proof.b, g1_neg(proof.c))
    assert not verify(vk, w[1:3], bad)


def test_other_circuits_key_fails(keys, proof):
    _, w, _, _ = keys
    other, _ = chain(20, x=4)
    _, vk_other = setup(other, rng=random.Random(9))
    assert not verify(vk_other, w[1:3], proof)
    # Same circuit, other setup: a different key, the proof fails too.
    r1cs, _, _, _ = keys
    _, vk_again = setup(r1cs, rng=random.Random(10))
    assert not verify(vk_again, w[1:3], proof)


def test_proofs_are_randomised_and_all_verify(keys):
    _, w, pk, vk = keys
    p1, p2 = prove(pk, w), prove(pk, w)
    assert p1 != p2  # fresh r, s: malleable, never an identity
    assert verify(vk, w[1:3], p1) and verify(vk, w[1:3], p2)


def test_seeded_rng_is_reproducible(keys):
    _, w, pk, _ = keys
    assert prove(pk, w, rng=random.Random(1)) == prove(pk, w, rng=random.Random(1))
    assert prove(pk, w, rng=random.Random(1)) != prove(pk, w, rng=random.Random(2))


def test_one_thread_gives_a_valid_proof(keys):
    _, w, pk, vk = keys
    assert verify(vk, w[1:3], prove(pk, w, threads=1))


def test_prepared_key_verifies_like_the_plain_key(keys, proof):
    _, w, _, vk = keys
    pvk = prepare(vk)
    assert verify(pvk, w[1:3], proof)
    assert not verify(pvk, w[1:2] + [w[1]], proof)


# ---------------------------------------------------------------- untrusted inputs


@pytest.mark.parametrize(
    "public, why",
    [
        (lambda w: [w[1]], "1 public inputs"),
        (lambda w: [w[1], w[2], 0], "3 public inputs"),
        (lambda w: [w[1], w[2] + R], r"not in \[0, r\)"),
        (lambda w: [w[1] - R, w[2]], r"not in \[0, r\)"),
        (lambda w: [w[1], True], "not an integer"),
        (lambda w: [w[1], float(w[2])], "not an integer"),
    ],
)
def test_bad_public_inputs_are_rejected_never_reduced(keys, proof, public, why):
    _, w, _, vk = keys
    assert not verify(vk, public(w), proof)
    with pytest.raises(ProofError, match=why):
        check_proof(vk, public(w), proof)


def test_public_input_plus_r_is_rejected(keys, proof):
    # Accepting x + r would let the proof be replayed for a "different" statement.
    _, w, _, vk = keys
    assert verify(vk, [w[1], w[2]], proof)
    assert not verify(vk, [w[1] + R, w[2]], proof)


@pytest.mark.parametrize(
    "tamper, why",
    [
        (lambda p: Proof((p.a[0], p.a[1] + 1), p.b, p.c), "not on the curve"),
        (lambda p: Proof((p.a[0], p.a[1] + Q), p.b, p.c), "not below"),
        (lambda p: Proof(p.a, p.b, (p.c[0] + Q, p.c[1])), "not below"),
        (lambda p: Proof(p.a, ((p.b[0][0], p.b[0][1]), (p.b[1][0], p.b[1][1] + 1)), p.c), "not on"),
        (lambda p: Proof(None, p.b, p.c), "infinity"),  # type: ignore[arg-type]
        (lambda p: Proof(p.a, p.b, None), "infinity"),  # type: ignore[arg-type]
        (lambda p: Proof((1, 2, 3), p.b, p.c), "malformed"),  # type: ignore[arg-type]
    ],
)
def test_malformed_proof_points_are_rejected(keys, proof, tamper, why):
    _, w, _, vk = keys
    bad = tamper(proof)
    assert not verify(vk, w[1:3], bad)
    with pytest.raises(ProofError, match=why):
        check_proof(vk, w[1:3], bad)


def test_g2_point_outside_the_subgroup_is_rejected(keys, proof):
    off = twist_point_outside_subgroup()
    _, w, _, vk = keys
    bad = Proof(proof.a, off, proof.c)
    assert not verify(vk, w[1:3], bad)
    with pytest.raises(ProofError, match="subgroup"):
        check_proof(vk, w[1:3], bad)


# ---------------------------------------------------------------- witnesses


def test_unsatisfied_witness_is_refused_naming_the_constraint(keys):
    r1cs, w, pk, _ = keys
    bad = list(w)
    bad[3 + 7] = (bad[3 + 7] + 1) % R  # y_7 wrong: constraint 6 (y_7 = y_6^2 + x) breaks first
    assert first_violation(r1cs, bad) == 6
    with pytest.raises(ProofError, match="violates constraint 6:"):
        prove(pk, bad)


def test_satisfied_witness_has_no_violation(keys):
    r1cs, w, _, _ = keys
    assert first_violation(r1cs, w) is None


@pytest.mark.parametrize(
    "mutate, why",
    [
        (lambda w: w[:-1], "values, the circuit"),
        (lambda w: [2, *w[1:]], "must be 1"),
        (lambda w: [1, R, *w[2:]], r"\[0, r\)"),
        (lambda w: [1, -1, *w[2:]], r"\[0, r\)"),
    ],
)
def test_malformed_witness_is_refused(keys, mutate, why):
    _, w, pk, _ = keys
    with pytest.raises(ProofError, match=why):
        prove(pk, mutate(w))


def test_witness_from_a_constraint_system_like_object(keys):
    _, w, pk, vk = keys

    class Assigned:
        def witness(self) -> FrArray:
            return FrArray.from_ints(w)

    assert verify(vk, w[1:3], prove(pk, Assigned()))


def test_zkey_style_key_without_c_still_refuses_a_bad_witness(keys):
    import dataclasses

    _, w, pk, vk = keys
    no_c = dataclasses.replace(pk, c=None, cache={})
    assert verify(vk, w[1:3], prove(no_c, w))
    bad = list(w)
    bad[5] = (bad[5] + 1) % R
    with pytest.raises(ProofError, match="does not satisfy"):
        prove(no_c, bad)


def test_prove_from_a_constraint_system_names_the_constraint_even_without_c():
    """A ConstraintSystem is checked by itself first: its UnsatisfiedConstraint
    names the constraint (index and name) even for a key with no C matrix
    (as imported from a .zkey), where the prover alone could not."""
    import dataclasses

    from pouw.zk import ConstraintSystem
    from pouw.zk.constraint_system import UnsatisfiedConstraint

    cs = ConstraintSystem()
    x = cs.alloc_private(3, name="x")
    y = cs.alloc_public(9, name="y")
    cs.enforce(x, x, y, name="y = x^2")
    pk, vk = setup(cs, rng=random.Random(11))
    no_c = dataclasses.replace(pk, c=None, cache={})
    assert verify(vk, [9], prove(no_c, cs))
    cs.assign(y, 10)
    with pytest.raises(UnsatisfiedConstraint, match="constraint 0 \\('y = x\\^2'\\)"):
        prove(no_c, cs)


@pytest.mark.parametrize("field", ["alpha_g1", "beta_g2", "gamma_g2", "delta_g2", "ic"])
def test_verifying_key_with_a_point_at_infinity_is_refused(keys, proof, field):
    """With gamma (or delta) at infinity the pairing check ignores the public
    inputs (or C): such a key would accept a proof for any statement."""
    import dataclasses

    from pouw.errors import CurveError

    _, w, _, vk = keys
    bad = dataclasses.replace(vk, **{field: (vk.ic[0], None) if field == "ic" else None})
    with pytest.raises(CurveError, match="infinity"):
        prepare(bad)
    with pytest.raises(CurveError, match="infinity"):
        verify(bad, w[1:3], proof)
    assert verify(prepare(vk), w[1:3], proof)  # the twin: the intact key


def test_setup_rejects_what_is_not_a_circuit():
    with pytest.raises(TypeError, match="R1CS"):
        setup(object())


# ---------------------------------------------------------------- random circuits


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    n_wires=st.integers(2, 9),
    m=st.integers(1, 12),
    data=st.data(),
)
def test_random_circuits_prove_and_verify(seed, n_wires, m, data):
    n_public = data.draw(st.integers(0, n_wires - 1))
    rng = random.Random(seed)
    r1cs, w = random_circuit(rng, n_wires, n_public, m)
    pk, vk = setup(r1cs, rng=rng)
    proof = prove(pk, w, rng=rng)
    assert verify(vk, w[1 : n_public + 1], proof)
    if n_public:
        wrong = list(w[1 : n_public + 1])
        wrong[0] = (wrong[0] + 1) % R
        assert not verify(vk, wrong, proof)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32), n_wires=st.integers(3, 9), m=st.integers(1, 12))
def test_random_unsatisfied_witness_is_refused(seed, n_wires, m):
    rng = random.Random(seed)
    r1cs, w = random_circuit(rng, n_wires, 1, m)
    pk, _ = setup(r1cs, rng=rng)
    bad = list(w)
    j = rng.randrange(1, n_wires)
    bad[j] = (bad[j] + rng.randrange(1, R)) % R
    expected = first_violation(r1cs, bad)
    if expected is None:  # the changed wire is in no constraint: still a valid witness
        prove(pk, bad)
        return
    with pytest.raises(ProofError, match=f"violates constraint {expected}:"):
        prove(pk, bad)


def test_random_circuit_py_ecc_cross_check():
    rng = random.Random(2024)
    r1cs, w = random_circuit(rng, 7, 3, 9)
    pk, vk = setup(r1cs, rng=rng)
    proof = prove(pk, w, rng=rng)
    assert verify(vk, w[1:4], proof) and py_ecc_verify(vk, w[1:4], proof)
    assert not py_ecc_verify(vk, [w[1], w[2], (w[3] + 1) % R], proof)


@pytest.mark.parametrize("group", ["g1", "g2"])
def test_setup_fixed_base_multiplication_matches_mul(group):
    from pouw.zk.curve import G1Array, G2Array
    from pouw.zk.groth16.generator import _fixed_base

    cls, gen = (G1Array, G1_GENERATOR) if group == "g1" else (G2Array, G2_GENERATOR)
    ks = [0, 1, 2, 255, 256, R - 1, 2**255 % R, *FrArray.random(40, 3).to_ints()]
    got = _fixed_base(cls, gen, FrArray.from_ints(ks))
    assert got == cls.from_ints([gen] * len(ks)).mul(ks)
    assert got[0] is None  # [0] gen is the point at infinity
    assert got != cls.from_ints([gen] * len(ks)).mul([k + 1 for k in ks])


def test_concurrent_proofs_from_one_key_all_verify(keys):
    from concurrent.futures import ThreadPoolExecutor

    _, w, pk, vk = keys
    with ThreadPoolExecutor(4) as pool:
        proofs = list(pool.map(lambda _: prove(pk, w), range(8)))
    assert all(verify(vk, w[1:3], p) for p in proofs)
    assert len({(p.a, p.c) for p in proofs}) == 8
