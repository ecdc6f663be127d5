"""A remote prover: claim jobs from a node over HTTP, prove, heartbeat, submit.

``pouw worker --url URL --token TOKEN [--keys DIR]`` runs :class:`RemoteWorker`.
Each of its ``concurrency`` threads loops: claim-next (long-poll), prove the
job, submit the proof (with the claim's attempt, the fencing token). While any
job is in flight one beat thread tells the node the worker is alive
(``POST /pouw/workers/heartbeat``, every third of the lease), which extends
every lease it holds: one request per worker, not one per job. A job with a
circuit (Groth16) is proven with the worker's key for that circuit, and the
worker claims only the jobs of circuits it has keys for (``provers``, by
circuit digest), besides mock jobs, which any worker proves.

* The node unreachable: claims back off (0.1 s doubling to 5 s); a finished
  proof is kept and its submission retried until the node answers, so no
  proof is lost to a node restart. A lapsed lease does not stop a submission:
  the node accepts a late valid proof.
* Stop (SIGINT): a job not yet proven is given back (``fail``) at once; a
  proof already made is still submitted (for up to ``drain_s`` seconds).
* ``exit_when_idle``: the worker ends once the node reports no job pending
  or in progress (a job leased to a dead worker is not idle).

Test hook: ``POUW_TEST_PROVE_DELAY_MS`` (an integer) makes each proof take at
least that long, so tests can kill a worker mid-proof. Never set it in
production.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ..errors import ProofError
from ..job import ProofJob
from ..prover import Prover, get_prover
from ..queue.capabilities import Capabilities
from .client import ApiRefused, NodeClient, Unreachable, job_from_claim

__all__ = ["RemoteWorker", "DELAY_ENV"]

DELAY_ENV = "POUW_TEST_PROVE_DELAY_MS"
_log = logging.getLogger(__name__)


class RemoteWorker:
    """``concurrency`` proving threads against the node at ``url``."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        concurrency: int = 1,
        exit_when_idle: bool = False,
        wait_ms: int = 1000,
        max_backoff_s: float = 5.0,
        drain_s: float = 30.0,
        provers: Mapping[str, Prover] | None = None,
        can: Capabilities | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.url = url
        self.token = token
        self.concurrency = concurrency
        self.exit_when_idle = exit_when_idle
        self.wait_ms = wait_ms
        self.max_backoff_s = max_backoff_s
        self.drain_s = drain_s
        #: circuit digest -> the prover of that circuit (its Groth16 key)
        self.provers: dict[str, Prover] = dict(provers or {})
        #: what it declares with each claim (tiers, zk modes, device, job sizes)
        self.can = can
        self.stop = threading.Event()
        self.fatal: str | None = None  #: why the worker stopped on its own (a refused token)
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._delay_s = int(os.environ.get(DELAY_ENV, "0") or 0) / 1000
        self._in_flight = 0  #: jobs claimed and not yet proven (the beat runs while > 0)
        self._lease_ms = 30_000  #: the node's lease, from its last claim answer
        self._busy_since = 0.0  #: when the jobs in flight went from none to some

    def run(self) -> dict[str, int]:
        """Run until stopped (or idle); returns outcome counts."""
        threads = [
            threading.Thread(target=self._slot, name=f"pouw-remote-{i}", daemon=True)
            for i in range(self.concurrency)
        ]
        done = threading.Event()
        beat = threading.Thread(target=self._beat, args=(done,), name="pouw-beat", daemon=True)
        beat.start()
        for t in threads:
            t.start()
        for t in threads:
            while t.is_alive():
                t.join(0.2)
        done.set()
        beat.join(5)
        return dict(self.counts)

    def _beat(self, done: threading.Event) -> None:
        """While a job is in flight: the worker heartbeat, every third of the lease."""
        client: NodeClient | None = None
        due = 0.0  # when the next beat is due (a job's start sets it one third on)
        try:
            while not done.wait(0.02):  # a local check; the beats are a third of a lease apart
                with self._lock:
                    busy, since = self._in_flight > 0, self._busy_since
                every = max(0.05, self._lease_ms / 3000)
                now = time.monotonic()
                if not busy:
                    continue
                due = max(due, since + every)
                if now < due:
                    continue
                due = now + every
                if client is None:
                    client = NodeClient(
                        self.url, self.token, timeout=max(1.0, self._lease_ms / 2000)
                    )
                try:
                    client.worker_heartbeat()
                except ApiRefused as exc:  # rate limited, or refused: beat again soon
                    _log.warning("worker heartbeat refused: %s", exc)
                except Unreachable:
                    continue  # the node is down: the leases run on; beat again
        finally:
            if client is not None:
                client.close()

    def _count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1

    def _slot(self) -> None:
        client = NodeClient(self.url, self.token)
        backoff = 0.1
        try:
            while not self.stop.is_set():
                try:
                    claim = client.claim_next(
                        self.wait_ms, circuits=list(self.provers), can=self.can
                    )
                    backoff = 0.1
                except Unreachable as exc:
                    _log.warning("node unreachable (%s); retrying in %.1f s", exc, backoff)
                    self.stop.wait(backoff)
                    backoff = min(self.max_backoff_s, backoff * 2)
                    continue
                except ApiRefused as exc:
                    if exc.status == 401:
                        self.fatal = f"the node refused this token ({exc})"
                        self.stop.set()
                        return
                    self.stop.wait(1.0)  # rate limit or lease cap
                    continue
                if claim is None:
                    if self.exit_when_idle and self._idle(client):
                        return
                    continue
                if self.stop.is_set():  # claimed while stopping: give it back untouched
                    self._give_back(client, claim["job_id"], "worker stopped")
                    return
                self._work(client, claim)
        finally:
            client.close()

    def _idle(self, client: NodeClient) -> bool:
        try:
            s = client.stats()["stats"]
        except (Unreachable, ApiRefused):
            return False
        return bool(s["pending_count"] == 0 and s["in_progress_count"] == 0)

    def _work(self, client: NodeClient, claim: dict[str, Any]) -> None:
        job_id = claim["job_id"]
        with self._lock:
            if self._in_flight == 0:
                self._busy_since = time.monotonic()
            self._in_flight += 1
            lease = claim.get("lease_ms")
            if isinstance(lease, int) and lease > 0:
                self._lease_ms = lease
        try:
            try:
                t0 = time.monotonic()  # (the test hook's delay counts as proving)
                job = job_from_claim(claim)
                if self._delay_s and self.stop.wait(self._delay_s):
                    raise InterruptedError
                proof = self._prover_for(job, claim["zk_mode"]).prove_job(job)
                proving_ms = int((time.monotonic() - t0) * 1000)
            except InterruptedError:
                self._give_back(client, job_id, "worker interrupted before the proof was done")
                return
            except Exception as exc:  # noqa: BLE001 - report the failure, keep working
                self._give_back(client, job_id, f"{type(exc).__name__}: {exc}")
                self._count("failed")
                return
        finally:
            with self._lock:
                self._in_flight -= 1
        self._submit(client, job_id, proof, claim.get("attempts"), proving_ms)

    def _prover_for(self, job: ProofJob, zk_mode: str) -> Prover:
        if job.circuit is None:
            return get_prover(zk_mode)
        prover = self.provers.get(job.circuit)
        if prover is None:  # claimed by id, or the node ignored the filter
            raise ProofError(f"this worker has no key for circuit {job.circuit[:16]}")
        return prover

    def _give_back(self, client: NodeClient, job_id: str, error: str) -> None:
        try:
            client.fail(job_id, error)
            self._count("given_back")
        except (Unreachable, ApiRefused) as exc:  # the lease will lapse instead
            _log.warning("could not give back job %s: %s", job_id, exc)

    def _submit(
        self,
        client: NodeClient,
        job_id: str,
        proof: bytes,
        attempt: int | None,
        proving_ms: int | None = None,
    ) -> None:
        backoff = 0.1
        give_up_at: float | None = None
        while True:
            try:
                result = client.submit(job_id, proof, attempt, proving_ms)["result"]
                self._count(result)
                return
            except ApiRefused as exc:
                if exc.status != 429:  # a verdict on the proof (or the job): final
                    _log.warning("proof of job %s refused: %s", job_id, exc)
                    self._count("refused")
                    return
                # rate limited: not a verdict; the proof is kept and sent again
                _log.warning("submission of job %s rate limited; retrying", job_id)
                time.sleep(max(backoff, exc.retry_after_s))
                backoff = min(self.max_backoff_s, backoff * 2)
            except Unreachable as exc:
                if self.stop.is_set():
                    give_up_at = give_up_at or time.monotonic() + self.drain_s
                    if time.monotonic() > give_up_at:
                        _log.error("giving up submitting job %s: %s", job_id, exc)
                        self._count("unsubmitted")
                        return
                _log.warning(
                    "node unreachable; proof of %s kept, retrying in %.1f s", job_id, backoff
                )
                time.sleep(backoff)
                backoff = min(self.max_backoff_s, backoff * 2)
