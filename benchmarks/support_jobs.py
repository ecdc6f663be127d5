"""Synthetic jobs for the store and API benchmarks (the store never looks inside a trace)."""

from __future__ import annotations

from blake3 import blake3

from pouw import JobTier, ProofJob
from pouw.job import now_ms

_RUN = [0]


def make_jobs(n: int, ttl_ms: int = 3_600_000) -> list[ProofJob]:
    """``n`` distinct jobs (distinct from every earlier call in this process)."""
    _RUN[0] += 1
    created = now_ms()
    jobs = []
    for i in range(n):
        data = b"bench-trace-%d-%d" % (_RUN[0], i)
        jobs.append(
            ProofJob(
                tier=JobTier.MACRO,
                intent_id=blake3(data + b"/intent").hexdigest(),
                trace_hash=blake3(data).hexdigest(),
                fee_budget=0,
                created_at_ms=created,
                deadline_ms=created + ttl_ms,
                trace_data=data,
            )
        )
    return jobs
