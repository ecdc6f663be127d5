"""An intent answered 202 is never lost: the node killed (SIGKILL) under load,
restarted on the same file, and every accepted intent reaches the ledger;
resubmitted intents (a client retrying after a lost answer) are taken once."""

from __future__ import annotations

import signal

import httpx

from pouw.node import NodeConfig, NodeContext, Transfer, generate_intents
from remote_support import NodeProcess, write_config

BATCH = 50
CAPACITY = 250
KILLS = 3


def post(url: str, batch: list[dict]) -> httpx.Response | None:
    try:
        return httpx.post(f"{url}/pouw/intents", json={"intents": batch}, timeout=10)
    except httpx.HTTPError:  # the node died mid-request: this batch was not acknowledged
        return None


def test_accepted_intents_survive_kill_9_under_load(tmp_path):
    cfg = write_config(tmp_path)
    # room for few jobs and no prover: most accepted intents are still waiting
    # (in memory, before this fix) when the node is killed
    cfg.write_text(cfg.read_text() + f"[queue]\ncapacity = {CAPACITY}\n")
    intents = [i.to_dict() for i in generate_intents(BATCH * 10, seed=5, n_accounts=64)]
    batches = [intents[i : i + BATCH] for i in range(0, len(intents), BATCH)]
    acknowledged: set[int] = set()  # batch indexes answered 202
    node = NodeProcess(cfg)
    try:
        sent = 0
        for kill in range(KILLS + 1):
            # a few batches per life of the node
            for _ in range(2):
                r = post(node.url, batches[sent])
                assert r is not None and r.status_code == 202, r and r.text
                acknowledged.add(sent)
                sent += 1
            if kill == KILLS:
                break
            node.proc.send_signal(signal.SIGKILL)  # the pipeline is still executing them
            node.proc.wait(10)
            node = NodeProcess(cfg)
        # a client that did not see its answer retries: nothing is taken twice
        r = post(node.url, batches[sent - 1] + batches[sent])
        assert r is not None and r.status_code == 202
        assert r.json() == {"accepted": BATCH, "duplicates": BATCH}
        acknowledged.add(sent)
        node.stop(signal.SIGTERM)
    finally:
        node.proc.kill()
        node.proc.wait(10)
    accepted_ids = {Transfer.from_dict(d).intent_id for b in acknowledged for d in batches[b]}
    for _ in range(2):  # and again after a clean stop
        ctx = NodeContext.from_config(NodeConfig.from_toml(cfg))
        try:
            in_ledger = [e.intent_id for e in ctx.ledger.entries]
            waiting = [i.intent_id for i in ctx.waiting()]
            assert len(in_ledger) == CAPACITY and waiting  # the store is full; the rest wait
            assert len(set(in_ledger + waiting)) == len(in_ledger) + len(waiting)  # once each
            assert set(in_ledger + waiting) == accepted_ids  # none lost
        finally:
            ctx.close()
