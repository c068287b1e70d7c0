"""What if a case were at a building: the map's "simulate a case here" and its confirmation.

A simulation is :func:`geo.risk.zones.declare_risk_area` around the building's label point, nothing stored;
confirming it computes the same zones again inside the caller's transaction and stores them with
:func:`geo.risk.store.save_risk_area` (so what is saved is what the data say at that moment, not what
a browser sent back).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, text

from geo.errors import NotFound
from geo.risk.rules import RiskRules
from geo.risk.store import save_risk_area
from geo.risk.zones import CaseLocation, RiskArea, declare_risk_area
from geo.scope import UNRESTRICTED, Scope
from geo.vocab import CHINA_TZ


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


def declared_at_for(day: dt.date, *, now: dt.datetime | None = None) -> dt.datetime:
    """When an area declared "on ``day``" starts: now if ``day`` is today in China, else 00:00 that day.

    The same rule as ``battlemap risk declare --date``, so a past day's declaration is active on it.
    """
    now = now or dt.datetime.now(CHINA_TZ)
    if day == now.astimezone(CHINA_TZ).date():
        return now
    return dt.datetime.combine(day, dt.time(0, 0), CHINA_TZ)


def declare_case(
    conn: Connection,
    cases: Any,
    *,
    date: dt.date,
    crs: str | None = None,
    rules: RiskRules | None = None,
    level: str = "medium",
    name: str | None = None,
) -> tuple[int, RiskArea]:
    """Compute and store the risk area of ``cases`` declared on ``date``; returns (its id, the area).

    Runs in the caller's transaction: commit it to keep the area.
    """
    area = declare_risk_area(conn, cases, date=date, crs=crs, rules=rules)
    area_id = save_risk_area(conn, area, declared_at=declared_at_for(date), name=name, level=level)
    return area_id, area
