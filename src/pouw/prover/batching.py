""":class:`VerifyBatcher`: proofs submitted together are verified together.

A node verifies each remote worker's proof before completing its job. Groth16
verifies many proofs with one key in one multi-pairing
(:func:`~pouw.zk.groth16.verifier.verify_batch`) for little more than one; so
the submissions that arrive while a verification runs wait for it and are
then verified as one batch by one of them (the leader), without a timer: an
idle node verifies a lone proof at once, a busy one in batches as large as
the arrivals make them (at most ``max_batch``).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import TYPE_CHECKING

from .base import verify_many

if TYPE_CHECKING:
    from ..job import ProofJob
    from .base import Prover

__all__ = ["VerifyBatcher"]

_log = logging.getLogger(__name__)


class _Request:
    __slots__ = ("job", "proof", "verdict", "done", "lead")

    def __init__(self, job: ProofJob, proof: bytes) -> None:
        self.job = job
        self.proof = proof
        self.verdict = False
        self.done = False
        self.lead = False  # handed the leader's part (it verifies the next batch)


class VerifyBatcher:
    """Verify ``(job, proof)`` pairs with ``prover``, batching concurrent calls."""

    def __init__(self, prover: Prover, max_batch: int = 64) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.prover = prover
        self.max_batch = max_batch
        self._waiting: deque[_Request] = deque()
        self._leader = False
        self._cond = threading.Condition()
        self.batches = 0  #: batches verified (a lone proof is a batch of one)

    def verify(self, job: ProofJob, proof: bytes) -> bool:
        """True when ``proof`` proves ``job`` (the prover's ``verify_job``); never raises."""
        me = _Request(job, proof)
        with self._cond:
            self._waiting.append(me)
            if self._leader:
                while not (me.done or me.lead):
                    self._cond.wait()
                if me.done:
                    return me.verdict
            self._leader = True
        # the leader: verify batches until its own request is done, then hand over
        while not me.done:
            with self._cond:
                batch = [
                    self._waiting.popleft() for _ in range(min(self.max_batch, len(self._waiting)))
                ]
            self._run(batch)
        with self._cond:
            if self._waiting:
                self._waiting[0].lead = True
            else:
                self._leader = False
            self._cond.notify_all()
        return me.verdict

    def _run(self, batch: list[_Request]) -> None:
        try:
            verdicts = verify_many(self.prover, [(r.job, r.proof) for r in batch])
        except Exception:  # a verifier must never raise; if it does, nothing is accepted
            _log.exception("verification of %d proofs raised", len(batch))
            verdicts = [False] * len(batch)
        with self._cond:
            self.batches += 1
            for r, ok in zip(batch, verdicts, strict=True):
                r.verdict = bool(ok)
                r.done = True
            self._cond.notify_all()
