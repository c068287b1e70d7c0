"""The map's "what if" (geo.risk_whatif) and the stored areas read for lists and prints (geo.risk_areas)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection, text

from geo.errors import NotFound
from geo.risk.store import list_areas, zone_outlines, zoned_buildings
from geo.risk.whatif import case_at_building, declare_case, declared_at_for, simulate_at_building
from geo.vocab import CHINA_TZ
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
    area_id, area = declare_case(conn, [case_at_building(conn, ids["case"])], date=DATE, level="high")
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


def test_a_declaration_today_starts_now_and_a_past_one_at_midnight() -> None:
    now = dt.datetime(2022, 4, 10, 15, 30, tzinfo=CHINA_TZ)
    assert declared_at_for(dt.date(2022, 4, 10), now=now) == now
    assert declared_at_for(dt.date(2022, 4, 8), now=now) == dt.datetime(2022, 4, 8, tzinfo=CHINA_TZ)
    late_utc = dt.datetime(2022, 4, 9, 17, 0, tzinfo=dt.UTC)  # 01:00 on the 10th in China
    assert declared_at_for(dt.date(2022, 4, 10), now=late_utc) == late_utc
