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

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, InvalidTransition, JobNotFound, ProofError, QueueFull
from ..job import ProofJob, now_ms
from ..prover import Prover
from ..prover.base import job_public_inputs, public_inputs_of
from ..prover.batching import VerifyBatcher
from ..queue import JobQueue, JobStore, NotHolder, SubmitResult
from ..queue.analytics import ProofTimes
from ..status import JobStatus, JobTier, PoUwMode
from ..worker import LocalWorkerPool, Outcome, process_job
from .config import NodeConfig
from .executor import ExecutionResult, Executor
from .intents import Intent, Transfer
from .ledger import Ledger, LedgerEntry, ProofPart
from .ledger_store import LedgerStore, NoLedgerStore
from .proofs import ProofAccepted, ProofRejected
from .proving import job_units, node_prover
from .state import AccountState

if TYPE_CHECKING:
    from ..trace import ExecutionTrace

__all__ = ["NodeContext", "BATCH", "ProofAccepted", "ProofRejected"]

_log = logging.getLogger("pouw.node")

#: Intents per transaction over a durable store (see :meth:`NodeContext.process_batch`).
BATCH = 256
#: The most jobs one intent makes: a Micro job per step, and a transfer has at most 7.
_MICRO_JOBS = 8


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
        ledger_store: LedgerStore | None = None,
    ) -> None:
        self.config = config
        #: where the ledger is kept durably beside the jobs (nowhere for a memory node)
        self.ledger_store: LedgerStore = (
            ledger_store if ledger_store is not None else NoLedgerStore()
        )
        self.pouw_mode: PoUwMode = config.pouw_mode
        self.job_queue = job_queue
        self.executor = executor
        self.state = state
        self.ledger = ledger
        self.prover = prover
        #: the circuit digest every job is made for (Groth16), None for mock proofs
        self._circuit: str | None = getattr(prover, "circuit_digest", None)
        self._verifier = VerifyBatcher(prover)
        self._intents: deque[Intent] = deque()
        #: ids of every intent in the ledger or waiting: a resubmitted intent is
        #: taken once (an identical bad-nonce replay would make an identical job)
        self._known: set[str] = {e.intent_id for e in ledger.entries}
        self._lock = threading.Lock()
        self._intake_lock = threading.Lock()
        self.proofs_verified = 0  # inline and workers=0 proofs; the pool counts its own
        self.intents_processed = 0
        self._room = 0  # jobs the store surely still takes (see process_next_intent)
        self._intent_ready = threading.Condition(self._lock)
        self.pool: LocalWorkerPool | None = None
        #: an API replica (from_config(replica=True)): executes nothing
        self.replica = False
        #: the intake is shared with API replicas (PostgreSQL): the pipeline looks
        #: for intents they accepted whenever it runs dry
        self._shared_intake = config.store_url is not None
        self._intake_seq = 0  # the last intake row seen
        if self.pouw_mode is PoUwMode.LOCAL and config.workers > 0:
            self.pool = LocalWorkerPool(
                config.workers,
                job_queue,
                prover,
                ring_capacity=config.ring_capacity,
                on_proof=self._attach_proof,
            )
            self._resume_pending()

    @classmethod
    def from_config(
        cls, config: NodeConfig, *, job_queue: JobStore | None = None, replica: bool = False
    ) -> NodeContext:
        """A node with a genesis state, an empty ledger and the configured store and prover.

        ``replica``: an API replica (``pouw serve``) beside the executing node on
        the same PostgreSQL store: it executes nothing, writes submitted intents
        to the shared intake (the node takes them from there), and serves the
        workers' claims and submissions (verified by its own prover, recorded in
        the shared ledger)."""
        if replica:
            return cls._replica(config)
        executor = Executor(coinbase=config.coinbase)
        state = AccountState.genesis(
            config.accounts,
            config.genesis_balance,
            depth=config.state_depth,
            hash=config.state_hash,
        )
        ledger = Ledger()
        ledger_store: LedgerStore | None = None
        waiting: list[Intent] = []
        if job_queue is None:
            if config.durable:
                from .durable import open_store, replay_ledger, waiting_intents

                job_queue, ledger_store = open_store(config)
                try:
                    replay_ledger(ledger_store, executor, state, ledger)
                    waiting = waiting_intents(ledger_store)
                except BaseException:
                    job_queue.close()  # refused: let go of the file
                    raise
            else:
                job_queue = JobQueue(
                    config.queue_capacity,
                    retention=config.queue_retention,
                    max_attempts=config.max_attempts,
                    priority=config.queue_priority,
                    aging_ms=config.queue_aging_ms,
                )
        ctx = cls(
            config,
            job_queue=job_queue,
            executor=executor,
            state=state,
            ledger=ledger,
            prover=node_prover(config),
            ledger_store=ledger_store,
        )
        ctx.restore_waiting(waiting)
        return ctx

    @classmethod
    def _replica(cls, config: NodeConfig) -> NodeContext:
        if config.store_url is None:
            raise ConfigError(
                "store.url: an API replica shares the node's PostgreSQL store; a SQLite "
                "store (store.path) belongs to one process"
            )
        from .durable import open_store

        job_queue, ledger_store = open_store(config, sequencer=False)
        try:
            ctx = cls(
                replace(config, pouw_mode=PoUwMode.REMOTE),  # no local pool of its own
                job_queue=job_queue,
                executor=Executor(coinbase=config.coinbase),
                # no state: a replica executes nothing (a two-account placeholder)
                state=AccountState.genesis(2, 0, depth=1, hash=config.state_hash),
                ledger=Ledger(),
                prover=node_prover(config),
                ledger_store=ledger_store,
            )
        except BaseException:
            job_queue.close()
            raise
        ctx.replica = True
        return ctx

    # -- intake ----------------------------------------------------------

    def submit_intent(self, intent: Intent) -> bool:
        """Accept one intent (validated first); False if it was already accepted."""
        return self.submit_intents([intent]) == 1

    def submit_intents(self, intents: Iterable[Intent]) -> int:
        """Accept intents for execution, all or none; returns how many were new.

        Every intent is validated before any is taken. An intent whose id the
        node already holds (in the ledger, or waiting) is skipped: submitting
        is idempotent. Over a durable store the accepted intents are in the
        file when this returns (one transaction), and a restarted node executes
        them: an acknowledged intent is never lost.
        """
        batch = list(intents)
        for intent in batch:
            intent.validate()
        if self.replica:  # into the shared intake: the executing node takes them from there
            fresh_ids = {i.intent_id: i for i in batch}
            with self.job_queue.batch():
                self.ledger_store.accept([(i, t.to_dict()) for i, t in fresh_ids.items()])
            return len(fresh_ids)
        # one submitter at a time (the check against known ids and the write go
        # together); the pipeline's lock is taken only for the hand-over, never
        # around the store: the pipeline holds the store's lock (a batch) when
        # it takes an intent, so holding ours around the store could deadlock
        with self._intake_lock:
            fresh: dict[str, Intent] = {}
            for intent in batch:
                intent_id = intent.intent_id
                if intent_id not in self._known and intent_id not in fresh:
                    fresh[intent_id] = intent
            if not fresh:
                return 0
            with self.job_queue.batch():
                self.ledger_store.accept([(i, t.to_dict()) for i, t in fresh.items()])
            self._known.update(fresh)
            with self._lock:
                self._intents.extend(fresh.values())
                self._intent_ready.notify()
        return len(fresh)

    def restore_waiting(self, intents: Iterable[Intent]) -> None:
        """Queue intents accepted before a restart (already in the store)."""
        with self._intake_lock, self._lock:
            for intent in intents:
                if intent.intent_id not in self._known:
                    self._known.add(intent.intent_id)
                    self._intents.append(intent)

    def poll_intake(self) -> int:
        """Take the intents other processes (API replicas) accepted into the shared
        intake since the last look; returns how many are new. One already in the
        ledger, or a row that is not an intent, is dropped from the intake."""
        rows = self.ledger_store.waiting_since(self._intake_seq)
        if not rows:
            return 0
        self._intake_seq = rows[-1][0]
        fresh: list[Intent] = []
        seen: dict[str, int] = {}
        drop: list[int] = []
        for seq, d in rows:
            try:
                intent = Transfer.from_dict(d) if d is not None else None
                if intent is not None:
                    intent.validate()
            except (ValueError, TypeError, KeyError, OverflowError):
                intent = None
            if intent is None:
                _log.warning("dropped a damaged accepted intent (intake row %d)", seq)
                drop.append(seq)
            elif intent.intent_id in self._known:
                seen[intent.intent_id] = seq
            else:
                fresh.append(intent)
        executed = self.ledger_store.executed(list(seen)) if seen else set()
        drop += [seen[i] for i in executed]
        if drop:
            self.ledger_store.forget(drop)
        self.restore_waiting(fresh)
        return len(fresh)

    def waiting(self) -> list[Intent]:
        """The accepted intents not yet executed, oldest first (a copy)."""
        with self._lock:
            return list(self._intents)

    @property
    def waiting_intents(self) -> int:
        return len(self._intents)

    # -- the pipeline ----------------------------------------------------

    def process_next_intent(self) -> LedgerEntry | None:
        """Execute the next waiting intent (Full tier: the waiting intents, up to
        ``batch_size``, never waiting for more) and hand its proving on per
        ``pouw_mode``.

        Returns the new ledger entry (Full: the batch's last), or ``None`` when
        no intent is waiting. Raises :class:`~pouw.QueueFull`, with the intent
        still waiting and nothing changed, when its jobs would not fit in the store.
        """
        tier = self.config.tier
        need = _MICRO_JOBS if tier is JobTier.MICRO else 1
        jobs_made = self.pouw_mode is not PoUwMode.DISABLED
        if jobs_made and self._intents:
            self._ensure_room(need)
        with self._lock:
            if not self._intents:
                return None
            take = self.config.batch_size if tier is JobTier.FULL else 1
            intents = [self._intents.popleft() for _ in range(min(take, len(self._intents)))]
        if jobs_made:
            self._room -= need
        if tier is JobTier.FULL:
            results, trace = self.executor.execute_batch_with_trace(intents, self.state)
        else:
            result, trace = self.executor.execute_intent_with_trace(intents[0], self.state)
            results = [result]
        self.intents_processed += len(intents)

        units = job_units(tier, trace, results)
        if not jobs_made:
            parts = [self._inline_part(trace, unit) for unit in units]
            return self._record(intents, results, [], parts)
        ttl, circuit = self.config.job_ttl_ms, self._circuit
        jobs = [
            ProofJob.new_for_trace(trace, tier, fee, ttl, circuit=circuit, step=step)
            for step, fee in units
        ]
        publics = [job_public_inputs(self.prover, job) for job in jobs]
        parts = [
            ProofPart(job.job_id, None, x, job.step) for job, x in zip(jobs, publics, strict=True)
        ]
        entry = self._record(intents, results, jobs, parts)
        if self.pouw_mode is PoUwMode.LOCAL:
            for job in jobs:
                if self.pool is not None:
                    self.pool.submit(job)
                else:
                    self._prove_inline_from_queue()
        return entry

    def _inline_part(self, trace: ExecutionTrace, unit: tuple[int | None, int]) -> ProofPart:
        # disabled mode: proven here, without a job
        step, _ = unit
        tier = self.config.tier
        proof = self.prover.prove(trace, tier=tier, step=step)
        publics = public_inputs_of(self.prover, trace, tier=tier, job_id=None, step=step)
        return ProofPart(None, proof, publics, step)

    def _ensure_room(self, need: int = 1) -> None:
        # checked before executing: an intent executed but then refused by the
        # store would leave the state ahead of the ledger (and a durable node
        # unable to replay its file); only this thread enqueues, so the room
        # seen here is still there at the enqueue. Room is counted down per
        # job and re-read from the store only when it runs out (once per
        # many intents, not a query per intent).
        if self._room >= need:
            return
        s = self.job_queue.stats()
        self._room = self.job_queue.capacity - s.pending_count - s.in_progress_count
        if self._room < need:
            raise QueueFull(
                f"queue is full ({self.job_queue.capacity} live jobs); the intent waits"
            )

    def _record(
        self,
        intents: list[Intent],
        results: list[ExecutionResult],
        jobs: list[ProofJob],
        parts: list[ProofPart],
    ) -> LedgerEntry:
        """The ledger entries of ``intents``, their parts and their jobs, all or
        nothing (one transaction over a durable store). A Full job's part is in
        every entry of its batch; otherwise all the parts are the one entry's.
        The in-memory entries come first, so no prover can finish a job the
        ledger does not list; they are taken back if the store refuses."""
        zk_word = self.config.zk_mode.value
        appended: list[LedgerEntry] = []
        try:
            for result in results:
                own = parts if len(intents) == 1 else [replace(p) for p in parts]
                appended.append(self.ledger.append(result, zk_mode=zk_word, parts=own))
            with self.job_queue.batch():
                for intent, entry in zip(intents, appended, strict=True):
                    self.ledger_store.append(entry, intent)
                for job in jobs:
                    # with a pool, its ring is the job's one way to a worker
                    self.job_queue.enqueue(job, local=self.pool is not None)
        except BaseException:
            for entry in reversed(appended):
                self.ledger.discard_last(entry)
            raise
        return appended[-1]

    def process_all(self, *, progress: Any = None) -> int:
        """Process every waiting intent; ``progress(done)`` is called as it goes."""
        done = 0
        if self._batches():
            while n := self.process_batch():
                done += n
                if progress is not None:
                    progress(done)
            return done
        start = self.intents_processed
        while self.process_next_intent() is not None:
            done = self.intents_processed - start
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
        start = self.intents_processed
        if not self._batches():
            while self.intents_processed - start < limit:
                if self.process_next_intent() is None:
                    break
            return self.intents_processed - start
        error: Exception | None = None
        with self.job_queue.batch():
            while self.intents_processed - start < limit:
                try:
                    if self.process_next_intent() is None:
                        break
                except Exception as exc:  # noqa: BLE001 - committed what came before, then raised
                    error = exc
                    break
        if error is not None:
            raise error
        return self.intents_processed - start

    def _batches(self) -> bool:
        # not in local mode: the pool's threads record their proofs in the store,
        # and must not wait on a batch while the pipeline waits on their ring
        return self.pouw_mode is not PoUwMode.LOCAL

    def serve_intents(self, stop: threading.Event, poll: float = 0.2) -> int:
        """Process intents as they are submitted until ``stop`` is set (the
        server's pipeline thread); returns how many were processed."""
        done = 0
        if self.replica:
            stop.wait()
            return 0
        while not stop.is_set():
            if self._shared_intake and not self._intents:
                self.poll_intake()
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
        self.job_queue.close()

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
            "state_hash": self.state.hash,
        }
        if elapsed_s is not None:
            out["elapsed_s"] = round(elapsed_s, 6)
            out["intents_per_s"] = round(n / elapsed_s, 2) if elapsed_s > 0 else None
        return out

    # -- proofs from outside -------------------------------------------------

    def accept_proof(
        self,
        job_id: str,
        worker: str,
        proof: bytes,
        attempt: int | None = None,
        *,
        proving_ms: int | None = None,
    ) -> ProofAccepted:
        """A remote worker's proof: verify it, complete the job and attach the proof
        to the ledger (one transaction over a durable store).

        Raises :class:`~pouw.queue.NotHolder` if ``worker`` never held the job,
        :class:`~pouw.InvalidTransition` if the job is failed or expired,
        :class:`~pouw.ProofError` if the proof has the wrong size for this
        node's proof system, and :class:`ProofRejected` (with the job's status
        after the rejection was counted) if it does not verify. A valid proof
        from a worker whose lease lapsed still completes the job
        (:attr:`~pouw.queue.SubmitResult.LATE_COMPLETED`), as does a proof of
        an earlier ``attempt`` (the fencing token of the worker's claim).
        ``proving_ms``: how long the worker says it proved (the job's history
        records the proof as made that long after its claim).
        """
        submitted = now_ms()
        store = self.job_queue
        rec = store.get(job_id)
        if worker not in rec.holders:
            raise NotHolder(f"worker {worker!r} never held job {job_id}")
        if rec.status in (JobStatus.FAILED, JobStatus.EXPIRED):
            raise InvalidTransition(f"job {job_id} is {rec.status.value}")
        size = self.prover.proof_size
        if size is not None and len(proof) != size:
            raise ProofError(
                f"a {self.config.zk_mode.value} proof is {size} bytes, got {len(proof)}"
            )
        t0 = time.perf_counter()
        ok = self._verifier.verify(rec.job, proof)  # with others arriving at once: one batch
        verify_s = time.perf_counter() - t0
        if not ok:
            status = store.reject_proof(job_id, worker, f"proof from {worker} did not verify")
            raise ProofRejected(status, verify_s)
        proved = submitted
        if proving_ms is not None and rec.started_at_ms is not None:
            proved = min(submitted, rec.started_at_ms + proving_ms)
        times = ProofTimes(proved, submitted, now_ms())
        with store.batch():
            result = store.complete_by(job_id, worker, proof, attempt=attempt, times=times)
            done = result in (SubmitResult.COMPLETED, SubmitResult.LATE_COMPLETED)
            if done:
                self.ledger_store.attach_proof(job_id, proof)
        if done:
            self._attach_in_memory(job_id, proof)
        return ProofAccepted(result, verify_s, rec.started_at_ms)

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

    def _resume_pending(self) -> None:
        # jobs left pending by an earlier run on this store (a restart of a durable
        # local node) go to the new pool too, or nobody would prove them; fed from
        # a thread, since the ring may be smaller than the backlog
        assert self.pool is not None
        pending = self.job_queue.list_pending()
        if not pending:
            return
        pool = self.pool

        def feed() -> None:
            for job in pending:
                try:
                    pool.submit(job)
                except RuntimeError:  # the pool closed first: the rest stay pending
                    return

        threading.Thread(target=feed, name="pouw-resume", daemon=True).start()

    def _attach_proof(self, job_id: str, proof: bytes) -> None:
        # a local worker's proof (called inside the store's batch with its completion)
        self.ledger_store.attach_proof(job_id, proof)
        self._attach_in_memory(job_id, proof)

    def _attach_in_memory(self, job_id: str, proof: bytes) -> None:
        with contextlib.suppress(JobNotFound):  # a job this node's ledger does not list
            self.ledger.attach_proof(job_id, proof)
