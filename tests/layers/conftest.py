"""Fixtures of the print tests: the small city (tests/fixtures/small_city.py) in a database of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from tests.fixtures.small_city import small_city_database


@pytest.fixture(scope="session")
def atlas_url(database_url: str) -> Iterator[str]:
    with small_city_database(database_url, "atlas") as url:
        yield url


@pytest.fixture(scope="session")
def atlas_engine(atlas_url: str) -> Iterator[Engine]:
    engine = create_engine(atlas_url)
    yield engine
    engine.dispose()
