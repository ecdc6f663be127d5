"""Helpers shared by tests (importable: pytest puts tests/ on sys.path)."""

from __future__ import annotations

from blake3 import blake3

from pouw import JobTier, ProofJob
from pouw.job import now_ms


def synthetic_job(
    i: int,
    *,
    ttl_ms: int = 60_000,
    tier: JobTier = JobTier.MACRO,
    created_at_ms: int | None = None,
    fee: int = 0,
    circuit: str | None = None,
) -> ProofJob:
    """A job over opaque bytes: the queue never looks inside a trace."""
    data = b"trace-%d" % i
    created = now_ms() if created_at_ms is None else created_at_ms
    return ProofJob(
        tier=tier,
        intent_id=blake3(b"intent-%d" % i).hexdigest(),
        trace_hash=blake3(data).hexdigest(),
        fee_budget=fee,
        created_at_ms=created,
        deadline_ms=created + ttl_ms,
        trace_data=data,
        circuit=circuit,
    )


class FakeClock:
    def __init__(self, start: int = 1_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, ms: int) -> None:
        self.now += ms
