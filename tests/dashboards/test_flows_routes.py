"""The flow tiles over HTTP, served by the generic tile routes: TileJSON, a tile, refused options.

Tile contents are tested in tests/layers/test_flows_tiles.py; here the small city's app (which has
no transfers) shows the URLs and the contract: /tiles/flows/<z>/<x>/<y>.pbf and /tiles/flows.json.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import dash
import mapbox_vector_tile
import pytest
from flask.testing import FlaskClient

from layers.tiles.registry import default_layers


@pytest.fixture
def client(city_app: dash.Dash) -> FlaskClient:
    return city_app.server.test_client()


def test_tilejson_names_the_flow_layers_and_a_tile_url_with_the_clock(client: FlaskClient) -> None:
    response = client.get("/tiles/flows.json?at=2022-04-10T16:30:00%2B08:00&hours=12")
    assert response.status_code == 200, response.get_data(as_text=True)
    doc = response.json
    assert doc["name"] == "flows" and doc["description"] == "Movement-flow map"
    assert {layer["id"] for layer in doc["vector_layers"]} == set(default_layers().get("flows").fields)
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
