"""Choosing a prover by the config word (``zk_mode``), and the one-call helpers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ProofError
from ..status import JobTier, ZkMode, parse_enum
from .base import Prover
from .mock import MockProver

if TYPE_CHECKING:
    from ..trace import ExecutionTrace

__all__ = ["get_prover", "prove_trace", "verify"]

_MOCK = MockProver()


def get_prover(zk_mode: ZkMode | str) -> Prover:
    """The prover for ``zk_mode`` (``"mock"`` or :class:`ZkMode`).

    Raises
    ------
    ValueError
        An unknown word; the message lists the choices.
    ProofError
        ``"groth16"``: a Groth16 prover needs a circuit and its key, which
        a word does not name (a Groth16 request is never answered with a
        mock proof).  A node builds its prover from its config
        (:func:`pouw.node.proving.node_prover`: the tier's trace circuit and
        key); for one circuit, build a :class:`~pouw.prover.groth16.Groth16Prover`.
    """
    mode = parse_enum(ZkMode, zk_mode, "zk_mode")
    if mode is ZkMode.GROTH16:
        raise ProofError(
            "zk_mode 'groth16' needs a circuit and its key: a node builds its prover from "
            "its config (pouw.node.proving.node_prover), or build "
            "pouw.prover.Groth16Prover(key, circuit_for(tier, depth))"
        )
    return _MOCK


def prove_trace(
    trace: ExecutionTrace,
    zk_mode: ZkMode | str,
    *,
    tier: JobTier | str = JobTier.MACRO,
    job_id: str | None = None,
) -> bytes:
    """Prove ``trace`` with the ``zk_mode`` prover; ``ProofError`` if it breaks a constraint."""
    return get_prover(zk_mode).prove(trace, tier=tier, job_id=job_id)


def verify(
    trace: ExecutionTrace,
    proof: bytes,
    zk_mode: ZkMode | str,
    *,
    tier: JobTier | str = JobTier.MACRO,
    job_id: str | None = None,
) -> bool:
    """True when ``proof`` proves ``trace`` for ``tier`` and ``job_id`` under ``zk_mode``."""
    return get_prover(zk_mode).verify(trace, proof, tier=tier, job_id=job_id)
