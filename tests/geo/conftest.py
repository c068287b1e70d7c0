"""Fixtures of the geo tests: the small city (tests/fixtures/small_city.py) in a database of its own,
once read-only for the whole session, and once for the closed-loop tests in a transaction rolled back
after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, create_engine

from tests.fixtures.small_city import small_city_database


@pytest.fixture(scope="session")
def small_city_conn(database_url: str) -> Iterator[Connection]:
    """A connection to the small city, loaded once per session; tests must not commit."""
    with small_city_database(database_url, "geocity") as url:
        engine = create_engine(url)
        with engine.connect() as conn:
            yield conn
        engine.dispose()


@pytest.fixture(scope="session")
def loops_city_engine(database_url: str) -> Iterator[Engine]:
    with small_city_database(database_url, "loops") as url:
        engine = create_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def city_conn(loops_city_engine: Engine) -> Iterator[Connection]:
    with loops_city_engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()
