"""What if a case were at a building: the map's "simulate a case here" and its confirmation.

A simulation is :func:`geo.risk.zones.declare_risk_area` around the building's label point, nothing stored;
confirming it is :func:`geo.risk.declare.declare_and_store` at the same building's point, computed again
inside the caller's transaction (so what is saved is what the data say at that moment, not what a
browser sent back).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, text

from geo.errors import NotFound
from geo.risk.rules import RiskRules
from geo.risk.zones import CaseLocation, RiskArea, declare_risk_area
from geo.scope import UNRESTRICTED, Scope


def case_at_building(conn: Connection, building_id: int) -> CaseLocation:
    """A case placed at a building: its label point (inside the footprint) and its address.

    Raises
    ------
    NotFound
        when no building has that id.
    """
    row = conn.execute(
        text("SELECT ST_X(label_point), ST_Y(label_point), address FROM buildings WHERE id = :id"),
        {"id": building_id},
    ).one_or_none()
    if row is None:
        raise NotFound(f"no building with id {building_id}; reload the map, the data may have changed")
    return CaseLocation(float(row[0]), float(row[1]), row[2] or None)


def simulate_at_building(
    conn: Connection,
    building_id: int,
    *,
    date: dt.date,
    rules: RiskRules | None = None,
    scope: Scope = UNRESTRICTED,
) -> RiskArea:
    """The zones and counts a case at ``building_id`` would give on ``date`` (nothing is written),
    over the buildings of ``scope`` only."""
    cases = [case_at_building(conn, building_id)]
    return declare_risk_area(conn, cases, date=date, rules=rules, scope=scope)
