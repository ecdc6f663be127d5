"""The OpenAPI 3.1 document of the API, kept here and committed as docs/openapi.json.

``python -m pouw.remote.openapi > docs/openapi.json`` regenerates the file;
tests check that the served document, this one and the committed file agree
(a node serves its own account bound, which is the default's unless its
``state.depth`` differs).
"""

from __future__ import annotations

import json
from typing import Any

from ..isa import U64_MAX
from ..node.config import NodeConfig

__all__ = ["openapi_document", "DEFAULT_ACCOUNTS"]

DEFAULT_ACCOUNTS = 1 << NodeConfig.state_depth  #: accounts of a node with the default state.depth
_U32_MAX = (1 << 32) - 1  # a transfer's sender and recipient are u32 (node.intents.Transfer)

_ERR = {"$ref": "#/components/responses/Error"}
#: The answers whose causes are worth listing once, for every operation.
_SHARED = {
    400: {"$ref": "#/components/responses/BadRequest"},
    415: {"$ref": "#/components/responses/UnsupportedMediaType"},
}
_INTEGER_ONLY = (
    "an integer literal: 563, not 563.0 or 5.63e2 (JSON Schema counts those as integers; "
    "this API refuses them)"
)
_AUTH: list[dict[str, list[str]]] = [{"bearer": []}]
_JOB_ID = {
    "name": "job_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _ok(ref: str, desc: str) -> dict[str, Any]:
    return {"description": desc, **_json({"$ref": f"#/components/schemas/{ref}"})}


def _errors(*codes: int) -> dict[str, Any]:
    # 503 everywhere a store is read or written: a shared database (PostgreSQL)
    # that could not do the operation now (nothing was done; retry after Retry-After)
    return {str(c): _SHARED.get(c, _ERR) for c in sorted({*codes, 503})}


def _int(minimum: int, maximum: int | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "integer", "minimum": minimum}
    if maximum is not None:
        schema["maximum"] = maximum
    schema["description"] = _INTEGER_ONLY
    return schema


def _worker_op(
    summary: str, body: dict[str, Any] | None, ok: dict[str, Any], *codes: int
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "security": _AUTH,
        "parameters": [_JOB_ID],
        "responses": {"200": ok, **_errors(401, 403, 404, 409, 413, 415, 429, *codes)},
    }
    if body is not None:
        op["requestBody"] = {"required": False, **_json(body)}
    return op


def openapi_document(*, accounts: int = DEFAULT_ACCOUNTS) -> dict[str, Any]:
    """The document (a fresh dict each call) for a node of ``accounts`` accounts
    (``2 ** state.depth``: a transfer's sender and recipient are below it)."""
    account_max = min(accounts, _U32_MAX + 1) - 1
    job = {
        "type": "object",
        "required": ["job_id", "tier", "status", "attempts", "trace_hash"],
        "properties": {
            "job_id": {"type": "string"},
            "tier": {"enum": ["micro", "macro", "full"]},
            "intent_id": {"type": "string"},
            "trace_hash": {"type": "string"},
            "fee_budget": {"type": "integer"},
            "created_at_ms": {"type": "integer"},
            "deadline_ms": {"type": "integer"},
            "trace_size": {"type": "integer"},
            "circuit": {
                "type": "string",
                "description": "the Groth16 trace circuit's digest the job must be proven for "
                "(absent: any prover of the tier)",
            },
            "step": {
                "type": "integer",
                "description": "a micro job's step of the trace (absent for other jobs)",
            },
            "status": {"enum": ["pending", "in_progress", "completed", "failed", "expired"]},
            "worker_id": {"type": ["string", "null"]},
            "error": {"type": ["string", "null"]},
            "attempts": {"type": "integer"},
            "enqueued_at_ms": {"type": "integer"},
            "started_at_ms": {"type": ["integer", "null"]},
            "finished_at_ms": {"type": ["integer", "null"]},
            "proved_at_ms": {"type": ["integer", "null"]},
            "submitted_at_ms": {"type": ["integer", "null"]},
            "verified_at_ms": {"type": ["integer", "null"]},
            "lease_expires_at_ms": {"type": ["integer", "null"]},
            "has_proof": {"type": "boolean"},
        },
    }
    claimed = {
        "allOf": [
            {"$ref": "#/components/schemas/Job"},
            {
                "type": "object",
                "required": ["trace_data", "zk_mode", "lease_ms"],
                "properties": {
                    "trace_data": {"type": "string", "contentEncoding": "base64"},
                    "zk_mode": {"enum": ["mock", "groth16"]},
                    "lease_ms": {"type": "integer"},
                },
            },
        ]
    }
    stats = {
        "type": "object",
        "properties": {
            k: {"type": "integer"}
            for k in (
                "pending_count",
                "in_progress_count",
                "completed_count",
                "failed_count",
                "expired_count",
            )
        },
    }
    transfer = {
        "type": "object",
        "required": ["sender", "recipient", "amount", "nonce"],
        "properties": {
            "type": {"const": "transfer"},
            "sender": _int(0, account_max),
            "recipient": _int(0, account_max),
            "amount": _int(0, U64_MAX),
            "nonce": _int(0, U64_MAX),
            "gas_limit": _int(0, U64_MAX),
            "gas_price": _int(0, U64_MAX),
        },
        "additionalProperties": False,
    }
    paths: dict[str, Any] = {
        "/pouw/jobs/list": {
            "post": {
                "summary": "List jobs (no trace bytes), filtered, paged by cursor",
                "requestBody": {
                    "required": False,
                    **_json(
                        {
                            "type": "object",
                            "properties": {
                                "status": {
                                    "enum": [
                                        "pending",
                                        "in_progress",
                                        "completed",
                                        "failed",
                                        "expired",
                                    ]
                                },
                                "tier": {"enum": ["micro", "macro", "full"]},
                                "limit": _int(1, 1000),
                                "cursor": {
                                    "type": ["string", "null"],
                                    "pattern": "^[0-9]{1,18}$",
                                    "description": "the next_cursor of a previous page",
                                },
                            },
                        }
                    ),
                },
                "responses": {
                    "200": _ok("JobPage", "a page of jobs"),
                    **_errors(400, 401, 413, 415, 429),
                },
            }
        },
        "/pouw/jobs/claim-next": {
            "post": {
                "summary": "Claim the oldest job this worker may take, waiting up to wait_ms",
                "security": _AUTH,
                "requestBody": {
                    "required": False,
                    **_json(
                        {
                            "type": "object",
                            "properties": {
                                "wait_ms": _int(0, 30000),
                                "tier": {"enum": ["micro", "macro", "full"]},
                                "circuits": {
                                    "type": "array",
                                    "maxItems": 64,
                                    "items": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                                    "description": "the circuit digests this worker has keys "
                                    "for: only jobs for one of them, or without a circuit, are "
                                    "claimed (absent: any job)",
                                },
                                "tiers": {
                                    "type": "array",
                                    "items": {"enum": ["micro", "macro", "full"]},
                                    "description": "the tiers this worker proves (absent: any)",
                                },
                                "zk_modes": {
                                    "type": "array",
                                    "items": {"enum": ["mock", "groth16"]},
                                    "description": "mock: jobs without a circuit; groth16: "
                                    "jobs with one (absent: both)",
                                },
                                "device": {
                                    "enum": ["cpu", "gpu"],
                                    "description": "recorded with the worker (default cpu)",
                                },
                                "min_units": {
                                    **_int(0, 1 << 40),
                                    "description": "the smallest job taken, in work units "
                                    "(KiB of trace; one for a single step): a GPU prover's "
                                    "large jobs. " + _INTEGER_ONLY,
                                },
                                "max_units": {
                                    **_int(0, 1 << 40),
                                    "description": "the largest job taken, in work units. "
                                    + _INTEGER_ONLY,
                                },
                            },
                        }
                    ),
                },
                "responses": {
                    "200": _ok("ClaimedJob", "the claimed job with its trace"),
                    "204": {"description": "no job to claim within wait_ms"},
                    **_errors(400, 401, 413, 415, 429),
                },
            }
        },
        "/pouw/jobs/{job_id}": {
            "get": {
                "summary": "One job's details and status",
                "parameters": [_JOB_ID],
                "responses": {"200": _ok("Job", "the job"), **_errors(401, 404, 429)},
            }
        },
        "/pouw/jobs/{job_id}/claim": {
            "post": _worker_op(
                "Claim this pending job with a lease",
                {"type": "object"},
                _ok("ClaimedJob", "claimed"),
                400,
            ),
        },
        "/pouw/jobs/{job_id}/heartbeat": {
            "post": _worker_op(
                "Extend the lease",
                {"type": "object"},
                {
                    "description": "the new lease expiry",
                    **_json(
                        {
                            "type": "object",
                            "properties": {
                                "job_id": {"type": "string"},
                                "lease_expires_at_ms": {"type": "integer"},
                            },
                        }
                    ),
                },
                400,
            ),
        },
        "/pouw/workers/heartbeat": {
            "post": {
                "summary": (
                    "The worker is alive: every lease it holds that has not lapsed is "
                    "extended by lease_ms, and its last-seen time set"
                ),
                "security": _AUTH,
                "requestBody": {"required": False, **_json({"type": "object"})},
                "responses": {
                    "200": {
                        "description": "how many leases were extended",
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "worker_id": {"type": "string"},
                                    "leases": {"type": "integer"},
                                    "lease_ms": {"type": "integer"},
                                },
                            }
                        ),
                    },
                    **_errors(400, 401, 413, 415, 429),
                },
            }
        },
        "/pouw/jobs/{job_id}/fail": {
            "post": _worker_op(
                "Give the job back with an error",
                {"type": "object", "properties": {"error": {"type": "string", "maxLength": 4096}}},
                {
                    "description": "pending again, or failed after max_attempts",
                    **_json(
                        {
                            "type": "object",
                            "properties": {
                                "job_id": {"type": "string"},
                                "status": {"type": "string"},
                            },
                        }
                    ),
                },
                400,
            ),
        },
        "/pouw/jobs/{job_id}/submit": {
            "post": {
                **_worker_op(
                    "Submit the proof; it is verified against the job's trace before the job completes",
                    None,
                    {
                        "description": "completed, late_completed, duplicate or already_completed",
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "job_id": {"type": "string"},
                                    "result": {
                                        "enum": [
                                            "completed",
                                            "late_completed",
                                            "duplicate",
                                            "already_completed",
                                        ]
                                    },
                                },
                            }
                        ),
                    },
                    400,
                    422,
                ),
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/octet-stream": {
                            "schema": {"type": "string", "format": "binary"}
                        },
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["proof"],
                                "properties": {
                                    "proof": {"type": "string", "contentEncoding": "base64"}
                                },
                            }
                        },
                    },
                },
                "parameters": [
                    _JOB_ID,
                    {
                        "name": "attempt",
                        "in": "query",
                        "required": False,
                        "description": (
                            "The fencing token: the claim answer's attempts. Only the "
                            "current attempt of the current holder completes as "
                            "completed; a proof of an earlier attempt is late_completed "
                            "(kept, counted once); an attempt never handed out is a 403."
                        ),
                        "schema": _int(1, 2**31 - 1),
                    },
                    {
                        "name": "proving_ms",
                        "in": "query",
                        "required": False,
                        "description": "how long the worker proved (the job's history "
                        "records the proof as made that long after the claim). " + _INTEGER_ONLY,
                        "schema": _int(0, 2**31 - 1),
                    },
                ],
            }
        },
        "/pouw/dead-letters": {
            "get": {
                "summary": "Jobs that failed for good (max_attempts reached), with their last error",
                "responses": {"200": _ok("JobPage", "failed jobs"), **_errors(401, 429)},
            }
        },
        "/pouw/stats": {
            "get": {
                "summary": "Queue stats, per-tier counts, proving-time percentiles, per-worker "
                "counts, and the job history's latency percentiles over a window",
                "parameters": [
                    {
                        "name": "window_s",
                        "in": "query",
                        "required": False,
                        "description": "the latency window, in seconds back from now "
                        "(default 3600). " + _INTEGER_ONLY,
                        "schema": _int(1, 2**31 - 1),
                    }
                ],
                "responses": {
                    "200": {
                        "description": "stats",
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "stats": {"$ref": "#/components/schemas/QueueStats"},
                                    "by_tier": {
                                        "type": "object",
                                        "additionalProperties": {
                                            "$ref": "#/components/schemas/QueueStats"
                                        },
                                    },
                                    "proving_ms": {"type": "object"},
                                    "workers": {"type": "object"},
                                    "latency": {
                                        "type": "object",
                                        "description": "since_ms, until_ms, all, tiers, "
                                        "workers: completed/failed/expired counts and "
                                        "queue_wait_ms, proving_ms, end_to_end_ms as "
                                        "{p50, p95, p99} (nearest rank)",
                                    },
                                    "workers_seen_ms": {
                                        "type": "object",
                                        "description": "each worker's last heartbeat (ms)",
                                    },
                                    "dead_letters": {"type": "integer"},
                                },
                            }
                        ),
                    },
                    **_errors(401, 429),
                },
            }
        },
        "/pouw/intents": {
            "post": {
                "summary": "Submit intents to the node (open, like a public transaction endpoint)",
                "requestBody": {
                    "required": True,
                    **_json(
                        {
                            "type": "object",
                            "required": ["intents"],
                            "properties": {
                                "intents": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": 10000,
                                    "items": transfer,
                                }
                            },
                        }
                    ),
                },
                "responses": {
                    "202": {
                        "description": "accepted for processing: written to the node's store "
                        "(a durable node) before this answer, executed in order; an intent the "
                        "node already holds (in its ledger or waiting) is skipped and counted "
                        "in duplicates, so a retry is harmless",
                        **_json(
                            {
                                "type": "object",
                                "required": ["accepted", "duplicates"],
                                "properties": {
                                    "accepted": {"type": "integer"},
                                    "duplicates": {"type": "integer"},
                                },
                            }
                        ),
                    },
                    **_errors(400, 413, 415, 422, 429),
                },
            }
        },
        "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {"description": "ok"}}}},
        "/metrics": {
            "get": {
                "summary": "Prometheus text format",
                "responses": {
                    "200": {
                        "description": "metrics",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "pouw node API",
            "version": "1",
            "description": "JSON bodies are UTF-8 (RFC 8259): another charset, declared or "
            "detected, is a 415. Integers are integer literals: 563.0 is refused where an "
            'integer is expected. Errors are {"error": {"code", "message"}}.',
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Job": job,
                "ClaimedJob": claimed,
                "QueueStats": stats,
                "JobPage": {
                    "type": "object",
                    "properties": {
                        "jobs": {"type": "array", "items": {"$ref": "#/components/schemas/Job"}},
                        "next_cursor": {"type": ["string", "null"]},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                },
            },
            "responses": {
                "Error": {
                    "description": "a machine-readable error",
                    **_json({"$ref": "#/components/schemas/Error"}),
                },
                "BadRequest": {
                    "description": "the body is refused: not JSON, not UTF-8 text, a byte "
                    "order mark (bad_json); nested deeper than 32 levels (bad_json); a number "
                    "of more than 100 digits (number_too_long); a field out of its schema, such "
                    "as a float where an integer is expected (bad_request; in an intent, 422 "
                    "bad_intent); a malformed proof (bad_proof_shape)",
                    **_json({"$ref": "#/components/schemas/Error"}),
                },
                "UnsupportedMediaType": {
                    "description": "a Content-Type the operation does not take "
                    "(unsupported_media_type), or a JSON body that is not UTF-8: a UTF-16 or "
                    "UTF-32 body, or a charset parameter other than utf-8 (unsupported_charset)",
                    **_json({"$ref": "#/components/schemas/Error"}),
                },
            },
        },
    }


if __name__ == "__main__":
    print(json.dumps(openapi_document(), indent=2, sort_keys=True))
