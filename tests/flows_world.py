"""Fixtures of the movement-flow tests: the places, transfer legs and gate counts of
tests/fixtures/flows, loaded through the real pipeline (used by tests/geo and tests/layers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection

from etl import pipeline
from etl.jobs.base import LoadOptions

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
