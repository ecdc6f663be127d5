"""Long-polling claim-next wakes on new jobs instead of waiting for its poll.

- in process (memory store): a job enqueued while a claimer waits is handed
  out long before the poll interval;
- PostgreSQL with ``notify``: the node enqueues, an API replica (another store
  object, its own listener) hands the job out long before the poll interval;
  with ``notify = false`` the replica finds it by polling, within the interval.

The poll interval is set far above the wake-up path so that a pickup before it
can only be the wake-up; the figure itself (< 50 ms) is measured in
benchmarks/store_throughput.py, not asserted here.
"""

from __future__ import annotations

import os
import threading
import time

import pytest

from pouw.node import NodeConfig, NodeContext, generate_intents
from remote_support import LiveServer, auth, config_dict

URL = os.environ.get("POUW_TEST_DATABASE_URL")
POLL_MS = 20_000


def wait_claim(live: LiveServer, out: dict, wait_ms: int = 25_000) -> None:
    t0 = time.monotonic()
    r = live.http.post(
        "/pouw/jobs/claim-next", json={"wait_ms": wait_ms}, headers=auth("w1"), timeout=60
    )
    out["status"], out["at"], out["t0"] = r.status_code, time.monotonic(), t0


def claimer(live: LiveServer) -> tuple[threading.Thread, dict]:
    out: dict = {}
    t = threading.Thread(target=wait_claim, args=(live, out))
    t.start()
    time.sleep(0.3)  # the claim is waiting now
    return t, out


def test_a_new_job_wakes_a_waiting_claimer_in_process():
    ctx = NodeContext.from_config(NodeConfig.from_dict(config_dict(5000, claim_poll_ms=POLL_MS)))
    live = LiveServer(ctx, background=False)
    try:
        t, out = claimer(live)
        ctx.submit_intents(generate_intents(1, n_accounts=64))
        enqueued = time.monotonic()
        ctx.process_all()
        t.join(30)
        assert out["status"] == 200
        assert out["at"] - enqueued < POLL_MS / 1000 / 4  # woken, not polled
    finally:
        live.close()
        ctx.close()


def pg_node(schema: str, *, notify: bool, poll_ms: int, replica: bool = False) -> NodeContext:
    d = config_dict(5000, claim_poll_ms=poll_ms)
    d["store"] = {"url": URL, "schema": schema, "synchronous": "normal", "notify": notify}
    return NodeContext.from_config(NodeConfig.from_dict(d), replica=replica)


@pytest.mark.skipif(not URL, reason="POUW_TEST_DATABASE_URL is not set (.ci/run sets it)")
@pytest.mark.parametrize("notify", [True, False])
def test_notify_wakes_a_replicas_claimer_and_polling_is_the_fallback(schema, notify):
    poll_ms = POLL_MS if notify else 1500
    node = pg_node(schema, notify=notify, poll_ms=poll_ms)
    replica = pg_node(schema, notify=notify, poll_ms=poll_ms, replica=True)
    live = LiveServer(replica, background=False)
    try:
        t, out = claimer(live)
        node.submit_intents(generate_intents(1, n_accounts=64))
        node.process_all()  # the job is committed in the node's store
        enqueued = time.monotonic()
        t.join(40)
        assert out["status"] == 200
        took = out["at"] - enqueued
        if notify:
            assert took < poll_ms / 1000 / 4  # the NOTIFY, not the poll
        else:
            assert took < poll_ms / 1000 + 2.0  # the next poll found it
    finally:
        live.close()
        replica.close()
        node.close()
