"""Counters of the HTTP API and the Prometheus text format they are served in."""

from __future__ import annotations

import threading
from collections import deque

from ..queue import JobStore

__all__ = ["Metrics"]


class Metrics:
    """Thread-safe counters kept by the API (the store keeps the job counts)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.claims = 0
        self.submits: dict[str, int] = {}
        self.verify_seconds = 0.0
        self.verify_count = 0
        self.proving_ms: deque[int] = deque(maxlen=10_000)  #: claim -> completion, recent jobs

    def claimed(self) -> None:
        with self._lock:
            self.claims += 1

    def submitted(self, result: str) -> None:
        with self._lock:
            self.submits[result] = self.submits.get(result, 0) + 1

    def verified(self, seconds: float) -> None:
        with self._lock:
            self.verify_seconds += seconds
            self.verify_count += 1

    def proven(self, ms: int) -> None:
        with self._lock:
            self.proving_ms.append(ms)

    def proving_percentiles(self) -> dict[str, float | int | None]:
        with self._lock:
            samples = sorted(self.proving_ms)
        if not samples:
            return {"count": 0, "p50": None, "p90": None, "p99": None}

        def pct(q: float) -> int:
            return samples[min(len(samples) - 1, int(q * len(samples)))]

        return {"count": len(samples), "p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99)}

    def render(self, store: JobStore) -> str:
        """The Prometheus text exposition (version 0.0.4)."""
        out = [
            "# HELP pouw_jobs Jobs in the store per status and tier.",
            "# TYPE pouw_jobs gauge",
        ]
        for tier, stats in sorted(store.stats_by_tier().items()):
            for key, n in stats.to_dict().items():
                status = key.removesuffix("_count")
                out.append(f'pouw_jobs{{status="{status}",tier="{tier}"}} {n}')
        lapsed = sum(c.get("lapsed", 0) for c in store.worker_stats().values())
        with self._lock:
            out += [
                "# HELP pouw_claims_total Jobs claimed by workers.",
                "# TYPE pouw_claims_total counter",
                f"pouw_claims_total {self.claims}",
                "# HELP pouw_submits_total Proof submissions by outcome.",
                "# TYPE pouw_submits_total counter",
            ]
            for result in (
                "completed",
                "late_completed",
                "duplicate",
                "already_completed",
                "rejected",
            ):
                out.append(f'pouw_submits_total{{result="{result}"}} {self.submits.get(result, 0)}')
            out += [
                "# HELP pouw_proof_verify_seconds Time spent verifying submitted proofs.",
                "# TYPE pouw_proof_verify_seconds summary",
                f"pouw_proof_verify_seconds_sum {self.verify_seconds:.6f}",
                f"pouw_proof_verify_seconds_count {self.verify_count}",
            ]
        out += [
            "# HELP pouw_lease_expiries_total Leases that lapsed (every worker, every restart).",
            "# TYPE pouw_lease_expiries_total counter",
            f"pouw_lease_expiries_total {lapsed}",
        ]
        dead_tuples = getattr(store, "dead_tuples", None)  # PostgreSQL's hot table
        if dead_tuples is not None:
            out += [
                "# HELP pouw_jobs_dead_tuples Dead row versions in the jobs table (n_dead_tup).",
                "# TYPE pouw_jobs_dead_tuples gauge",
                f"pouw_jobs_dead_tuples {dead_tuples()}",
            ]
        return "\n".join(out) + "\n"
