"""The one declaration path (geo.risk.declare): when an area starts, what is stored and audited, what an
area-limited declarer sees, and that stored zones are valid polygons (issue 11, section 4)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import shapely
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from geo.audit import Actor
from geo.risk.declare import declare_and_store, declared_at_for
from geo.risk.zones import declare_risk_area, valid_zone
from geo.scope import Scope
from geo.vocab import CHINA_TZ
from tests.risk_world import CASE, DATE, DECLARE_AUDIT_KEYS, build_world, offset, square

ACTOR = Actor("test-operator", "operator", "192.0.2.1")


def test_a_declaration_today_starts_now_and_a_past_one_at_midnight() -> None:
    now = dt.datetime(2022, 4, 10, 15, 30, tzinfo=CHINA_TZ)
    assert declared_at_for(dt.date(2022, 4, 10), now=now) == now
    assert declared_at_for(dt.date(2022, 4, 8), now=now) == dt.datetime(2022, 4, 8, tzinfo=CHINA_TZ)
    late_utc = dt.datetime(2022, 4, 9, 17, 0, tzinfo=dt.UTC)  # 01:00 on the 10th in China
    assert declared_at_for(dt.date(2022, 4, 10), now=late_utc) == late_utc


def test_declare_stores_and_audits_one_row_of_one_shape(conn: Connection) -> None:
    build_world(conn)
    now = dt.datetime.combine(DATE, dt.time(9, 15), CHINA_TZ)
    declared = declare_and_store(conn, [CASE], actor=ACTOR, date=DATE, level="high", now=now)
    assert declared.declared_at == now  # "today": now, not 00:00
    stored = conn.execute(
        text("SELECT level, declared_at FROM risk_areas WHERE id = :a"), {"a": declared.area_id}
    ).one()
    assert tuple(stored) == ("high", now)
    rows = conn.execute(
        text(
            "SELECT user_name, role, ip, detail FROM audit_log WHERE action = 'risk_declare' AND target = :t"
        ),
        {"t": f"risk_area:{declared.area_id}"},
    ).all()
    assert len(rows) == 1
    user, role, ip, detail = rows[0]
    assert (user, role, ip) == ("test-operator", "operator", "192.0.2.1")
    assert set(detail) == DECLARE_AUDIT_KEYS
    assert (detail["lon"], detail["lat"], detail["level"]) == (CASE[0], CASE[1], "high")
    assert declared.summary()["risk_area_id"] == declared.area_id


def test_an_area_limited_declarer_sees_the_counts_of_their_area_only(conn: Connection) -> None:
    ids = build_world(conn)
    scope = Scope(grid_ids=frozenset({ids["G1"]}), restricted=True)
    simulated = declare_risk_area(conn, [CASE], date=DATE, scope=scope)
    declared = declare_and_store(conn, [CASE], actor=ACTOR, date=DATE, scope=scope)
    assert declared.area.summary()["zones"] == simulated.summary()["zones"]
    everyone = declare_risk_area(conn, [CASE], date=DATE)
    assert len(declared.area.buildings()) < len(everyone.buildings())
    stored = conn.execute(
        text("SELECT count(*) FROM risk_area_buildings WHERE risk_area_id = :a"), {"a": declared.area_id}
    ).scalar_one()
    assert stored == len(everyone.buildings())  # the stored area is the whole area


def _crowd(conn: Connection) -> None:
    """Footprints that overlap and touch around the case, as real footprint data has them."""
    for n in range(12):
        x, y = offset(*CASE, 30 * n, 20.0 + 15 * n)
        for shift in (0.0, 6.0):  # a 10 m square and its twin 6 m east: they overlap
            geom = square(*offset(x, y, 90, shift), 5.0)
            conn.execute(
                text(
                    "INSERT INTO buildings (name, geom, source, source_id) "
                    "VALUES ('crowd', ST_Multi(ST_GeomFromText(:g, 4326)), 'risk-world', :s)"
                ),
                {"g": geom.wkt, "s": f"crowd-{n}-{shift}"},
            )


def test_stored_zones_are_valid_polygons_for_random_cases(conn: Connection) -> None:
    build_world(conn)
    _crowd(conn)
    rng = random.Random(11)
    for _ in range(6):
        case = offset(*CASE, rng.uniform(0, 360), rng.uniform(0, 250))
        area = declare_risk_area(conn, [case], date=DATE)
        assert all(g is None or g.is_valid for g in area.geometries.values())
        declare_and_store(conn, [case], actor=ACTOR, date=DATE)
    invalid = conn.execute(
        text("""
        SELECT count(*) FROM risk_area_zones WHERE geom IS NOT NULL AND NOT ST_IsValid(geom)
        UNION ALL SELECT count(*) FROM risk_areas WHERE geom IS NOT NULL AND NOT ST_IsValid(geom)""")
    ).scalars()
    assert list(invalid) == [0, 0]
    # An area-limited read of them intersects without a GEOS TopologyException.
    conn.execute(
        text("SELECT count(*) FROM risk_area_zones z, grids g WHERE ST_Intersects(z.geom, g.geom)")
    ).scalar_one()


def test_the_database_refuses_an_invalid_zone(conn: Connection) -> None:
    build_world(conn)
    area_id = declare_and_store(conn, [CASE], actor=ACTOR, date=DATE).area_id
    bowtie = "MULTIPOLYGON(((121.5 31.24, 121.501 31.241, 121.501 31.24, 121.5 31.241, 121.5 31.24)))"
    with pytest.raises(IntegrityError, match="valid_geom"), conn.begin_nested():
        conn.execute(
            text("UPDATE risk_area_zones SET geom = ST_GeomFromText(:g, 4326) WHERE risk_area_id = :a"),
            {"g": bowtie, "a": area_id},
        )


def test_a_zone_merges_only_the_footprints_that_meet() -> None:
    overlapping = [shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3)]
    touching = [shapely.box(10, 0, 11, 1), shapely.box(11, 0, 12, 1)]
    alone = shapely.box(20, 0, 21, 1)
    collected = shapely.MultiPolygon([*overlapping, *touching, alone])
    assert not collected.is_valid
    zone = valid_zone(collected)
    assert zone.is_valid and zone.geom_type == "MultiPolygon" and len(zone.geoms) == 3
    assert zone.area == pytest.approx(7.0 + 2.0 + 1.0)
    assert any(part.equals(alone) for part in zone.geoms)  # kept as it was
