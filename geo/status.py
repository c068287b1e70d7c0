"""House status (房态) on a date: the dates in the data, KPIs, a building's card, filters and search.

The read side of the house-status and responsibility maps (tiles are in ``geo.tiles``). A
household's status on a date is its own stretch valid then, else its building's, else
``normal``; the most severe wins when several are valid. Nothing here reads personal data:
the responsibility chain comes out as levels, roles and scopes only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from geo.errors import InvalidParameter, NotFound
from geo.scope import UNRESTRICTED, Scope
from geo.vocab import CASE_STATUSES, CHAIN_LEVEL_CODES, REQUIRED_CHAIN_LEVELS, STATUS_CODES

FILTER_COLUMNS: dict[str, str] = {
    "district": "district_id",
    "subdistrict": "subdistrict_id",
    "grid": "grid_id",
    "compound": "compound_id",
}
"""Filters the maps offer, by name, and the buildings column each one matches."""

Filters = dict[str, int]

_VALID_ON = "s.valid_from <= :{d} AND (s.valid_to IS NULL OR s.valid_to > :{d})"
_ORDER = "array_position(CAST(:severity AS text[]), s.status::text), s.valid_from DESC, s.id DESC"


def household_statuses(date_param: str, where: str) -> str:
    """SELECT of ``household_id, building_id, status, vulnerable`` on ``:date_param`` for buildings ``b``
    matching ``where``, in bulk (one pass over the statuses valid that day, then hash joins: tens of
    milliseconds for the 36k households of the demo, where a lookup per household takes a second)."""
    valid = _VALID_ON.format(d=date_param)
    return f"""
    SELECT h.id AS household_id, h.building_id, COALESCE(own.status, bst.status, 'normal') AS status,
           h.elderly_alone OR h.disabled AS vulnerable
    FROM households h JOIN buildings b ON b.id = h.building_id
    LEFT JOIN (SELECT DISTINCT ON (s.household_id) s.household_id, s.status FROM house_status s
               WHERE s.household_id IS NOT NULL AND {valid} ORDER BY s.household_id, {_ORDER}) own
           ON own.household_id = h.id
    LEFT JOIN (SELECT DISTINCT ON (s.building_id) s.building_id, s.status FROM house_status s
               WHERE s.building_id IS NOT NULL AND {valid} ORDER BY s.building_id, {_ORDER}) bst
           ON bst.building_id = h.building_id
    WHERE {where}"""


def _where(filters: Filters | None, scope: Scope = UNRESTRICTED) -> tuple[str, dict[str, object]]:
    clauses = [scope.buildings("b")]
    params: dict[str, object] = dict(scope.params)
    for name, value in (filters or {}).items():
        column = FILTER_COLUMNS.get(name)
        if column is None:
            raise InvalidParameter(f"unknown filter {name!r}: expected one of {', '.join(FILTER_COLUMNS)}")
        clauses.append(f"b.{column} = :f_{name}")
        params[f"f_{name}"] = int(value)
    return " AND ".join(clauses), params


def status_dates(conn: Connection) -> tuple[dt.date, dt.date] | None:
    """The first and last day the status history covers, or None when there is none."""
    first, last = conn.execute(
        text("SELECT min(valid_from), max(greatest(valid_from, valid_to - 1)) FROM house_status")
    ).one()
    return None if first is None else (first, last)


def parse_date(value: object) -> dt.date:
    """A ``YYYY-MM-DD`` request parameter as a date."""
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidParameter(f"date must be YYYY-MM-DD, e.g. 2022-04-06, got {value!r}") from None


@dataclass(frozen=True)
class Kpis:
    """The KPI strip: households by status, changes since the day before, buildings with cases."""

    date: dt.date
    households: dict[str, int]
    changed_since_yesterday: int
    buildings_with_cases: int
    buildings: dict[str, int] = field(default_factory=dict)
    """Buildings by their most severe household status (what the map's colours count)."""

    @property
    def total(self) -> int:
        return sum(self.households.values())


def kpis(
    conn: Connection, *, date: dt.date, filters: Filters | None = None, scope: Scope = UNRESTRICTED
) -> Kpis:
    """Households by status on ``date`` (every status, zeros included, in severity order), how many
    households' status differs from the day before, and buildings with a case status; of ``scope``."""
    # The scope filters the households counted, not those whose status is computed: inside
    # ``household_statuses`` its predicate makes the planner expect a handful of rows and loop.
    where, params = _where(filters)
    params |= scope.params
    ids = scope.building_ids()

    def mine(alias: str) -> str:
        return f"{alias}.building_id IN {ids}" if scope.restricted else "true"

    sql = f"""
    WITH today AS ({household_statuses("date", where)}),
    yesterday AS ({household_statuses("yesterday", where)})
    SELECT t.status, count(*) AS n,
           count(*) FILTER (WHERE t.status <> y.status) AS changed,
           count(DISTINCT t.building_id) FILTER (WHERE t.status = ANY(CAST(:cases AS text[]))) AS with_cases
    FROM today t JOIN yesterday y USING (household_id) WHERE {mine("t")}
    GROUP BY ROLLUP (t.status)"""
    params |= {
        "date": date,
        "yesterday": date - dt.timedelta(days=1),
        "severity": list(STATUS_CODES),
        "cases": list(CASE_STATUSES),
    }
    conn.execute(text("SET LOCAL jit = off"))  # compiling costs more than these scans
    households = dict.fromkeys(STATUS_CODES, 0)
    changed = with_cases = 0
    for status, n, changed_n, cases_n in conn.execute(text(sql), params):
        if status is None:
            changed, with_cases = int(changed_n), int(cases_n)
        else:
            households[status] = int(n)
    worst = f"""
    SELECT (CAST(:severity AS text[]))[rank], count(*) FROM (
        SELECT building_id, min(array_position(CAST(:severity AS text[]), status::text)) AS rank
        FROM ({household_statuses("date", where)}) x WHERE {mine("x")} GROUP BY building_id) w
    GROUP BY 1"""
    buildings = dict.fromkeys(STATUS_CODES, 0)
    for status, n in conn.execute(text(worst), params):
        buildings[status] = int(n)
    return Kpis(date, households, changed, with_cases, buildings)


@dataclass(frozen=True)
class ChainLink:
    """One level of a building's responsibility chain: the level, the role and where it is assigned.

    Deliberately no person: a card names roles, never people."""

    level: str
    role: str | None
    scope_type: str


@dataclass(frozen=True)
class BuildingCard:
    """What a click on a building shows."""

    id: int
    name: str | None
    address: str | None
    compound: str | None
    grid: str | None
    subdistrict: str | None
    households: dict[str, int]
    vulnerable: int
    chain: tuple[ChainLink, ...]
    missing_levels: tuple[str, ...] = field(default=())


def building_card(
    conn: Connection, building_id: int, *, date: dt.date, scope: Scope = UNRESTRICTED
) -> BuildingCard:
    """The card of building ``building_id`` (its internal id, as in the tiles) on ``date``.

    Raises
    ------
    NotFound
        when no building has that id, or it lies outside ``scope`` (the same answer: a scoped
        user learns nothing of buildings beyond their area).
    """
    row = conn.execute(
        text(f"""
        SELECT b.id, b.name, b.address, c.name AS compound, g.name AS grid, u.name AS subdistrict,
               (SELECT count(*) FROM households h WHERE h.building_id = b.id
                AND (h.elderly_alone OR h.disabled)) AS vulnerable
        FROM buildings b LEFT JOIN compounds c ON c.id = b.compound_id LEFT JOIN grids g ON g.id = b.grid_id
        LEFT JOIN admin_units u ON u.id = b.subdistrict_id WHERE b.id = :id AND {scope.buildings("b")}"""),
        {"id": int(building_id)} | scope.params,
    ).one_or_none()
    if row is None:
        raise NotFound(f"no building has id {building_id}")
    counts = dict.fromkeys(STATUS_CODES, 0)
    statuses = f"SELECT status, count(*) FROM ({household_statuses('date', 'b.id = :id')}) x GROUP BY 1"
    params = {"id": int(building_id), "date": date, "severity": list(STATUS_CODES)}
    for status, n in conn.execute(text(statuses), params):
        counts[status] = int(n)
    chain = tuple(
        ChainLink(level, role, scope_type)
        for level, role, scope_type in conn.execute(
            text("""
            SELECT level, role, scope_type FROM (
                SELECT DISTINCT r.level, r.role, r.scope_type FROM buildings b JOIN responsibilities r ON
                     (r.scope_type = 'building' AND r.scope_id = b.id)
                  OR (r.scope_type = 'compound' AND r.scope_id = b.compound_id)
                  OR (r.scope_type = 'grid' AND r.scope_id = b.grid_id)
                  OR (r.scope_type = 'unit'
                      AND r.scope_id IN (b.district_id, b.subdistrict_id, b.committee_id))
                WHERE b.id = :id) x
            ORDER BY array_position(CAST(:levels AS text[]), level::text), role, scope_type"""),
            {"id": int(building_id), "levels": list(CHAIN_LEVEL_CODES)},
        )
    )
    present = {link.level for link in chain}
    missing = tuple(level for level in REQUIRED_CHAIN_LEVELS if level not in present)
    return BuildingCard(
        id=row.id,
        name=row.name,
        address=row.address,
        compound=row.compound,
        grid=row.grid,
        subdistrict=row.subdistrict,
        households=counts,
        vulnerable=int(row.vulnerable),
        chain=chain,
        missing_levels=missing,
    )


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


@dataclass(frozen=True)
class FoundBuilding:
    id: int
    label: str
    bounds: tuple[float, float, float, float]


def find_buildings(
    conn: Connection, query: str, *, limit: int = 10, scope: Scope = UNRESTRICTED
) -> list[FoundBuilding]:
    """Buildings (of ``scope``) whose address or name contains ``query`` (case-insensitive), with
    their bounds."""
    query = query.strip()
    if not query:
        return []
    rows = conn.execute(
        text(f"""
        SELECT b.id, coalesce(b.address, b.name) AS label,
               ST_XMin(b.geom), ST_YMin(b.geom), ST_XMax(b.geom), ST_YMax(b.geom)
        FROM buildings b
        WHERE (b.address ILIKE :pattern OR b.name ILIKE :pattern) AND {scope.buildings("b")}
        ORDER BY length(coalesce(b.address, b.name)), b.id LIMIT :limit"""),
        {"pattern": f"%{_escape_like(query)}%", "limit": limit} | scope.params,
    )
    return [FoundBuilding(int(r[0]), r[1], (r[2], r[3], r[4], r[5])) for r in rows]


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def changed_buildings(
    conn: Connection, *, since: dt.datetime, limit: int = 500, scope: Scope = UNRESTRICTED
) -> list[FoundBuilding]:
    """Buildings (of ``scope``) with a status row (their own or a household's) loaded at or after
    ``since``."""
    rows = conn.execute(
        text(f"""
        SELECT DISTINCT b.id, coalesce(b.address, b.name, '#' || b.id) AS label,
               ST_XMin(b.geom), ST_YMin(b.geom), ST_XMax(b.geom), ST_YMax(b.geom)
        FROM house_status s LEFT JOIN households h ON h.id = s.household_id
        JOIN buildings b ON b.id = coalesce(s.building_id, h.building_id)
        WHERE s.loaded_at >= :since AND {scope.buildings("b")} ORDER BY 1 LIMIT :limit"""),
        {"since": since, "limit": limit} | scope.params,
    )
    return [FoundBuilding(int(r[0]), r[1], (r[2], r[3], r[4], r[5])) for r in rows]


def filtered_bounds(
    conn: Connection, filters: Filters, *, scope: Scope = UNRESTRICTED
) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the buildings matching ``filters`` in ``scope``; None for none."""
    where, params = _where(filters, scope)
    row = conn.execute(
        text(f"""
        SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
        FROM (SELECT ST_Extent(b.geom) AS e FROM buildings b WHERE {where}) x"""),
        params,
    ).one()
    return None if row[0] is None else (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def area_bounds(conn: Connection, code: str) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the admin unit or grid with ``code``.

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
    return (row[0], row[1], row[2], row[3])
