"""The library's exceptions. Every error ``pouw`` raises on purpose is a :class:`PouwError`."""

from __future__ import annotations

__all__ = [
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


class PouwError(Exception):
    """Base class of every error raised by ``pouw``."""


class JobNotFound(PouwError, KeyError):
    """No job with this id is known to the queue (never enqueued, or retired)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "job not found"


class InvalidTransition(PouwError):
    """A job status change that the lifecycle does not allow."""


class DuplicateJob(PouwError):
    """A job with the same id is already in the queue."""


class QueueFull(PouwError):
    """The queue or ring buffer is at capacity."""


# A subclass of QueueFull for one release (0.1 -> 0.2), then of PouwError alone:
# until now a closed ring raised QueueFull("ring buffer is closed"), so code that
# stops on ``except QueueFull`` (pouw.worker's pool among it) would otherwise miss
# the closed case and crash instead. Catch QueueClosed to tell the two apart.
class QueueClosed(QueueFull):
    """The ring buffer is closed: nothing more can be pushed (pops still drain it)."""


class TraceError(PouwError, ValueError):
    """Trace bytes or columns that are not a well-formed canonical trace."""


class ProofError(PouwError):
    """A trace that cannot be proven (it breaks a constraint), or a proof that is malformed."""


class ConfigError(PouwError, ValueError):
    """A node configuration with an unknown key or a bad value; the message names the key."""


class CurveError(PouwError, ValueError):
    """A field element or curve point that is not canonical, not on the curve or
    not in the subgroup (untrusted input is rejected, never reduced silently)."""
