"""ConstraintSystem and gadgets, against a plain-Python evaluation of the R1CS
they compile to: every gadget holds with its honest witness and breaks with
each dishonest one; linear combinations agree with Python integer sums."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from groth16_support import violations
from pouw.errors import ProofError
from pouw.zk import ConstraintSystem, Fr, R
from pouw.zk import gadgets as g
from pouw.zk.constraint_system import UnsatisfiedConstraint, Violation
from pouw.zk.r1cs import SparseMatrix

# ---------------------------------------------------------------- the oracle


def _rows(m: SparseMatrix) -> list[dict[int, int]]:
    ptr, cols, vals = m.row_ptr.tolist(), m.cols.tolist(), m.values.to_ints()
    return [
        dict(zip(cols[ptr[i] : ptr[i + 1]], vals[ptr[i] : ptr[i + 1]], strict=True))
        for i in range(len(ptr) - 1)
    ]


def holds(cs: ConstraintSystem) -> bool:
    """The system's own verdict, checked against the oracle on its R1CS."""
    bad = violations(cs.to_r1cs(), cs.witness().to_ints())
    first = cs.first_violation()
    assert (first.index if first else None) == (bad[0] if bad else None)
    assert cs.is_satisfied() == (not bad)
    return not bad


# ---------------------------------------------------------------- basics


def test_wire_order_puts_publics_first_whatever_the_allocation_order():
    cs = ConstraintSystem()
    p1 = cs.alloc_private(2, name="p1")
    x1 = cs.alloc_public(3, name="x1")
    p2 = cs.alloc_private(5, name="p2")
    x2 = cs.alloc_public(15, name="x2")
    cs.enforce(x1, p2, x2)
    cs.enforce(p1 + x1, 1, p2)
    assert cs.witness().to_ints() == [1, 3, 15, 2, 5]
    assert cs.public_inputs() == [3, 15]
    r1cs = cs.to_r1cs()
    assert (r1cs.n_wires, r1cs.n_public, r1cs.n_constraints) == (5, 2, 2)
    # constraint 0: wire 1 (x1) * wire 4 (p2) = wire 2 (x2)
    assert _rows(r1cs.a)[0] == {1: 1} and _rows(r1cs.b)[0] == {4: 1}
    assert _rows(r1cs.c)[0] == {2: 1}
    assert _rows(r1cs.a)[1] == {1: 1, 3: 1} and _rows(r1cs.b)[1] == {0: 1}
    assert holds(cs)
    cs.assign(x2, 16)
    assert not holds(cs)


def test_csr_arrays_have_the_documented_types():
    cs = ConstraintSystem()
    x = cs.alloc_private(4)
    cs.enforce(x * 3 + 1, x, cs.mul(x, 13))
    r1cs = cs.to_r1cs()
    for m in (r1cs.a, r1cs.b, r1cs.c):
        assert m.row_ptr.dtype == np.int64 and m.cols.dtype == np.int64
        assert m.row_ptr[0] == 0 and m.row_ptr[-1] == m.nnz == len(m.values)
        assert (m.cols < r1cs.n_wires).all()


def test_first_violation_names_the_constraint_and_check_raises():
    cs = ConstraintSystem()
    x = cs.alloc_private(3)
    y = cs.alloc_public(9)
    cs.enforce(x, x, y, name="square")
    cs.enforce(x, 2, 6)  # unnamed
    cs.check()
    cs.assign(y, 10)
    assert cs.first_violation() == Violation(0, "square")
    with pytest.raises(UnsatisfiedConstraint, match=r"constraint 0 \('square'\)") as info:
        cs.check()
    assert (info.value.index, info.value.name) == (0, "square")
    assert isinstance(info.value, ProofError)
    cs.assign(y, 9)
    cs.assign(x, -3)  # still a square root of 9, but 2x != 6
    assert cs.first_violation() == Violation(1, None)
    with pytest.raises(UnsatisfiedConstraint, match=r"^constraint 1 is not satisfied"):
        cs.check()


def test_unassigned_variables_are_reported_not_guessed():
    cs = ConstraintSystem()
    x = cs.alloc_private(name="x")
    y = cs.mul(x, x, name="x2")
    assert not cs.is_satisfied()
    with pytest.raises(ProofError, match="'x'"):
        cs.witness()
    with pytest.raises(ProofError, match="'x'"):
        cs.value(y)
    cs.assign(x, 7)  # the hint of x2 now has its input
    assert cs.value(y) == 49 and holds(cs)
    cs.assign(x, 8)  # a later assign is seen by the hints
    assert cs.value(y) == 64 and holds(cs)


def test_a_hint_may_read_only_earlier_variables():
    cs = ConstraintSystem()
    box: list = []
    early = cs.alloc_private(lambda: cs.value(box[0]) + 1, name="early")
    box.append(cs.alloc_private(5, name="late"))
    with pytest.raises(ProofError, match="'early' .*'late' \\(#2\\), allocated after it"):
        cs.value(early)
    cs.assign(early, 6)  # an explicit value needs no hint
    assert cs.value(early) == 6


def test_linear_combination_operators():
    cs = ConstraintSystem()
    x, y = cs.alloc_private(10), cs.alloc_public(20)
    assert cs.value(x + y) == 30
    assert cs.value(x - y) == (10 - 20) % R
    assert cs.value(3 * x + y * 2 - 1) == 69
    assert cs.value(-x) == R - 10
    assert cs.value(1 - x) == (1 - 10) % R
    assert cs.value(x * Fr(5)) == 50
    assert cs.value(cs.one * 4 + cs.constant(-1)) == 3
    assert (x - x).terms == {} and (x * R).terms == {}
    assert (x + 5).constant == 5 and not (x + 5).is_constant() and (x - x + 2).is_constant()


def test_linear_combination_rejects_non_linear_and_foreign_operands():
    cs, other = ConstraintSystem(), ConstraintSystem()
    x, y = cs.alloc_private(1), other.alloc_private(1)
    with pytest.raises(TypeError, match="not linear"):
        x * x  # noqa: B018
    with pytest.raises(TypeError):
        x * 1.5  # noqa: B018
    with pytest.raises(TypeError):
        x + "1"  # noqa: B018
    with pytest.raises(ValueError, match="different ConstraintSystems"):
        x + y  # noqa: B018
    with pytest.raises(ValueError, match="another ConstraintSystem"):
        cs.enforce(y, 1, 1)
    with pytest.raises(TypeError, match="int"):
        cs.alloc_private(1.5)  # type: ignore[arg-type]


@given(
    coeffs=st.lists(st.integers(min_value=-(2**300), max_value=2**300), min_size=1, max_size=6),
    values=st.lists(st.integers(min_value=0, max_value=R - 1), min_size=6, max_size=6),
    constant=st.integers(min_value=-(2**260), max_value=2**260),
    publics=st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_random_linear_combinations_match_python_sums(coeffs, values, constant, publics):
    cs = ConstraintSystem()
    vs = [
        cs.alloc_public(v) if pub else cs.alloc_private(v)
        for v, pub in zip(values, publics, strict=True)
    ]
    lc = cs.constant(constant)
    for k, c in enumerate(coeffs):
        lc = lc + vs[k] * c if k % 2 else lc - c * vs[k]
    expect = (constant + sum((c if k % 2 else -c) * values[k] for k, c in enumerate(coeffs))) % R
    assert cs.value(lc) == expect
    out = cs.alloc_private(expect)
    cs.enforce(lc, 1, out)
    assert holds(cs)
    cs.assign(out, expect + 1)
    assert not holds(cs)


@st.composite
def random_circuits(draw):
    """Random products ``v_k = lc1 · lc2`` over earlier variables, some public."""
    cs = ConstraintSystem()
    vars_ = [cs.alloc_private(draw(st.integers(0, R - 1)))]
    for k in range(draw(st.integers(1, 8))):
        pick = st.lists(st.tuples(st.sampled_from(vars_), st.integers(-5, 5)), max_size=3)
        a = sum((v * c for v, c in draw(pick)), cs.constant(draw(st.integers(-3, 3))))
        b = sum((v * c for v, c in draw(pick)), cs.constant(draw(st.integers(-3, 3))))
        out = (cs.alloc_public if draw(st.booleans()) else cs.alloc_private)(name=f"out{k}")
        cs.assign(out, cs.value(a) * cs.value(b))
        cs.enforce(a, b, out, name=f"c{k}")
        vars_.append(out)
    return cs, vars_


@given(random_circuits(), st.data())
def test_random_circuits_compile_to_an_equivalent_r1cs(circuit, data):
    cs, vars_ = circuit
    assert holds(cs)
    victim = data.draw(st.sampled_from(vars_[1:]))
    cs.assign(victim, cs.value(victim) + data.draw(st.integers(1, R - 1)))
    assert not holds(cs)


# ---------------------------------------------------------------- gadgets


def _cs_with(value: int) -> tuple[ConstraintSystem, object]:
    cs = ConstraintSystem()
    return cs, cs.alloc_private(value, name="x")


@pytest.mark.parametrize("value, ok", [(0, True), (1, True), (2, False), (R - 1, False)])
def test_boolean(value, ok):
    cs, x = _cs_with(value)
    g.boolean(cs, x, name="b")
    assert holds(cs) is ok


@pytest.mark.parametrize(
    "value, ok", [(0, True), (11, True), (15, True), (16, False), (R - 1, False)]
)
def test_range_check(value, ok):
    cs, x = _cs_with(value)
    g.range_check(cs, x, 4, name="rc")
    assert holds(cs) is ok
    if not ok:  # the honest bits of an out-of-range value break the sum
        assert cs.first_violation() == Violation(4, "rc.sum")


def test_to_bits_rejects_every_dishonest_bit_assignment():
    cs, x = _cs_with(0b1011)
    bits = g.to_bits(cs, x, 4, name="xb")
    assert [cs.value(b) for b in bits] == [1, 1, 0, 1] and holds(cs)
    for i, b in enumerate(bits):
        cs.assign(b, 1 - cs.value(b))  # a flipped bit: the sum breaks
        assert cs.first_violation() == Violation(4, "xb.sum")
        cs.assign(b, 2)  # a non-bit: its boolean constraint breaks first
        assert cs.first_violation() == Violation(i, f"xb.bit{i}")
        cs.assign(b, (0b1011 >> i) & 1)
        assert holds(cs)
    # x + R wraps to x: still the same bits, no second decomposition exists
    cs.assign(x, 0b1011 + R)
    assert holds(cs)


def test_to_bits_cannot_prove_a_wrapped_value_small():
    """x = R - 1 with bits of a 'negative' decomposition: no 253-bit sum hits it."""
    cs, x = _cs_with(R - 1)
    bits = g.to_bits(cs, x, 253)
    assert not holds(cs)
    for b in bits:
        cs.assign(b, 1)  # the largest 253-bit sum, 2^253 - 1, is still below R - 1
    assert not holds(cs)


@pytest.mark.parametrize("n_bits", [0, 254, -1])
def test_to_bits_rejects_widths_that_would_not_be_unique(n_bits):
    cs, x = _cs_with(1)
    with pytest.raises(ValueError, match="n_bits"):
        g.to_bits(cs, x, n_bits)


@pytest.mark.parametrize("a, b, ok", [(5, 5, True), (5, 6, False), (0, R, True)])
def test_assert_equal(a, b, ok):
    cs = ConstraintSystem()
    g.assert_equal(cs, cs.alloc_private(a), cs.alloc_public(b), name="eq")
    assert holds(cs) is ok


@pytest.mark.parametrize("value", [0, 1, 7, R - 1])
def test_is_zero_honest_and_every_dishonest_output(value):
    cs, x = _cs_with(value)
    z = g.is_zero(cs, x, name="z")
    assert cs.value(z) == int(value == 0) and holds(cs)
    inv = next(v for v in cs.variables() if v.name == "z.inv")
    honest_inv = cs.value(inv)
    cs.assign(z, 1 - cs.value(z))  # the wrong answer breaks it, whatever inv is
    for candidate in (0, 1, honest_inv, pow(value, -1, R) if value else 5):
        cs.assign(inv, candidate)
        assert not holds(cs)
    cs.assign(z, 2)
    assert not holds(cs)


@pytest.mark.parametrize("a, b", [(3, 3), (3, 4), (0, R - 1)])
def test_is_equal(a, b):
    cs = ConstraintSystem()
    e = g.is_equal(cs, cs.alloc_private(a), cs.alloc_private(b), name="e")
    assert cs.value(e) == int(a % R == b % R) and holds(cs)
    cs.assign(e, 1 - cs.value(e))
    assert not holds(cs)


@pytest.mark.parametrize("cond", [0, 1])
def test_select_honest_and_dishonest(cond):
    cs = ConstraintSystem()
    c = cs.alloc_private(cond, name="c")
    out = g.select(cs, c, cs.alloc_private(10), cs.alloc_private(20), name="s")
    assert cs.value(out) == (10 if cond else 20) and holds(cs)
    cs.assign(out, 20 if cond else 10)  # the other branch
    assert not holds(cs)
    cs.assign(out, 10 if cond else 20)
    cs.assign(c, 2)  # a non-boolean condition is caught by the gadget's own check
    cs.assign(out, 10 + 2 * (10 - 20))  # ...even with out chosen to fit the equation
    assert cs.first_violation() == Violation(0, "s.cond")


def test_select_trusts_the_caller_when_told_cond_is_boolean():
    cs = ConstraintSystem()
    c = cs.alloc_private(1)
    g.boolean(cs, c)
    g.select(cs, c, 1, 2, cond_is_boolean=True)
    assert cs.n_constraints == 2 and holds(cs)


@pytest.mark.parametrize("value", [1, 2, R - 1])
def test_inverse_and_assert_nonzero(value):
    cs, x = _cs_with(value)
    inv = g.inverse(cs, x, name="inv")
    g.assert_nonzero(cs, x + 0, name="nz")
    assert cs.value(inv) * value % R == 1 and holds(cs)
    cs.assign(inv, cs.value(inv) + 1)
    assert cs.first_violation() == Violation(0, "inv")


def test_zero_has_no_inverse():
    cs, x = _cs_with(0)
    g.assert_nonzero(cs, x, name="nz")
    assert cs.first_violation() == Violation(0, "nz")
    for candidate in (0, 1, R - 1):
        cs.assign(next(v for v in cs.variables() if v.name == "nz"), candidate)
        assert not holds(cs)


def test_gadgets_accept_constants_and_fr():
    cs = ConstraintSystem()
    g.assert_equal(cs, Fr(3), 3)
    g.boolean(cs, 1)
    assert cs.value(g.is_zero(cs, 0)) == 1 and holds(cs)
    with pytest.raises(TypeError, match="gadget"):
        g.boolean(cs, "x")  # type: ignore[arg-type]


def test_a_chain_of_hints_does_not_recurse():
    """y <- y^2 + x for 5,000 steps: hints evaluate in allocation order."""
    cs = ConstraintSystem()
    x = cs.alloc_public(3)
    y = cs.alloc_private(1)
    expect = 1
    for _ in range(5000):
        y = cs.mul(y, y) + x
        expect = (expect * expect + 3) % R
    out = cs.alloc_public(expect)
    g.assert_equal(cs, y, out)
    assert cs.is_satisfied() and len(cs.witness()) == cs.n_wires
    cs.assign(x, 4)
    assert not cs.is_satisfied()


# ---------------------------------------------------------------- with the prover


@settings(max_examples=8)
@given(random_circuits(), st.data())
def test_random_circuits_prove_and_verify(circuit, data):
    """Circuits built here prove and verify under pouw.zk.groth16; a broken
    witness is refused by prove with the first violated constraint's index."""
    import random

    from pouw.zk.groth16 import prove, setup, verify

    cs, vars_ = circuit
    seed = data.draw(st.integers(0, 2**32))
    pk, vk = setup(cs, rng=random.Random(seed))
    proof = prove(pk, cs, rng=random.Random(seed + 1))
    public = cs.public_inputs()
    assert verify(vk, public, proof)
    if public:
        assert not verify(vk, [(public[0] + 1) % R, *public[1:]], proof)
    victim = data.draw(st.sampled_from(vars_[1:]))
    cs.assign(victim, cs.value(victim) + 1)
    bad = cs.first_violation()
    assert bad is not None
    with pytest.raises(ProofError, match=f"constraint {bad.index}"):
        prove(pk, cs)


# ---------------------------------------------------------------- hint blocks


def test_a_hint_block_fills_its_variables_in_one_call():
    cs = ConstraintSystem()
    x = cs.alloc_private(3)
    calls = []

    def fill():
        calls.append(1)
        v = cs.value(x)
        return [v * v, v * v * v, v + 1]

    per_wire = [lambda: pytest.fail("the block serves these")] * 3
    a, b, c = (cs.alloc_private(h) for h in per_wire)
    cs.hint_block(a, c, fill)
    assert [cs.value(v) for v in (a, b, c)] == [9, 27, 4] and len(calls) == 1
    cs.assign(b, 5)  # an assigned value wins over the block's
    assert cs.witness().to_ints() == [1, 3, 9, 5, 4] and len(calls) == 2
    cs.assign(x, R - 1)  # a new pass: the block is filled afresh, values reduced
    assert cs.value(a) == 1 and cs.value(c) == 0


def test_a_pass_that_starts_inside_a_block_uses_the_wires_own_hints():
    cs = ConstraintSystem()
    a = cs.alloc_private(lambda: 10)
    assert cs.value(a) == 10  # resolved up to here
    b = cs.alloc_private(lambda: 11)
    cs.hint_block(a, b, lambda: pytest.fail("not from inside"))
    assert cs.value(b) == 11  # the pass starts at b, inside the block


def test_hint_block_refuses_bad_ranges_and_fills():
    cs = ConstraintSystem()
    a, b = cs.alloc_private(), cs.alloc_private()
    with pytest.raises(ValueError, match="in order"):
        cs.hint_block(b, a, lambda: [1, 2])
    cs.hint_block(a, b, lambda: [1])
    with pytest.raises(ValueError, match="already in a block"):
        cs.hint_block(b, b, lambda: [1])
    with pytest.raises(ValueError, match="filled with 1"):
        cs.witness()
    other = ConstraintSystem().alloc_private()
    with pytest.raises(ValueError):
        cs.hint_block(a, other, lambda: [1, 2])


def test_a_block_that_needs_an_unassigned_input_says_so():
    cs = ConstraintSystem()
    x = cs.alloc_private(name="x")
    a = cs.alloc_private(name="a")
    cs.hint_block(a, a, lambda: [cs.value(x)])
    with pytest.raises(ProofError, match="'a'.*'x'"):
        cs.value(a)
    cs.assign(x, 7)
    assert cs.value(a) == 7
