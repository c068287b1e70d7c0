"""Browser tests: the app served from a background thread (one app for the session) on the small city,
reaching PostGIS through a TCP proxy the tests can cut, and one headless Chromium driven by Selenium.

Screenshots go to artifacts/e2e/ (git-ignored).
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from app import create_app
from geo.settings import Settings
from tests.e2e.support import (
    BUILDING_LIMIT,
    REQUESTS,
    WALL_REFRESH_SECONDS,
    WALL_ROTATE_SECONDS,
    TcpProxy,
)
from tests.fixtures.small_city import small_city_database

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-unsafe-swiftshader",  # WebGL in software: MapLibre needs it without a GPU
    "--window-size=1400,900",
)


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
    app = create_app(settings)
    wsgi = app.server.wsgi_app

    def recording(environ: dict, start_response: object) -> object:
        query = environ.get("QUERY_STRING")
        REQUESTS.append(environ["PATH_INFO"] + (f"?{query}" if query else ""))
        return wsgi(environ, start_response)

    app.server.wsgi_app = recording  # type: ignore[method-assign]
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.server.extensions["battlemap"].engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tempfile.mkdtemp(prefix='battlemap-chromium-')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
