"""Machine-readable API errors: ``{"error": {"code": ..., "message": ...}}``."""

from __future__ import annotations

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


def error_response(err: ApiError) -> JSONResponse:
    body: dict[str, Any] = {"error": {"code": err.code, "message": err.message, **err.extra}}
    headers = {}
    if err.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if "retry_after_s" in err.extra:
        headers["Retry-After"] = str(max(1, int(err.extra["retry_after_s"] + 0.999)))
    return JSONResponse(body, status_code=err.status, headers=headers)
