"""The ``key-places`` tile layer, decoded: clusters with counts per kind below KEY_PLACE_ZOOM, single
places with kind and industry from it, only the scope's places, never a name; and the counts per
grid and per risk zone equal to a count made directly in SQL.

On the small city with tests/fixtures/key_places.py loaded, in a transaction that is rolled back.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import mapbox_vector_tile
import pytest
from sqlalchemy import Connection, Engine, text

from dashboards._risk_panel import zone_table
from geo.audit import Actor
from geo.places import KEY_CLUSTERS_LAYER, KEY_PLACE_ZOOM, KEY_PLACES_LAYER, places_by_grid
from geo.risk.declare import declare_and_store
from geo.risk.store import zones_geojson
from geo.risk.whatif import case_at_building, simulate_at_building
from geo.scope import Scope
from geo.settings import Settings
from geo.tiles import TileAddress
from layers.tiles.registry import default_layers
from tests.fixtures import small_city as city
from tests.fixtures.key_places import G1_KEY_PLACES, G2_KEY_PLACES, KEY_PLACES, load_key_places

LAYER = default_layers(Settings(_env_file=None)).get("key-places")
KEY_TOTAL = sum(n for _, kind, _, n in KEY_PLACES if kind != "school")


@pytest.fixture
def places_conn(atlas_engine: Engine) -> Iterator[Connection]:
    with atlas_engine.connect() as conn:
        transaction = conn.begin()
        try:
            load_key_places(conn)
            yield conn
        finally:
            transaction.rollback()


def _address(lon: float, lat: float, z: int) -> TileAddress:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return TileAddress(z, int((lon + 180) / 360 * n), int(y))


def _tile(conn: Connection, z: int, *, scope: Scope | None = None, at: str = "b06") -> dict:
    options = LAYER.options(conn, {})
    addr = _address(*city.centre(at), z)
    kwargs = {"scope": scope} if scope is not None else {}
    return mapbox_vector_tile.decode(LAYER.tile(conn, addr, options, **kwargs))


def _grid_scope(conn: Connection, code: str) -> Scope:
    grid_id = conn.execute(text("SELECT id FROM grids WHERE code = :c"), {"c": code}).scalar_one()
    return Scope(grid_ids=frozenset({grid_id}), restricted=True)


def test_low_zoom_tiles_cluster_the_key_places_with_counts_per_kind(places_conn: Connection) -> None:
    tile = _tile(places_conn, 8)  # the whole small city (300 m) in one 64 px cell (20 km)
    assert set(tile) == {KEY_CLUSTERS_LAYER}
    (cluster,) = tile[KEY_CLUSTERS_LAYER]["features"]
    props = cluster["properties"]
    assert props["count"] == KEY_TOTAL  # the school is not a key place
    assert (props["street_shop"], props["office_building"], props["firm"], props["key_industry"]) == (
        5,
        3,
        2,
        3,
    )
    assert props["kind"] == "street_shop"  # the most numerous
    assert "name" not in props


def test_clusters_split_as_the_cells_shrink_and_each_place_is_in_one(places_conn: Connection) -> None:
    """At zoom 15 (cells of 150 m) over every tile of the city: more clusters, each place counted once."""
    z = KEY_PLACE_ZOOM - 1
    first, last = _address(*city.centre("b01"), z), _address(*city.centre("b12"), z)
    counts = []
    for x in range(first.x, last.x + 1):
        for y in range(last.y, first.y + 1):
            tile = mapbox_vector_tile.decode(LAYER.tile(places_conn, TileAddress(z, x, y), {}))
            counts += [f["properties"]["count"] for f in tile.get(KEY_CLUSTERS_LAYER, {}).get("features", [])]
    assert sum(counts) == KEY_TOTAL and len(counts) > 1


def test_high_zoom_tiles_hold_each_place_with_its_kind_and_industry(places_conn: Connection) -> None:
    tile = _tile(places_conn, KEY_PLACE_ZOOM, at="b01")
    features = tile[KEY_PLACES_LAYER]["features"]
    kinds = sorted((f["properties"]["kind"], f["properties"].get("subcategory")) for f in features)
    b01 = [("key_industry", "catering")] * 2 + [("street_shop", None)] * 5
    assert [k for k in kinds if k in b01] == sorted(b01)
    assert ("school", None) not in kinds
    assert all(set(f["properties"]) <= {"kind", "subcategory"} for f in features)


def test_an_operators_tile_holds_only_their_grids_places(places_conn: Connection) -> None:
    (g1,) = _tile(places_conn, 8, scope=_grid_scope(places_conn, "G1"))[KEY_CLUSTERS_LAYER]["features"]
    (g2,) = _tile(places_conn, 8, scope=_grid_scope(places_conn, "G2"))[KEY_CLUSTERS_LAYER]["features"]
    assert (g1["properties"]["count"], g2["properties"]["count"]) == (G1_KEY_PLACES, G2_KEY_PLACES)
    assert g2["properties"]["street_shop"] == 0 and g2["properties"]["office_building"] == 3


def test_counts_per_grid_equal_a_direct_sql_count(places_conn: Connection) -> None:
    direct = dict(
        places_conn.execute(
            text("""SELECT g.code, count(*) FROM places p JOIN grids g ON ST_Covers(g.geom, p.geom)
                    WHERE p.kind IN ('street_shop', 'office_building', 'firm', 'key_industry')
                    GROUP BY g.code""")
        ).all()
    )
    counted = {g.grid: g.key_places for g in places_by_grid(places_conn)}
    assert counted == direct == {"G1": G1_KEY_PLACES, "G2": G2_KEY_PLACES}


def test_key_places_per_risk_zone_equal_a_direct_sql_count(places_conn: Connection) -> None:
    b01 = places_conn.execute(text("SELECT id FROM buildings WHERE source_id = 'b01'")).scalar_one()
    area = simulate_at_building(places_conn, b01, date=city.LAST_DAY)
    zones = area.summary()["zones"]
    buildings = area.assignments[area.assignments["target"] == "building"]
    for zone, group in buildings.groupby("zone"):
        direct = places_conn.execute(
            text("""SELECT count(*) FROM places p JOIN buildings b ON ST_Intersects(b.geom, p.geom)
                    WHERE b.id = ANY(:ids)
                      AND p.kind IN ('street_shop', 'office_building', 'firm', 'key_industry')"""),
            {"ids": [int(i) for i in group["id"]]},
        ).scalar_one()
        assert zones[zone]["key_places"] == direct
    assert sum(z["key_places"] for z in zones.values()) == KEY_TOTAL
    assert zones["sealed"]["key_industries"] == {"catering": 2, "market": 1}  # b01, b06: the compound


def test_stored_zones_carry_key_places_and_a_scoped_view_leaves_them_out(places_conn: Connection) -> None:
    """A commander's overlay shows the stored key places per zone; an operator's recount has no places
    stored to count, so it carries none (the panel shows "–"), never a wrong 0."""
    b01 = places_conn.execute(text("SELECT id FROM buildings WHERE source_id = 'b01'")).scalar_one()
    declare_and_store(
        places_conn,
        [case_at_building(places_conn, b01)],
        actor=Actor(name="test", role="cli"),
        date=city.LAST_DAY,
    )
    whole = zones_geojson(places_conn, on=city.LAST_DAY)
    by_zone = {f["properties"]["zone"]: f["properties"]["counts"] for f in whole["features"]}
    assert by_zone["sealed"]["key_places"] == G1_KEY_PLACES
    assert by_zone["sealed"]["key_industries"] == {"catering": 2, "market": 1}
    scoped = zones_geojson(places_conn, on=city.LAST_DAY, scope=_grid_scope(places_conn, "G1"))
    sealed = next(
        f["properties"]["counts"] for f in scoped["features"] if f["properties"]["zone"] == "sealed"
    )
    assert "key_places" not in sealed and sealed["buildings"] > 0
    shown = _key_place_cells(zone_table({"sealed": sealed, "control": by_zone["control"]}, "zh"))
    assert shown["sealed"][0] == "–" and "未统计" in shown["sealed"][1]
    assert shown["control"][0] == str(by_zone["control"]["key_places"])


def _key_place_cells(table: object) -> dict[str, tuple[str, str]]:
    """Per zone row of a zone table: the key-places cell's text and tooltip."""
    body = table.children[1]  # type: ignore[attr-defined]
    out = {}
    for row in body.children:
        cell = next(c for c in row.children if getattr(c, "data-count", None) == "key_places")
        out[getattr(row, "data-zone")] = (cell.children, cell.title)
    return out
