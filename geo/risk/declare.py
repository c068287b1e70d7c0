"""Declaring a risk area: the one path the command line, the HTTP API and the map's panel all take.

``declare_and_store`` computes the zones of the cases on a day over every building (the stored area
is the same whoever declares it), stores them, writes one ``risk_declare`` audit row of one shape, and
returns what the declarer may see: for an area-limited user, the counts of their area only (as a
simulation shows them). ``declared_at_for`` is the one rule for when an area declared "on a day"
starts. Everything runs in the caller's transaction: commit it to keep the area.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from geo.audit import Actor, record
from geo.crs import CoordSystem
from geo.risk.rules import RiskRules
from geo.risk.store import save_risk_area
from geo.risk.zones import RiskArea, declare_risk_area, within_scope
from geo.scope import UNRESTRICTED, Scope
from geo.vocab import CHINA_TZ


def declared_at_for(day: dt.date, *, now: dt.datetime | None = None) -> dt.datetime:
    """When an area declared "on ``day``" starts: now if ``day`` is today in China, else 00:00 that day
    (China time), so that a past day's declaration is active on it."""
    now = now or dt.datetime.now(CHINA_TZ)
    if day == now.astimezone(CHINA_TZ).date():
        return now
    return dt.datetime.combine(day, dt.time(0, 0), CHINA_TZ)


@dataclass(frozen=True)
class Declaration:
    """A stored risk area: its id, when it was declared, and the area as the declarer may see it."""

    area_id: int
    declared_at: dt.datetime
    area: RiskArea

    def summary(self) -> dict[str, Any]:
        """The area's summary (``RiskArea.summary``) with ``risk_area_id`` and ``declared_at``."""
        return {
            "risk_area_id": self.area_id,
            **self.area.summary(),
            "declared_at": self.declared_at.isoformat(),
        }


def declare_and_store(
    conn: Connection,
    cases: Any,
    *,
    actor: Actor,
    date: dt.date,
    crs: str | CoordSystem | None = None,
    rules: RiskRules | None = None,
    level: str = "medium",
    name: str | None = None,
    scope: Scope = UNRESTRICTED,
    now: dt.datetime | None = None,
) -> Declaration:
    """Compute, store and audit the risk area of ``cases`` declared on ``date`` by ``actor``.

    Parameters
    ----------
    cases, crs, rules
        as for :func:`geo.risk.zones.declare_risk_area`.
    level, name
        stored with the area (``geo.risk.store.save_risk_area``).
    scope
        the declarer's area: the returned counts and footprints hold only its buildings and places
        (the caller checks that the declarer may declare there at all).
    now
        the clock of :func:`declared_at_for` (tests); now in China when None.

    Raises
    ------
    InvalidParameter, OutsideLoadedArea
        as ``declare_risk_area`` and ``save_risk_area`` do; nothing is stored then.
    """
    area = declare_risk_area(conn, cases, date=date, crs=crs, rules=rules)
    declared_at = declared_at_for(date, now=now)
    area_id = save_risk_area(conn, area, declared_at=declared_at, name=name, level=level)
    first = area.cases[0]
    detail = {
        "lon": first.lon,  # WGS84, as stored, whatever the input's CRS
        "lat": first.lat,
        "cases": len(area.cases),
        "date": date.isoformat(),
        "declared_at": declared_at.isoformat(),
        "level": level,
    }
    record(conn, actor, "risk_declare", target=f"risk_area:{area_id}", detail=detail)
    return Declaration(area_id, declared_at, within_scope(conn, area, scope))
