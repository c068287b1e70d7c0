"""Simulated medium-risk areas inside the demo's period, so the house-status map's stored-zone overlay
and risk panel have something to show on the demo's days.

The published risk areas of the sample (data/sample) near the demo's buildings are of July to
December 2022, months after the simulated house statuses (March to May): on no day of the date
slider are they active. Here the buildings with the most simulated confirmed households (spread
at least ``MIN_SPACING_M`` apart) each get an area declared on the day of their first confirmed
household, through the one declare path (``geo.risk.zones.declare_risk_area`` then
``geo.risk.store.save_risk_area``), with ``source`` 'simulated'; its last case is the building's
last confirmed day, the SOP steps are done on time, and the area is lifted when its quiet period
has run out within the period. Running it again changes nothing (each area's ``source_id`` is
fixed by its building and day).
"""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import Connection, text

from etl.report import LoadReport
from geo.risk.declare import declared_at_for
from geo.risk.rules import default_sop
from geo.risk.store import lift_risk_area, record_case, record_step, save_risk_area
from geo.risk.whatif import case_at_building
from geo.risk.zones import declare_risk_area
from geo.status.read import status_dates
from geo.vocab import CHINA_TZ, SIMULATED_SOURCE

AREAS = 4
"""How many simulated risk areas the demo declares."""
MIN_SPACING_M = 600.0
"""Their case buildings at least this far apart, so their zones do not all overlap."""


def _candidates(conn: Connection) -> list[tuple[int, str, dt.date, dt.date]]:
    """(building id, source id, first and last day with a confirmed household), most confirmed first."""
    rows = conn.execute(
        text("""
        SELECT b.id, b.source_id, min(s.valid_from), max(s.valid_from), count(*) AS n
        FROM house_status s JOIN households h ON h.id = s.household_id
        JOIN buildings b ON b.id = h.building_id
        WHERE s.status = 'confirmed' AND s.source = :s
        GROUP BY b.id, b.source_id ORDER BY n DESC, b.source_id"""),
        {"s": SIMULATED_SOURCE},
    ).all()
    return [(int(r[0]), str(r[1]), r[2], r[3]) for r in rows]


def _spread(conn: Connection, candidates: list[tuple[int, str, dt.date, dt.date]]) -> list:
    chosen: list[tuple[int, str, dt.date, dt.date]] = []
    for candidate in candidates:
        if len(chosen) == AREAS:
            break
        if chosen:
            near = conn.execute(
                text("""
                SELECT bool_or(ST_DWithin(a.geom::geography, b.geom::geography, :m))
                FROM buildings a, buildings b WHERE a.id = :a AND b.id = ANY(:others)"""),
                {"a": candidate[0], "others": [c[0] for c in chosen], "m": MIN_SPACING_M},
            ).scalar()
            if near:
                continue
        chosen.append(candidate)
    return chosen


def load_risk_areas(conn: Connection) -> LoadReport:
    """Declare the demo's simulated risk areas (a ``LoadReport`` like the other demo steps)."""
    started = time.perf_counter()
    report = LoadReport(kind="risk-areas", path=f"{SIMULATED_SOURCE}-risk-areas")
    dates = status_dates(conn)
    if dates is None:
        report.notes["nothing generated"] = "no status history is loaded"
        return report
    last_day = dates[1]
    end_of_data = dt.datetime.combine(last_day, dt.time(23, 59), CHINA_TZ)
    sop = default_sop()
    made: list[str] = []
    for building_id, building, first, last_case in _spread(conn, _candidates(conn)):
        report.rows_read += 1
        source_id = f"{SIMULATED_SOURCE}-risk-{building}-{first.isoformat()}"
        exists = conn.execute(
            text("SELECT 1 FROM risk_areas WHERE source_id = :sid"), {"sid": source_id}
        ).scalar()
        if exists:
            report.unchanged += 1
            continue
        area = declare_risk_area(conn, [case_at_building(conn, building_id)], date=first)
        declared = declared_at_for(first, now=end_of_data + dt.timedelta(days=1))
        place = conn.execute(
            text("""SELECT coalesce(g.name, '') || ' ' || coalesce(b.name, b.address, b.source_id)
                    FROM buildings b LEFT JOIN grids g ON g.id = b.grid_id WHERE b.id = :b"""),
            {"b": building_id},
        ).scalar_one()
        area_id = save_risk_area(
            conn,
            area,
            declared_at=declared,
            name=f"{place.strip()}（模拟）",
            source=SIMULATED_SOURCE,
            source_id=source_id,
            level="medium",
        )
        last_case_at = dt.datetime.combine(last_case, dt.time(9, 0), CHINA_TZ)
        record_case(conn, area_id, at=max(last_case_at, declared))
        for step in sop.steps:  # each step done an hour before it is due, daily ones every day
            at = declared + dt.timedelta(hours=max(step.due_h - 1, 0))
            lifted_by = last_case_at + dt.timedelta(days=sop.lift.quiet_days)
            while at <= min(end_of_data, lifted_by):
                record_step(conn, area_id, step.code, done_at=at, sop=sop)
                if not step.every_h:
                    break
                at += dt.timedelta(hours=step.every_h)
        lift_at = last_case_at + dt.timedelta(days=sop.lift.quiet_days)
        if lift_at <= end_of_data:
            lift_risk_area(conn, area_id, at=lift_at, sop=sop)
        report.inserted += 1
        until = f"lifted {lift_at:%m-%d}" if lift_at <= end_of_data else "open"
        made.append(f"building {building} from {first:%m-%d}, {until}")
    report.seconds = time.perf_counter() - started
    report.notes["simulated"] = f"{report.rows_read} medium-risk areas around simulated cases: " + (
        ", ".join(made) or "already loaded"
    )
    return report
