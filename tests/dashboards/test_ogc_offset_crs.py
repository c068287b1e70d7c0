"""The Chinese offset datums as named CRSs of the OGC API (issue 19, part 1): GCJ-02 and BD-09 under
battlemap's own URIs, listed in every collection's ``crs``, output coordinates converted with
``geo.crs``'s formulas, a ``bbox`` in them converted before it selects, and said not to be EPSG."""

from __future__ import annotations

from urllib.parse import quote

import dash
import pytest
from flask.testing import FlaskClient

from geo.crs import wgs84_to_bd09, wgs84_to_gcj02
from geo.crs.uris import BD09_URI, GCJ02_URI, parse_ogc_crs
from geo.errors import InvalidParameter
from tests.fixtures import small_city as city

CONVERT = {GCJ02_URI: wgs84_to_gcj02, BD09_URI: wgs84_to_bd09}


@pytest.fixture
def client(city_app: dash.Dash) -> FlaskClient:
    return city_app.server.test_client()


def _b01(client: FlaskClient, query: str) -> tuple[dict, dict]:
    response = client.get(f"/ogc/collections/buildings/items?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    found = [f for f in body["features"] if f["id"] == "b01"]
    return (found[0] if found else {}), dict(response.headers)


def test_every_collection_lists_the_offset_datums_and_the_api_says_they_are_not_epsg(
    client: FlaskClient,
) -> None:
    for item in client.get("/ogc/collections").get_json()["collections"]:
        assert GCJ02_URI in item["crs"] and BD09_URI in item["crs"]
    params = client.get("/ogc/api").get_json()["paths"]["/collections/{collectionId}/items"]["get"][
        "parameters"
    ]
    crs = next(p for p in params if p["name"] == "crs")
    assert "not EPSG codes" in crs["description"] and GCJ02_URI in crs["schema"]["enum"]
    assert parse_ogc_crs("GCJ-02", parameter="crs").uri == GCJ02_URI
    with pytest.raises(InvalidParameter, match="crs was 'EPSG:9999'"):
        parse_ogc_crs("EPSG:9999", parameter="crs")


@pytest.mark.parametrize("uri", [GCJ02_URI, BD09_URI])
def test_output_coordinates_are_converted_into_the_datum(client: FlaskClient, uri: str) -> None:
    plain, _ = _b01(client, "limit=100")
    shifted, headers = _b01(client, f"limit=100&crs={quote(uri)}")
    assert headers["Content-Crs"] == f"<{uri}>"
    for (lon, lat), (x, y) in zip(
        plain["geometry"]["coordinates"][0][0], shifted["geometry"]["coordinates"][0][0], strict=True
    ):
        ex, ey = CONVERT[uri](lon, lat)
        assert (x, y) == pytest.approx((ex, ey), abs=1e-8)
        assert abs(x - lon) > 0.003  # hundreds of metres away: really another datum
    item = client.get(f"/ogc/collections/buildings/items/b01?crs={quote(uri)}").get_json()
    assert item["geometry"]["coordinates"] == shifted["geometry"]["coordinates"]


@pytest.mark.parametrize("uri", [GCJ02_URI, BD09_URI])
def test_a_bbox_in_the_datum_selects_what_lies_in_it(client: FlaskClient, uri: str) -> None:
    west, south, east, north = city.footprint("b01")
    (x0, x1), (y0, y1) = CONVERT[uri]([west, east], [south, north])
    box = f"{x0 + 1e-6},{y0 + 1e-6},{x1 - 1e-6},{y1 - 1e-6}"
    response = client.get(f"/ogc/collections/buildings/items?bbox={box}&bbox-crs={quote(uri)}")
    assert [f["id"] for f in response.get_json()["features"]] == ["b01"]
    # the same numbers as WGS84 lie hundreds of metres off: nothing of the city there
    assert client.get(f"/ogc/collections/buildings/items?bbox={box}").get_json()["features"] == []
