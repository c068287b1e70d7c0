"""Where buildings are: the maps' area filters (district, sub-district, grid, compound), their
options, and the bounds of buildings, filters, admin units and grids."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo.errors import InvalidParameter, NotFound
from geo.scope import UNRESTRICTED, Scope

FILTER_COLUMNS: dict[str, str] = {
    "district": "district_id",
    "subdistrict": "subdistrict_id",
    "grid": "grid_id",
    "compound": "compound_id",
}
"""Filters the maps offer, by name, and the buildings column each one matches."""

Filters = dict[str, int]


def filter_where(filters: Filters | None, scope: Scope = UNRESTRICTED) -> tuple[str, dict[str, object]]:
    """A predicate on buildings ``b`` matching ``filters`` (and ``scope``), with its parameters."""
    clauses = [scope.buildings("b")]
    params: dict[str, object] = dict(scope.params)
    for name, value in (filters or {}).items():
        column = FILTER_COLUMNS.get(name)
        if column is None:
            raise InvalidParameter(f"unknown filter {name!r}: expected one of {', '.join(FILTER_COLUMNS)}")
        clauses.append(f"b.{column} = :f_{name}")
        params[f"f_{name}"] = int(value)
    return " AND ".join(clauses), params


@dataclass(frozen=True)
class FilterOption:
    id: int
    name: str
    parent: int | None


def filter_options(conn: Connection, *, scope: Scope = UNRESTRICTED) -> dict[str, list[FilterOption]]:
    """Districts, sub-districts, grids and compounds that hold buildings (of ``scope``), with their
    parent filter's id (sub-district -> district, grid and compound -> sub-district), for the maps'
    dropdowns."""
    sql = f"""
    WITH sb AS MATERIALIZED (SELECT district_id, subdistrict_id, grid_id, compound_id
                             FROM buildings b WHERE {scope.buildings("b")})
    SELECT 'district' AS kind, u.id, u.name, NULL::int AS parent FROM admin_units u
     WHERE u.id IN (SELECT district_id FROM sb)
    UNION ALL
    SELECT 'subdistrict', u.id, u.name, u.parent_id FROM admin_units u
     WHERE u.id IN (SELECT subdistrict_id FROM sb)
    UNION ALL
    SELECT 'grid', g.id, g.name, g.unit_id FROM grids g WHERE g.id IN (SELECT grid_id FROM sb)
    UNION ALL
    SELECT 'compound', c.id, coalesce(c.name, c.address, '#' || c.id), c.unit_id FROM compounds c
     WHERE c.id IN (SELECT compound_id FROM sb)
    ORDER BY 1, 3"""
    options: dict[str, list[FilterOption]] = {name: [] for name in FILTER_COLUMNS}
    for kind, id_, name, parent in conn.execute(text(sql), scope.params):
        options[kind].append(FilterOption(int(id_), name, parent))
    return options


def filtered_bounds(
    conn: Connection, filters: Filters, *, scope: Scope = UNRESTRICTED
) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the buildings matching ``filters`` in ``scope``; None for none."""
    where, params = filter_where(filters, scope)
    row = conn.execute(
        text(f"""
        SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
        FROM (SELECT ST_Extent(b.geom) AS e FROM buildings b WHERE {where}) x"""),
        params,
    ).one()
    return None if row[0] is None else (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def area_bounds(conn: Connection, code: str) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the admin unit or grid with ``code`` (``named_area``)."""
    return named_area(conn, code)[0]


def named_area(conn: Connection, code: str) -> tuple[tuple[float, float, float, float], str]:
    """(west, south, east, north) and the name of the admin unit or grid with ``code`` (the code
    itself when it has no name): what a title shows, never the bare code.

    Raises
    ------
    NotFound
        when no unit or grid has that code.
    """
    row = conn.execute(
        text("""
        SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom), name FROM (
            SELECT geom, name FROM admin_units WHERE code = :code
            UNION ALL SELECT geom, name FROM grids WHERE code = :code) x LIMIT 1"""),
        {"code": code},
    ).one_or_none()
    if row is None:
        raise NotFound(f"no sub-district, unit or grid has code {code!r}; check wall_playlist")
    return (row[0], row[1], row[2], row[3]), row[4] or code


def data_bounds(conn: Connection, *, scope: Scope = UNRESTRICTED) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the loaded buildings (of ``scope``), or None when there are none."""
    row = conn.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            f"FROM (SELECT ST_Extent(b.geom) AS e FROM buildings b WHERE {scope.buildings('b')}) x"
        ),
        scope.params,
    ).one()
    return None if row[0] is None else tuple(float(v) for v in row)  # type: ignore[return-value]
