"""Serving the API: bind, announce the real address, run uvicorn until a signal.

uvicorn runs with :mod:`pouw.remote.header_deadline`'s protocol: a client must
send each request's headers within ``server.header_timeout_ms`` or be dropped.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

from ..node import NodeContext
from .app import create_app

if TYPE_CHECKING:
    import uvicorn

__all__ = ["serve", "bind_socket", "uvicorn_config"]


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv6 when ``host`` has a colon)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when
    # the listening socket says TCP; with proto 0 every keep-alive answer waits ~40 ms
    # for a delayed ACK (Nagle)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    return sock


def serve(ctx: NodeContext, host: str, port: int, *, announce: TextIO = sys.stdout) -> None:
    """Serve ``ctx`` on ``host:port`` (port 0: any free port) until SIGINT/SIGTERM (then a clean
    shutdown and a normal return).

    The socket is bound here, before uvicorn starts, so the line
    ``listening on http://HOST:PORT`` carries the real port (tests and
    scripts read it) and is printed only once connections can be accepted.
    On a signal, in-flight requests end, then the app's lifespan stops the
    pipeline and sweeper threads.
    """
    import uvicorn

    sock = bind_socket(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if sock.family == socket.AF_INET6 else host
    config = uvicorn_config(
        create_app(ctx), header_timeout_s=ctx.config.header_timeout_ms / 1000, lifespan="on"
    )

    class _Server(uvicorn.Server):
        # our handlers, not uvicorn's: uvicorn re-raises the signal after its
        # shutdown, which would turn a clean stop into exit status 130 / -15
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    server = _Server(config)

    def stop(signum: int, frame: object) -> None:
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    print(f"listening on http://{shown}:{bound}", file=announce, flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def uvicorn_config(app: Any, *, header_timeout_s: float, **options: Any) -> uvicorn.Config:
    """uvicorn's settings for ``app``: the header deadline, no access log, warnings
    only; ``options`` (any of ``uvicorn.Config``'s) override the last two."""
    import uvicorn

    from .header_deadline import with_header_deadline

    settings: dict[str, Any] = {"log_level": "warning", "access_log": False, **options}
    return uvicorn.Config(app, http=with_header_deadline(header_timeout_s), **settings)
