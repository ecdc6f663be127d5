"""``pouw ledger verify``: check a durable ledger's proofs from the ledger alone.

A verifier trusts nothing a prover said. From the stored intents and the
genesis of the config it re-executes the chain (every post-state root must be
the stored one), makes each entry's jobs again (their ids bind the trace, the
tier, the fee, the circuit and the step: each must be the stored id),
re-derives every proof's public inputs (Groth16: the statement of the trace
circuit; each must be the stored one) and verifies every proof against them
(Groth16 proofs in batches: :func:`~pouw.zk.groth16.verifier.verify_batch`,
one by one only to name a bad one). The first entry that fails is reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError, PouwError
from ..job import ProofJob
from ..prover import Prover
from ..prover.base import job_public_inputs, public_inputs_of, verify_many
from ..status import JobTier
from .config import NodeConfig
from .executor import Executor
from .intents import Transfer
from .ledger import ProofPart
from .proving import job_units, node_prover
from .state import AccountState

__all__ = ["LedgerAudit", "verify_ledger"]

#: Proofs verified in one batch.
_BATCH = 64


@dataclass
class LedgerAudit:
    """What :func:`verify_ledger` found."""

    entries: int = 0  #: ledger entries re-executed
    proofs: int = 0  #: distinct proofs verified (a Full job's counts once)
    unproven: list[int] = field(default_factory=list)  #: heights with a part not yet proven
    bad_height: int | None = None  #: the first entry that failed, if any
    reason: str | None = None  #: why it failed

    @property
    def clean(self) -> bool:
        """Every entry re-executed and every proof valid (unproven ones aside)."""
        return self.bad_height is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "proofs_verified": self.proofs,
            "unproven": len(self.unproven),
            "first_unproven": self.unproven[0] if self.unproven else None,
            "clean": self.clean,
            "bad_height": self.bad_height,
            "reason": self.reason,
        }


class _Bad(Exception):
    def __init__(self, height: int, reason: str) -> None:
        super().__init__(reason)
        self.height = height
        self.reason = reason


def verify_ledger(config: NodeConfig, *, prover: Prover | None = None) -> LedgerAudit:
    """Audit the ledger in ``config``'s store (``[store] path``) with the config's
    prover (Groth16: its key's verifying key) or ``prover``."""
    from .durable import open_store

    if not config.durable:
        raise ConfigError(
            "store.path: the ledger is verified from its store (store.path or store.url); "
            "this config keeps none (an in-memory node's ledger ends with its process)"
        )
    if config.store_path is not None and not config.store_path.exists():
        raise ConfigError(f"store.path: no store at {config.store_path}")
    prover = prover if prover is not None else node_prover(config)
    store, ledger_store = open_store(config, sequencer=False)  # beside a running node
    try:
        rows = ledger_store.rows()
    finally:
        store.close()
    audit = LedgerAudit()
    try:
        _audit(config, prover, rows, audit)
    except _Bad as bad:
        audit.bad_height, audit.reason = bad.height, bad.reason
    return audit


def _groups(rows: list[dict[str, Any]], tier: JobTier) -> Iterator[list[dict[str, Any]]]:
    # the entries one trace covers: a Full job's batch (consecutive entries with
    # the same parts), else one entry
    group: list[dict[str, Any]] = []
    for row in rows:
        if group and tier is JobTier.FULL and _same_unit(group[0], row):
            group.append(row)
            continue
        if group:
            yield group
        group = [row]
    if group:
        yield group


def _same_unit(a: dict[str, Any], b: dict[str, Any]) -> bool:
    pa, pb = a["parts"], b["parts"]
    if len(pa) != 1 or len(pb) != 1:
        return False
    if pa[0].job_id is not None:
        return bool(pa[0].job_id == pb[0].job_id)
    return pa[0].proof is not None and pa[0].proof == pb[0].proof  # inline (disabled mode)


def _audit(
    config: NodeConfig, prover: Prover, rows: list[dict[str, Any]], audit: LedgerAudit
) -> None:
    executor = Executor(coinbase=config.coinbase)
    state = AccountState.genesis(
        config.accounts, config.genesis_balance, depth=config.state_depth, hash=config.state_hash
    )
    tier, zk_word = config.tier, config.zk_mode.value
    circuit = getattr(prover, "circuit_digest", None)
    pending: list[tuple[int, ProofJob, bytes]] = []
    try:
        _walk(rows, tier, zk_word, circuit, executor, state, prover, pending, audit)
    except _Bad:
        _flush(prover, pending, audit)  # a bad proof before it is the first bad entry
        raise
    _flush(prover, pending, audit)


def _walk(
    rows: list[dict[str, Any]],
    tier: JobTier,
    zk_word: str,
    circuit: str | None,
    executor: Executor,
    state: AccountState,
    prover: Prover,
    pending: list[tuple[int, ProofJob, bytes]],
    audit: LedgerAudit,
) -> None:
    for group in _groups(rows, tier):
        height = group[0]["height"]
        intents = []
        for row in group:
            if row["zk_mode"] != zk_word:
                raise _Bad(
                    row["height"], f"proven with {row['zk_mode']}, the config says {zk_word}"
                )
            try:
                intents.append(Transfer.from_dict(json.loads(row["intent"])))
            except (ValueError, TypeError, KeyError) as exc:
                raise _Bad(row["height"], f"the stored intent is damaged: {exc}") from None
        try:
            if tier is JobTier.FULL:
                results, trace = executor.execute_batch_with_trace(intents, state)
            else:
                result, trace = executor.execute_intent_with_trace(intents[0], state)
                results = [result]
        except ValueError as exc:  # an intent this state cannot run (another genesis?)
            raise _Bad(height, f"the stored intent does not execute: {exc}") from None
        for row, result in zip(group, results, strict=True):
            audit.entries += 1
            try:
                stored_root = json.loads(row["entry"])["post_root"]
            except (ValueError, TypeError, KeyError):
                raise _Bad(row["height"], "the stored entry is damaged") from None
            if result.post_root.hex() != stored_root:
                raise _Bad(row["height"], "re-executing gives another post-state root")
        parts: list[ProofPart] = group[0]["parts"]
        if any(r["parts"] != parts for r in group[1:]):
            raise _Bad(group[1]["height"], "the entries of one batch list different proofs")
        units = job_units(tier, trace, results)
        unproven = False
        if len(parts) != len(units):
            raise _Bad(
                height, f"{len(parts)} proofs recorded, the {tier.value} tier makes {len(units)}"
            )
        for part, (step, fee) in zip(parts, units, strict=True):
            if part.step != step:
                raise _Bad(height, f"a proof of step {part.step}, expected step {step}")
            if part.job_id is None:  # proven inline
                _check_inline(prover, trace, tier, part, height, audit)
                continue
            job = ProofJob.new_for_trace(trace, tier, fee, 0, circuit=circuit, step=step)
            if job.job_id != part.job_id:
                raise _Bad(height, f"job {part.job_id} is not the job of the re-executed trace")
            if job_public_inputs(prover, job) != tuple(part.public_inputs):
                raise _Bad(
                    height, f"job {part.job_id}: the stored public inputs are not the trace's"
                )
            if part.proof is None:
                unproven = True
                continue
            pending.append((height, job, part.proof))
            if len(pending) >= _BATCH:
                _flush(prover, pending, audit)
        if unproven:
            audit.unproven.extend(r["height"] for r in group)


def _check_inline(
    prover: Prover,
    trace: Any,
    tier: JobTier,
    part: ProofPart,
    height: int,
    audit: LedgerAudit,
) -> None:
    if part.proof is None:
        raise _Bad(height, "an inline proof is missing")
    publics = public_inputs_of(prover, trace, tier=tier, job_id=None, step=part.step)
    if publics != tuple(part.public_inputs):
        raise _Bad(height, "the stored public inputs are not the trace's")
    if not prover.verify(trace, part.proof, tier=tier, job_id=None, step=part.step):
        raise _Bad(height, "the proof does not verify")
    audit.proofs += 1


def _flush(prover: Prover, pending: list[tuple[int, ProofJob, bytes]], audit: LedgerAudit) -> None:
    if not pending:
        return
    try:
        verdicts = verify_many(prover, [(job, proof) for _, job, proof in pending])
    except PouwError as exc:  # pragma: no cover - verifiers answer False, never raise
        raise _Bad(pending[0][0], f"verification raised: {exc}") from None
    for (height, job, _), ok in zip(pending, verdicts, strict=True):
        if not ok:
            raise _Bad(height, f"the proof of job {job.job_id} does not verify")
    audit.proofs += len(pending)
    pending.clear()
