"""The remote worker's answers to refusals, with a scripted client (no sockets):
a rate-limited submission is retried with the proof kept, a verdict is final;
the worker heartbeat beats while a job is in flight and goes on after refusals;
a job claimed while stopping goes back."""

from __future__ import annotations

import threading
import time
from typing import Any

from pouw.remote.client import ApiRefused, Unreachable
from pouw.remote.worker import RemoteWorker


class Scripted:
    """A NodeClient stand-in: each call takes the next scripted answer."""

    def __init__(self, **script: list[Any]) -> None:
        self.script = script
        self.calls: dict[str, int] = {}
        self.attempts: list[int | None] = []

    def _next(self, name: str) -> Any:
        self.calls[name] = self.calls.get(name, 0) + 1
        answers = self.script[name]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def submit(
        self, job_id: str, proof: bytes, attempt: int | None = None, proving_ms: Any = None
    ) -> dict[str, Any]:
        self.attempts.append(attempt)
        return self._next("submit")

    def heartbeat(self, job_id: str) -> dict[str, Any]:
        return self._next("heartbeat")

    def fail(self, job_id: str, error: str) -> dict[str, Any]:
        return self._next("fail")

    def close(self) -> None:
        pass


def worker() -> RemoteWorker:
    return RemoteWorker("http://127.0.0.1:9", "t", max_backoff_s=0.01)


def limited() -> ApiRefused:
    return ApiRefused(429, "rate_limited", "slow down", retry_after_s=0.01)


def test_a_rate_limited_submission_is_retried_with_the_proof_kept():
    w = worker()
    client = Scripted(submit=[limited(), Unreachable("down"), limited(), {"result": "completed"}])
    w._submit(client, "j", b"proof", 1)  # type: ignore[arg-type]
    assert client.calls["submit"] == 4 and w.counts == {"completed": 1}
    assert client.attempts == [1] * 4  # every retry carries the claim's fencing token


def test_a_refused_proof_is_final():
    w = worker()
    client = Scripted(submit=[ApiRefused(422, "proof_rejected", "bad"), {"result": "completed"}])
    w._submit(client, "j", b"proof", 1)  # type: ignore[arg-type]
    assert client.calls["submit"] == 1 and w.counts == {"refused": 1}


def test_the_beat_runs_while_a_job_is_in_flight_and_goes_on_after_refusals(monkeypatch):
    w = worker()
    w._lease_ms = 150  # a beat every 50 ms
    done = threading.Event()
    beats = Scripted(worker_heartbeat=[limited(), Unreachable("down"), limited(), {"leases": 1}])

    class Beat:
        def worker_heartbeat(self) -> dict[str, Any]:
            if beats.calls.get("worker_heartbeat", 0) >= 5:
                done.set()
            return beats._next("worker_heartbeat")

        def close(self) -> None:
            pass

    monkeypatch.setattr("pouw.remote.worker.NodeClient", lambda *a, **k: Beat())
    t = threading.Thread(target=w._beat, args=(done,))
    t.start()
    try:
        time.sleep(0.3)
        assert "worker_heartbeat" not in beats.calls  # nothing in flight: no beat
        with w._lock:
            w._in_flight = 1
        assert done.wait(10)  # went on after the 429s and the outage
    finally:
        done.set()
        t.join(10)
    assert beats.calls["worker_heartbeat"] >= 5


def test_a_job_claimed_while_stopping_is_given_back(monkeypatch):
    w = worker()

    class Client(Scripted):
        def claim_next(
            self, wait_ms: int, circuits: Any = None, can: Any = None
        ) -> dict[str, Any] | None:
            w.stop.set()  # SIGINT arrives while the claim is in flight
            return {"job_id": "j", "lease_ms": 1000}

    c = Client(fail=[{"status": "pending"}])
    monkeypatch.setattr("pouw.remote.worker.NodeClient", lambda *a, **k: c)
    w._slot()
    assert c.calls == {"fail": 1} and w.counts == {"given_back": 1}  # not proven


def test_a_job_claimed_while_running_is_proven(monkeypatch):
    w = worker()
    proven: list[str] = []
    answers = iter([{"job_id": "j", "lease_ms": 1000}])

    class Client(Scripted):
        def claim_next(
            self, wait_ms: int, circuits: Any = None, can: Any = None
        ) -> dict[str, Any] | None:
            got = next(answers, None)
            if got is None:
                w.stop.set()  # the second claim finds nothing: stop
            return got

    c = Client(fail=[{"status": "pending"}])
    monkeypatch.setattr("pouw.remote.worker.NodeClient", lambda *a, **k: c)
    monkeypatch.setattr(w, "_work", lambda client, claim: proven.append(claim["job_id"]))
    w._slot()
    assert proven == ["j"] and "fail" not in c.calls
