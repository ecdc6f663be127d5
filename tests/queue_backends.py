"""The JobStore backends every conformance test runs against.

A backend joins by adding a factory ``factory(clock, tmp_path, **kw)`` to
BACKENDS; tests/test_queue.py and tests/test_queue_leases.py must pass for it
unchanged.
"""

from __future__ import annotations

import pytest

from pouw import JobQueue


def memory_backend(clock, tmp_path, **kw):
    return JobQueue(clock=clock, **kw)


def sqlite_backend(clock, tmp_path, **kw):
    from pouw.store import SqliteJobQueue

    kw.setdefault("synchronous", "normal")  # durability is pinned in tests/test_store.py
    return SqliteJobQueue(tmp_path / "jobs.sqlite3", clock=clock, **kw)


BACKENDS = {"memory": memory_backend, "sqlite": sqlite_backend}


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
        close = getattr(s, "close", None)
        if close is not None:
            close()


@pytest.fixture
def store(new_store):
    return new_store()
