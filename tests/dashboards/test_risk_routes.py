"""The risk overlay's HTTP routes, through the Flask test client against the committed risk world."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import flask
import pytest
from sqlalchemy import Engine, create_engine, text

from dashboards import _risk_routes
from geo.risk.store import record_step, save_risk_area
from geo.risk.zones import declare_risk_area
from geo.settings import Settings
from geo.vocab import CHINA_TZ
from tests.auth_support import guard_bare_server, token_for
from tests.risk_world import CASE, DATE, DECLARE_AUDIT_KEYS


@pytest.fixture(scope="module")
def world_engine(risk_world_url: str) -> Iterator[Engine]:
    engine = create_engine(risk_world_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def client(world_engine: Engine, risk_world_url: str) -> flask.testing.FlaskClient:
    server = flask.Flask(__name__)
    settings = Settings(_env_file=None, database={"url": risk_world_url})
    _risk_routes.register(server, world_engine, settings)
    guard_bare_server(server, world_engine, settings, token_for(world_engine, "test-commander"))
    return server.test_client()


def test_simulate_returns_zones_and_counts_within_a_second(client: flask.testing.FlaskClient) -> None:
    client.get(f"/api/risk/simulate?lon={CASE[0]}&lat={CASE[1]}&date={DATE}")  # warm the pool
    started = time.perf_counter()
    response = client.get(f"/api/risk/simulate?lon={CASE[0]}&lat={CASE[1]}&date={DATE}")
    assert time.perf_counter() - started < 1.0
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert body["type"] == "FeatureCollection"
    props = [f["properties"] for f in body["features"]]
    assert [p["zone"] for p in props] == ["sealed", "control", "prevention"]
    assert [p["buildings"] for p in props] == [2, 4, 5]
    assert props[0]["rules"] == {"sealed:case_building": 1, "sealed:compound": 1}
    assert body["features"][0]["geometry"]["type"] == "MultiPolygon"
    assert body["summary"]["zones"]["sealed"]["households_by_status"] == {"confirmed": 1, "sealed": 2}


def test_areas_of_a_day_carry_their_sop_clock(
    client: flask.testing.FlaskClient, world_engine: Engine
) -> None:
    declared = dt.datetime(2022, 4, 10, 9, tzinfo=CHINA_TZ)
    with world_engine.begin() as conn:
        area_id = save_risk_area(conn, declare_risk_area(conn, [CASE], date=DATE), declared_at=declared)
        record_step(conn, area_id, "announce", done_at=declared + dt.timedelta(hours=1))
    body = client.get("/api/risk/areas?date=2022-04-11").get_json()
    mine = [f for f in body["features"] if f["properties"]["risk_area_id"] == area_id]
    assert [f["properties"]["zone"] for f in mine] == ["sealed", "control", "prevention"]
    sop = mine[0]["properties"]["sop"]
    assert sop["state"] == "active" and "announce" not in sop["due"] + sop["overdue"]
    assert client.get("/api/risk/areas?date=2022-04-09").get_json()["features"] == []


@pytest.mark.parametrize(
    "query, status, words",
    [
        ("/api/risk/simulate?lon=116.4&lat=39.9&date=2022-04-10", 400, "no loaded building"),
        ("/api/risk/simulate?lat=31.24", 400, "`lon` was None"),
        ("/api/risk/simulate?lon=nan&lat=31.24", 400, "finite"),
        (f"/api/risk/simulate?lon={CASE[0]}&lat={CASE[1]}&crs=mars", 400, "crs"),
        (f"/api/risk/simulate?lon={CASE[0]}&lat={CASE[1]}&date=tomorrow", 400, "YYYY-MM-DD"),
        ("/api/risk/areas?date=2022-04-10&bbox=1,2", 400, "bbox"),
    ],
)
def test_bad_requests_are_json_errors(
    client: flask.testing.FlaskClient, query: str, status: int, words: str
) -> None:
    response = client.get(query)
    assert response.status_code == status
    assert words in response.get_json()["error"]


def test_post_declares_the_simulated_area(client: flask.testing.FlaskClient, world_engine: Engine) -> None:
    """The map's "confirm and declare": the zones are computed again and stored, active from that day."""
    response = client.post("/api/risk/areas", json={"lon": CASE[0], "lat": CASE[1], "date": "2022-04-20"})
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    area_id = body["risk_area_id"]
    assert [body["zones"][z]["buildings"] for z in ("sealed", "control", "prevention")] == [2, 4, 5]
    with world_engine.connect() as conn:
        declared = conn.execute(
            text("SELECT declared_at FROM risk_areas WHERE id = :a"), {"a": area_id}
        ).scalar_one()
        zoned = conn.execute(
            text("SELECT count(*) FROM risk_area_buildings WHERE risk_area_id = :a"), {"a": area_id}
        ).scalar_one()
        audited = conn.execute(
            text("SELECT detail FROM audit_log WHERE action = 'risk_declare' AND target = :t"),
            {"t": f"risk_area:{area_id}"},
        ).scalar_one()
    assert set(audited) == DECLARE_AUDIT_KEYS  # the same shape as the CLI's and the panel's
    assert declared == dt.datetime(2022, 4, 20, tzinfo=CHINA_TZ) and zoned == 11
    on_day = client.get("/api/risk/areas?date=2022-04-20").get_json()["features"]
    assert area_id in {f["properties"]["risk_area_id"] for f in on_day}
    bad = client.post("/api/risk/areas", data={"lon": "east", "lat": str(CASE[1])})
    assert bad.status_code == 400 and "`lon` was 'east'" in bad.get_json()["error"]
