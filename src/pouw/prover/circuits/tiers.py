"""The trace circuits as :class:`~pouw.prover.groth16.TraceCircuit`: one per tier, depth and batch size.

A :class:`TierCircuit` knows which traces it proves and how: ``statement``
(what a verifier checks the proof against), ``witness`` (the full witness,
computed natively) and ``public_inputs``, all from the trace (which the
native checker must accept first) and the job id.  The tiers:

- **Micro** (:func:`~.micro.build_micro`): one step; ``step`` picks it (default 0);
- **Macro** (:func:`~.macro.build_macro`): a trace of one transfer intent;
- **Full** (:func:`~.macro.build_full`): a trace of 1..``batch_size`` transfer
  intents (a batch, or a single intent), padded to ``batch_size`` blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from ...errors import ProofError
from ...status import JobTier
from ...zk.field import FrArray
from ..base import parse_tier
from .builder import CompiledCircuit
from .inputs import full_values, intents_of, macro_values, micro_values, steps_of
from .macro import build_full, build_macro
from .micro import build_micro
from .statement import Statement, job_field

if TYPE_CHECKING:
    from ...trace import ExecutionTrace

__all__ = ["TierCircuit", "circuit_for", "DEFAULT_BATCH_SIZE"]

#: The Full tier's batch size when none is configured.
DEFAULT_BATCH_SIZE = 4


@dataclass(frozen=True)
class TierCircuit:
    """The circuit of one ``tier`` at ``depth`` (and ``batch_size`` for Full)."""

    tier: JobTier
    depth: int
    batch_size: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.depth <= 32:
            raise ValueError(f"depth must be in 1..32, got {self.depth}")
        if self.batch_size < 1 or (self.tier is not JobTier.FULL and self.batch_size != 1):
            raise ValueError("batch_size is at least 1, and only the Full tier's is not 1")

    @cached_property
    def compiled(self) -> CompiledCircuit:
        """The R1CS and witness program (built on first use, cached per process)."""
        if self.tier is JobTier.MICRO:
            return build_micro(self.depth)
        if self.tier is JobTier.MACRO:
            return build_macro(self.depth)
        return build_full(self.depth, self.batch_size)

    @property
    def digest(self) -> str:
        """The circuit's digest (:func:`~.builder.r1cs_digest`): what its keys are versioned by."""
        return self.compiled.digest

    def _check(self, trace: ExecutionTrace, tier: JobTier | str, step: int | None) -> None:
        if step is not None and self.tier is not JobTier.MICRO:
            raise ProofError(f"the {self.tier.value} circuit proves a whole unit, not a step")
        if parse_tier(tier) is not self.tier:
            raise ProofError(
                f"this is the {self.tier.value} circuit, not the {parse_tier(tier).value} one"
            )
        if trace.depth != self.depth:
            raise ProofError(
                f"the circuit is for depth {self.depth}, the trace has depth {trace.depth}"
            )

    def values(
        self, trace: ExecutionTrace, job_id: str | None = None, step: int = 0
    ) -> tuple[dict[str, int], Statement]:
        """The witness program's input values and the statement (ProofError when
        the trace is not one this circuit proves)."""
        if self.tier is JobTier.MICRO:
            return micro_values(trace, step, job_id)
        steps = steps_of(trace)
        job = job_field(job_id)
        if self.tier is JobTier.MACRO:
            intents = intents_of(steps)
            if len(intents) != 1:
                raise ProofError(
                    f"the Macro circuit proves one intent, the trace has {len(intents)}"
                )
            return macro_values(intents[0], trace.coinbase, job)
        return full_values(steps, trace.coinbase, self.batch_size, job)

    def statement(
        self, trace: ExecutionTrace, job_id: str | None = None, step: int = 0
    ) -> Statement:
        return self.values(trace, job_id, step)[1]

    # -- the TraceCircuit protocol of pouw.prover.groth16

    def witness(
        self,
        trace: ExecutionTrace,
        *,
        tier: JobTier | str,
        job_id: str | None,
        step: int | None = None,
    ) -> FrArray:
        """The full witness (wire order); ProofError if the trace breaks a rule.
        ``step``: the Micro tier's step (default 0); other tiers take none."""
        self._check(trace, tier, step)
        values, _ = self.values(trace, job_id, step or 0)
        return self.compiled.witness(values)

    def public_inputs(
        self,
        trace: ExecutionTrace,
        *,
        tier: JobTier | str,
        job_id: str | None,
        step: int | None = None,
    ) -> list[int]:
        """The public inputs a proof of ``(trace, tier, job_id, step)`` is checked against."""
        self._check(trace, tier, step)
        return self.statement(trace, job_id, step or 0).public_inputs()


def circuit_for(tier: JobTier | str, depth: int, batch_size: int | None = None) -> TierCircuit:
    """The circuit of ``tier`` at ``depth`` (Full: ``batch_size`` intents, default
    :data:`DEFAULT_BATCH_SIZE`)."""
    t = parse_tier(tier)
    if t is JobTier.FULL:
        return TierCircuit(t, depth, DEFAULT_BATCH_SIZE if batch_size is None else batch_size)
    return TierCircuit(t, depth)
