"""The campaign choropleth as vector tiles: each sub-district of the board with its remaining share
(剩余任务量 / 任务总量), whether it is behind and whether it is missing today's report.

The figures are the board's (``geo.campaign.board.board``), joined onto the unit polygons; nothing is
recomputed here.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from geo.campaign.board import board
from geo.scope import UNRESTRICTED, Scope
from geo.tiles import _IN_TILE, _MVT_GEOM, AREAS_LAYER, TileAddress, render_tile

_SQL = f"""
    WITH figures AS (
        SELECT * FROM unnest(CAST(:ids AS integer[]), CAST(:shares AS float8[]), CAST(:behind AS boolean[]),
                             CAST(:missing AS boolean[]), CAST(:remaining AS integer[]),
                             CAST(:targets AS integer[]))
            AS f (id, remaining_share, behind, missing, remaining, target)
    )
    SELECT ST_AsMVT(t, '{AREAS_LAYER}', :extent, 'geom', 'id') FROM (
        SELECT u.id, u.code, u.name, 'subdistrict' AS level, f.remaining_share, f.behind, f.missing,
               f.remaining, f.target, {_MVT_GEOM.format(g="u.geom")} AS geom
        FROM admin_units u JOIN figures f ON f.id = u.id
        WHERE {_IN_TILE.format(g="u.geom")}
    ) t WHERE geom IS NOT NULL"""


def campaign_tile(
    conn: Connection,
    addr: TileAddress,
    *,
    date: dt.date,
    campaign: str | None = None,
    scope: Scope = UNRESTRICTED,
) -> bytes:
    """The sub-districts of ``campaign``'s board (a name) on ``date`` (in ``scope``) meeting the tile:
    ``code``,
    ``name``, ``remaining_share`` (0..1; missing for a zero target), ``behind`` (missing when
    unknown), ``missing`` (no report for the day), ``remaining`` and ``target``. Empty without a
    campaign."""
    if campaign is None:
        return b""
    rows = board(conn, campaign, day=date, scope=scope)
    params = addr.params | {
        "ids": [r.unit_id for r in rows],
        "shares": [r.remaining_share for r in rows],
        "behind": [r.behind for r in rows],
        "missing": [r.missing for r in rows],
        "remaining": [r.remaining for r in rows],
        "targets": [r.target for r in rows],
    }
    return render_tile(conn, _SQL, params)
