"""The Poseidon gadget: its output against the textbook oracle for every width,
its constraint count against circom's, and a witness that satisfies it only
when honest: every wire it allocates, changed alone, breaks a constraint."""

from __future__ import annotations

import random

import pytest

from groth16_support import violations
from pouw._reference import poseidon as ref
from pouw.errors import ProofError
from pouw.zk import ConstraintSystem, gadgets
from pouw.zk import gadgets_poseidon as gp
from pouw.zk.constraint_system import LinearCombination, UnsatisfiedConstraint, Variable
from pouw.zk.field import R
from pouw.zk.poseidon_params import FULL_ROUNDS, PARTIAL_ROUNDS

WIDTHS_N = range(1, 17)

#: circom 2.2.3 with --O2 on circomlib's Poseidon(n), as measured for issue 10.
CIRCOM_O2 = {1: 213, 2: 240, 3: 261, 4: 297, 5: 321, 6: 354}

#: circomlib's test vectors (the issue's, which light-poseidon agrees on).
VECTORS = [
    ([1], 0x29176100EAA962BDC1FE6C654D6A3C130E96A4D1168B33848B897DC502820133),
    ([1, 2], 0x115CC0F5E7D690413DF64C6B9662E9CF2A3617F2743245519E19607A4417189A),
    ([1, 2, 3], 0x0E7732D89E6939C0FF03D5E58DAB6302F3230E269DC5B968F725DF34AB36D732),
    ([1, 2, 0, 0, 0], 0x024058DD1E168F34BAC462B6FFFE58FD69982807E9884C1C6148182319CEE427),
]


def circom_count(n: int) -> int:
    """Three constraints per S-box of ``Poseidon(n)``, less the constant first one."""
    t = n + 1
    return 3 * (FULL_ROUNDS * t + PARTIAL_ROUNDS[t - 2]) - 3


def hashed(values: list[int]) -> tuple[ConstraintSystem, list[Variable], LinearCombination]:
    cs = ConstraintSystem()
    xs = [cs.alloc_private(v, name=f"in{i}") for i, v in enumerate(values)]
    return cs, xs, gp.poseidon(cs, xs, name="h")


def edge_inputs(n: int, rng: random.Random) -> list[int]:
    return [rng.choice((0, 1, R - 1, rng.randrange(R))) for _ in range(n)]


def gadget_wires(cs: ConstraintSystem, first: int) -> list[Variable]:
    return [v for v in cs.variables() if v.index >= first]


def assert_each_wire_pinned(cs: ConstraintSystem, wires: list[Variable]) -> None:
    assert cs.first_violation() is None
    for w in wires:
        honest = cs.value(w)
        cs.assign(w, honest + 1)
        assert cs.first_violation() is not None, w
        cs.assign(w, honest)
    assert cs.first_violation() is None


# ---------------------------------------------------------------- counts


def test_the_formula_gives_circoms_measured_counts():
    assert {n: circom_count(n) for n in CIRCOM_O2} == CIRCOM_O2


@pytest.mark.parametrize("n", WIDTHS_N)
def test_constraints_are_at_most_circoms(n):
    cs, _, _ = hashed([0] * n)
    assert cs.n_constraints <= circom_count(n)
    assert cs.n_constraints == gp.poseidon_constraints(n) == circom_count(n)


def test_constant_inputs_cost_three_constraints_less_each():
    cs = ConstraintSystem()
    x, y = cs.alloc_private(5), cs.alloc_private(6)
    out = gp.poseidon(cs, [7, x, 0, y], name="h")
    assert cs.n_constraints == gp.poseidon_constraints(4, 2) == circom_count(4) - 6
    assert cs.value(out) == ref.poseidon([7, 5, 0, 6])
    cs.check()
    assert_each_wire_pinned(cs, gadget_wires(cs, y.index + 1))


def test_all_constant_inputs_give_the_constant_hash_and_no_constraint():
    cs = ConstraintSystem()
    out = gp.poseidon(cs, [1, 2])
    assert out.is_constant() and out.constant == VECTORS[1][1]
    assert (cs.n_constraints, cs.n_wires) == (0, 1)
    assert gp.poseidon_constraints(2, 2) == 0


# ---------------------------------------------------------------- values


@pytest.mark.parametrize(("inputs", "expected"), VECTORS)
def test_circomlibs_vectors(inputs, expected):
    cs, _, out = hashed(inputs)
    assert cs.value(out) == expected
    cs.check()


@pytest.mark.parametrize("n", WIDTHS_N)
def test_output_equals_the_oracle_for_every_width(n):
    rng = random.Random(n)
    cs, xs, out = hashed(edge_inputs(n, rng))
    # One circuit, several witnesses: random inputs, then all 0, all 1, all r - 1.
    for values in (None, [0] * n, [1] * n, [R - 1] * n, [rng.randrange(R) for _ in range(n)]):
        if values is not None:
            for x, v in zip(xs, values, strict=True):
                cs.assign(x, v)
        assert cs.value(out) == ref.poseidon([cs.value(x) for x in xs])
        cs.check()


def test_linear_combinations_as_inputs():
    cs = ConstraintSystem()
    x, y = cs.alloc_private(11), cs.alloc_private(R - 3)
    out = gp.poseidon(cs, [2 * x + 3, x - y, y])
    assert cs.value(out) == ref.poseidon([25, (11 - (R - 3)) % R, R - 3])
    cs.check()


def test_the_r1cs_agrees_with_an_independent_evaluation():
    cs, xs, _ = hashed([3, R - 1])
    r1cs = cs.to_r1cs()
    assert violations(r1cs, cs.witness().to_ints()) == []
    cs.assign(xs[0], 4)  # inputs changed: the hints recompute every wire
    assert violations(r1cs, cs.witness().to_ints()) == []
    w = cs.witness().to_ints()
    w[len(w) // 2] = (w[len(w) // 2] + 1) % R
    assert violations(r1cs, w) != []


# ---------------------------------------------------------------- rejects


@pytest.mark.parametrize("n", [1, 2])
def test_every_wire_changed_alone_breaks_a_constraint(n):
    cs, xs, _ = hashed([random.Random(n).randrange(R) for _ in range(n)])
    wires = gadget_wires(cs, xs[-1].index + 1)
    assert len(wires) == cs.n_constraints  # one new wire per constraint
    assert_each_wire_pinned(cs, wires)


@pytest.mark.parametrize("n", [3, 8, 16])
def test_sampled_wires_of_wider_hashes_are_pinned(n):
    cs, xs, _ = hashed([random.Random(n).randrange(R) for _ in range(n)])
    wires = gadget_wires(cs, xs[-1].index + 1)
    assert_each_wire_pinned(cs, wires[:6] + random.Random(n).sample(wires, 6) + wires[-3:])


def test_a_changed_output_breaks_the_output_constraint():
    cs, _, out = hashed([1, 2])
    assert isinstance(out, Variable)
    cs.assign(out, VECTORS[1][1] + 1)
    with pytest.raises(UnsatisfiedConstraint) as info:
        cs.check()
    assert info.value.name == "h.out"


def test_a_claimed_hash_holds_only_for_its_preimage():
    cs, xs, out = hashed([1, 2])
    claimed = cs.alloc_public(VECTORS[1][1], name="claimed")
    gadgets.assert_equal(cs, out, claimed, name="claim")
    cs.check()
    cs.assign(xs[1], 3)  # an honest witness for another preimage
    with pytest.raises(UnsatisfiedConstraint) as info:
        cs.check()
    assert info.value.name == "claim"


# ---------------------------------------------------------------- the witness


def test_one_trace_per_invocation_and_pass(monkeypatch):
    calls = []
    real = gp._native_trace

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(gp, "_native_trace", counting)
    cs = ConstraintSystem()
    h = cs.alloc_private(1)
    for k in range(3):
        h = gp.poseidon(cs, [h, k])
    cs.witness()
    cs.witness()
    assert len(calls) == 3
    cs.assign(next(cs.variables()), 2)
    assert cs.value(h) == ref.poseidon([ref.poseidon([ref.poseidon([2, 0]), 1]), 2])
    assert len(calls) == 6


def test_inputs_assigned_after_the_circuit_is_built():
    cs = ConstraintSystem()
    x = cs.alloc_private(name="x")
    out = gp.poseidon(cs, [x])
    with pytest.raises(ProofError, match="has no value"):
        cs.value(out)
    assert not cs.is_satisfied()
    cs.assign(x, 1)
    assert cs.value(out) == VECTORS[0][1]
    cs.check()


# ---------------------------------------------------------------- arguments


@pytest.mark.parametrize("n", [0, 17])
def test_width_out_of_range(n):
    with pytest.raises(ValueError, match=r"1\.\.16 inputs"):
        gp.poseidon(ConstraintSystem(), [1] * n)
    with pytest.raises(ValueError, match=r"1\.\.16 inputs"):
        gp.poseidon_constraints(n)


def test_inputs_of_another_system_or_not_linear_are_refused():
    other = ConstraintSystem().alloc_private(1)
    with pytest.raises(ValueError, match="different ConstraintSystems"):
        gp.poseidon(ConstraintSystem(), [other])
    with pytest.raises(TypeError, match="linear combinations or ints"):
        gp.poseidon(ConstraintSystem(), ["1"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="n_constant_inputs"):
        gp.poseidon_constraints(2, 3)


def test_reexported_from_gadgets():
    assert gadgets.poseidon is gp.poseidon


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 16])
def test_the_native_witness_is_the_python_rounds(n):
    """The kernel's recorded S-boxes (pouw._native.poseidon.trace) against the same
    rounds in Python ints (gp._trace), with every pattern of constant inputs that
    changes which first-round S-boxes emit wires."""
    rng = random.Random(n)
    tpl = gp._template(n + 1)
    n_sbox = tpl.p.full_rounds * tpl.p.t + tpl.p.partial_rounds
    for _ in range(3):
        xs = [rng.choice((0, 1, R - 1, rng.randrange(R))) for _ in range(n)]
        emits = [rng.random() < 0.7 for _ in range(n_sbox)]
        assert gp._native_trace(tpl, xs, emits) == gp._trace(tpl, xs, emits)
        assert gp._native_trace(tpl, xs, [True] * n_sbox)[-1] == ref.poseidon(xs)
