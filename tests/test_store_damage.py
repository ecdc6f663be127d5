"""A store file that is damaged, truncated, not a database, from a newer
version or semantically broken is refused at open with one line, exit status
2 and no traceback (17 of 28 such files once gave raw sqlite3 tracebacks, or
started with wrong stats)."""

from __future__ import annotations

import json
import sqlite3

import pytest

from pouw.cli import main
from pouw.node import NodeConfig, NodeContext, generate_intents
from pouw.store import SqliteJobQueue, StoreDamaged


def make_store(tmp_path):
    cfg = tmp_path / "node.toml"
    cfg.write_text('pouw_mode = "remote"\n[state]\naccounts = 64\n[store]\npath = "n.sqlite3"\n')
    ctx = NodeContext.from_config(NodeConfig.from_toml(cfg))
    ctx.submit_intents(generate_intents(6, n_accounts=64))
    ctx.process_all()
    ctx.submit_intents(generate_intents(2, seed=9, n_accounts=64))  # accepted, not executed
    ctx.close()
    return cfg, tmp_path / "n.sqlite3"


def sql(*statements):
    def damage(path):
        db = sqlite3.connect(path)
        for s in statements:
            db.execute(s)
        db.commit()
        db.close()

    return damage


def overwrite(offset: int, data: bytes):
    def damage(path):
        with open(path, "r+b") as f:
            f.seek(offset)
            f.write(data)

    return damage


def truncate(path):
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(size // 2)


def garbage(path):
    path.write_bytes(b"this is not a database, just text " * 200)


DAMAGE = {
    "not a database": (garbage, "not a pouw job store"),
    "header overwritten": (overwrite(0, b"\xff" * 100), "not a pouw job store"),
    "truncated": (truncate, "damaged"),
    "pages overwritten": (overwrite(4096, b"\x00\x13" * 2048), "damaged"),
    "missing counters": (sql("DROP TABLE counters"), "missing its table(s) counters"),
    "missing jobs": (sql("DROP TABLE jobs"), "missing its table(s) jobs"),
    "foreign database": (
        sql(*[f"DROP TABLE {t}" for t in ("jobs", "holders", "counters", "worker_counts", "workers", "meta", "schema_migrations")]),
        "no jobs table",
    ),
    "negative counter": (sql("UPDATE counters SET n = -3 WHERE status = 'failed'"), "counter"),
    "counter off": (sql("UPDATE counters SET n = n + 5 WHERE status = 'pending'"), "counter says"),
    "unknown status": (sql("UPDATE jobs SET status = 'limbo' WHERE seq = 1"), "unknown status"),
    "unknown tier": (sql("UPDATE jobs SET tier = 'giant' WHERE seq = 1"), "unknown status or tier"),
    "text counter": (sql("UPDATE counters SET n = 'x' WHERE status = 'pending'"), "counter"),
    "negative meta": (sql("UPDATE meta SET value = -1"), "meta"),
    "worker counter": (sql("INSERT INTO worker_counts VALUES ('w', 'claimed', -1)"), "worker_counts"),
    "worker last seen": (sql("INSERT INTO workers VALUES ('w', -5, 'cpu')"), "workers"),
    "dropped column": (sql("ALTER TABLE jobs DROP COLUMN avoid_until_ms"), "avoid_until_ms"),
    "newer schema": (sql("INSERT INTO schema_migrations VALUES (99, 0)"), "newer pouw"),
    "no migration rows": (sql("DELETE FROM schema_migrations"), "schema_migrations"),
    "ledger json": (sql("UPDATE ledger SET intent = '{nope' WHERE height = 2"), "height 2"),
    "ledger entry": (sql("UPDATE ledger SET entry = '[]' WHERE height = 0"), "height 0"),
    "ledger gap": (sql("DELETE FROM ledger_parts WHERE height = 3", "DELETE FROM ledger WHERE height = 3"), "gap at height 3"),
    "ledger intent": (sql("UPDATE ledger SET intent = '{\"sender\": -1}' WHERE height = 1"), "height 1"),
    "replay diverges": (sql("UPDATE ledger SET entry = json_set(entry, '$.post_root', 'ab') WHERE height = 4"), "diverged"),
    "intake json": (sql("UPDATE intake SET intent = 'zz'"), "accepted intent"),
    "intake intent": (sql("UPDATE intake SET intent = '{\"amount\": \"x\"}'"), "accepted intent"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_store_is_refused_with_one_line(tmp_path, capsys, case):
    cfg, path = make_store(tmp_path)
    damage, message = DAMAGE[case]
    damage(path)
    capsys.readouterr()
    assert main(["node", str(cfg), "--intents", "0", "--json"]) == 2
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pouw: error: "), out.err
    assert message in lines[0] and "Traceback" not in out.err
    assert out.out == ""


def test_the_undamaged_store_opens(tmp_path, capsys):
    cfg, _ = make_store(tmp_path)
    capsys.readouterr()
    assert main(["node", str(cfg), "--intents", "0", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ledger_entries"] == 8  # the two accepted intents ran after the restart


def test_a_file_of_the_first_schema_without_its_migration_table_is_adopted(tmp_path, clock):
    path = tmp_path / "old.sqlite3"
    SqliteJobQueue(path, clock=clock).close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE schema_migrations")  # as written before the table existed
    db.commit()
    db.close()
    s = SqliteJobQueue(path, clock=clock)
    versions = s._db.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert versions == [(1,), (2,), (3,)]
    s.close()


def test_a_version_1_store_gains_the_circuit_and_step_columns(tmp_path, clock):
    """Schema 2 adds jobs.circuit and jobs.step: a file of schema 1 is migrated in place,
    its jobs keep their ids, and jobs with a circuit and a step round-trip."""
    from pouw.job import ProofJob
    from support import synthetic_job

    path = tmp_path / "v1.sqlite3"
    s = SqliteJobQueue(path, clock=clock)
    old = synthetic_job(1)
    s.enqueue(old)
    s.close()
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE jobs DROP COLUMN circuit")
    db.execute("ALTER TABLE jobs DROP COLUMN step")
    db.execute("DELETE FROM schema_migrations WHERE version = 2")
    db.commit()
    db.close()
    s = SqliteJobQueue(path, clock=clock)
    assert s.get(old.job_id).job == old
    micro = ProofJob(
        tier="micro",
        intent_id=old.intent_id,
        trace_hash=old.trace_hash,
        fee_budget=5,
        created_at_ms=old.created_at_ms,
        deadline_ms=old.deadline_ms,
        trace_data=old.trace_data,
        circuit="ab" * 32,
        step=1,
    )
    s.enqueue(micro)
    back = s.get(micro.job_id).job
    assert (back.circuit, back.step) == ("ab" * 32, 1) and back == micro
    s.close()
    s = SqliteJobQueue(path, clock=clock)
    assert s.get(micro.job_id).job == micro
    s.close()


def test_a_version_2_store_keeps_its_worker_counts_and_gains_the_heartbeat_table(tmp_path, clock):
    from support import synthetic_job

    path = tmp_path / "v2.sqlite3"
    s = SqliteJobQueue(path, clock=clock)
    job = synthetic_job(1, created_at_ms=clock.now)
    s.enqueue(job)
    s.claim(job.job_id, "w1", 1000)
    s.close()
    db = sqlite3.connect(path)  # back to what schema 2 wrote
    db.execute("DROP TABLE workers")
    db.execute("ALTER TABLE worker_counts RENAME TO workers")
    db.execute("DELETE FROM schema_migrations WHERE version = 3")
    db.commit()
    db.close()
    s = SqliteJobQueue(path, clock=clock)
    try:
        assert s.worker_stats()["w1"]["claimed"] == 1
        assert s.worker_heartbeat("w1", 5000) == 1
        assert s.workers_seen() == {"w1": clock.now}
    finally:
        s.close()


def test_store_damaged_is_a_pouw_error(tmp_path):
    (tmp_path / "x.db").write_bytes(b"\x01" * 5000)
    with pytest.raises(StoreDamaged, match="x.db"):
        SqliteJobQueue(tmp_path / "x.db")
