"""Reading the roll-up: every city's sub-districts on a day (the national page and its tiles), and
each city's freshness: stale when its last refresh is older than a setting or, on the national
database, when its subscription is not connected (the city is offline; replication catches up by
itself when it returns)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo.clock import china_now
from geo.tiles import IN_TILE, MVT_GEOM, TileAddress, render_tile

NATIONAL_LAYER = "units"

# The latest day at or before :day each unit has figures for (a city whose refresh stopped keeps
# showing its last day, flagged stale, rather than vanishing).
_LATEST = """
    SELECT DISTINCT ON (d.city_code, d.unit_id) d.*
    FROM rollup_days d WHERE d.day <= :day
    ORDER BY d.city_code, d.unit_id, d.day DESC"""


@dataclass(frozen=True)
class CityFigures:
    """One city on the national page."""

    code: str
    name: str
    refreshed_at: dt.datetime
    day: dt.date | None
    units: int
    households: int
    not_normal: int
    cases: int
    risk_areas: int
    loops_open: int
    loops_overdue: int
    connected: bool | None
    """Its subscription's apply worker runs (None: not subscribed here, e.g. the city itself)."""
    stale: bool


def cities(
    conn: Connection, *, day: dt.date, stale_after_s: float, at: dt.datetime | None = None
) -> list[CityFigures]:
    """Each city's totals on ``day`` (its latest figures up to then) and whether they are stale."""
    at = at or china_now()
    links = subscriptions(conn)
    rows = conn.execute(
        text(f"""
        SELECT c.city_code, c.name, c.refreshed_at, max(l.day) AS day, count(l.unit_id) AS units,
               coalesce(sum(l.households), 0) AS households,
               coalesce(sum(l.households - coalesce((l.by_status->>'normal')::int, 0)), 0) AS not_normal,
               coalesce(sum(l.cases), 0) AS cases, coalesce(sum(l.risk_areas), 0) AS risk_areas,
               coalesce(sum(l.loops_open), 0) AS loops_open,
               coalesce(sum(l.loops_overdue), 0) AS loops_overdue
        FROM rollup_cities c LEFT JOIN ({_LATEST}) l ON l.city_code = c.city_code
        GROUP BY c.city_code, c.name, c.refreshed_at ORDER BY c.city_code"""),
        {"day": day},
    ).all()
    out = []
    for r in rows:
        connected = links.get(r.city_code)
        old = (at - r.refreshed_at).total_seconds() > stale_after_s
        out.append(
            CityFigures(
                r.city_code, r.name, r.refreshed_at, r.day, int(r.units), int(r.households),
                int(r.not_normal), int(r.cases), int(r.risk_areas), int(r.loops_open),
                int(r.loops_overdue), connected, old or connected is False,
            )
        )  # fmt: skip
    return out


def subscriptions(conn: Connection) -> dict[str, bool]:
    """City code -> whether its subscription's apply worker is connected, for this database's
    ``battlemap_<city>`` subscriptions."""
    rows = conn.execute(
        text("""
        SELECT s.subname, bool_or(st.pid IS NOT NULL) AS connected
        FROM pg_subscription s LEFT JOIN pg_stat_subscription st ON st.subid = s.oid
        WHERE s.subname LIKE 'battlemap\\_%' GROUP BY s.subname""")
    ).all()
    return {name.removeprefix("battlemap_"): bool(connected) for name, connected in rows}


def national_tile(conn: Connection, addr: TileAddress, *, date: dt.date) -> bytes:
    """Every city's sub-districts meeting the tile, with their counts on ``date``: no person, no building."""
    sql = f"""
    SELECT ST_AsMVT(t, '{NATIONAL_LAYER}', :extent, 'geom') FROM (
        SELECT u.city_code AS city, u.name, u.district, l.day::text AS day,
               coalesce(l.households, 0) AS households,
               coalesce(l.households - (l.by_status->>'normal')::int, 0) AS not_normal,
               coalesce(l.cases, 0) AS cases, coalesce(l.risk_areas, 0) AS risk_areas,
               coalesce(l.loops_overdue, 0) AS loops_overdue,
               CASE WHEN coalesce(l.households, 0) = 0 THEN 0
                    ELSE round((l.households - (l.by_status->>'normal')::int)::numeric
                               / l.households, 4)::float8
               END AS not_normal_share,
               {MVT_GEOM.format(g="u.geom")} AS geom
        FROM rollup_units u
        LEFT JOIN ({_LATEST}) l ON l.city_code = u.city_code AND l.unit_id = u.unit_id
        WHERE {IN_TILE.format(g="u.geom")}
    ) t WHERE geom IS NOT NULL"""
    return render_tile(conn, sql, addr.params | {"day": date})


def bounds(conn: Connection) -> tuple[float, float, float, float] | None:
    """The extent of every city's sub-districts (WGS84), None before any roll-up arrived."""
    box = conn.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            "FROM (SELECT ST_Extent(geom) AS e FROM rollup_units) x"
        )
    ).one()
    return None if box[0] is None else (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
