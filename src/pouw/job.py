"""Proof jobs: one trace to prove, with a deterministic id.

A :class:`ProofJob` is immutable once made. Its ``job_id`` is the lowercase
hex BLAKE3 digest of a canonical encoding of the trace hash, the tier, the
intent id and the fee budget, and, when the job has them, the circuit it must
be proven for (``circuit``: the digest of a Groth16 trace circuit) and the
step it proves (``step``: a Micro job's step of the trace). Neither the
creation time nor the TTL is part of it, so the same work gets the same id on
every machine and a resubmitted job is recognised as a duplicate; a job
without circuit and step keeps the id it always had.

Where a job *is* in its lifecycle is the queue's business, not the job's:
``queue.get(job_id)`` returns a :class:`~pouw.queue.JobRecord` with the job,
its status and, once known, its proof.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from blake3 import blake3

from .errors import TraceError
from .status import TIER_CODES, JobTier, parse_enum

if TYPE_CHECKING:
    from .trace import ExecutionTrace

__all__ = ["ProofJob", "compute_job_id", "now_ms"]

_JOB_DOMAIN = b"pouw.job.v1\x00"
_JOB_DOMAIN_V2 = b"pouw.job.v2\x00"  # with the circuit and the step
_NO_STEP = 0xFFFFFFFF
_MAX_STEPS = 1 << 20
_U64_MAX = (1 << 64) - 1
_TIER_BYTE = {tier: bytes((code,)) for tier, code in TIER_CODES.items()}


def now_ms() -> int:
    """Wall-clock milliseconds since the Unix epoch (what deadlines are measured in)."""
    return time.time_ns() // 1_000_000


def compute_job_id(
    trace_hash: str,
    tier: JobTier | str,
    intent_id: str,
    fee_budget: int,
    circuit: str | None = None,
    step: int | None = None,
) -> str:
    """The deterministic job id: BLAKE3 over ``domain || trace_hash || tier || intent || fee``,
    then ``|| circuit || step`` under another domain when either is given.

    ``trace_hash``, ``intent_id`` and ``circuit`` are 64 hex digits (32 bytes);
    ``fee_budget`` is a u64, ``step`` a step index below 2^20 (a Micro job's).
    The encoding is fixed-width (no circuit: 32 zero bytes; no step: 2^32 - 1),
    so no two inputs share one.
    """
    tier = parse_enum(JobTier, tier, "tier")
    try:
        th = bytes.fromhex(trace_hash)
        iid = bytes.fromhex(intent_id)
    except (TypeError, ValueError):
        raise ValueError("trace_hash and intent_id must be hex strings") from None
    if len(th) != 32 or len(iid) != 32:
        raise ValueError("trace_hash and intent_id must be 32 bytes (64 hex digits)")
    _check_fee(fee_budget)
    _check_circuit_step(circuit, step, tier)
    return _job_id(th, tier, iid, fee_budget, circuit, step)


def _check_fee(fee_budget: object) -> None:
    if fee_budget.__class__ is not int or not 0 <= fee_budget <= _U64_MAX:
        raise ValueError(f"fee_budget must be an integer in [0, 2^64), got {fee_budget!r}")


def _check_circuit_step(circuit: object, step: object, tier: JobTier) -> None:
    if circuit is not None and not (
        circuit.__class__ is str
        and len(circuit) == 64
        and circuit == circuit.lower()
        and all(c in "0123456789abcdef" for c in circuit)
    ):
        raise ValueError(f"circuit must be 64 lowercase hex digits or None, got {circuit!r}")
    if step is not None:
        if step.__class__ is not int or not 0 <= step < _MAX_STEPS:
            raise ValueError(f"step must be an integer in [0, 2^20) or None, got {step!r}")
        if tier is not JobTier.MICRO:
            raise ValueError(f"only a micro job proves one step; this one is {tier.value}")


def _job_id(
    th: bytes,
    tier: JobTier,
    iid: bytes,
    fee_budget: int,
    circuit: str | None = None,
    step: int | None = None,
) -> str:
    head = (th, _TIER_BYTE[tier], iid, fee_budget.to_bytes(8, "little"))
    if circuit is None and step is None:
        return blake3(b"".join((_JOB_DOMAIN, *head))).hexdigest()
    tail = (
        bytes.fromhex(circuit) if circuit is not None else bytes(32),
        (_NO_STEP if step is None else step).to_bytes(4, "little"),
    )
    return blake3(b"".join((_JOB_DOMAIN_V2, *head, *tail))).hexdigest()


class ProofJob:
    """One trace to be proven.

    Attributes
    ----------
    job_id : str
        64 lowercase hex digits; see :func:`compute_job_id`.
    tier : JobTier
        What the proof covers: one instruction, one intent, or a batch.
    intent_id : str
        The intent's (or batch's) id, 64 hex digits, as the trace records it.
    trace_hash : str
        BLAKE3 of ``trace_data``, 64 hex digits.
    fee_budget : int
        What the node will pay for the proof (u64, in the chain's fee unit).
    created_at_ms, deadline_ms : int
        Wall-clock milliseconds; a job past its deadline is never handed out.
    trace_data : bytes
        The trace's canonical encoding.
    circuit : str or None
        The digest of the Groth16 trace circuit the job must be proven for
        (:func:`pouw.prover.circuits.builder.r1cs_digest`); None: any prover
        of the tier (the mock prover's jobs).
    step : int or None
        A Micro job's step of the trace (the one instruction it proves); None
        for every other job.
    """

    __slots__ = (
        "job_id",
        "tier",
        "intent_id",
        "trace_hash",
        "fee_budget",
        "created_at_ms",
        "deadline_ms",
        "trace_data",
        "circuit",
        "step",
        "_trace",
    )

    job_id: str
    tier: JobTier
    intent_id: str
    trace_hash: str
    fee_budget: int
    created_at_ms: int
    deadline_ms: int
    trace_data: bytes
    circuit: str | None
    step: int | None

    def __init__(
        self,
        *,
        tier: JobTier | str,
        intent_id: str,
        trace_hash: str,
        fee_budget: int,
        created_at_ms: int,
        deadline_ms: int,
        trace_data: bytes,
        job_id: str | None = None,
        check_trace: bool = True,
        circuit: str | None = None,
        step: int | None = None,
    ) -> None:
        tier = parse_enum(JobTier, tier, "tier")
        expected = compute_job_id(trace_hash, tier, intent_id, fee_budget, circuit, step)
        if job_id is not None and job_id != expected:
            raise ValueError(f"job_id {job_id!r} does not match its contents ({expected})")
        for name, ms in (("created_at_ms", created_at_ms), ("deadline_ms", deadline_ms)):
            # a claim answer from a node is untrusted: 1.5e12 or True is not a time
            if ms.__class__ is not int or not 0 <= ms <= _U64_MAX:
                raise ValueError(f"{name} must be an integer in [0, 2^64), got {ms!r}")
        if deadline_ms < created_at_ms:
            raise ValueError("deadline_ms is before created_at_ms")
        trace_data = bytes(trace_data)
        # check_trace=False defers the trace check to get_trace(), which decodes
        # and hashes the bytes anyway before anyone proves them (a store's reads)
        if check_trace and blake3(trace_data).hexdigest() != trace_hash:
            raise ValueError("trace_data does not hash to trace_hash")
        self.job_id = expected
        self.tier = tier
        self.intent_id = intent_id
        self.trace_hash = trace_hash
        self.fee_budget = fee_budget
        self.created_at_ms = created_at_ms
        self.deadline_ms = deadline_ms
        self.trace_data = trace_data
        self.circuit = circuit
        self.step = step
        self._trace: ExecutionTrace | None = None

    @classmethod
    def new_for_trace(
        cls,
        trace: ExecutionTrace,
        tier: JobTier | str,
        fee_budget: int,
        ttl_ms: int,
        *,
        circuit: str | None = None,
        step: int | None = None,
    ) -> ProofJob:
        """Make the job that proves ``trace`` at ``tier``, due ``ttl_ms`` from now
        (for the Groth16 ``circuit`` and, a Micro job, the trace's ``step``, when given).

        Any tier is accepted for any trace: the tier is the job's size class and
        the node decides what a Micro or Full job holds.
        """
        if not isinstance(ttl_ms, int) or ttl_ms < 0:
            raise ValueError(f"ttl_ms must be a non-negative integer, got {ttl_ms!r}")
        if tier.__class__ is not JobTier:
            tier = parse_enum(JobTier, tier, "tier")
        if fee_budget.__class__ is not int or not 0 <= fee_budget <= _U64_MAX:
            _check_fee(fee_budget)
        trace_hash = trace.trace_hash
        intent_id = trace.intent_id
        job = cls.__new__(cls)
        if circuit is None and step is None:  # the hot path: one hash, no checks to add
            job.job_id = blake3(
                b"".join(
                    (
                        _JOB_DOMAIN,
                        bytes.fromhex(trace_hash),
                        _TIER_BYTE[tier],
                        bytes.fromhex(intent_id),
                        fee_budget.to_bytes(8, "little"),
                    )
                )
            ).hexdigest()
        else:
            _check_circuit_step(circuit, step, tier)
            if step is not None and step >= trace.n_steps:
                raise ValueError(f"step {step} is past the trace's {trace.n_steps} steps")
            job.job_id = _job_id(
                bytes.fromhex(trace_hash), tier, bytes.fromhex(intent_id), fee_budget, circuit, step
            )
        job.circuit = circuit
        job.step = step
        job.tier = tier
        job.intent_id = intent_id
        job.trace_hash = trace_hash
        job.fee_budget = fee_budget
        created = time.time_ns() // 1_000_000
        job.created_at_ms = created
        job.deadline_ms = created + ttl_ms
        job.trace_data = trace.to_bytes()
        # Traces are immutable: keep the decoded one, so a local worker does not
        # decode and re-hash what the node just encoded.
        job._trace = trace
        return job

    def get_trace(self) -> ExecutionTrace:
        """Decode ``trace_data``; raises :class:`TraceError` if it is malformed or
        does not hash to ``trace_hash`` (a job whose bytes were altered)."""
        trace = self._trace
        if trace is None:
            from .trace import ExecutionTrace

            trace = ExecutionTrace.from_bytes(self.trace_data)
            if trace.trace_hash != self.trace_hash:
                raise TraceError(f"job {self.job_id}: trace data does not match trace_hash")
            self._trace = trace
        return trace

    def is_expired(self, at_ms: int | None = None) -> bool:
        """True once the deadline has passed (strictly after ``deadline_ms``)."""
        return (now_ms() if at_ms is None else at_ms) > self.deadline_ms

    def to_dict(self, *, with_trace: bool = False) -> dict[str, Any]:
        """JSON-ready fields; the trace bytes only when asked (they can be large)."""
        d: dict[str, Any] = {
            "job_id": self.job_id,
            "tier": self.tier.value,
            "intent_id": self.intent_id,
            "trace_hash": self.trace_hash,
            "fee_budget": self.fee_budget,
            "created_at_ms": self.created_at_ms,
            "deadline_ms": self.deadline_ms,
            "trace_size": len(self.trace_data),
        }
        if self.circuit is not None:
            d["circuit"] = self.circuit
        if self.step is not None:
            d["step"] = self.step
        if with_trace:
            d["trace_data"] = self.trace_data
        return d

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProofJob):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in _FIELDS)

    def __getstate__(self) -> dict[str, object]:
        return {f: getattr(self, f) for f in _FIELDS}

    def __setstate__(self, state: dict[str, object]) -> None:
        for f in _FIELDS:
            setattr(self, f, state.get(f))  # circuit and step: None in older pickles
        self._trace = None

    def __hash__(self) -> int:
        return hash(self.job_id)

    def __repr__(self) -> str:
        return (
            f"ProofJob(job_id={self.job_id[:16]}..., tier={self.tier.value}, "
            f"intent_id={self.intent_id[:16]}..., fee_budget={self.fee_budget}, "
            f"deadline_ms={self.deadline_ms}, trace={len(self.trace_data)} bytes"
            + (f", circuit={self.circuit[:16]}..." if self.circuit else "")
            + (f", step={self.step}" if self.step is not None else "")
            + ")"
        )


_FIELDS = tuple(f for f in ProofJob.__slots__ if not f.startswith("_"))
