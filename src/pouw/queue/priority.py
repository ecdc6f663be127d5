"""The order claims take pending jobs in, once for every store: FIFO, or by fee
per unit of work with aging.

Every store keeps its pending jobs sorted by one integer, the *order key*,
given when a job joins the pending order (enqueued, or given back) and
never changed while it waits; a claim takes the smallest key it may.

* ``"fifo"``: the key is the store's arrival counter: first in, first out,
  a job given back goes to the end.
* ``"fee"``: the key is ``(now - bucket * aging_ms) << 16 | (counter mod 2^16)``
  (plus a constant that keeps it positive),
  where ``bucket`` is the log2 of the job's fee per unit of work
  (:func:`fee_bucket`). A job of a higher bucket is served as if it had
  arrived ``aging_ms`` earlier per bucket; within a bucket, first in first
  out. This is aging with a bound: a job of bucket ``b`` that joined at ``t``
  is never passed by a job that joins after ``t + (B - b) * aging_ms``, where
  ``B`` is the highest bucket (64), so even a zero-fee job is claimed once the
  jobs that joined before that instant are served, however many higher-fee
  jobs keep arriving. The key is fixed at arrival, so it is indexable (the
  SQL stores order by one column) and costs nothing per claim.

The unit of work is a KiB of the trace a proof covers (a Micro job proves one
step of its trace: one unit, about the size of a step at depth 20).

Pending jobs keep their key across a change of mode; FIFO keys are small
counters and fee keys are times, so jobs queued under ``"fee"`` wait behind new
ones after a switch to ``"fifo"``: switch on a drained queue.
"""

from __future__ import annotations

from ..job import ProofJob

__all__ = ["PRIORITIES", "MAX_BUCKET", "check_priority", "fee_bucket", "work_units", "order_key"]

PRIORITIES = ("fifo", "fee")
#: the highest bucket (a u64 fee over one unit of work)
MAX_BUCKET = 64
_LOW = 16  #: bits of the arrival counter under the time in a fee key
_MAX_AGING_MS = 1 << 24  #: about 4.7 hours per bucket: keys stay within 63 bits
_BIAS = MAX_BUCKET * _MAX_AGING_MS


def check_priority(priority: object, aging_ms: object) -> tuple[str, int]:
    """``(priority, aging_ms)`` checked, or ``ValueError`` naming the bad one."""
    if priority not in PRIORITIES:
        raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}, got {priority!r}")
    if aging_ms.__class__ is not int or not 1 <= aging_ms <= _MAX_AGING_MS:  # type: ignore[operator,unused-ignore]
        raise ValueError(f"aging_ms must be an integer in 1..{_MAX_AGING_MS}, got {aging_ms!r}")
    return str(priority), int(aging_ms)  # type: ignore[call-overload,unused-ignore]


def work_units(job: ProofJob) -> int:
    """The work a job's proof covers: KiB of its trace, one for a single step."""
    if job.step is not None:
        return 1
    return max(1, (len(job.trace_data) + 1023) // 1024)


def fee_bucket(job: ProofJob) -> int:
    """``floor(log2(fee per unit of work))``, 0 for less than one per unit."""
    return min(MAX_BUCKET, max(0, (job.fee_budget // work_units(job)).bit_length() - 1))


def order_key(priority: str, aging_ms: int, bucket: int, now: int, counter: int) -> int:
    """The order key of a job of ``bucket`` joining the pending order at ``now``
    as the store's ``counter``-th arrival (see the module docstring)."""
    if priority == "fifo":
        return counter
    # (biased so that a key is never negative: a bucket can be worth more than now)
    at = now + _BIAS - bucket * aging_ms
    return (at << _LOW) | (counter & ((1 << _LOW) - 1))
