"""OGC API - Features over HTTP on the small city: documents, items, paging, filters, CRSs, scope, errors."""

from __future__ import annotations

import json

import dash
import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from geo.ogc.collections import COLLECTIONS
from geo.personal import PERSONAL_FIELDS
from tests.auth_support import bearer_client_class, token_on
from tests.fixtures import small_city as city

ITEMS = "/ogc/collections/buildings/items"


@pytest.fixture
def client(city_app: dash.Dash) -> FlaskClient:
    return city_app.server.test_client()


def _json(client: FlaskClient, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype in ("application/json", "application/geo+json", "application/schema+json")
    return json.loads(response.get_data(as_text=True))


def _pages(client: FlaskClient, url: str) -> list[dict]:
    pages = []
    while url:
        page = _json(client, url)
        pages.append(page)
        nxt = [link["href"] for link in page["links"] if link["rel"] == "next"]
        url = nxt[0].replace("http://localhost", "") if nxt else ""
    return pages


def test_landing_conformance_and_collections_describe_the_api(client: FlaskClient) -> None:
    landing = _json(client, "/ogc")
    rels = {link["rel"]: link["href"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert rels["data"].endswith("/ogc/collections")
    conf = _json(client, "/ogc/conformance")["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf
    found = _json(client, "/ogc/collections")["collections"]
    assert [c["id"] for c in found] == list(COLLECTIONS)
    buildings = _json(client, "/ogc/collections/buildings")
    west, south, _east, _north = buildings["extent"]["spatial"]["bbox"][0]
    assert west == pytest.approx(city.WEST) and south == pytest.approx(city.SOUTH)
    api = client.get("/ogc/api")
    assert api.status_code == 200 and api.mimetype == "application/vnd.oai.openapi+json"
    assert "/collections/{collectionId}/items" in api.get_json(force=True)["paths"]


def test_items_are_geojson_with_whitelisted_properties_only(client: FlaskClient) -> None:
    page = _json(client, ITEMS)
    assert page["type"] == "FeatureCollection" and page["numberReturned"] == len(city.BUILDINGS)
    ids = [f["id"] for f in page["features"]]
    assert ids == city.BUILDINGS
    first = page["features"][0]
    assert first["geometry"]["type"] == "MultiPolygon"
    assert set(first["properties"]) == set(COLLECTIONS["buildings"].properties) - {"status"}
    assert not any(link["rel"] == "next" for link in page["links"])
    for cid in COLLECTIONS:
        text_ = client.get(f"/ogc/collections/{cid}/items").get_data(as_text=True)
        assert not any(f'"{name}"' in text_ for name in PERSONAL_FIELDS)
        assert city.CONTACT_NAME not in text_ and city.CONTACT_PHONE not in text_


@pytest.mark.parametrize("limit", [1, 5, 7])
def test_pages_follow_next_links_and_cover_every_feature_once(client: FlaskClient, limit: int) -> None:
    pages = _pages(client, f"{ITEMS}?limit={limit}")
    ids = [f["id"] for page in pages for f in page["features"]]
    assert ids == city.BUILDINGS
    assert len(pages) == -(-len(city.BUILDINGS) // limit)  # one row more is read: no empty last page
    assert all(p["numberReturned"] <= limit for p in pages)


def test_bbox_filter_and_crs(client: FlaskClient) -> None:
    w, s, e, n = city.footprint("b06")
    box = f"{w - 0.0001},{s - 0.0001},{e + 0.0001},{n + 0.0001}"
    page = _json(client, f"{ITEMS}?bbox={box}")
    assert [f["id"] for f in page["features"]] == ["b06"]
    flipped = f"{s - 0.0001},{w - 0.0001},{n + 0.0001},{e + 0.0001}"
    epsg = "http://www.opengis.net/def/crs/EPSG/0/4326"
    response = client.get(f"{ITEMS}?bbox={flipped}&bbox-crs={epsg}&crs={epsg}")
    assert response.headers["Content-Crs"] == f"<{epsg}>"
    feature = response.get_json(force=True)["features"][0]
    assert feature["id"] == "b06"
    lat, lon = feature["geometry"]["coordinates"][0][0][0]
    assert w <= lon <= e and s <= lat <= n
    merc = _json(client, f"{ITEMS}?bbox={box}&crs=http://www.opengis.net/def/crs/EPSG/0/3857")
    x, y = merc["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 13_524_000 < x < 13_526_000 and 3_664_000 < y < 3_666_000


def test_property_filters_and_selection(client: FlaskClient) -> None:
    page = _json(client, f"{ITEMS}?properties=floors")
    assert all(set(f["properties"]) == {"floors"} for f in page["features"])
    source = page["features"][0]
    one = _json(client, f"{ITEMS}?properties=source")["features"][0]["properties"]["source"]
    assert source and len(_json(client, f"{ITEMS}?source={one}")["features"]) == len(city.BUILDINGS)
    assert _json(client, f"{ITEMS}?source=nothing-like-it")["features"] == []


def test_datetime_gives_building_status_on_the_day(client: FlaskClient) -> None:
    on_3rd = {
        f["id"]: f["properties"]["status"] for f in _json(client, f"{ITEMS}?datetime=2022-04-03")["features"]
    }
    assert on_3rd["b01"] == "confirmed" and on_3rd["b05"] == "sealed"
    on_1st = {
        f["id"]: f["properties"]["status"] for f in _json(client, f"{ITEMS}?datetime=2022-04-01")["features"]
    }
    assert on_1st["b01"] == "normal"
    sealed = _json(client, f"{ITEMS}?datetime=2022-04-03T12:00:00%2B08:00&status=sealed")["features"]
    assert [f["id"] for f in sealed] == ["b05"]


def test_one_feature_and_its_absence(client: FlaskClient) -> None:
    response = client.get(f"{ITEMS}/b03")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    feature = response.get_json(force=True)
    assert feature["id"] == "b03" and feature["type"] == "Feature"
    missing = _json(client, f"{ITEMS}/nope", 404)
    assert missing["code"] == "NotFound"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=5,5,1,1", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("datetime=yesterday", "datetime"),
        ("datetime=2022-04-01/2022-04-03", "datetime"),
        ("crs=EPSG:9999", "crs"),
        ("bbox-crs=urn:nothing", "bbox-crs"),
        ("properties=floors,phone", "properties"),
        ("colour=red", "colour"),
        ("cursor=-1", "cursor"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(client: FlaskClient, query: str, parameter: str) -> None:
    body = _json(client, f"{ITEMS}?{query}", 400)
    assert body["code"] == "InvalidParameterValue" and body["parameter"] == parameter
    assert parameter in body["description"]


def test_a_limit_above_the_maximum_is_taken_as_it(client: FlaskClient) -> None:
    assert _json(client, f"{ITEMS}?limit=999999999")["numberReturned"] == len(city.BUILDINGS)


def test_datetime_on_a_collection_without_days(client: FlaskClient) -> None:
    assert _json(client, "/ogc/collections/grids/items?datetime=2022-04-03", 400)["parameter"] == "datetime"


@pytest.mark.parametrize(
    "path",
    [
        "/ogc/nothing",
        "/ogc/collections/people",
        "/ogc/collections/people/items",
        "/ogc/collections/buildings/nope",
    ],
)
def test_unknown_paths_under_ogc_are_json_404(client: FlaskClient, path: str) -> None:
    body = _json(client, path, 404)
    assert body["code"] == "NotFound" and body["request_id"]


def test_without_sign_in_401_and_the_operator_sees_only_their_grid(
    city_app: dash.Dash, small_city_url: str
) -> None:
    bare = city_app.server.test_client()
    bare.environ_base.pop("HTTP_AUTHORIZATION", None)
    assert bare.get(ITEMS).status_code == 401
    token = token_on(small_city_url, "ogc-operator", role="operator", grids=["G1"])
    city_app.server.test_client_class, saved = bearer_client_class(token), city_app.server.test_client_class
    try:
        operator = city_app.server.test_client()
        ids = [f["id"] for f in _json(operator, ITEMS)["features"]]
        assert ids == city.G1
        assert _json(operator, f"{ITEMS}/{city.G2[0]}", 404)["code"] == "NotFound"
    finally:
        city_app.server.test_client_class = saved


def test_the_first_page_of_a_query_is_audited(client: FlaskClient, small_city_url: str) -> None:
    engine = create_engine(small_city_url)
    try:
        count = "SELECT count(*) FROM audit_log WHERE action = 'export' AND target = 'ogc:grids'"
        with engine.connect() as conn:
            before = conn.execute(text(count)).scalar_one()
        _pages(client, "/ogc/collections/grids/items?limit=1")
        with engine.connect() as conn:
            assert conn.execute(text(count)).scalar_one() == before + 1
    finally:
        engine.dispose()


@pytest.mark.parametrize(("batch", "limit"), [(1, 5), (2, 5), (5, 5), (3, 12), (100, 7)])
def test_pages_written_in_batches_are_whole_json(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, batch: int, limit: int
) -> None:
    """The features of a page go out ``BATCH`` at a time: every split gives the same valid document."""
    from geo.ogc import items

    monkeypatch.setattr(items, "BATCH", batch)
    pages = _pages(client, f"{ITEMS}?limit={limit}")
    assert [f["id"] for page in pages for f in page["features"]] == city.BUILDINGS


@pytest.mark.parametrize(("role", "grids"), [("worker", ["G1"]), ("wall", None)])
def test_roles_without_exports_read_no_features(
    city_app: dash.Dash, small_city_url: str, role: str, grids: list[str] | None
) -> None:
    token = token_on(small_city_url, f"ogc-{role}", role=role, grids=grids)
    saved = city_app.server.test_client_class
    city_app.server.test_client_class = bearer_client_class(token)
    try:
        body = _json(city_app.server.test_client(), ITEMS, 403)
        assert body["code"] == "Forbidden"
    finally:
        city_app.server.test_client_class = saved
