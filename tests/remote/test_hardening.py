"""Review findings of the HTTP API, each pinned: inputs that once gave a 500,
the order of checks (the token before the body), the lease cap under a burst,
an event loop that a busy store cannot stall, the open intake bounded, the
dead-letter list and the lease-expiry metric over HTTP."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from pouw.node import NodeConfig, NodeContext, generate_intents
from pouw.remote.bodies import JSON, MAX_NESTING
from pouw.status import JobStatus
from remote_support import LiveServer, auth, config_dict


def make_server(tmp_path=None, n_intents=3, lease_ms=5000, queue=None, **server) -> LiveServer:
    cfg = config_dict(lease_ms, **server)
    if tmp_path is not None:  # the durable store
        cfg["store"] = {"path": str(tmp_path / "jobs.sqlite3"), "synchronous": "normal"}
    if queue:
        cfg["queue"] = queue
    ctx = NodeContext.from_config(NodeConfig.from_dict(cfg))
    ctx.submit_intents(generate_intents(n_intents, n_accounts=64))
    ctx.process_all()
    return LiveServer(ctx, background=False)


@pytest.fixture(params=["memory", "sqlite"])
def live(request, tmp_path):
    s = make_server(tmp_path if request.param == "sqlite" else None)
    yield s
    s.close()
    close = getattr(s.ctx.job_queue, "close", None)
    if close:
        close()


def err(r) -> str:
    return r.json()["error"]["code"]


def claim_next(live, worker="w1", **body):
    return live.http.post("/pouw/jobs/claim-next", json=body, headers=auth(worker))


# -- inputs that gave a 500 ------------------------------------------------------


@pytest.mark.parametrize("cursor", ["²", "١٢", "1" * 19, "-1", " 1"])
def test_list_rejects_a_cursor_that_is_not_ascii_digits(live, cursor):
    # "²".isdigit() is true but int("²") raises: this was a 500
    r = live.http.post("/pouw/jobs/list", json={"cursor": cursor})
    assert r.status_code == 400 and err(r) == "bad_request"


def test_list_accepts_an_ascii_digit_cursor(live):
    r = live.http.post("/pouw/jobs/list", json={"cursor": "1"})
    assert r.status_code == 200 and len(r.json()["jobs"]) == 2  # the jobs after seq 1


def test_a_lone_surrogate_in_json_is_a_400_and_the_job_stays_readable(live):
    # a "\\ud800" escape is valid JSON but no UTF-8 text: SQLite refused it (a 500)
    job_id = claim_next(live).json()["job_id"]
    r = live.http.post(
        f"/pouw/jobs/{job_id}/fail",
        content=b'{"error": "\\ud800"}',
        headers={**auth("w1"), "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and err(r) == "bad_json"
    assert live.http.get(f"/pouw/jobs/{job_id}").json()["status"] == "in_progress"


def test_non_ascii_text_in_json_is_accepted(live):
    job_id = claim_next(live).json()["job_id"]
    r = live.http.post(
        f"/pouw/jobs/{job_id}/fail", json={"error": "mémoire épuisée"}, headers=auth("w1")
    )
    assert r.status_code == 200
    assert live.http.get(f"/pouw/jobs/{job_id}").json()["error"] == "mémoire épuisée"


@pytest.fixture
def high_recursion_limit():
    # hypothesis (and other tools) raise it; then a deep body overflowed the C
    # stack of the pool thread parsing it: the whole node crashed (SIGSEGV)
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(200_000)
    yield
    sys.setrecursionlimit(old)


@pytest.mark.parametrize("path", ["/pouw/jobs/list", "/pouw/intents", "/pouw/jobs/claim-next"])
def test_deeply_nested_json_is_a_400(live, path, high_recursion_limit):
    body = b"[" * 100_000 + b"]" * 100_000
    r = live.http.post(
        path, content=body, headers={**auth("w1"), "Content-Type": "application/json"}
    )
    assert r.status_code == 400 and err(r) == "bad_json"


@pytest.mark.parametrize("depth, code", [(MAX_NESTING, 200), (MAX_NESTING + 1, 400)])
def test_nesting_up_to_the_limit_is_parsed(live, depth, code):
    inner = "[" * (depth - 1) + "]" * (depth - 1)  # the object itself is one level
    r = live.http.post(
        "/pouw/jobs/list",
        content=b'{"note": "' + b"[" * 40 + b'", "x": ' + inner.encode() + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == code  # brackets inside strings do not count


def test_deeply_nested_json_proof_is_a_400(live, high_recursion_limit):
    job_id = claim_next(live).json()["job_id"]
    r = live.http.post(
        f"/pouw/jobs/{job_id}/submit",
        content=b'{"proof": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        headers={**auth("w1"), "Content-Type": "application/json"},
    )
    assert r.status_code == 400 and err(r) == "bad_proof_shape"


def test_intent_with_a_huge_number_is_a_422(live):
    good = next(iter(generate_intents(1, seed=3, n_accounts=64))).to_dict()
    r = live.http.post("/pouw/intents", json={"intents": [{**good, "amount": 1 << 200}]})
    assert r.status_code == 422 and err(r) == "bad_intent"


# -- the token first ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/pouw/jobs/claim-next", "/pouw/jobs/" + "ab" * 32 + "/submit", "/pouw/jobs/x/claim"]
)
def test_no_token_is_401_before_size_type_and_job_checks(path):
    live = make_server(max_body_bytes=1024)
    try:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            r = live.http.post(
                path, content=b"{" * 2000, headers={**headers, "Content-Type": "text/plain"}
            )
            assert r.status_code == 401 and err(r) == "unauthorized", headers
        # the same request with a token meets the body checks
        r = live.http.post(
            path, content=b"{" * 2000, headers={**auth("w1"), "Content-Type": "text/plain"}
        )
        assert r.status_code == 413
    finally:
        live.close()


# -- the lease cap and the event loop --------------------------------------------


def test_lease_cap_holds_under_a_burst_of_concurrent_claims():
    live = make_server(n_intents=12, max_leases=2)
    try:
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: claim_next(live).status_code, range(12)))
        assert codes.count(200) == 2 and codes.count(429) == 10
        assert live.ctx.job_queue.leases_held("w1") == 2
    finally:
        live.close()


def test_a_store_busy_with_a_batch_does_not_stall_the_event_loop(tmp_path):
    # the pipeline holds the store's lock for a whole batch of intents; a claim
    # waiting for it must wait in a pool thread, not on the event loop
    live = make_server(tmp_path)
    store = live.ctx.job_queue
    held, release = threading.Event(), threading.Event()

    def hold_batch() -> None:
        with store.batch():
            held.set()
            release.wait(30)

    holder = threading.Thread(target=hold_batch)
    holder.start()
    try:
        assert held.wait(10)
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(claim_next, live)  # blocks on the store, off the loop
            time.sleep(0.3)  # let it reach the server (no assert on time: the order only)
            with httpx.Client(base_url=live.url, timeout=5) as other:
                assert other.get("/healthz").status_code == 200  # the loop still answers
                assert not waiting.done()
            release.set()
            assert waiting.result(10).status_code == 200
    finally:
        release.set()
        holder.join(10)
        live.close()
        store.close()


# -- the open intake is bounded -----------------------------------------------------


def test_intake_refuses_more_waiting_intents_than_the_queue_capacity():
    live = make_server(n_intents=0, queue={"capacity": 4})
    try:
        intents = [t.to_dict() for t in generate_intents(5, n_accounts=64)]
        r = live.http.post("/pouw/intents", json={"intents": intents[:4]})
        assert r.status_code == 202  # up to the capacity
        r = live.http.post("/pouw/intents", json={"intents": intents[4:]})
        assert r.status_code == 429 and err(r) == "intake_full" and r.headers["retry-after"]
        assert live.ctx.waiting_intents == 4
    finally:
        live.close()


# -- dead letters and lease expiries over HTTP ------------------------------------


def test_max_attempts_makes_the_job_failed_and_lists_it_as_a_dead_letter(live):
    job_id = claim_next(live, "w1").json()["job_id"]
    for n, worker in enumerate(("w1", "w2", "w3"), 1):  # max_attempts = 3
        if n > 1:  # each failure keeps the job from its worker: another takes it
            r = live.http.post(f"/pouw/jobs/{job_id}/claim", json={}, headers=auth(worker))
            assert r.status_code == 200, r.text
        r = live.http.post(
            f"/pouw/jobs/{job_id}/fail", json={"error": f"oom {n}"}, headers=auth(worker)
        )
        assert r.json()["status"] == ("failed" if n == 3 else "pending")
        dead = live.http.get("/pouw/dead-letters").json()["jobs"]
        assert [d["job_id"] for d in dead] == ([job_id] if n == 3 else [])
    assert dead[0]["error"] == "oom 3" and dead[0]["attempts"] == 3
    assert live.http.get("/pouw/stats").json()["dead_letters"] == 1
    r = live.http.post(f"/pouw/jobs/{job_id}/claim", json={}, headers=auth("w1"))
    assert r.status_code == 409  # failed for good: not claimable


def test_a_failed_worker_is_kept_from_the_job_by_claim(live):
    job_id = claim_next(live, "w1").json()["job_id"]
    live.http.post(f"/pouw/jobs/{job_id}/fail", json={"error": "x"}, headers=auth("w1"))
    r = live.http.post(f"/pouw/jobs/{job_id}/claim", json={}, headers=auth("w1"))
    assert r.status_code == 409 and err(r) == "job_unavailable"


def test_lease_expiries_metric_counts_lapses():
    live = make_server(n_intents=1, lease_ms=1)
    try:
        job_id = claim_next(live).json()["job_id"]
        store = live.ctx.job_queue
        while store.get(job_id).status is JobStatus.IN_PROGRESS:
            store.lapse_leases()  # a 1 ms lease lapses at the next millisecond
        text = live.http.get("/metrics").text
        assert "pouw_lease_expiries_total 1" in text
        assert 'pouw_jobs{status="pending",tier="macro"} 1' in text
    finally:
        live.close()


def test_healthz_and_metrics_are_at_the_root_not_under_pouw(live):
    assert live.http.get("/healthz").status_code == 200
    assert live.http.get("/metrics").status_code == 200
    assert live.http.get("/pouw/healthz").status_code == 404
    assert live.http.get("/pouw/metrics").status_code == 404


def test_a_late_proof_ends_the_other_holders_lease_over_http():
    # a fake clock: w1's lease lapses when the test says, w2's never does
    from pouw import JobQueue
    from pouw.job import now_ms
    from pouw.prover import MockProver
    from pouw.remote.client import job_from_claim
    from support import FakeClock

    clock = FakeClock(now_ms())
    cfg = NodeConfig.from_dict(config_dict(5000))
    ctx = NodeContext.from_config(cfg, job_queue=JobQueue(clock=clock))
    ctx.submit_intents(generate_intents(1, n_accounts=64))
    ctx.process_all()
    live = LiveServer(ctx, background=False)
    try:
        first = claim_next(live, "w1").json()
        clock.advance(5001)  # w1's lease lapses
        assert claim_next(live, "w2").status_code == 200  # now w2 holds it
        beat = f"/pouw/jobs/{first['job_id']}/heartbeat"
        assert live.http.post(beat, json={}, headers=auth("w2")).status_code == 200
        proof = MockProver().prove_job(job_from_claim(first))
        r = live.http.post(
            f"/pouw/jobs/{first['job_id']}/submit",
            content=proof,
            headers={**auth("w1"), "Content-Type": "application/octet-stream"},
        )
        assert r.json()["result"] == "late_completed"
        # w1's late proof ended w2's lease: 409, not 403 (w2 did hold it)
        r = live.http.post(beat, json={}, headers=auth("w2"))
        assert r.status_code == 409 and err(r) == "lease_lost"
    finally:
        live.close()


# -- open reads are rate-limited per client address --------------------------------


class _Tick:
    """A monotonic clock that moves only when told (no wall-clock in the asserts)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _reads_app(read_rate=3, worker_rate=3):
    import warnings

    with warnings.catch_warnings():  # starlette 1.x prefers httpx2; httpx still works
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from pouw.remote.app import create_app
    from pouw.remote.limits import RateLimiter

    cfg = config_dict(5000, read_rate_limit=read_rate, rate_limit=worker_rate)
    ctx = NodeContext.from_config(NodeConfig.from_dict(cfg))
    app = create_app(ctx, background=False)
    tick = _Tick()
    api = app.state.api
    api.limiter = RateLimiter(worker_rate, clock=tick)
    api.read_limiter = RateLimiter(read_rate, clock=tick)

    def client(host):
        return TestClient(app, client=(host, 40000))

    return client, tick


READS = [
    ("post", "/pouw/jobs/list"),
    ("get", "/pouw/stats"),
    ("get", "/pouw/dead-letters"),
    ("get", "/pouw/jobs/" + "0" * 64),
]


@pytest.mark.parametrize("method, path", READS)
def test_a_read_burst_from_one_address_gets_429(method, path):
    client, tick = _reads_app(read_rate=3)
    a = client("10.0.0.1")
    codes = [getattr(a, method)(path).status_code for _ in range(3)]
    assert 429 not in codes  # the burst: 200 (404 for the unknown job)
    r = getattr(a, method)(path)
    assert r.status_code == 429 and err(r) == "rate_limited"
    assert "address" in r.json()["error"]["message"]
    assert int(r.headers["retry-after"]) >= 1 and r.json()["error"]["retry_after_s"] > 0
    tick.t += 1.0  # a second later the bucket has refilled
    assert getattr(a, method)(path).status_code != 429


def test_another_address_keeps_its_own_read_bucket():
    client, _ = _reads_app(read_rate=3)
    a, b = client("10.0.0.1"), client("10.0.0.2")
    for _ in range(3):
        a.get("/pouw/stats")
    assert a.get("/pouw/stats").status_code == 429
    assert b.get("/pouw/stats").status_code == 200


def test_the_read_limit_comes_before_the_body():
    client, _ = _reads_app(read_rate=1)
    a = client("10.0.0.1")
    a.post("/pouw/jobs/list", json={})
    r = a.post("/pouw/jobs/list", content=b"{not json", headers={"Content-Type": JSON})
    assert r.status_code == 429  # not 400: a limited client gets no parsing


def test_a_worker_token_reads_from_its_worker_bucket():
    # reads with a valid token spend the worker's bucket, not the address's
    client, _ = _reads_app(read_rate=2, worker_rate=4)
    a = client("10.0.0.1")
    codes = [a.get("/pouw/stats", headers=auth("w1")).status_code for _ in range(5)]
    assert codes == [200] * 4 + [429]
    limited = a.get("/pouw/stats", headers=auth("w1"))
    assert "worker" in limited.json()["error"]["message"]
    assert a.get("/pouw/stats").status_code == 200  # the address's bucket is untouched
    assert a.get("/pouw/stats", headers=auth("w2")).status_code == 200  # w2's own bucket


def test_an_unknown_token_reads_from_the_address_bucket():
    client, _ = _reads_app(read_rate=2, worker_rate=100)
    a = client("10.0.0.1")
    bogus = {"Authorization": "Bearer pouw_not-a-token"}
    assert [a.get("/pouw/stats", headers=bogus).status_code for _ in range(3)] == [200, 200, 429]
    assert a.get("/pouw/stats", headers=auth("w1")).status_code == 200


def test_the_address_table_stays_bounded():
    from pouw.remote.limits import RateLimiter

    tick = _Tick()
    limiter = RateLimiter(10, clock=tick, max_keys=100)
    for i in range(1000):
        limiter.take(f"10.0.{i // 256}.{i % 256}")
        tick.t += 1.0  # each earlier bucket is full again: droppable
    assert len(limiter) <= 101
    busy = RateLimiter(2, clock=tick, max_keys=100)
    for i in range(150):  # none refills (the clock stands still): the newest are kept
        busy.take(f"k{i}")
        busy.take(f"k{i}")
        assert len(busy) <= 101
    assert busy.take("k149") > 0  # the newest key's bucket was kept: still empty
    assert busy.take("k0") == 0.0  # the oldest was forgotten: a fresh bucket
