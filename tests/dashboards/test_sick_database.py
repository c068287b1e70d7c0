"""The server under a hung database: 503s within seconds, while what needs no database keeps answering.

The database is made to hang, not to go away: a TCP proxy in front of it accepts new connections
and never answers them (what a stopped postmaster does). The app runs under waitress with its
usual eight threads, as ``battlemap serve`` runs it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import waitress.server
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from app import create_app
from geo.settings import Settings
from tests.auth_support import token_on
from tests.tcp_proxy import TcpProxy

TILE = "/tiles/house-status/17/109781/53561.pbf?date=2022-04-04"
THREADS = 8


@pytest.fixture(scope="module")
def proxy(small_city_url: str) -> Iterator[TcpProxy]:
    url = make_url(small_city_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def served(small_city_url: str, proxy: TcpProxy) -> Iterator[tuple[str, str, Engine]]:
    """The app on the database behind ``proxy``, served by waitress: base URL, a commander's token
    and the app's engine."""
    token = token_on(small_city_url, "sick-db-boss")
    via_proxy = make_url(small_city_url).set(host="127.0.0.1", port=proxy.port)
    database = {"url": via_proxy.render_as_string(hide_password=False), "connect_timeout_s": 2}
    settings = Settings(_env_file=None, database=database)
    app = create_app(settings)
    server = waitress.server.create_server(app.server, host="127.0.0.1", port=0, threads=THREADS)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}", token, app.server.extensions["battlemap"].engine
    finally:
        proxy.restore()
        server.close()
        app.server.extensions["battlemap"].engine.dispose()


def _timed_get(url: str, **kwargs: object) -> tuple[int | None, float, str]:
    start = time.monotonic()
    try:
        response = requests.get(url, timeout=20, **kwargs)  # type: ignore[arg-type]
    except requests.RequestException:
        return None, time.monotonic() - start, ""
    return response.status_code, time.monotonic() - start, response.text


def test_a_hung_database_gives_503s_quickly_and_the_rest_keeps_answering(
    served: tuple[str, str, Engine], proxy: TcpProxy, small_city_url: str
) -> None:
    base, token, engine = served
    real_url = small_city_url  # tokens are issued on the database itself, not through the proxy
    assert _timed_get(f"{base}{TILE}", headers={"Authorization": f"Bearer {token}"})[0] == 200
    proxy.stall()
    # The pooled connections are closed (as after a restart, or pool_pre_ping finding them dead):
    # every request needs a new one.
    engine.dispose()
    # More tile requests than the server has threads, each needing a new database connection
    # (another user's token: nothing is cached for it yet).
    other = token_on(real_url, "sick-db-analyst", role="analyst")
    auth = {"Authorization": f"Bearer {other}"}
    with ThreadPoolExecutor(max_workers=3 * THREADS) as pool:
        tiles = [pool.submit(_timed_get, f"{base}{TILE}", headers=auth) for _ in range(2 * THREADS)]
        time.sleep(0.3)  # the tiles are queued first
        login = pool.submit(_timed_get, f"{base}/login")
        css = pool.submit(_timed_get, f"{base}/assets/battlemap.css")
        health = pool.submit(_timed_get, f"{base}/health")
        answered = {"login": login.result(), "css": css.result(), "health": health.result()}
        tile_answers = [t.result() for t in tiles]
    assert answered["login"][0] == 200 and answered["login"][1] < 8, answered["login"][:2]
    assert answered["css"][0] == 200 and answered["css"][1] < 8, answered["css"][:2]
    assert answered["health"][0] == 503 and answered["health"][1] < 8, answered["health"][:2]
    assert {status for status, _, _ in tile_answers} == {503}, [a[:2] for a in tile_answers]
    assert max(seconds for _, seconds, _ in tile_answers) < 12
    # The database recovers: so does the app, by itself.
    proxy.restore()
    deadline = time.monotonic() + 15
    while _timed_get(f"{base}/health")[0] != 200:
        assert time.monotonic() < deadline, "the app did not recover after the database did"
        time.sleep(0.5)
    assert _timed_get(f"{base}{TILE}", headers=auth)[0] == 200


def test_health_and_public_do_not_tell_anonymous_callers_where_the_database_is(
    served: tuple[str, str, Engine], proxy: TcpProxy
) -> None:
    base, _, _ = served
    proxy.cut()
    try:
        for path in ("/health", "/public", "/public?format=json"):
            status, _, body = _timed_get(f"{base}{path}")
            assert status == 503, (path, status)
            assert "127.0.0.1" not in body and str(proxy.port) not in body, (path, body)
            assert "port" not in body.lower(), (path, body)
    finally:
        proxy.restore()
