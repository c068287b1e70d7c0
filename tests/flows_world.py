"""Fixtures of the movement-flow tests: the places, transfer legs and gate counts of
tests/fixtures/flows, loaded through the real pipeline (used by tests/geo and tests/layers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from etl import pipeline
from etl.jobs.base import LoadOptions
from geo.scope import Scope

FLOWS = Path(__file__).resolve().parent / "fixtures" / "flows"


@pytest.fixture
def flows_db(conn: Connection, tmp_path: Path) -> Connection:
    """``conn`` with the flow fixtures loaded (rolled back with the test)."""
    for kind, name in (
        ("places", "places.csv"),
        ("transfers", "transfers.csv"),
        ("gate-events", "gate_events.csv"),
    ):
        options = LoadOptions(progress=False, rejects_path=tmp_path / f"{name}.rejects.csv")
        pipeline.load(conn, kind, FLOWS / name, options=options)
    return conn


@pytest.fixture
def lujiazui(flows_db: Connection) -> Scope:
    """The scope of a sub-district around the fixtures' gates and hotels (not the airport, the
    station or the hospital)."""
    unit = flows_db.execute(
        text("""
        INSERT INTO admin_units (code, name, level, geom, source, source_id)
        VALUES ('t-ljz', '陆家嘴', 'subdistrict',
                ST_Multi(ST_MakeEnvelope(121.49, 31.235, 121.52, 31.25, 4326)), 't', 't-ljz')
        RETURNING id
    """)
    ).scalar_one()
    return Scope(unit_ids=frozenset({unit}), restricted=True)
