"""The served app on a primary with a hot standby (real clusters on loopback ports): the standby's
health in /health, a field status change seen at once by its writer and on the standby-served tile
within a second by everyone, and a killed standby costing no failed request."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator

import mapbox_vector_tile
import pytest
from sqlalchemy import create_engine, text

from tests.auth_support import token_on
from tests.fixtures.clusters import Pair, primary_with_standby
from tests.fixtures.processes import call, served
from tests.fixtures.small_city import centre

pytestmark = pytest.mark.slow  # real server processes and clusters: the full lane only

DAY = "2022-04-06"


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    with primary_with_standby() as made:
        yield made


@pytest.fixture(scope="module")
def app_url(pair: Pair) -> Iterator[str]:
    env = {"DATABASE_URL": pair.primary_url, "BATTLEMAP_DATABASE_READ_URLS": pair.standby_url}
    with served(env, "--threads", "4") as url:
        yield url


def _status_on_tile(url: str, token: str, building: str, building_id: int) -> str:
    lon, lat = centre(building)
    n = 2**17
    x, y = int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    status, _, body = call(f"{url}/tiles/house-status/17/{x}/{y}.pbf?date={DAY}", token)
    assert status == 200, body
    features = mapbox_vector_tile.decode(body)["buildings"]["features"]
    found = [f["properties"]["status"] for f in features if f["id"] == building_id]
    return str(found[0]) if found else "?"


def _ids(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        household = conn.execute(text("SELECT id FROM households WHERE source_id = 'h-b02-3'")).scalar_one()
        building = conn.execute(text("SELECT id FROM buildings WHERE source_id = 'b02'")).scalar_one()
    engine.dispose()
    return household, building


def test_health_reports_the_standby(app_url: str, pair: Pair) -> None:
    status, _, body = call(f"{app_url}/health", token_on(pair.primary_url))
    assert status == 200
    (standby,) = json.loads(body)["standbys"]
    assert standby["name"] == "standby 1" and standby["in_rotation"] is True
    assert "127.0.0.1" not in body.decode()  # where a database is stays out of a public answer


def test_a_field_change_is_never_missing_for_its_writer(app_url: str, pair: Pair) -> None:
    writer = token_on(pair.primary_url, "replica-commander")
    other = token_on(pair.primary_url, "replica-other")
    household, building = _ids(pair.primary_url)
    assert _status_on_tile(app_url, other, "b02", building) == "normal"
    admin = create_engine(pair.standby_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:  # hold the standby back: it cannot replay the change yet
            conn.execute(text("SELECT pg_wal_replay_pause()"))
        body = {"status": "home_isolation", "valid_from": DAY}
        status, _, answer = call(f"{app_url}/api/v1/households/{household}/status", writer, body=body)
        assert status == 201, answer
        assert _status_on_tile(app_url, writer, "b02", building) == "home_isolation"
        assert _status_on_tile(app_url, other, "b02", building) == "normal"  # the standby, behind
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_wal_replay_resume()"))
        admin.dispose()
    deadline = time.monotonic() + 1.0
    while _status_on_tile(app_url, other, "b02", building) != "home_isolation":
        assert time.monotonic() < deadline, "the standby-served tile did not show the change within 1 s"
        time.sleep(0.05)


def test_a_killed_standby_costs_no_failed_request(app_url: str, pair: Pair) -> None:
    token = token_on(pair.primary_url, "replica-viewer")
    _, building = _ids(pair.primary_url)
    pair.standby.stop(mode="immediate")
    try:
        for _ in range(10):
            assert _status_on_tile(app_url, token, "b02", building) in {"normal", "home_isolation"}
        status, _, body = call(f"{app_url}/health", token)
        assert status == 200 and json.loads(body)["standbys"][0]["in_rotation"] is False
    finally:
        pair.standby.start()
