"""``HOST:PORT`` listen addresses, shared by the node config and the CLI."""

from __future__ import annotations

__all__ = ["parse_listen"]


def parse_listen(text: object) -> tuple[str, int]:
    """``"127.0.0.1:8645"`` -> ``("127.0.0.1", 8645)``; ``[::1]:80`` for IPv6.

    Port 0 asks the system for a free port. Raises ``ValueError`` otherwise.
    """
    if not isinstance(text, str) or ":" not in text:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    host, _, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT with a port in 0..65535, got {text!r}")
    return host, int(port)
