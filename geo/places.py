"""Places counted by area: the key places (重点场所: street-front shops, office buildings, firms,
key-industry sites by industry) and every other kind, per grid of the user's scope. A place counts
in the grid its point lies in (grids do not overlap: ``battlemap qa``); per risk zone they are
counted with the zone (``geo.risk.counts``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, text

from geo.scope import UNRESTRICTED, Scope
from geo.tiles import MVT_GEOM, TileAddress, render_tile
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


KEY_PLACES_LAYER = "key_places"
"""From ``KEY_PLACE_ZOOM``: one point per key place (``kind``, ``subcategory``)."""
KEY_CLUSTERS_LAYER = "key_clusters"
"""Below ``KEY_PLACE_ZOOM``: one point per occupied cell (``count`` and a count per kind)."""
KEY_PLACE_ZOOM = 16
"""From this zoom on the key places are drawn one by one; below it, clustered."""
CLUSTER_CELLS = 8
"""Cells per tile side below ``KEY_PLACE_ZOOM`` (a 512 px tile: one cluster per 64 px at most)."""
_WORLD = 40075016.685578488  # the Web Mercator world's width in metres
_ORIGIN = -_WORLD / 2
_MERCATOR = "ST_Transform(p.geom, 3857)"
# Cells are counted from the world's south-west corner (floor, not rounding): their edges are tiles' edges.


def _in_tile(geom: str) -> str:
    # The point lies in the tile itself (no buffer): each place is drawn by one tile only, and each
    # cluster cell (aligned on the tile grid) lies wholly in one tile.
    return (
        f"{geom} && ST_Translate(ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 0), 4326), "
        f"0 - :dx, 0 - :dy) AND ST_Intersects(ST_Translate({geom}, :dx, :dy), "
        "ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 0), 4326))"
    )


def key_places_tile(conn: Connection, addr: TileAddress, *, scope: Scope = UNRESTRICTED) -> bytes:
    """The key places (``KEY_PLACE_KINDS``) of ``scope`` in the tile: from ``KEY_PLACE_ZOOM`` each as
    a point with ``kind`` and ``subcategory`` (the industry of a key-industry site); below it one
    cluster per occupied cell of ``CLUSTER_CELLS`` x ``CLUSTER_CELLS`` (cells aligned on the tile
    grid, so neighbouring tiles never split one) at its places' centroid, with ``count``, a count
    per kind and ``kind``, the most numerous. No name is carried: a shop's name may be a person's."""
    kinds = {"kinds": list(KEY_PLACE_KINDS)}
    where = f"p.kind = ANY(:kinds) AND {_in_tile('p.geom')} AND {scope.covers('p.geom')}"
    if addr.z >= KEY_PLACE_ZOOM:
        sql = f"""
        SELECT ST_AsMVT(t, '{KEY_PLACES_LAYER}', :extent, 'geom', 'id') FROM (
            SELECT p.id, p.kind, p.subcategory, {MVT_GEOM.format(g="p.geom")} AS geom
            FROM places p WHERE {where}
            OFFSET 0
        ) t WHERE geom IS NOT NULL"""
        return render_tile(conn, sql, addr.params | scope.params | kinds)
    per_kind = "".join(
        f", (count(*) FILTER (WHERE p.kind = '{kind}'))::int AS {kind}" for kind in KEY_PLACE_KINDS
    )
    dominant = "(mode() WITHIN GROUP (ORDER BY p.kind))"
    sql = f"""
    WITH c AS (
        SELECT row_number() OVER () AS id, count(*)::int AS count{per_kind}, {dominant} AS kind,
               ST_Centroid(ST_Collect(p.geom)) AS geom
        FROM places p WHERE {where}
        GROUP BY floor((ST_X({_MERCATOR}) - :origin) / :cell), floor((ST_Y({_MERCATOR}) - :origin) / :cell)
    )
    SELECT ST_AsMVT(t, '{KEY_CLUSTERS_LAYER}', :extent, 'geom', 'id') FROM (
        SELECT c.id, c.count{"".join(f", c.{k}" for k in KEY_PLACE_KINDS)}, c.kind,
               {MVT_GEOM.format(g="c.geom")} AS geom
        FROM c
    ) t WHERE geom IS NOT NULL"""
    cell = {"cell": _WORLD / 2**addr.z / CLUSTER_CELLS, "origin": _ORIGIN}
    return render_tile(conn, sql, addr.params | scope.params | kinds | cell)
