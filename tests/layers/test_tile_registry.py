"""Tile layers through the registry: options, and overlays shifted onto a GCJ-02 basemap.

The alignment test puts a 10 m building on the Oriental Pearl Tower (WGS84 121.4953E 31.2419N)
and checks that, asked for ``crs=gcj02``, its tile draws it where a GCJ-02 basemap (AMap,
Tencent) has the tower: at ``geo.crs.wgs84_to_gcj02`` of its position, to a fraction of a metre.
"""

from __future__ import annotations

import math

import mapbox_vector_tile
import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import Connection, text

from geo.crs import wgs84_to_gcj02
from geo.errors import InvalidParameter
from geo.settings import Settings
from geo.tiles import EXTENT, TileAddress
from layers.tiles.registry import default_layers

TOWER = (121.4953, 31.2419)
Z = 18


def _tile_of(lon: float, lat: float, z: int) -> TileAddress:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return TileAddress(z, int((lon + 180) / 360 * n), int(y))


def _lonlat(addr: TileAddress, px: float, py: float) -> tuple[float, float]:
    """Tile pixel (y down) to WGS84-style lon/lat in the tile's own frame."""
    n = 2**addr.z
    x, y = addr.x + px / EXTENT, addr.y + py / EXTENT
    lon = x / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    return lon, lat


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dx = (a[0] - b[0]) * 111_320 * math.cos(math.radians(a[1]))
    return math.hypot(dx, (a[1] - b[1]) * 110_540)


@pytest.fixture
def tower(conn: Connection) -> int:
    half = 0.00005
    geom = shapely.box(TOWER[0] - half, TOWER[1] - half, TOWER[0] + half, TOWER[1] + half)
    return conn.execute(
        text(
            "INSERT INTO buildings (source, source_id, name, geom) "
            "VALUES ('test', 'tower', '东方明珠', ST_Multi(ST_GeomFromText(:wkt, 4326))) RETURNING id"
        ),
        {"wkt": geom.wkt},
    ).scalar_one()


def _centre_in(
    conn: Connection, addr: TileAddress, building: int, query: dict[str, str]
) -> tuple[float, float]:
    layer = default_layers(Settings(_env_file=None)).get("buildings")
    tile = mapbox_vector_tile.decode(
        layer.tile(conn, addr, layer.options(conn, query)), default_options={"y_coord_down": True}
    )
    feature = next(f for f in tile["buildings"]["features"] if f["id"] == building)
    centre = shape(feature["geometry"]).centroid
    return _lonlat(addr, centre.x, centre.y)


def test_gcj02_tiles_put_the_oriental_pearl_tower_where_a_gcj02_basemap_has_it(
    conn: Connection, tower: int
) -> None:
    gcj = wgs84_to_gcj02(*TOWER)
    assert _metres(gcj, TOWER) > 400  # the offset the shift must undo, in Shanghai ~0.5 km
    drawn = _centre_in(conn, _tile_of(*gcj, Z), tower, {"crs": "gcj02"})
    assert _metres(drawn, gcj) < 0.5
    plain = _centre_in(conn, _tile_of(*TOWER, Z), tower, {})
    assert _metres(plain, TOWER) < 0.5


def test_an_unknown_crs_is_refused(conn: Connection) -> None:
    with pytest.raises(InvalidParameter, match="crs was 'bd09' but is expected to be one of wgs84, gcj02"):
        default_layers(Settings(_env_file=None)).get("buildings").options(conn, {"crs": "bd09"})
