"""URL keys (``?key=``) over HTTP: they open the tiles and OGC API of the layers they cover, read-only,
nothing else; links keep them; they expire and are revoked; the access log never shows them."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs, urlsplit

import dash
import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from dashboards._auth import CACHE_EXTENSION
from geo import credentials
from tests.auth_support import ensure_user
from tests.fixtures import small_city as city

USER = "qgis-analyst"


def anonymous(app: dash.Dash) -> FlaskClient:
    return FlaskClient(app.server, app.server.response_class, use_cookies=True)


def _key(url: str, layers: list[str], days: int = 3) -> str:
    engine = create_engine(url)
    try:
        ensure_user(engine, USER, role="analyst")
        with engine.begin() as conn:
            return credentials.issue_url_key(conn, USER, layers=layers, days=days)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def key(small_city_url: str) -> str:
    return _key(small_city_url, ["buildings"])


def test_a_key_opens_the_tilejson_tiles_and_features_of_its_layer(city_app: dash.Dash, key: str) -> None:
    client = anonymous(city_app)
    tilejson = client.get(f"/tiles/buildings.json?key={key}")
    assert tilejson.status_code == 200, tilejson.get_data(as_text=True)
    template = tilejson.get_json()["tiles"][0]
    assert parse_qs(urlsplit(template).query)["key"] == [key]
    tile = template.replace("http://localhost", "").replace("{z}/{x}/{y}", "17/109772/53551")
    assert client.get(tile).status_code == 200
    page = client.get(f"/ogc/collections/buildings/items?limit=5&key={key}")
    assert page.status_code == 200, page.get_data(as_text=True)
    body = page.get_json(force=True)
    nxt = next(link["href"] for link in body["links"] if link["rel"] == "next")
    assert parse_qs(urlsplit(nxt).query)["key"] == [key]
    rest = client.get(nxt.replace("http://localhost", "")).get_json(force=True)
    assert [f["id"] for f in body["features"] + rest["features"]] == city.BUILDINGS[:10]
    landing = client.get(f"/ogc?key={key}").get_json()
    assert all(link["href"].endswith(f"key={key}") for link in landing["links"])


@pytest.mark.parametrize(
    "path",
    [
        "/tiles/house-status.json",
        "/tiles/responsibility/17/109772/53551.pbf",
        "/ogc/collections/grids/items",
        "/ogc/collections/cases",
        "/",
        "/house-status",
        "/api/v1/loops",
    ],
)
def test_a_key_is_refused_beyond_its_layers(city_app: dash.Dash, key: str, path: str) -> None:
    response = anonymous(city_app).get(f"{path}{'&' if '?' in path else '?'}key={key}")
    assert response.status_code == 403, (path, response.status_code)
    assert "key" in response.get_json()["error"]


def test_a_key_is_read_only(city_app: dash.Dash, key: str) -> None:
    response = anonymous(city_app).post(f"/ogc/collections/buildings/items?key={key}", json={})
    assert response.status_code in (403, 405)
    refused = anonymous(city_app).post(f"/api/v1/loops?key={key}", json={})
    assert refused.status_code == 403 and "read-only" in refused.get_json()["error"]


def test_a_bearer_token_is_not_a_key_and_a_key_is_not_a_bearer(city_app: dash.Dash, key: str) -> None:
    client = anonymous(city_app)
    assert client.get("/tiles/buildings.json", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert client.get("/tiles/buildings.json?key=bm_not-a-key").status_code == 401


def test_revoked_and_expired_keys_stop(city_app: dash.Dash, small_city_url: str) -> None:
    revoked, expired = _key(small_city_url, ["buildings"]), _key(small_city_url, ["buildings"])
    client = anonymous(city_app)
    assert client.get(f"/tiles/buildings.json?key={revoked}").status_code == 200
    engine = create_engine(small_city_url)
    try:
        with engine.begin() as conn:
            ids = [
                t.id for t in credentials.list_tokens(conn, USER) if t.kind == "url-key" and not t.revoked_at
            ]
            credentials.revoke_tokens(conn, USER, token_id=ids[-2])
            conn.execute(text("UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE id = :i"),
                         {"i": ids[-1]})  # fmt: skip
    finally:
        engine.dispose()
    city_app.server.extensions[CACHE_EXTENSION].forget(("key", revoked))
    for gone in (revoked, expired):
        response = client.get(f"/tiles/buildings.json?key={gone}")
        assert response.status_code == 401 and "URL key" in response.get_json()["error"]


def test_the_access_log_redacts_the_key(
    city_app: dash.Dash, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="dashboards._access_log"):
        anonymous(city_app).get(f"/ogc/collections/buildings/items?limit=1&key={key}")
        anonymous(city_app).get(f"/tiles/house-status.json?key={key}")
    lines = [r.getMessage() for r in caplog.records if r.name == "dashboards._access_log"]
    assert len(lines) == 2 and all("key=REDACTED" in line for line in lines)
    assert not any(key in r.getMessage() or key in str(getattr(r, "http", "")) for r in caplog.records)


def test_reading_with_a_key_is_audited_as_its_user(
    city_app: dash.Dash, key: str, small_city_url: str
) -> None:
    since = time.time()
    anonymous(city_app).get(f"/ogc/collections/buildings/items?key={key}")
    engine = create_engine(small_city_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(text(
                "SELECT user_name, role, detail FROM audit_log WHERE action = 'export' "
                "AND target = 'ogc:buildings' AND at >= to_timestamp(:t) ORDER BY id DESC LIMIT 1"),
                {"t": since - 1}).one()  # fmt: skip
    finally:
        engine.dispose()
    assert row.user_name == USER and row.role == "analyst" and "key" not in row.detail
