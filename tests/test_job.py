"""ProofJob: deterministic ids, new_for_trace, get_trace integrity."""

from __future__ import annotations

import pytest
from blake3 import blake3
from hypothesis import given
from hypothesis import strategies as st

from pouw import JobTier, ProofJob, TraceError
from pouw.job import compute_job_id

H1 = blake3(b"a").hexdigest()
H2 = blake3(b"b").hexdigest()


def test_job_id_is_blake3_of_canonical_encoding():
    # independent re-derivation of the documented encoding
    expected = blake3(
        b"pouw.job.v1\x00"
        + bytes.fromhex(H1)
        + bytes([2])
        + bytes.fromhex(H2)
        + (12345).to_bytes(8, "little")
    ).hexdigest()
    assert compute_job_id(H1, JobTier.MACRO, H2, 12345) == expected
    assert compute_job_id(H1, "macro", H2, 12345) == expected


def test_job_id_pinned_vector():
    # a fixed vector: the id must be the same on every machine and release
    assert (
        compute_job_id("11" * 32, JobTier.FULL, "22" * 32, 7)
        == blake3(
            b"pouw.job.v1\x00" + b"\x11" * 32 + b"\x03" + b"\x22" * 32 + b"\x07" + b"\x00" * 7
        ).hexdigest()
    )


@given(
    st.sampled_from(list(JobTier)),
    st.sampled_from(list(JobTier)),
    st.integers(0, 2**64 - 1),
    st.integers(0, 2**64 - 1),
)
def test_job_id_changes_with_tier_and_fee(t1, t2, f1, f2):
    same = (t1, f1) == (t2, f2)
    assert (compute_job_id(H1, t1, H2, f1) == compute_job_id(H1, t2, H2, f2)) == same


def test_job_id_changes_with_trace_and_intent():
    base = compute_job_id(H1, JobTier.MACRO, H2, 0)
    assert compute_job_id(H2, JobTier.MACRO, H2, 0) != base
    assert compute_job_id(H1, JobTier.MACRO, H1, 0) != base


@pytest.mark.parametrize(
    "args",
    [
        ("zz" * 32, "macro", H2, 0),
        (H1[:10], "macro", H2, 0),
        (H1, "mega", H2, 0),
        (H1, "macro", H2, -1),
        (H1, "macro", H2, 2**64),
        (H1, "macro", H2, 1.5),
    ],
)
def test_job_id_rejects_bad_inputs(args):
    with pytest.raises(ValueError):
        compute_job_id(*args)


class FakeTrace:
    """Just what new_for_trace reads from a trace."""

    def __init__(self, data: bytes, intent: str = H2) -> None:
        self._data = data
        self.trace_hash = blake3(data).hexdigest()
        self.intent_id = intent

    def to_bytes(self) -> bytes:
        return self._data


def test_new_for_trace_id_ignores_time_and_ttl():
    t = FakeTrace(b"x" * 1024)
    a = ProofJob.new_for_trace(t, JobTier.MACRO, 10, 1000)
    b = ProofJob.new_for_trace(t, "macro", 10, 999_999)
    assert a.job_id == b.job_id
    assert a.deadline_ms - a.created_at_ms == 1000
    assert b.deadline_ms - b.created_at_ms == 999_999
    assert a.trace_hash == t.trace_hash and a.intent_id == H2 and a.trace_data == t.to_bytes()
    assert len(a.job_id) == 64 and a.job_id == a.job_id.lower()
    c = ProofJob.new_for_trace(t, JobTier.MICRO, 10, 1000)  # any tier for any trace
    assert c.job_id != a.job_id and c.tier is JobTier.MICRO


def test_new_for_trace_rejects_bad_ttl_and_tier():
    t = FakeTrace(b"x")
    with pytest.raises(ValueError):
        ProofJob.new_for_trace(t, JobTier.MACRO, 0, -1)
    with pytest.raises(ValueError):
        ProofJob.new_for_trace(t, "huge", 0, 10)


def test_constructor_checks_consistency():
    data = b"abc"
    kw = dict(
        tier="macro",
        intent_id=H2,
        trace_hash=blake3(data).hexdigest(),
        fee_budget=1,
        created_at_ms=5,
        deadline_ms=10,
        trace_data=data,
    )
    job = ProofJob(**kw)
    assert ProofJob(**kw, job_id=job.job_id) == job
    with pytest.raises(ValueError):
        ProofJob(**kw, job_id="00" * 32)
    with pytest.raises(ValueError):
        ProofJob(**{**kw, "trace_data": b"abd"})
    with pytest.raises(ValueError):
        ProofJob(**{**kw, "deadline_ms": 4})
    # times from an untrusted claim answer: integers only (a float once passed)
    for bad in (10.0, 1.5e12, True, "10", -1, 1 << 64, None):
        with pytest.raises(ValueError, match="deadline_ms"):
            ProofJob(**{**kw, "deadline_ms": bad})
        with pytest.raises(ValueError, match="created_at_ms"):
            ProofJob(**{**kw, "created_at_ms": bad})


def test_get_trace_refuses_garbage():
    data = b"not a trace"
    job = ProofJob(
        tier="macro",
        intent_id=H2,
        trace_hash=blake3(data).hexdigest(),
        fee_budget=0,
        created_at_ms=0,
        deadline_ms=1,
        trace_data=data,
    )
    with pytest.raises(TraceError):
        job.get_trace()


def test_expiry_and_dict():
    job = ProofJob(
        tier="macro",
        intent_id=H2,
        trace_hash=blake3(b"").hexdigest(),
        fee_budget=0,
        created_at_ms=0,
        deadline_ms=100,
        trace_data=b"",
    )
    assert not job.is_expired(100)
    assert job.is_expired(101)
    d = job.to_dict()
    assert d["job_id"] == job.job_id and d["tier"] == "macro" and "trace_data" not in d
    assert job.to_dict(with_trace=True)["trace_data"] == b""


# --- the circuit and the step (Groth16 trace circuits; Micro jobs) -----------------


def _fields(**kw):
    base = dict(trace_hash="11" * 32, tier="micro", intent_id="22" * 32, fee_budget=7)
    base.update(kw)
    return base


def test_circuit_and_step_change_the_id_and_none_keeps_the_old_one():
    from pouw.job import compute_job_id

    plain = compute_job_id(**_fields())
    assert compute_job_id(**_fields(), circuit=None, step=None) == plain
    ids = {
        plain,
        compute_job_id(**_fields(), circuit="ab" * 32),
        compute_job_id(**_fields(), circuit="ac" * 32),
        compute_job_id(**_fields(), step=0),
        compute_job_id(**_fields(), step=1),
        compute_job_id(**_fields(), circuit="ab" * 32, step=0),
    }
    assert len(ids) == 6


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"circuit": "AB" * 32}, "lowercase hex"),
        ({"circuit": "ab" * 31}, "64 lowercase"),
        ({"circuit": 5}, "circuit"),
        ({"step": -1}, "step"),
        ({"step": 1 << 20}, "step"),
        ({"step": True}, "step"),
        ({"step": 0, "tier": "macro"}, "only a micro job"),
    ],
)
def test_bad_circuit_or_step_is_refused(kw, match):
    from pouw.job import compute_job_id

    fields = _fields(**{k: v for k, v in kw.items() if k == "tier"})
    with pytest.raises(ValueError, match=match):
        compute_job_id(**fields, **{k: v for k, v in kw.items() if k != "tier"})


def test_a_micro_job_records_its_circuit_and_step(tmp_path):
    import pickle

    from pouw.node.executor import Executor
    from pouw.node.intents import Transfer
    from pouw.node.state import AccountState
    from pouw.remote.client import job_from_claim

    state = AccountState.genesis(4, depth=4, hash="poseidon")
    trace = Executor().execute_intent_with_trace(Transfer(0, 1, 5, 0), state)[1]
    job = ProofJob.new_for_trace(trace, "micro", 9, 60_000, circuit="cd" * 32, step=2)
    assert (job.circuit, job.step) == ("cd" * 32, 2)
    d = job.to_dict()
    assert (d["circuit"], d["step"]) == ("cd" * 32, 2)
    assert "circuit" not in ProofJob.new_for_trace(trace, "macro", 9, 60_000).to_dict()
    from pouw.job import _FIELDS

    fields = {k: getattr(job, k) for k in _FIELDS if k != "job_id"}
    assert ProofJob(**fields, job_id=job.job_id) == job
    assert pickle.loads(pickle.dumps(job)) == job
    import base64

    claim = dict(job.to_dict(), trace_data=base64.b64encode(job.trace_data).decode())
    assert job_from_claim(claim) == job
    with pytest.raises(ValueError, match="past the trace"):
        ProofJob.new_for_trace(trace, "micro", 9, 60_000, step=trace.n_steps)
    with pytest.raises(ValueError, match="does not match"):
        ProofJob(**dict(fields, step=3), job_id=job.job_id)
