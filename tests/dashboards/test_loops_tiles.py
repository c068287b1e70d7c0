"""The loop markers' tiles over HTTP (``/tiles/loops/...``) on a small city of its own: an item opened
or a step completed through the API shows on the next request (the ETag moves with the loop log), the
tiles keep to the signed-in user's grids and carry no note or assignee."""

from __future__ import annotations

import math
from collections.abc import Iterator

import flask
import mapbox_vector_tile
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text

from dashboards import _api, _auth, _loops_api
from dashboards._tiles_routes import register_tile_routes
from geo.settings import Settings
from tests.auth_support import bearer_client_class, token_for
from tests.fixtures.small_city import centre, small_city_database

NOTE = "门口快递堆放"


@pytest.fixture(scope="module")
def city(database_url: str) -> Iterator[tuple[Engine, Settings]]:
    with small_city_database(database_url, "loopstiles") as url:
        engine = create_engine(url)
        yield engine, Settings(_env_file=None, database={"url": url})
        engine.dispose()


@pytest.fixture(scope="module")
def server(city: tuple[Engine, Settings]) -> flask.Flask:
    engine, settings = city
    server = flask.Flask(__name__)
    api = _api.make_spec()
    _loops_api.register(server, api, engine, settings)
    _api.register(server, api)
    register_tile_routes(server, settings, engine)
    _auth.install(server, engine, settings)
    return server


def _client(server: flask.Flask, engine: Engine, name: str, **user: object) -> FlaskClient:
    server.test_client_class = bearer_client_class(token_for(engine, name, **user))
    return server.test_client()


def _url(building: str, z: int = 16) -> str:
    lon, lat = centre(building)
    n = 2**z
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/tiles/loops/{z}/{int((lon + 180) / 360 * n)}/{y}.pbf"


def _markers(response: flask.Response) -> dict[int, dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    layer = mapbox_vector_tile.decode(response.data).get("loops", {"features": []})
    return {int(f["id"]): f["properties"] for f in layer["features"]}


def _building(engine: Engine, source_id: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(text("SELECT id FROM buildings WHERE source_id = :s"), {"s": source_id}).scalar_one()
        )


def test_a_field_write_shows_on_the_next_tile_request(
    server: flask.Flask, city: tuple[Engine, Settings]
) -> None:
    engine, _ = city
    commander = _client(server, engine, "tiles-commander")
    b07 = _building(engine, "b07")
    first = commander.get(_url("b07"))
    assert b07 not in _markers(first) and first.headers["ETag"]
    assert commander.get(_url("b07"), headers={"If-None-Match": first.headers["ETag"]}).status_code == 304

    body = {"kind": "problem_report", "note": NOTE, "building_id": b07}
    opened = commander.post("/api/v1/loops", json=body)
    assert opened.status_code == 201
    after = commander.get(_url("b07"), headers={"If-None-Match": first.headers["ETag"]})
    assert _markers(after)[b07] == {"open": 1, "overdue": 0, "kinds": "problem_report"}
    assert NOTE.encode() not in after.data and b"sim-L" not in after.data

    item = opened.get_json()
    done = commander.post(
        f"/api/v1/loops/{item['id']}/steps/response", json={}, headers={"If-Match": f'"{item["version"]}"'}
    )
    assert done.status_code == 200
    moved = commander.get(_url("b07"), headers={"If-None-Match": after.headers["ETag"]})
    assert moved.status_code == 200 and moved.headers["ETag"] != after.headers["ETag"]

    # A worker of G1 sees no marker of b07 (in G2); one of G2 does.
    g1 = _client(server, engine, "tiles-worker-g1", role="worker", grids=["G1"])
    assert b07 not in _markers(g1.get(_url("b07")))
    g2 = _client(server, engine, "tiles-worker-g2", role="worker", grids=["G2"])
    assert _markers(g2.get(_url("b07")))[b07]["open"] == 1


def test_the_loop_layer_is_described_by_its_tilejson(
    server: flask.Flask, city: tuple[Engine, Settings]
) -> None:
    tilejson = _client(server, city[0], "tiles-analyst", role="analyst").get("/tiles/loops.json").json
    assert {layer["id"] for layer in tilejson["vector_layers"]} == {"loops", "loop_areas"}
    assert set(tilejson["vector_layers"][0]["fields"]) == {"id", "open", "overdue", "kinds"}
