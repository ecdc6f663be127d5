"""Shared fixtures. Tests import the *installed* package (pytest runs with
--import-mode=importlib and the source tree is not on sys.path)."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from support import FakeClock, synthetic_job

settings.register_profile("ci", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def make_job():
    return synthetic_job


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def schema():
    """A PostgreSQL schema name of its own, dropped after the test (the server of
    ``$POUW_TEST_DATABASE_URL``; tests that use it skip without one)."""
    import uuid

    name = f"t_{uuid.uuid4().hex[:16]}"
    yield name
    url = os.environ.get("POUW_TEST_DATABASE_URL")
    if url:
        import psycopg

        with psycopg.connect(url, autocommit=True) as c:
            c.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
