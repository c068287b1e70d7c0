"""The ``flows`` tile layer, decoded: legs by state, OD totals at low zoom, curves, arrowheads, paths.

Made through the registry exactly as the HTTP route makes them (``TileLayer.options`` then
``TileLayer.tile``), on tests/fixtures/flows in a transaction that is rolled back.
"""

from __future__ import annotations

import math
from pathlib import Path

import mapbox_vector_tile
import pandas as pd
import pytest
import shapely
from sqlalchemy import Connection, text

from etl import pipeline
from etl.jobs.base import LoadOptions
from etl.readers import FrameSource
from geo.errors import InvalidParameter
from geo.flows.tiles import OD_ZOOM, PATH_ZOOM
from geo.scope import NOTHING, Scope
from geo.settings import Settings
from geo.tiles import TileAddress
from layers.tiles.registry import default_layers

GATE_1 = (121.5185, 31.2400)
HOTEL_A = (121.4930, 31.2415)
LAYER = default_layers(Settings(_env_file=None)).get("flows")
# At 16:30 China time, deadline 6 h: C2 overdue, C3 planned, C5 in transit, C6 cancelled, the rest done.
CLOCK = {"at": "2022-04-10T16:30:00+08:00"}


def _address(lon: float, lat: float, z: int) -> TileAddress:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return TileAddress(z, int((lon + 180) / 360 * n), int(y))


def _tile(
    conn: Connection, z: int, query: dict[str, str] | None = None, at: tuple[float, float] = GATE_1
) -> dict:
    options = LAYER.options(conn, CLOCK | (query or {}))
    return mapbox_vector_tile.decode(LAYER.tile(conn, _address(*at, z), options))


def _bend(feature: dict) -> float:
    """Largest distance (tile units) of a line's vertices from its chord: 0 for a straight line."""
    line = shapely.geometry.shape(feature["geometry"])
    chord = shapely.LineString([line.coords[0], line.coords[-1]])
    return max(chord.distance(shapely.Point(c)) for c in line.coords)


def test_legs_carry_their_state_at_the_clock_and_no_vehicle(flows_db: Connection) -> None:
    tile = _tile(flows_db, 13)
    assert {"legs", "arrows", "places"} <= set(tile) and "od" not in tile
    legs = {
        (f["properties"]["chain_id"], f["properties"]["leg_no"]): f["properties"]
        for f in tile["legs"]["features"]
    }
    assert {k: v["status"] for k, v in legs.items()} == {
        ("C1", 1): "handed_over", ("C1", 2): "handed_over", ("C2", 1): "overdue", ("C3", 1): "planned",
        ("C4", 1): "handed_over", ("C4", 2): "handed_over", ("C5", 1): "in_transit", ("C6", 1): "cancelled",
    }  # fmt: skip
    assert legs[("C4", 2)]["gap"] is True and legs[("C1", 1)]["gap"] is False
    assert legs[("C2", 1)]["head_count"] == 2
    assert set().union(*(set(p) for p in legs.values())) <= set(LAYER.fields["legs"])
    raw = LAYER.tile(flows_db, _address(*GATE_1, 13), LAYER.options(flows_db, CLOCK))
    assert "沪B-001".encode() not in raw, "vehicles stay out of tiles"
    places = {f["properties"]["name"]: f["properties"] for f in tile["places"]["features"]}
    assert places["梅一小区北门"] == {"kind": "compound_gate", "name": "梅一小区北门", "events": 52}


def _side(feature: dict, start: tuple[float, float], end: tuple[float, float]) -> float:
    """Signed distance of a line's middle vertex from the chord start -> end (left of travel > 0)."""
    coords = feature["geometry"]["coordinates"]
    mx, my = coords[len(coords) // 2]
    (ax, ay), (bx, by) = start, end
    return ((bx - ax) * (my - ay) - (by - ay) * (mx - ax)) / math.hypot(bx - ax, by - ay)


def test_legs_of_one_pair_bend_apart_and_a_lone_leg_is_straight(flows_db: Connection, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"chain_id": ["X1", "X2", "X3"], "from_place": ["P-HOTEL-A", "P-HOTEL-A", "P-HOTEL-B"],
         "to_place": ["P-HOTEL-B", "P-HOTEL-B", "P-HOTEL-A"], "departed_at": ["2022-04-10 14:00"] * 3,
         "arrived_at": ["2022-04-10 14:30"] * 3, "head_count": ["1"] * 3}
    )  # fmt: skip
    options = LoadOptions(progress=False, rejects_path=tmp_path / "x.rejects.csv")
    pipeline.load(flows_db, "transfers", FrameSource(frame, name="x.csv"), options=options)
    features = _tile(flows_db, 13, at=HOTEL_A)["legs"]["features"]
    by_chain = {(f["properties"]["chain_id"], f["properties"]["leg_no"]): f for f in features}
    ends = [by_chain[("X1", 1)]["geometry"]["coordinates"][i] for i in (0, -1)]
    start, end = (tuple(ends[0]), tuple(ends[1]))
    x1, x2, x3 = (_side(by_chain[(c, 1)], start, end) for c in ("X1", "X2", "X3"))
    assert 0 < x1 < x2, "the second leg of a pair bends further, on the same side"
    assert x3 < 0, "the way back bends to the other side"
    assert abs(x3 + x1) < 2, "by as much as the first leg there"
    assert _bend(by_chain[("C1", 2)]) < 1, "a pair with one leg (hotel A -> gate 1) is straight"


def test_low_zoom_tiles_hold_origin_destination_totals(flows_db: Connection) -> None:
    tile = _tile(flows_db, OD_ZOOM - 2)
    assert "legs" not in tile
    pairs = {
        (f["properties"]["legs"], f["properties"]["head_count"], f["properties"]["status"])
        for f in tile["od"]["features"]
    }
    assert pairs == {
        (2, 4, "handed_over"),  # PVG -> hotel A: C1, C4
        (1, 3, "handed_over"),  # hotel A -> gate 1: C1
        (2, 3, "overdue"),  # Hongqiao -> gate 1: C2 (overdue), C4
        (2, 9, "in_transit"),  # PVG -> hotel B: C3 (planned), C5 (in transit)
        (1, 1, "cancelled"),  # PVG -> hospital: C6
    }
    assert len(tile["arrows"]["features"]) == len(tile["od"]["features"])
    assert {f["geometry"]["type"] for f in tile["arrows"]["features"]} == {"Polygon"}


def test_the_window_and_the_clock_choose_the_legs(flows_db: Connection) -> None:
    early = _tile(flows_db, 11, {"at": "2022-04-10T09:15:00+08:00", "hours": "1"})
    assert {(f["properties"]["chain_id"], f["properties"]["status"]) for f in early["legs"]["features"]} == {
        ("C1", "in_transit"),
        ("C4", "in_transit"),
    }
    later = _tile(flows_db, 11, {"hours": "1", "deadline": "12"})
    statuses = {f["properties"]["chain_id"]: f["properties"]["status"] for f in later["legs"]["features"]}
    assert statuses == {"C2": "in_transit", "C3": "planned", "C5": "in_transit", "C6": "cancelled"}


def test_compound_paths_run_gate_registration_temperature_delivery_with_counts(flows_db: Connection) -> None:
    flows_db.execute(
        text("""
        INSERT INTO compounds (name, geom, source, source_id)
        VALUES ('梅一小区', ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(121.5185, 31.2405), 4326), 0.0008)),
                't', 'c1');
        INSERT INTO places (kind, name, geom, source, source_id, compound_id)
        SELECT k, n, ST_SetSRID(ST_MakePoint(121.5185, y), 4326), 't', n,
               (SELECT id FROM compounds WHERE source_id = 'c1')
        FROM (VALUES ('registration_point', '登记点', 31.2402), ('temperature_point', '测温点', 31.2405),
                     ('delivery_point', '投放点', 31.2409)) v(k, n, y);
        UPDATE places SET compound_id = (SELECT id FROM compounds WHERE source_id = 'c1')
        WHERE source_id = 'P-GATE-1';
    """)
    )
    tile = _tile(flows_db, PATH_ZOOM + 1)
    steps = {
        (f["properties"]["from_kind"], f["properties"]["to_kind"]): f["properties"]
        for f in tile["paths"]["features"]
    }
    assert {k: (v["count"], v.get("abnormal")) for k, v in steps.items()} == {
        ("compound_gate", "registration_point"): (12 + 2, None),  # registrations and returnee arrivals
        ("registration_point", "temperature_point"): (30, 1),
        ("temperature_point", "delivery_point"): (7, None),
    }
    kinds = {f["properties"]["kind"] for f in tile["places"]["features"]}
    assert {"compound_gate", "registration_point", "temperature_point", "delivery_point"} <= kinds
    assert "paths" not in _tile(flows_db, PATH_ZOOM - 1)


def test_the_default_clock_is_the_latest_time_and_bad_options_are_refused(flows_db: Connection) -> None:
    assert LAYER.options(flows_db, {}) == {"at": "2022-04-10T09:00:00Z", "hours": 24.0, "deadline": 6.0}
    with pytest.raises(InvalidParameter, match="hours was 'x' but must be a number"):
        LAYER.options(flows_db, {"hours": "x"})
    with pytest.raises(InvalidParameter, match=r"deadline was -1\.0 but must be more than 0"):
        LAYER.options(flows_db, {"deadline": "-1"})
    with pytest.raises(InvalidParameter, match="at was 'noon'"):
        LAYER.options(flows_db, {"at": "noon"})
    with pytest.raises(InvalidParameter, match="takes no parameter"):
        LAYER.options(flows_db, {"date": "2022-04-10"})


def test_a_restricted_scope_gets_only_its_legs(flows_db: Connection, lujiazui: Scope) -> None:
    options = LAYER.options(flows_db, CLOCK)
    tile = mapbox_vector_tile.decode(LAYER.tile(flows_db, _address(*GATE_1, 11), options, scope=lujiazui))
    assert {f["properties"]["chain_id"] for f in tile["legs"]["features"]} == {"C1", "C2", "C3", "C4", "C5"}
    nothing = mapbox_vector_tile.decode(LAYER.tile(flows_db, _address(*GATE_1, 11), options, scope=NOTHING))
    assert "legs" not in nothing and "places" not in nothing
