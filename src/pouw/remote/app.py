"""The node's HTTP API for remote provers (Starlette; served by uvicorn).

Every route under ``/pouw`` except ``/pouw/intents``; ``/healthz``,
``/metrics`` and ``/openapi.json`` at the root. docs/remote.md is the
reference; docs/openapi.json is the schema (served as is).

Request order, the same for every worker action (claim, claim-next,
heartbeat, worker heartbeat, fail, submit): the token first (401), then the rate limit (429),
then the body (size 413, type 415, JSON 400), then the job (404, 403, 409).
Reads (list, get, dead letters, stats) are rate-limited too, before their
body: a request with a valid worker token spends from that worker's bucket,
any other from its client address's (``server.read_rate_limit``), so an open
endpoint cannot be used to keep the store busy.
Store calls and proof verification run in the thread pool, never on the event
loop, so a slow disk sync or a slow verifier does not stall other requests.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ..errors import InvalidTransition, JobNotFound, PouwError, ProofError
from ..node import NodeContext, Transfer
from ..node.proofs import ProofRejected
from ..queue import JobUnavailable, LeaseLost, NotHolder, SubmitResult
from ..queue.base import JobRecord
from ..queue.capabilities import Capabilities
from ..status import JobStatus, JobTier
from ..store import StoreUnavailable
from .auth import TokenChecker
from .bodies import JSON, MAX_NESTING, OCTETS, media_type, parse_enum, parse_object, proof_from
from .errors import ApiError, error_response
from .limits import RateLimiter
from .metrics import Metrics
from .openapi import openapi_document

__all__ = ["create_app", "MAX_WAIT_MS", "MAX_LIST", "MAX_INTENTS", "MAX_NESTING"]

_log = logging.getLogger(__name__)

MAX_WAIT_MS = 30_000  #: longest long-poll of claim-next
MAX_LIST = 1000  #: most jobs per list page
MAX_INTENTS = 10_000  #: most intents per POST
MAX_CIRCUITS = 64  #: most circuit digests in one claim
_PARSE_ON_LOOP = 64 * 1024  #: bodies above this are parsed off the event loop


_DIGEST = re.compile(r"[0-9a-f]{64}")


def _circuits(value: object) -> frozenset[str] | None:
    """A claim's ``circuits``: None, or a list of at most 64 circuit digests."""
    if value is None:
        return None
    if (
        value.__class__ is not list
        or len(value) > MAX_CIRCUITS
        or not all(v.__class__ is str and _DIGEST.fullmatch(v) for v in value)
    ):
        raise ApiError(
            400,
            "bad_request",
            f"circuits must be a list of at most {MAX_CIRCUITS} circuit digests "
            "(64 lowercase hex digits)",
        )
    return frozenset(value)


def _capabilities(q: dict[str, Any]) -> Capabilities | None:
    """A claim-next body's capability keys (tiers, zk_modes, device, min_units,
    max_units) as :class:`Capabilities`, or a 400 naming what is wrong."""
    keys = ("tiers", "zk_modes", "device", "min_units", "max_units")
    if not any(k in q for k in keys):
        return None
    for name in ("tiers", "zk_modes"):
        v = q.get(name)
        if v is not None and (
            v.__class__ is not list or len(v) > 8 or not all(x.__class__ is str for x in v)
        ):
            raise ApiError(400, "bad_request", f"{name} must be a list of names")
    for name in ("min_units", "max_units"):
        v = q.get(name)
        if v is not None and v.__class__ is not int:
            raise ApiError(400, "bad_request", f"{name} must be an integer")
    device = q.get("device", "cpu")
    try:
        return Capabilities(
            tiers=None if q.get("tiers") is None else frozenset(q["tiers"]),
            zk_modes=None if q.get("zk_modes") is None else frozenset(q["zk_modes"]),
            device=device if isinstance(device, str) else repr(device),
            min_units=q.get("min_units") or 0,
            max_units=q.get("max_units"),
        )
    except ValueError as exc:
        raise ApiError(400, "bad_request", str(exc)) from None


def _query_int(values: list[str], name: str, low: int) -> int | None:
    """One integer query parameter (``?attempt=N``, the fencing token;
    ``?proving_ms=N``, the worker's proving time), or None when absent."""
    if not values:
        return None
    v = values[0]
    if (
        len(values) > 1
        or not (v.isascii() and v.isdigit() and len(v) <= 10)
        or not (low <= int(v) < 1 << 31)
    ):
        raise ApiError(400, "bad_request", f"{name} must be one integer >= {low}")
    return int(v)


def _job_json(rec: JobRecord, *, with_trace: bool = False) -> dict[str, Any]:
    d = rec.to_dict()
    if with_trace:
        d["trace_data"] = base64.b64encode(rec.job.trace_data).decode("ascii")
    return d


class _Api:
    """The handlers, bound to one node."""

    def __init__(self, ctx: NodeContext) -> None:
        cfg = ctx.config
        self.ctx = ctx
        self.store = ctx.job_queue
        self.tokens = TokenChecker(cfg.tokens)
        self.limiter = RateLimiter(cfg.rate_limit)
        self.read_limiter = RateLimiter(cfg.read_rate_limit)  # per client address
        self.metrics = Metrics()
        self.lease_ms = cfg.lease_ms
        self.max_body = cfg.max_body_bytes
        self.max_leases = cfg.max_leases
        self.protect_reads = cfg.protect_reads
        self.zk_mode = cfg.zk_mode.value
        self.max_account = 1 << cfg.state_depth
        self.max_waiting = cfg.queue_capacity
        self._claim_lock = threading.Lock()
        # long-polling claimers sleep on an event that new jobs set (the store
        # tells of them from any thread: in process, or from NOTIFY), and look
        # again every poll interval regardless
        self.poll_s = cfg.claim_poll_ms / 1000
        self._loop: asyncio.AbstractEventLoop | None = None
        self._jobs_event: asyncio.Event | None = None
        self.store.on_new_jobs(self._jobs_arrived)

    # -- wake-ups -------------------------------------------------------------

    def _jobs_arrived(self) -> None:
        loop = self._loop  # (any thread)
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(self._wake_claimers)

    def _wake_claimers(self) -> None:
        ev, self._jobs_event = self._jobs_event, None
        if ev is not None:
            ev.set()

    def _jobs_may_come(self) -> asyncio.Event:
        """The event the next new jobs set (taken before a claim looks, so that
        jobs arriving during the look wake the wait after it)."""
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        ev = self._jobs_event
        if ev is None:
            ev = self._jobs_event = asyncio.Event()
        return ev

    # -- request plumbing ----------------------------------------------------

    def worker(self, request: Request) -> str:
        worker = self.tokens.worker_for(request.headers.get("authorization"))
        if worker is None:
            raise ApiError(
                401,
                "unauthorized",
                "a valid worker token is required (Authorization: Bearer <token>)",
            )
        wait = self.limiter.take(worker)
        if wait > 0:
            raise ApiError(
                429, "rate_limited", "too many requests from this worker", retry_after_s=wait
            )
        return worker

    def reader(self, request: Request) -> None:
        """Admit a read: a worker's (its token and bucket), else an address's."""
        if self.protect_reads:
            self.worker(request)
            return
        worker = self.tokens.worker_for(request.headers.get("authorization"))
        if worker is not None:
            wait, who = self.limiter.take(worker), "this worker"
        else:
            # behind a proxy every client shares the proxy's address: raise the limit there
            host = request.client.host if request.client is not None else ""
            wait, who = self.read_limiter.take(host), "this address"
        if wait > 0:
            raise ApiError(429, "rate_limited", f"too many requests from {who}", retry_after_s=wait)

    async def body(self, request: Request, types: tuple[str, ...] = (JSON,)) -> tuple[str, bytes]:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            raise ApiError(413, "body_too_large", f"the body limit is {self.max_body} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body:
                raise ApiError(413, "body_too_large", f"the body limit is {self.max_body} bytes")
            chunks.append(chunk)
        raw = b"".join(chunks)
        ctype = media_type(request.headers.get("content-type", ""))
        if not raw and not ctype:
            return "", raw
        if ctype not in types:
            raise ApiError(
                415, "unsupported_media_type", f"expected Content-Type {' or '.join(types)}"
            )
        return ctype, raw

    async def json_body(self, request: Request) -> dict[str, Any]:
        _, raw = await self.body(request)
        if not raw:
            return {}
        if len(raw) > _PARSE_ON_LOOP:  # ~10 ms per MB: a big body parses in a pool thread
            return await run_in_threadpool(parse_object, raw)
        return parse_object(raw)

    def job_id(self, request: Request) -> str:
        job_id = request.path_params["job_id"]
        if len(job_id) != 64 or any(c not in "0123456789abcdef" for c in job_id):
            raise ApiError(404, "job_not_found", "a job id is 64 lowercase hex digits")
        return job_id

    async def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return await run_in_threadpool(fn, *args)
        except JobNotFound as exc:
            raise ApiError(404, "job_not_found", str(exc)) from None
        except NotHolder as exc:
            raise ApiError(403, "not_holder", str(exc)) from None
        except LeaseLost as exc:
            raise ApiError(409, "lease_lost", str(exc)) from None
        except JobUnavailable as exc:
            raise ApiError(409, "job_unavailable", str(exc)) from None
        except InvalidTransition as exc:
            raise ApiError(409, "not_in_progress", str(exc)) from None

    def capped(self, worker: str, claim: Callable[..., Any], *args: Any) -> Any:
        """``claim(*args)`` unless ``worker`` is at its lease cap (run in a pool thread).

        The count and the claim share one lock, so a burst of concurrent claims
        by one worker cannot overshoot the cap; and the store query runs off
        the event loop (the store may be busy with a batch of intents).
        """
        with self._claim_lock:
            if self.store.leases_held(worker) >= self.max_leases:
                raise ApiError(
                    429,
                    "lease_cap",
                    f"this worker already holds {self.max_leases} leases",
                    retry_after_s=1,
                )
            return claim(*args)

    def claimed(self, rec: JobRecord) -> dict[str, Any]:
        self.metrics.claimed()
        d = _job_json(rec, with_trace=True)
        d.update(zk_mode=self.zk_mode, lease_ms=self.lease_ms)
        return d

    # -- read-only endpoints ---------------------------------------------------

    async def list_jobs(self, request: Request) -> Response:
        self.reader(request)
        q = await self.json_body(request)
        status = parse_enum(JobStatus, q.get("status"), "status")
        tier = parse_enum(JobTier, q.get("tier"), "tier")
        limit = q.get("limit", 100)
        if limit.__class__ is not int or not 1 <= limit <= MAX_LIST:
            raise ApiError(400, "bad_request", f"limit must be an integer in 1..{MAX_LIST}")
        cursor = q.get("cursor")
        # isascii: "²".isdigit() is true, yet int() refuses it
        if cursor is not None and not (
            isinstance(cursor, str) and cursor.isascii() and cursor.isdigit() and len(cursor) < 19
        ):
            raise ApiError(400, "bad_request", "cursor must be the next_cursor of a previous page")
        after = int(cursor) if cursor else 0
        recs = await self.call(self.store.list_jobs, status, tier, limit + 1, after)
        more = len(recs) > limit
        recs = recs[:limit]
        return JSONResponse(
            {
                "jobs": [_job_json(r) for r in recs],
                "next_cursor": str(recs[-1].seq) if more and recs else None,
            }
        )

    async def get_job(self, request: Request) -> Response:
        self.reader(request)
        rec = await self.call(self.store.get, self.job_id(request))
        return JSONResponse(_job_json(rec))

    async def dead_letters(self, request: Request) -> Response:
        self.reader(request)
        recs = await self.call(self.store.dead_letters, MAX_LIST)
        return JSONResponse({"jobs": [_job_json(r) for r in recs]})

    async def stats(self, request: Request) -> Response:
        self.reader(request)
        window = _query_int(request.query_params.getlist("window_s"), "window_s", 1)
        window_ms = (window or 3600) * 1000

        def gather() -> dict[str, Any]:
            s = self.store
            return {
                "latency": s.latency_stats(int(time.time() * 1000) - window_ms),
                "stats": s.stats().to_dict(),
                "by_tier": {t: v.to_dict() for t, v in s.stats_by_tier().items()},
                "proving_ms": self.metrics.proving_percentiles(),
                "workers": s.worker_stats(),
                "workers_seen_ms": s.workers_seen(),
                "worker_devices": s.worker_devices(),
                "dead_letters": s.stats().failed_count,
                "waiting_intents": self.ctx.waiting_intents,
                "ledger_entries": len(self.ctx.ledger),
                "lease_ms": self.lease_ms,
            }

        return JSONResponse(await run_in_threadpool(gather))

    # -- worker actions --------------------------------------------------------

    async def claim(self, request: Request) -> Response:
        worker = self.worker(request)
        await self.json_body(request)
        job_id = self.job_id(request)
        rec = await self.call(self.capped, worker, self.store.claim, job_id, worker, self.lease_ms)
        return JSONResponse(self.claimed(rec))

    async def claim_next(self, request: Request) -> Response:
        worker = self.worker(request)
        q = await self.json_body(request)
        wait_ms = q.get("wait_ms", 0)
        if wait_ms.__class__ is not int or not 0 <= wait_ms <= MAX_WAIT_MS:
            raise ApiError(400, "bad_request", f"wait_ms must be an integer in 0..{MAX_WAIT_MS}")
        tier = parse_enum(JobTier, q.get("tier"), "tier")
        circuits = _circuits(q.get("circuits"))
        claim_next = functools.partial(self.store.claim_next, can=_capabilities(q))
        deadline = time.monotonic() + wait_ms / 1000
        while True:
            arrived = self._jobs_may_come()
            rec = await self.call(
                self.capped, worker, claim_next, worker, self.lease_ms, tier, circuits
            )
            if rec is not None:
                return JSONResponse(self.claimed(rec))
            if time.monotonic() >= deadline or await request.is_disconnected():
                return Response(status_code=204)
            wait = min(self.poll_s, max(0.0, deadline - time.monotonic()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(arrived.wait(), wait)

    async def heartbeat(self, request: Request) -> Response:
        worker = self.worker(request)
        await self.json_body(request)
        job_id = self.job_id(request)
        until = await self.call(self.store.heartbeat, job_id, worker, self.lease_ms)
        return JSONResponse({"job_id": job_id, "lease_expires_at_ms": until})

    async def worker_heartbeat(self, request: Request) -> Response:
        """The worker is alive: every live lease it holds extended, its last-seen set."""
        worker = self.worker(request)
        await self.json_body(request)
        n = await self.call(self.store.worker_heartbeat, worker, self.lease_ms)
        return JSONResponse({"worker_id": worker, "leases": n, "lease_ms": self.lease_ms})

    async def fail(self, request: Request) -> Response:
        worker = self.worker(request)
        q = await self.json_body(request)
        job_id = self.job_id(request)
        error = q.get("error", "failed by the worker")
        if not isinstance(error, str) or len(error) > 4096:
            raise ApiError(400, "bad_request", "error must be a string of at most 4096 characters")
        status = await self.call(self.store.fail, job_id, worker, error)
        return JSONResponse({"job_id": job_id, "status": status.value})

    async def submit(self, request: Request) -> Response:
        worker = self.worker(request)
        ctype, raw = await self.body(request, (OCTETS, JSON))
        job_id = self.job_id(request)
        params = request.query_params
        attempt = _query_int(params.getlist("attempt"), "attempt", 1)
        proving_ms = _query_int(params.getlist("proving_ms"), "proving_ms", 0)
        proof = proof_from(ctype, raw)
        # the node verifies, completes and attaches the proof; this layer only maps
        # its answer to HTTP
        try:
            accepted = await self.call(
                functools.partial(self.ctx.accept_proof, proving_ms=proving_ms),
                job_id,
                worker,
                proof,
                attempt,
            )
        except ProofRejected as exc:
            self.metrics.verified(exc.verify_s)
            self.metrics.submitted("rejected")
            raise ApiError(
                422, "proof_rejected", str(exc), job_status=exc.job_status.value
            ) from None
        except ProofError as exc:  # the wrong size for this node's proof system
            raise ApiError(400, "bad_proof_shape", str(exc)) from None
        self.metrics.verified(accepted.verify_s)
        self.metrics.submitted(accepted.result.value)
        done = accepted.result in (SubmitResult.COMPLETED, SubmitResult.LATE_COMPLETED)
        if done and accepted.started_at_ms is not None:
            self.metrics.proven(max(0, int(time.time() * 1000) - accepted.started_at_ms))
        return JSONResponse({"job_id": job_id, "result": accepted.result.value})

    # -- intake and operations -------------------------------------------------

    async def intents(self, request: Request) -> Response:
        q = await self.json_body(request)
        items = q.get("intents")
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_INTENTS:
            raise ApiError(
                400, "bad_request", f"intents must be a list of 1..{MAX_INTENTS} transfers"
            )
        # validating up to MAX_INTENTS transfers takes a while: off the event loop
        n = await run_in_threadpool(self.take_intents, items)
        # intents the node already holds are taken once: a retry is harmless
        return JSONResponse({"accepted": n, "duplicates": len(items) - n}, status_code=202)

    def take_intents(self, items: list[Any]) -> int:
        """Validate every intent, then queue them all (or none)."""
        parsed = []
        for i, item in enumerate(items):
            try:
                if not isinstance(item, dict):
                    raise ValueError("an intent is a JSON object")
                t = Transfer.from_dict(item)
                if t.sender >= self.max_account or t.recipient >= self.max_account:
                    raise ValueError(f"accounts must be below {self.max_account}")
            except (ValueError, TypeError, OverflowError) as exc:
                raise ApiError(422, "bad_intent", f"intents[{i}]: {exc}", index=i) from None
            parsed.append(t)
        # the endpoint is open: bound the intents waiting for the pipeline, or
        # anyone could fill the node's memory faster than it executes them
        if self.ctx.waiting_intents + len(parsed) > self.max_waiting:
            raise ApiError(
                429,
                "intake_full",
                f"{self.ctx.waiting_intents} intents are waiting; try again later",
                retry_after_s=1,
            )
        return self.ctx.submit_intents(parsed)

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def metrics_text(self, request: Request) -> Response:
        text = await run_in_threadpool(self.metrics.render, self.store)
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_document(accounts=self.max_account))


def _guard(
    fn: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            return await fn(request)
        except ApiError as err:
            return error_response(err)
        except StoreUnavailable as exc:  # nothing was done: the client tries again
            return error_response(ApiError(503, "store_unavailable", str(exc), retry_after_s=1))
        except PouwError as exc:  # an expected refusal the handler did not name
            return error_response(ApiError(409, "refused", str(exc)))

    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    headers = dict(exc.headers or {})  # a 405's Allow (RFC 9110 15.5.6) among them
    message = str(exc.detail)
    if "Allow" in headers:
        headers["Allow"] = ", ".join(sorted(m.strip() for m in headers["Allow"].split(",")))
        message = f"{request.method} is not allowed here; allowed: {headers['Allow']}"
    return error_response(ApiError(exc.status_code, code, message), headers)


def create_app(ctx: NodeContext, *, background: bool = True, sweep_s: float = 0.2) -> Starlette:
    """The ASGI app serving ``ctx``.

    With ``background`` the app's lifespan runs the node's intent pipeline
    (:meth:`NodeContext.serve_intents`) and a sweeper (lapsed leases, deadlines)
    in two threads, stopped when the server shuts down.
    """
    api = _Api(ctx)
    g = _guard
    routes = [
        Route("/pouw/jobs/list", g(api.list_jobs), methods=["POST"]),
        Route("/pouw/jobs/claim-next", g(api.claim_next), methods=["POST"]),
        Route("/pouw/jobs/{job_id}", g(api.get_job), methods=["GET"]),
        Route("/pouw/jobs/{job_id}/claim", g(api.claim), methods=["POST"]),
        Route("/pouw/jobs/{job_id}/heartbeat", g(api.heartbeat), methods=["POST"]),
        Route("/pouw/jobs/{job_id}/fail", g(api.fail), methods=["POST"]),
        Route("/pouw/jobs/{job_id}/submit", g(api.submit), methods=["POST"]),
        Route("/pouw/workers/heartbeat", g(api.worker_heartbeat), methods=["POST"]),
        Route("/pouw/dead-letters", g(api.dead_letters), methods=["GET"]),
        Route("/pouw/stats", g(api.stats), methods=["GET"]),
        Route("/pouw/intents", g(api.intents), methods=["POST"]),
        Route("/healthz", g(api.healthz), methods=["GET"]),
        Route("/metrics", g(api.metrics_text), methods=["GET"]),
        Route("/openapi.json", g(api.openapi), methods=["GET"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = threading.Event()
        threads = []
        if background:
            threads = [
                threading.Thread(
                    target=_pipeline, args=(ctx, stop), name="pouw-intents", daemon=True
                ),
                threading.Thread(
                    target=_sweeper, args=(ctx, stop, sweep_s), name="pouw-sweep", daemon=True
                ),
            ]
            for t in threads:
                t.start()
        try:
            yield
        finally:
            stop.set()
            for t in threads:
                t.join(5)

    app = Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={HTTPException: _http_error}
    )
    app.state.api = api
    return app


def _pipeline(ctx: NodeContext, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            ctx.serve_intents(stop)
        except Exception:  # noqa: BLE001 - one bad intent must not stop the node
            _log.exception("processing an intent failed")


def _sweeper(ctx: NodeContext, stop: threading.Event, every_s: float) -> None:
    while not stop.wait(every_s):
        try:
            ctx.job_queue.sweep()
        except Exception:  # noqa: BLE001
            _log.exception("sweep failed")
