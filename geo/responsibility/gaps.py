"""The responsibility chain (包干) on the map: gaps per grid and people carrying too many buildings.

People come out by their opaque code and chain level only; names and phones stay in
``person_contacts``, which nothing here reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo.responsibility.rule import CHAIN_JOIN, chain_params
from geo.scope import UNRESTRICTED, Scope


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
