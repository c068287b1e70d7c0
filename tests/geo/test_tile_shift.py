"""A tile without a datum shift runs its SQL without ``ST_Translate`` (``geo.tiles.unshifted``), and is
the same tile to the byte; the start-up warm-up (``geo.tiles.warm_up``) renders empty tiles only."""

from __future__ import annotations

import datetime as dt
import math

import mapbox_vector_tile
import pytest
from sqlalchemy import Connection, text

from geo import tiles
from geo.responsibility.rule import chain_params
from geo.scope import UNRESTRICTED
from geo.status.rule import BUILDING_STATUS_JOIN, status_params
from tests.fixtures import small_city as city


def _tile_of(lon: float, lat: float, z: int) -> tiles.TileAddress:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return tiles.TileAddress(z, int((lon + 180) / 360 * n), int(y))


def _sqls(addr: tiles.TileAddress) -> dict[str, str]:
    selected = ", (CAST(:severity AS text[]))[st.rank] AS status, st.households::int AS households"
    return {
        "buildings": tiles._buildings_sql("", ", b.floors", scope=UNRESTRICTED),
        "house-status": tiles._buildings_sql(BUILDING_STATUS_JOIN, selected, scope=UNRESTRICTED, status=True),
        "areas": tiles._areas_sql(addr, "", {}, scope=UNRESTRICTED, land_only=True),
        "labels": tiles._area_labels_sql(addr, {}, scope=UNRESTRICTED),
    }


def test_unshifted_sql_has_no_translate_and_no_shift_parameter() -> None:
    for name, sql in _sqls(tiles.TileAddress(13, 6000, 3000)).items():
        assert "ST_Translate" in sql, name
        rewritten = tiles.unshifted(sql)
        assert "ST_Translate" not in rewritten and ":dx" not in rewritten and ":dy" not in rewritten, name
        assert "ST_AsMVTGeom(ST_Transform(b.geom, 3857)" in rewritten or name in ("areas", "labels")


@pytest.mark.parametrize("z", [tiles.GRID_ZOOM, tiles.BUILDING_ZOOM, tiles.BUILDING_ZOOM + 2])
def test_unshifted_tiles_are_the_same_bytes(small_city_conn: Connection, z: int) -> None:
    addr = _tile_of(*city.centre(city.BUILDINGS[0]), z)
    params = addr.params | status_params(city.FIRST_DAY + dt.timedelta(days=2)) | chain_params()
    for name, sql in _sqls(addr).items():
        as_written = small_city_conn.execute(text(sql), params).scalar()
        served = tiles.render_tile(small_city_conn, sql, params)
        assert served == bytes(as_written or b""), name
    decoded = mapbox_vector_tile.decode(tiles.house_status_tile(small_city_conn, addr, date=city.FIRST_DAY))
    layer = tiles.BUILDINGS_LAYER if z >= tiles.BUILDING_ZOOM else tiles.AREAS_LAYER
    assert decoded[layer]["features"], f"the tile at z{z} holds the small city's {layer}"


def test_a_shifted_tile_still_moves(small_city_conn: Connection) -> None:
    addr = _tile_of(*city.centre(city.BUILDINGS[0]), tiles.BUILDING_ZOOM + 2)
    shifted = tiles.TileAddress(addr.z, addr.x, addr.y, shift=(0.0005, 0.0))
    plain = mapbox_vector_tile.decode(tiles.buildings_tile(small_city_conn, addr))
    moved = mapbox_vector_tile.decode(tiles.buildings_tile(small_city_conn, shifted))

    def xs(tile: dict) -> list[int]:
        def flat(coords: list) -> list[int]:
            return [coords[0]] if isinstance(coords[0], int) else [x for c in coords for x in flat(c)]

        return sorted(
            x for f in tile[tiles.BUILDINGS_LAYER]["features"] for x in flat(f["geometry"]["coordinates"])
        )

    assert xs(moved) != xs(plain), "a GCJ-02 shift of 50 m moves the footprints in the tile"


def test_warm_up_renders_empty_tiles(small_city_conn: Connection) -> None:
    tiles.warm_up(small_city_conn)  # no error, nothing written (the connection is only read)
    for addr in tiles.WARM_UP_TILES:
        assert tiles.buildings_tile(small_city_conn, addr) == b""
