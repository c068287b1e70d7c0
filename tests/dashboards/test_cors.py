"""CORS headers by the setting: none by default, a listed origin with credentials, "*" never with them,
preflights answered for tiles, TileJSON and the APIs only, and the setting checked."""

from __future__ import annotations

import flask
import pytest
from pydantic import ValidationError

from dashboards import _cors
from geo.settings import AppSettings

ORIGIN = "http://127.0.0.1:8183"
PATHS = ("/tiles/buildings/1/0/0.pbf", "/tiles/buildings.json", "/ogc/collections", "/ogc", "/api/v1/loops")


def _server(origins: list[str]) -> flask.Flask:
    server = flask.Flask(__name__)
    _cors.install(server, AppSettings(_env_file=None, cors_origins=origins))

    def answer(path: str = "") -> str:
        return "ok"

    server.add_url_rule("/", "home", answer)
    server.add_url_rule("/<path:path>", "any", answer)
    return server


def _preflight(client: flask.testing.FlaskClient, path: str, origin: str = ORIGIN) -> flask.Response:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )


@pytest.mark.parametrize("path", PATHS)
def test_no_origin_is_allowed_by_default(path: str) -> None:
    client = _server([]).test_client()
    assert "Access-Control-Allow-Origin" not in client.get(path, headers={"Origin": ORIGIN}).headers
    assert "Access-Control-Allow-Origin" not in _preflight(client, path).headers


@pytest.mark.parametrize("path", PATHS)
def test_a_listed_origin_gets_itself_back_with_credentials(path: str) -> None:
    client = _server([ORIGIN]).test_client()
    got = client.get(path, headers={"Origin": ORIGIN}).headers
    assert got["Access-Control-Allow-Origin"] == ORIGIN and got["Access-Control-Allow-Credentials"] == "true"
    assert "Origin" in got["Vary"] and "ETag" in got["Access-Control-Expose-Headers"]
    pre = _preflight(client, path)
    assert pre.status_code == 204
    assert "Authorization" in pre.headers["Access-Control-Allow-Headers"]
    assert "GET" in pre.headers["Access-Control-Allow-Methods"]
    other = client.get(path, headers={"Origin": "http://evil.example"}).headers
    assert "Access-Control-Allow-Origin" not in other


def test_a_wildcard_never_allows_credentials() -> None:
    client = _server(["*"]).test_client()
    got = client.get("/tiles/buildings.json", headers={"Origin": "http://anyone.example"}).headers
    assert got["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in got


@pytest.mark.parametrize("path", ["/", "/house-status", "/_dash-update-component", "/login"])
def test_pages_and_callbacks_take_no_part(path: str) -> None:
    client = _server([ORIGIN]).test_client()
    assert "Access-Control-Allow-Origin" not in client.get(path, headers={"Origin": ORIGIN}).headers
    assert "Access-Control-Allow-Methods" not in _preflight(client, path).headers


@pytest.mark.parametrize(
    "bad", ["http://a.example/", "a.example", "http://a.example/path", "ftp://a.example"]
)
def test_the_setting_names_a_bad_origin(bad: str) -> None:
    with pytest.raises(ValidationError, match="scheme://host"):
        AppSettings(_env_file=None, cors_origins=[bad])


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATTLEMAP_CORS_ORIGINS", f'["{ORIGIN}"]')
    assert AppSettings(_env_file=None).cors_origins == [ORIGIN]
