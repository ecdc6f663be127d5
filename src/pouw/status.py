"""Enumerations of the job layer and the job lifecycle.

Every enum's ``.value`` is the lowercase word used in configs, JSON and the CLI,
so ``PoUwMode("local") is PoUwMode.LOCAL``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from types import MappingProxyType
from typing import TypeVar

from .errors import InvalidTransition

__all__ = [
    "JobStatus",
    "JobTier",
    "TIER_CODES",
    "PoUwMode",
    "ZkMode",
    "ALLOWED_TRANSITIONS",
    "LATE_PROOF_TRANSITIONS",
    "check_transition",
    "parse_enum",
]


class JobStatus(str, Enum):
    """Where a job is in its lifecycle."""

    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        """Completed, failed and expired jobs never move again."""
        return self in _FINAL

    def __str__(self) -> str:
        return self.value


class JobTier(str, Enum):
    """A job's size class: what one proof covers."""

    MICRO = "micro"  #: one VM instruction
    MACRO = "macro"  #: one intent
    FULL = "full"  #: a batch of intents

    def __str__(self) -> str:
        return self.value


#: Each tier's one-byte code in binary encodings: the job id (pouw.job) and the mock
#: proof (pouw.prover.mock). Fixed: changing a code changes every job id.
TIER_CODES: Mapping[JobTier, int] = MappingProxyType(
    {JobTier.MICRO: 1, JobTier.MACRO: 2, JobTier.FULL: 3}
)


class PoUwMode(str, Enum):
    """Where proving happens relative to execution."""

    DISABLED = "disabled"  #: prove inline, create no job
    LOCAL = "local"  #: jobs proven by the node's own worker pool
    REMOTE = "remote"  #: jobs wait for external provers

    def __str__(self) -> str:
        return self.value


class ZkMode(str, Enum):
    """Which proof system proves a trace."""

    MOCK = "mock"  #: native constraint check bound to the job, no cryptographic proof
    GROTH16 = "groth16"  #: Groth16 over BN254 (the trace circuits of pouw.prover.circuits, keys from pouw keys)

    def __str__(self) -> str:
        return self.value


_FINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.EXPIRED})

#: The ordinary lifecycle (DESIGN.md): pending -> in progress -> completed | failed;
#: pending | in progress -> expired (deadline); in progress -> pending (lease lost or
#: job given back, attempt counted).
ALLOWED_TRANSITIONS: frozenset[tuple[JobStatus, JobStatus]] = frozenset(
    {
        (JobStatus.PENDING, JobStatus.IN_PROGRESS),
        (JobStatus.IN_PROGRESS, JobStatus.COMPLETED),
        (JobStatus.IN_PROGRESS, JobStatus.FAILED),
        (JobStatus.IN_PROGRESS, JobStatus.PENDING),
        (JobStatus.PENDING, JobStatus.EXPIRED),
        (JobStatus.IN_PROGRESS, JobStatus.EXPIRED),
    }
)

#: The one extra move for remote provers: a valid proof from a worker whose lease
#: lapsed still completes the job, from pending or from another worker's lease,
#: because proving work is never thrown away. Only a store's late-proof path may use it.
LATE_PROOF_TRANSITIONS: frozenset[tuple[JobStatus, JobStatus]] = frozenset(
    {(JobStatus.PENDING, JobStatus.COMPLETED)}
)


def check_transition(
    job_id: str, old: JobStatus, new: JobStatus, *, late_proof: bool = False
) -> None:
    """Raise :class:`InvalidTransition` unless ``old -> new`` is a lifecycle move."""
    if (old, new) in ALLOWED_TRANSITIONS:
        return
    if late_proof and (old, new) in LATE_PROOF_TRANSITIONS:
        return
    raise InvalidTransition(f"job {job_id}: cannot move from {old.value} to {new.value}")


_E = TypeVar("_E", bound=Enum)


def parse_enum(enum_type: type[_E], value: object, what: str) -> _E:
    """Accept an enum member or its config word; anything else is a ``ValueError`` naming ``what``.

    The one place text becomes a :class:`JobTier`, :class:`JobStatus`,
    :class:`PoUwMode` or :class:`ZkMode`: ``parse_enum(JobTier, "macro", "tier")``.
    A member or a known word costs one dict look-up (job construction calls it).
    """
    if value.__class__ is enum_type:
        return value
    try:
        return enum_type._value2member_map_[value]  # type: ignore[return-value]
    except (KeyError, TypeError):  # unknown or unhashable: let the enum decide
        pass
    try:
        return enum_type(value)
    except ValueError:
        words = ", ".join(repr(m.value) for m in enum_type)
        raise ValueError(f"{what}: expected one of {words}, got {value!r}") from None
