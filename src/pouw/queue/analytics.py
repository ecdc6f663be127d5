"""Job history and its analytics, once for every store: the times a proof
carries, and the percentiles the stats report.

Every store keeps, for each job that finished, one history row
(:data:`HISTORY_FIELDS`): its tier, final status, worker, attempts and the
times it was enqueued, claimed (its last attempt's start), proved, submitted,
verified and finished. :func:`summarize` turns the rows of a time window into
counts and p50/p95/p99 latencies per tier and per worker, so that every store
answers ``latency_stats`` with the same numbers for the same history:

* ``queue_wait_ms`` -- claimed - enqueued (the wait for the attempt that ended it);
* ``proving_ms`` -- proved - claimed;
* ``end_to_end_ms`` -- finished - enqueued, of completed jobs.

Percentiles are nearest-rank (the smallest value with at least p % of the
values at or below it): a value that occurred, never an interpolation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["ProofTimes", "HISTORY_FIELDS", "summarize", "percentile", "PERCENTILES"]

#: the columns of a history row, in this order
HISTORY_FIELDS = (
    "tier",
    "status",
    "worker_id",
    "attempts",
    "enqueued_at_ms",
    "claimed_at_ms",
    "proved_at_ms",
    "submitted_at_ms",
    "verified_at_ms",
    "finished_at_ms",
)
PERCENTILES = (50, 95, 99)


@dataclass(frozen=True, slots=True)
class ProofTimes:
    """When a proof was made, handed to the node and verified (ms): given with a
    completion, recorded with the job. Any left ``None`` is the completion's time."""

    proved_at_ms: int | None = None
    submitted_at_ms: int | None = None
    verified_at_ms: int | None = None

    def resolved(self, now: int) -> tuple[int, int, int]:
        """(proved, submitted, verified), each at most ``now`` and in that order."""
        verified = now if self.verified_at_ms is None else min(self.verified_at_ms, now)
        submitted = (
            verified if self.submitted_at_ms is None else min(self.submitted_at_ms, verified)
        )
        proved = submitted if self.proved_at_ms is None else min(self.proved_at_ms, submitted)
        return proved, submitted, verified


def percentile(sorted_values: Sequence[int], p: int) -> int | None:
    """The nearest-rank ``p``-th percentile of ascending ``sorted_values``."""
    n = len(sorted_values)
    if not n:
        return None
    rank = max(1, -(-p * n // 100))  # ceil(p/100 * n)
    return sorted_values[rank - 1]


def _spread(values: list[int]) -> dict[str, int | None]:
    values.sort()
    return {f"p{p}": percentile(values, p) for p in PERCENTILES}


class _Group:
    __slots__ = ("counts", "wait", "proving", "e2e")

    def __init__(self) -> None:
        self.counts = {"completed": 0, "failed": 0, "expired": 0}
        self.wait: list[int] = []
        self.proving: list[int] = []
        self.e2e: list[int] = []

    def add(self, row: Sequence[Any]) -> None:
        _tier, status, _w, _a, enq, claimed, proved, _s, _v, finished = row
        self.counts[status] = self.counts.get(status, 0) + 1
        if claimed is not None and enq is not None:
            self.wait.append(max(0, claimed - enq))
            if proved is not None and status == "completed":
                self.proving.append(max(0, proved - claimed))
        if status == "completed" and finished is not None and enq is not None:
            self.e2e.append(max(0, finished - enq))

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.counts,
            "queue_wait_ms": _spread(self.wait),
            "proving_ms": _spread(self.proving),
            "end_to_end_ms": _spread(self.e2e),
        }


def summarize(rows: Iterable[Sequence[Any]], *, since_ms: int, until_ms: int) -> dict[str, Any]:
    """Counts and latency percentiles of the history rows that finished in
    ``[since_ms, until_ms]``, per tier and per worker."""
    tiers: dict[str, _Group] = {}
    workers: dict[str, _Group] = {}
    total = _Group()
    for row in rows:
        finished = row[9]
        if finished is None or not since_ms <= finished <= until_ms:
            continue
        total.add(row)
        tiers.setdefault(row[0], _Group()).add(row)
        if row[2] is not None:
            workers.setdefault(row[2], _Group()).add(row)
    return {
        "since_ms": since_ms,
        "until_ms": until_ms,
        "all": total.to_dict(),
        "tiers": {t: g.to_dict() for t, g in sorted(tiers.items())},
        "workers": {w: g.to_dict() for w, g in sorted(workers.items())},
    }
