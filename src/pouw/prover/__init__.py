"""Provers: turn a trace into a proof bound to its tier and job, and check proofs.

``zk_mode = "mock"`` is :class:`MockProver` (a real constraint check in the
native kernel, bound to the job, no cryptography); ``"groth16"`` is
:class:`Groth16Prover` (:mod:`pouw.prover.groth16`) over a :class:`TraceCircuit`
-- for a node, the trace circuit of its tier (:mod:`pouw.prover.circuits`)
with its key (:mod:`pouw.prover.keys`).

``Groth16Prover`` and ``TraceCircuit`` load on first use (PEP 562
``__getattr__``): the mock prover, which a node uses, does not pay for the
Groth16 stack (numpy and the curve kernels).
"""

from .._lazy import lazy_exports
from .base import Prover
from .check import check_trace
from .mock import MockProver
from .modes import get_prover, prove_trace, verify
from .rules import Rule

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads the name)

if TYPE_CHECKING:  # the static view of the lazy names below
    from .groth16 import Groth16Prover, TraceCircuit

__all__ = [
    "Prover",
    "MockProver",
    "Groth16Prover",
    "TraceCircuit",
    "Rule",
    "check_trace",
    "get_prover",
    "prove_trace",
    "verify",
]

#: Public name -> the submodule that defines it (imported on first access).
_LAZY = {"Groth16Prover": "groth16", "TraceCircuit": "groth16"}

#: Submodules reachable as attributes after a bare ``import pouw.prover``; the
#: others are attributes already (imported above).
_SUBMODULES = frozenset({"groth16"})


if not TYPE_CHECKING:  # hidden from mypy, which would then accept any attribute
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY, _SUBMODULES)
