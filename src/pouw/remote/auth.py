"""Worker tokens: made once, stored as hashes, checked in constant time.

A token is ``pouw_`` plus 43 URL-safe characters (256 random bits). The node's
TOML holds only ``"sha256:<hex>"`` of each; a presented token is hashed and
compared with *every* stored hash by :func:`hmac.compare_digest`, so neither
the comparison nor the loop tells an attacker how close a guess came or which
worker it resembled.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

__all__ = ["new_token", "hash_token", "TokenChecker", "add_token_to_config"]

_PREFIX = "pouw_"


def new_token() -> str:
    """A fresh random worker token."""
    return _PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """``"sha256:<hex>"``: what the config stores for ``token``."""
    return "sha256:" + hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class TokenChecker:
    """Maps a presented bearer token to its worker id (or ``None``)."""

    def __init__(self, tokens: Iterable[tuple[str, str]]) -> None:
        self._entries = [(worker, digest.encode()) for worker, digest in tokens]

    def worker_for(self, authorization: str | None) -> str | None:
        """The worker whose token is in the ``Authorization: Bearer`` header value."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        presented = hash_token(token.strip()).encode()
        found = None
        for worker, digest in self._entries:  # no early exit: same time for every token
            if hmac.compare_digest(presented, digest):
                found = worker
        return found


_SECTION = re.compile(r"^\[server\.tokens\]\s*$", re.M)


def add_token_to_config(config_path: Path, worker: str, token: str) -> None:
    """Store ``worker = "sha256:..."`` under ``[server.tokens]`` of the TOML file.

    The table is appended if the file has none; an existing line for the same
    worker is replaced (a new token revokes the old one). The file is then read
    back through :class:`~pouw.node.NodeConfig` so a broken edit is caught.
    """
    from ..errors import ConfigError
    from ..node.config import _WORKER_ID, NodeConfig

    if not _WORKER_ID.fullmatch(worker):
        raise ConfigError(f"--worker: a worker id is 1-64 of [A-Za-z0-9_.-], got {worker!r}")
    NodeConfig.from_toml(config_path)  # refuse to edit a file that is already broken
    text = config_path.read_text(encoding="utf-8")  # TOML is UTF-8, whatever the locale
    line = f'{worker} = "{hash_token(token)}"'
    match = _SECTION.search(text)
    if match is None:
        text = text.rstrip("\n") + f"\n\n[server.tokens]\n{line}\n"
    else:
        start = match.end()
        nxt = re.search(r"^\[", text[start:], re.M)
        end = start + nxt.start() if nxt else len(text)
        body = re.sub(rf"^{re.escape(worker)}\s*=.*\n?", "", text[start:end], flags=re.M)
        body = "\n" + line + "\n" + body.lstrip("\n")
        text = (
            text[:start] + body + ("\n" if nxt and not body.endswith("\n\n") else "") + text[end:]
        )
    tmp = config_path.with_suffix(config_path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(config_path)
    NodeConfig.from_toml(config_path)
