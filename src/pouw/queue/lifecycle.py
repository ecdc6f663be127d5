"""The job lifecycle, once: a pure function from (record, event, now) to a :class:`Step`.

Every store (memory, SQLite, and any later backend) asks :func:`step` what an
operation does to a job and then only *loads and saves*: it reads the fields
named by :class:`Life` from its record or row, calls :func:`step`, writes
``Step.changes`` back, moves its counters from ``Step.old`` to ``Step.new``,
puts the job at the back of its pending order when ``Step.requeue`` says so,
records ``Step.holder`` and ``Step.counts``, and finally raises
``Step.raise_after`` (an error whose state change must stand, such as the
expiry found while refusing a late claim). A rule that is wrong here is wrong
in every store, and a test of this module tests all of them.

The rules (DESIGN.md's invariants):

* expiry -- a live job past its deadline expires at the first operation that
  looks at it; an operation refused because of it still leaves it expired;
* give-back -- a failed, lapsed, rejected or orphaned lease returns the job to
  PENDING (attempt counted, the last error kept, the worker avoided for one
  lease period: a preference, not a ban) or, at ``max_attempts``, FAILED: a
  dead letter;
* late proofs -- a verified proof from any worker that ever held the job
  completes it from PENDING or from another worker's lease
  (:data:`~pouw.status.LATE_PROOF_TRANSITIONS`);
* quarantine -- a job whose stored bytes are damaged becomes a dead letter
  with the reason, from any live status, so one bad row never blocks a queue.

Nothing here takes a lock, reads a clock or touches storage.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import Protocol

from ..errors import InvalidTransition, PouwError
from ..status import JobStatus, check_transition
from .analytics import ProofTimes
from .base import JobUnavailable, LeaseLost, NotHolder, SubmitResult

__all__ = [
    "Life",
    "Step",
    "Event",
    "Begin",
    "Claim",
    "Heartbeat",
    "Fail",
    "Lapse",
    "Release",
    "Complete",
    "Submit",
    "Reject",
    "MarkFailed",
    "Expire",
    "Orphaned",
    "Quarantine",
    "step",
    "admit",
    "may_claim",
    "is_overdue",
    "check_lease",
    "check_batch",
    "check_attempt",
    "MAX_CLAIM_BATCH",
    "MAX_LEASE_MS",
]

_P = JobStatus.PENDING
_IP = JobStatus.IN_PROGRESS
_C = JobStatus.COMPLETED
_F = JobStatus.FAILED
_E = JobStatus.EXPIRED

#: The longest lease a worker may ask for (about 35 years: any sane value fits).
MAX_LEASE_MS = 1 << 40


class Life(Protocol):
    """The fields of a job record the rules read (a store's record or row view)."""

    @property
    def job_id(self) -> str: ...
    @property
    def status(self) -> JobStatus: ...
    @property
    def deadline_ms(self) -> int: ...
    @property
    def worker_id(self) -> str | None: ...
    @property
    def attempts(self) -> int: ...
    @property
    def lease_ms(self) -> int: ...
    @property
    def avoid_worker(self) -> str | None: ...
    @property
    def avoid_until_ms(self) -> int: ...
    @property
    def proof(self) -> bytes | None: ...
    @property
    def holders(self) -> Set[str]: ...


@dataclass(frozen=True, slots=True)
class Step:
    """What one event does to one job; the store saves it and changes nothing else.

    ``changes`` maps record fields (the same names as the SQLite columns) to
    their new values; ``status`` is not among them: it moves from ``old`` to
    ``new``. ``counts`` are per-worker counters to add one to
    (:data:`~pouw.queue.base.WORKER_COUNTERS`). ``result`` is what the
    operation returns; ``raise_after`` is raised once the step is saved.
    """

    old: JobStatus
    new: JobStatus
    changes: Mapping[str, object] = field(default_factory=dict)
    requeue: bool = False  #: to the back of the pending order
    holder: str | None = None  #: a worker that now holds (or held) the job
    counts: tuple[tuple[str, str], ...] = ()
    result: object = None
    raise_after: PouwError | None = None

    @property
    def moved(self) -> bool:
        return self.old is not self.new

    @property
    def finished(self) -> bool:
        """The job became final in this step (the store retires it)."""
        return self.new.is_final and not self.old.is_final


# -- events ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Begin:
    """``mark_in_progress``: the seed's start, without a lease (local workers)."""

    worker: str


@dataclass(frozen=True, slots=True)
class Claim:
    """``claim``/``claim_next``: pending -> in progress, leased for ``lease_ms``."""

    worker: str
    lease_ms: int


@dataclass(frozen=True, slots=True)
class Heartbeat:
    worker: str
    lease_ms: int


@dataclass(frozen=True, slots=True)
class Fail:
    """The holder gives the job back with an error."""

    worker: str
    error: str


@dataclass(frozen=True, slots=True)
class Lapse:
    """The job's lease ran out (the store finds the due leases)."""


@dataclass(frozen=True, slots=True)
class Release:
    """The seed's ``release``: back to pending, no worker avoided."""

    error: str | None = None


@dataclass(frozen=True, slots=True)
class Complete:
    """``mark_completed``: the local worker's verified proof."""

    proof: bytes
    times: ProofTimes | None = None


@dataclass(frozen=True, slots=True)
class Submit:
    """``complete_by``: a remote worker's verified proof (late ones included).

    ``attempt`` is the fencing token: the attempt the worker's claim started
    (``JobRecord.attempts`` as the claim returned it). Only the holder's
    current attempt completes as the holder's; any earlier one is a late
    proof, never counted twice. ``None``: the worker's current attempt, if it
    holds the job (clients from before fencing)."""

    worker: str
    proof: bytes
    attempt: int | None = None
    times: ProofTimes | None = None


@dataclass(frozen=True, slots=True)
class Reject:
    """A proof from ``worker`` failed verification."""

    worker: str
    error: str


@dataclass(frozen=True, slots=True)
class MarkFailed:
    error: str


@dataclass(frozen=True, slots=True)
class Expire:
    """A sweep or a scan met the job past its deadline."""


@dataclass(frozen=True, slots=True)
class Orphaned:
    """The process that proved the job without a lease stopped (recovery at open)."""

    error: str


@dataclass(frozen=True, slots=True)
class Quarantine:
    """The stored job is damaged (its bytes no longer match its hash)."""

    reason: str


Event = (
    Begin
    | Claim
    | Heartbeat
    | Fail
    | Lapse
    | Release
    | Complete
    | Submit
    | Reject
    | MarkFailed
    | Expire
    | Orphaned
    | Quarantine
)


# -- the rules ---------------------------------------------------------------


def admit(deadline_ms: int, now: int) -> JobStatus:
    """The status of a newly enqueued job: EXPIRED when already past its deadline."""
    return _E if deadline_ms < now else _P


def is_overdue(rec: Life, now: int) -> bool:
    """A live job past its deadline (it expires at the next look)."""
    return not rec.status.is_final and rec.deadline_ms < now


def may_claim(rec: Life, worker: str, now: int) -> bool:
    """``worker`` may claim the job now: pending, in time, and not kept from it."""
    return (
        rec.status is _P
        and rec.deadline_ms >= now
        and not (rec.avoid_worker == worker and now < rec.avoid_until_ms)
    )


#: The most claims one ``claim_next(..., batch=n)`` makes.
MAX_CLAIM_BATCH = 1000


def check_batch(n: object) -> int:
    """``n`` as a claim batch size (1..:data:`MAX_CLAIM_BATCH`), or ``ValueError``."""
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_CLAIM_BATCH:
        raise ValueError(f"a claim batch is 1..{MAX_CLAIM_BATCH} jobs, got {n!r}")
    return n


def check_attempt(attempt: object) -> int | None:
    """``attempt`` as a fencing token (a positive integer, or ``None``), or ``ValueError``."""
    if attempt is None:
        return None
    if not isinstance(attempt, int) or isinstance(attempt, bool) or not 1 <= attempt < 1 << 31:
        raise ValueError(f"attempt must be a positive integer, got {attempt!r}")
    return attempt


def check_lease(lease_ms: object) -> int:
    """``lease_ms`` as a lease length, or ``ValueError``."""
    if (
        not isinstance(lease_ms, int)
        or isinstance(lease_ms, bool)
        or not 1 <= lease_ms <= MAX_LEASE_MS
    ):
        raise ValueError(f"lease_ms must be a positive integer, got {lease_ms!r}")
    return lease_ms


def step(rec: Life, event: Event, now: int, *, max_attempts: int) -> Step:
    """What ``event`` at ``now`` does to ``rec``; raises when it is refused outright
    (nothing to save), or returns a :class:`Step` (possibly with ``raise_after``)."""
    status = rec.status
    match event:
        case Begin(worker):
            if status is _P and rec.deadline_ms < now:
                return _expire(
                    rec,
                    now,
                    InvalidTransition(f"job {rec.job_id} expired at {rec.deadline_ms}"),
                )
            check_transition(rec.job_id, status, _IP)
            return _start(rec, worker, now, None)
        case Claim(worker, lease_ms):
            if status is _P and rec.deadline_ms < now:
                return _expire(
                    rec, now, JobUnavailable(f"job {rec.job_id} is expired, not pending")
                )
            if status is not _P:
                raise JobUnavailable(f"job {rec.job_id} is {status.value}, not pending")
            if rec.avoid_worker == worker and now < rec.avoid_until_ms:
                raise JobUnavailable(
                    f"job {rec.job_id} failed on {worker}; kept for other workers "
                    f"until {rec.avoid_until_ms}"
                )
            return _start(rec, worker, now, lease_ms)
        case Heartbeat(worker, lease_ms):
            _require_holder(rec, worker)
            until = now + lease_ms
            return Step(
                status, status, {"lease_expires_at_ms": until, "lease_ms": lease_ms}, result=until
            )
        case Fail(worker, error):
            _require_holder(rec, worker)
            return _give_back(rec, error, now, max_attempts, ((worker, "failed"),))
        case Lapse():
            if status is not _IP:
                return Step(status, status)
            if rec.deadline_ms < now:
                return _expire(rec, now)
            holder = rec.worker_id or ""
            return _give_back(
                rec,
                f"lease lapsed on worker {rec.worker_id}",
                now,
                max_attempts,
                ((holder, "lapsed"),),
            )
        case Release(error):
            check_transition(rec.job_id, status, _P)
            return Step(
                status,
                _P,
                {"worker_id": None, "error": error, "lease_expires_at_ms": None},
                requeue=True,
            )
        case Complete(proof, times):
            check_transition(rec.job_id, status, _C)
            return Step(status, _C, {"proof": proof, "finished_at_ms": now, **_times(times, now)})
        case Submit(worker, proof, attempt, times):
            return _submit(rec, worker, proof, attempt, times, now)
        case Reject(worker, error):
            _require_held_once(rec, worker)
            counts = ((worker, "rejected"),)
            if status is _IP and rec.worker_id == worker:
                return _give_back(rec, error, now, max_attempts, counts)
            return Step(status, status, counts=counts, result=status)
        case MarkFailed(error):
            check_transition(rec.job_id, status, _F)
            return Step(status, _F, {"error": error, "finished_at_ms": now})
        case Expire():
            if is_overdue(rec, now):
                return _expire(rec, now)
            return Step(status, status)
        case Orphaned(error):
            if status is not _IP:
                return Step(status, status)
            return _give_back(rec, error, now, max_attempts, ())
        case Quarantine(reason):
            if status.is_final:
                return Step(status, status, {"error": reason})
            return Step(
                status,
                _F,
                {"error": reason, "lease_expires_at_ms": None, "finished_at_ms": now},
            )
    raise TypeError(f"not a lifecycle event: {event!r}")  # pragma: no cover


def _start(rec: Life, worker: str, now: int, lease_ms: int | None) -> Step:
    # one attempt more; a lease only for claims (local workers hold none), and
    # only leased claims count in the per-worker stats (they are the remote view)
    return Step(
        rec.status,
        _IP,
        {
            "worker_id": worker,
            "attempts": rec.attempts + 1,
            "started_at_ms": now,
            "error": None,
            "lease_expires_at_ms": None if lease_ms is None else now + lease_ms,
            "lease_ms": 0 if lease_ms is None else lease_ms,
        },
        holder=worker,
        counts=() if lease_ms is None else ((worker, "claimed"),),
        result=None if lease_ms is None else now + lease_ms,
    )


def _expire(rec: Life, now: int, error: PouwError | None = None) -> Step:
    return Step(
        rec.status,
        _E,
        {"lease_expires_at_ms": None, "finished_at_ms": now},
        raise_after=error,
    )


def _give_back(
    rec: Life, error: str, now: int, max_attempts: int, counts: tuple[tuple[str, str], ...]
) -> Step:
    if rec.attempts >= max_attempts:  # the last attempt: a dead letter, error kept
        return Step(
            rec.status,
            _F,
            {"error": error, "lease_expires_at_ms": None, "finished_at_ms": now},
            counts=counts,
            result=_F,
        )
    return Step(
        rec.status,
        _P,
        {
            "error": error,
            "lease_expires_at_ms": None,
            "avoid_worker": rec.worker_id,
            "avoid_until_ms": now + max(rec.lease_ms, 1),
            "worker_id": None,
        },
        requeue=True,
        counts=counts,
        result=_P,
    )


def _times(times: ProofTimes | None, now: int) -> dict[str, int]:
    proved, submitted, verified = (times or _NO_TIMES).resolved(now)
    return {"proved_at_ms": proved, "submitted_at_ms": submitted, "verified_at_ms": verified}


_NO_TIMES = ProofTimes()


def _submit(
    rec: Life, worker: str, proof: bytes, attempt: int | None, times: ProofTimes | None, now: int
) -> Step:
    _require_held_once(rec, worker)
    if attempt is not None and not 1 <= attempt <= rec.attempts:
        raise NotHolder(f"attempt {attempt} of job {rec.job_id} was never handed out")
    status = rec.status
    if status is _C:
        same = rec.proof == proof and rec.worker_id == worker
        result = SubmitResult.DUPLICATE if same else SubmitResult.ALREADY_COMPLETED
        return Step(status, status, result=result)
    if rec.deadline_ms < now and not status.is_final:
        refused = InvalidTransition(f"job {rec.job_id}: cannot move from expired to completed")
        return _expire(rec, now, refused)
    check_transition(rec.job_id, status, _C, late_proof=True)
    # the holder's proof only under the attempt it holds now: a proof of an earlier
    # attempt (the worker's lease lapsed, and it or another took the job again)
    # is a late proof, which completes and ends the current lease all the same
    own = status is _IP and rec.worker_id == worker and attempt in (None, rec.attempts)
    return Step(
        status,
        _C,
        {
            "proof": proof,
            "worker_id": worker,
            "lease_expires_at_ms": None,
            "finished_at_ms": now,
            **_times(times, now),
        },
        counts=((worker, "completed"),),
        result=SubmitResult.COMPLETED if own else SubmitResult.LATE_COMPLETED,
    )


def _require_held_once(rec: Life, worker: str) -> None:
    if worker not in rec.holders:
        raise NotHolder(f"worker {worker!r} never held job {rec.job_id}")


def _require_holder(rec: Life, worker: str) -> None:
    if rec.status is _IP and rec.worker_id == worker:
        return
    _require_held_once(rec, worker)
    raise LeaseLost(f"worker {worker!r} no longer holds job {rec.job_id}")
