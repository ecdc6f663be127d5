"""A small synchronous HTTP client of the node API (httpx), for workers and the CLI."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from ..job import ProofJob
from ..queue.capabilities import Capabilities

__all__ = ["NodeClient", "ApiRefused", "Unreachable", "job_from_claim"]


class ApiRefused(Exception):
    """The node answered with a 4xx: a definitive refusal (``status``, ``code``)."""

    def __init__(self, status: int, code: str, message: str, retry_after_s: float = 0.0) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.retry_after_s = retry_after_s  #: the Retry-After of a 429 (0: none)


class Unreachable(Exception):
    """No answer (connection refused, timeout) or a 5xx: worth retrying."""


def job_from_claim(d: dict[str, Any]) -> ProofJob:
    """The :class:`ProofJob` of a claim answer; its id and trace hash are re-checked."""
    return ProofJob(
        tier=d["tier"],
        intent_id=d["intent_id"],
        trace_hash=d["trace_hash"],
        fee_budget=d["fee_budget"],
        created_at_ms=d["created_at_ms"],
        deadline_ms=d["deadline_ms"],
        trace_data=base64.b64decode(d["trace_data"], validate=True),
        job_id=d["job_id"],
        circuit=d.get("circuit"),
        step=d.get("step"),
    )


class NodeClient:
    """One node at ``url``; ``token`` for worker actions."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 40.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            r = self._http.request(method, path, **kw)
        except httpx.TransportError as exc:
            raise Unreachable(f"{method} {path}: {exc}") from None
        if r.status_code >= 500:
            raise Unreachable(f"{method} {path}: HTTP {r.status_code}")
        if r.status_code >= 400:
            try:
                err = r.json()["error"]
                code, msg = str(err["code"]), str(err["message"])
            except (ValueError, KeyError, TypeError):
                code, msg = "http_error", r.text[:200]
            try:
                retry = float(r.headers.get("retry-after", "0"))
            except ValueError:
                retry = 0.0
            if not 0.0 <= retry <= 60.0:  # also a NaN
                retry = 60.0 if retry > 60.0 else 0.0
            raise ApiRefused(r.status_code, code, msg, retry)
        return r

    def claim_next(
        self,
        wait_ms: int = 0,
        tier: str | None = None,
        circuits: list[str] | None = None,
        can: Capabilities | None = None,
    ) -> dict[str, Any] | None:
        """The claimed job's object, or None when none came within ``wait_ms``;
        ``circuits``: only jobs for these circuit digests (or without one);
        ``can``: only jobs these capabilities admit."""
        body: dict[str, Any] = {"wait_ms": wait_ms}
        if tier is not None:
            body["tier"] = tier
        if circuits is not None:
            body["circuits"] = sorted(circuits)
        if can is not None:
            if can.tiers is not None:
                body["tiers"] = sorted(t.value for t in can.tiers)
            if can.zk_modes is not None:
                body["zk_modes"] = sorted(can.zk_modes)
            body["device"] = can.device
            if can.min_units:
                body["min_units"] = can.min_units
            if can.max_units is not None:
                body["max_units"] = can.max_units
        r = self._request("POST", "/pouw/jobs/claim-next", json=body)
        return None if r.status_code == 204 else r.json()

    def claim(self, job_id: str) -> dict[str, Any]:
        return self._request("POST", f"/pouw/jobs/{job_id}/claim", json={}).json()

    def heartbeat(self, job_id: str) -> dict[str, Any]:
        return self._request("POST", f"/pouw/jobs/{job_id}/heartbeat", json={}).json()

    def worker_heartbeat(self) -> dict[str, Any]:
        """This worker is alive: every live lease it holds is extended."""
        return self._request("POST", "/pouw/workers/heartbeat", json={}).json()

    def fail(self, job_id: str, error: str) -> dict[str, Any]:
        return self._request("POST", f"/pouw/jobs/{job_id}/fail", json={"error": error}).json()

    def submit(
        self,
        job_id: str,
        proof: bytes,
        attempt: int | None = None,
        proving_ms: int | None = None,
    ) -> dict[str, Any]:
        """Submit ``proof``; ``attempt``: the ``attempts`` of the claim it answers
        (the fencing token: a proof of an earlier attempt is a late proof);
        ``proving_ms``: how long proving took (the job's history)."""
        params = {
            k: v for k, v in (("attempt", attempt), ("proving_ms", proving_ms)) if v is not None
        }
        return self._request(
            "POST",
            f"/pouw/jobs/{job_id}/submit",
            params=params or None,
            content=proof,
            headers={"Content-Type": "application/octet-stream"},
        ).json()

    def stats(self, window_s: int | None = None) -> dict[str, Any]:
        """``GET /pouw/stats``; ``window_s``: the latency window (default an hour)."""
        params = None if window_s is None else {"window_s": window_s}
        return self._request("GET", "/pouw/stats", params=params).json()

    def list_jobs(self, **filters: Any) -> list[dict[str, Any]]:
        """Every job matching ``filters`` (status, tier), following the cursor."""
        jobs: list[dict[str, Any]] = []
        cursor = None
        while True:
            body = {k: v for k, v in filters.items() if v is not None}
            body.update(limit=1000, cursor=cursor)
            page = self._request("POST", "/pouw/jobs/list", json=body).json()
            jobs += page["jobs"]
            cursor = page["next_cursor"]
            if cursor is None:
                return jobs

    def submit_intents(self, intents: list[dict[str, Any]]) -> int:
        return int(
            self._request("POST", "/pouw/intents", json={"intents": intents}).json()["accepted"]
        )
