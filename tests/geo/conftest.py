"""Fixtures of the closed-loop tests: the small city (tests/fixtures/small_city.py) in a database of
its own, and a connection to it inside a transaction that is rolled back after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, create_engine

from tests.fixtures.small_city import small_city_database


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
