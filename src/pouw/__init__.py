"""pouw: turn execution traces into proof jobs and get them proven."""

from .errors import (
    ConfigError,
    DuplicateJob,
    InvalidTransition,
    JobNotFound,
    PouwError,
    ProofError,
    QueueFull,
    TraceError,
)
from .job import ProofJob
from .status import JobStatus, JobTier, PoUwMode, ZkMode

__version__ = "0.1.0"
