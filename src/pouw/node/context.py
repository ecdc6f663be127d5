"""The node: executor, state, ledger, job store and prover wired by ``pouw_mode``.

``process_next_intent`` is the seed's pipeline:

* disabled -- execute, prove inline, record the proof; no job is created;
* local -- execute, make a Macro job, enqueue it, and have it proven locally:
  with ``workers = 0`` synchronously, inside this call (pop_next,
  mark_in_progress, prove, verify, complete); with workers, handed to the
  :class:`~pouw.worker.LocalWorkerPool` over its ring;
* remote -- execute, make the job, enqueue it and return: external provers
  take it from the store.

In local and remote mode the job id is written into the ledger entry before
the job is enqueued, so a prover never finishes a job the ledger does not list.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from ..job import ProofJob
from ..prover import Prover, get_prover
from ..queue import JobQueue, JobStore
from ..status import JobTier, PoUwMode
from ..worker import LocalWorkerPool, Outcome, process_job
from .config import NodeConfig
from .executor import Executor
from .intents import Intent
from .ledger import Ledger, LedgerEntry
from .state import AccountState

__all__ = ["NodeContext"]


class NodeContext:
    """Everything one node holds. Build it with :meth:`from_config`."""

    def __init__(
        self,
        config: NodeConfig,
        *,
        job_queue: JobStore,
        executor: Executor,
        state: AccountState,
        ledger: Ledger,
        prover: Prover,
    ) -> None:
        self.config = config
        self.pouw_mode: PoUwMode = config.pouw_mode
        self.job_queue = job_queue
        self.executor = executor
        self.state = state
        self.ledger = ledger
        self.prover = prover
        self._intents: deque[Intent] = deque()
        self._lock = threading.Lock()
        self.proofs_verified = 0  # inline and workers=0 proofs; the pool counts its own
        self.intents_processed = 0
        self.pool: LocalWorkerPool | None = None
        if self.pouw_mode is PoUwMode.LOCAL and config.workers > 0:
            self.pool = LocalWorkerPool(
                config.workers,
                job_queue,
                prover,
                ring_capacity=config.ring_capacity,
                on_proof=self._attach_proof,
            )

    @classmethod
    def from_config(cls, config: NodeConfig, *, job_queue: JobStore | None = None) -> NodeContext:
        """A node with a genesis state, an empty ledger and the configured store and prover."""
        if job_queue is None:
            job_queue = JobQueue(config.queue_capacity, retention=config.queue_retention)
        return cls(
            config,
            job_queue=job_queue,
            executor=Executor(coinbase=config.coinbase),
            state=AccountState.genesis(
                config.accounts, config.genesis_balance, depth=config.state_depth
            ),
            ledger=Ledger(),
            prover=get_prover(config.zk_mode),
        )

    # -- intake ----------------------------------------------------------

    def submit_intent(self, intent: Intent) -> None:
        """Add an intent to the pool of waiting intents (validated first)."""
        intent.validate()
        with self._lock:
            self._intents.append(intent)

    def submit_intents(self, intents: Iterable[Intent]) -> int:
        n = 0
        for intent in intents:
            self.submit_intent(intent)
            n += 1
        return n

    @property
    def waiting_intents(self) -> int:
        return len(self._intents)

    # -- the pipeline ----------------------------------------------------

    def process_next_intent(self) -> LedgerEntry | None:
        """Execute the next waiting intent and hand its proving on per ``pouw_mode``.

        Returns the new ledger entry, or ``None`` when no intent is waiting.
        """
        with self._lock:
            if not self._intents:
                return None
            intent = self._intents.popleft()
        result, trace = self.executor.execute_intent_with_trace(intent, self.state)
        self.intents_processed += 1
        zk_word = self.config.zk_mode.value

        if self.pouw_mode is PoUwMode.DISABLED:
            proof = self.prover.prove(trace, tier=JobTier.MACRO)
            return self.ledger.append(result, [], zk_mode=zk_word, proof=proof)

        job = ProofJob.new_for_trace(
            trace, JobTier.MACRO, result.gas_summary.fee_charged, self.config.job_ttl_ms
        )
        entry = self.ledger.append(result, [job.job_id], zk_mode=zk_word)
        self.job_queue.enqueue(job)
        if self.pouw_mode is PoUwMode.LOCAL:
            if self.pool is not None:
                self.pool.submit(job)
            else:
                self._prove_inline_from_queue()
        return entry

    def process_all(self, *, progress: Any = None) -> int:
        """Process every waiting intent; ``progress(done)`` is called as it goes."""
        done = 0
        while self.process_next_intent() is not None:
            done += 1
            if progress is not None:
                progress(done)
        return done

    def wait_for_local_jobs(self, timeout: float | None = None) -> bool:
        """In local mode with workers, wait until the pool has finished every job."""
        if self.pool is None:
            return True
        return self.pool.wait_idle(timeout)

    def close(self, drain: bool = True) -> None:
        """Stop the local pool (finishing its jobs unless ``drain=False``)."""
        if self.pool is not None:
            self.pool.close(drain=drain)

    def __enter__(self) -> NodeContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def total_proofs_verified(self) -> int:
        return self.proofs_verified + (self.pool.proofs_verified if self.pool else 0)

    def summary(self, elapsed_s: float | None = None) -> dict[str, Any]:
        """The run report (the CLI's ``--json`` object)."""
        stats = self.job_queue.stats()
        n = len(self.ledger)
        out: dict[str, Any] = {
            "mode": self.pouw_mode.value,
            "zk_mode": self.config.zk_mode.value,
            "workers": self.config.workers if self.pouw_mode is PoUwMode.LOCAL else 0,
            "intents": self.intents_processed,
            "ledger_entries": n,
            "entries_with_job_ids": self.ledger.entries_with_job_ids(),
            "entries_proven": self.ledger.proven_count(),
            "jobs": {
                "pending": stats.pending_count,
                "in_progress": stats.in_progress_count,
                "completed": stats.completed_count,
                "failed": stats.failed_count,
                "expired": stats.expired_count,
            },
            "proofs_verified": self.total_proofs_verified,
            "state_root": self.state.root.hex(),
        }
        if elapsed_s is not None:
            out["elapsed_s"] = round(elapsed_s, 6)
            out["intents_per_s"] = round(n / elapsed_s, 2) if elapsed_s > 0 else None
        return out

    # -- internals -------------------------------------------------------

    def _prove_inline_from_queue(self) -> None:
        # workers = 0: exactly the seed's worker sequence, in this thread.
        job = self.job_queue.pop_next()
        if job is None:
            return
        outcome = process_job(
            self.job_queue, self.prover, job, "inline", on_proof=self._attach_proof
        )
        if outcome is Outcome.COMPLETED:
            self.proofs_verified += 1

    def _attach_proof(self, job_id: str, proof: bytes) -> None:
        self.ledger.attach_proof(job_id, proof)


def run_timed(ctx: NodeContext) -> float:
    """Process all waiting intents and wait for local provers; return seconds taken."""
    t0 = time.perf_counter()
    ctx.process_all()
    ctx.wait_for_local_jobs()
    return time.perf_counter() - t0
