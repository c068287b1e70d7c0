"""After a load: put buildings, grids, compounds and places in their containing units, in PostGIS.

A building belongs to the grid, compound and admin units that contain a point inside its
footprint (``label_point``), so it is never split between two. The QA summary counts what
does not fit: buildings outside any grid, grids that overlap.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from etl.overlaps import stored_overlap_pairs
from etl.staging import Derived, quote
from geo.settings import EtlSettings

# (column on buildings) -> (unit table, condition on its rows "u")
_BUILDING_TARGETS: dict[str, tuple[str, str]] = {
    "grid_id": ("grids", "true"),
    "compound_id": ("compounds", "true"),
    "district_id": ("admin_units", "u.level = 'district'"),
    "subdistrict_id": ("admin_units", "u.level = 'subdistrict'"),
    "committee_id": ("admin_units", "u.level = 'committee'"),
}


def _containing_units(column: str, points: str, scope: str = "true") -> str:
    """SELECT (key, id): for each point of ``points`` (key, pt), the smallest unit containing it.

    Ties go to the lowest id. Units outer, points inner through their GiST index:
    ``ST_Intersects`` then sees the same polygon for a run of points and caches it, ~40x
    faster than probing the units once per point. (``OFFSET 0`` keeps the planner from
    turning the join around.)
    """
    table, condition = _BUILDING_TARGETS[column]
    return f"""
        SELECT DISTINCT ON (x.key) x.key, u.id
        FROM (SELECT u.id, u.geom, ST_Area(u.geom) AS area FROM {table} u WHERE {condition}) u
        CROSS JOIN LATERAL (
            SELECT p.key FROM {points} p WHERE ST_Intersects(u.geom, p.pt) AND {scope} OFFSET 0
        ) x
        ORDER BY x.key, u.area, u.id
    """


def _populated(conn: Connection, columns: tuple[str, ...]) -> list[str]:
    """The columns whose unit table has rows (the others are NULL for every building)."""
    exists = ", ".join(
        f"EXISTS (SELECT 1 FROM {_BUILDING_TARGETS[c][0]} u WHERE {_BUILDING_TARGETS[c][1]})" for c in columns
    )
    flags = conn.execute(text(f"SELECT {exists}")).one()
    return [c for c, populated in zip(columns, flags, strict=True) if populated]


def _assignment(conn: Connection, columns: tuple[str, ...], points: str, scope: str = "true") -> str:
    """SELECT (key, *columns) of the points inside at least one unit (the rest belong to none)."""
    populated = _populated(conn, columns)
    if not populated:
        return (
            f"SELECT NULL::bigint AS key, {', '.join(f'NULL::integer AS {c}' for c in columns)} WHERE false"
        )
    joined = " FULL JOIN ".join(
        f"({_containing_units(c, points, scope)}) a{i}" + (" USING (key)" if i else "")
        for i, c in enumerate(populated)
    )
    values = ", ".join(
        f"a{populated.index(c)}.id AS {c}" if c in populated else f"NULL::integer AS {c}" for c in columns
    )
    return f"SELECT key, {values} FROM {joined}"


def stage_units(conn: Connection, stage: str, table: str, *, geometry_sql: str | None) -> Derived | None:
    """Before the upsert of buildings: the containing units of every staged building.

    Worked out from the staged label points (``pt``, which ``etl.staging.create_stage`` works
    out from the target's geometry ``geometry_sql`` as the rows come in), so the upsert writes
    each building once, already assigned, instead of inserting it and then updating it.
    Returns None for other tables.
    """
    if table != "buildings" or geometry_sql is None:
        return None
    columns = tuple(_BUILDING_TARGETS)
    units, points = f"{stage}_units", f"{stage}_points"
    conn.execute(text(f"DROP TABLE IF EXISTS {quote(units)}, {quote(points)}"))
    definitions = ", ".join(f"{c} integer" for c in columns)
    conn.execute(text(f"CREATE TEMP TABLE {quote(units)} (row_no integer, {definitions}) ON COMMIT DROP"))
    if _populated(conn, columns):
        # In space-filling-curve order, so that the index scans of the join read neighbouring rows
        # (three times faster on a million buildings than file order).
        conn.execute(
            text(f"""
            CREATE TEMP TABLE {quote(points)} ON COMMIT DROP AS
            SELECT row_no AS key, pt FROM {quote(stage)} ORDER BY curve
        """)
        )
        conn.execute(text(f"CREATE INDEX ON {quote(points)} USING gist (pt)"))
        conn.execute(text(f"ANALYZE {quote(points)}"))
        assignment = _assignment(conn, columns, quote(points))
        conn.execute(text(f"INSERT INTO {quote(units)} (row_no, {', '.join(columns)}) {assignment}"))
        conn.execute(text(f"DROP TABLE {quote(points)}"))
    return Derived(units, columns)


def assign_buildings(
    conn: Connection, *, columns: tuple[str, ...] = tuple(_BUILDING_TARGETS), only_stage: str | None = None
) -> int:
    """Recompute the containing units of buildings (all, or those in a staging table); returns rows changed.

    One UPDATE for all the columns, touching only rows whose assignment changes. After a load
    of buildings whose units were worked out on the stage (``stage_units``), the upsert has
    written them already and there is nothing left to do.
    """
    if (
        only_stage is not None
        and conn.execute(
            text("SELECT to_regclass(:units) IS NOT NULL"), {"units": quote(f"{only_stage}_units")}
        ).scalar_one()
    ):
        return 0
    points = "(SELECT id AS key, label_point AS pt, source_id FROM buildings)"
    scope = f"p.source_id IN (SELECT source_id FROM {quote(only_stage)})" if only_stage else "true"
    assigned = ", ".join(f"a.{c}" for c in columns)
    sets = ", ".join(f"{c} = a.{c}" for c in columns)
    changed = " OR ".join(f"b.{c} IS DISTINCT FROM a.{c}" for c in columns)
    # Every building in scope is compared: one inside no unit any more loses what it had.
    result = conn.execute(
        text(f"""
        UPDATE buildings b SET {sets}
        FROM (
            SELECT p.key, {assigned}
            FROM {points} p LEFT JOIN ({_assignment(conn, columns, points, scope)}) a USING (key)
            WHERE {scope}
        ) a
        WHERE b.id = a.key AND ({changed})
    """)
    )
    return result.rowcount or 0


def assign_parents(conn: Connection) -> None:
    """Units without a named parent get the unit one level up that contains them."""
    conn.execute(
        text("""
        UPDATE admin_units c SET parent_id = (
            SELECT p.id FROM admin_units p
            WHERE p.level = CASE c.level WHEN 'subdistrict' THEN 'district' ELSE 'subdistrict' END
              AND ST_Intersects(p.geom, ST_PointOnSurface(c.geom))
            ORDER BY ST_Area(p.geom), p.id LIMIT 1)
        WHERE c.parent_id IS NULL AND c.level <> 'district'
    """)
    )


def assign_polygons_to_units(conn: Connection) -> None:
    """Grids and compounds get the smallest admin unit containing them."""
    for table in ("grids", "compounds"):
        conn.execute(
            text(f"""
            UPDATE {table} g SET unit_id = a.uid FROM (
                SELECT g2.id, (
                    SELECT u.id FROM admin_units u WHERE ST_Intersects(u.geom, ST_PointOnSurface(g2.geom))
                    ORDER BY CASE u.level WHEN 'committee' THEN 0 WHEN 'subdistrict' THEN 1 ELSE 2 END, u.id
                    LIMIT 1) AS uid
                FROM {table} g2) a
            WHERE g.id = a.id AND g.unit_id IS DISTINCT FROM a.uid
        """)
        )


def assign_places(conn: Connection) -> None:
    conn.execute(
        text("""
        UPDATE places p SET compound_id = a.cid FROM (
            SELECT p2.id, (SELECT c.id FROM compounds c WHERE ST_Intersects(c.geom, p2.geom)
                           ORDER BY ST_Area(c.geom), c.id LIMIT 1) AS cid FROM places p2) a
        WHERE p.id = a.id AND p.compound_id IS DISTINCT FROM a.cid
    """)
    )


def qa_summary(conn: Connection, *, settings: EtlSettings | None = None) -> dict[str, int]:
    """Counts a data steward checks after every load (overlapping units as etl.overlaps counts them)."""
    settings = settings or EtlSettings(_env_file=None)
    row = (
        conn.execute(
            text("""
        WITH counts AS (
            -- One pass over the buildings for the three plain counts.
            SELECT count(*) AS buildings,
                   count(*) FILTER (WHERE grid_id IS NULL) AS buildings_outside_grids,
                   count(*) FILTER (WHERE subdistrict_id IS NULL) AS buildings_outside_subdistricts
            FROM buildings
        )
        SELECT
            counts.buildings,
            counts.buildings_outside_grids,
            (SELECT count(*) FROM buildings b WHERE b.grid_id IS NULL AND EXISTS (
                SELECT 1 FROM grids g WHERE g.unit_id = b.subdistrict_id)
            ) AS buildings_outside_grids_in_gridded_units,
            counts.buildings_outside_subdistricts,
            (SELECT count(*) FROM grids) AS grids,
            (SELECT count(*) FROM grids a JOIN grids b ON a.id < b.id AND ST_Intersects(a.geom, b.geom)
              WHERE ST_Area(ST_Intersection(a.geom, b.geom)::geography) > 1.0) AS overlapping_grid_pairs
        FROM counts
    """)
        )
        .mappings()
        .one()
    )
    counts = {key: int(value) for key, value in row.items()}
    counts["overlapping_admin_unit_pairs"] = stored_overlap_pairs(conn, share=settings.admin_overlap_share)
    return counts
