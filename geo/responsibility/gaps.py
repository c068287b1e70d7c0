"""The responsibility chain (包干) shown: gaps per grid, buildings with gaps, people carrying too many
buildings; all by ``geo.responsibility.rule``.

People come out by their opaque code and chain level only; names and phones stay in
``person_contacts``, which nothing here reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, text

from geo.responsibility.rule import CHAIN_JOIN, chain_params, reaches
from geo.scope import UNRESTRICTED, Scope
from geo.sqlutil import ENVELOPE, Bbox, bbox_params, read_frame, to_geoframe
from geo.vocab import CHAIN_LEVEL_CODES, REQUIRED_CHAIN_LEVELS

_LEVEL_RANK = {level: rank for rank, level in enumerate(CHAIN_LEVEL_CODES)}


@dataclass(frozen=True)
class GridGaps:
    grid_id: int | None
    code: str | None
    name: str | None
    buildings: int
    gap_buildings: int


def gaps_by_grid(conn: Connection, *, scope: Scope = UNRESTRICTED) -> list[GridGaps]:
    """Per grid (and buildings in none), its buildings (of ``scope``) and how many miss a required
    chain level, most gaps first."""
    rows = conn.execute(
        text(f"""
        SELECT b.grid_id, g.code, g.name, count(*) AS buildings,
               count(*) FILTER (WHERE ch.gaps > 0) AS gap_buildings
        FROM buildings b {CHAIN_JOIN} LEFT JOIN grids g ON g.id = b.grid_id
        WHERE {scope.buildings("b")}
        GROUP BY b.grid_id, g.code, g.name
        ORDER BY gap_buildings DESC, g.code NULLS LAST"""),
        chain_params() | scope.params,
    )
    return [GridGaps(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in rows]


@dataclass(frozen=True)
class Carrier:
    """A person and the buildings assigned to them directly (scope ``building``)."""

    code: str
    levels: tuple[str, ...]
    buildings: int


def overloaded_people(conn: Connection, *, limit: int, scope: Scope = UNRESTRICTED) -> list[Carrier]:
    """People assigned directly to more than ``limit`` buildings, most buildings first; for a
    restricted ``scope``, people with a building in it (their count is of all their buildings)."""
    in_scope = f"AND bool_or(r.scope_id IN {scope.building_ids()})" if scope.restricted else ""
    rows = conn.execute(
        text(f"""
        SELECT p.code, array_agg(DISTINCT r.level ORDER BY r.level), count(DISTINCT r.scope_id) AS n
        FROM responsibilities r JOIN people p ON p.id = r.person_id
        WHERE r.scope_type = 'building'
        GROUP BY p.code HAVING count(DISTINCT r.scope_id) > :limit {in_scope}
        ORDER BY n DESC, p.code"""),
        {"limit": limit} | scope.params,
    )
    return [Carrier(r[0], tuple(r[1]), int(r[2])) for r in rows]


def buildings_with_gaps(conn: Connection, *, bbox: Bbox | None = None) -> gpd.GeoDataFrame:
    """Buildings missing a required level of the responsibility chain (包干缺位), with the levels missing.

    A level is present when someone at that level answers for the building, its compound, its grid
    or one of its admin units. Columns: ``id`` (source id), ``name``, ``missing`` (codes, chain order),
    ``n_missing``.
    """
    where = ""
    params: dict[str, object] = {"levels": list(REQUIRED_CHAIN_LEVELS)}
    if bbox is not None:
        where = f"WHERE b.geom && {ENVELOPE}"
        params |= bbox_params(bbox)
    sql = f"""
        WITH present AS (
            SELECT b.id, array_agg(DISTINCT r.level) AS levels
            FROM buildings b JOIN responsibilities r ON {reaches("r", "b")}
            GROUP BY b.id
        )
        SELECT b.source_id AS id, b.name,
               ARRAY(SELECT l FROM unnest(CAST(:levels AS text[])) WITH ORDINALITY u(l, o)
                     WHERE NOT l = ANY(COALESCE(p.levels, ARRAY[]::text[])) ORDER BY o) AS missing,
               ST_AsBinary(b.geom) AS geometry
        FROM buildings b LEFT JOIN present p ON p.id = b.id {where}
        ORDER BY b.source_id
    """
    frame = read_frame(conn.execute(text(sql), params))
    frame = frame[frame["missing"].map(len) > 0].reset_index(drop=True) if len(frame) else frame
    frame["n_missing"] = frame["missing"].map(len) if len(frame) else pd.Series(dtype="int64")
    return to_geoframe(frame)


def gaps_by_level(conn: Connection, *, scope: Scope = UNRESTRICTED) -> dict[str, int]:
    """Buildings (of ``scope``) by the most senior required level nobody answers for, keyed by level
    code in ``REQUIRED_CHAIN_LEVELS`` order, then ``"complete"``: the buildings missing none. The
    map's fill and its legend count the same thing."""
    rows = conn.execute(
        text(f"""
        SELECT ch.first_gap, count(*) FROM buildings b {CHAIN_JOIN}
        WHERE {scope.buildings("b")} GROUP BY ch.first_gap"""),
        chain_params() | scope.params,
    ).all()
    found = {(-1 if r[0] is None else int(r[0])): int(r[1]) for r in rows}
    counts = {level: found.get(index, 0) for index, level in enumerate(REQUIRED_CHAIN_LEVELS)}
    return counts | {"complete": found.get(-1, 0)}


@dataclass(frozen=True)
class PersonBuildings:
    """The buildings one person answers for (by any assignment that reaches them), by person code."""

    code: str
    levels: tuple[str, ...]
    building_ids: tuple[int, ...]
    names: tuple[str, ...]
    grids: tuple[str, ...]
    bounds: tuple[float, float, float, float] | None


def person_buildings(conn: Connection, code: str, *, scope: Scope = UNRESTRICTED) -> PersonBuildings | None:
    """Every building of ``scope`` that person ``code`` answers for at any level (assigned to the
    building, its compound, grid or admin unit: the rule of ``geo.responsibility.rule``), with the
    grids they lie in and their WGS84 bounds; None when no such person exists. Codes only: no name
    or phone is read."""
    person = conn.execute(text("SELECT id FROM people WHERE code = :c"), {"c": code}).scalar()
    if person is None:
        return None
    rows = conn.execute(
        text(f"""
        SELECT b.id, coalesce(b.name, b.source_id), g.name, r.level,
               ST_XMin(b.geom), ST_YMin(b.geom), ST_XMax(b.geom), ST_YMax(b.geom)
        FROM buildings b JOIN responsibilities r ON r.person_id = :p AND {reaches("r", "b")}
        LEFT JOIN grids g ON g.id = b.grid_id
        WHERE {scope.buildings("b")}
        ORDER BY g.name NULLS LAST, b.name, b.id"""),
        {"p": person} | scope.params,
    ).all()
    levels = tuple(sorted({r[3] for r in rows}, key=lambda level: _LEVEL_RANK.get(level, len(_LEVEL_RANK))))
    seen: dict[int, tuple] = {}
    for r in rows:
        seen.setdefault(int(r[0]), r)
    mine = list(seen.values())
    bounds = (
        (min(r[4] for r in mine), min(r[5] for r in mine), max(r[6] for r in mine), max(r[7] for r in mine))
        if mine
        else None
    )
    return PersonBuildings(
        code,
        levels,
        tuple(int(r[0]) for r in mine),
        tuple(str(r[1]) for r in mine),
        tuple(dict.fromkeys(str(r[2]) for r in mine if r[2])),
        bounds,
    )
