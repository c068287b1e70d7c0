"""Hostile parameters: every request parameter with injection strings gives a 4xx (never a 500)
and changes nothing in the database; and the audit log gets one row per audited action."""

from __future__ import annotations

from collections.abc import Iterator

import dash
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text

from geo.settings import Settings
from tests.auth_support import token_for
from tests.fixtures import small_city as city

HOSTILE = (
    "' OR '1'='1",
    "1; DROP TABLE buildings; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%00",
    "nan",
    "inf",
    "-1",
    "99999999999999999999999",
    "2022-04-04' --",
)
"""(An empty value means "not given": the default applies.)"""
LON, LAT = city.centre("b01")
# Every endpoint with its parameters, and valid values for the ones not under attack.
ENDPOINTS: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/tiles/house-status/17/109781/53561.pbf", {"date": "2022-04-04", "crs": "wgs84", "v": "1"}),
    ("GET", "/tiles/house-status.json", {"date": "2022-04-04", "crs": "wgs84", "v": "1"}),
    ("GET", "/api/risk/simulate", {"lon": str(LON), "lat": str(LAT), "date": "2022-04-04", "crs": "wgs84"}),
    ("GET", "/api/risk/areas", {"date": "2022-04-04", "bbox": "121.49,31.23,121.51,31.25"}),
    ("POST", "/api/risk/areas", {"lon": str(LON), "lat": str(LAT), "date": "2022-04-04", "level": "medium"}),
    (
        "GET",
        "/print/atlas.pdf",
        {"grids": "G1", "layer": "house-status", "date": "2022-04-04", "paper": "A4", "orientation": "auto"},
    ),
    ("GET", "/public", {"date": "2022-04-04", "format": "json"}),
]
TABLES = ("buildings", "households", "house_status", "risk_areas", "users", "person_contacts")


@pytest.fixture(scope="module")
def city_engine(city_settings: Settings) -> Iterator[Engine]:
    engine = create_engine(city_settings.database.url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def commander(city_app: dash.Dash, city_engine: Engine) -> FlaskClient:
    client = FlaskClient(city_app.server, city_app.server.response_class)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token_for(city_engine, 'hard-boss')}"
    return client


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


@pytest.mark.slow
def test_hostile_parameters_give_4xx_and_change_nothing(commander: FlaskClient, city_engine: Engine) -> None:
    before = _counts(city_engine)
    failures = []
    for method, path, valid in ENDPOINTS:
        for name in valid:
            for value in HOSTILE:
                params = valid | {name: value}
                if method == "GET":
                    response = commander.get(path, query_string=params)
                else:
                    response = commander.post(path, json=params)
                if not 400 <= response.status_code < 500:
                    failures.append((method, path, name, value, response.status_code))
                else:
                    body = response.get_data(as_text=True)
                    assert "Traceback" not in body and "psycopg" not in body, (path, name, value)
    assert failures == [], "\n".join(map(str, failures))
    assert _counts(city_engine) == before


@pytest.mark.parametrize(
    "path",
    [
        "/tiles/house-status/99/1/1.pbf",
        "/tiles/house-status/17/-1/1.pbf",
        "/tiles/nope' OR 1=1/17/1/1.pbf",
        "/tiles/..%2F..%2Fetc.json",
        "/api/buildings/1' OR 1=1/contacts",
        "/api/buildings/99999999999999999999999/contacts",
    ],
)
def test_hostile_paths_give_4xx(commander: FlaskClient, path: str) -> None:
    assert 400 <= commander.get(path).status_code < 500


def _audit_rows(engine: Engine, user: str) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        sql = text("SELECT action, target FROM audit_log WHERE user_name = :u ORDER BY at, id")
        return [tuple(r) for r in conn.execute(sql, {"u": user})]


@pytest.mark.slow
def test_each_audited_action_leaves_exactly_one_row(city_app: dash.Dash, city_engine: Engine) -> None:
    client = FlaskClient(city_app.server, city_app.server.response_class)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token_for(city_engine, 'auditee')}"
    with city_engine.connect() as conn:
        b01 = conn.execute(text("SELECT id FROM buildings WHERE source_id = 'b01'")).scalar_one()
    assert client.get("/print/atlas.pdf?grids=G1").status_code == 200
    assert client.get("/print/atlas.pdf?grids=G1&internal=1").status_code == 200
    assert client.get(f"/api/buildings/{b01}/contacts").status_code == 200
    declared = client.post("/api/risk/areas", json={"lon": LON, "lat": LAT, "date": "2022-04-04"})
    assert declared.status_code == 201, declared.get_data(as_text=True)
    area = declared.json["risk_area_id"]
    assert client.get("/tiles/version").status_code == 200  # reads of no personal data: not audited
    assert _audit_rows(city_engine, "auditee") == [
        ("export", "atlas:G1"),
        ("export", "atlas:G1"),
        ("view_personal", "atlas:G1"),
        ("view_personal", f"building:{b01}"),
        ("risk_declare", f"risk_area:{area}"),
    ]
