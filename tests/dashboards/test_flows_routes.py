"""The flow tiles over HTTP, served by the generic tile routes: TileJSON, a tile, refused options.

Tile contents are tested in tests/layers/test_flows_tiles.py; here the small city's app (which has
no transfers) shows the URLs and the contract: /tiles/flows/<z>/<x>/<y>.pbf and /tiles/flows.json.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import dash
import flask
import mapbox_vector_tile
import pytest
from flask.testing import FlaskClient

from dashboards._tiles_routes import register_tile_routes
from geo.db import make_engine
from geo.settings import Settings
from layers.tiles.registry import default_layers
from tests.auth_support import guard_bare_server, token_for


@pytest.fixture
def client(city_app: dash.Dash) -> FlaskClient:
    return city_app.server.test_client()


def test_tilejson_names_the_flow_layers_and_a_tile_url_with_the_clock(client: FlaskClient) -> None:
    response = client.get("/tiles/flows.json?at=2022-04-10T16:30:00%2B08:00&hours=12")
    assert response.status_code == 200, response.get_data(as_text=True)
    doc = response.json
    assert doc["name"] == "flows" and doc["description"] == "Movement-flow map"
    assert {layer["id"] for layer in doc["vector_layers"]} == set(
        default_layers(Settings(_env_file=None)).get("flows").fields
    )
    url = urlsplit(doc["tiles"][0])
    assert url.path == "/tiles/flows/{z}/{x}/{y}.pbf"
    query = parse_qs(url.query)
    assert (
        query["at"] == ["2022-04-10T08:30:00Z"]
        and query["hours"] == ["12.0"]
        and query["deadline"] == ["6.0"]
    )
    # The URL TileJSON gives serves a tile.
    tile = client.get(f"/tiles/flows/11/1715/837.pbf?{url.query}")
    assert tile.status_code == 200 and tile.mimetype == "application/vnd.mapbox-vector-tile"
    assert isinstance(mapbox_vector_tile.decode(tile.data), dict)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("hours=0", "hours was 0.0 but must be more than 0"),
        ("at=noon", "at was 'noon'"),
        ("date=2022-04-10", "takes no parameter"),
    ],
)
def test_bad_options_are_a_400_naming_the_option(client: FlaskClient, query: str, message: str) -> None:
    response = client.get(f"/tiles/flows/11/1715/837.pbf?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_bare_tilejson_url_takes_the_configured_window_and_deadline(
    monkeypatch: pytest.MonkeyPatch, small_city_url: str
) -> None:
    """``BATTLEMAP_FLOWS_DEADLINE_HOURS`` (and the window) reach the layer: not the class defaults."""
    monkeypatch.setenv("BATTLEMAP_FLOWS_DEADLINE_HOURS", "2.5")
    monkeypatch.setenv("BATTLEMAP_FLOWS_WINDOW_HOURS", "5")
    settings = Settings(_env_file=None, database={"url": small_city_url})
    engine = make_engine(settings.database)
    try:
        server = flask.Flask(__name__)
        register_tile_routes(server, settings, engine)
        guard_bare_server(server, engine, settings, token_for(engine, "test-commander"))
        doc = server.test_client().get("/tiles/flows.json?at=2022-04-10T16:30:00%2B08:00").json
    finally:
        engine.dispose()
    query = parse_qs(urlsplit(doc["tiles"][0]).query)
    assert query["deadline"] == ["2.5"] and query["hours"] == ["5.0"]
