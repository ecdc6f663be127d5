"""Durable job stores.

* :class:`SqliteJobQueue` -- the :class:`~pouw.queue.JobStore` protocol over one
  SQLite file (WAL mode), with the node's ledger in the same database so a
  ledger entry, its job ids and its job are written in one transaction;
* :class:`PostgresJobQueue` -- the same protocol over one PostgreSQL schema,
  shared by many processes (psycopg 3: the ``postgres`` extra);
* :class:`StoreUnavailable` -- the database could not do an operation now
  (a lost connection, a deadlock): nothing committed, try again;
* :class:`StoreDamaged` -- a store file refused at open (damaged, not a pouw
  store, or from a newer version), with one line that says why.
"""

from .integrity import StoreDamaged
from .postgres import PostgresJobQueue, StoreUnavailable
from .sqlite import SqliteJobQueue

__all__ = ["SqliteJobQueue", "PostgresJobQueue", "StoreDamaged", "StoreUnavailable"]
