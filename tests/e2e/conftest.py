"""Browser tests: the app served from a background thread (one app for the session) on the small city,
reaching PostGIS through a TCP proxy the tests can cut, and one headless Chromium driven by Selenium.

Screenshots go to artifacts/e2e/ (git-ignored).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from selenium import webdriver
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from dashboards._i18n import LANGUAGE_COOKIE
from geo.settings import Settings
from tests.e2e.harness import WINDOW, chromium, serving
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
def session_browser(server_url: str) -> Iterator[webdriver.Chrome]:
    """One headless Chromium for the session, signed in as a commander through the sign-in form."""
    with chromium(server_url) as driver:
        yield driver


@pytest.fixture
def browser(session_browser: webdriver.Chrome) -> webdriver.Chrome:
    """The session's Chromium as a new visitor would find it: at the default size (a test that tried
    a phone or a wall leaves none behind) and in the default language (the app remembers ``?lang=``
    in a cookie, as it should for a person)."""
    session_browser.set_window_size(*WINDOW)
    session_browser.delete_cookie(LANGUAGE_COOKIE)
    return session_browser


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="session", autouse=True)
def server_log_holds_no_personal_data(e2e_database: str) -> Iterator[None]:
    """Everything the app logs during the whole browser session (access lines, errors, loads) is
    read at its end: no name, phone or ID number of ``person_contacts`` may be in it (issue 12)."""
    collect = _Collect()
    root = logging.getLogger()
    level = root.level
    root.addHandler(collect)
    root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(collect)
        root.setLevel(level)
    engine = create_engine(e2e_database)
    try:
        with engine.connect() as conn:
            personal = {
                str(value)
                for row in conn.execute(text("SELECT name, phone, id_number FROM person_contacts"))
                for value in row
                if value
            }
    finally:
        engine.dispose()
    assert personal, "the fixture has contacts to look for"
    assert len(collect.lines) > 50, "the browser session was logged"
    leaked = [line for line in collect.lines if any(value in line for value in personal)]
    assert leaked == [], leaked[:3]
