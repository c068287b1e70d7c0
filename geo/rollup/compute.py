"""A city's roll-up: per sub-district and day, households by status, cases, active risk areas and
open/overdue loop items; counts only, by the subjects' own rules (``geo.status.rule``, the risk
areas' active window, the loops' state). Written to ``rollup_*`` only where a figure changed, so
logical replication carries only what changed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo.clock import china_now
from geo.errors import InvalidParameter
from geo.loops.store import OVERDUE, STATE_JOIN
from geo.status.overview_read import subdistrict_statuses
from geo.status.rule import household_statuses, status_params
from geo.vocab import CHINA_TZ, STATUS_CODES

CITY_CODE = r"^[a-z0-9_]+$"
SIMPLIFY_DEGREES = 0.0002  # about 20 m: outlines for an overview, a fraction of the full polygons


@dataclass(frozen=True)
class Refreshed:
    """What one refresh wrote: sub-districts, days, and rows inserted or changed."""

    units: int
    days: int
    rows_changed: int


def refresh(
    conn: Connection,
    *,
    city: str,
    name: str,
    days: list[dt.date] | None = None,
    at: dt.datetime | None = None,
) -> Refreshed:
    """Recompute the roll-up of ``days`` (default: every day of the status history up to today)."""
    if not re.fullmatch(CITY_CODE, city or ""):
        raise InvalidParameter(f"city code {city!r} must be lower-case letters, digits or _ (e.g. shanghai)")
    at = at or china_now()
    today = at.astimezone(CHINA_TZ).date()
    conn.execute(
        text("""
        INSERT INTO rollup_cities (city_code, name, refreshed_at) VALUES (:c, :n, :at)
        ON CONFLICT (city_code) DO UPDATE SET name = EXCLUDED.name, refreshed_at = EXCLUDED.refreshed_at"""),
        {"c": city, "n": name, "at": at},
    )
    units = _refresh_units(conn, city)
    chosen = days if days is not None else _history_days(conn, today)
    changed = sum(_refresh_day(conn, city, day, today=today, at=at) for day in chosen)
    return Refreshed(units, len(chosen), changed)


def _history_days(conn: Connection, today: dt.date) -> list[dt.date]:
    """Each day from the first to the last that the status history or the cases name, and today."""
    first, last = conn.execute(
        text("""
        SELECT least(min(s.first), min(c.first)), greatest(max(s.last), max(c.last)) FROM
            (SELECT min(valid_from) AS first, max(coalesce(valid_to - 1, valid_from)) AS last
             FROM house_status) s,
            (SELECT min(reported_on) AS first, max(reported_on) AS last FROM cases) c""")
    ).one()
    days = (
        []
        if first is None
        else [first + dt.timedelta(days=n) for n in range((min(last, today) - first).days + 1)]
    )
    return days if today in days else [*days, today]


def _refresh_units(conn: Connection, city: str) -> int:
    conn.execute(
        text("""
        INSERT INTO rollup_units (city_code, unit_id, district, name, geom)
        SELECT :c, u.id, d.name, u.name,
               ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_SimplifyPreserveTopology(u.geom, :tol)), 3))
        FROM admin_units u LEFT JOIN admin_units d ON d.id = u.parent_id
        WHERE u.level = 'subdistrict'
        ON CONFLICT (city_code, unit_id) DO UPDATE
            SET district = EXCLUDED.district, name = EXCLUDED.name, geom = EXCLUDED.geom
            WHERE (rollup_units.district, rollup_units.name)
                  IS DISTINCT FROM (EXCLUDED.district, EXCLUDED.name)
               OR NOT ST_Equals(rollup_units.geom, EXCLUDED.geom)"""),
        {"c": city, "tol": SIMPLIFY_DEGREES},
    )
    return int(
        conn.execute(text("SELECT count(*) FROM admin_units WHERE level = 'subdistrict'")).scalar_one()
    )


def _refresh_day(conn: Connection, city: str, day: dt.date, *, today: dt.date, at: dt.datetime) -> int:
    statuses = subdistrict_statuses(conn, date=day)  # the precomputed overview, when settled
    if statuses is None:
        statuses = defaultdict(lambda: dict.fromkeys(STATUS_CODES, 0))
        sql = f"""
            SELECT b.subdistrict_id AS unit, st.status, count(*) AS n
            FROM ({household_statuses()}) st JOIN buildings b ON b.id = st.building_id
            WHERE b.subdistrict_id IS NOT NULL GROUP BY 1, 2"""
        for unit, status, n in conn.execute(text(sql), status_params(day)):
            statuses[int(unit)][status] = int(n)
    start = dt.datetime.combine(day, dt.time(0, 0), CHINA_TZ)
    bounds: dict[str, object] = {"day": day, "day_start": start, "day_end": start + dt.timedelta(days=1)}
    cases = _per_unit(
        conn,
        "SELECT u.id, count(*) FROM cases c JOIN admin_units u ON u.level = 'subdistrict' "
        "AND ST_Covers(u.geom, c.geom) WHERE c.reported_on = :day GROUP BY 1",
        bounds,
    )
    risk = _per_unit(
        conn,
        "SELECT u.id, count(DISTINCT r.id) FROM risk_areas r JOIN admin_units u ON u.level = 'subdistrict' "
        "AND ST_Intersects(u.geom, coalesce(r.geom, r.point)) "
        "WHERE r.declared_at < :day_end AND (r.lifted_at IS NULL OR r.lifted_at >= :day_start) GROUP BY 1",
        bounds,
    )
    loops = _loops(conn, at) if day == today else {}
    rows = [
        {
            "c": city,
            "u": unit,
            "day": day,
            "households": sum(counts.values()),
            "by_status": json.dumps(counts),
            "cases": cases.get(unit, 0),
            "risk": risk.get(unit, 0),
            "open": loops.get(unit, (0, 0))[0] if day == today else None,
            "overdue": loops.get(unit, (0, 0))[1] if day == today else None,
        }
        for unit, counts in statuses.items()
    ]
    if not rows:
        return 0
    # A past day keeps the loop counts its own refresh saw (loops have no history to recompute).
    result = conn.execute(
        text("""
        INSERT INTO rollup_days AS r (city_code, unit_id, day, households, by_status, cases, risk_areas,
                                      loops_open, loops_overdue)
        VALUES (:c, :u, :day, :households, CAST(:by_status AS jsonb), :cases, :risk,
                CAST(:open AS integer), CAST(:overdue AS integer))
        ON CONFLICT (city_code, unit_id, day) DO UPDATE SET
            households = EXCLUDED.households, by_status = EXCLUDED.by_status, cases = EXCLUDED.cases,
            risk_areas = EXCLUDED.risk_areas,
            loops_open = coalesce(EXCLUDED.loops_open, r.loops_open),
            loops_overdue = coalesce(EXCLUDED.loops_overdue, r.loops_overdue)
        WHERE (r.households, r.by_status, r.cases, r.risk_areas, r.loops_open, r.loops_overdue)
              IS DISTINCT FROM (EXCLUDED.households, EXCLUDED.by_status, EXCLUDED.cases, EXCLUDED.risk_areas,
                                coalesce(EXCLUDED.loops_open, r.loops_open),
                                coalesce(EXCLUDED.loops_overdue, r.loops_overdue))"""),
        rows,
    )
    return int(result.rowcount or 0)


def _per_unit(conn: Connection, sql: str, params: dict[str, object]) -> dict[int, int]:
    return {int(u): int(n) for u, n in conn.execute(text(sql), params)}


def _loops(conn: Connection, at: dt.datetime) -> dict[int, tuple[int, int]]:
    sql = f"""
        SELECT b.subdistrict_id, count(*) FILTER (WHERE st.state = 'open'), count(*) FILTER (WHERE {OVERDUE})
        FROM loop_items i JOIN buildings b ON b.id = i.building_id {STATE_JOIN}
        WHERE b.subdistrict_id IS NOT NULL GROUP BY 1"""
    return {int(u): (int(o), int(d)) for u, o, d in conn.execute(text(sql), {"at": at})}
