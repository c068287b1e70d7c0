"""Precomputed overviews of the house-status map: per-day figures per grid, sub-district and city,
maintained incrementally in the transaction of each write (migration 0014).

Why deltas. Each building's state by ``geo.status.rule`` (households per status, cases, vulnerable,
worst status) is piecewise constant: it can change only on a day where one of its (or its
households') stretches starts or ends. It is stored as spans (``status_overview_spans``). Each span
adds its figures to its areas on its first day and takes them away on its end (``status_overview``
holds those deltas per area and day); a figure on a day is the sum of the deltas up to that day. So:

- an open-ended stretch counts on every later day and the roll-over to a new day writes nothing;
  a day materialised per day would need a rewrite of every area each night and a bound on the horizon;
- a write changes only the deltas of the buildings it touches: their old spans are subtracted, their
  new ones added (additions commute, so the areas' rows need no recomputation);
- a read sums a few rows per area (one per day on which something in it changed), whatever the
  number of buildings.

Which buildings are stale is recorded by triggers (``status_overview_pending``), whoever writes;
:func:`settle` folds them in, in the writer's transaction: the status write rule
(``geo.status.history.record_statuses``) and every load (``etl.pipeline.load``) call it. A reader
seeing pending buildings takes the live query (``geo.status.overview_read``), so nothing stale shows.

Levels: ``c`` the city (every building), ``s`` per sub-district, ``g`` per (grid, sub-district)
pair, so a grid's figures are exact for a scope of whole sub-districts even where a grid crosses a
sub-district's boundary, and a sub-district's for a scope of whole grids. Missing ids are keyed 0.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, text

from geo.status.rule import status_params, statuses_on_days
from geo.vocab import STATUS_CODES

TABLE = "status_overview"
SPANS = "status_overview_spans"
PENDING = "status_overview_pending"
PARTS = "status_overview_parts"

COUNTS: tuple[str, ...] = ("buildings", "households", "cases", "with_cases", "vulnerable", "changed")
"""Per area and day: buildings, households, households with a case status, buildings with cases,
buildings with vulnerable households, and households whose status differs from the day before (a
figure of that day only, not summed over the days before)."""
HOUSEHOLDS_BY_STATUS: tuple[str, ...] = tuple(f"hh_{code}" for code in STATUS_CODES)
BUILDINGS_BY_STATUS: tuple[str, ...] = tuple(f"b_{code}" for code in STATUS_CODES)
"""Buildings by their status (the most severe of their households', ``geo.status.rule``)."""
FIGURES: tuple[str, ...] = COUNTS + HOUSEHOLDS_BY_STATUS + BUILDINGS_BY_STATUS

# Temporary tables of one settle, dropped at its end.
_BUILDINGS, _DAYS, _NEW, _DELTA = "overview_buildings", "overview_days", "overview_new", "overview_delta"

_DAYS_SQL = f"""
    SELECT DISTINCT x.building_id, x.day FROM (
        SELECT p.building_id, '-infinity'::date AS day FROM {_BUILDINGS} p
        UNION ALL SELECT s.building_id, s.valid_from FROM house_status s
            JOIN {_BUILDINGS} p ON p.building_id = s.building_id
        UNION ALL SELECT s.building_id, s.valid_to FROM house_status s
            JOIN {_BUILDINGS} p ON p.building_id = s.building_id WHERE s.valid_to IS NOT NULL
        UNION ALL SELECT h.building_id, s.valid_from FROM house_status s
            JOIN households h ON h.id = s.household_id JOIN {_BUILDINGS} p ON p.building_id = h.building_id
        UNION ALL SELECT h.building_id, s.valid_to FROM house_status s
            JOIN households h ON h.id = s.household_id JOIN {_BUILDINGS} p ON p.building_id = h.building_id
            WHERE s.valid_to IS NOT NULL
    ) x JOIN buildings b ON b.id = x.building_id"""


def _by_status_array() -> str:
    return "ARRAY[" + ", ".join(f"count(*) FILTER (WHERE status = '{c}')" for c in STATUS_CODES) + "]::int[]"


_NEW_SQL = f"""
    WITH {statuses_on_days(f"SELECT building_id, day FROM {_DAYS}")},
    changes AS (
        SELECT hd.*, lag(status) OVER (PARTITION BY household_id ORDER BY day) AS before FROM hd
    ),
    per AS (
        SELECT building_id, day, count(*)::int AS households,
               (count(*) FILTER (WHERE status = ANY(CAST(:cases AS text[]))))::int AS cases,
               bool_or(vulnerable) AS vulnerable,
               min(array_position(CAST(:severity AS text[]), status::text)) AS rank,
               {_by_status_array()} AS by_status,
               (count(*) FILTER (WHERE before IS NOT NULL AND before <> status))::int AS changed
        FROM changes GROUP BY building_id, day
    )
    SELECT bd.building_id, bd.day AS valid_from,
           lead(bd.day) OVER (PARTITION BY bd.building_id ORDER BY bd.day) AS valid_to,
           b.grid_id, b.subdistrict_id, b.district_id, b.committee_id,
           coalesce(per.households, 0) AS households,
           coalesce(per.cases, 0) AS cases, coalesce(per.vulnerable, false) AS vulnerable,
           coalesce(per.rank, bd.rank)::smallint AS rank,
           coalesce(per.by_status, array_fill(0, ARRAY[{len(STATUS_CODES)}])) AS by_status,
           coalesce(per.changed, 0) AS changed
    FROM bd JOIN buildings b ON b.id = bd.building_id
    LEFT JOIN per ON per.building_id = bd.building_id AND per.day = bd.day"""


def _delta_sql() -> str:
    """Old spans of the settled buildings subtracted, new ones added: per level, area and day."""
    span_columns = "grid_id, subdistrict_id, households, cases, vulnerable, rank, by_status, changed"
    sums = {
        "buildings": "sum(sign)",
        "households": "sum(sign * households)",
        "cases": "sum(sign * cases)",
        "with_cases": "sum(sign * (cases > 0)::int)",
        "vulnerable": "sum(sign * vulnerable::int)",
        "changed": "sum(CASE WHEN opening THEN sign * changed ELSE 0 END)",
    }
    for n, (hh, bld) in enumerate(zip(HOUSEHOLDS_BY_STATUS, BUILDINGS_BY_STATUS, strict=True), start=1):
        sums[hh] = f"sum(sign * by_status[{n}])"
        sums[bld] = f"sum(sign * coalesce((rank = {n})::int, 0))"
    selected = ", ".join(f"{sql}::int AS {name}" for name, sql in sums.items())
    nonzero = " OR ".join(f"{sql} <> 0" for sql in sums.values())
    return f"""
    WITH spans AS (
        SELECT -1 AS sign, valid_from, valid_to, {span_columns} FROM {SPANS}
        WHERE building_id IN (SELECT building_id FROM {_BUILDINGS})
        UNION ALL SELECT 1, valid_from, valid_to, {span_columns} FROM {_NEW}
    ), points AS (
        SELECT sign, valid_from AS day, true AS opening, {span_columns} FROM spans
        UNION ALL SELECT -sign, valid_to, false, {span_columns} FROM spans WHERE valid_to IS NOT NULL
    )
    SELECT l.level, CASE WHEN l.level = 'g' THEN coalesce(grid_id, 0) ELSE 0 END AS grid_id,
           CASE WHEN l.level = 'c' THEN 0 ELSE coalesce(subdistrict_id, 0) END AS subdistrict_id,
           day, {selected}
    FROM points CROSS JOIN (VALUES ('c'), ('s'), ('g')) l(level)
    GROUP BY 1, 2, 3, 4 HAVING {nonzero}"""


_KEY = ("level", "grid_id", "subdistrict_id", "day")
# ``status_params`` binds a date as well, which the spans' SQL does not use (it has its own days).
_ANY_DAY = dt.date.min


def settle(conn: Connection) -> int:
    """Fold the pending buildings into the spans and the deltas, in ``conn``'s transaction.

    Returns how many buildings were settled (0, and nothing written, when none is pending). One
    settle at a time (a lock on the spans that lets readers through): each starts from the spans
    the previous one left.
    """
    if not conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {PENDING})")).scalar_one():
        return 0
    conn.exec_driver_sql(f"LOCK TABLE {SPANS} IN SHARE ROW EXCLUSIVE MODE")
    conn.execute(text("SET LOCAL jit = off"))  # compiling these one-off plans costs more than running them
    try:
        conn.exec_driver_sql(
            f"CREATE TEMP TABLE {_BUILDINGS} (building_id bigint PRIMARY KEY) ON COMMIT DROP"
        )
        settled = conn.exec_driver_sql(
            f"WITH taken AS (DELETE FROM {PENDING} RETURNING building_id) "
            f"INSERT INTO {_BUILDINGS} SELECT building_id FROM taken"
        ).rowcount
        conn.exec_driver_sql(f"ANALYZE {_BUILDINGS}")
        conn.exec_driver_sql(f"CREATE TEMP TABLE {_DAYS} ON COMMIT DROP AS {_DAYS_SQL}")
        conn.exec_driver_sql(f"ANALYZE {_DAYS}")
        conn.execute(text(f"CREATE TEMP TABLE {_NEW} ON COMMIT DROP AS {_NEW_SQL}"), status_params(_ANY_DAY))
        conn.exec_driver_sql(f"CREATE TEMP TABLE {_DELTA} ON COMMIT DROP AS {_delta_sql()}")
        columns = ", ".join(_KEY + FIGURES)
        added = ", ".join(f"{name} = {TABLE}.{name} + EXCLUDED.{name}" for name in FIGURES)
        conn.exec_driver_sql(
            f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {_DELTA} "
            f"ON CONFLICT ({', '.join(_KEY)}) DO UPDATE SET {added}"
        )
        same_key = " AND ".join(f"o.{k} = d.{k}" for k in _KEY)
        all_zero = " AND ".join(f"o.{name} = 0" for name in FIGURES)
        conn.exec_driver_sql(f"DELETE FROM {TABLE} o USING {_DELTA} d WHERE {same_key} AND {all_zero}")
        conn.exec_driver_sql(
            f"DELETE FROM {SPANS} WHERE building_id IN (SELECT building_id FROM {_BUILDINGS})"
        )
        _settle_parts(conn)
        span_columns = (
            "building_id, valid_from, valid_to, grid_id, subdistrict_id, district_id, committee_id, "
            "households, cases, vulnerable, rank, by_status, changed"
        )
        conn.exec_driver_sql(f"INSERT INTO {SPANS} ({span_columns}) SELECT {span_columns} FROM {_NEW}")
    finally:
        for temp in (_BUILDINGS, _DAYS, _NEW, _DELTA):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {temp}")
    return int(settled or 0)


_PART_KEY = ("grid_id", "subdistrict_id", "district_id", "committee_id")


def _settle_parts(conn: Connection) -> None:
    """Buildings per scope-column combination: the settled buildings' old first spans out, new in."""
    keys = ", ".join(f"coalesce({k}, 0) AS {k}" for k in _PART_KEY)
    conn.exec_driver_sql(f"""
        INSERT INTO {PARTS} ({", ".join(_PART_KEY)}, buildings)
        SELECT {", ".join(_PART_KEY)}, sum(sign) FROM (
            SELECT -1 AS sign, {keys} FROM {SPANS}
            WHERE valid_from = '-infinity' AND building_id IN (SELECT building_id FROM {_BUILDINGS})
            UNION ALL SELECT 1, {keys} FROM {_NEW} WHERE valid_from = '-infinity'
        ) x GROUP BY {", ".join(_PART_KEY)} HAVING sum(sign) <> 0
        ON CONFLICT ({", ".join(_PART_KEY)})
        DO UPDATE SET buildings = {PARTS}.buildings + EXCLUDED.buildings""")
    conn.exec_driver_sql(f"DELETE FROM {PARTS} WHERE buildings = 0")


def rebuild(conn: Connection) -> int:
    """Mark every building pending and settle: the overview recomputed from the history (after a
    restore that bypassed the triggers, say). Returns the buildings settled."""
    conn.exec_driver_sql(
        f"INSERT INTO {PENDING} (building_id) SELECT building_id FROM {SPANS} "
        f"UNION SELECT id FROM buildings ON CONFLICT DO NOTHING"
    )
    return settle(conn)
