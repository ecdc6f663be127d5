"""Machine-readable API errors: ``{"error": {"code": ..., "message": ...}}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

__all__ = ["ApiError", "error_response"]


class ApiError(Exception):
    """An expected refusal: HTTP status, a stable code, a human message."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


def error_response(err: ApiError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The answer for ``err``, with ``headers`` (a 405's ``Allow``, say) and the
    ones its status calls for."""
    body: dict[str, Any] = {"error": {"code": err.code, "message": err.message, **err.extra}}
    out = dict(headers or {})
    if err.status == 401:
        out["WWW-Authenticate"] = "Bearer"
    if "retry_after_s" in err.extra:
        out["Retry-After"] = str(max(1, int(err.extra["retry_after_s"] + 0.999)))
    return JSONResponse(body, status_code=err.status, headers=out)
