"""One process per store file: an exclusive advisory lock beside the database.

The store keeps state a second process would not see (the lease hint, the
node's in-memory ledger and heights), so two nodes on one file would write
conflicting ledger heights. The lock is ``flock`` on ``<file>.lock``, not on
the database itself: closing any extra descriptor of the database file would
drop SQLite's own POSIX locks. The kernel releases it when the process dies,
so a node killed with SIGKILL restarts at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from ..errors import PouwError

__all__ = ["StoreInUse", "lock_store"]


class StoreInUse(PouwError):
    """Another process (or another open store in this one) holds the file."""


def lock_store(path: Path) -> IO[bytes] | None:
    """Hold ``path``'s lock until the returned file is closed (``None``: no ``flock``
    on this platform, and the one-process rule is the operator's)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return None
    lock = open(path.with_name(path.name + ".lock"), "ab")  # noqa: SIM115 - held open
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        raise StoreInUse(f"{path} is in use by another process (one node per store file)") from None
    return lock
