"""Request bodies of the HTTP API: JSON objects, enum filters and proofs, parsed
into values or refused with a 4xx :class:`~pouw.remote.errors.ApiError`.

Nothing here touches the store; the handlers in :mod:`pouw.remote.app` call
these (a big body in a pool thread, off the event loop).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

import numpy as np

from ..status import JobStatus, JobTier
from .errors import ApiError

__all__ = ["JSON", "OCTETS", "MAX_NESTING", "nesting", "parse_object", "parse_enum", "proof_from"]

JSON = "application/json"
OCTETS = "application/octet-stream"
MAX_NESTING = 32  #: deepest JSON accepted (the API's own bodies nest 3 deep)

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def nesting(raw: bytes) -> int:
    """How deep the arrays and objects of ``raw`` nest (brackets in strings skipped).

    json.loads recurses in C once per level: a deep enough body overflows the
    stack of a pool thread (a crash, not an exception) when the recursion limit
    is high, so depth is checked before parsing. Linear and in C: a regex, a
    translate and a cumulative sum.
    """
    if raw.count(b"[") + raw.count(b"{") <= MAX_NESTING:
        return 0  # cannot be deeper than the limit
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKET).translate(_BRACKET_STEP)
    steps = np.frombuffer(brackets, dtype=np.int8)
    return int(steps.cumsum().max()) if steps.size else 0


def parse_object(raw: bytes) -> dict[str, Any]:
    """The JSON object in ``raw``, or a 400."""
    if nesting(raw) > MAX_NESTING:
        raise ApiError(400, "bad_json", f"JSON nested deeper than {MAX_NESTING} levels")
    try:
        data = json.loads(raw)
        # a "\ud800" escape decodes to a lone surrogate, which no UTF-8 sink
        # (SQLite, a JSON answer) can take: refuse it here, not with a 500 later
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError, RecursionError):
        raise ApiError(400, "bad_json", "the body is not valid JSON (UTF-8)") from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object")
    return data


def parse_enum(kind: type[JobStatus] | type[JobTier], value: object, name: str) -> Any:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        words = ", ".join(m.value for m in kind)
        raise ApiError(400, "bad_request", f"{name} must be one of {words}") from None


def proof_from(ctype: str, raw: bytes) -> bytes:
    if ctype == JSON:
        try:
            if nesting(raw) > MAX_NESTING:
                raise ValueError("too deep")
            data = json.loads(raw)
            proof = base64.b64decode(data["proof"], validate=True)
        except (ValueError, KeyError, TypeError, UnicodeError, RecursionError, binascii.Error):
            raise ApiError(400, "bad_proof_shape", 'expected {"proof": "<base64>"}') from None
        return proof
    if not raw:
        raise ApiError(400, "bad_proof_shape", "the proof is empty")
    return raw
