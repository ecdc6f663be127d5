"""Build rank-1 constraint systems in Python: variables, linear combinations,
``a · b = c`` constraints and a witness, compiled to an :class:`~pouw.zk.r1cs.R1CS`.

>>> cs = ConstraintSystem()
>>> x = cs.alloc_private(3, name="x")
>>> y = cs.alloc_public(9, name="y")
>>> cs.enforce(x, x, y, name="y = x^2")
>>> cs.is_satisfied()
True

- Variables come from :meth:`ConstraintSystem.alloc_public` and
  :meth:`~ConstraintSystem.alloc_private`, in any order: :meth:`~ConstraintSystem.to_r1cs`
  renumbers them into circom's wire order (wire 0 is the constant 1, then the
  public variables in the order they were allocated, then the private ones).
- :class:`LinearCombination` (a :class:`Variable` is one) supports ``lc + lc``,
  ``lc - lc``, ``-lc``, ``lc * k`` and ``k * lc`` for a constant ``k``, and
  Python ints (or :class:`~pouw.zk.field.Fr`) as constants anywhere.  The
  product of two linear combinations is not linear: allocate it with
  :meth:`~ConstraintSystem.mul` (or ``enforce`` it yourself).
- Values are Python ints reduced modulo :data:`~pouw.zk.field.R`.  A variable's
  value is given when it is allocated, later by :meth:`~ConstraintSystem.assign`,
  or computed on demand by a *hint* (a callable) — gadgets use hints so that a
  circuit can be built before its inputs are known.  An explicit value always
  wins over a hint (that is how tests plant a dishonest witness).
- :meth:`~ConstraintSystem.is_satisfied`, :meth:`~ConstraintSystem.first_violation`
  and :meth:`~ConstraintSystem.check` (raises :class:`UnsatisfiedConstraint`
  naming the first violated constraint by index and name).

Common gadgets (booleans, bit decomposition and range checks, equality,
select, inverses) are in :mod:`pouw.zk.gadgets`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ProofError
from .field import Fr, FrArray, R
from .r1cs import R1CS, SparseMatrix

__all__ = [
    "ConstraintSystem",
    "Derived",
    "LinearCombination",
    "Variable",
    "Violation",
    "UnsatisfiedConstraint",
    "LinearLike",
    "as_lc",
]

#: Internal index of the constant-one variable (wire 0 in every ordering).
ONE = 0

Hint = Callable[[], int]


class UnsatisfiedConstraint(ProofError):
    """A witness that breaks a constraint; :attr:`index` and :attr:`name` say which one."""

    def __init__(self, index: int, name: str | None) -> None:
        self.index = index
        self.name = name
        label = f"constraint {index}" + (f" ({name!r})" if name else "")
        super().__init__(f"{label} is not satisfied: a·b != c for the assigned witness")


@dataclass(frozen=True)
class Violation:
    """The first violated constraint: its index (in creation order) and name."""

    index: int
    name: str | None


class LinearCombination:
    """``sum(coeff_i * var_i) + constant`` over Fr, immutable.

    :attr:`terms` maps a variable's internal index (0 is the constant one) to a
    non-zero coefficient in ``[1, R)``.  Build one from variables and constants
    with ``+ - *``; mixing variables of two constraint systems raises ValueError.
    """

    __slots__ = ("_cs", "terms")
    _cs: ConstraintSystem | None
    terms: dict[int, int]

    def __init__(self, terms: dict[int, int], cs: ConstraintSystem | None = None) -> None:
        self.terms = {i: c % R for i, c in terms.items() if c % R}
        self._cs = cs

    def _owner(self, other: LinearCombination) -> ConstraintSystem | None:
        if self._cs is not None and other._cs is not None and self._cs is not other._cs:
            raise ValueError("cannot combine variables of two different ConstraintSystems")
        return self._cs if self._cs is not None else other._cs

    def __add__(self, other: LinearLike) -> LinearCombination:
        o = as_lc(other)
        if o is None:
            return NotImplemented
        terms = dict(self.terms)
        for i, c in o.terms.items():
            terms[i] = terms.get(i, 0) + c
        return LinearCombination(terms, self._owner(o))

    __radd__ = __add__

    def __neg__(self) -> LinearCombination:
        return LinearCombination({i: -c for i, c in self.terms.items()}, self._cs)

    def __sub__(self, other: LinearLike) -> LinearCombination:
        o = as_lc(other)
        return NotImplemented if o is None else self + (-o)

    # Fr.__sub__ returns NotImplemented for a LinearCombination, so Python calls this.
    def __rsub__(self, other: int | Fr) -> LinearCombination:  # type: ignore[misc]
        o = as_lc(other)
        return NotImplemented if o is None else o + (-self)

    def __mul__(self, k: object) -> LinearCombination:
        if isinstance(k, LinearCombination):
            raise TypeError(
                "the product of two linear combinations is not linear: "
                "use cs.mul(a, b) or cs.enforce(a, b, c)"
            )
        scalar = _as_int(k)
        if scalar is None:
            return NotImplemented
        return LinearCombination({i: c * scalar for i, c in self.terms.items()}, self._cs)

    __rmul__ = __mul__

    @property
    def constant(self) -> int:
        """The constant term, in ``[0, R)``."""
        return self.terms.get(ONE, 0)

    def is_constant(self) -> bool:
        """True when no variable other than the constant one appears."""
        return all(i == ONE for i in self.terms)

    def __repr__(self) -> str:
        parts = [(str(c) if i == ONE else f"{c}*v{i}") for i, c in sorted(self.terms.items())] or [
            "0"
        ]
        return f"LinearCombination({' + '.join(parts)})"


class Variable(LinearCombination):
    """One allocated variable (a linear combination with a single term, coefficient 1)."""

    __slots__ = ("index", "public", "name")

    def __init__(self, cs: ConstraintSystem, index: int, public: bool, name: str) -> None:
        super().__init__({index: 1}, cs)
        #: The internal index (allocation order, 1-based; not the circom wire).
        self.index = index
        self.public = public
        self.name = name

    def __repr__(self) -> str:
        return f"Variable({self.name!r}, {'public' if self.public else 'private'})"


LinearLike = LinearCombination | int | Fr


def _as_int(k: object) -> int | None:
    if isinstance(k, bool):
        return None
    if isinstance(k, Fr):
        return k.value
    try:
        return operator.index(k)  # type: ignore[arg-type]
    except TypeError:
        return None


def as_lc(x: object) -> LinearCombination | None:
    """``x`` as a linear combination (an int or Fr becomes a constant); None
    for anything else."""
    if isinstance(x, LinearCombination):
        return x
    k = _as_int(x)
    return None if k is None else LinearCombination({ONE: k})


class Derived:
    """A hint the witness compiler understands (:mod:`pouw.zk.witness_program`):
    one of a few kinds of value over linear combinations of earlier variables.

    Called, it computes the value in Python (the system's own hint path), so a
    circuit built from these has one witness whichever way it is computed:

    ==========  =====================  ==========================================
    kind        ``lcs``                value
    ==========  =====================  ==========================================
    ``muladd``  ``(a, b, c)``          ``a·b + c`` (``b`` None: 1; ``c`` None: 0)
    ``inv``     ``(a,)``               ``1/a``, or 0 when ``a = 0``
    ``is_zero`` ``(a,)``               1 when ``a = 0``, else 0
    ``bit``     ``(a,)``, ``arg = i``  bit ``i`` of ``a`` (as an integer in ``[0, R)``)
    ==========  =====================  ==========================================
    """

    __slots__ = ("cs", "kind", "lcs", "arg")
    KINDS = ("muladd", "inv", "is_zero", "bit")

    def __init__(
        self,
        cs: ConstraintSystem,
        kind: str,
        lcs: Sequence[LinearCombination | None],
        arg: int = 0,
    ) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"kind must be one of {self.KINDS}, got {kind!r}")
        self.cs, self.kind, self.lcs, self.arg = cs, kind, tuple(lcs), arg

    def __call__(self) -> int:
        value = self.cs.value
        a = value(self.lcs[0])  # type: ignore[arg-type]
        kind = self.kind
        if kind == "muladd":
            b, c = self.lcs[1], self.lcs[2]
            return a * (1 if b is None else value(b)) + (0 if c is None else value(c))
        if kind == "inv":
            return pow(a, -1, R) if a else 0
        if kind == "is_zero":
            return int(a == 0)
        return (a >> self.arg) & 1

    def __repr__(self) -> str:
        return f"Derived({self.kind!r}, arg={self.arg})"


class _Unassigned(ProofError):
    """A value was read before it was known (no value, no hint)."""


class ConstraintSystem:
    """A rank-1 constraint system under construction, with its witness.

    Variables are numbered internally in allocation order (0 is the constant
    one); :meth:`to_r1cs` and :meth:`witness` use circom's wire order instead
    (see the module docstring).
    """

    def __init__(self) -> None:
        self._public: list[bool] = [True]  # index 0: the constant one (wire 0)
        self._names: list[str] = ["one"]
        self._explicit: list[int | None] = [1]
        self._hints: dict[int, Hint] = {}
        self._blocks: dict[int, tuple[int, Callable[[], Sequence[int]]]] = {}  # first -> (n, fill)
        self._in_block: set[int] = set()
        self._constraints: list[tuple[dict[int, int], dict[int, int], dict[int, int]]] = []
        self._constraint_names: list[str | None] = []
        self._resolved: list[int | None] = []  # memo of values, cleared by assign
        self._why: dict[int, str] = {}  # why a hinted value is missing (for messages)
        self._resolving = False

    # ------------------------------------------------------------ variables

    @property
    def one(self) -> LinearCombination:
        """The constant 1 as a linear combination."""
        return LinearCombination({ONE: 1}, self)

    def constant(self, value: int) -> LinearCombination:
        """The constant ``value mod R`` as a linear combination."""
        return LinearCombination({ONE: operator.index(value)}, self)

    def _alloc(self, public: bool, value: int | Hint | None, name: str | None) -> Variable:
        index = len(self._names)
        self._public.append(public)
        self._names.append(name if name is not None else f"v{index}")
        self._explicit.append(None)
        if callable(value):
            self._hints[index] = value
        elif value is not None:
            self._explicit[index] = _value(value)
        return Variable(self, index, public, self._names[index])

    def alloc_public(self, value: int | Hint | None = None, name: str | None = None) -> Variable:
        """A new public variable (a verifier's input).  ``value`` is an int, a
        hint (a callable returning an int, evaluated when values are needed)
        or None (assign it later)."""
        return self._alloc(True, value, name)

    def alloc_private(self, value: int | Hint | None = None, name: str | None = None) -> Variable:
        """A new private variable (part of the witness only); ``value`` as in
        :meth:`alloc_public`."""
        return self._alloc(False, value, name)

    def hint_block(
        self, first: Variable, last: Variable, fill: Callable[[], Sequence[int]]
    ) -> None:
        """The values of the variables ``first .. last`` (consecutive, in allocation
        order) come from one call of ``fill``, which returns them in that order.

        A gadget whose wires one computation gives (a native kernel's trace of a
        hash) fills them in one call instead of one hint call per wire.  Each
        variable keeps its own hint for the passes that start inside the block,
        and an assigned value still wins over the block's."""
        self._own(first)
        self._own(last)
        if not 0 < first.index <= last.index < len(self._names):
            raise ValueError("hint_block: first .. last must be allocated variables, in order")
        span = range(first.index, last.index + 1)
        if any(i in self._in_block for i in span):
            raise ValueError("hint_block: the variables are already in a block")
        self._in_block.update(span)
        self._blocks[first.index] = (len(span), fill)

    def assign(self, var: Variable, value: int) -> None:
        """Set ``var``'s value (overriding any hint)."""
        self._own(var)
        self._explicit[var.index] = _value(value)
        self._resolved = []
        self._why = {}

    def _own(self, lc: LinearCombination) -> None:
        if lc._cs is not None and lc._cs is not self:
            raise ValueError("this linear combination belongs to another ConstraintSystem")

    # ------------------------------------------------------------ constraints

    def enforce(self, a: LinearLike, b: LinearLike, c: LinearLike, name: str | None = None) -> int:
        """Add the constraint ``a · b = c``; returns its index."""
        lcs = []
        for x in (a, b, c):
            lc = as_lc(x)
            if lc is None:
                raise TypeError(
                    f"enforce takes linear combinations or ints, got {type(x).__name__}"
                )
            self._own(lc)
            lcs.append(dict(lc.terms))
        self._constraints.append((lcs[0], lcs[1], lcs[2]))
        self._constraint_names.append(name)
        return len(self._constraints) - 1

    def mul(self, a: LinearLike, b: LinearLike, name: str | None = None) -> Variable:
        """A new private variable constrained to ``a · b`` (its value a hint)."""
        la, lb = as_lc(a), as_lc(b)
        if la is None or lb is None:
            raise TypeError("mul takes linear combinations or ints")
        out = self.alloc_private(self.derive("muladd", la, lb, None), name)
        self.enforce(la, lb, out, name)
        return out

    def derive(self, kind: str, *lcs: LinearLike | None, arg: int = 0) -> Derived:
        """A :class:`Derived` hint of ``kind`` over ``lcs`` (ints become constants)."""
        forms: list[LinearCombination | None] = []
        for x in lcs:
            lc = None if x is None else as_lc(x)
            if x is not None and lc is None:
                raise TypeError(f"derive takes linear combinations or ints, got {type(x).__name__}")
            if lc is not None:
                self._own(lc)
            forms.append(lc)
        return Derived(self, kind, forms, arg)

    # ------------------------------------------------------------ sizes

    @property
    def n_constraints(self) -> int:
        return len(self._constraints)

    @property
    def n_public(self) -> int:
        """Public variables (the constant one not counted)."""
        return sum(self._public) - 1

    @property
    def n_wires(self) -> int:
        """All variables, the constant one included."""
        return len(self._names)

    def variables(self) -> Iterator[Variable]:
        """Every allocated variable, in allocation order."""
        for i in range(1, len(self._names)):
            yield Variable(self, i, self._public[i], self._names[i])

    # ------------------------------------------------------------ values

    def _values(self) -> list[int | None]:
        """Every variable's value (None when unknown), hints evaluated in
        allocation order so that a chain of hints never recurses deeply."""
        done = self._resolved
        self._resolving = True
        try:
            self._resolve_from(len(done))
        finally:
            self._resolving = False
        return done

    def _resolve_from(self, start: int) -> None:
        done = self._resolved
        i, end = start, len(self._names)
        while i < end:
            block = self._blocks.get(i)
            if block is not None and i + block[0] <= end:
                i = self._resolve_block(i, *block)
                continue
            v = self._explicit[i]
            if v is None and i in self._hints:
                done.append(None)  # a hint may read only earlier variables
                try:
                    v = _value(self._hints[i]())
                except _Unassigned as exc:
                    self._why[i] = str(exc)
                    v = None
                done[i] = v
            else:
                done.append(v)
            i += 1

    def _resolve_block(self, first: int, n: int, fill: Callable[[], Sequence[int]]) -> int:
        """Resolve the block at ``first`` with one ``fill()``; returns the index after it."""
        done = self._resolved
        explicit = self._explicit[first : first + n]
        done.extend([None] * n)  # a fill may read only earlier variables
        try:
            values = list(fill())
            if not all(type(v) is int and 0 <= v < R for v in values):  # noqa: E721 - exact ints
                values = [_value(v) for v in values]
            if len(values) != n:
                raise ValueError(f"a hint block of {n} variables was filled with {len(values)}")
        except _Unassigned as exc:
            for j in range(n):
                done[first + j] = explicit[j]
                if explicit[j] is None:
                    self._why[first + j] = str(exc)
            return first + n
        for j in range(n):
            done[first + j] = explicit[j] if explicit[j] is not None else values[j]
        return first + n

    def _lookup(self, i: int) -> int:
        if i >= len(self._resolved):
            if self._resolving:  # a hint reading a later variable: no cycles, no re-entry
                raise _Unassigned(f"{self._names[i]!r} (#{i}), allocated after it")
            self._values()
        v = self._resolved[i]
        if v is None:
            raise _Unassigned(self._missing(i))
        return v

    def _missing(self, i: int) -> str:
        why = self._why.get(i)
        return f"variable {self._names[i]!r} (#{i}) has no value" + (
            f": its hint needs {why}" if why else ""
        )

    def value(self, lc: LinearLike) -> int:
        """The value of a variable or linear combination, in ``[0, R)``.

        Raises ProofError if a variable in it has no value (and no hint that
        can compute one)."""
        x = as_lc(lc)
        if x is None:
            raise TypeError(f"value takes a linear combination or an int, got {type(lc).__name__}")
        self._own(x)
        return sum(c * self._lookup(i) for i, c in x.terms.items()) % R

    def _complete_values(self) -> list[int]:
        values = self._values()
        for i, v in enumerate(values):
            if v is None:
                raise ProofError(self._missing(i))
        return values  # type: ignore[return-value]

    def first_violation(self) -> Violation | None:
        """The first constraint the witness breaks, or None when all hold.

        Raises ProofError if a variable has no value."""
        w = self._complete_values()

        def ev(terms: dict[int, int]) -> int:
            return sum(c * w[i] for i, c in terms.items())

        for k, (a, b, c) in enumerate(self._constraints):
            if (ev(a) * ev(b) - ev(c)) % R:
                return Violation(k, self._constraint_names[k])
        return None

    def is_satisfied(self) -> bool:
        """True when every constraint holds; False when one is broken or a
        variable has no value."""
        try:
            return self.first_violation() is None
        except ProofError:
            return False

    def check(self) -> None:
        """Raise :class:`UnsatisfiedConstraint` for the first broken constraint
        (ProofError if a variable has no value)."""
        bad = self.first_violation()
        if bad is not None:
            raise UnsatisfiedConstraint(bad.index, bad.name)

    # ------------------------------------------------------------ export

    def wire_order(self) -> list[int]:
        """Internal indices in circom wire order: the constant, publics, privates."""
        n = len(self._names)
        return (
            [0]
            + [i for i in range(1, n) if self._public[i]]
            + [i for i in range(1, n) if not self._public[i]]
        )

    def witness(self) -> FrArray:
        """The full assignment in circom wire order (``witness[0] == 1``).

        Raises ProofError if a variable has no value.  Does not check the
        constraints (:meth:`check` does; the prover refuses a bad witness)."""
        values = self._complete_values()
        return FrArray.from_ints(values[i] for i in self.wire_order())

    def public_inputs(self) -> list[int]:
        """The public variables' values in wire order (``witness[1 : n_public + 1]``)."""
        values = self._complete_values()
        return [values[i] for i in self.wire_order()[1 : self.n_public + 1]]

    def to_r1cs(self) -> R1CS:
        """The constraints as an :class:`R1CS` in circom's wire order."""
        order = self.wire_order()
        wire = [0] * len(order)
        for w, i in enumerate(order):
            wire[i] = w
        mats = [_csr((row[m] for row in self._constraints), wire) for m in range(3)]
        return R1CS(len(order), self.n_public, mats[0], mats[1], mats[2])

    def __repr__(self) -> str:
        return (
            f"ConstraintSystem({self.n_constraints} constraints, {self.n_public} public, "
            f"{self.n_wires - 1 - self.n_public} private)"
        )


def _value(value: object) -> int:
    k = _as_int(value)
    if k is None:
        raise TypeError(f"a value must be an int, got {type(value).__name__}")
    return k % R


def _csr(rows: Iterable[dict[int, int]], wire: list[int]) -> SparseMatrix:
    row_ptr = [0]
    cols: list[int] = []
    coeffs: list[int] = []
    for terms in rows:
        for w, c in sorted((wire[i], c) for i, c in terms.items()):
            cols.append(w)
            coeffs.append(c)
        row_ptr.append(len(cols))
    return SparseMatrix(
        np.asarray(row_ptr, dtype=np.int64),
        np.asarray(cols, dtype=np.int64),
        FrArray.from_ints(coeffs),
    )
