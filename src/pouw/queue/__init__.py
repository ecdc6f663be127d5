"""Job stores and the hand-off ring.

* :class:`JobStore` -- the backend protocol the node holds;
* :class:`JobQueue` -- the in-memory backend;
* :class:`QueueStats`, :class:`JobRecord`, :class:`SubmitResult` -- what stores report;
* :class:`NotHolder`, :class:`LeaseLost`, :class:`JobUnavailable` -- lease refusals;
* :class:`RingBuffer` -- the compiled lock-free MPMC ring that carries jobs from
  the node to its local worker threads.
"""

from .._native import missing_extension
from .base import (
    JobRecord,
    JobStore,
    JobUnavailable,
    LeaseLost,
    NotHolder,
    QueueStats,
    SubmitResult,
)
from .memory import JobQueue

try:
    from .._native.ring import RingBuffer
except ImportError as exc:  # pragma: no cover - a broken build, not a fallback
    raise missing_extension("ring", exc) from exc

__all__ = [
    "JobStore",
    "JobQueue",
    "QueueStats",
    "JobRecord",
    "RingBuffer",
    "SubmitResult",
    "NotHolder",
    "LeaseLost",
    "JobUnavailable",
]
