"""OGC API - Tiles over HTTP: the tile matrix set, tilesets, the tiles themselves (the app's own MVT), and
GDAL reading them (its OGCAPI driver, and its MVT driver with the TileJSON)."""

from __future__ import annotations

import math
import os
import subprocess
from pathlib import Path

import dash
import mapbox_vector_tile
import pytest
from flask.testing import FlaskClient

from tests.auth_support import token_on
from tests.fixtures import small_city as city

TILES = "/ogc/collections/buildings/tiles"


@pytest.fixture
def client(city_app: dash.Dash) -> FlaskClient:
    return city_app.server.test_client()


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return z, int((lon + 180) / 360 * n), int(y)


def test_the_tile_matrix_set_is_web_mercator_quad(client: FlaskClient) -> None:
    listed = client.get("/ogc/tileMatrixSets").get_json()
    assert [t["id"] for t in listed["tileMatrixSets"]] == ["WebMercatorQuad"]
    tms = client.get("/ogc/tileMatrixSets/WebMercatorQuad").get_json()
    zero, z17 = tms["tileMatrices"][0], tms["tileMatrices"][17]
    assert zero["matrixWidth"] == 1 and zero["scaleDenominator"] == pytest.approx(559082264.0287, rel=1e-9)
    assert z17["matrixWidth"] == 2**17 and z17["cellSize"] == pytest.approx(1.194328566955879, rel=1e-9)
    assert client.get("/ogc/tileMatrixSets/WorldCRS84Quad").status_code == 404


def test_a_tileset_names_its_template_and_the_limits_over_the_data(client: FlaskClient) -> None:
    listed = client.get(TILES).get_json()["tilesets"]
    assert listed[0]["dataType"] == "vector" and listed[0]["crs"].endswith("/EPSG/0/3857")
    tileset = client.get(f"{TILES}/WebMercatorQuad").get_json()
    item = next(link for link in tileset["links"] if link["rel"] == "item")
    assert item["templated"] is True and item["type"] == "application/vnd.mapbox-vector-tile"
    assert item["href"].endswith("/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")
    z17 = next(lim for lim in tileset["tileMatrixSetLimits"] if lim["tileMatrix"] == "17")
    _, x, y = _tile_of(*city.centre("b06"), 17)
    assert z17["minTileCol"] <= x <= z17["maxTileCol"] and z17["minTileRow"] <= y <= z17["maxTileRow"]
    assert {layer["id"] for layer in tileset["layers"]} == {"buildings", "areas"}


def test_an_ogc_tile_is_the_apps_tile(client: FlaskClient) -> None:
    z, x, y = _tile_of(*city.centre("b06"), 17)
    ogc = client.get(f"{TILES}/WebMercatorQuad/{z}/{y}/{x}")
    app = client.get(f"/tiles/buildings/{z}/{x}/{y}.pbf")
    assert ogc.status_code == 200 and ogc.mimetype == "application/vnd.mapbox-vector-tile"
    assert ogc.data == app.data and ogc.headers["ETag"] == app.headers["ETag"]
    assert mapbox_vector_tile.decode(ogc.data)["buildings"]["features"]


@pytest.mark.parametrize(
    "path",
    [
        f"{TILES}/WebMercatorQuad/99/0/0",
        f"{TILES}/WebMercatorQuad/2/9/9",
        f"{TILES}/WorldCRS84Quad/1/0/0",
        "/ogc/collections/grids/tiles",
        "/ogc/collections/people/tiles/WebMercatorQuad/1/0/0",
    ],
)
def test_bad_tile_addresses_are_json_errors(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert response.get_json()["code"] in ("InvalidParameterValue", "NotFound")


@pytest.fixture(scope="module")
def gdal_env(small_city_url: str) -> dict[str, str]:
    token = token_on(small_city_url, "gdal-tiles-commander")
    return os.environ | {"GDAL_HTTP_HEADERS": f"Authorization: Bearer {token}"}


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


@pytest.mark.skipif(not Path("/usr/bin/ogrinfo").exists(), reason="gdal-bin (scripts/setup_os.sh)")
def test_gdal_reads_an_ogc_tile_in_place(live_city: str, gdal_env: dict[str, str]) -> None:
    """GDAL's MVT driver on the OGC tile URL (z/row/col, named ``.pbf``: GDAL picks its reader of a URL by
    the extension), placed by its address: the buildings of the tile, in Web Mercator metres over Lujiazui."""
    z, x, y = _tile_of(*city.centre("b06"), 17)
    url = f"{live_city}{TILES}/WebMercatorQuad/{z}/{y}/{x}.pbf"
    out = _run(
        ["ogrinfo", "-ro", "-al", "-so", url, "-oo", f"Z={z}", "-oo", f"X={x}", "-oo", f"Y={y}"], gdal_env
    )
    layer = out.split("Layer name: buildings")[1]
    count = int(layer.split("Feature Count: ")[1].split()[0])
    assert count >= 1, out
    west = float(layer.split("Extent: (")[1].split(",")[0])
    assert 13_524_000 < west < 13_526_000, out


@pytest.mark.skipif(not Path("/usr/bin/ogrinfo").exists(), reason="gdal-bin (scripts/setup_os.sh)")
def test_gdal_reads_a_zoom_level_with_the_tilejson(live_city: str, gdal_env: dict[str, str]) -> None:
    out = _run(
        [
            "ogrinfo",
            "-ro",
            "-al",
            "-so",
            f"MVT:{live_city}/tiles/buildings/17",
            "-oo",
            f"METADATA_FILE={live_city}/tiles/buildings.json",
        ],
        gdal_env,
    )
    assert "Layer name: buildings" in out and "floors" in out, out
