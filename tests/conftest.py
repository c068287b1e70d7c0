"""Fixtures for the whole suite: a throwaway PostGIS database per test session, real, never mocked.

Each test gets a connection inside a transaction that is rolled back, so tests do not see
each other's rows. A missing server is an error, not a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url

from geo.db import make_engine
from geo.settings import DatabaseSettings, Settings
from tests.fixtures.databases import throwaway_database

# Fixtures of the risk-area tests (a tiny world laid out in true metres) and of the flow tests.
pytest_plugins = ("tests.risk_world", "tests.flows_world")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _test_database_url() -> str:
    base = os.environ.get("DATABASE_URL") or os.environ.get("BATTLEMAP_DATABASE_URL")
    url = make_url(
        DatabaseSettings(_env_file=None, url=base).url if base else DatabaseSettings(_env_file=None).url
    )
    return url.set(database=f"battlemap_test_{os.getpid()}").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh database with PostGIS and the schema at head; dropped at the end of the session."""
    with throwaway_database(_test_database_url()) as url:
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(_env_file=None, database={"url": database_url})


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database)
    yield engine
    engine.dispose()


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The full public data beside the repo (../shared/data); tests that need it fail without it."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"{SHARED_DATA} is missing: these tests read the full public data files")
    return SHARED_DATA
