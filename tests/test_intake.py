"""Intake: intents are validated all or none, taken once each (a resubmitted
intent is skipped, never executed twice), and over a durable store kept in the
file from the moment they are accepted until their ledger entry is written."""

from __future__ import annotations

import pytest

from pouw.node import NodeConfig, NodeContext, generate_intents
from pouw.node.intents import Transfer


def node(tmp_path, durable: bool, **extra) -> NodeContext:
    data = {"pouw_mode": "remote", "state": {"accounts": 16}, **extra}
    if durable:
        data["store"] = {"path": "n.sqlite3"}
    return NodeContext.from_config(NodeConfig.from_dict(data, source=tmp_path / "n.toml"))


@pytest.mark.parametrize("durable", [False, True], ids=["memory", "sqlite"])
def test_an_intent_submitted_again_is_taken_once(tmp_path, durable):
    ctx = node(tmp_path, durable)
    first, second = generate_intents(2, n_accounts=16)
    # the same intent three times: executed once (its replays would be identical
    # bad-nonce traces with one job id, which the store refused with a traceback)
    assert ctx.submit_intents([first, first, second]) == 2
    assert ctx.submit_intent(first) is False
    assert ctx.process_all() == 2
    assert ctx.submit_intents([first, second]) == 0  # already in the ledger
    assert ctx.process_all() == 0
    assert [e.intent_id for e in ctx.ledger.entries] == [first.intent_id, second.intent_id]
    ctx.close()


def test_an_invalid_intent_refuses_the_whole_submission(tmp_path):
    ctx = node(tmp_path, durable=True)
    good = next(iter(generate_intents(1, n_accounts=16)))
    bad = Transfer(sender=1, recipient=2, amount=-1, nonce=0, gas_limit=1, gas_price=1)
    with pytest.raises(ValueError):
        ctx.submit_intents([good, bad])
    assert ctx.waiting_intents == 0 and ctx.ledger_store.waiting() == []
    ctx.close()


def test_accepted_intents_are_in_the_file_until_executed(tmp_path):
    ctx = node(tmp_path, durable=True)
    intents = list(generate_intents(10, n_accounts=16))
    assert ctx.submit_intents(intents) == 10
    ctx.close()  # stopped before executing any
    again = node(tmp_path, durable=True)
    assert [i.intent_id for i in again.waiting()] == [i.intent_id for i in intents]
    assert again.submit_intents(intents) == 0  # still known after the restart
    assert again.process_all() == 10
    assert again.ledger_store.waiting() == []  # deleted with their entries
    again.close()
    third = node(tmp_path, durable=True)
    assert third.waiting_intents == 0 and len(third.ledger) == 10
    third.close()


def test_submitting_while_the_pipeline_runs_never_deadlocks(tmp_path):
    # the pipeline holds the store's lock (a batch) when it takes an intent; a
    # submitter that held the node's lock around its durable write waited for
    # the store while the pipeline waited for it
    import threading

    ctx = node(tmp_path, durable=True, state={"accounts": 64})
    intents = list(generate_intents(1200, n_accounts=64))
    stop = threading.Event()
    pipeline = threading.Thread(target=ctx.serve_intents, args=(stop, 0.001), daemon=True)
    pipeline.start()

    def submit(part):
        for intent in part:
            ctx.submit_intent(intent)

    submitters = [
        threading.Thread(target=submit, args=(intents[i::3],), daemon=True) for i in range(3)
    ]
    for t in submitters:
        t.start()
    for t in submitters:
        t.join(120)
    try:
        assert not any(t.is_alive() for t in submitters), "a submitter is stuck"
        for _ in range(12000):  # at most ~120 s; no assert on time
            if len(ctx.ledger) == len(intents) or not pipeline.is_alive():
                break
            stop.wait(0.01)
        assert len(ctx.ledger) == len(intents) and ctx.waiting_intents == 0
    finally:
        stop.set()
        pipeline.join(10)
        if not pipeline.is_alive():  # a deadlocked pipeline holds the store: leave it
            ctx.close()
