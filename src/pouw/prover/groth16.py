""":class:`Groth16Prover`: the :class:`~pouw.prover.base.Prover` protocol over
Groth16 (:mod:`pouw.zk.groth16`), for a circuit the caller supplies.

It lives in the prover layer, not in :mod:`pouw.zk`, because it knows traces,
tiers and jobs, which the zk layer never imports (DESIGN.md, "Packages and
what each may import").

The circuits of the node's own execution traces come in a later release;
until then a node refuses ``zk_mode = "groth16"``.  This class is the seam
they will plug into: a :class:`TraceCircuit` turns ``(trace, tier, job_id)``
into a witness for the proving key's circuit and, on the verifier's side,
into the public inputs the proof must be checked against (from the trace
alone: a verifier trusts nothing the prover sends but the proof).  Binding
the tier and the job id is the circuit's job (for instance, a public input
that hashes them).

Proof bytes: the 256-byte encoding of :mod:`pouw.zk.groth16.proof_encoding`
(``A || B || C`` as EIP-196/197 points).  Proofs are malleable: never an identity.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..errors import PouwError, ProofError
from ..status import JobTier, ZkMode
from ..zk.field import FrArray
from ..zk.groth16.keys import ProvingKey, VerifyingKey
from ..zk.groth16.proof_encoding import PROOF_BYTES, decode_proof, encode_proof
from ..zk.groth16.prover import prove
from ..zk.groth16.verifier import PreparedVerifyingKey, prepare, verify_prepared
from .base import JobProofs, parse_tier

if TYPE_CHECKING:
    from ..trace import ExecutionTrace

__all__ = ["TraceCircuit", "Groth16Prover"]


@runtime_checkable
class TraceCircuit(Protocol):
    """What :class:`Groth16Prover` needs from a circuit over traces."""

    def witness(self, trace: ExecutionTrace, *, tier: JobTier, job_id: str | None) -> Any:
        """The full witness (FrArray or list of ints); ProofError if the trace breaks a rule.

        A circuit of one step (the Micro tier) also takes ``step=``: the prover
        passes it when a job has one."""
        ...

    def public_inputs(
        self, trace: ExecutionTrace, *, tier: JobTier, job_id: str | None
    ) -> Sequence[int]:
        """The public inputs a proof of ``(trace, tier, job_id)`` is checked against
        (``step=`` as for :meth:`witness`)."""
        ...


class Groth16Prover(JobProofs):
    """Groth16 proofs of traces for the circuit ``circuit`` and its key ``pk``.

    ``threads`` is passed to the MSMs and NTTs (None: every core).  The
    verifying key defaults to ``pk.vk`` (pass the ceremony's to verify only).
    """

    zk_mode = ZkMode.GROTH16
    proof_size = PROOF_BYTES

    def __init__(
        self,
        pk: ProvingKey | None,
        circuit: TraceCircuit,
        vk: VerifyingKey | None = None,
        threads: int | None = None,
    ) -> None:
        if vk is None:
            if pk is None:
                raise ValueError("Groth16Prover needs a proving key or a verifying key")
            vk = pk.vk
        self._pk = pk
        self._circuit = circuit
        self._pvk: PreparedVerifyingKey = prepare(vk)
        self._threads = threads

    def prove(
        self,
        trace: ExecutionTrace,
        *,
        tier: JobTier | str = JobTier.MACRO,
        job_id: str | None = None,
        step: int | None = None,
    ) -> bytes:
        """Prove ``trace``; ProofError if it breaks a constraint of the circuit."""
        if self._pk is None:
            raise ProofError("this Groth16Prover has no proving key (verification only)")
        t = parse_tier(tier)
        extra = {} if step is None else {"step": step}
        w = self._circuit.witness(trace, tier=t, job_id=job_id, **extra)
        proof = prove(self._pk, w, threads=self._threads)
        return encode_proof(proof)

    def verify(
        self,
        trace: ExecutionTrace,
        proof: bytes,
        *,
        tier: JobTier | str = JobTier.MACRO,
        job_id: str | None = None,
        step: int | None = None,
    ) -> bool:
        """True when ``proof`` proves ``trace`` for ``tier`` and ``job_id`` (never raises on it)."""
        t = parse_tier(tier)
        if not isinstance(proof, (bytes, bytearray, memoryview)):
            return False
        extra = {} if step is None else {"step": step}
        try:
            p = decode_proof(bytes(proof))
            publics = self._circuit.public_inputs(trace, tier=t, job_id=job_id, **extra)
        except PouwError:
            return False
        if isinstance(publics, FrArray):
            publics = publics.to_ints()
        return verify_prepared(self._pvk, list(publics), p)

    def __repr__(self) -> str:
        return f"Groth16Prover(n_public={self._pvk.vk.n_public})"
