"""An operator limited to grid G1 gets none of G2's data: tiles (a border tile holds only their
buildings), GeoJSON, features, cards, contacts and printed atlases. And personal fields never come
out of any tile or GeoJSON, whoever asks."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import dash
import mapbox_vector_tile
import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text

from geo import features as feature_reads
from geo.card import building_card
from geo.contacts import building_contacts
from geo.errors import NotFound
from geo.features import FEATURE_KINDS
from geo.personal import PERSONAL_FIELDS
from geo.scope import load_scope
from geo.settings import Settings
from geo.status.kpis import kpis
from geo.status.read import find_buildings
from tests.auth_support import token_for
from tests.fixtures import small_city as city

LAYERS = ("buildings", "house-status", "responsibility")


@pytest.fixture(scope="module")
def city_engine(city_settings: Settings) -> Iterator[Engine]:
    engine = create_engine(city_settings.database.url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def ids(city_engine: Engine) -> dict[str, int]:
    """Internal building ids by fixture name (b01..b12)."""
    with city_engine.connect() as conn:
        return {s: i for s, i in conn.execute(text("SELECT source_id, id FROM buildings"))}


def _client(app: dash.Dash, token: str) -> FlaskClient:
    client = FlaskClient(app.server, app.server.response_class, use_cookies=True)
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


@pytest.fixture(scope="module")
def operator(city_app: dash.Dash, city_engine: Engine) -> FlaskClient:
    return _client(city_app, token_for(city_engine, "op-g1", role="operator", grids=["G1"]))


@pytest.fixture(scope="module")
def commander(city_app: dash.Dash, city_engine: Engine) -> FlaskClient:
    return _client(city_app, token_for(city_engine, "boss"))


def _tiles(z: int) -> list[tuple[int, int, int]]:
    """Every tile at zoom ``z`` over the small city."""
    west, south, _, _ = city.footprint("b01")
    _, _, east, north = city.footprint(city.BUILDINGS[-1])
    n = 2**z

    def xy(lon: float, lat: float) -> tuple[int, int]:
        y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
        return int((lon + 180) / 360 * n), int(y)

    (x0, y0), (x1, y1) = xy(west, north), xy(east, south)
    return [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def _decoded(client: FlaskClient, layer: str, z: int) -> dict[str, list[dict]]:
    """Every feature's properties per tile layer, over all tiles of the city at ``z``."""
    found: dict[str, list[dict]] = {}
    for z_, x, y in _tiles(z):
        query = f"?date={city.LAST_DAY}" if layer == "house-status" else ""
        response = client.get(f"/tiles/{layer}/{z_}/{x}/{y}.pbf{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        for name, tile_layer in mapbox_vector_tile.decode(response.data).items():
            features = [f["properties"] | {"_id": f.get("id")} for f in tile_layer["features"]]
            found.setdefault(name, []).extend(features)
    return found


@pytest.mark.parametrize("layer", LAYERS)
def test_building_tiles_hold_only_the_operators_buildings(
    operator: FlaskClient, commander: FlaskClient, ids: dict[str, int], layer: str
) -> None:
    g1 = {ids[b] for b in city.G1}
    mine = {f["_id"] for f in _decoded(operator, layer, 17)["buildings"]}
    everything = {f["_id"] for f in _decoded(commander, layer, 17)["buildings"]}
    assert everything == set(ids.values())  # the tiles do cover the whole city
    assert mine == g1  # the border tiles too: not one G2 footprint


@pytest.mark.parametrize("layer", LAYERS)
def test_area_tiles_aggregate_only_the_operators_buildings(
    operator: FlaskClient, commander: FlaskClient, layer: str
) -> None:
    # An area meeting several tiles comes in each, with the same aggregates.
    grids = {(f["code"], f["buildings"]) for f in _decoded(operator, layer, 14)["areas"]}
    assert grids == {("G1", len(city.G1))}
    subdistricts = {(f["code"], f["buildings"]) for f in _decoded(operator, layer, 11)["areas"]}
    assert subdistricts == {("LJZ", len(city.G1))}
    whole = {(f["code"], f["buildings"]) for f in _decoded(commander, layer, 11)["areas"]}
    assert whole == {("LJZ", len(city.BUILDINGS))}


def test_tilejson_bounds_are_the_operators_area(operator: FlaskClient, commander: FlaskClient) -> None:
    mine = operator.get("/tiles/buildings.json").json["bounds"]
    whole = commander.get("/tiles/buildings.json").json["bounds"]
    assert mine[2] < whole[2] and mine[0] == pytest.approx(whole[0])


def test_feature_reads_keep_to_the_scope(city_engine: Engine) -> None:
    with city_engine.connect() as conn:
        user = conn.execute(text("SELECT id FROM users WHERE name = 'op-g1'")).scalar_one()
        scope = load_scope(conn, user)
        assert sorted(feature_reads.read_buildings(conn, scope=scope)["id"]) == sorted(city.G1)
        assert sorted(feature_reads.read_grids(conn, scope=scope)["code"]) == ["G1"]
        households = feature_reads.read_households(conn, scope=scope, date=city.LAST_DAY)
        assert {h.split("-")[1] for h in households["id"]} == set(city.G1)
        chain = feature_reads.read_features(conn, "responsibility", scope=scope)
        assert set(chain["scope"]) <= {"G1", "LJZ", *city.G1}
        assert len(feature_reads.read_buildings(conn)) == len(city.BUILDINGS)


def test_cards_kpis_and_search_keep_to_the_scope(city_engine: Engine, ids: dict[str, int]) -> None:
    with city_engine.connect() as conn:
        user = conn.execute(text("SELECT id FROM users WHERE name = 'op-g1'")).scalar_one()
        scope = load_scope(conn, user)
        assert building_card(conn, ids["b01"], date=city.LAST_DAY, scope=scope).id == ids["b01"]
        with pytest.raises(NotFound):
            building_card(conn, ids["b03"], date=city.LAST_DAY, scope=scope)
        with pytest.raises(NotFound):
            building_contacts(conn, ids["b03"], personal="full", scope=scope)
        figures = kpis(conn, date=city.LAST_DAY, scope=scope)
        assert figures.total == len(city.G1) * city.HOUSEHOLDS_PER_BUILDING
        found = {b.id for b in find_buildings(conn, "东方路", limit=50, scope=scope)}
        assert found == {ids[b] for b in city.G1}


def test_contacts_outside_the_area_are_not_found_and_inside_are_audited(
    operator: FlaskClient, city_engine: Engine, ids: dict[str, int]
) -> None:
    assert operator.get(f"/api/buildings/{ids['b03']}/contacts").status_code == 404
    target = f"building:{ids['b01']}"
    with city_engine.connect() as conn:
        before = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'view_personal' AND target = :t"),
            {"t": target},
        ).scalar_one()
    response = operator.get(f"/api/buildings/{ids['b01']}/contacts")
    assert response.status_code == 200 and response.json["masked"] is False
    assert city.CONTACT_NAME in {c["name"] for c in response.json["contacts"]}
    with city_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT user_name, detail FROM audit_log WHERE action = 'view_personal' AND target = :t"),
            {"t": target},
        ).all()
    assert len(rows) == before + 1 and rows[-1][0] == "op-g1"
    assert city.CONTACT_NAME not in json.dumps(rows[-1][1], ensure_ascii=False)


def test_the_analyst_sees_contacts_masked(
    city_app: dash.Dash, city_engine: Engine, ids: dict[str, int]
) -> None:
    analyst = _client(city_app, token_for(city_engine, "ana", role="analyst"))
    body = analyst.get(f"/api/buildings/{ids['b03']}/contacts").json
    assert body["masked"] is True and body["contacts"]
    text_ = json.dumps(body, ensure_ascii=False)
    assert city.CONTACT_NAME not in text_ and city.CONTACT_PHONE not in text_
    assert analyst.get("/print/atlas.pdf?grids=G1&internal=1").status_code == 403


@pytest.mark.slow
def test_a_printed_atlas_holds_only_the_operators_grids(
    operator: FlaskClient, commander: FlaskClient
) -> None:
    mine = operator.get("/print/atlas.pdf?all=1&paper=A4")
    assert mine.status_code == 200, mine.get_data(as_text=True)
    assert mine.headers["X-Atlas-Pages"] == "2"  # cover + G1
    assert commander.get("/print/atlas.pdf?all=1&paper=A4").headers["X-Atlas-Pages"] == "3"
    assert operator.get("/print/atlas.pdf?grids=G2").status_code == 404
    assert operator.get("/print/atlas.pdf?grids=G1,G2").status_code == 404


def test_risk_requests_outside_the_area_are_refused(operator: FlaskClient) -> None:
    lon, lat = city.centre("b03")
    assert operator.get(f"/api/risk/simulate?lon={lon}&lat={lat}&date=2022-04-04").status_code == 403
    declared = operator.post("/api/risk/areas", json={"lon": lon, "lat": lat, "date": "2022-04-04"})
    assert declared.status_code == 403


def test_an_operators_what_if_counts_only_their_buildings(
    operator: FlaskClient, commander: FlaskClient
) -> None:
    lon, lat = city.centre("b02")  # in G1, 150 m from G2: the control zone reaches both grids

    def zoned(client: FlaskClient) -> int:
        answer = client.get(f"/api/risk/simulate?lon={lon}&lat={lat}&date=2022-04-04")
        assert answer.status_code == 200
        return sum(zone["buildings"] for zone in answer.get_json()["summary"]["zones"].values())

    assert zoned(commander) == len(city.BUILDINGS)
    assert zoned(operator) == len(city.G1)


def test_an_operators_declaration_counts_what_their_what_if_counts(
    operator: FlaskClient, commander: FlaskClient, city_engine: Engine
) -> None:
    """Issue 11 (4): the declaration's response counts only the operator's area, as the simulation does,
    and their risk overlay still answers on the day after it (the stored zones are valid)."""
    lon, lat = city.centre("b02")  # the zones reach G2 too
    simulated = operator.get(f"/api/risk/simulate?lon={lon}&lat={lat}&date=2022-04-04").get_json()["summary"]
    declared = operator.post("/api/risk/areas", json={"lon": lon, "lat": lat, "date": "2022-04-04"})
    assert declared.status_code == 201, declared.get_data(as_text=True)
    body = declared.get_json()
    try:
        assert body["zones"] == simulated["zones"]
        assert sum(z["buildings"] for z in body["zones"].values()) == len(city.G1)
        for day in ("2022-04-04", "2022-04-05"):
            overlay = operator.get(f"/api/risk/areas?date={day}")
            assert overlay.status_code == 200, overlay.get_data(as_text=True)
            area = body["risk_area_id"]
            mine = [f for f in overlay.get_json()["features"] if f["properties"]["risk_area_id"] == area]
            # What the overlay shows an operator counts their buildings only, as the declaration did.
            assert sum(f["properties"]["counts"]["buildings"] for f in mine) == len(city.G1)
        everyone = commander.get("/api/risk/areas?date=2022-04-04").get_json()["features"]
        whole = [f for f in everyone if f["properties"]["risk_area_id"] == body["risk_area_id"]]
        assert sum(f["properties"]["counts"]["buildings"] for f in whole) == len(city.BUILDINGS)
    finally:
        with city_engine.begin() as conn:
            conn.execute(text("DELETE FROM risk_areas WHERE id = :a"), {"a": body["risk_area_id"]})


# --- personal fields never in a tile or GeoJSON -------------------------------------------------------


@pytest.mark.parametrize("z", [11, 14, 17])
@pytest.mark.parametrize("layer", (*LAYERS, "basemap"))
def test_no_tile_carries_a_personal_field(commander: FlaskClient, layer: str, z: int) -> None:
    for name, features in _decoded(commander, layer, z).items():
        for properties in features:
            assert not PERSONAL_FIELDS & set(properties), (layer, name)
            values = {str(v) for v in properties.values()}
            assert city.CONTACT_NAME not in values and city.CONTACT_PHONE not in values


def test_no_geojson_carries_a_personal_field(commander: FlaskClient, city_engine: Engine) -> None:
    lon, lat = city.centre("b01")
    bodies = [
        commander.get(f"/api/risk/simulate?lon={lon}&lat={lat}&date=2022-04-04").get_data(as_text=True),
        commander.get("/api/risk/areas?date=2022-04-04").get_data(as_text=True),
    ]
    with city_engine.connect() as conn:
        for kind in FEATURE_KINDS:
            date = city.LAST_DAY if kind in feature_reads.DATED_KINDS else None
            bodies.append(feature_reads.read_features(conn, kind, date=date).to_json(default=str))
    for body in bodies:
        assert city.CONTACT_NAME not in body and city.CONTACT_PHONE not in body
        assert not any(f'"{field}"' in body for field in PERSONAL_FIELDS)
