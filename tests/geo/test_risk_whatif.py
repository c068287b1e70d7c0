"""The map's "what if" (geo.risk.whatif) and the stored areas read for lists and prints (geo.risk.store)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection, text

from geo.audit import Actor
from geo.errors import NotFound
from geo.risk.declare import declare_and_store
from geo.risk.store import list_areas, zone_outlines, zoned_buildings
from geo.risk.whatif import case_at_building, simulate_at_building
from tests.risk_world import DATE, EXPECTED_ZONE, build_world


def test_a_case_at_a_building_gives_the_zones_of_a_case_at_its_point(conn: Connection) -> None:
    ids = build_world(conn)
    case = case_at_building(conn, ids["case"])
    assert case.address == "测试路1弄"
    area = simulate_at_building(conn, ids["case"], date=DATE)
    zone_of = dict(zip(area.buildings()["id"], area.buildings()["zone"], strict=True))
    names = {v: k for k, v in ids.items()}
    assert {names[i]: z for i, z in zone_of.items()} == {
        name: zone for name, zone in EXPECTED_ZONE.items() if zone is not None
    }
    assert conn.execute(text("SELECT count(*) FROM risk_areas")).scalar_one() == 0  # nothing stored
    with pytest.raises(NotFound, match="no building with id -1"):
        case_at_building(conn, -1)


def test_a_declaration_is_active_from_its_day(conn: Connection) -> None:
    ids = build_world(conn)
    declared = declare_and_store(
        conn, [case_at_building(conn, ids["case"])], actor=Actor("test", "commander"), date=DATE, level="high"
    )
    area_id, area = declared.area_id, declared.area
    listed = {a["id"]: a for a in list_areas(conn, on=DATE)}
    assert listed[area_id]["level"] == "high"
    assert listed[area_id]["declared_at"] == "2022-04-10T00:00:00+08:00"
    assert area_id not in {a["id"] for a in list_areas(conn, on=DATE - dt.timedelta(days=1))}
    zoned = zoned_buildings(conn, [ids["case"], ids["near"], ids["far"]], on=DATE)
    assert dict(zip(zoned["building_id"], zoned["zone"], strict=True)) == {
        ids["case"]: "sealed",
        ids["near"]: "control",
    }
    assert zoned_buildings(conn, [ids["case"]], on=DATE - dt.timedelta(days=1)).empty
    outlines = zone_outlines(conn, on=DATE)
    assert list(outlines["zone"]) == ["sealed", "control", "prevention"]
    assert outlines.crs.to_epsg() == 4326 and area.geometries["sealed"].equals(outlines.geometry.iloc[0])
