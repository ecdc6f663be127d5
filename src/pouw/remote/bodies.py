"""Request bodies of the HTTP API: JSON objects, enum filters and proofs, parsed
into values or refused with a 4xx :class:`~pouw.remote.errors.ApiError`.

JSON bodies are UTF-8 only (RFC 8259), checked before anything else reads
them: ``json.loads`` would guess UTF-16 or UTF-32 from the bytes, and the
nesting count, which reads the bytes as UTF-8, can be fooled by such a body
(a UTF-16 code unit such as ``0x2200`` holds a ``"`` byte). Then the depth is
bounded, integer literals are bounded in length, and ``NaN``/``Infinity``
(not JSON) are refused.

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

from .. import status
from ..status import JobStatus, JobTier
from .errors import ApiError

__all__ = [
    "JSON",
    "OCTETS",
    "MAX_NESTING",
    "MAX_NUMBER_DIGITS",
    "media_type",
    "nesting",
    "parse_object",
    "parse_enum",
    "proof_from",
]

JSON = "application/json"
OCTETS = "application/octet-stream"
MAX_NESTING = 32  #: deepest JSON accepted (the API's own bodies nest 3 deep)
MAX_NUMBER_DIGITS = 100  #: longest run of digits in a number (the API's integers have <= 20)

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_LONG_DIGITS = re.compile(rb"[0-9]{%d}" % (MAX_NUMBER_DIGITS + 1))


def media_type(content_type: str) -> str:
    """The media type of a ``Content-Type`` value, lowercased, without parameters.

    JSON with a ``charset`` other than UTF-8 is a 415: the API reads no other."""
    mtype, _, params = content_type.partition(";")
    mtype = mtype.strip().lower()
    for param in params.split(";") if mtype == JSON else ():
        name, _, value = param.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise ApiError(
                415, "unsupported_charset", f"JSON bodies are UTF-8 only, not charset={charset}"
            )
    return mtype


def _json_text(raw: bytes) -> str:
    """``raw`` as UTF-8 text, or a 415 (another encoding) or a 400 (bad bytes)."""
    encoding = json.detect_encoding(raw)  # what json.loads(bytes) would decode it as
    if encoding == "utf-8-sig":
        raise ApiError(400, "bad_json", "a JSON body has no byte order mark (RFC 8259)")
    if encoding != "utf-8":
        raise ApiError(
            415,
            "unsupported_charset",
            f"the body looks {encoding.upper()}; JSON bodies are UTF-8 only (RFC 8259)",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "bad_json", f"the body is not UTF-8 (byte {exc.start})") from None


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def _load(raw: bytes) -> Any:
    """The JSON value in ``raw`` (UTF-8, bounded depth and number length), or a 4xx.

    Raises ``ValueError`` for text that is not JSON, which each caller maps to
    its own answer."""
    text = _json_text(raw)
    if nesting(raw) > MAX_NESTING:
        raise ApiError(400, "bad_json", f"JSON nested deeper than {MAX_NESTING} levels")
    # int() of a long literal is quadratic (Python refuses > 4300 digits, with an
    # error that read as "not JSON"): refuse long digit runs outside strings first
    if _LONG_DIGITS.search(raw) and _LONG_DIGITS.search(_STRING.sub(b"", raw)):
        raise ApiError(
            400,
            "number_too_long",
            f"a number in the body has more than {MAX_NUMBER_DIGITS} digits "
            "(the API's integers have at most 20)",
        )
    return json.loads(text, parse_constant=_not_json)


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
    """The JSON object in ``raw``, or a 4xx."""
    try:
        data = _load(raw)
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
        return status.parse_enum(kind, value, name)
    except ValueError as exc:
        raise ApiError(400, "bad_request", str(exc)) from None


def proof_from(ctype: str, raw: bytes) -> bytes:
    if ctype == JSON:
        try:
            data = _load(raw)
        except ApiError as err:  # a 415 (not UTF-8) stays; a refused body is a bad proof
            if err.status != 400:
                raise
            raise ApiError(400, "bad_proof_shape", err.message) from None
        except (ValueError, RecursionError):
            raise ApiError(400, "bad_proof_shape", 'expected {"proof": "<base64>"}') from None
        try:
            proof = base64.b64decode(data["proof"], validate=True)
        except (ValueError, KeyError, TypeError, UnicodeError, RecursionError, binascii.Error):
            raise ApiError(400, "bad_proof_shape", 'expected {"proof": "<base64>"}') from None
        return proof
    if not raw:
        raise ApiError(400, "bad_proof_shape", "the proof is empty")
    return raw
