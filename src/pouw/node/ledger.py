"""The ledger: one entry per processed intent, with the audit trail of its proof jobs.

Entries are appended by the node's pipeline (one thread) and completed by
provers (worker threads attach proofs), so the ledger has its own lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from ..errors import JobNotFound
from .executor import ExecutionResult

__all__ = ["Ledger", "LedgerEntry", "LedgerEntryMeta", "ProofPart", "parts_for"]


@dataclass(slots=True)
class ProofPart:
    """One proof that covers (part of) an entry: a job's, or one made inline.

    ``job_id`` is None for a proof made inline (disabled mode); ``step`` is a
    Micro proof's step of the intent; ``public_inputs`` are what the proof is
    checked against (Groth16: the statement, computed by the node from its own
    execution when it made the job; empty for a mock proof); ``proof`` is the
    proof's bytes once known.
    """

    job_id: str | None
    proof: bytes | None = None
    public_inputs: tuple[int, ...] = ()
    step: int | None = None


@dataclass(slots=True)
class LedgerEntryMeta:
    """The proving side of an entry.

    ``parts`` are the proofs that cover the entry: one per job (Macro: one;
    Micro: one per step; Full: the batch's job, shared with the batch's other
    entries) or the inline proofs of disabled mode. ``job_ids`` is the audit
    trail, the ids of its jobs (empty in disabled mode).
    """

    job_ids: list[str] = field(default_factory=list)
    parts: list[ProofPart] = field(default_factory=list)
    zk_mode: str = "mock"

    def __post_init__(self) -> None:
        # one truth: the parts; job_ids is theirs (or, given alone, makes them)
        if not self.parts:
            self.parts = parts_for(self.job_ids)
        self.job_ids = [p.job_id for p in self.parts if p.job_id is not None]

    @property
    def proof(self) -> bytes | None:
        """The proof of an entry covered by one proof (None until it is known,
        and for an entry of several: see :attr:`parts`)."""
        return self.parts[0].proof if len(self.parts) == 1 else None

    @property
    def proven(self) -> bool:
        """Every part has its proof."""
        return bool(self.parts) and all(p.proof is not None for p in self.parts)


@dataclass(slots=True)
class LedgerEntry:
    """What the chain records for one intent: its position, result and proof metadata."""

    height: int
    intent_id: str
    result: ExecutionResult
    meta: LedgerEntryMeta

    def to_dict(self) -> dict[str, Any]:
        return {
            "height": self.height,
            "intent_id": self.intent_id,
            "status": self.result.status.value,
            "fee_charged": self.result.gas_summary.fee_charged,
            "post_root": self.result.post_root.hex(),
            "job_ids": list(self.meta.job_ids),
            "proven": self.meta.proven,
        }


def parts_for(job_ids: list[str] | None, proof: bytes | None = None) -> list[ProofPart]:
    """The parts of an entry given the old way: its job ids (each unproven, or all
    with ``proof`` when there is one job), or no job and an inline ``proof``."""
    ids = list(job_ids or ())
    if not ids:
        return [] if proof is None else [ProofPart(None, bytes(proof))]
    return [
        ProofPart(j, bytes(proof) if proof is not None and len(ids) == 1 else None) for j in ids
    ]


class Ledger:
    """Append-only list of :class:`LedgerEntry`, indexed by job id for proof attachment."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LedgerEntry] = []
        #: job id -> the entries it covers (several for a Full job), and its part in each
        self._by_job: dict[str, list[tuple[LedgerEntry, ProofPart]]] = {}

    def append(
        self,
        result: ExecutionResult,
        job_ids: list[str] | None = None,
        *,
        zk_mode: str = "mock",
        proof: bytes | None = None,
        parts: list[ProofPart] | None = None,
    ) -> LedgerEntry:
        """Append the entry of ``result``, covered by ``parts`` (or, the short
        form, by the jobs ``job_ids`` or the inline ``proof``: :func:`parts_for`)."""
        if parts is None:
            parts = parts_for(job_ids, proof)
        elif job_ids is not None or proof is not None:
            raise ValueError("give parts, or job_ids and proof, not both")
        with self._lock:
            entry = LedgerEntry(
                height=len(self._entries),
                intent_id=result.intent_id,
                result=result,
                meta=LedgerEntryMeta(parts=list(parts), zk_mode=zk_mode),
            )
            self._entries.append(entry)
            for part in entry.meta.parts:
                if part.job_id is not None:
                    self._by_job.setdefault(part.job_id, []).append((entry, part))
            return entry

    def discard_last(self, entry: LedgerEntry) -> None:
        """Take back ``entry``, the last one appended, whose store write was refused."""
        with self._lock:
            if not self._entries or self._entries[-1] is not entry:
                raise ValueError(f"entry {entry.height} is not the last entry")
            self._entries.pop()
            for job_id in entry.meta.job_ids:
                kept = [(e, p) for e, p in self._by_job.get(job_id, ()) if e is not entry]
                if kept:
                    self._by_job[job_id] = kept
                else:
                    self._by_job.pop(job_id, None)

    def attach_proof(self, job_id: str, proof: bytes) -> LedgerEntry:
        """Record the proof of ``job_id`` on every entry that lists it; returns
        the first (the only one but for a Full job)."""
        with self._lock:
            listed = self._by_job.get(job_id)
            if not listed:
                raise JobNotFound(f"no ledger entry lists job {job_id!r}")
            for _, part in listed:
                part.proof = bytes(proof)
            return listed[0][0]

    def entry_for_job(self, job_id: str) -> LedgerEntry:
        """The (first) entry that lists ``job_id``."""
        return self.entries_for_job(job_id)[0]

    def entries_for_job(self, job_id: str) -> list[LedgerEntry]:
        """Every entry that lists ``job_id`` (a Full job's batch), in order."""
        with self._lock:
            listed = self._by_job.get(job_id)
        if not listed:
            raise JobNotFound(f"no ledger entry lists job {job_id!r}")
        return [e for e, _ in listed]

    def part_for_job(self, job_id: str) -> ProofPart:
        """The part of ``job_id`` (its proof and public inputs)."""
        with self._lock:
            listed = self._by_job.get(job_id)
        if not listed:
            raise JobNotFound(f"no ledger entry lists job {job_id!r}")
        return listed[0][1]

    @property
    def entries(self) -> list[LedgerEntry]:
        """A copy of the entries, oldest first."""
        with self._lock:
            return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, height: int) -> LedgerEntry:
        return self._entries[height]

    def entries_with_job_ids(self) -> int:
        with self._lock:
            return sum(1 for e in self._entries if e.meta.job_ids)

    def proven_count(self) -> int:
        with self._lock:
            return sum(1 for e in self._entries if e.meta.proven)
