"""Counting zoned buildings (geo.risk.counts): a city's worth of buildings (the rank lookup) counts what a
listed few do, and the planner settings are put back afterwards."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, text

from geo.risk import counts as risk_counts
from geo.risk.zones import declare_risk_area
from tests.risk_world import CASE, DATE, build_world


def test_the_rank_lookup_counts_what_the_listed_ids_count(
    conn: Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_world(conn)
    area = declare_risk_area(conn, [CASE], date=DATE, geometry=False)
    listed = {z: c.to_dict() for z, c in area.counts.items()}
    assert any(c["households"] and c["people"] for c in listed.values())  # statuses, people: compared
    monkeypatch.setattr(risk_counts, "_LATERAL_MAX", 0)  # every set of buildings goes as a lookup
    looked_up = risk_counts.count_zoned(conn, area.assignments, date=DATE, status_known=area.status_known)
    assert {z: c.to_dict() for z, c in looked_up.items()} == listed


def test_settings_are_put_back(conn: Connection) -> None:
    build_world(conn)
    before = conn.execute(text("SELECT current_setting('jit'), current_setting('work_mem')")).one()
    declare_risk_area(conn, [CASE], date=DATE, geometry=False)
    assert conn.execute(text("SELECT current_setting('jit'), current_setting('work_mem')")).one() == before
