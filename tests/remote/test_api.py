"""The HTTP API in one process, over a real loopback socket: every endpoint's
accepts and rejects, auth, late and forged proofs, OpenAPI and metrics."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from pouw.node import NodeConfig, NodeContext, generate_intents
from pouw.prover import MockProver
from pouw.remote.openapi import openapi_document
from remote_support import LiveServer, auth, config_dict

REPO = Path(__file__).resolve().parents[2]


def make_server(n_intents: int = 3, lease_ms: int = 5000, **server) -> LiveServer:
    ctx = NodeContext.from_config(NodeConfig.from_dict(config_dict(lease_ms, **server)))
    ctx.submit_intents(generate_intents(n_intents, n_accounts=64))
    ctx.process_all()
    return LiveServer(ctx, background=False)


@pytest.fixture
def live():
    s = make_server()
    yield s
    s.close()


def claim_next(live, worker="w1", **body):
    return live.http.post("/pouw/jobs/claim-next", json=body, headers=auth(worker))


def prove(claimed: dict) -> bytes:
    from pouw.remote.client import job_from_claim

    return MockProver().prove_job(job_from_claim(claimed))


def submit(live, job_id, proof, worker="w1", **params):
    return live.http.post(
        f"/pouw/jobs/{job_id}/submit",
        params=params,
        content=proof,
        headers={**auth(worker), "Content-Type": "application/octet-stream"},
    )


def err(r) -> str:
    return r.json()["error"]["code"]


def test_claim_prove_submit(live):
    r = claim_next(live)
    assert r.status_code == 200
    job = r.json()
    assert job["status"] == "in_progress" and job["worker_id"] == "w1" and job["zk_mode"] == "mock"
    assert base64.b64decode(job["trace_data"])  # the trace, base64 in JSON
    r = submit(live, job["job_id"], prove(job))
    assert r.status_code == 200 and r.json()["result"] == "completed"
    assert live.ctx.ledger.entry_for_job(job["job_id"]).meta.proof is not None
    got = live.http.get(f"/pouw/jobs/{job['job_id']}").json()
    assert got["status"] == "completed" and got["has_proof"] and "trace_data" not in got


def test_submit_as_base64_json(live):
    job = claim_next(live).json()
    proof = base64.b64encode(prove(job)).decode()
    r = live.http.post(
        f"/pouw/jobs/{job['job_id']}/submit", json={"proof": proof}, headers=auth("w1")
    )
    assert r.status_code == 200 and r.json()["result"] == "completed"


def test_duplicate_submit_is_idempotent(live):
    job = claim_next(live).json()
    proof = prove(job)
    assert submit(live, job["job_id"], proof).json()["result"] == "completed"
    r = submit(live, job["job_id"], proof)
    assert r.status_code == 200 and r.json()["result"] == "duplicate"
    assert live.ctx.job_queue.stats().completed_count == 1


@pytest.mark.parametrize(
    "header", [None, "Bearer nope", "Basic abc", "Bearer", "bearer pouw_token-of-w9"]
)
def test_worker_actions_need_a_token_first(live, header):
    headers = {} if header is None else {"Authorization": header}
    job_id = live.ctx.ledger[0].meta.job_ids[0]
    for path, kw in (
        ("/pouw/jobs/claim-next", {"content": b"{not json"}),  # 401 whatever the body
        (f"/pouw/jobs/{job_id}/claim", {"json": {}}),
        (f"/pouw/jobs/{job_id}/heartbeat", {"json": {}}),
        (f"/pouw/jobs/{job_id}/fail", {"json": {"error": "x"}}),
        (f"/pouw/jobs/{job_id}/submit", {"content": b"x" * 10}),
        ("/pouw/jobs/" + "0" * 64 + "/claim", {"json": {}}),
    ):
        r = live.http.post(path, headers=headers, **kw)
        assert r.status_code == 401 and err(r) == "unauthorized", path
        assert r.headers["www-authenticate"] == "Bearer"


def test_valid_token_is_accepted(live):
    assert claim_next(live, "w2").status_code == 200


def test_another_workers_job_is_403(live):
    job = claim_next(live, "w1").json()
    jid = job["job_id"]
    for path, body in (("heartbeat", {}), ("fail", {"error": "x"})):
        r = live.http.post(f"/pouw/jobs/{jid}/{path}", json=body, headers=auth("w2"))
        assert r.status_code == 403 and err(r) == "not_holder"
    r = submit(live, jid, prove(job), worker="w2")
    assert r.status_code == 403
    assert (
        live.http.post(f"/pouw/jobs/{jid}/heartbeat", json={}, headers=auth("w1")).status_code
        == 200
    )


def test_forged_proof_is_rejected_and_job_claimable_again(live):
    job = claim_next(live, "w1").json()
    forged = bytearray(prove(job))
    forged[-1] ^= 1
    r = submit(live, job["job_id"], bytes(forged))
    assert r.status_code == 422 and err(r) == "proof_rejected"
    assert r.json()["error"]["job_status"] == "pending"
    stats = live.http.get("/pouw/stats").json()
    assert stats["workers"]["w1"]["rejected"] == 1
    again = live.http.post(f"/pouw/jobs/{job['job_id']}/claim", json={}, headers=auth("w2"))
    assert again.status_code == 200 and again.json()["attempts"] == 2


def test_proof_for_another_job_is_rejected(live):
    a = claim_next(live).json()
    b = claim_next(live).json()
    r = submit(live, a["job_id"], prove(b))
    assert r.status_code == 422


def test_proof_of_wrong_shape(live):
    job = claim_next(live).json()
    r = submit(live, job["job_id"], b"short")
    assert r.status_code == 400 and err(r) == "bad_proof_shape"
    r = live.http.post(
        f"/pouw/jobs/{job['job_id']}/submit", json={"proof": "!!"}, headers=auth("w1")
    )
    assert r.status_code == 400 and err(r) == "bad_proof_shape"


def test_late_proof_after_lapse_is_accepted_and_second_is_already_completed():
    live = make_server(1, lease_ms=1)
    try:
        job = claim_next(live, "w1").json()
        proof = prove(job)
        import time

        time.sleep(0.01)
        live.ctx.job_queue.lapse_leases()
        other = claim_next(live, "w2")
        assert other.status_code == 200  # the lapsed job went to another worker
        r = submit(live, job["job_id"], proof, worker="w1")
        assert r.json()["result"] == "late_completed"
        r = submit(live, job["job_id"], prove(other.json()), worker="w2")
        assert r.status_code == 200 and r.json()["result"] == "already_completed"
        stats = live.http.get("/pouw/stats").json()
        assert stats["workers"]["w1"]["lapsed"] == 1 and stats["stats"]["completed_count"] == 1
    finally:
        live.close()


def test_submit_carries_the_claims_attempt_as_its_fencing_token():
    live = make_server(1, lease_ms=1)
    try:
        job = claim_next(live, "w1").json()
        assert job["attempts"] == 1
        proof = prove(job)
        import time

        time.sleep(0.01)
        live.ctx.job_queue.lapse_leases()
        time.sleep(0.01)  # past the one-lease preference for other workers
        again = claim_next(live, "w1").json()
        assert again["attempts"] == 2
        for bad in ("0", "x", "1.0", "99999999999", "-1", "²"):
            r = submit(live, job["job_id"], proof, attempt=bad)
            assert r.status_code == 400 and err(r) == "bad_request", bad
        r = live.http.post(
            f"/pouw/jobs/{job['job_id']}/submit?attempt=1&attempt=2",
            content=proof,
            headers={**auth("w1"), "Content-Type": "application/octet-stream"},
        )
        assert r.status_code == 400
        r = submit(live, job["job_id"], proof, attempt=3)  # never handed out
        assert r.status_code == 403 and err(r) == "not_holder"
        r = submit(live, job["job_id"], proof, attempt=1)  # the stale attempt: late
        assert r.status_code == 200 and r.json()["result"] == "late_completed"
        r = submit(live, job["job_id"], proof, attempt=2)
        assert r.status_code == 200 and r.json()["result"] == "duplicate"
        stats = live.http.get("/pouw/stats").json()
        assert stats["workers"]["w1"]["completed"] == 1
        assert live.ctx.ledger.entry_for_job(job["job_id"]).meta.proof == proof
    finally:
        live.close()


def test_the_current_attempt_completes(live):
    job = claim_next(live).json()
    r = submit(live, job["job_id"], prove(job), attempt=job["attempts"])
    assert r.status_code == 200 and r.json()["result"] == "completed"


def test_submit_for_a_job_not_in_progress(live):
    job_id = live.ctx.ledger[0].meta.job_ids[0]
    r = submit(live, job_id, bytes(167))
    assert r.status_code == 403  # never held
    r = live.http.post(f"/pouw/jobs/{job_id}/heartbeat", json={}, headers=auth("w1"))
    assert r.status_code == 403


def test_fail_gives_back_and_dead_letters(live):
    job = claim_next(live).json()
    r = live.http.post(
        f"/pouw/jobs/{job['job_id']}/fail", json={"error": "oom"}, headers=auth("w1")
    )
    assert r.json()["status"] == "pending"
    assert live.http.get("/pouw/dead-letters").json()["jobs"] == []
    r = live.http.post(f"/pouw/jobs/{job['job_id']}/heartbeat", json={}, headers=auth("w1"))
    assert r.status_code == 409 and err(r) == "lease_lost"


def test_list_pages_and_filters(live):
    r = live.http.post("/pouw/jobs/list", json={"limit": 2})
    page = r.json()
    assert len(page["jobs"]) == 2 and page["next_cursor"]
    assert all("job_id" in j and "trace_data" not in j for j in page["jobs"])
    rest = live.http.post(
        "/pouw/jobs/list", json={"limit": 2, "cursor": page["next_cursor"]}
    ).json()
    assert len(rest["jobs"]) == 1 and rest["next_cursor"] is None
    assert live.http.post("/pouw/jobs/list", json={"status": "completed"}).json()["jobs"] == []
    assert live.http.post("/pouw/jobs/list").status_code == 200  # no body: defaults


@pytest.mark.parametrize(
    "body, code",
    [
        ({"limit": 0}, "bad_request"),
        ({"status": "nope"}, "bad_request"),
        ({"tier": 3}, "bad_request"),
        ({"cursor": "abc"}, "bad_request"),
    ],
)
def test_list_rejects_bad_filters(live, body, code):
    r = live.http.post("/pouw/jobs/list", json=body)
    assert r.status_code == 400 and err(r) == code


def test_malformed_json_wrong_type_and_oversized_body():
    live = make_server(1, max_body_bytes=1024)
    try:
        r = live.http.post(
            "/pouw/jobs/list", content=b"{", headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400 and err(r) == "bad_json"
        r = live.http.post(
            "/pouw/jobs/list", content=b"[]", headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400
        r = live.http.post("/pouw/jobs/list", content=b"{}", headers={"Content-Type": "text/plain"})
        assert r.status_code == 415 and err(r) == "unsupported_media_type"
        r = live.http.post(
            "/pouw/intents", content=b"x" * 2048, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 413 and err(r) == "body_too_large"
    finally:
        live.close()


def test_unknown_job_and_route(live):
    r = live.http.get("/pouw/jobs/" + "ab" * 32)
    assert r.status_code == 404 and err(r) == "job_not_found"
    assert live.http.get("/pouw/jobs/xyz").status_code == 404
    r = live.http.get("/pouw/nothing")
    assert r.status_code == 404 and err(r) == "not_found"
    r = live.http.get("/pouw/jobs/claim-next")
    assert r.status_code in (404, 405)


def test_claim_next_long_poll_returns_204_when_empty(live):
    for _ in range(3):
        assert claim_next(live, "w1").status_code == 200
    r = claim_next(live, "w1", wait_ms=100)
    assert r.status_code == 204
    r = claim_next(live, "w1", wait_ms=-1)
    assert r.status_code == 400


def test_lease_cap():
    live = make_server(3, max_leases=1)
    try:
        assert claim_next(live).status_code == 200
        r = claim_next(live)
        assert r.status_code == 429 and err(r) == "lease_cap"
        assert claim_next(live, "w2").status_code == 200  # a cap per worker
    finally:
        live.close()


def test_rate_limit_per_worker():
    live = make_server(0, rate_limit=5)  # no jobs: every claim is a quick 204
    try:
        codes = [claim_next(live, "w1").status_code for _ in range(12)]
        assert codes[:5] == [204] * 5  # the burst
        limited = claim_next(live, "w1")
        assert limited.status_code == 429 and err(limited) == "rate_limited"
        assert int(limited.headers["retry-after"]) >= 1
        assert claim_next(live, "w2").status_code == 204  # other workers unaffected
    finally:
        live.close()


def test_intents_are_validated(live):
    good = next(iter(generate_intents(1, seed=9, n_accounts=64))).to_dict()
    r = live.http.post("/pouw/intents", json={"intents": [good]})
    assert r.status_code == 202 and r.json()["accepted"] == 1
    for bad in ({**good, "sender": -1}, {**good, "recipient": 1 << 30}, {"type": "mint"}, 5):
        r = live.http.post("/pouw/intents", json={"intents": [good, bad]})
        assert r.status_code == 422 and err(r) == "bad_intent" and r.json()["error"]["index"] == 1
    assert live.http.post("/pouw/intents", json={"intents": []}).status_code == 400
    assert live.ctx.waiting_intents == 1


def test_healthz_metrics_stats(live):
    assert live.http.get("/healthz").json() == {"status": "ok"}
    job = claim_next(live).json()
    submit(live, job["job_id"], prove(job))
    text = live.http.get("/metrics").text
    assert 'pouw_jobs{status="completed",tier="macro"} 1' in text
    assert "pouw_claims_total 1" in text and "pouw_lease_expiries_total 0" in text
    assert 'pouw_submits_total{result="completed"} 1' in text
    assert "pouw_proof_verify_seconds_count 1" in text
    s = live.http.get("/pouw/stats").json()
    assert s["stats"]["completed_count"] == 1 and s["by_tier"]["macro"]["pending_count"] == 2
    assert s["proving_ms"]["count"] == 1 and s["workers"]["w1"]["completed"] == 1


def test_reads_can_be_protected():
    live = make_server(1, protect_reads=True)
    try:
        assert live.http.get("/pouw/stats").status_code == 401
        assert live.http.post("/pouw/jobs/list", json={}).status_code == 401
        assert live.http.get("/pouw/stats", headers=auth("w1")).status_code == 200
    finally:
        live.close()


def test_openapi_served_equals_committed(live):
    served = live.http.get("/openapi.json").json()
    committed = json.loads((REPO / "docs" / "openapi.json").read_text())
    assert served == committed == openapi_document()


def test_openapi_lists_every_route(live):
    paths = set(openapi_document()["paths"])
    routes = {r.path for r in live.server.config.app.routes} - {"/openapi.json"}
    assert routes == paths


def test_the_worker_heartbeat_extends_every_lease_the_worker_holds(live):
    a, b = claim_next(live).json(), claim_next(live).json()
    other = claim_next(live, "w2").json()
    import time

    time.sleep(0.02)
    r = live.http.post("/pouw/workers/heartbeat", json={}, headers=auth("w1"))
    assert r.status_code == 200
    assert r.json() == {"worker_id": "w1", "leases": 2, "lease_ms": 5000}
    for job in (a, b):
        got = live.http.get(f"/pouw/jobs/{job['job_id']}").json()
        assert got["lease_expires_at_ms"] > job["lease_expires_at_ms"]
    untouched = live.http.get(f"/pouw/jobs/{other['job_id']}").json()
    assert untouched["lease_expires_at_ms"] == other["lease_expires_at_ms"]
    stats = live.http.get("/pouw/stats").json()
    seen = stats["workers_seen_ms"]  # a claim and a heartbeat are both signs of life
    assert set(seen) == {"w1", "w2"} and seen["w1"] > seen["w2"]
    assert live.http.post("/pouw/workers/heartbeat", json={}).status_code == 401
    r = live.http.post(
        "/pouw/workers/heartbeat",
        content=b"{x",
        headers={**auth("w1"), "Content-Type": "application/json"},
    )
    assert r.status_code == 400


def test_claim_next_routes_by_the_workers_capabilities(live):
    # the node's jobs are mock Macro jobs of a few KiB of trace
    for body in (
        {"zk_modes": ["groth16"]},
        {"tiers": ["micro", "full"]},
        {"max_units": 0},
        {"min_units": 1 << 20},
    ):
        r = claim_next(live, **body)
        assert r.status_code == 204, body
    r = claim_next(live, tiers=["macro"], zk_modes=["mock"], device="gpu", min_units=1)
    assert r.status_code == 200
    assert live.http.get("/pouw/stats").json()["worker_devices"] == {"w1": "gpu"}
    for bad in (
        {"tiers": "macro"},
        {"tiers": ["huge"]},
        {"zk_modes": ["plonk"]},
        {"device": "tpu"},
        {"device": 3},
        {"min_units": -1},
        {"max_units": 1.0},
        {"min_units": 5, "max_units": 4},
    ):
        r = claim_next(live, **bad)
        assert r.status_code == 400 and err(r) == "bad_request", bad
