"""What a printed atlas reads: the chosen grids and everything drawn on their sheets, set-based.

A few queries cover any number of sheets (no query per grid or building), with bound
parameters only. Names and phones are read from ``person_contacts`` here and nowhere else
on the read side, and leave this module masked (``张*``, ``139****0427``) unless the caller
asks for internal printing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from geo.clock import china_today
from geo.crs import WGS84
from geo.errors import InvalidParameter, NotFound
from geo.personal import mask_name, mask_phone
from geo.responsibility.rule import building_scopes, chain_reach
from geo.scope import UNRESTRICTED, Scope
from geo.sqlutil import read_frame
from geo.status.rule import building_statuses, household_statuses, status_params
from geo.vocab import CHAIN_LEVEL_CODES, SIMULATED_SOURCE

# How far around the chosen grids the sheets may look (neighbouring grids, roads), in degrees.
_MARGIN_DEG = 0.01


@dataclass(frozen=True)
class AtlasData:
    """Everything the sheets of one atlas draw, in WGS84; frames keyed by database ids.

    Attributes
    ----------
    grids
        the chosen grids, in sheet order: ``id, code, name, unit_code, unit_name, source``.
    context_grids
        every grid meeting the area around them (the chosen ones included), for faded neighbours.
    buildings
        buildings in that area: ``id, grid_id, name`` (else the address), ``label_x, label_y, source``.
    households
        ``building_id, status, n``: households of the chosen grids by their status on ``date``.
    building_status
        ``building_id, status``: each building's status on ``date`` (``geo.status.rule``: its
        households' most severe, else its building status); buildings with neither are missing.
    chain
        ``building_id, levels (list), leader_id``: responsibility levels reaching each building.
    people
        ``grid_id, person_id, code, level, role, scopes, buildings, name, phone``: the chain of
        each grid, one row per person; ``name``/``phone`` masked unless ``internal``.
    basemap
        ``layer, kind, name``: roads, water and land use in the area.
    risk_zones, risk_outlines
        only for the ``risk`` layer (``geo.risk.store.zoned_buildings`` / ``zone_outlines``): the zone
        of each zoned building and the zones' footprints, of the declared areas active on ``date``.
    """

    grids: gpd.GeoDataFrame
    context_grids: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    households: pd.DataFrame
    building_status: pd.DataFrame
    chain: pd.DataFrame
    people: pd.DataFrame
    basemap: gpd.GeoDataFrame
    date: dt.date
    as_of: dt.datetime | None
    title: str
    internal: bool
    sources: dict[str, set[str]] = field(default_factory=dict)
    risk_zones: pd.DataFrame | None = None
    risk_outlines: gpd.GeoDataFrame | None = None

    @property
    def osm(self) -> bool:
        """Whether anything drawn comes from OpenStreetMap."""
        return any("osm" in s for s in self.sources.values())

    @property
    def simulated(self) -> list[str]:
        """The tables whose drawn rows are (partly) simulated."""
        return sorted(t for t, s in self.sources.items() if SIMULATED_SOURCE in s)


def latest_status_date(conn: Connection) -> dt.date:
    """The latest day a house status started (the default date of an atlas); today when none."""
    latest = conn.execute(text("SELECT max(valid_from) FROM house_status")).scalar()
    return latest or china_today()


def select_grids(
    conn: Connection,
    *,
    unit: str | None = None,
    grids: list[str] | None = None,
    all_grids: bool = False,
    scope: Scope = UNRESTRICTED,
) -> tuple[list[int], str]:
    """The ids of the grids to print (ordered by code) and a title for them.

    Parameters
    ----------
    unit
        an admin unit's code or name (e.g. ``陆家嘴街道`` or ``310115-033``): its grids and
        those of the units below it.
    grids
        grid codes (or names).
    all_grids
        every loaded grid.
    scope
        only grids of this area (``geo.scope``): a grid outside it is as unknown as a missing one.

    Raises
    ------
    InvalidParameter
        unless exactly one of the three is given, or a unit name is ambiguous.
    NotFound
        for an unknown unit or grid, or a unit without grids.
    """
    if sum((unit is not None, grids is not None, all_grids)) != 1:
        raise InvalidParameter("choose the grids with exactly one of unit, grids or all")
    if all_grids:
        rows = conn.execute(
            text(f"SELECT g.id FROM grids g WHERE {scope.grids('g')} ORDER BY g.code"), scope.params
        ).all()
        if not rows:
            raise NotFound("no grids are loaded; load grids first (battlemap load grids FILE)")
        return [r.id for r in rows], "全部网格"
    if grids is not None:
        wanted = [g.strip() for g in grids if g.strip()]
        if not wanted:
            raise InvalidParameter("grids was empty: give grid codes such as 310115-033-G001")
        rows = conn.execute(
            text(
                "SELECT g.id, g.code, g.name FROM grids g WHERE (g.code = ANY(:g) OR g.name = ANY(:g)) "
                f"AND {scope.grids('g')} ORDER BY g.code"
            ),
            {"g": wanted} | scope.params,
        ).all()
        known = {r.code for r in rows} | {r.name for r in rows}
        missing = [g for g in wanted if g not in known]
        if missing:
            raise NotFound(f"unknown grid {', '.join(map(repr, missing))}: give loaded grid codes or names")
        return [r.id for r in rows], "、".join(r.name for r in rows[:3]) + (" 等" if len(rows) > 3 else "")
    units = conn.execute(
        text("SELECT id, code, name FROM admin_units WHERE code = :u OR name = :u ORDER BY code"),
        {"u": unit.strip()},  # type: ignore[union-attr]
    ).all()
    if not units:
        raise NotFound(f"unknown unit {unit!r}: give an admin unit's code or name, e.g. 陆家嘴街道")
    if len(units) > 1:
        codes = ", ".join(u.code for u in units)
        raise InvalidParameter(f"unit {unit!r} names {len(units)} units ({codes}); give one code instead")
    rows = conn.execute(
        text(f"""
        WITH RECURSIVE tree AS (
            SELECT id FROM admin_units WHERE id = :u
            UNION SELECT a.id FROM admin_units a JOIN tree t ON a.parent_id = t.id)
        SELECT g.id FROM grids g WHERE g.unit_id IN (SELECT id FROM tree) AND {scope.grids("g")}
        ORDER BY g.code
    """),
        {"u": units[0].id} | scope.params,
    ).all()
    if not rows:
        where = " in your area" if scope.restricted else ""
        raise NotFound(f"unit {unit!r} ({units[0].code}) has no grids{where}; load its grids first")
    return [r.id for r in rows], units[0].name


def grid_count(conn: Connection, *, scope: Scope = UNRESTRICTED) -> int:
    """How many grids ``all=1`` prints for ``scope`` (what a print link with nothing chosen covers)."""
    try:
        return len(select_grids(conn, all_grids=True, scope=scope)[0])
    except NotFound:  # no grids loaded: the print answers that itself
        return 0


def atlas_selection(
    conn: Connection,
    *,
    grid_id: int | None = None,
    unit_id: int | None = None,
    building_id: int | None = None,
) -> dict[str, str]:
    """The grids a map's print action covers, as ``select_grids`` arguments (``/print/atlas.pdf`` query).

    The chosen grid, else the grid of the chosen building, else the chosen admin unit (by its code,
    which is unique where names may not be), else every grid. Ids that no longer exist fall through.
    """
    if building_id is not None and grid_id is None:
        grid_id = conn.execute(
            text("SELECT grid_id FROM buildings WHERE id = :b"), {"b": building_id}
        ).scalar_one_or_none()
    if grid_id is not None:
        code = conn.execute(text("SELECT code FROM grids WHERE id = :g"), {"g": grid_id}).scalar_one_or_none()
        if code:
            return {"grids": code}
    if unit_id is not None:
        code = conn.execute(
            text("SELECT code FROM admin_units WHERE id = :u"), {"u": unit_id}
        ).scalar_one_or_none()
        if code:
            return {"unit": code}
    return {"all": "1"}


def read_atlas(
    conn: Connection,
    grid_ids: list[int],
    *,
    title: str,
    date: dt.date | None = None,
    internal: bool = False,
    scope: Scope = UNRESTRICTED,
) -> AtlasData:
    """Everything the sheets of ``grid_ids`` draw, in ten set-based queries (none per grid or building).

    Parameters
    ----------
    date
        the day house statuses are read for (default: :func:`latest_status_date`).
    internal
        read names and phones unmasked (internal printing); masked otherwise.
    scope
        the neighbouring grids and buildings drawn around each sheet are only those of this area.
    """
    if not grid_ids:
        raise InvalidParameter("no grids to print")
    date = date or latest_status_date(conn)
    ids = {"ids": list(grid_ids)}
    grids = _geo(
        conn,
        """SELECT g.id, g.code, g.name, u.code AS unit_code, u.name AS unit_name, g.source,
                  ST_AsBinary(g.geom) AS geometry
           FROM grids g LEFT JOIN admin_units u ON u.id = g.unit_id WHERE g.id = ANY(:ids) ORDER BY g.code""",
        ids,
    )
    minx, miny, maxx, maxy = grids.total_bounds
    area: dict[str, object] = {
        "minx": minx - _MARGIN_DEG,
        "miny": miny - _MARGIN_DEG,
        "maxx": maxx + _MARGIN_DEG,
        "maxy": maxy + _MARGIN_DEG,
    }
    envelope = "ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326)"
    context = _geo(
        conn,
        f"SELECT g.id, g.code, g.name, ST_AsBinary(g.geom) AS geometry FROM grids g "
        f"WHERE g.geom && {envelope} AND {scope.grids('g')}",
        area | scope.params,
    )
    buildings = _geo(
        conn,
        f"""SELECT id, grid_id, COALESCE(name, address) AS name, ST_X(label_point) AS label_x,
                   ST_Y(label_point) AS label_y, source,
                   ST_AsBinary(geom) AS geometry
            FROM buildings b WHERE geom && {envelope} AND {scope.buildings("b")} ORDER BY id""",
        area | scope.params,
    )
    dated = ids | status_params(date)
    in_grids = "b.grid_id = ANY(:ids)"
    whole = f"SELECT building_id, status FROM ({building_statuses(in_grids)}) x WHERE status IS NOT NULL"
    building_status = read_frame(conn.execute(text(whole), dated))
    per_status = (
        f"SELECT building_id, status, count(*) AS n FROM ({household_statuses(in_grids)}) x GROUP BY 1, 2"
    )
    households = read_frame(conn.execute(text(per_status), dated))
    reach = chain_reach("b.grid_id = ANY(:ids)")
    chain = read_frame(
        conn.execute(
            text(f"""
            WITH reach AS ({reach})
            SELECT building_id, array_agg(DISTINCT level) AS levels,
                   min(person_id) FILTER (WHERE level = 'building_leader' AND scope_type = 'building')
                     AS leader_id
            FROM reach GROUP BY building_id"""),
            ids,
        )
    )
    people = read_frame(
        conn.execute(
            text(f"""
            WITH reach AS ({reach})
            SELECT r.grid_id, r.person_id, p.code, r.level, min(r.role) AS role,
                   array_agg(DISTINCT r.scope_type) AS scopes, count(DISTINCT r.building_id) AS buildings,
                   min(c.name) AS name, min(c.phone) AS phone
            FROM reach r JOIN people p ON p.id = r.person_id
            LEFT JOIN person_contacts c ON c.person_id = r.person_id
            GROUP BY r.grid_id, r.person_id, p.code, r.level
            ORDER BY r.grid_id, array_position(CAST(:levels AS text[]), r.level::text), p.code"""),
            ids | {"levels": list(CHAIN_LEVEL_CODES)},
        )
    )
    if not internal and len(people):
        people["name"] = people["name"].map(mask_name)
        people["phone"] = people["phone"].map(mask_phone)
    basemap = _geo(
        conn,
        f"""SELECT layer, kind, name, source, ST_AsBinary(geom) AS geometry
            FROM basemap_features WHERE geom && {envelope}""",
        area,
    )
    sources = _sources(conn, ids)
    sources["buildings"] = set(buildings["source"].dropna())
    sources["basemap_features"] = set(basemap["source"].dropna())
    sources["grids"] = set(grids["source"].dropna())
    as_of = conn.execute(text("SELECT max(changed_at) FROM data_versions")).scalar()
    return AtlasData(
        grids=grids,
        context_grids=context,
        buildings=buildings,
        households=households,
        building_status=building_status,
        chain=chain,
        people=people,
        basemap=basemap,
        date=date,
        as_of=as_of,
        title=title,
        internal=internal,
        sources=sources,
    )


def _sources(conn: Connection, ids: dict[str, list[int]]) -> dict[str, set[str]]:
    """The sources of the households, statuses and responsibilities of the chosen grids."""
    rows = conn.execute(
        text(f"""
        SELECT 'households' AS t, h.source FROM households h JOIN buildings b ON b.id = h.building_id
        WHERE b.grid_id = ANY(:ids) GROUP BY h.source
        UNION
        SELECT 'house_status', s.source FROM house_status s
        LEFT JOIN households h ON h.id = s.household_id
        JOIN buildings b ON b.id = COALESCE(s.building_id, h.building_id)
        WHERE b.grid_id = ANY(:ids) GROUP BY s.source
        UNION
        SELECT 'responsibilities', r.source FROM buildings b {building_scopes("b")}
        JOIN responsibilities r ON r.scope_type = sc.scope_type AND r.scope_id = sc.scope_id
        WHERE b.grid_id = ANY(:ids) GROUP BY r.source
    """),
        ids,
    ).all()
    out: dict[str, set[str]] = {}
    for table, source in rows:
        out.setdefault(table, set()).add(source)
    return out


def _geo(conn: Connection, sql: str, params: Mapping[str, object]) -> gpd.GeoDataFrame:
    frame = read_frame(conn.execute(text(sql), params))
    wkb: np.ndarray | list[bytes] = (
        frame.pop("geometry").to_numpy(dtype=object) if "geometry" in frame else []
    )
    geometry: np.ndarray | list[BaseGeometry] = shapely.from_wkb(wkb) if len(frame) else []
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=WGS84), crs=WGS84)
