"""The one job lifecycle (pouw.queue.lifecycle): each rule on its own, and random
event sequences that never leave the allowed moves. The stores that save its
steps are pinned by the conformance suite (tests/test_queue*.py)."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pouw import InvalidTransition, JobStatus
from pouw.queue import JobUnavailable, LeaseLost, NotHolder, SubmitResult
from pouw.queue import lifecycle as lc
from pouw.status import ALLOWED_TRANSITIONS, LATE_PROOF_TRANSITIONS

P, IP, C, F, E = JobStatus


@dataclasses.dataclass
class Rec:
    """A plain record with the fields the rules read (what a store loads)."""

    job_id: str = "j1"
    status: JobStatus = P
    deadline_ms: int = 10_000
    worker_id: str | None = None
    attempts: int = 0
    lease_ms: int = 0
    lease_expires_at_ms: int | None = None
    avoid_worker: str | None = None
    avoid_until_ms: int = 0
    proof: bytes | None = None
    error: str | None = None
    started_at_ms: int | None = None
    finished_at_ms: int | None = None
    holders: set[str] = dataclasses.field(default_factory=set)


def save(rec: Rec, s: lc.Step) -> Rec:
    """What every store does with a step (minus its own counters and order)."""
    for name, value in s.changes.items():
        setattr(rec, name, value)
    rec.status = s.new
    if s.holder is not None:
        rec.holders.add(s.holder)
    return rec


def run(rec: Rec, event: lc.Event, now: int, max_attempts: int = 3) -> lc.Step:
    s = lc.step(rec, event, now, max_attempts=max_attempts)
    save(rec, s)
    return s


def test_claim_heartbeat_and_submit_by_the_holder():
    rec = Rec()
    s = run(rec, lc.Claim("w", 100), now=1)
    assert (s.old, s.new) == (P, IP) and s.counts == (("w", "claimed"),) and s.result == 101
    assert rec.attempts == 1 and rec.lease_expires_at_ms == 101 and rec.holders == {"w"}
    assert run(rec, lc.Heartbeat("w", 50), now=60).result == 110
    s = run(rec, lc.Submit("w", b"p"), now=70)
    assert s.result is SubmitResult.COMPLETED and s.finished and rec.finished_at_ms == 70
    assert run(rec, lc.Submit("w", b"p"), now=71).result is SubmitResult.DUPLICATE
    with pytest.raises(NotHolder):
        lc.step(rec, lc.Submit("x", b"p"), 72, max_attempts=3)


def test_begin_holds_no_lease_and_counts_no_remote_claim():
    rec = Rec()
    s = run(rec, lc.Begin("local"), now=1)
    assert s.new is IP and rec.lease_expires_at_ms is None and s.counts == ()
    with pytest.raises(InvalidTransition):
        lc.step(rec, lc.Begin("local"), 2, max_attempts=3)


def test_an_overdue_job_expires_even_when_the_operation_is_refused():
    for event, error in (
        (lc.Begin("w"), InvalidTransition),
        (lc.Claim("w", 10), JobUnavailable),
    ):
        rec = Rec(deadline_ms=5)
        s = run(rec, event, now=6)
        assert s.new is E and isinstance(s.raise_after, error) and s.finished


def test_give_back_avoids_the_worker_then_dead_letters_at_max_attempts():
    rec = Rec()
    run(rec, lc.Claim("w", 100), now=0)
    s = run(rec, lc.Fail("w", "boom"), now=10, max_attempts=2)
    assert s.new is P and s.requeue and rec.avoid_worker == "w" and rec.avoid_until_ms == 110
    assert rec.error == "boom" and rec.worker_id is None
    assert not lc.may_claim(rec, "w", 50) and lc.may_claim(rec, "other", 50)
    assert lc.may_claim(rec, "w", 110)  # a preference, not a ban
    with pytest.raises(JobUnavailable):
        lc.step(rec, lc.Claim("w", 100), 50, max_attempts=2)
    run(rec, lc.Claim("x", 100), now=50)
    s = run(rec, lc.Lapse(), now=151, max_attempts=2)
    assert s.new is F and s.counts == (("x", "lapsed"),) and "lapsed" in rec.error


def test_fail_and_heartbeat_from_a_former_holder_are_lease_lost():
    rec = Rec()
    run(rec, lc.Claim("w", 100), now=0)
    run(rec, lc.Lapse(), now=101)
    for event in (lc.Heartbeat("w", 10), lc.Fail("w", "x")):
        with pytest.raises(LeaseLost):
            lc.step(rec, event, 102, max_attempts=3)
        with pytest.raises(NotHolder):
            lc.step(rec, dataclasses.replace(event, worker="never"), 102, max_attempts=3)


def test_a_late_proof_completes_from_pending_and_from_another_lease():
    rec = Rec()
    run(rec, lc.Claim("a", 10), now=0)
    run(rec, lc.Lapse(), now=11)  # pending again
    s = run(rec, lc.Submit("a", b"pa"), now=12)
    assert (s.old, s.new) == (P, C) and s.result is SubmitResult.LATE_COMPLETED

    rec = Rec()
    run(rec, lc.Claim("a", 10), now=0)
    run(rec, lc.Lapse(), now=11)
    run(rec, lc.Claim("b", 10_000), now=200)
    s = run(rec, lc.Submit("a", b"pa"), now=201)
    assert (s.old, s.new) == (IP, C) and s.result is SubmitResult.LATE_COMPLETED
    assert rec.worker_id == "a" and rec.lease_expires_at_ms is None
    assert run(rec, lc.Submit("b", b"pb"), now=202).result is SubmitResult.ALREADY_COMPLETED


def test_a_proof_after_the_deadline_expires_the_job_and_is_refused():
    rec = Rec(deadline_ms=50)
    run(rec, lc.Claim("w", 10), now=0)
    s = run(rec, lc.Submit("w", b"p"), now=51)
    assert s.new is E and isinstance(s.raise_after, InvalidTransition)


def test_reject_gives_back_only_from_the_holder():
    rec = Rec()
    run(rec, lc.Claim("a", 10), now=0)
    s = run(rec, lc.Reject("a", "bad"), now=1)
    assert s.new is P and s.counts == (("a", "rejected"),)
    run(rec, lc.Claim("b", 10), now=20)
    s = run(rec, lc.Reject("a", "bad"), now=21)
    assert not s.moved and s.result is IP and s.counts == (("a", "rejected"),)


def test_release_keeps_the_attempt_and_avoids_nobody():
    rec = Rec()
    run(rec, lc.Begin("w"), now=0)
    s = run(rec, lc.Release("gone"), now=1)
    assert s.new is P and s.requeue and rec.attempts == 1 and rec.avoid_worker is None


def test_quarantine_makes_a_dead_letter_from_any_live_status():
    for setup in ((), (lc.Claim("w", 10),)):
        rec = Rec()
        for event in setup:
            run(rec, event, now=0)
        s = run(rec, lc.Quarantine("trace hash mismatch"), now=5)
        assert s.new is F and s.finished and rec.error == "trace hash mismatch"
        assert rec.lease_expires_at_ms is None
    done = Rec(status=C)
    assert not lc.step(done, lc.Quarantine("x"), 1, max_attempts=3).moved


def test_orphaned_in_progress_job_is_given_back():
    rec = Rec()
    run(rec, lc.Begin("thread"), now=0)
    s = run(rec, lc.Orphaned("the node stopped"), now=1)
    assert s.new is P and rec.error == "the node stopped"


def test_lease_lengths_are_checked_once():
    assert lc.check_lease(1) == 1 and lc.check_lease(lc.MAX_LEASE_MS) == lc.MAX_LEASE_MS
    for bad in (0, -1, True, 1.5, "10", lc.MAX_LEASE_MS + 1, None):
        with pytest.raises(ValueError, match="lease_ms"):
            lc.check_lease(bad)


def test_admission():
    assert lc.admit(10, 5) is P and lc.admit(10, 10) is P and lc.admit(10, 11) is E


WORKERS = ("a", "b")
events = st.one_of(
    st.builds(lc.Begin, st.sampled_from(WORKERS)),
    st.builds(lc.Claim, st.sampled_from(WORKERS), st.integers(1, 50)),
    st.builds(lc.Heartbeat, st.sampled_from(WORKERS), st.integers(1, 50)),
    st.builds(lc.Fail, st.sampled_from(WORKERS), st.just("f")),
    st.just(lc.Lapse()),
    st.builds(lc.Release, st.just("r")),
    st.builds(lc.Complete, st.just(b"c")),
    st.builds(lc.Submit, st.sampled_from(WORKERS), st.sampled_from((b"x", b"y"))),
    st.builds(lc.Reject, st.sampled_from(WORKERS), st.just("bad")),
    st.builds(lc.MarkFailed, st.just("m")),
    st.just(lc.Expire()),
    st.builds(lc.Orphaned, st.just("o")),
    st.builds(lc.Quarantine, st.just("q")),
)
QUARANTINE = {(P, F)}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(events, st.integers(0, 40)), max_size=30), st.integers(1, 4))
def test_random_event_sequences_only_make_allowed_moves(seq, max_attempts):
    rec = Rec(deadline_ms=400)
    now = 0
    for event, dt in seq:
        now += dt
        before = (rec.status, rec.attempts)
        try:
            s = lc.step(rec, event, now, max_attempts=max_attempts)
        except (InvalidTransition, JobUnavailable, LeaseLost, NotHolder):
            assert (rec.status, rec.attempts) == before  # refused: nothing to save
            continue
        save(rec, s)
        if s.moved:
            assert (s.old, s.new) in ALLOWED_TRANSITIONS | LATE_PROOF_TRANSITIONS | QUARANTINE
            assert not s.old.is_final  # a final job never moves
        assert rec.attempts >= before[1]  # an attempt, once counted, stays counted
        if rec.status is IP:
            assert rec.worker_id is not None and rec.worker_id in rec.holders
        if rec.status is C:
            assert rec.proof is not None
        if s.new.is_final and s.moved:
            assert rec.finished_at_ms == now
