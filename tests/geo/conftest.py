"""Fixtures of the geo tests: the small city (tests/fixtures/small_city.py) in a database of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, create_engine

from tests.fixtures.small_city import small_city_database


@pytest.fixture(scope="session")
def small_city_conn(database_url: str) -> Iterator[Connection]:
    """A connection to the small city, loaded once per session; tests must not commit."""
    with small_city_database(database_url, "geocity") as url:
        engine = create_engine(url)
        with engine.connect() as conn:
            yield conn
        engine.dispose()
