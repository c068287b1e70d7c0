"""After a load: put buildings, grids, compounds and places in their containing units, in PostGIS.

A building belongs to the grid, compound and admin units that contain a point inside its
footprint (``label_point``), so it is never split between two. The QA summary counts what
does not fit: buildings outside any grid, grids that overlap.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

# (column on buildings, SQL selecting candidate polygons as "u")
_BUILDING_TARGETS: dict[str, str] = {
    "grid_id": "grids u",
    "compound_id": "compounds u",
    "district_id": "admin_units u WHERE u.level = 'district'",
    "subdistrict_id": "admin_units u WHERE u.level = 'subdistrict'",
    "committee_id": "admin_units u WHERE u.level = 'committee'",
}


def _lateral(column_source: str, point: str) -> str:
    where = "WHERE" if " WHERE " not in column_source else "AND"
    return (
        f"(SELECT u.id FROM {column_source} {where} ST_Intersects(u.geom, {point}) "
        "ORDER BY ST_Area(u.geom), u.id LIMIT 1)"
    )


def assign_buildings(
    conn: Connection, *, columns: tuple[str, ...] = tuple(_BUILDING_TARGETS), only_stage: str | None = None
) -> int:
    """Recompute the containing units of buildings (all, or those in a staging table); returns rows changed.

    One UPDATE for all the columns, touching only rows whose assignment changes.
    """
    scope = f"WHERE b2.source_id IN (SELECT source_id FROM {only_stage})" if only_stage else ""
    selects = ", ".join(f"{_lateral(_BUILDING_TARGETS[c], 'b2.label_point')} AS {c}" for c in columns)
    sets = ", ".join(f"{c} = a.{c}" for c in columns)
    changed = " OR ".join(f"b.{c} IS DISTINCT FROM a.{c}" for c in columns)
    result = conn.execute(
        text(f"""
        UPDATE buildings b SET {sets}
        FROM (SELECT b2.id, {selects} FROM buildings b2 {scope}) a
        WHERE b.id = a.id AND ({changed})
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


def qa_summary(conn: Connection) -> dict[str, int]:
    """Counts a data steward checks after every load."""
    row = (
        conn.execute(
            text("""
        SELECT
            (SELECT count(*) FROM buildings) AS buildings,
            (SELECT count(*) FROM buildings WHERE grid_id IS NULL) AS buildings_outside_grids,
            (SELECT count(*) FROM buildings b WHERE b.grid_id IS NULL AND EXISTS (
                SELECT 1 FROM grids g WHERE g.unit_id = b.subdistrict_id)) AS buildings_outside_grids_in_gridded_units,
            (SELECT count(*) FROM buildings WHERE subdistrict_id IS NULL) AS buildings_outside_subdistricts,
            (SELECT count(*) FROM grids) AS grids,
            (SELECT count(*) FROM grids a JOIN grids b ON a.id < b.id AND ST_Intersects(a.geom, b.geom)
              WHERE ST_Area(ST_Intersection(a.geom, b.geom)::geography) > 1.0) AS overlapping_grid_pairs
    """)
        )
        .mappings()
        .one()
    )
    return {key: int(value) for key, value in row.items()}
