"""Vector tiles of a published overlay: its features meeting the tile and the viewer's area.

One tile layer inside each tile, ``features``, whose features carry the overlay's ``fid`` (as the
feature id) and its properties (checked at publish: nothing personal). Whether the viewer may see
the overlay at all is ``geo.overlays.registry.may_see``'s, asked before a tile is made.
"""

from __future__ import annotations

from psycopg import sql
from sqlalchemy import Connection, text

from geo.overlays.registry import get_overlay
from geo.scope import UNRESTRICTED, Scope
from geo.tiles import IN_TILE, MVT_GEOM, TileAddress

FEATURES_LAYER = "features"


def overlay_tile(conn: Connection, addr: TileAddress, *, name: str, scope: Scope = UNRESTRICTED) -> bytes:
    """The MVT tile of overlay ``name`` at ``addr``, holding only features meeting ``scope``'s area."""
    overlay = get_overlay(conn, name)
    raw = conn.connection.driver_connection
    props = sql.SQL("").join(sql.SQL(", f.{}").format(sql.Identifier(p)) for p in overlay.properties)
    table = overlay.table().as_string(raw)
    statement = f"""
    SELECT ST_AsMVT(t, '{FEATURES_LAYER}', :extent, 'geom', 'fid') FROM (
        SELECT f.fid{props.as_string(raw)}, {MVT_GEOM.format(g="f.geom")} AS geom
        FROM {table} f
        WHERE {IN_TILE.format(g="f.geom")} AND {scope.covers("f.geom")}
    ) t WHERE geom IS NOT NULL"""
    body = conn.execute(text(statement), addr.params | scope.params).scalar()
    return bytes(body or b"")
