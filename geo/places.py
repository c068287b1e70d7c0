"""Places counted by area: the key places (重点场所: street-front shops, office buildings, firms,
key-industry sites by industry) and every other kind, per grid of the user's scope. A place counts
in the grid its point lies in (grids do not overlap: ``battlemap qa``); per risk zone they are
counted with the zone (``geo.risk.counts``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from geo.scope import UNRESTRICTED, Scope
from geo.vocab import KEY_PLACE_KINDS


@dataclass(frozen=True)
class GridPlaces:
    """One grid's places: by kind, and the key-industry sites by industry."""

    grid: str | None
    name: str | None
    by_kind: dict[str, int] = field(default_factory=dict)
    by_industry: dict[str, int] = field(default_factory=dict)

    @property
    def key_places(self) -> int:
        return sum(n for kind, n in self.by_kind.items() if kind in KEY_PLACE_KINDS)


def places_by_grid(conn: Connection, *, scope: Scope = UNRESTRICTED) -> list[GridPlaces]:
    """Every grid of ``scope`` holding places (and one row of places in no grid, ``grid`` None)."""
    rows = conn.execute(
        text(f"""
        SELECT g.code, g.name, p.kind, p.subcategory, count(*) AS n
        FROM places p LEFT JOIN grids g ON ST_Covers(g.geom, p.geom)
        WHERE {scope.covers("p.geom")}
        GROUP BY g.code, g.name, p.kind, p.subcategory
        ORDER BY g.code NULLS LAST, p.kind, p.subcategory"""),
        scope.params,
    ).all()
    grids: dict[str | None, GridPlaces] = {}
    for code, name, kind, industry, n in rows:
        found = grids.setdefault(code, GridPlaces(code, name))
        found.by_kind[kind] = found.by_kind.get(kind, 0) + int(n)
        if industry is not None:
            found.by_industry[industry] = found.by_industry.get(industry, 0) + int(n)
    return list(grids.values())
