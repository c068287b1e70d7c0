"""Stored risk areas (geo.risk.store): declared areas with zones and buildings, steps, lifting, past days."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection, text

from geo.errors import InvalidParameter, NotFound
from geo.risk.store import (
    area_clock,
    lift_risk_area,
    read_risk_areas,
    record_case,
    record_step,
    save_risk_area,
    zones_geojson,
)
from geo.risk.zones import declare_risk_area
from geo.vocab import CHINA_TZ
from tests.risk_world import CASE, DATE, build_world

DECLARED = dt.datetime(2022, 4, 10, 9, 0, tzinfo=CHINA_TZ)


@pytest.fixture
def stored(conn: Connection) -> int:
    build_world(conn)
    return save_risk_area(conn, declare_risk_area(conn, [CASE], date=DATE), declared_at=DECLARED, name="测试")


def test_a_declared_area_keeps_its_zones_and_buildings(conn: Connection, stored: int) -> None:
    zones = dict(
        conn.execute(
            text("SELECT zone, counts FROM risk_area_zones WHERE risk_area_id = :a"), {"a": stored}
        ).all()
    )
    assert zones["sealed"]["buildings"] == 2 and zones["control"]["households"] == 2
    rules = conn.execute(
        text("SELECT zone, count(*) FROM risk_area_buildings WHERE risk_area_id = :a GROUP BY 1"),
        {"a": stored},
    ).all()
    assert dict(rules) == {"sealed": 2, "control": 4, "prevention": 5}


def test_any_past_day_shows_the_areas_active_then(conn: Connection, stored: int) -> None:
    assert list(read_risk_areas(conn, on=DATE)["id"]) == [stored]
    assert read_risk_areas(conn, on=DATE - dt.timedelta(days=1)).empty
    lift_risk_area(conn, stored, at=DECLARED + dt.timedelta(days=14))
    assert list(read_risk_areas(conn, on=DATE + dt.timedelta(days=14))["id"]) == [stored]  # lifted that day
    assert read_risk_areas(conn, on=DATE + dt.timedelta(days=15)).empty


def test_the_overlay_carries_zones_counts_and_clocks(conn: Connection, stored: int) -> None:
    record_step(conn, stored, "announce", done_at=DECLARED + dt.timedelta(hours=1))
    overlay = zones_geojson(conn, on=dt.date(2022, 4, 11))
    assert [f["properties"]["zone"] for f in overlay["features"]] == ["sealed", "control", "prevention"]
    props = overlay["features"][0]["properties"]
    assert props["counts"]["buildings"] == 2 and props["level"] == "medium"
    sop = props["sop"]
    assert sop["state"] == "active" and "first_testing" in sop["overdue"] and "announce" not in sop["due"]
    assert sop["days_to_lift"] == 13
    assert zones_geojson(conn, on=dt.date(2022, 4, 9))["features"] == []


def test_steps_cases_and_lifting_drive_the_clock(conn: Connection, stored: int) -> None:
    record_case(conn, stored, at=DECLARED + dt.timedelta(days=3))
    clock = area_clock(conn, stored, at=DECLARED + dt.timedelta(days=14))
    assert clock.state == "active" and clock.hours_to_lift == pytest.approx(72)
    with pytest.raises(InvalidParameter, match="expected to be one of"):
        record_step(conn, stored, "dance", done_at=DECLARED)
    with pytest.raises(InvalidParameter, match="before the area was declared"):
        record_step(conn, stored, "announce", done_at=DECLARED - dt.timedelta(hours=1))
    with pytest.raises(NotFound, match="no risk area with id"):
        area_clock(conn, stored + 999, at=DECLARED)
    with pytest.raises(InvalidParameter, match="level"):
        save_risk_area(
            conn, declare_risk_area(conn, [CASE], date=DATE), declared_at=DECLARED, level="extreme"
        )
