"""The node on PostgreSQL (``[store] url``): jobs and ledger in one schema, against
a real server (``$POUW_TEST_DATABASE_URL``, which .ci/run sets).

- remote mode: entries, jobs and their ids survive a restart (the ledger is
  replayed from the schema), and a second executing node is refused;
- local mode with workers: every entry proven, the proofs kept;
- groth16 (small depth): the ledger audits clean from PostgreSQL;
- the config: exactly one of path and url, ``$POUW_DATABASE_URL``.
"""

from __future__ import annotations

import os
import threading

import pytest

from pouw import ConfigError
from pouw.node import NodeConfig, NodeContext, generate_intents
from pouw.node.audit import verify_ledger
from pouw.store.filelock import StoreInUse

URL = os.environ.get("POUW_TEST_DATABASE_URL")
needs_pg = pytest.mark.skipif(not URL, reason="POUW_TEST_DATABASE_URL is not set (.ci/run sets it)")


def pg_config(schema: str, **extra) -> NodeConfig:
    d = {
        "pouw_mode": "remote",
        "state": {"accounts": 32},
        "store": {"url": URL, "schema": schema, "synchronous": "normal"},
    }
    for key, value in extra.items():  # a table is merged, a plain value replaced
        if isinstance(value, dict):
            d.setdefault(key, {}).update(value)
        else:
            d[key] = value
    return NodeConfig.from_dict(d)


def run(config: NodeConfig, n: int, seed: int = 0) -> NodeContext:
    ctx = NodeContext.from_config(config)
    ctx.submit_intents(
        generate_intents(
            n,
            seed=seed,
            n_accounts=config.accounts,
            state=ctx.state if len(ctx.ledger) else None,
        )
    )
    ctx.process_all()
    assert ctx.wait_for_local_jobs(120)
    return ctx


@needs_pg
def test_remote_node_restarts_from_its_schema_and_is_the_only_sequencer(schema):
    config = pg_config(schema)
    ctx = run(config, 20)
    root, ids = ctx.state.root, [e.meta.job_ids for e in ctx.ledger.entries]
    try:
        with pytest.raises(StoreInUse, match="in use by another pouw node"):
            NodeContext.from_config(config)
    finally:
        ctx.close()
    again = run(config, 5, seed=1)  # replays the 20 entries, then goes on
    try:
        assert [e.meta.job_ids for e in again.ledger.entries[:20]] == ids
        assert len(again.ledger) == 25 and again.state.root != root
        s = again.job_queue.stats()
        assert s.pending_count == 25 and s.completed_count == 0
    finally:
        again.close()


@needs_pg
def test_local_workers_prove_every_entry_into_postgres(schema):
    config = pg_config(schema, pouw_mode="local", workers={"count": 2})
    ctx = run(config, 30)
    try:
        assert ctx.ledger.proven_count() == 30
        assert ctx.job_queue.stats().completed_count == 30
    finally:
        ctx.close()
    again = NodeContext.from_config(config)
    try:
        assert all(e.meta.proven for e in again.ledger.entries)
    finally:
        again.close()
    audit = verify_ledger(config)
    assert audit.clean and not audit.unproven and audit.entries == 30


@needs_pg
def test_groth16_ledger_in_postgres_audits_clean(schema, tmp_path):
    from pouw.prover.circuits.tiers import circuit_for
    from pouw.prover.keys import setup_keys

    setup_keys(tmp_path, circuit_for("macro", 3))
    config = pg_config(
        schema,
        pouw_mode="local",
        zk_mode="groth16",
        workers={"count": 0},
        prover={"keys": str(tmp_path)},
        state={"hash": "poseidon", "depth": 3, "accounts": 8},
    )
    run(config, 3).close()
    audit = verify_ledger(config)
    assert audit.clean and audit.proofs == 3, audit.to_dict()


def test_store_is_a_path_or_a_url(monkeypatch):
    with pytest.raises(ConfigError, match="not both"):
        NodeConfig.from_dict({"store": {"path": "a.db", "url": "postgresql://h/db"}})
    with pytest.raises(ConfigError, match=r"store.url: expected a postgresql:// URL.*\*\*\*@"):
        NodeConfig.from_dict({"store": {"url": "mysql://bob:pw@h/db"}})
    with pytest.raises(ConfigError, match="store.schema"):
        NodeConfig.from_dict({"store": {"url": "postgresql://h/db", "schema": "Bad-Name"}})
    monkeypatch.setenv("POUW_DATABASE_URL", "postgresql://env-host/db")
    c = NodeConfig.from_dict({})
    assert c.store_url == "postgresql://env-host/db" and c.durable
    assert NodeConfig.from_dict({"store": {"path": "a.db"}}).store_url is None  # the file wins
    monkeypatch.delenv("POUW_DATABASE_URL")
    assert not NodeConfig.from_dict({}).durable


@needs_pg
def test_a_replica_hands_intents_to_the_node_through_the_intake(schema):
    import psycopg

    config = pg_config(schema)
    node = NodeContext.from_config(config)
    replica = NodeContext.from_config(config, replica=True)
    try:
        intents = list(generate_intents(6, seed=4, n_accounts=config.accounts))
        assert replica.submit_intents(intents[:4]) == 4
        assert node.poll_intake() == 4 and node.process_all() == 4
        # again through the replica: already in the ledger, dropped from the intake
        replica.submit_intents(intents[:2] + intents[4:])
        with psycopg.connect(URL, autocommit=True) as c:
            c.execute(
                f'INSERT INTO "{schema}".intake (intent_id, intent) VALUES (%s, %s)',
                ("f" * 64, "not json"),
            )
        assert node.poll_intake() == 2 and node.process_all() == 2
        assert len(node.ledger) == 6
        assert node.ledger_store.waiting() == []  # the duplicates and the damaged row are gone
        stop = threading.Event()
        stop.set()
        assert replica.serve_intents(stop) == 0  # a replica executes nothing
        assert len(replica.ledger) == 0 and replica.waiting_intents == 0
    finally:
        replica.close()
        node.close()


def test_a_replica_needs_postgres(tmp_path):
    config = NodeConfig.from_dict({"store": {"path": str(tmp_path / "j.db")}})
    with pytest.raises(ConfigError, match="store.url: an API replica"):
        NodeContext.from_config(config, replica=True)


@needs_pg
def test_metrics_show_the_hot_tables_dead_tuples(schema):
    from remote_support import LiveServer

    ctx = run(pg_config(schema), 3)
    live = LiveServer(ctx, background=False)
    try:
        text = live.http.get("/metrics").text
        (line,) = [x for x in text.splitlines() if x.startswith("pouw_jobs_dead_tuples ")]
        assert int(line.split()[1]) >= 0
        assert 'pouw_jobs{status="pending",tier="macro"} 3' in text
    finally:
        live.close()
        ctx.close()
