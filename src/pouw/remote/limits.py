"""Rate limiting: a token bucket per key (a worker id, or a client address)."""

from __future__ import annotations

import threading
import time

__all__ = ["RateLimiter"]

MAX_KEYS = 10_000  #: buckets kept before the full (idle) ones are dropped


class RateLimiter:
    """``rate`` requests per second per key, with bursts up to ``rate``.

    Keys may come from clients (their addresses), so the table is bounded:
    beyond ``max_keys`` buckets, those refilled to the full burst are dropped
    (forgetting a full bucket changes nothing: a new one starts full) and, if
    more than half the table is still busy, the oldest keys too (a client with
    that many addresses gains a fresh burst on some of them, nothing more).
    The table then holds at most ``max_keys // 2``, so the O(max_keys) pruning
    runs at most once per ``max_keys // 2`` new keys.
    """

    def __init__(self, rate: int, clock: object = time.monotonic, max_keys: int = MAX_KEYS) -> None:
        self.rate = float(rate)
        self.max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str) -> float:
        """Spend one request; 0.0 if allowed, else the seconds until one is."""
        now = self._clock()  # type: ignore[operator]
        with self._lock:
            tokens, at = self._buckets.get(key, (self.rate, now))
            tokens = min(self.rate, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            if len(self._buckets) > self.max_keys:
                self._drop_full(now)
            return wait

    def __len__(self) -> int:
        return len(self._buckets)

    def _drop_full(self, now: float) -> None:
        rate = self.rate
        busy = [(k, v) for k, v in self._buckets.items() if v[0] + (now - v[1]) * rate < rate]
        self._buckets = dict(busy[-(self.max_keys // 2) :] if self.max_keys > 1 else [])
