"""pouw: turn a node's execution traces into proof jobs and get them proven.

The job layer in one import::

    from pouw import ProofJob, JobTier, JobStatus, JobQueue, PoUwMode, QueueStats

The node lives in :mod:`pouw.node`, provers in :mod:`pouw.prover`, worker
loops and the local pool in :mod:`pouw.worker`, traces in :mod:`pouw.trace`.

The names above load on first use (PEP 562 ``__getattr__``), so ``import
pouw`` (and every ``pouw`` command, ``pouw groth16`` included) does not pay
for the job and queue modules it may never touch.
"""

from __future__ import annotations

from ._lazy import lazy_exports

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (mypy reads the name)

if TYPE_CHECKING:  # the static view of the lazy names below
    from .errors import (
        ConfigError,
        CurveError,
        DuplicateJob,
        InvalidTransition,
        JobNotFound,
        PouwError,
        ProofError,
        QueueClosed,
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
    "QueueClosed",
    "TraceError",
    "ProofError",
    "ConfigError",
    "CurveError",
]

#: Public name -> the submodule that defines it (imported on first access).
_LAZY = {
    **dict.fromkeys(
        (
            "ConfigError",
            "CurveError",
            "DuplicateJob",
            "InvalidTransition",
            "JobNotFound",
            "PouwError",
            "ProofError",
            "QueueClosed",
            "QueueFull",
            "TraceError",
        ),
        "errors",
    ),
    "ProofJob": "job",
    **dict.fromkeys(("JobQueue", "JobRecord", "JobStore", "QueueStats"), "queue"),
    **dict.fromkeys(("JobStatus", "JobTier", "PoUwMode", "ZkMode"), "status"),
}

#: Submodules the eager ``__init__`` used to import: ``pouw.queue`` (say) stays
#: reachable as an attribute after a bare ``import pouw``, as it always was.
_SUBMODULES = frozenset({"errors", "job", "queue", "status"})


if not TYPE_CHECKING:  # hidden from mypy, which would then accept any attribute
    __getattr__, __dir__ = lazy_exports(__name__, globals(), _LAZY, _SUBMODULES)
