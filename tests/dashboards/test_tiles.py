"""Vector tiles and TileJSON over HTTP, decoded: features, attribute names, no personal data, caching."""

from __future__ import annotations

import math

import dash
import mapbox_vector_tile
import pandas as pd
import pytest
from flask.testing import FlaskClient
from pydantic import ValidationError
from sqlalchemy import create_engine, text

from dashboards._tiles_routes import public_root
from geo.personal import PERSONAL_FIELDS
from geo.settings import AppSettings, Settings
from geo.vocab import REQUIRED_CHAIN_LEVELS
from layers.tiles.registry import TileLayers, default_layers
from tests.fixtures import small_city as city

LAYERS = ("buildings", "house-status", "responsibility")
BUILDING_FIELDS = {"grid", "subdistrict", "district"}  # compound: only where there is one


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return z, int((lon + 180) / 360 * n), int(y)


def _url(layer: str, z: int, *, query: str = "", building: str = "b06") -> str:
    z, x, y = _tile_of(*city.centre(building), z)
    return f"/tiles/{layer}/{z}/{x}/{y}.pbf{query}"


@pytest.fixture
def client(city_app: dash.Dash) -> FlaskClient:
    return city_app.server.test_client()


def _decode(client: FlaskClient, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/vnd.mapbox-vector-tile"
    return mapbox_vector_tile.decode(response.data)


def _by_id(layer: dict) -> dict[int, dict]:
    return {f["id"]: f["properties"] for f in layer["features"]}


@pytest.mark.parametrize("layer", LAYERS)
def test_building_zoom_tiles_hold_footprints_with_only_whitelisted_attributes(
    client: FlaskClient, layer: str
) -> None:
    tile = _decode(client, _url(layer, 17))
    # The responsibility map also carries its grids' outlines and labels and its leaders' codes.
    extra = {"areas", "labels", "leaders"} if layer == "responsibility" else set()
    assert {"buildings"} | (extra - {"labels"}) <= set(tile) <= {"buildings"} | extra
    features = tile["buildings"]["features"]
    assert features and all(f["geometry"]["type"] == "Polygon" for f in features)
    fields = default_layers(Settings(_env_file=None)).get(layer).fields
    for feature in features:
        names = set(feature["properties"])
        assert BUILDING_FIELDS <= names <= set(fields["buildings"])
        assert not names & PERSONAL_FIELDS and "name" not in names and "phone" not in names
    for name in extra & set(tile):
        for feature in tile[name]["features"]:
            assert (
                set(feature["properties"]) <= set(fields[name])
                and not set(feature["properties"]) & PERSONAL_FIELDS
            )
    assert city.CONTACT_NAME.encode() not in client.get(_url(layer, 17)).data


def test_house_status_colours_buildings_by_the_worst_household_on_the_date(client: FlaskClient) -> None:
    ids = {b: n for n, b in enumerate(city.BUILDINGS, start=1)}  # loaded in this order
    on = {}
    for date in ("2022-04-02", "2022-04-04"):
        tiles = [
            _decode(client, _url("house-status", 16, query=f"?date={date}", building=b))
            for b in ("b01", "b12")
        ]
        on[date] = {i: p for t in tiles for i, p in _by_id(t["buildings"]).items()}
    assert on["2022-04-02"][ids["b01"]]["status"] == "normal"
    assert on["2022-04-04"][ids["b01"]] | {} == {
        "grid": 1, "compound": 1, "subdistrict": 2, "district": 1,
        "status": "confirmed", "households": 3, "cases": 1, "vulnerable": False,
    }  # fmt: skip
    assert on["2022-04-04"][ids["b05"]]["status"] == "sealed"
    assert on["2022-04-04"][ids["b09"]]["status"] == "home_isolation"
    assert on["2022-04-04"][ids["b02"]]["vulnerable"] is True
    assert on["2022-04-04"][ids["b12"]]["status"] == "normal"


def test_house_status_defaults_to_the_last_day_of_the_history(client: FlaskClient) -> None:
    assert (
        client.get(_url("house-status", 16)).data
        == client.get(_url("house-status", 16, query="?date=2022-04-04")).data
    )
    tilejson = client.get("/tiles/house-status.json").json
    assert "date=2022-04-04" in tilejson["tiles"][0]


@pytest.mark.parametrize(
    ("z", "level", "expected"),
    [
        (
            12,
            "subdistrict",
            {"LJZ": {"buildings": 12, "households": 36, "cases": 1, "buildings_with_cases": 1}},
        ),
        (
            14,
            "grid",
            {"G1": {"buildings": 6, "households": 18, "cases": 1}, "G2": {"buildings": 6, "cases": 0}},
        ),
    ],
)
def test_below_building_zoom_tiles_hold_aggregates_per_area(
    client: FlaskClient, z: int, level: str, expected: dict
) -> None:
    tile = _decode(client, _url("house-status", z, query="?date=2022-04-04"))
    assert set(tile) == {"areas"}
    areas = {f["properties"]["code"]: f["properties"] for f in tile["areas"]["features"]}
    assert set(areas) == set(expected)
    for code, counts in expected.items():
        assert areas[code]["level"] == level
        assert {k: areas[code][k] for k in counts} == counts


def test_responsibility_tiles_count_gaps_and_name_leaders_by_code_only(client: FlaskClient) -> None:
    grids = _decode(client, _url("responsibility", 14))["areas"]["features"]
    assert {f["properties"]["code"]: f["properties"]["gap_buildings"] for f in grids} == {"G1": 0, "G2": 6}
    features = {}
    for b in ("b01", "b12"):
        features |= _by_id(_decode(client, _url("responsibility", 16, building=b))["buildings"])
    b01, b06, b12 = features[1], features[6], features[12]
    assert (b01["leader"], b01["gaps"], b01["grid_code"]) == ("sim-L1", 0, "G1")
    assert (b06["leader"], b06["gaps"]) == ("sim-L2", 0)
    assert "leader" not in b12 and b12["gaps"] == 2  # no cadre in G2, no building leader
    assert "first_gap" not in b01 and b12["first_gap"] == REQUIRED_CHAIN_LEVELS.index("cadre")


@pytest.mark.parametrize("z", [12, 14, 16])
def test_responsibility_tiles_name_each_area_once_and_place_gaps(client: FlaskClient, z: int) -> None:
    """Every zoom: areas with their own ``id`` and their most senior gap, one label point per area;
    below building zoom the gap buildings as points, from it each leader's code as a point."""
    tile = _decode(client, _url("responsibility", z, building="b12"))
    areas = {f["properties"]["name"]: f for f in tile["areas"]["features"]}
    labels = [f["properties"]["name"] for f in tile["labels"]["features"]]
    assert len(labels) == len(set(labels)) and all(
        f["geometry"]["type"] == "Point" for f in tile["labels"]["features"]
    )
    if z >= 13:
        assert set(areas) == {"一网格", "二网格"} and areas["一网格"]["id"] != areas["二网格"]["id"]
        assert areas["二网格"]["properties"]["first_gap"] == REQUIRED_CHAIN_LEVELS.index("cadre")
        assert "first_gap" not in areas["一网格"]["properties"]
    if z < 15:
        gaps = [
            f
            for b in ("b01", "b12")
            for f in _decode(client, _url("responsibility", z, building=b))["gaps"]["features"]
        ]
        assert len({f["id"] for f in gaps}) == len(city.GAP_BUILDINGS)
        assert {f["geometry"]["type"] for f in gaps} == {"Point"}
        assert "buildings" not in tile and "leaders" not in tile
    else:
        codes = {f["properties"]["leader"] for f in tile["leaders"]["features"]}
        assert codes <= set(city.LEADERS) and "gaps" not in tile


def test_the_basemap_is_served_from_our_own_features(client: FlaskClient) -> None:
    tile = _decode(client, _url("basemap", 14, building="b01"))
    assert {"water"} <= set(tile)
    assert tile["water"]["features"][0]["properties"] == {"kind": "river", "name": "黄浦江"}


def test_tilejson_builds_no_url_from_a_host_it_does_not_answer_to(client: FlaskClient) -> None:
    forged = client.get("/tiles/buildings.json", headers={"Host": "evil.example"})
    assert forged.status_code == 400 and "BATTLEMAP_PUBLIC_URL" in forged.json["error"]
    assert "evil.example/tiles" not in forged.get_data(as_text=True)
    served = client.get("/tiles/buildings.json", headers={"Host": "127.0.0.1:8050"})
    assert served.json["tiles"][0].startswith("http://127.0.0.1:8050/tiles/buildings/")


def test_tilejson_urls_start_with_the_public_url_when_one_is_set(city_app: dash.Dash) -> None:
    app = AppSettings(_env_file=None, public_url="https://map.example.org/battlemap/")
    with city_app.server.test_request_context("/tiles/buildings.json", headers={"Host": "evil.example"}):
        assert public_root(app) == "https://map.example.org/battlemap"
    with pytest.raises(ValidationError):
        AppSettings(_env_file=None, public_url="javascript:alert(1)")


@pytest.mark.parametrize("layer", [*LAYERS, "basemap"])
def test_tilejson_describes_the_layer(client: FlaskClient, layer: str) -> None:
    response = client.get(f"/tiles/{layer}.json")
    assert response.status_code == 200
    doc = response.json
    assert doc["tilejson"] == "3.0.0" and doc["name"] == layer
    assert doc["tiles"][0].startswith(f"http://localhost/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf?")
    west, south, *_ = doc["bounds"]
    assert west == pytest.approx(city.WEST) and south == pytest.approx(city.SOUTH)
    fields = {v["id"]: v["fields"] for v in doc["vector_layers"]}
    assert fields == {
        k: dict(v) for k, v in default_layers(Settings(_env_file=None)).get(layer).fields.items()
    }
    assert not PERSONAL_FIELDS & {f for v in fields.values() for f in v}


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/tiles/nowhere/1/0/0.pbf", 404, "unknown tile layer 'nowhere'"),
        ("/tiles/nowhere.json", 404, "unknown tile layer"),
        ("/tiles/buildings/3/8/0.pbf", 400, "tile 3/8/0 does not exist"),
        ("/tiles/buildings/23/0/0.pbf", 400, "tile zoom 23 is out of range"),
        ("/tiles/house-status/16/0/0.pbf?date=04/06/2022", 400, "date must be YYYY-MM-DD"),
        ("/tiles/buildings/16/0/0.pbf?date=2022-04-04", 400, "takes no parameter ['date']"),
    ],
)
def test_bad_requests_get_a_status_and_a_message(
    client: FlaskClient, url: str, status: int, message: str
) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert message in response.json["error"]


def test_tiles_carry_an_etag_and_revalidate(client: FlaskClient) -> None:
    first = client.get(_url("house-status", 16))
    assert first.headers["Cache-Control"] == "no-cache" and first.headers["ETag"]
    again = client.get(_url("house-status", 16), headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other_day = client.get(_url("house-status", 16, query="?date=2022-04-02"))
    assert other_day.headers["ETag"] != first.headers["ETag"]


def test_a_status_update_shows_on_the_next_request(client: FlaskClient, small_city_url: str) -> None:
    url = _url("house-status", 16, query="?date=2022-04-04", building="b12")
    before = _by_id(_decode(client, url)["buildings"])
    etag = client.get(url).headers["ETag"]
    version = client.get("/tiles/version").json["version"]
    engine = create_engine(small_city_url)
    try:
        city._load(
            engine,
            "status",
            pd.DataFrame([{"household": "h-b12-1", "status": "asymptomatic", "valid_from": "2022-04-04"}]),
        )
        after = client.get(url, headers={"If-None-Match": etag})
        assert after.status_code == 200
        assert _by_id(mapbox_vector_tile.decode(after.data)["buildings"])[12]["status"] == "asymptomatic"
        assert before[12]["status"] == "normal"
        assert client.get("/tiles/version").json["version"] > version
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM house_status WHERE status = 'asymptomatic'"))
            conn.execute(
                text("UPDATE data_versions SET version = version + 1 WHERE table_name = 'house_status'")
            )
        engine.dispose()


@pytest.mark.parametrize(
    "statement", ["UPDATE grids SET name = name", "UPDATE house_status SET status = status"]
)
def test_a_write_outside_the_loaders_changes_the_tile_etag(
    client: FlaskClient, small_city_url: str, statement: str
) -> None:
    """A DBA's statement (no load, no bump of its own) still invalidates cached tiles: the trigger of
    migration 0007 bumps the data version the ETag is made of."""
    url = _url("house-status", 16, query="?date=2022-04-04", building="b12")
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    engine = create_engine(small_city_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()
    after = client.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag


def test_the_registry_refuses_to_replace_a_layer_silently() -> None:
    registry = default_layers(Settings(_env_file=None))
    layer = registry.get("buildings")
    with pytest.raises(Exception, match="already registered"):
        registry.register(layer)
    registry.register(layer, overwrite=True)
    assert TileLayers([layer]).names() == ("buildings",)
