"""uvicorn's h11 protocol with a deadline for each request's headers.

uvicorn times out an idle keep-alive connection (``timeout_keep_alive``), but
nothing bounds a client that connects and sends nothing, or that trickles its
request line and headers a byte at a time: every byte resets nothing and the
connection, with its buffers, stays open as long as the client likes (a
thousand such sockets held a node's descriptors for a minute and more). Here a
deadline runs whenever h11 waits for a request head: from the moment the
connection opens, and again from the end of each response. Once the head is
in (h11 moves on to the body) the deadline is off; when it passes, a client
that sent part of a head gets ``408 Request Timeout`` and the connection is
closed (a silent one is closed without an answer).

The body is not covered: a handler reads it with the body size limit, and a
slow body holds one request, not the accept queue.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["HeaderDeadlineProtocol", "with_header_deadline", "DEFAULT_HEADER_TIMEOUT_S"]

DEFAULT_HEADER_TIMEOUT_S = 10.0

_BODY = json.dumps(
    {
        "error": {
            "code": "request_timeout",
            "message": "the request's headers did not arrive in time",
        }
    }
).encode()
_408 = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_BODY), _BODY)
)


class HeaderDeadlineProtocol(H11Protocol):
    """:class:`H11Protocol` that drops a client whose request head is late."""

    header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the head is in, or the connection failed
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # may start the next (pipelined) request
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._head_deadline = self.loop.call_later(self.header_timeout_s, self._head_too_late)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_late(self) -> None:
        self._head_deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        # no response has begun (h11 is still waiting for the request), so raw
        # bytes cannot interleave with one; a client that sent nothing gets none
        if self.conn.trailing_data[0]:
            self.transport.write(_408)
        self.transport.close()


def with_header_deadline(timeout_s: float) -> type[HeaderDeadlineProtocol]:
    """The protocol class for uvicorn's ``http=`` option, with this deadline."""
    if not timeout_s > 0:
        raise ValueError(f"the header timeout must be positive, got {timeout_s!r}")
    return type(
        "HeaderDeadlineProtocol", (HeaderDeadlineProtocol,), {"header_timeout_s": timeout_s}
    )
