"""Per-worker rate limiting: a token bucket per worker id."""

from __future__ import annotations

import threading
import time

__all__ = ["RateLimiter"]


class RateLimiter:
    """``rate`` requests per second per worker, with bursts up to ``rate``."""

    def __init__(self, rate: int, clock: object = time.monotonic) -> None:
        self.rate = float(rate)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # worker -> (tokens, at)

    def take(self, worker: str) -> float:
        """Spend one request; 0.0 if allowed, else the seconds until one is."""
        now = self._clock()  # type: ignore[operator]
        with self._lock:
            tokens, at = self._buckets.get(worker, (self.rate, now))
            tokens = min(self.rate, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[worker] = (tokens - 1.0, now)
                return 0.0
            self._buckets[worker] = (tokens, now)
            return (1.0 - tokens) / self.rate
