"""Job stores and the hand-off ring.

* :class:`JobStore` -- the backend protocol the node holds;
* :class:`JobQueue` -- the in-memory backend;
* :class:`QueueStats`, :class:`JobRecord`, :class:`SubmitResult` -- what stores report;
* :class:`NotHolder`, :class:`LeaseLost`, :class:`JobUnavailable` -- lease refusals;
* :class:`RingBuffer` -- the compiled lock-free MPMC ring that carries jobs from
  the node to its local worker threads.
"""

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
from .ring import RingBuffer

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
