"""The JobStore backends every conformance test runs against.

A backend joins by adding a factory ``factory(clock, tmp_path, **kw)`` to
BACKENDS; tests/test_queue.py and tests/test_queue_leases.py must pass for it
unchanged. PostgreSQL runs on the server of ``$POUW_TEST_DATABASE_URL``
(.ci/run makes sure one runs), each store in a schema of its own.
"""

from __future__ import annotations

import os

import pytest

from pouw import JobQueue


def memory_backend(clock, tmp_path, **kw):
    return JobQueue(clock=clock, **kw)


def sqlite_backend(clock, tmp_path, **kw):
    from pouw.store import SqliteJobQueue

    kw.setdefault("synchronous", "normal")  # durability is pinned in tests/test_store.py
    return SqliteJobQueue(tmp_path / "jobs.sqlite3", clock=clock, **kw)


def postgres_backend(clock, tmp_path, **kw):
    # a schema of its own in the test server's database, dropped after the test
    import uuid

    from pouw.store import PostgresJobQueue

    url = os.environ.get("POUW_TEST_DATABASE_URL")
    if not url:
        pytest.skip("POUW_TEST_DATABASE_URL is not set (.ci/run sets it)")
    kw.setdefault("synchronous", "normal")  # as for SQLite: durability is not what runs here
    return PostgresJobQueue(url, schema=f"t_{uuid.uuid4().hex[:16]}", clock=clock, **kw)


BACKENDS = {"memory": memory_backend, "sqlite": sqlite_backend, "postgres": postgres_backend}


@pytest.fixture(params=sorted(BACKENDS))
def new_store(request, clock, tmp_path):
    factory = BACKENDS[request.param]
    made = []

    def make(**kw):
        store = factory(clock, tmp_path / f"s{len(made)}", **kw)
        made.append(store)
        return store

    yield make
    for s in made:
        close = getattr(s, "drop", None) or getattr(s, "close", None)  # drop: PostgreSQL's schema
        if close is not None:
            close()


@pytest.fixture
def store(new_store):
    return new_store()
