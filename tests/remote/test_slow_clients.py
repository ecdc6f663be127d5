"""Clients that send their request headers too slowly are dropped: real sockets
against a served app (``LiveServer`` configures uvicorn as ``pouw node
--listen`` does), and once against ``pouw node --listen`` itself."""

from __future__ import annotations

import socket
import time

import pytest

from pouw.node import NodeConfig, NodeContext
from pouw.remote.header_deadline import with_header_deadline
from remote_support import LiveServer, NodeProcess, config_dict, write_config

TIMEOUT_S = 0.5


@pytest.fixture
def live():
    ctx = NodeContext.from_config(NodeConfig.from_dict(config_dict(5000)))
    s = LiveServer(ctx, background=False, header_timeout_s=TIMEOUT_S)
    yield s
    s.close()


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    """What the server sends before it closes (raises on a socket timeout)."""
    out = b""
    while chunk := sock.recv(65536):
        out += chunk
    return out


def trickle(sock: socket.socket, data: bytes, every_s: float, for_s: float) -> bool:
    """Send ``data`` a byte at a time; False once the server has closed."""
    end = time.monotonic() + for_s
    for byte in data:
        if time.monotonic() > end:
            break
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            return False
        time.sleep(every_s)
    return True


SLOW_HEAD = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: " + b"a" * 1000


def test_a_client_trickling_its_headers_gets_408_and_is_dropped(live):
    sock = connect(live.port)
    t0 = time.monotonic()
    trickle(sock, SLOW_HEAD, every_s=0.05, for_s=TIMEOUT_S + 1.0)
    answer = read_until_closed(sock)
    assert time.monotonic() - t0 < TIMEOUT_S + 3
    assert answer.startswith(b"HTTP/1.1 408 ") and b"request_timeout" in answer
    sock.close()


def test_a_silent_connection_is_closed_without_an_answer(live):
    sock = connect(live.port)
    t0 = time.monotonic()
    assert read_until_closed(sock) == b""
    assert TIMEOUT_S * 0.8 < time.monotonic() - t0 < TIMEOUT_S + 3


def test_many_slow_clients_are_all_dropped(live):
    socks = [connect(live.port) for _ in range(200)]
    for s in socks:
        s.sendall(b"POST /pouw/jobs/list HTTP/1.1\r\nHost: x\r\n")  # never finished
    time.sleep(TIMEOUT_S + 1.0)
    for s in socks:
        s.settimeout(5)
        assert read_until_closed(s).startswith(b"HTTP/1.1 408 ")
        s.close()
    deadline = time.monotonic() + 5
    while live.server.server_state.connections and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(live.server.server_state.connections) <= 1  # the fixture's own client, if any
    assert live.http.get("/healthz").status_code == 200  # and the node still answers


def test_headers_that_arrive_in_time_are_served_however_they_are_split(live):
    sock = connect(live.port)
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    for i in range(0, len(head), 10):  # in pieces, well within the deadline
        sock.sendall(head[i : i + 10])
        time.sleep(0.01)
    assert read_until_closed(sock).startswith(b"HTTP/1.1 200 ")
    sock.close()


def test_a_slow_request_body_is_not_cut_off_by_the_header_deadline(live):
    sock = connect(live.port)
    body = b'{"limit": 5}'
    sock.sendall(
        b"POST /pouw/jobs/list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    )
    time.sleep(TIMEOUT_S * 1.5)  # past the deadline: the head is in, the body may take longer
    sock.sendall(body)
    assert read_until_closed(sock).startswith(b"HTTP/1.1 200 ")
    sock.close()


def test_the_next_request_on_a_kept_alive_connection_has_the_deadline_too(live):
    sock = connect(live.port)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    first = b""
    while b'{"status":"ok"}' not in first:
        first += sock.recv(65536)
    assert first.startswith(b"HTTP/1.1 200 ")
    trickle(sock, SLOW_HEAD, every_s=0.05, for_s=TIMEOUT_S + 1.0)  # the keep-alive timer is reset
    assert read_until_closed(sock).startswith(b"HTTP/1.1 408 ")
    sock.close()


def test_the_deadline_must_be_positive():
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ValueError):
            with_header_deadline(bad)


def test_pouw_node_listen_drops_a_slow_client(tmp_path):
    cfg = write_config(tmp_path)
    cfg.write_text(
        cfg.read_text().replace(
            "[server.tokens]", "[server]\nheader_timeout_ms = 500\n[server.tokens]"
        )
    )
    node = NodeProcess(cfg)
    try:
        port = int(node.url.rsplit(":", 1)[1])
        sock = connect(port)
        trickle(sock, SLOW_HEAD, every_s=0.05, for_s=1.5)
        assert read_until_closed(sock).startswith(b"HTTP/1.1 408 ")
        sock.close()
    finally:
        node.proc.kill()
        node.proc.wait(10)
