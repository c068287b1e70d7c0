"""Tiles of the service guide (layer ``services``): the compounds of the user's scope with their
foreign-national household counts and international flag (``compounds``), and the multilingual
registration and service points with their languages and hours (``points``).

Counts of flags and place attributes only: no household, no person.
"""

from __future__ import annotations

from sqlalchemy import Connection

from geo.scope import UNRESTRICTED, Scope
from geo.services.read import SERVICE_POINTS, compound_counts_sql
from geo.tiles import IN_TILE, MVT_GEOM, TileAddress, render_tile

COMPOUNDS_LAYER, POINTS_LAYER = "compounds", "points"


def services_tile(conn: Connection, addr: TileAddress, *, share: float, scope: Scope = UNRESTRICTED) -> bytes:
    """One tile of both layers; ``share`` is ``ServiceSettings.international_share``."""
    sql = f"""
    WITH c AS ({compound_counts_sql(scope, IN_TILE.format(g="c.geom"))}
    ), cg AS (
        SELECT c.id, c.name, c.households, c.foreign_households, c.international,
               {MVT_GEOM.format(g="k.geom")} AS geom
        FROM c JOIN compounds k ON k.id = c.id
    ), p AS (
        SELECT p.id, p.kind, p.name, array_to_string(p.languages, ',') AS languages, p.opening_hours,
               {MVT_GEOM.format(g="p.geom")} AS geom
        FROM places p
        WHERE {SERVICE_POINTS} AND {IN_TILE.format(g="p.geom")} AND {scope.covers("p.geom")}
    )
    SELECT (SELECT coalesce(ST_AsMVT(cg, '{COMPOUNDS_LAYER}', :extent, 'geom', 'id'), '')
            FROM cg WHERE geom IS NOT NULL)
        || (SELECT coalesce(ST_AsMVT(p, '{POINTS_LAYER}', :extent, 'geom', 'id'), '')
            FROM p WHERE geom IS NOT NULL)
    """
    return render_tile(conn, sql, addr.params | scope.params | {"share": share})
