"""Building a trace circuit: named inputs, then one compiled form (R1CS + native witness program).

A circuit's inputs are the values its witness is computed from: the public
inputs (:data:`~.statement.PUBLIC_NAMES`, allocated first, so that they are
wires ``1..6``) and the trace's fields and advice (named private inputs).
:class:`CompiledCircuit` is what proving needs: the R1CS, the witness program
and the input names, plus a digest of the constraint matrices that keys and
jobs are versioned by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from blake3 import blake3

from ...errors import ProofError
from ...zk.constraint_system import ConstraintSystem, LinearCombination, LinearLike, Variable
from ...zk.field import FrArray
from ...zk.groth16.qap import matvec
from ...zk.r1cs import R1CS
from ...zk.witness_program import WitnessProgram, compile_witness
from .statement import PUBLIC_NAMES

__all__ = ["CircuitBuilder", "CompiledCircuit", "r1cs_digest"]


class CircuitBuilder:
    """A :class:`ConstraintSystem` whose inputs have names (the public ones first)."""

    def __init__(self) -> None:
        self.cs = ConstraintSystem()
        self.names: list[str] = []
        self._vars: list[Variable] = []
        self.publics = {name: self._input(name, public=True) for name in PUBLIC_NAMES}

    def _input(self, name: str, public: bool) -> Variable:
        if name in self.names:
            raise ValueError(f"input {name!r} declared twice")
        v = self.cs.alloc_public(None, name) if public else self.cs.alloc_private(None, name)
        self.names.append(name)
        self._vars.append(v)
        return v

    def input(self, name: str) -> Variable:
        """A new private input (a trace field or an advice value)."""
        return self._input(name, public=False)

    def mul(self, a: LinearLike, b: LinearLike, name: str | None = None) -> LinearCombination:
        """``a·b``, with no constraint when either is a constant."""
        la, lb = _lc(a), _lc(b)
        if la.is_constant():
            return lb * la.constant
        if lb.is_constant():
            return la * lb.constant
        return self.cs.mul(la, lb, name)

    def zero_if(self, flag: LinearLike, x: LinearLike, name: str | None = None) -> None:
        """Enforce ``flag · x = 0``: ``x = 0`` whenever the boolean ``flag`` is set."""
        self.cs.enforce(flag, x, 0, name)

    def compile(self, label: str) -> CompiledCircuit:
        r1cs = self.cs.to_r1cs()
        program = compile_witness(self.cs, self._vars)
        return CompiledCircuit(label, r1cs, program, tuple(self.names), r1cs_digest(r1cs))


def _lc(x: LinearLike) -> LinearCombination:
    from ...zk.constraint_system import as_lc

    lc = as_lc(x)
    if lc is None:
        raise TypeError(f"expected a linear combination or an int, got {type(x).__name__}")
    return lc


def r1cs_digest(r1cs: R1CS) -> str:
    """BLAKE3 of the constraint system (sizes and the three matrices, canonical
    CSR): what keys, jobs and workers agree on (64 hex digits)."""
    h = blake3(b"pouw.circuit.r1cs.v1\x00")
    h.update(np.asarray([r1cs.n_wires, r1cs.n_public, r1cs.n_constraints], "<i8").tobytes())
    for m in (r1cs.a, r1cs.b, r1cs.c):
        h.update(np.asarray(m.row_ptr, "<i8").tobytes())
        h.update(np.asarray(m.cols, "<i8").tobytes())
        h.update(m.values.to_bytes("little"))
    return h.hexdigest()


@dataclass(frozen=True, eq=False)
class CompiledCircuit:
    """One circuit ready to prove: ``r1cs``, its witness ``program`` and input names."""

    label: str
    r1cs: R1CS
    program: WitnessProgram
    input_names: tuple[str, ...]
    digest: str

    @property
    def n_constraints(self) -> int:
        return self.r1cs.n_constraints

    def witness(self, values: Mapping[str, int]) -> FrArray:
        """The full witness (wire order) from the named input values (ints in ``[0, r)``)."""
        try:
            ordered = [values[name] for name in self.input_names]
        except KeyError as exc:
            raise ProofError(f"{self.label}: no value for input {exc.args[0]!r}") from None
        return self.program.run(FrArray.from_ints(ordered))

    def first_violation(self, w: FrArray) -> int | None:
        """The first constraint ``w`` breaks (natively), or None when it satisfies them all."""
        m = self.r1cs.n_constraints
        ab = matvec(self.r1cs.a, w, m) * matvec(self.r1cs.b, w, m)
        cw = matvec(self.r1cs.c, w, m)
        bad = np.flatnonzero(np.any(ab.montgomery != cw.montgomery, axis=1))
        return int(bad[0]) if bad.size else None

    def __repr__(self) -> str:
        return (
            f"CompiledCircuit({self.label!r}, {self.n_constraints} constraints, "
            f"{self.r1cs.n_wires} wires, digest {self.digest[:16]}...)"
        )
