"""Scale-out on PostgreSQL over real sockets: one executing node (``pouw node
--listen``) and two API replicas (``pouw serve``) on one schema, worker
processes spread over the replicas, processes killed with SIGKILL and
restarted. At the end every intent has its ledger entry and job, every job is
completed exactly once, and the ledger audits clean (``verify_ledger``)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid

import httpx
import pytest

from pouw.node import NodeConfig
from pouw.node.audit import verify_ledger
from remote_support import TOKENS, hash_token, pouw_cmd, start_worker, wait_for

URL = os.environ.get("POUW_TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(
    not URL, reason="POUW_TEST_DATABASE_URL is not set (.ci/run sets it)"
)


class Served:
    """``pouw node CONFIG --listen`` or ``pouw serve CONFIG --listen`` on a free port."""

    def __init__(self, *args: str, port: int = 0) -> None:
        self.args = args
        self.proc = subprocess.Popen(
            [*pouw_cmd(), *args, "--listen", f"127.0.0.1:{port}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.proc.kill()
            raise RuntimeError(f"{args} did not start: {line!r} {self.proc.stderr.read()}")
        self.url = line.split()[-1]
        self.port = int(self.url.rsplit(":", 1)[1])

    def restart(self) -> Served:
        """Killed with SIGKILL, then started again on the same port."""
        self.kill()
        return Served(*self.args, port=self.port)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(30)


def stats(url: str) -> dict:
    return httpx.get(f"{url}/pouw/stats", timeout=10).json()


@pytest.fixture
def config_path(tmp_path):
    schema = f"t_{uuid.uuid4().hex[:16]}"
    toks = "\n".join(f'{w} = "{hash_token(t)}"' for w, t in TOKENS.items())
    path = tmp_path / "node.toml"
    path.write_text(
        'pouw_mode = "remote"\nzk_mode = "mock"\n[state]\naccounts = 64\n'
        f'[store]\nurl = "{URL}"\nschema = "{schema}"\nsynchronous = "normal"\n'
        "[leases]\nlease_ms = 1500\nmax_attempts = 50\n"
        f"[server.tokens]\n{toks}\n"
    )
    yield path
    import psycopg

    with psycopg.connect(URL, autocommit=True) as c:
        c.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_a_node_and_two_replicas_with_kills(config_path):
    n_node, n_replica = 60, 20
    cfg = str(config_path)
    node = Served("node", cfg, "--intents", str(n_node))
    replicas = [Served("serve", cfg), Served("serve", cfg)]
    workers: list[subprocess.Popen] = []
    try:
        # intents submitted to a replica go through the shared intake to the node
        r = subprocess.run(
            [
                *pouw_cmd(),
                "submit",
                "--url",
                replicas[0].url,
                "--intents",
                str(n_replica),
                "--seed",
                "7",
                "--accounts",
                "64",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.returncode == 0, r.stderr
        total = n_node + n_replica
        wait_for(lambda: stats(node.url)["ledger_entries"] == total, timeout=60)
        # slow provers, so that kills land mid-proof; two per replica
        for i, w in enumerate(("w1", "w2", "w3", "w1")):
            url = replicas[i % 2].url
            workers.append(start_worker(url, w, "--exit-when-idle", delay_ms=40))
        time.sleep(1.0)
        replicas[0] = replicas[0].restart()  # its workers retry until it is back
        time.sleep(0.5)
        node.kill()  # the sequencer, mid-run: the replicas go on serving
        node = Served("node", cfg)  # (no --intents: it would generate more)
        time.sleep(0.5)
        replicas[1] = replicas[1].restart()
        for w in workers:
            assert w.wait(180) == 0, w.stderr.read()
        s = stats(node.url)["stats"]
        assert s["completed_count"] == total and s["pending_count"] == 0, s
        assert s["in_progress_count"] == 0 and s["failed_count"] == 0
        counts = [json.loads(w.stdout.read())["worker"] for w in workers]
        done = sum(c.get("completed", 0) + c.get("late_completed", 0) for c in counts)
        assert done == total, counts  # each job completed once, by one worker
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
        for p in (node, *replicas):
            if p.proc.poll() is None:
                p.kill()
    audit = verify_ledger(NodeConfig.from_toml(config_path))
    assert audit.entries == total and audit.clean and not audit.unproven, audit.to_dict()
