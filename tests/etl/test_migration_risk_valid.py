"""Migration 0006_risk_valid: risk zones stored invalid before it are repaired, and none can be stored
invalid after it (issue 11, section 4)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import IntegrityError

from etl.schema import alembic_config, upgrade
from geo.db import ensure_database
from geo.settings import DatabaseSettings
from tests.fixtures.databases import drop_database, sibling_url

# Two overlapping squares as one MultiPolygon: what collecting touching footprints stored before 0006.
OVERLAPPING = "MULTIPOLYGON(((121.50 31.24, 121.502 31.24, 121.502 31.242, 121.50 31.242, 121.50 31.24)),"
OVERLAPPING += "((121.501 31.241, 121.503 31.241, 121.503 31.243, 121.501 31.243, 121.501 31.241)))"


@pytest.fixture
def engine_at_0004(database_url: str) -> Iterator[Engine]:
    url = sibling_url(database_url, "mig6")
    ensure_database(DatabaseSettings(_env_file=None, url=url))
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(connection=conn), "0004")
    try:
        yield engine
    finally:
        engine.dispose()
        drop_database(url)


def test_stored_invalid_zones_are_repaired_and_new_ones_refused(engine_at_0004: Engine) -> None:
    with engine_at_0004.begin() as conn:
        area = conn.execute(
            text("""
            INSERT INTO risk_areas (name, level, declared_at, match_kind, geom, source, source_id)
            VALUES ('old', 'medium', now(), 'declared', ST_GeomFromText(:g, 4326), 'declared', 'old-1')
            RETURNING id"""),
            {"g": OVERLAPPING},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO risk_area_zones (risk_area_id, zone, geom) "
                "VALUES (:a, 'sealed', ST_GeomFromText(:g, 4326))"
            ),
            {"a": area, "g": OVERLAPPING},
        )
    upgrade(engine_at_0004)
    with engine_at_0004.connect() as conn:
        valid = conn.execute(
            text("""
            SELECT ST_IsValid(r.geom), ST_IsValid(z.geom), ST_GeometryType(z.geom),
                   ST_Area(z.geom) / ST_Area(ST_GeomFromText(:g, 4326))
            FROM risk_areas r JOIN risk_area_zones z ON z.risk_area_id = r.id"""),
            {"g": OVERLAPPING},
        ).one()
        assert tuple(valid[:3]) == (True, True, "ST_MultiPolygon")
        assert valid[3] == pytest.approx(7 / 8)  # the overlap (1 of the 8 collected units) counted once
        with pytest.raises(IntegrityError, match="valid_geom"):
            conn.execute(
                text("UPDATE risk_area_zones SET geom = ST_GeomFromText(:g, 4326)"), {"g": OVERLAPPING}
            )
