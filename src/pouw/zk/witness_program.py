"""A circuit's witness computed natively: compile a :class:`ConstraintSystem` into a program.

A circuit built from the gadgets gives every variable a declarative hint
(:class:`~pouw.zk.constraint_system.Derived`, or a gadget's hint block such
as Poseidon's).  :func:`compile_witness` turns those hints into a straight-line
program for the kernel ``pouw._native.witness`` (``csrc/pw_witness.h``), and
:meth:`WitnessProgram.run` runs it: from the circuit's *inputs* (the variables
named when compiling, in that order) to the full witness in circom's wire
order, in one native call with the GIL released, no Python per variable.

The program computes exactly what the Python hints compute (the same kinds,
the same Poseidon kernel), so ``cs.witness()`` after assigning the inputs and
``program.run(inputs)`` agree; tests check it gadget by gadget and on the trace
circuits.  Neither checks the constraints: a dishonest input gives a witness
that breaks one (``pouw.zk.groth16`` refuses it), exactly as the Python path.

A variable with an opaque hint (a Python callable) or a value that is neither
an input nor derived cannot be compiled: :class:`WitnessCompileError` names it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._native import witness as _w
from .._native.poseidon import Constants as _Constants
from ..errors import ProofError
from .constraint_system import ONE, ConstraintSystem, Derived, LinearCombination, Variable
from .field import FrArray

__all__ = ["WitnessProgram", "WitnessCompileError", "compile_witness"]


class WitnessCompileError(ProofError):
    """A variable whose value the native program cannot compute."""


_KIND_OPS = {"inv": _w.OPS["inv"], "is_zero": _w.OPS["is_zero"]}


@dataclass(frozen=True, eq=False)
class WitnessProgram:
    """A compiled witness program: :meth:`run` maps the inputs to the full witness.

    ``n_inputs`` inputs, ``n_wires`` wires (the constant one included), of which
    ``n_public`` are public; ``order[w]`` is the system's variable that wire ``w``
    holds.  Build one with :func:`compile_witness`; rebuild one from its
    :meth:`arrays` with :meth:`from_arrays` (checked again: a program read from
    a file is untrusted).
    """

    program: _w.Program
    order: np.ndarray
    n_public: int
    _arrays: dict[str, np.ndarray]

    @property
    def n_inputs(self) -> int:
        return int(self.program.n_inputs)

    @property
    def n_wires(self) -> int:
        return int(self.program.n_vars)

    def run(self, inputs: FrArray) -> FrArray:
        """The full witness (wire order, ``witness[0] == 1``) for these input values."""
        if not isinstance(inputs, FrArray):
            raise TypeError(f"inputs must be an FrArray, got {type(inputs).__name__}")
        out = np.empty((self.n_wires, 4), dtype=np.uint64)
        self.program.run(inputs.montgomery, out)
        return FrArray._wrap(out[self.order])

    def arrays(self) -> dict[str, np.ndarray]:
        """The program as named arrays (what :meth:`from_arrays` reads back)."""
        return dict(self._arrays)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> WitnessProgram:
        """Rebuild a program from :meth:`arrays`; ValueError if anything is malformed."""
        try:
            code = np.ascontiguousarray(arrays["code"], dtype=np.int64)
            lc_ptr = np.ascontiguousarray(arrays["lc_ptr"], dtype=np.int64)
            lc_var = np.ascontiguousarray(arrays["lc_var"], dtype=np.int64)
            lc_coef = np.ascontiguousarray(arrays["lc_coef"], dtype=np.uint64)
            order = np.ascontiguousarray(arrays["order"], dtype=np.int64)
            sizes = np.asarray(arrays["sizes"], dtype=np.int64)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a witness program: {exc}") from None
        if sizes.shape != (3,) or lc_coef.ndim != 2 or lc_coef.shape[1:] != (4,):
            raise ValueError("not a witness program: bad sizes or coefficient shape")
        n_vars, n_inputs, n_public = (int(x) for x in sizes)
        if order.shape != (n_vars,) or sorted(order.tolist()) != list(range(n_vars)):
            raise ValueError("not a witness program: the wire order is not a permutation")
        if not 0 <= n_public < n_vars:
            raise ValueError("not a witness program: bad public count")
        if len(lc_coef):
            try:
                FrArray.from_montgomery(lc_coef)
            except ValueError:
                raise ValueError(
                    "not a witness program: a coefficient is not a field element"
                ) from None
        widths = _widths(code)
        program = _w.Program(code, lc_ptr, lc_var, lc_coef, n_vars, n_inputs, _constants(widths))
        arrays = dict(
            code=code, lc_ptr=lc_ptr, lc_var=lc_var, lc_coef=lc_coef, order=order, sizes=sizes
        )
        return cls(program, order, n_public, arrays)

    def __repr__(self) -> str:
        return (
            f"WitnessProgram({self.n_inputs} inputs, {self.n_wires} wires, {self.n_public} public)"
        )


def _widths(code: np.ndarray) -> set[int]:
    """The Poseidon widths a code array uses (walking its records; malformed
    records are left for the kernel's check to name)."""
    ops = _w.OPS
    lengths = {ops["input"]: 3, ops["muladd"]: 5, ops["inv"]: 3, ops["is_zero"]: 3, ops["bits"]: 5}
    widths: set[int] = set()
    i, n = 0, len(code)
    c = code.tolist()
    while i < n:
        op = c[i]
        if op == ops["poseidon"]:
            if i + 2 >= n or not 2 <= c[i + 2] <= 17:
                break
            widths.add(c[i + 2])
            i += 4 + c[i + 2] - 1
        elif op in lengths:
            i += lengths[op]
        else:
            break
    return widths


_CONSTANTS_LOCK = threading.Lock()


def _constants(widths: set[int]) -> dict[int, _Constants]:
    from .poseidon import _constants as poseidon_constants

    with _CONSTANTS_LOCK:
        return {t: poseidon_constants(t - 1, "inputs") for t in sorted(widths)}


class _Tables:
    """The program's LC table under construction (one entry per distinct form)."""

    def __init__(self) -> None:
        self.ptr = [0]
        self.var: list[int] = []
        self.coef: list[int] = []
        self.by_id: dict[int, int] = {}
        self.keep: list[LinearCombination] = []  # the forms whose id() is a key

    def lc(self, form: LinearCombination | None) -> int:
        if form is None:
            return -1
        k = self.by_id.get(id(form))
        if k is None:
            for i, c in form.terms.items():
                self.var.append(i)
                self.coef.append(c)
            self.ptr.append(len(self.var))
            k = self.by_id[id(form)] = len(self.ptr) - 2
            self.keep.append(form)
        return k


def compile_witness(cs: ConstraintSystem, inputs: Sequence[Variable]) -> WitnessProgram:
    """The native witness program of ``cs`` whose inputs are ``inputs``, in that order.

    Every other variable must carry a :class:`~pouw.zk.constraint_system.Derived`
    hint or belong to a gadget's hint block with a native form; an explicit
    value on one is ignored by the program (the program computes it).

    Raises
    ------
    WitnessCompileError
        A variable the program cannot compute (named), or an input listed twice.
    """
    slot: dict[int, int] = {}
    for k, v in enumerate(inputs):
        cs._own(v)
        if not isinstance(v, Variable) or v.index in slot or v.index == ONE:
            raise WitnessCompileError(f"input {k} ({v!r}) is not a new variable of this system")
        slot[v.index] = k
    ops = _w.OPS
    tables = _Tables()
    code: list[int] = []
    n = cs.n_wires
    i = 1
    while i < n:
        if i in slot:
            code += (ops["input"], i, slot[i])
            i += 1
            continue
        block = cs._blocks.get(i)
        if block is not None:
            size, fill = block
            native = getattr(fill, "native_op", None)
            if native is None:
                raise WitnessCompileError(
                    f"variables {cs._names[i]!r}.. are filled by an opaque hint block"
                )
            kind, t, mask, forms = native()
            if kind != "poseidon" or len(forms) != t - 1:
                raise WitnessCompileError(f"unknown native block {kind!r} at {cs._names[i]!r}")
            if any(j in slot for j in range(i, i + size)):
                raise WitnessCompileError(f"an input is inside the block at {cs._names[i]!r}")
            code += (ops["poseidon"], i, t, mask, *(tables.lc(f) for f in forms))
            i += size
            continue
        hint = cs._hints.get(i)
        if not isinstance(hint, Derived):
            what = "an opaque (Python) hint" if hint is not None else "no hint"
            raise WitnessCompileError(
                f"variable {cs._names[i]!r} (#{i}) has {what}: list it as an input or give "
                f"it a Derived hint"
            )
        if hint.kind == "muladd":
            a, b, c = hint.lcs
            code += (ops["muladd"], i, tables.lc(a), tables.lc(b), tables.lc(c))
            i += 1
        elif hint.kind == "bit":
            # consecutive bits of one form: one record
            first, form, j = hint.arg, hint.lcs[0], i + 1
            while j < n and j not in slot and j not in cs._blocks:
                h = cs._hints.get(j)
                if not (
                    isinstance(h, Derived)
                    and h.kind == "bit"
                    and h.lcs[0] is form
                    and h.arg == first + (j - i)
                ):
                    break
                j += 1
            code += (ops["bits"], i, tables.lc(form), first, j - i)
            i = j
        else:
            code += (_KIND_OPS[hint.kind], i, tables.lc(hint.lcs[0]))
            i += 1
    arrays = dict(
        code=np.asarray(code, dtype=np.int64),
        lc_ptr=np.asarray(tables.ptr, dtype=np.int64),
        lc_var=np.asarray(tables.var, dtype=np.int64),
        lc_coef=FrArray.from_ints(tables.coef).montgomery.copy()
        if tables.coef
        else np.zeros((0, 4), dtype=np.uint64),
        order=np.asarray(cs.wire_order(), dtype=np.int64),
        sizes=np.asarray([n, len(inputs), cs.n_public], dtype=np.int64),
    )
    return WitnessProgram.from_arrays(arrays)
