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

__all__ = ["Ledger", "LedgerEntry", "LedgerEntryMeta"]


@dataclass(slots=True)
class LedgerEntryMeta:
    """The proving side of an entry.

    ``job_ids`` is the audit trail: the ids of the proof jobs that cover this
    entry (empty in disabled mode, where the proof is made inline). ``proof``
    is the proof bytes once known.
    """

    job_ids: list[str] = field(default_factory=list)
    proof: bytes | None = None
    zk_mode: str = "mock"

    @property
    def proven(self) -> bool:
        return self.proof is not None


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


class Ledger:
    """Append-only list of :class:`LedgerEntry`, indexed by job id for proof attachment."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LedgerEntry] = []
        self._by_job: dict[str, LedgerEntry] = {}

    def append(
        self,
        result: ExecutionResult,
        job_ids: list[str] | None = None,
        *,
        zk_mode: str = "mock",
        proof: bytes | None = None,
    ) -> LedgerEntry:
        with self._lock:
            entry = LedgerEntry(
                height=len(self._entries),
                intent_id=result.intent_id,
                result=result,
                meta=LedgerEntryMeta(list(job_ids or ()), proof, zk_mode),
            )
            self._entries.append(entry)
            for job_id in entry.meta.job_ids:
                self._by_job[job_id] = entry
            return entry

    def discard_last(self, entry: LedgerEntry) -> None:
        """Take back ``entry``, the last one appended, whose store write was refused."""
        with self._lock:
            if not self._entries or self._entries[-1] is not entry:
                raise ValueError(f"entry {entry.height} is not the last entry")
            self._entries.pop()
            for job_id in entry.meta.job_ids:
                if self._by_job.get(job_id) is entry:
                    del self._by_job[job_id]

    def attach_proof(self, job_id: str, proof: bytes) -> LedgerEntry:
        """Record the proof of ``job_id`` on the entry that lists it."""
        with self._lock:
            entry = self._by_job.get(job_id)
            if entry is None:
                raise JobNotFound(f"no ledger entry lists job {job_id!r}")
            entry.meta.proof = bytes(proof)
            return entry

    def entry_for_job(self, job_id: str) -> LedgerEntry:
        with self._lock:
            entry = self._by_job.get(job_id)
        if entry is None:
            raise JobNotFound(f"no ledger entry lists job {job_id!r}")
        return entry

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
            return sum(1 for e in self._entries if e.meta.proof is not None)
