"""The node in ``zk_mode = "groth16"``: every tier in every mode, at a small depth.

Each run proves every ledger entry with the trace circuits and then audits
the durable ledger from scratch (``verify_ledger``: re-execution, the jobs
made again, public inputs re-derived, every proof verified); the audit is
also shown to catch a swapped proof, changed public inputs and a changed
intent. Remote mode runs over real sockets with ``pouw node --listen`` and
``pouw worker --keys`` processes.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import threading

import pytest

from pouw import ConfigError, JobStatus, ProofJob
from pouw.errors import ProofError
from pouw.node import NodeConfig, NodeContext, generate_intents
from pouw.node.audit import verify_ledger
from pouw.node.ledger import ProofPart
from pouw.prover.batching import VerifyBatcher
from pouw.prover.circuits.tiers import circuit_for
from pouw.prover.keys import KeyMissing, setup_keys
from pouw.remote.client import ApiRefused, NodeClient, job_from_claim
from remote_support import TOKENS, LiveServer, NodeProcess, hash_token, pouw_cmd, start_worker

DEPTH, BATCH, N = 3, 2, 5
TIERS = ("micro", "macro", "full")


@pytest.fixture(scope="session")
def key_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    for tier in TIERS:
        setup_keys(folder, circuit_for(tier, DEPTH, BATCH))
    return folder


def write_config(path, key_dir, *, mode: str, tier: str, workers: int = 0, **extra) -> NodeConfig:
    toks = "\n".join(f'{w} = "{hash_token(t)}"' for w, t in TOKENS.items())
    path.write_text(
        f'pouw_mode = "{mode}"\nzk_mode = "groth16"\n'
        f'[pouw]\ntier = "{tier}"\nbatch_size = {BATCH}\n'
        f'[prover]\nkeys = "{key_dir}"\n'
        f'[state]\nhash = "poseidon"\ndepth = {DEPTH}\naccounts = 8\n'
        f"[workers]\ncount = {workers}\n"
        f'[store]\npath = "jobs.sqlite3"\nsynchronous = "normal"\n'
        f"[leases]\nlease_ms = {extra.get('lease_ms', 5000)}\nmax_attempts = 5\n"
        f"[server.tokens]\n{toks}\n"
    )
    return NodeConfig.from_toml(path)


def run_node(config: NodeConfig, n: int = N, seed: int = 1) -> NodeContext:
    ctx = NodeContext.from_config(config)
    ctx.submit_intents(
        generate_intents(n, seed=seed, n_accounts=config.accounts, balance=config.genesis_balance)
    )
    ctx.process_all()
    assert ctx.wait_for_local_jobs(120)
    return ctx


def test_groth16_needs_its_keys(tmp_path):
    config = NodeConfig.from_dict(
        {
            "zk_mode": "groth16",
            "state": {"hash": "poseidon", "depth": DEPTH, "accounts": 8},
            "prover": {"keys": str(tmp_path)},
        }
    )
    with pytest.raises(KeyMissing, match=r"pouw keys setup CONFIG --tiers macro"):
        NodeContext.from_config(config)


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("mode, workers", [("disabled", 0), ("local", 0), ("local", 1)])
def test_every_entry_proven_and_the_ledger_audits_clean(tmp_path, key_dir, tier, mode, workers):
    config = write_config(tmp_path / "n.toml", key_dir, mode=mode, tier=tier, workers=workers)
    ctx = run_node(config)
    try:
        entries = ctx.ledger.entries
        assert len(entries) == N and all(e.meta.proven for e in entries)
        statuses = {e.result.status.value for e in entries}
        assert statuses - {"ok"}, "the stream has a failed intent too"
        for e in entries:
            assert all(len(p.public_inputs) == 6 for p in e.meta.parts)
            if mode == "disabled":
                assert e.meta.job_ids == []
            elif tier == "micro":  # one job per step, each its own proof
                assert len(e.meta.job_ids) == e.result.n_steps > 1
                assert [p.step for p in e.meta.parts] == list(range(e.result.n_steps))
            else:
                assert len(e.meta.job_ids) == 1
        if tier == "full" and mode != "disabled":  # one job per batch, in each of its entries
            ids = [e.meta.job_ids[0] for e in entries]
            assert ids[0] == ids[1] != ids[2] == ids[3] != ids[4]
            assert ctx.job_queue.stats().completed_count == 3
        if mode != "disabled":
            digest = ctx.prover.circuit_digest
            for job_id in {j for e in entries for j in e.meta.job_ids}:
                rec = ctx.job_queue.get(job_id)
                assert rec.status is JobStatus.COMPLETED and rec.job.circuit == digest
    finally:
        ctx.close()
    audit = verify_ledger(config)
    assert audit.clean and not audit.unproven, audit.to_dict()
    assert audit.entries == N


def _tamper(config: NodeConfig, sql: str, *args) -> None:
    db = sqlite3.connect(config.store_path)
    with db:
        db.execute(sql, args)
    db.close()


def test_the_audit_finds_a_swapped_proof_changed_inputs_and_a_changed_intent(tmp_path, key_dir):
    config = write_config(tmp_path / "n.toml", key_dir, mode="local", tier="macro")
    run_node(config).close()
    assert verify_ledger(config).clean
    db = sqlite3.connect(config.store_path)
    (p1,), (p3,) = db.execute(
        "SELECT proof FROM ledger_parts WHERE height IN (1, 3) ORDER BY height"
    ).fetchall()
    publics = db.execute("SELECT publics FROM ledger_parts WHERE height = 2").fetchone()[0]
    db.close()
    # a valid proof, of another entry
    _tamper(config, "UPDATE ledger_parts SET proof = ? WHERE height = 1", p3)
    audit = verify_ledger(config)
    assert (audit.bad_height, "does not verify" in audit.reason) == (1, True)
    _tamper(config, "UPDATE ledger_parts SET proof = ? WHERE height = 1", p1)
    # another fee in the stored statement
    changed = json.loads(publics)
    changed[3] = str(int(changed[3]) + 1)
    _tamper(config, "UPDATE ledger_parts SET publics = ? WHERE height = 2", json.dumps(changed))
    audit = verify_ledger(config)
    assert audit.bad_height == 2 and "public inputs" in audit.reason
    _tamper(config, "UPDATE ledger_parts SET publics = ? WHERE height = 2", publics)
    assert verify_ledger(config).clean
    # another amount in a stored intent: the chain re-executes differently
    db = sqlite3.connect(config.store_path)
    intent = json.loads(db.execute("SELECT intent FROM ledger WHERE height = 4").fetchone()[0])
    db.close()
    intent["amount"] += 1
    _tamper(config, "UPDATE ledger SET intent = ? WHERE height = 4", json.dumps(intent))
    audit = verify_ledger(config)
    assert audit.bad_height == 4 and not audit.clean


def test_ledger_verify_and_proof_export_commands(tmp_path, key_dir):
    cfg = tmp_path / "n.toml"
    config = write_config(cfg, key_dir, mode="remote", tier="macro")
    ctx = run_node(config)  # remote: nobody proves them yet
    job_id = ctx.ledger.entries[0].meta.job_ids[0]
    ctx.close()

    def pouw(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*pouw_cmd(), *args], capture_output=True, text=True, timeout=120)

    r = pouw("ledger", "verify", str(cfg), "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["unproven"] == N  # not proven is not clean
    r = pouw("ledger", "verify", str(cfg), "--allow-unproven")
    assert r.returncode == 0, r.stderr
    r = pouw("proof", "export", str(cfg), job_id, "-o", str(tmp_path / "out"))
    assert r.returncode == 2 and "not proven yet" in r.stderr
    # prove them with a worker in this process, then export one
    from pouw.prover.keys import provers_in
    from pouw.remote.worker import RemoteWorker

    config = NodeConfig.from_toml(cfg)
    ctx = NodeContext.from_config(config)
    live = LiveServer(ctx)
    try:
        worker = RemoteWorker(
            live.url, TOKENS["w1"], exit_when_idle=True, wait_ms=100, provers=provers_in(key_dir)
        )
        assert worker.run().get("completed") == N
    finally:
        live.close()
        ctx.close()
    r = pouw("ledger", "verify", str(cfg))
    assert r.returncode == 0 and f"{N} proofs verified" in r.stdout, r.stdout + r.stderr
    r = pouw("proof", "export", str(cfg), job_id, "-o", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    proof = json.loads((tmp_path / "out" / "proof.json").read_text())
    public = json.loads((tmp_path / "out" / "public.json").read_text())
    assert proof["protocol"] == "groth16" and len(public) == 6
    assert (tmp_path / "out" / "calldata.txt").read_text().startswith("[")
    r = pouw("proof", "export", str(cfg), "ab" * 32, "-o", str(tmp_path / "out"))
    assert r.returncode == 2 and "no ledger entry lists job" in r.stderr


def test_submissions_rejected_unless_the_proof_is_of_this_job(tmp_path, key_dir):
    config = write_config(tmp_path / "n.toml", key_dir, mode="remote", tier="macro")
    ctx = run_node(config, n=2)
    live = LiveServer(ctx, background=False)
    client = NodeClient(live.url, TOKENS["w1"])
    try:
        digest = ctx.prover.circuit_digest
        # a worker without this circuit's key claims nothing; with it, a job
        assert client.claim_next(0, circuits=[]) is None
        assert client.claim_next(0, circuits=["0" * 64]) is None
        a = client.claim_next(0, circuits=[digest])
        b = client.claim_next(0, circuits=[digest])
        job_a, job_b = job_from_claim(a), job_from_claim(b)
        assert job_a.circuit == digest
        proof_a, proof_b = ctx.prover.prove_job(job_a), ctx.prover.prove_job(job_b)
        for forged in (os.urandom(256), proof_b, bytes(256)):
            with pytest.raises(ApiRefused) as info:
                client.submit(job_a.job_id, forged)
            assert info.value.status in (400, 422), info.value
        assert client.submit(job_a.job_id, proof_a)["result"] in ("completed", "late_completed")
        assert ctx.ledger.entry_for_job(job_a.job_id).meta.proven
        with pytest.raises(ApiRefused) as info:
            client.claim_next(0, circuits=["not hex"])
        assert info.value.status == 400
    finally:
        client.close()
        live.close()
        ctx.close()


def test_concurrent_submissions_are_verified_in_batches(tmp_path, key_dir):
    config = write_config(tmp_path / "n.toml", key_dir, mode="remote", tier="macro")
    ctx = run_node(config, n=8)
    try:
        prover = ctx.prover
        jobs = [ctx.job_queue.get(e.meta.job_ids[0]).job for e in ctx.ledger.entries]
        proofs = [prover.prove_job(j) for j in jobs]
        proofs[5] = proofs[4]  # one proof of another job
        batcher = VerifyBatcher(prover)
        verdicts: dict[int, bool] = {}
        start = threading.Barrier(len(jobs))

        def submit(i: int) -> None:
            start.wait()
            verdicts[i] = batcher.verify(jobs[i], proofs[i])

        threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(jobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert verdicts == {i: i != 5 for i in range(len(jobs))}
        assert batcher.batches < len(jobs)  # some arrived together and shared a batch
        assert prover.verify_jobs(list(zip(jobs, proofs, strict=True))) == [
            i != 5 for i in range(len(jobs))
        ]
        # a job made for another circuit is neither proven nor verified by this key
        other = ProofJob.new_for_trace(
            jobs[0].get_trace(), "macro", jobs[0].fee_budget, 1000, circuit="0" * 64
        )
        with pytest.raises(ProofError, match="is for circuit 0000"):
            prover.prove_job(other)
        assert prover.verify_jobs([(other, proofs[0])]) == [False]
    finally:
        ctx.close()


def test_remote_mode_with_worker_processes_over_sockets(tmp_path, key_dir):
    cfg = tmp_path / "n.toml"
    config = write_config(cfg, key_dir, mode="remote", tier="full", lease_ms=20000)
    node = NodeProcess(cfg, "--intents", str(N))
    try:
        workers = [
            start_worker(node.url, w, "--keys", str(key_dir), "--exit-when-idle")
            for w in ("w1", "w2")
        ]
        for w in workers:
            assert w.wait(180) == 0, w.stderr.read()
        counts = [json.loads(w.stdout.read())["worker"] for w in workers]
        assert sum(c.get("completed", 0) for c in counts) == 3  # ceil(5 / 2) Full jobs
        node.stop(2)
    finally:
        node.proc.kill()
        node.proc.wait(10)
    audit = verify_ledger(config)
    assert audit.clean and not audit.unproven and audit.proofs == 3, audit.to_dict()


def test_the_ledger_of_an_older_file_is_migrated(tmp_path):
    # a file as pouw wrote it before proof parts: job ids in ledger_jobs, the proof
    # in ledger.proof; opened again, every entry keeps its job and proof
    cfg = tmp_path / "n.toml"
    cfg.write_text('pouw_mode = "local"\n[workers]\ncount = 0\n[store]\npath = "j.sqlite3"\n')
    config = NodeConfig.from_toml(cfg)
    ctx = run_node(config, n=4)
    before = [(e.meta.job_ids, e.meta.proof) for e in ctx.ledger.entries]
    ctx.close()
    db = sqlite3.connect(config.store_path)
    with db:
        for height, job_id, proof in db.execute(
            "SELECT height, job_id, proof FROM ledger_parts"
        ).fetchall():
            db.execute("INSERT INTO ledger_jobs (job_id, height) VALUES (?, ?)", (job_id, height))
            db.execute("UPDATE ledger SET proof = ? WHERE height = ?", (proof, height))
        db.execute("DELETE FROM ledger_parts")
    db.close()
    again = NodeContext.from_config(config)
    try:
        assert [(e.meta.job_ids, e.meta.proof) for e in again.ledger.entries] == before
        assert all(isinstance(p, ProofPart) for e in again.ledger.entries for p in e.meta.parts)
    finally:
        again.close()
    assert verify_ledger(config).clean


def test_ledger_verify_needs_a_store(tmp_path, key_dir):
    config = NodeConfig.from_dict({"pouw_mode": "local"})
    with pytest.raises(ConfigError, match="store.path"):
        verify_ledger(config)
