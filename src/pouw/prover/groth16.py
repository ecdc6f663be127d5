""":class:`Groth16Prover`: the :class:`~pouw.prover.base.Prover` protocol over
Groth16 (:mod:`pouw.zk.groth16`), for a circuit the caller supplies.

It lives in the prover layer, not in :mod:`pouw.zk`, because it knows traces,
tiers and jobs, which the zk layer never imports (DESIGN.md, "Packages and
what each may import").

A :class:`TraceCircuit` turns ``(trace, tier, job_id)`` into a witness for
the proving key's circuit and, on the verifier's side, into the public inputs
the proof must be checked against (from the trace alone: a verifier trusts
nothing the prover sends but the proof).  Binding the tier and the job id is
the circuit's job (the trace circuits of :mod:`pouw.prover.circuits` have the
job id as a public input).  A circuit with a ``digest`` (the trace circuits)
also binds jobs to it: a job made for another circuit (``job.circuit``) is
neither proven nor verified here.

Proof bytes: the 256-byte encoding of :mod:`pouw.zk.groth16.proof_encoding`
(``A || B || C`` as EIP-196/197 points).  Proofs are malleable: never an identity.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..errors import PouwError, ProofError
from ..status import JobTier, ZkMode
from ..zk.field import FrArray
from ..zk.groth16.keys import ProvingKey, VerifyingKey
from ..zk.groth16.proof_encoding import PROOF_BYTES, decode_proof, encode_proof
from ..zk.groth16.prover import prove
from ..zk.groth16.verifier import PreparedVerifyingKey, prepare, verify_batch, verify_prepared
from .base import JobProofs, parse_tier

if TYPE_CHECKING:
    from ..job import ProofJob
    from ..trace import ExecutionTrace

#: Public inputs remembered per job id (a node computes them when it records the
#: job and again when the proof comes back; the second time is a lookup).
_PUBLICS_CACHE = 4096

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
    proof_size: int | None = PROOF_BYTES

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
        #: the circuit's digest when it has one: jobs for another circuit are refused
        self.circuit_digest: str | None = getattr(circuit, "digest", None)
        self._publics: OrderedDict[str, tuple[int, ...]] = OrderedDict()
        self._publics_lock = threading.Lock()

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

    @property
    def circuit(self) -> TraceCircuit:
        """The circuit this prover's key is for."""
        return self._circuit

    # -- jobs: bound to this circuit, public inputs remembered per job id

    def _for_this_circuit(self, job: ProofJob) -> bool:
        digest = self.circuit_digest
        return job.circuit is None or digest is None or job.circuit == digest

    def prove_job(self, job: ProofJob) -> bytes:
        """Prove the job (see :meth:`JobProofs.prove_job`); ProofError for a job
        made for another circuit."""
        if not self._for_this_circuit(job):
            raise ProofError(
                f"job {job.job_id} is for circuit {str(job.circuit)[:16]}, this prover's "
                f"is {str(self.circuit_digest)[:16]}"
            )
        return super().prove_job(job)

    def public_inputs(
        self,
        trace: ExecutionTrace,
        *,
        tier: JobTier | str = JobTier.MACRO,
        job_id: str | None = None,
        step: int | None = None,
    ) -> tuple[int, ...]:
        """The circuit's public inputs for ``(trace, tier, job_id, step)``
        (ProofError if the trace is not one it proves)."""
        extra = {} if step is None else {"step": step}
        publics = self._circuit.public_inputs(trace, tier=parse_tier(tier), job_id=job_id, **extra)
        if isinstance(publics, FrArray):
            publics = publics.to_ints()
        return tuple(int(x) for x in publics)

    def public_inputs_job(self, job: ProofJob) -> tuple[int, ...]:
        """The public inputs a proof of ``job`` is checked against (ProofError if
        its trace is not one the circuit proves, TraceError if it does not decode)."""
        with self._publics_lock:
            hit = self._publics.get(job.job_id)
        if hit is not None:
            return hit
        out = self.public_inputs(job.get_trace(), tier=job.tier, job_id=job.job_id, step=job.step)
        with self._publics_lock:
            self._publics[job.job_id] = out
            while len(self._publics) > _PUBLICS_CACHE:
                self._publics.popitem(last=False)
        return out

    def verify_job(self, job: ProofJob, proof: bytes) -> bool:
        """True when ``proof`` proves ``job`` under this key (never raises)."""
        return self.verify_jobs([(job, proof)])[0]

    def verify_jobs(self, items: Sequence[tuple[ProofJob, bytes]]) -> list[bool]:
        """:meth:`verify_job` of each ``(job, proof)``: one batch verification
        (:func:`~pouw.zk.groth16.verifier.verify_batch`) of the well-formed ones,
        and one by one only if the batch fails, to say which."""
        verdicts = [False] * len(items)
        ready: list[tuple[int, tuple[int, ...], Any]] = []
        for i, (job, proof) in enumerate(items):
            if not self._for_this_circuit(job) or not isinstance(
                proof, (bytes, bytearray, memoryview)
            ):
                continue
            try:
                ready.append((i, self.public_inputs_job(job), decode_proof(bytes(proof))))
            except PouwError:
                continue
        if len(ready) > 1 and verify_batch(self._pvk, [(x, p) for _, x, p in ready]):
            for i, _, _ in ready:
                verdicts[i] = True
            return verdicts
        for i, publics, p in ready:
            verdicts[i] = verify_prepared(self._pvk, list(publics), p)
        return verdicts

    def __repr__(self) -> str:
        return f"Groth16Prover(n_public={self._pvk.vk.n_public})"
