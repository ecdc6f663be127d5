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

from ..errors import QueueFull
from ..job import ProofJob
from ..prover import Prover, get_prover
from ..queue import JobQueue, JobStore
from ..status import JobTier, PoUwMode
from ..store import SqliteJobQueue
from ..worker import LocalWorkerPool, Outcome, process_job
from .config import NodeConfig
from .durable import record_entry
from .executor import Executor
from .intents import Intent
from .ledger import Ledger, LedgerEntry
from .state import AccountState

__all__ = ["NodeContext", "BATCH"]

#: Intents per transaction over a durable store (see :meth:`NodeContext.process_batch`).
BATCH = 256


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
        self._room = 0  # jobs the store surely still takes (see process_next_intent)
        self._intent_ready = threading.Condition(self._lock)
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
        executor = Executor(coinbase=config.coinbase)
        state = AccountState.genesis(
            config.accounts, config.genesis_balance, depth=config.state_depth
        )
        ledger = Ledger()
        if job_queue is None:
            if config.store_path is not None:
                from .durable import open_store, replay_ledger

                job_queue = open_store(config)
                try:
                    replay_ledger(job_queue, executor, state, ledger)
                except BaseException:
                    job_queue.close()  # refused: let go of the file
                    raise
            else:
                job_queue = JobQueue(
                    config.queue_capacity,
                    retention=config.queue_retention,
                    max_attempts=config.max_attempts,
                )
        return cls(
            config,
            job_queue=job_queue,
            executor=executor,
            state=state,
            ledger=ledger,
            prover=get_prover(config.zk_mode),
        )

    # -- intake ----------------------------------------------------------

    def submit_intent(self, intent: Intent) -> None:
        """Add an intent to the pool of waiting intents (validated first)."""
        intent.validate()
        with self._lock:
            self._intents.append(intent)
            self._intent_ready.notify()

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
        Raises :class:`~pouw.QueueFull`, with the intent still waiting and
        nothing changed, when its job would not fit in the store.
        """
        if self.pouw_mode is not PoUwMode.DISABLED:
            # checked before executing: an intent executed but then refused by
            # the store would leave the state ahead of the ledger (and a durable
            # node unable to replay its file); only this thread enqueues, so the
            # room seen here is still there at the enqueue
            # room is counted down here and re-read from the store only when it
            # runs out (once per many intents, not a query per intent)
            capacity = getattr(self.job_queue, "capacity", None)
            if capacity is not None and self._intents and self._room <= 0:
                s = self.job_queue.stats()
                self._room = capacity - s.pending_count - s.in_progress_count
                if self._room <= 0:
                    raise QueueFull(f"queue is full ({capacity} live jobs); the intent waits")
            self._room -= 1
        with self._lock:
            if not self._intents:
                return None
            intent = self._intents.popleft()
        result, trace = self.executor.execute_intent_with_trace(intent, self.state)
        self.intents_processed += 1
        zk_word = self.config.zk_mode.value
        durable = self.job_queue if isinstance(self.job_queue, SqliteJobQueue) else None

        if self.pouw_mode is PoUwMode.DISABLED:
            proof = self.prover.prove(trace, tier=JobTier.MACRO)
            if durable is not None:
                return record_entry(durable, self.ledger, intent, result, None, zk_word, proof)
            return self.ledger.append(result, [], zk_mode=zk_word, proof=proof)

        job = ProofJob.new_for_trace(
            trace, JobTier.MACRO, result.gas_summary.fee_charged, self.config.job_ttl_ms
        )
        if durable is not None:
            # entry, job id and job in one transaction
            entry = record_entry(durable, self.ledger, intent, result, job, zk_word)
        else:
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
        if self._batches():
            while n := self.process_batch():
                done += n
                if progress is not None:
                    progress(done)
            return done
        while self.process_next_intent() is not None:
            done += 1
            if progress is not None:
                progress(done)
        return done

    def process_batch(self, limit: int = BATCH) -> int:
        """Process up to ``limit`` waiting intents; returns how many.

        Over a durable store (remote and disabled mode) they share one
        transaction: one disk sync for the batch (group commit), each entry
        still all-or-nothing with its job. An intent that raises ends the
        batch; the entries before it are committed, then the error propagates.
        """
        if not self._batches():
            n = 0
            while n < limit and self.process_next_intent() is not None:
                n += 1
            return n
        assert isinstance(self.job_queue, SqliteJobQueue)
        n = 0
        error: Exception | None = None
        with self.job_queue.batch():
            while n < limit:
                try:
                    if self.process_next_intent() is None:
                        break
                except Exception as exc:  # noqa: BLE001 - committed what came before, then raised
                    error = exc
                    break
                n += 1
        if error is not None:
            raise error
        return n

    def _batches(self) -> bool:
        # not in local mode: the pool's threads record their proofs in the store,
        # and must not wait on a batch while the pipeline waits on their ring
        return isinstance(self.job_queue, SqliteJobQueue) and self.pouw_mode is not PoUwMode.LOCAL

    def serve_intents(self, stop: threading.Event, poll: float = 0.2) -> int:
        """Process intents as they are submitted until ``stop`` is set (the
        server's pipeline thread); returns how many were processed."""
        done = 0
        while not stop.is_set():
            try:
                n = self.process_batch()
            except QueueFull:  # back-pressure: wait for provers to finish jobs
                stop.wait(poll)
                continue
            if n:
                done += n
                continue
            with self._intent_ready:
                if not self._intents:
                    self._intent_ready.wait(poll)
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
        close = getattr(self.job_queue, "close", None)
        if close is not None:
            close()

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
