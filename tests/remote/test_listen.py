"""The listening socket and ``HOST:PORT`` parsing."""

from __future__ import annotations

import asyncio
import socket

import pytest

from pouw.node.config import parse_listen
from pouw.remote.serving import bind_socket


def accepted_nodelay(listener: socket.socket) -> int:
    # what asyncio (and so uvicorn) does with a connection accepted on ``listener``
    got: list[int] = []

    async def main() -> None:
        def on_conn(reader, writer):
            got.append(
                writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            )
            writer.close()

        server = await asyncio.start_server(on_conn, sock=listener)
        port = listener.getsockname()[1]
        _, w = await asyncio.open_connection("127.0.0.1", port)
        while not got:
            await asyncio.sleep(0.01)
        w.close()
        server.close()

    asyncio.run(asyncio.wait_for(main(), 10))
    return got[0]


def test_bound_socket_gives_connections_tcp_nodelay():
    # without it every keep-alive answer waits for a delayed ACK (~40 ms)
    assert accepted_nodelay(bind_socket("127.0.0.1", 0)) != 0


def test_a_protocol_zero_socket_would_not():
    plain = socket.socket()  # proto 0: asyncio leaves Nagle on
    plain.bind(("127.0.0.1", 0))
    plain.listen(8)
    assert accepted_nodelay(plain) == 0


@pytest.mark.parametrize(
    "text, expected",
    [
        ("127.0.0.1:8645", ("127.0.0.1", 8645)),
        ("[::1]:0", ("::1", 0)),
        ("localhost:1", ("localhost", 1)),
    ],
)
def test_parse_listen_accepts(text, expected):
    assert parse_listen(text) == expected


@pytest.mark.parametrize(
    "text", ["8645", ":80", "host:", "host:99999", "host:-1", "host:x", 80, None]
)
def test_parse_listen_rejects(text):
    with pytest.raises(ValueError):
        parse_listen(text)
