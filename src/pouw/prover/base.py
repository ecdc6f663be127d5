"""What every prover offers: the :class:`Prover` protocol.

A prover knows traces and proofs only: it never sees intents, queues or the
node (DESIGN.md, "Packages and what each may import"). ``prove`` raises
:class:`~pouw.errors.ProofError` for a trace that breaks a constraint;
``verify`` answers ``False`` for any proof it cannot accept and never raises
on the proof's bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ..errors import TraceError
from ..status import JobTier, ZkMode, parse_enum

if TYPE_CHECKING:
    from ..job import ProofJob
    from ..trace import ExecutionTrace

__all__ = [
    "Prover",
    "JobProofs",
    "parse_tier",
    "job_id_bytes",
    "public_inputs_of",
    "job_public_inputs",
    "verify_many",
]


@runtime_checkable
class Prover(Protocol):
    """A proof system bound to traces, tiers and jobs.

    A proof made for ``(trace, tier, job_id)`` verifies for exactly that
    triple; ``job_id=None`` means "inline, without a job".  ``step`` is a Micro
    job's step of the trace (the one instruction it proves; None: the tier's
    whole unit, or step 0 for a Micro proof without a job).
    """

    zk_mode: ZkMode
    #: the size of every proof this prover makes, when it is fixed (``None``: it
    #: varies); a node refuses a submitted proof of another size before verifying
    proof_size: int | None

    def prove(
        self,
        trace: ExecutionTrace,
        *,
        tier: JobTier | str = JobTier.MACRO,
        job_id: str | None = None,
        step: int | None = None,
    ) -> bytes:
        """Prove ``trace``; raises ``ProofError`` if it breaks a constraint."""
        ...

    def verify(
        self,
        trace: ExecutionTrace,
        proof: bytes,
        *,
        tier: JobTier | str = JobTier.MACRO,
        job_id: str | None = None,
        step: int | None = None,
    ) -> bool:
        """True when ``proof`` proves ``trace`` for this tier and job."""
        ...

    def prove_job(self, job: ProofJob) -> bytes:
        """Prove the job's trace, bound to its tier and id."""
        ...

    def verify_job(self, job: ProofJob, proof: bytes) -> bool:
        """True when ``proof`` proves the job's trace for its tier and id."""
        ...


def job_id_bytes(job_id: str | None) -> bytes:
    """A job id (64 hex digits) as 32 bytes, 32 zero bytes for ``None`` (a proof
    made inline); ValueError otherwise.  What every prover binds a proof to."""
    if job_id is None:
        return bytes(32)
    try:
        raw = bytes.fromhex(job_id)
    except (TypeError, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ValueError(f"job_id must be 64 hex digits or None, got {job_id!r}")
    return raw


def parse_tier(tier: JobTier | str) -> JobTier:
    """``tier`` as a :class:`JobTier`; ValueError naming the choices otherwise."""
    return parse_enum(JobTier, tier, "tier")


class JobProofs:
    """``prove_job``/``verify_job`` for a prover that implements ``prove`` and
    ``verify``: a job is proven as its trace bound to its tier and id, the same
    for every proof system."""

    proof_size: int | None = None

    def prove(
        self,
        trace: ExecutionTrace,
        *,
        tier: JobTier | str = JobTier.MACRO,
        job_id: str | None = None,
        step: int | None = None,
    ) -> bytes:
        raise NotImplementedError

    def verify(
        self,
        trace: ExecutionTrace,
        proof: bytes,
        *,
        tier: JobTier | str = JobTier.MACRO,
        job_id: str | None = None,
        step: int | None = None,
    ) -> bool:
        raise NotImplementedError

    def prove_job(self, job: ProofJob) -> bytes:
        """Prove the job's trace, bound to ``job.tier`` and ``job.job_id`` (and ``job.step``).

        Raises ``TraceError`` if the job's bytes are malformed or do not match
        its trace hash, ``ProofError`` if the trace breaks a constraint.
        """
        return self.prove(job.get_trace(), tier=job.tier, job_id=job.job_id, step=job.step)

    def verify_job(self, job: ProofJob, proof: bytes) -> bool:
        """True when ``proof`` proves the job's trace for its tier and id (never
        raises: a job whose bytes do not decode has no valid proof)."""
        try:
            trace = job.get_trace()
        except TraceError:
            return False
        return self.verify(trace, proof, tier=job.tier, job_id=job.job_id, step=job.step)

    def verify_jobs(self, items: Sequence[tuple[ProofJob, bytes]]) -> list[bool]:
        """:meth:`verify_job` of each ``(job, proof)`` (a proof system with batch
        verification does them together)."""
        return [self.verify_job(job, proof) for job, proof in items]

    def public_inputs(
        self,
        trace: ExecutionTrace,
        *,
        tier: JobTier | str = JobTier.MACRO,
        job_id: str | None = None,
        step: int | None = None,
    ) -> tuple[int, ...] | None:
        """The public inputs a proof of ``(trace, tier, job_id, step)`` is checked
        against, for a proof system that has them (``None``: the mock proof has none)."""
        return None

    def public_inputs_job(self, job: ProofJob) -> tuple[int, ...] | None:
        """The public inputs a proof of ``job`` is checked against, for a proof
        system that has them (``None``: the mock proof has none)."""
        return None


# The optional faces of a prover (JobProofs has them; a Prover of the protocol
# alone need not): one place that says what stands in for each.


def public_inputs_of(
    prover: Prover,
    trace: ExecutionTrace,
    *,
    tier: JobTier | str,
    job_id: str | None,
    step: int | None,
) -> tuple[int, ...]:
    """The public inputs of ``prover``'s proof of the trace (empty: it has none)."""
    of_trace = getattr(prover, "public_inputs", None)
    found = of_trace(trace, tier=tier, job_id=job_id, step=step) if of_trace else None
    return tuple(found or ())


def job_public_inputs(prover: Prover, job: ProofJob) -> tuple[int, ...]:
    """The public inputs of ``prover``'s proof of ``job`` (empty: it has none)."""
    of_job = getattr(prover, "public_inputs_job", None)
    return tuple((of_job(job) if of_job else None) or ())


def verify_many(prover: Prover, items: Sequence[tuple[ProofJob, bytes]]) -> list[bool]:
    """``verify_job`` of each pair, in one batch where the prover has one."""
    verify_jobs = getattr(prover, "verify_jobs", None)
    if verify_jobs is not None:
        return list(verify_jobs(items))
    return [prover.verify_job(job, proof) for job, proof in items]
