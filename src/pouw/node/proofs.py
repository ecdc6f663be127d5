"""What became of a proof handed to the node (:meth:`NodeContext.accept_proof`)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ProofError
from ..queue import SubmitResult
from ..status import JobStatus

__all__ = ["ProofAccepted", "ProofRejected"]


@dataclass(frozen=True, slots=True)
class ProofAccepted:
    """A proof that verified: what it did to its job, and what verifying cost."""

    result: SubmitResult
    verify_s: float  #: seconds spent verifying
    started_at_ms: int | None  #: when the job's current attempt started (latency metrics)


class ProofRejected(ProofError):
    """The proof did not verify for the job's trace; the rejection is counted
    against the worker, and the job is given back if that worker held it."""

    def __init__(self, job_status: JobStatus, verify_s: float) -> None:
        super().__init__("the proof does not verify for this job's trace")
        self.job_status = job_status
        self.verify_s = verify_s
