"""Several app processes sharing one Redis cache: `battlemap serve --workers 2` (gunicorn) beside a
single-process `battlemap serve` (waitress), both against the small city and the real Redis.

A tile computed by one process is a hit in the others; after a load changes the data, every process
misses once (the key names the data version) and the new tile is shared again.
"""

from __future__ import annotations

import http.cookiejar
import math
import os
import re
import subprocess
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from tests.auth_support import token_on
from tests.fixtures.processes import call, served
from tests.fixtures.small_city import SOUTH, WEST, small_city_database

pytestmark = pytest.mark.slow  # real server processes and clusters: the full lane only

REDIS_URL = os.environ.get("BATTLEMAP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _tile_path(z: int = 16) -> str:
    n = 2**z
    x = int((WEST + 180) / 360 * n)
    lat = math.radians(SOUTH)
    y = int((1 - math.asinh(math.tan(lat)) / math.pi) / 2 * n)
    return f"/tiles/house-status/{z}/{x}/{y}.pbf?date=2022-04-04"


@pytest.fixture(scope="module")
def city(database_url: str) -> Iterator[str]:
    with small_city_database(database_url, "procs") as url:
        yield url


@pytest.fixture(scope="module")
def servers(city: str) -> Iterator[list[str]]:
    """Two servers on one Redis namespace of this run: gunicorn with 2 workers, and waitress."""
    env = {
        "DATABASE_URL": city,
        "BATTLEMAP_REDIS_URL": REDIS_URL,
        "BATTLEMAP_REDIS_PREFIX": f"test-{uuid.uuid4().hex[:8]}",
    }
    with (
        served(env, "--workers", "2", "--threads", "2") as gunicorn,
        served(env, "--threads", "2") as waitress,
    ):
        yield [gunicorn, waitress]


def _get(url: str, token: str) -> tuple[str, bytes]:
    status, headers, body = call(url, token)
    assert status == 200, body
    return headers["X-Cache"], body


def test_a_tile_computed_by_one_process_is_a_hit_in_the_others(servers: list[str], city: str) -> None:
    token = token_on(city)
    gunicorn, waitress = servers
    path = _tile_path()
    first, body = _get(gunicorn + path, token)
    assert first == "miss" and body
    # the other server, and whichever gunicorn worker answers next, find it in Redis
    assert _get(waitress + path, token) == ("hit", body)
    assert {_get(gunicorn + path, token)[0] for _ in range(6)} == {"hit"}


def test_a_load_makes_every_process_miss_once_then_share_again(servers: list[str], city: str) -> None:
    token = token_on(city)
    gunicorn, waitress = servers
    path = _tile_path()
    _get(gunicorn + path, token)
    assert _get(waitress + path, token)[0] == "hit"
    engine = create_engine(city)
    try:
        with engine.begin() as conn:  # what any load does: the table's version moves on
            conn.execute(
                text("UPDATE data_versions SET version = version + 1 WHERE table_name = 'buildings'")
            )
    finally:
        engine.dispose()
    assert _get(waitress + path, token)[0] == "miss"
    assert _get(gunicorn + path, token)[0] == "hit"


def test_gunicorn_runs_the_asked_number_of_processes(servers: list[str]) -> None:
    port = servers[0].rsplit(":", 1)[1]
    listing = subprocess.run(
        ["ps", "-ww", "-eo", "pid,ppid,args"], capture_output=True, text=True, check=True
    ).stdout
    masters = [ln.split() for ln in listing.splitlines() if f"--port {port}" in ln and "--workers 2" in ln]
    master_pids = {m[0] for m in masters}
    children = [m for m in masters if m[1] in master_pids]
    assert len(children) == 2, listing


def test_a_sign_in_on_one_process_holds_on_every_process(servers: list[str], city: str) -> None:
    """The browser's way in (the form, a session cookie), then requests spread over gunicorn's
    workers: every one of them knows the session (one signing key, sessions in the database)."""
    from tests.auth_support import PASSWORD, ensure_user

    engine = create_engine(city)
    ensure_user(engine, "procs-browser")
    engine.dispose()
    gunicorn = servers[0]
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{gunicorn}/login", timeout=30).read().decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None
    body = urllib.parse.urlencode({"csrf": csrf[1], "name": "procs-browser", "password": PASSWORD}).encode()
    request = urllib.request.Request(f"{gunicorn}/login", data=body, headers={"Origin": gunicorn})
    opener.open(request, timeout=30).read()
    assert any(c.name == "battlemap_session" for c in jar)
    answers = [opener.open(f"{gunicorn}/tiles/version", timeout=30) for _ in range(8)]
    assert {(a.status, a.url.endswith("/tiles/version")) for a in answers} == {(200, True)}
