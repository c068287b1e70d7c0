"""Browser tests: the app served from a background thread (one app for the session) on the small city,
reaching PostGIS through a TCP proxy the tests can cut, and one headless Chromium driven by Selenium.

Screenshots go to artifacts/e2e/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium import webdriver
from sqlalchemy.engine import make_url

from app import create_app
from geo.settings import Settings
from tests.e2e.harness import chromium, serving
from tests.e2e.support import (
    BUILDING_LIMIT,
    REQUESTS,
    WALL_REFRESH_SECONDS,
    WALL_ROTATE_SECONDS,
    TcpProxy,
)
from tests.fixtures.small_city import small_city_database


@pytest.fixture(scope="session")
def e2e_database(database_url: str) -> Iterator[str]:
    with small_city_database(database_url, "e2e") as url:
        yield url


@pytest.fixture(scope="session")
def db_proxy(e2e_database: str) -> Iterator[TcpProxy]:
    url = make_url(e2e_database)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    yield proxy
    proxy.close()


@pytest.fixture(scope="session")
def server_url(e2e_database: str, db_proxy: TcpProxy) -> Iterator[str]:
    url = (
        make_url(e2e_database).set(host="127.0.0.1", port=db_proxy.port).render_as_string(hide_password=False)
    )
    settings = Settings(
        _env_file=None,
        database={"url": url},
        map={
            "refresh_seconds": WALL_REFRESH_SECONDS,
            "wall_rotate_seconds": WALL_ROTATE_SECONDS,
            "building_limit": BUILDING_LIMIT,
        },
    )
    with serving(create_app(settings), REQUESTS) as served:
        yield served


@pytest.fixture(scope="session")
def browser(server_url: str) -> Iterator[webdriver.Chrome]:
    """One headless Chromium for the session, signed in as a commander through the sign-in form."""
    with chromium(server_url) as driver:
        yield driver
