"""The mock prover: a real constraint check, bound to the trace, tier and job.

No cryptographic proof: ``prove`` runs the native constraint checker over the
trace's canonical bytes and, if every constraint holds, returns a fixed-layout
record binding what was checked. ``verify`` compares every bound field with
the trace, tier and job it expects, re-runs the constraint check (a verifier
of a mock proof must not trust the prover) and recomputes the tag.

Proof layout, 167 bytes, little-endian:

====== ==== =============================================================
offset size field
====== ==== =============================================================
0      4    magic ``b"PWMP"``
4      2    version = 1
6      1    tier: 1 micro, 2 macro, 3 full
7      32   job id (32 zero bytes for an inline proof, without a job)
39     32   trace hash (BLAKE3 of the canonical trace)
71     32   pre_root (the header's)
103    32   post_root (the last step's root_after)
135    32   tag: BLAKE3 keyed with :data:`TAG_KEY` over bytes 0..135
====== ==== =============================================================
"""

from __future__ import annotations

import hmac
import struct
from typing import TYPE_CHECKING

from blake3 import blake3

from ..status import TIER_CODES, JobTier, ZkMode
from .base import JobProofs, job_id_bytes, parse_tier
from .check import check_trace, require_valid

if TYPE_CHECKING:
    from ..trace import ExecutionTrace

__all__ = ["MockProver", "PROOF_MAGIC", "PROOF_VERSION", "PROOF_SIZE", "TAG_KEY"]

PROOF_MAGIC = b"PWMP"
PROOF_VERSION = 1
#: The tag's key: domain separation from every other BLAKE3 use in pouw.
TAG_KEY = blake3(b"pouw.mock-proof.tag.v1").digest()

_HEAD = struct.Struct("<4sHB32s32s32s32s")  # everything the tag covers
PROOF_SIZE = _HEAD.size + 32


def _check_step(step: int | None, trace: ExecutionTrace) -> None:
    if step is not None and (step.__class__ is not int or not 0 <= step < trace.n_steps):
        raise ValueError(f"step must be one of the trace's {trace.n_steps} steps, got {step!r}")


def _roots(data: bytes) -> tuple[bytes, bytes]:
    """The header's pre_root and the last step's root_after (the last column)."""
    return data[16:48], data[-32:]


def _body(tier: JobTier, job: bytes, trace_hash: bytes, data: bytes) -> bytes:
    pre_root, post_root = _roots(data)
    return _HEAD.pack(
        PROOF_MAGIC, PROOF_VERSION, TIER_CODES[tier], job, trace_hash, pre_root, post_root
    )


def _tag(body: bytes) -> bytes:
    return blake3(body, key=TAG_KEY).digest()


class MockProver(JobProofs):
    """Deterministic and cheap: the same trace, tier and job give the same proof bytes.

    Stateless and thread-safe; the constraint check runs without the GIL, so
    several worker threads prove in parallel.
    """

    proof_size: int | None = PROOF_SIZE

    zk_mode = ZkMode.MOCK

    def prove(
        self,
        trace: ExecutionTrace,
        *,
        tier: JobTier | str = JobTier.MACRO,
        job_id: str | None = None,
        step: int | None = None,
    ) -> bytes:
        """Check every constraint of ``trace`` and return the proof record.

        ``step`` (a Micro job's) is checked to be a step of the trace; the
        record binds it through the job id, which covers it.

        Raises
        ------
        ProofError
            The trace breaks a constraint; the message names the step, its op
            and the rule.
        ValueError
            ``tier`` or ``job_id`` is not a valid tier / 64-hex-digit id.
        """
        tier = parse_tier(tier)
        job = job_id_bytes(job_id)
        _check_step(step, trace)
        data = trace.to_bytes()
        require_valid(data, trace.trace_hash)
        body = _body(tier, job, bytes.fromhex(trace.trace_hash), data)
        return body + _tag(body)

    def verify(
        self,
        trace: ExecutionTrace,
        proof: bytes,
        *,
        tier: JobTier | str = JobTier.MACRO,
        job_id: str | None = None,
        step: int | None = None,
    ) -> bool:
        """True when ``proof`` is this prover's proof of ``trace`` for ``tier`` and ``job_id``.

        A malformed, short or long proof, one made for another trace, tier or
        job, or a trace that breaks a constraint all give ``False``; only a bad
        ``tier`` or ``job_id`` argument raises (``ValueError``).
        """
        tier = parse_tier(tier)
        job = job_id_bytes(job_id)
        _check_step(step, trace)
        if not isinstance(proof, (bytes, bytearray, memoryview)):
            return False
        proof = bytes(proof)
        if len(proof) != PROOF_SIZE:
            return False
        data = trace.to_bytes()
        expected = _body(tier, job, bytes.fromhex(trace.trace_hash), data)
        body, tag = proof[: _HEAD.size], proof[_HEAD.size :]
        if not hmac.compare_digest(body, expected):
            return False
        if not hmac.compare_digest(tag, _tag(body)):
            return False
        ok, _, _ = check_trace(data)
        return ok

    def __repr__(self) -> str:
        return "MockProver()"
