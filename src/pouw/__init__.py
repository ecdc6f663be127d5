"""pouw: turn a node's execution traces into proof jobs and get them proven.

The job layer in one import::

    from pouw import ProofJob, JobTier, JobStatus, JobQueue, PoUwMode, QueueStats

The node lives in :mod:`pouw.node`, provers in :mod:`pouw.prover`, worker
loops and the local pool in :mod:`pouw.worker`, traces in :mod:`pouw.trace`.
"""

from .errors import (
    ConfigError,
    CurveError,
    DuplicateJob,
    InvalidTransition,
    JobNotFound,
    PouwError,
    ProofError,
    QueueFull,
    TraceError,
)
from .job import ProofJob
from .queue import JobQueue, JobRecord, JobStore, QueueStats
from .status import JobStatus, JobTier, PoUwMode, ZkMode

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "ProofJob",
    "JobTier",
    "JobStatus",
    "JobQueue",
    "JobStore",
    "JobRecord",
    "PoUwMode",
    "ZkMode",
    "QueueStats",
    "PouwError",
    "JobNotFound",
    "InvalidTransition",
    "DuplicateJob",
    "QueueFull",
    "TraceError",
    "ProofError",
    "ConfigError",
    "CurveError",
]
