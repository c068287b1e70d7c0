"""Fixtures of the map tests: the small city (tests/fixtures/small_city.py) in a database of its own,
and one app on it for the whole session (Dash re-registers page callbacks for every new app)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import dash
import pytest
from sqlalchemy import Engine
from werkzeug.serving import make_server

from app import create_app
from geo.settings import Settings
from tests.auth_support import sign_in_clients, token_on
from tests.fixtures.small_city import small_city_database

BUILDING_LIMIT = 4  # sim-L1 and sim-L2 answer for 5 buildings each: both are over it


@pytest.fixture(scope="session")
def small_city_url(database_url: str) -> Iterator[str]:
    with small_city_database(database_url, "city") as url:
        yield url


@pytest.fixture(scope="session")
def city_settings(small_city_url: str) -> Settings:
    return Settings(_env_file=None, database={"url": small_city_url}, map={"building_limit": BUILDING_LIMIT})


@pytest.fixture(scope="session")
def city_app(city_settings: Settings) -> Iterator[dash.Dash]:
    app = create_app(city_settings)
    sign_in_clients(app.server, token_on(city_settings.database.url))
    yield app
    engine: Engine = app.server.extensions["battlemap"].engine
    engine.dispose()


@pytest.fixture(scope="session")
def live_city(city_app: dash.Dash) -> Iterator[str]:
    """The small city's app served on a free loopback port for real clients (GDAL, QGIS, browsers)."""
    server = make_server("127.0.0.1", 0, city_app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
