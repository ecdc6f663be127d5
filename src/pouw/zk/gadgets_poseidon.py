"""Poseidon as constraints: circomlib's ``Poseidon(n)`` inside a :class:`ConstraintSystem`.

:func:`poseidon` enforces ``out = Poseidon(inputs)`` for 1..16 inputs, the
instance of :mod:`pouw.zk.poseidon_params` (state ``[0, inputs...]``, output
``state[0]``), and returns ``out``.

Cost: three constraints per S-box whose input is not known at build time,
``x2 = a·a``, ``x4 = x2·x2``, ``x5 = a·x4``, and none for the linear layers
(round constants and matrices fold into the linear combination ``a`` that the
next S-box reads).  With width ``t = n + 1`` that is ``3 (8t + R_P) - 3`` when
no input is a constant, the count of circom 2 ``--O2`` on circomlib's
``Poseidon(n)`` (213, 240, 261, 297, 321, 354 for ``n = 1..6``):

- the first round's ``state[0]`` is the constant ``0 + c_0``, so its S-box is
  evaluated at build time (as is any input's that is a constant: three
  constraints fewer each; when every input is a constant the hash is one too,
  and no constraint is added);
- the output is a linear function of the last round's S-box outputs, so it
  takes the place of one of them, ``a·(M[0][j] x4) = out - sum_{k != j} M[0][k] x5_k``
  (circom's elimination of linear constraints arrives at the same count).

No fewer is possible in this shape: two rank-1 constraints reach degree 4
at most, so an S-box whose output the next layer reads linearly costs three,
and from the second round on every S-box input involves a wire of the round
before, so none of them is a constant.

Linear layers: every S-box input is an affine function of the inputs and of
the earlier S-box outputs, with coefficients that depend on the width only.
:func:`_template` derives them once per width (by walking the optimised
rounds of :func:`~pouw.zk.poseidon_params.optimized` over symbolic states);
an invocation then only maps S-box numbers to its wires.  A partial round's
input depends on every earlier partial round, so its linear combination has
up to ``t + R_P`` terms (circom's has as many: the R1CS is the same).

Witness: all the wires of one invocation come from one native call,
``pouw._native.poseidon.trace`` (the kernel's optimised rounds on the scalar
multiply, recording ``x^2, x^4, x^5`` of every S-box), one hint block of the
system (:meth:`ConstraintSystem.hint_block`), not one hint per constraint:
~50 µs for a Poseidon(2), most of it turning 244 field elements into Python
ints, against ~250 µs for :func:`_trace`, the same rounds in Python ints,
which stays as the tests' oracle of the native one.  Each wire keeps its own
hint for a pass that starts inside the block.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .constraint_system import (
    ONE,
    ConstraintSystem,
    LinearCombination,
    LinearLike,
    Variable,
    as_lc,
)
from .poseidon_params import ALPHA, WIDTHS, OptimizedParams, R, optimized, permute_optimized

__all__ = ["poseidon", "poseidon_constraints", "MAX_INPUTS"]

#: The most inputs one hash takes (width 17).
MAX_INPUTS = WIDTHS[-1] - 1

#: An affine form: key -> coefficient, where a key is a variable (or, in a
#: template, an S-box number) and ``_CONST`` holds the constant term.
Affine = dict[int, int]
_CONST = -1


def poseidon_constraints(n_inputs: int, n_constant_inputs: int = 0) -> int:
    """How many constraints :func:`poseidon` adds for ``n_inputs`` inputs of which
    ``n_constant_inputs`` are constants: ``3 (8t + R_P - 1 - n_constant_inputs)``
    with ``t = n_inputs + 1``, and 0 when every input is a constant."""
    p = optimized(_width(n_inputs))
    if not 0 <= n_constant_inputs <= n_inputs:
        raise ValueError(f"n_constant_inputs must be in [0, {n_inputs}], got {n_constant_inputs}")
    if n_constant_inputs == n_inputs:
        return 0
    return 3 * (p.full_rounds * p.t + p.partial_rounds - 1 - n_constant_inputs)


def poseidon(
    cs: ConstraintSystem, inputs: Sequence[LinearLike], name: str | None = None
) -> LinearCombination:
    """``Poseidon(inputs)`` (circomlib's, 1..16 inputs) as a new private variable.

    Every input is a linear combination of ``cs``'s variables or a constant;
    constant inputs cost fewer constraints (see the module docstring), and
    when all of them are constants the result is the constant hash, with no
    constraint added.  The new variables get hints: their honest values are
    computed, all of one invocation at once, when the system first needs them.

    Raises
    ------
    ValueError
        If there are not 1..16 inputs, or an input holds another system's variables.
    TypeError
        If an input is not a linear combination or an int.
    """
    lcs = [_owned(cs, x) for x in inputs]
    t = _width(len(lcs))
    if all(lc.is_constant() for lc in lcs):
        return cs.constant(permute_optimized([0, *(lc.constant for lc in lcs)])[0])
    return _build(cs, _template(t), lcs, name)


def _width(n_inputs: int) -> int:
    if not 1 <= n_inputs <= MAX_INPUTS:
        raise ValueError(f"Poseidon takes 1..{MAX_INPUTS} inputs, got {n_inputs}")
    return n_inputs + 1


def _owned(cs: ConstraintSystem, x: LinearLike) -> LinearCombination:
    lc = as_lc(x)
    if lc is None:
        raise TypeError(f"poseidon takes linear combinations or ints, got {type(x).__name__}")
    # The sum raises ValueError when lc holds another system's variables: the
    # constraints below are built from bare term dicts, which would not.
    return cs.constant(0) + lc


# ------------------------------------------------------------ constraints


@dataclass(frozen=True)
class _Template:
    """The linear layers of one width, as the inputs of S-boxes ``t .. n_sboxes - 1``.

    S-boxes are numbered in evaluation order (full rounds element by element).
    S-box ``k >= t`` reads ``consts[k - t] + sum(coeffs[k - t][i] * y[cols[k - t][i]])``
    with ``y[m]`` the output of S-box ``m``; S-box ``j < t`` of the first round
    reads ``state[j] + initial[j]``.  S-box 0 reads a constant, so ``y[0]`` is
    folded into the constants and never appears in ``cols``.  The hash is
    ``sum(out_coeffs[j] * y[n_sboxes - t + j])``.
    """

    p: OptimizedParams
    n_sboxes: int
    cols: tuple[tuple[int, ...], ...]
    coeffs: tuple[tuple[int, ...], ...]
    consts: tuple[int, ...]
    out_coeffs: tuple[int, ...]
    #: The partial rounds' ``sparse_row``, split as :func:`_trace` reads it.
    row_heads: tuple[int, ...]
    row_tails: tuple[tuple[int, ...], ...]


@functools.cache
def _template(t: int) -> _Template:
    p = optimized(t)
    forms: list[Affine] = []
    count = 0

    def sboxes(state: list[Affine], added: Sequence[int]) -> list[Affine]:
        """Each element's S-box output (a new symbol) plus ``added``."""
        nonlocal count
        out = []
        for x, c in zip(state, added, strict=True):
            if count >= t:
                forms.append(x)
            y = {_CONST: pow(p.initial[0], ALPHA, R)} if count == 0 else {count: 1}
            out.append(_combine((1, 1), (y, {_CONST: c})))
            count += 1
        return out

    def mix(m: Sequence[Sequence[int]], v: Sequence[Affine]) -> list[Affine]:
        return [_combine(row, v) for row in m]

    # The first round's inputs are the caller's; only their outputs are symbols.
    s: list[Affine] = [{} for _ in range(t)]
    for consts in p.full_first:
        s = mix(p.mds, sboxes(s, consts))
    s = mix(p.dense, sboxes(s, p.pre_partial))
    for c0, row, col in zip(p.partial, p.sparse_row, p.sparse_col, strict=True):
        (s0,) = sboxes(s[:1], (c0,))
        s = [s0, *s[1:]]
        first = _combine(row, s)
        s = [first, *(_combine((1, c), (x, s0)) for x, c in zip(s[1:], col, strict=True))]
    for consts in p.full_last:
        s = mix(p.mds, sboxes(s, consts))
    sboxes(s, [0] * t)
    cols = tuple(tuple(k for k in form if k != _CONST) for form in forms)
    # _build relies on this: from round three on, an S-box reads no first-round
    # output (which may be a constant), only later ones (always wires).
    if any(m < t for c in cols[t:] for m in c) or not all(cols):
        raise RuntimeError(f"unexpected Poseidon linear layers for width {t}")
    return _Template(
        p=p,
        n_sboxes=count,
        cols=cols,
        coeffs=tuple(tuple(form[k] for k in c) for form, c in zip(forms, cols, strict=True)),
        consts=tuple(form.get(_CONST, 0) for form in forms),
        out_coeffs=p.mds[0],
        row_heads=tuple(row[0] for row in p.sparse_row),
        row_tails=tuple(row[1:] for row in p.sparse_row),
    )


def _build(
    cs: ConstraintSystem, tpl: _Template, inputs: list[LinearCombination], name: str | None
) -> LinearCombination:
    """Allocate the wires and add the constraints of one invocation."""
    t, n = tpl.p.t, tpl.n_sboxes
    emits = [False] * n  # which S-boxes allocate wires (their input is not a constant)
    witness = _Witness(cs, tpl, inputs, emits)
    wire: list[int] = [ONE] * n  # the variable holding y[m] ...
    known = [0] * n  # ... or, for a constant S-box, its value

    def label(part: str) -> str | None:
        return None if name is None else f"{name}.{part}"

    first: list[Variable] = []  # the invocation's first wire

    def to_x4(k: int, a: Affine) -> tuple[LinearCombination, LinearCombination]:
        emits[k] = True
        la = LinearCombination(a, cs)
        x2 = cs.alloc_private(witness.hint(), label(f"s{k}.x2"))
        if not first:
            first.append(x2)
        cs.enforce(la, la, x2, label(f"s{k}.x2"))
        x4 = cs.alloc_private(witness.hint(), label(f"s{k}.x4"))
        cs.enforce(x2, x2, x4, label(f"s{k}.x4"))
        return la, x4

    def sbox(k: int, a: Affine) -> None:
        la, x4 = to_x4(k, a)
        x5 = cs.alloc_private(witness.hint(), label(f"s{k}.x5"))
        cs.enforce(la, x4, x5, label(f"s{k}.x5"))
        wire[k] = x5.index

    # First round: the inputs themselves; a constant one is hashed now.
    known[0] = pow(tpl.p.initial[0], ALPHA, R)
    for j, lc in enumerate(inputs, start=1):
        a = _combine((1, 1), (lc.terms, {ONE: tpl.p.initial[j]}))
        if lc.is_constant():
            known[j] = pow(a.get(ONE, 0), ALPHA, R)
        else:
            sbox(j, a)
    # Second round: the only one that may read a constant first-round S-box.
    for k in range(t, 2 * t):
        cols, coeffs = tpl.cols[k - t], tpl.coeffs[k - t]
        a = {ONE: tpl.consts[k - t]}
        for m, c in zip(cols, coeffs, strict=True):
            if emits[m]:
                a[wire[m]] = c
            else:
                a[ONE] = (a[ONE] + c * known[m]) % R
        sbox(k, a)
    # Later rounds read only S-boxes of round two on, all of them wires.
    last = n - 1
    for k in range(2 * t, last):
        a = dict(zip([wire[m] for m in tpl.cols[k - t]], tpl.coeffs[k - t], strict=True))
        a[ONE] = tpl.consts[k - t]
        sbox(k, a)
    # The hash stands in for the x5 of the last S-box.
    a = dict(zip([wire[m] for m in tpl.cols[last - t]], tpl.coeffs[last - t], strict=True))
    a[ONE] = tpl.consts[last - t]
    la, x4 = to_x4(last, a)
    rest = dict(zip(wire[n - t : last], tpl.out_coeffs[:-1], strict=True))
    out = cs.alloc_private(witness.hint(), name)
    cs.enforce(la, x4 * tpl.out_coeffs[-1], out - LinearCombination(rest, cs), label("out"))
    cs.hint_block(first[0], out, witness)  # every wire from one native call
    return out


# ------------------------------------------------------------ witness


class _Witness:
    """The values of one invocation's wires, all computed by one :func:`_trace` call."""

    def __init__(
        self,
        cs: ConstraintSystem,
        tpl: _Template,
        inputs: list[LinearCombination],
        emits: list[bool],
    ) -> None:
        self.cs, self.tpl, self.inputs, self.emits = cs, tpl, inputs, emits
        self.n_wires = 0
        self.values: list[int] | None = None
        self.last = -1

    def hint(self) -> Callable[[], int]:
        """The hint of the next wire allocated."""
        j = self.n_wires
        self.n_wires += 1
        return functools.partial(self.value, j)

    def native_op(self) -> tuple[str, int, int, list[LinearCombination]]:
        """The block as the witness compiler's op (:mod:`pouw.zk.witness_program`):
        ``("poseidon", t, mask, inputs)``, bit ``j`` of ``mask`` set when the
        first round's S-box ``j`` has wires (its input is not a constant)."""
        t = self.tpl.p.t
        mask = sum(1 << j for j in range(t) if self.emits[j])
        return "poseidon", t, mask, list(self.inputs)

    def __call__(self) -> list[int]:
        return self.block()

    def block(self) -> list[int]:
        """Every wire's value, in allocation order (the system's hint block)."""
        xs = [self.cs.value(lc) for lc in self.inputs]
        values = _native_trace(self.tpl, xs, self.emits)
        del values[-2]  # the last S-box's x5, which the hash stands in for
        return values

    def value(self, j: int) -> int:
        # One wire, for a pass that starts inside the block.  The system
        # evaluates hints once per pass over its variables, in allocation order,
        # and starts a new pass after every assign (which may change an input).
        # So a wire at or before the last one served opens a new pass, and the
        # values are computed afresh from the inputs.
        if self.values is None or j <= self.last:
            self.values = self.block()
        self.last = j
        v = self.values[j]
        if j == self.n_wires - 1:
            self.values = None  # the system keeps its own copy of every value
        return v


def _native_trace(tpl: _Template, inputs: Sequence[int], emits: Sequence[bool]) -> list[int]:
    """:func:`_trace`'s values from the native kernel: every S-box's ``x2, x4, x5``
    in evaluation order, kept where ``emits`` marks (a partial round's always),
    then the hash."""
    from .._native import poseidon as _k
    from .poseidon import _constants

    full = _k.trace(_constants(tpl.p.t - 1, "inputs"), inputs)
    n_full = tpl.p.full_rounds * tpl.p.t
    first = n_full // 2  # the S-boxes of the first half of the full rounds
    keep = [
        k
        for k in range(len(full) // 3)
        if (emits[k] if k < first or k >= first + tpl.p.partial_rounds else True)
    ]
    out = [v for k in keep for v in full[3 * k : 3 * k + 3]]
    out.append(full[-1])
    return out


def _trace(tpl: _Template, inputs: Sequence[int], emits: Sequence[bool]) -> list[int]:
    """``x2, x4, x5`` of every S-box that ``emits`` marks, in evaluation order,
    then the hash: the rounds of :func:`~pouw.zk.poseidon_params.permute_optimized`,
    recorded as they go."""
    p = tpl.p
    values: list[int] = []
    record = values.extend
    k = 0

    def sbox(x: int) -> int:
        nonlocal k
        x2 = x * x % R
        x4 = x2 * x2 % R
        x5 = x4 * x % R
        if emits[k]:
            record((x2, x4, x5))
        k += 1
        return x5

    def mix(m: Sequence[Sequence[int]], v: Sequence[int]) -> list[int]:
        return [sum(a * b for a, b in zip(row, v, strict=True)) % R for row in m]

    s = [(x + c) % R for x, c in zip([0, *inputs], p.initial, strict=True)]
    for consts in p.full_first:
        s = mix(p.mds, [sbox(x) + c for x, c in zip(s, consts, strict=True)])
    s = mix(p.dense, [sbox(x) + c for x, c in zip(s, p.pre_partial, strict=True)])
    rest = s[1:]
    x = s[0]
    for c0, head, tail, col in zip(
        p.partial, tpl.row_heads, tpl.row_tails, p.sparse_col, strict=True
    ):
        # The S-box inlined (partial rounds are most of the work; their
        # S-boxes read wires, so every one is recorded).  state[1:] is left
        # unreduced: it grows by one product a round, and only the S-box
        # input needs reducing.
        x2 = x * x % R
        x4 = x2 * x2 % R
        x5 = x4 * x % R
        record((x2, x4, x5))
        s0 = x5 + c0
        x = (head * s0 + sum(map(operator.mul, tail, rest))) % R
        rest = [y + c * s0 for y, c in zip(rest, col, strict=True)]
    k += len(p.partial)
    s = [x, *(y % R for y in rest)]
    for consts in p.full_last:
        s = mix(p.mds, [sbox(x) + c for x, c in zip(s, consts, strict=True)])
    values.append(sum(m * sbox(x) for m, x in zip(p.mds[0], s, strict=True)) % R)
    return values


# ------------------------------------------------------------ affine forms


def _combine(coeffs: Sequence[int], forms: Sequence[Affine]) -> Affine:
    """``sum_j coeffs[j] * forms[j]``, reduced, zero terms dropped."""
    acc: Affine = {}
    get = acc.get
    for c, form in zip(coeffs, forms, strict=True):
        if c:
            for i, a in form.items():
                acc[i] = get(i, 0) + c * a
    return {i: a % R for i, a in acc.items() if a % R}
