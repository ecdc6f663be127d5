"""The native witness program against the system's own Python hints, and its defences."""

from __future__ import annotations

import random

import numpy as np
import pytest

from pouw.zk import gadgets as g
from pouw.zk.constraint_system import ConstraintSystem
from pouw.zk.field import FrArray, R
from pouw.zk.witness_program import WitnessCompileError, WitnessProgram, compile_witness


def _mixed(depth: int = 5) -> tuple[ConstraintSystem, list]:
    """Every gadget kind: bits, is_zero, select, inverse, mul, Poseidon with constant
    inputs, a Merkle update; inputs public and private."""
    cs = ConstraintSystem()
    x = cs.alloc_private(None, "x")
    y = cs.alloc_public(None, "y")
    acct = cs.alloc_private(None, "acct")
    sibs = [cs.alloc_private(None, f"sib{i}") for i in range(depth)]
    bits = g.to_bits(cs, acct, depth, "acct")
    old = g.poseidon(cs, [x, y, 5], "old")
    new = g.poseidon(cs, [x + 1, 7 * y], "new")
    z = g.is_zero(cs, x - 3, "z")
    s = g.select(cs, z, x, y, "s")
    g.inverse(cs, y + 1, "inv")
    o, n = g.merkle_update(cs, old, new, bits, sibs, bits_are_boolean=True, name="m")
    cs.mul(o, n + s, "prod")
    g.range_check(cs, s, 253, "range")
    return cs, [x, y, acct, *sibs]


def _run_both(cs: ConstraintSystem, inputs: list, values: list[int]) -> tuple[list, list]:
    prog = compile_witness(cs, inputs)
    for v, val in zip(inputs, values, strict=True):
        cs.assign(v, val)
    return cs.witness().to_ints(), prog.run(FrArray.from_ints(values)).to_ints()


@pytest.mark.parametrize("seed", range(6))
def test_program_matches_the_python_hints(seed: int) -> None:
    rng = random.Random(seed)
    cs, inputs = _mixed()
    values = [rng.randrange(R) for _ in inputs]
    values[0] = rng.choice([3, 0, R - 1, values[0]])  # is_zero both ways
    values[1] = rng.choice([R - 1, values[1]])  # y + 1 = 0: the inverse's zero case
    values[2] = rng.randrange(1 << 5)
    values[3] = rng.choice([0, values[3]])
    python, native = _run_both(cs, inputs, values)
    assert native == python
    assert native[0] == 1
    assert cs.is_satisfied() == (values[1] != R - 1)  # inverse(0) has no witness


@pytest.mark.parametrize("n", range(1, 17))
def test_every_poseidon_width_and_constant_pattern(n: int) -> None:
    rng = random.Random(n)
    cs = ConstraintSystem()
    xs = [cs.alloc_private(None, f"x{i}") for i in range(n)]
    # constants in a random subset of the positions (not all: that hashes at build time)
    const = [rng.random() < 0.4 for _ in range(n)]
    const[rng.randrange(n)] = False
    out = g.poseidon(cs, [rng.randrange(R) if c else x for c, x in zip(const, xs, strict=True)])
    cs.mul(out, 1)
    values = [rng.randrange(R) for _ in xs]
    python, native = _run_both(cs, xs, values)
    assert native == python
    assert cs.is_satisfied()


def test_public_inputs_sit_first_in_wire_order() -> None:
    cs = ConstraintSystem()
    a = cs.alloc_private(None, "a")
    b = cs.alloc_public(None, "b")
    cs.enforce(a, a, b)
    prog = compile_witness(cs, [a, b])
    assert prog.n_public == 1 and prog.n_wires == 3
    assert prog.run(FrArray.from_ints([3, 9])).to_ints() == [1, 9, 3]


def test_an_opaque_hint_is_named() -> None:
    cs = ConstraintSystem()
    a = cs.alloc_private(None, "a")
    cs.alloc_private(lambda: 5, "opaque")
    with pytest.raises(WitnessCompileError, match="'opaque'.*opaque"):
        compile_witness(cs, [a])
    cs2 = ConstraintSystem()
    cs2.alloc_private(None, "lonely")
    with pytest.raises(WitnessCompileError, match="'lonely'.*no hint"):
        compile_witness(cs2, [])


def test_inputs_must_be_distinct_variables_of_the_system() -> None:
    cs = ConstraintSystem()
    a = cs.alloc_private(None, "a")
    with pytest.raises(WitnessCompileError, match="not a new variable"):
        compile_witness(cs, [a, a])
    other = ConstraintSystem().alloc_private(None)
    with pytest.raises(ValueError):
        compile_witness(cs, [other])


def test_input_count_and_shapes_are_checked() -> None:
    cs, inputs = _mixed(3)
    prog = compile_witness(cs, inputs)
    with pytest.raises(ValueError, match="inputs"):
        prog.run(FrArray.from_ints([1, 2]))
    with pytest.raises(TypeError):
        prog.run([1, 2, 3])  # type: ignore[arg-type]


def test_arrays_round_trip() -> None:
    cs, inputs = _mixed(3)
    prog = compile_witness(cs, inputs)
    again = WitnessProgram.from_arrays(prog.arrays())
    values = FrArray.from_ints(list(range(1, len(inputs) + 1)))
    assert again.run(values) == prog.run(values)


def _corrupt(arrays: dict, name: str, index: int, value: int) -> dict:
    out = {k: v.copy() for k, v in arrays.items()}
    out[name].reshape(-1)[index] = value
    return out


@pytest.mark.parametrize(
    ("name", "where", "value"),
    [
        ("code", 0, 99),  # unknown op
        ("code", 1, 10**9),  # output past the variables
        ("code", 2, 10**6),  # input slot past the inputs
        ("code", -1, 10**6),  # an LC index past the table
        ("lc_var", 0, -5),  # an LC term's variable out of range
        ("lc_ptr", -1, 3),  # the table's end does not match its terms
        ("sizes", 0, 2),  # fewer variables than the order lists
        ("order", 0, 1),  # not a permutation
    ],
)
def test_a_corrupt_program_is_refused(name: str, where: int, value: int) -> None:
    cs, inputs = _mixed(3)
    arrays = compile_witness(cs, inputs).arrays()
    with pytest.raises(ValueError):
        WitnessProgram.from_arrays(_corrupt(arrays, name, where, value))


def test_a_non_canonical_coefficient_is_refused() -> None:
    cs, inputs = _mixed(3)
    arrays = compile_witness(cs, inputs).arrays()
    arrays["lc_coef"] = arrays["lc_coef"].copy()
    arrays["lc_coef"][0] = np.iinfo(np.uint64).max
    with pytest.raises(ValueError, match="field element"):
        WitnessProgram.from_arrays(arrays)


def test_a_poseidon_record_with_a_bad_width_is_refused() -> None:
    cs = ConstraintSystem()
    x = cs.alloc_private(None)
    g.poseidon(cs, [x, x + 1])
    arrays = compile_witness(cs, [x]).arrays()
    code = arrays["code"]
    at = int(np.flatnonzero(code == 6)[0])  # the Poseidon op
    bad = dict(arrays, code=code.copy())
    bad["code"][at + 2] = 40
    with pytest.raises(ValueError):
        WitnessProgram.from_arrays(bad)
    bad["code"][at + 2] = 4  # a width whose record would be longer than the code
    with pytest.raises(ValueError):
        WitnessProgram.from_arrays(bad)
