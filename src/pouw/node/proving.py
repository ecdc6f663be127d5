"""The node's prover, chosen by ``zk_mode``, and the circuit its jobs are made for.

``mock``: :class:`~pouw.prover.MockProver`, jobs without a circuit.
``groth16``: a :class:`~pouw.prover.Groth16Prover` of the trace circuit of the
configured tier at the state's depth (and batch size for Full), with its key
from the key directory: :class:`~pouw.prover.keys.KeyMissing` (naming ``pouw
keys setup``) when there is none. Every job then records that circuit's
digest, so that only a worker with the same key claims it.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..prover import Prover, get_prover
from ..status import JobTier, PoUwMode, ZkMode
from .config import NodeConfig

if TYPE_CHECKING:
    from ..trace import ExecutionTrace
    from .executor import ExecutionResult

__all__ = ["node_prover", "proof_threads", "job_units"]


def proof_threads(config: NodeConfig) -> int:
    """Threads of one Groth16 proof: ``[prover] threads``, else the cores shared
    by the proofs that run at once (the local workers; one elsewhere)."""
    if config.prover_threads:
        return config.prover_threads
    at_once = config.workers if config.pouw_mode is PoUwMode.LOCAL and config.workers > 0 else 1
    return max(1, (os.cpu_count() or 1) // at_once)


def node_prover(config: NodeConfig) -> Prover:
    """The prover of a node with ``config`` (loads the Groth16 key: milliseconds)."""
    if config.zk_mode is not ZkMode.GROTH16:
        return get_prover(config.zk_mode)
    from ..prover.circuits.tiers import circuit_for
    from ..prover.groth16 import Groth16Prover
    from ..prover.keys import load_keys

    circuit = circuit_for(config.tier, config.state_depth, config.batch_size)
    pk = load_keys(config.keys_dir, circuit)
    return Groth16Prover(pk, circuit, threads=proof_threads(config))


def job_units(
    tier: JobTier, trace: ExecutionTrace, results: list[ExecutionResult]
) -> list[tuple[int | None, int]]:
    """What the proofs of one trace cover, as ``(step, fee budget)``: one per step
    for Micro (the fee split over the steps, the remainder on the first), else
    the whole trace (its intents' fees). The pipeline makes its jobs from these,
    and ``pouw ledger verify`` the same jobs again."""
    fee = sum(r.gas_summary.fee_charged for r in results)
    if tier is not JobTier.MICRO:
        return [(None, fee)]
    n = trace.n_steps
    return [(k, fee // n + (fee % n if k == 0 else 0)) for k in range(n)]
