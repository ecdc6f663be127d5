"""Provers: turn a trace into a proof bound to its tier and job, and check proofs.

``zk_mode = "mock"`` is :class:`MockProver` (a real constraint check in the
native kernel, bound to the job, no cryptography); ``"groth16"`` is refused
until its trace circuits ship.
"""

from .base import Prover
from .check import check_trace
from .mock import MockProver
from .modes import get_prover, prove_trace, verify
from .rules import Rule

__all__ = ["Prover", "MockProver", "Rule", "check_trace", "get_prover", "prove_trace", "verify"]
