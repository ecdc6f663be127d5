"""Conformance tests of capability routing, on every backend of
tests/queue_backends.py: a claim returns only jobs the worker's Capabilities
admit (tiers, zk modes, circuits, job sizes), and the worker's device is
recorded. pouw.queue.capabilities holds the rule; the SQL stores translate it
into the claim's one query."""

from __future__ import annotations

import pytest
from blake3 import blake3

import queue_backends
from pouw import JobTier
from pouw.job import ProofJob
from pouw.queue.capabilities import Capabilities

new_store = queue_backends.new_store
store = queue_backends.store
LEASE = 10_000
CIRCUIT_A, CIRCUIT_B = "aa" * 32, "bb" * 32


def make(clock, i, *, tier=JobTier.MACRO, kib=1, circuit=None) -> ProofJob:
    data = b"%d:" % i + bytes(kib * 1024 - 8)
    return ProofJob(
        tier=tier,
        intent_id=blake3(b"i%d" % i).hexdigest(),
        trace_hash=blake3(data).hexdigest(),
        fee_budget=0,
        created_at_ms=clock.now,
        deadline_ms=clock.now + 10**9,
        trace_data=data,
        circuit=circuit,
    )


def drain(store, worker, can) -> list[str]:
    out = []
    while (rec := store.claim_next(worker, LEASE, can=can)) is not None:
        out.append(rec.job_id)
    return out


def test_capabilities_are_checked():
    assert Capabilities().admits_all
    gpu = Capabilities(tiers={"micro", JobTier.FULL}, zk_modes={"mock"}, device="gpu", min_units=4)
    assert gpu.tiers == {JobTier.MICRO, JobTier.FULL} and not gpu.admits_all  # names parsed
    for bad in (
        {"zk_modes": {"plonk"}},
        {"device": "tpu"},
        {"min_units": -1},
        {"max_units": 1.5},
        {"min_units": 5, "max_units": 4},
        {"tiers": {"huge"}},
    ):
        with pytest.raises(ValueError):
            Capabilities(**bad)


def test_a_claim_returns_only_what_the_worker_can_prove(store, clock):
    jobs = {
        "micro-mock": make(clock, 1, tier=JobTier.MICRO),
        "macro-mock-big": make(clock, 2, kib=64),
        "macro-a": make(clock, 3, circuit=CIRCUIT_A),
        "full-b-big": make(clock, 4, tier=JobTier.FULL, kib=32, circuit=CIRCUIT_B),
        "full-mock": make(clock, 5, tier=JobTier.FULL, kib=2),
    }
    for j in jobs.values():
        store.enqueue(j)
    ids = {v.job_id: k for k, v in jobs.items()}
    # a CPU prover of Groth16 circuit A only, small jobs
    cpu = Capabilities(zk_modes={"groth16"}, circuits={CIRCUIT_A}, max_units=8)
    assert [ids[j] for j in drain(store, "cpu", cpu)] == ["macro-a"]
    # a GPU prover of the large jobs (any mode, circuit B's key), Full and Macro
    gpu = Capabilities(tiers={"full", "macro"}, circuits={CIRCUIT_B}, device="gpu", min_units=16)
    assert sorted(ids[j] for j in drain(store, "gpu", gpu)) == ["full-b-big", "macro-mock-big"]
    # the claim's own tier argument narrows the capabilities
    mock = Capabilities(zk_modes={"mock"})
    got = store.claim_next("m", LEASE, JobTier.FULL, can=mock)
    assert ids[got.job_id] == "full-mock"
    assert [ids[j] for j in drain(store, "m", mock)] == ["micro-mock"]
    assert store.stats().pending_count == 0
    assert store.worker_devices() == {"cpu": "cpu", "gpu": "gpu", "m": "cpu"}
    assert set(store.workers_seen()) == {"cpu", "gpu", "m"}


def test_batches_and_the_old_arguments_route_the_same(store, clock):
    for i in range(6):
        store.enqueue(make(clock, i, circuit=CIRCUIT_A if i % 2 else None))
    can = Capabilities(zk_modes={"groth16"})
    recs = store.claim_next("w", LEASE, batch=10, can=can)
    assert len(recs) == 3 and all(r.job.circuit == CIRCUIT_A for r in recs)
    # circuits= alone (the earlier argument) still admits mock jobs
    recs = store.claim_next("w", LEASE, circuits=[CIRCUIT_B], batch=10)
    assert len(recs) == 3 and all(r.job.circuit is None for r in recs)


def test_nothing_matching_leaves_the_queue_untouched(store, clock):
    j = make(clock, 1, kib=4)
    store.enqueue(j)
    assert store.claim_next("w", LEASE, can=Capabilities(max_units=2)) is None
    assert store.claim_next("w", LEASE, can=Capabilities(tiers=set())) is None
    assert store.claim_next("w", LEASE, can=Capabilities(zk_modes=set())) is None
    assert store.claim_next("w", LEASE, can=Capabilities(min_units=4)).job_id == j.job_id
