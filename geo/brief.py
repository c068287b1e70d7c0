"""What the daily brief (日报) reads that no page does: the unit it covers (and the scope that makes),
the overview map's shapes and the address of a few buildings. Every figure on the brief comes from
the pages' own functions (``geo.status.kpis``, ``geo.risk.store``, ``geo.loops.engine``,
``geo.flows.chains``); this module only says *where*.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from geo.crs import WGS84
from geo.errors import InvalidParameter, NotFound
from geo.scope import UNRESTRICTED, Scope
from geo.sqlutil import read_frame
from geo.status.rule import building_statuses, status_params

BRIEF_LEVELS: tuple[str, ...] = ("district", "subdistrict")
"""The admin levels a brief is printed for (one to three pages each)."""


@dataclass(frozen=True)
class BriefUnit:
    """The admin unit a brief covers (None on the brief: the whole area the reader may see)."""

    id: int
    code: str
    name: str
    level: str


def resolve_unit(conn: Connection, unit: str, *, scope: Scope = UNRESTRICTED) -> tuple[BriefUnit, Scope]:
    """The district or sub-district named ``unit`` (code or name) and the scope of the brief on it:
    the unit and everything below it, within ``scope``.

    Raises
    ------
    NotFound
        for an unknown unit (with the nearest names), or one outside ``scope`` (said the same way).
    InvalidParameter
        for a unit of another level (a committee), or a name that several units share.
    """
    wanted = unit.strip()
    if not wanted:
        raise InvalidParameter(
            "unit was empty: give a district or sub-district code or name, e.g. 陆家嘴街道"
        )
    rows = conn.execute(
        text("SELECT id, code, name, level FROM admin_units WHERE code = :u OR name = :u ORDER BY code"),
        {"u": wanted},
    ).all()
    if not rows:
        raise NotFound(f"unknown unit {wanted!r}{_suggest(conn, wanted, scope)}")
    if len(rows) > 1:
        codes = ", ".join(r.code for r in rows)
        raise InvalidParameter(f"unit {wanted!r} names {len(rows)} units ({codes}); give one code instead")
    found = BriefUnit(int(rows[0].id), rows[0].code, rows[0].name, rows[0].level)
    if found.level not in BRIEF_LEVELS:
        raise InvalidParameter(
            f"unit {wanted!r} is a {found.level}: a brief is printed for a {' or a '.join(BRIEF_LEVELS)}"
        )
    mine = _descendants(conn, found.id)
    if not scope.restricted:
        return found, Scope(unit_ids=mine, restricted=True)
    if found.id in scope.unit_ids:  # assigned (or below an assigned unit): all of it
        return found, Scope(unit_ids=mine, restricted=True)
    # An operator of grids or of units below it: their part of it.
    units = scope.unit_ids & mine
    grids = frozenset(
        int(g)
        for g in conn.execute(
            text("SELECT id FROM grids WHERE id = ANY(:g) AND unit_id = ANY(:u)"),
            {"g": sorted(scope.grid_ids), "u": sorted(mine)},
        ).scalars()
    )
    if not units and not grids:
        raise NotFound(f"unknown unit {wanted!r} in your area{_suggest(conn, wanted, scope)}")
    return found, Scope(unit_ids=units, grid_ids=grids, restricted=True)


def _descendants(conn: Connection, unit_id: int) -> frozenset[int]:
    rows = conn.execute(
        text("""
        WITH RECURSIVE tree AS (
            SELECT id FROM admin_units WHERE id = :u
            UNION SELECT a.id FROM admin_units a JOIN tree t ON a.parent_id = t.id)
        SELECT id FROM tree"""),
        {"u": unit_id},
    ).scalars()
    return frozenset(int(i) for i in rows)


def _suggest(conn: Connection, wanted: str, scope: Scope) -> str:
    """``: did you mean …?`` with the nearest district or sub-district names of ``scope``."""
    names = list(
        conn.execute(
            text(f"SELECT name FROM admin_units u WHERE level = ANY(:levels) AND {scope.units('u')}"),
            {"levels": list(BRIEF_LEVELS)} | scope.params,
        ).scalars()
    )
    near = difflib.get_close_matches(wanted, names, n=3, cutoff=0.3)
    if near:
        return f": did you mean {', '.join(near)}?"
    if names:
        return f": give a district or sub-district code or name, e.g. {sorted(names)[0]}"
    return ": no districts or sub-districts are loaded (battlemap load admin FILE)"


@dataclass(frozen=True)
class OverviewMap:
    """The brief's small map, in WGS84: its outline, the grids, and the buildings with a status other
    than normal or vacant on the day (``geo.status.rule``), coloured by it."""

    outline: BaseGeometry | None
    parts: gpd.GeoDataFrame
    """The units one level below the brief's unit (a district's sub-districts): ``id, name, geometry``."""
    grids: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    """``building_id, status, geometry``."""


def overview_map(
    conn: Connection, *, date: dt.date, scope: Scope, unit: BriefUnit | None = None
) -> OverviewMap:
    """The shapes of the overview map of ``scope`` on ``date`` (four queries)."""
    outline = None
    parts = _frame(
        conn,
        "SELECT id, name, ST_AsBinary(geom) AS geometry FROM admin_units WHERE parent_id = :u",
        {"u": unit.id if unit is not None else -1},
    )
    if unit is not None:
        wkb = conn.execute(
            text("SELECT ST_AsBinary(geom) FROM admin_units WHERE id = :u"), {"u": unit.id}
        ).scalar()
        outline = shapely.from_wkb(bytes(wkb)) if wkb is not None else None
    grids = _frame(
        conn,
        f"SELECT g.id, g.code, g.name, ST_AsBinary(g.geom) AS geometry FROM grids g WHERE {scope.grids('g')}",
        scope.params,
    )
    where = scope.buildings("b")
    buildings = _frame(
        conn,
        f"""SELECT x.building_id, x.status, ST_AsBinary(b.geom) AS geometry
            FROM ({building_statuses(where)}) x JOIN buildings b ON b.id = x.building_id
            WHERE x.status IS NOT NULL AND x.status NOT IN ('normal', 'vacant')""",
        scope.params | status_params(date),
    )
    return OverviewMap(outline, parts, grids, buildings)


def building_labels(conn: Connection, building_ids: list[int]) -> dict[int, str]:
    """The address (else the name, else ``#id``) of each building: places, never people."""
    if not building_ids:
        return {}
    rows = conn.execute(
        text("SELECT id, coalesce(address, name, '#' || id) FROM buildings WHERE id = ANY(:ids)"),
        {"ids": [int(i) for i in building_ids]},
    ).all()
    return {int(i): str(label) for i, label in rows}


def _frame(conn: Connection, sql: str, params: Mapping[str, object]) -> gpd.GeoDataFrame:
    frame = read_frame(conn.execute(text(sql), params))
    wkb = frame.pop("geometry").to_numpy(dtype=object)
    geometry: np.ndarray | list = shapely.from_wkb([bytes(w) for w in wkb]) if len(wkb) else []
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=WGS84), crs=WGS84)
