"""Vector tiles of the movement-flow map (动线管理图), made in PostGIS like ``geo.tiles``.

Tile layers:

- ``legs`` (from ``OD_ZOOM``): one curved line per transfer leg active in the window, with its
  state at the clock (``geo.flows.chains.LEG_STATE_SQL``), head count, chain and whether the chain has
  a gap. Legs between the same two places bend apart (A->B and B->A on opposite sides).
- ``od`` (below ``OD_ZOOM``): origin-destination totals of the same legs, aggregated in SQL so
  a city-wide tile stays small: legs, head count and the worst state per directed pair.
- ``paths`` (from ``PATH_ZOOM``): each compound's inside path (动线) from each gate through the
  nearest registration point, temperature check point and delivery drop point, with the gate
  counts of the window each step carries (``geo.vocab.COMPOUND_PATH_COUNTS``).
- ``arrows``: a small triangle about two thirds along every line above, pointing the way of travel
  (drawn as fill polygons: no sprite or glyph server is needed offline), sized in screen pixels
  of the tile's zoom but never more than a third of its line.
- ``places``: the ends of the drawn legs, and from ``PATH_ZOOM`` the stations of the paths, with
  the gate counts of the window.

Curves are quadratic Bézier curves built in Web Mercator, so they look the same at every zoom
and neighbouring tiles agree (bends depend on the window's legs, not the tile's). Only ids,
codes, counts and place names are written: transfers hold no personal data.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import Connection

from geo.flows.chains import GAPS_SQL, IN_WINDOW_SQL, LEG_STATE_SQL, clock_params, legs_from
from geo.scope import UNRESTRICTED, Scope
from geo.tiles import TileAddress, render_tile
from geo.vocab import COMPOUND_PATH_COUNTS, COMPOUND_PATH_KINDS, LEG_STATUS_CODES

OD_ZOOM = 11
"""Below this zoom a tile holds origin-destination totals; from it, single legs."""
PATH_ZOOM = 15
"""From this zoom a tile holds the compounds' inside paths and their stations."""
LEGS_LAYER, OD_LAYER, PATHS_LAYER, ARROWS_LAYER, PLACES_LAYER = "legs", "od", "paths", "arrows", "places"
# How far a line bends, as a fraction of its length, per overlapping line of the same pair.
BEND = 0.18
SAMPLES = 24
# The worst state first: an OD pair shows the worst of its legs.
STATE_SEVERITY: tuple[str, ...] = ("overdue", "in_transit", "planned", "handed_over", "cancelled")
assert set(STATE_SEVERITY) == set(LEG_STATUS_CODES), "every leg status needs a severity"
_WORLD_M = 40075016.685578488

_ENV = "ST_TileEnvelope(:z, :x, :y)"
_POINT = "ST_Transform(ST_Translate({g}, :dx, :dy), 3857)"


def _legs(scope: Scope) -> str:
    """CTEs ``legs`` (the legs of the window ``scope`` may see, with their state) and ``gaps``."""
    gaps = GAPS_SQL.format(where="AND t.chain_id IN (SELECT chain_id FROM legs)", legs=legs_from(scope))
    return f"""
    legs AS MATERIALIZED (
        SELECT t.id, t.chain_id, t.leg_no, t.from_place_id AS a_id, t.to_place_id AS b_id, t.head_count,
               {LEG_STATE_SQL.format(t="t")} AS status
        FROM {legs_from(scope)} t WHERE {IN_WINDOW_SQL.format(t="t")}
    ),
    gaps AS MATERIALIZED (SELECT DISTINCT chain_id FROM ({gaps}) g)"""


# Each source below yields `flows`: fid, the line's properties, its ends a_id/b_id and its bend.
_LEG_FLOWS = """
    flows AS (
        SELECT l.id AS fid, 'leg' AS flow, l.chain_id, l.leg_no, l.status, l.head_count, l.a_id, l.b_id,
               (l.chain_id IN (SELECT chain_id FROM gaps)) AS gap,
               NULL::int AS legs, NULL::text AS from_kind, NULL::text AS to_kind, NULL::int AS count,
               NULL::int AS abnormal, NULL::int AS compound,
               CASE WHEN count(*) OVER (PARTITION BY least(l.a_id, l.b_id), greatest(l.a_id, l.b_id)) = 1
                    THEN 0.0
                    ELSE :bend * row_number() OVER (PARTITION BY l.a_id, l.b_id ORDER BY l.id) END AS bend
        FROM legs l
    )"""

_OD_FLOWS = """
    pairs AS (
        SELECT a_id, b_id, count(*)::int AS legs, sum(head_count)::int AS head_count,
               (CAST(:severity AS text[]))[min(array_position(CAST(:severity AS text[]), status))] AS status,
               bool_or(chain_id IN (SELECT chain_id FROM gaps)) AS gap
        FROM legs GROUP BY a_id, b_id
    ),
    flows AS (
        SELECT row_number() OVER (ORDER BY p.a_id, p.b_id) AS fid, 'od' AS flow, NULL::text AS chain_id,
               NULL::int AS leg_no, p.status, p.head_count, p.a_id, p.b_id, p.gap, p.legs,
               NULL::text AS from_kind, NULL::text AS to_kind, NULL::int AS count, NULL::int AS abnormal,
               NULL::int AS compound,
               CASE WHEN EXISTS (SELECT 1 FROM pairs r WHERE r.a_id = p.b_id AND r.b_id = p.a_id)
                    THEN :bend ELSE 0.0 END AS bend
        FROM pairs p
    )"""

_PATH_FLOWS = """
    gates AS (
        SELECT g.id, g.compound_id, g.geom FROM places g
        WHERE g.kind = 'compound_gate' AND {in_scope} AND g.compound_id IN (
            SELECT c.id FROM compounds c
            WHERE c.geom && ST_Translate(ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 0.1), 4326),
                                         0 - :dx, 0 - :dy))
    ),
    steps AS (
        SELECT g.id AS gate_id, g.compound_id, k.ord, k.kind, s.id AS place_id
        FROM gates g CROSS JOIN unnest(CAST(:path_kinds AS text[])) WITH ORDINALITY AS k(kind, ord)
        CROSS JOIN LATERAL (
            SELECT p.id FROM places p
            WHERE (k.kind = 'compound_gate' AND p.id = g.id)
               OR (k.kind <> 'compound_gate' AND p.kind = k.kind AND p.compound_id = g.compound_id)
            ORDER BY p.geom <-> g.geom, p.id LIMIT 1
        ) s
    ),
    counted AS (
        SELECT e.place_id AS gate_id, e.kind, sum(e.count)::int AS n FROM gate_events e
        WHERE e.place_id IN (SELECT id FROM gates) AND e.hour >= :since AND e.hour < :at
        GROUP BY e.place_id, e.kind
    ),
    segments AS (
        SELECT gate_id, compound_id, lag(place_id) OVER w AS a_id, place_id AS b_id,
               lag(kind) OVER w AS from_kind, kind AS to_kind
        FROM steps WINDOW w AS (PARTITION BY gate_id ORDER BY ord)
    ),
    flows AS (
        SELECT row_number() OVER (ORDER BY s.gate_id, s.b_id) AS fid, 'path' AS flow, NULL::text AS chain_id,
               NULL::int AS leg_no, NULL::text AS status, NULL::int AS head_count, s.a_id, s.b_id,
               NULL::boolean AS gap, NULL::int AS legs, s.from_kind, s.to_kind,
               coalesce((SELECT sum(c.n) FROM counted c
                         JOIN unnest(CAST(:count_steps AS text[]), CAST(:count_kinds AS text[]))
                              AS m(step, kind) ON m.kind = c.kind
                         WHERE c.gate_id = s.gate_id AND m.step = s.to_kind), 0)::int AS count,
               CASE WHEN s.to_kind = 'temperature_point' THEN coalesce((SELECT c.n FROM counted c
                    WHERE c.gate_id = s.gate_id AND c.kind = 'abnormal_temperature'), 0) END::int AS abnormal,
               s.compound_id AS compound, 0.0 AS bend
        FROM segments s WHERE s.a_id IS NOT NULL
    )"""

# Control points and arrowheads of `flows`, in Web Mercator metres; :px is one screen pixel.
_GEOMETRY = f"""
    ends AS MATERIALIZED (
        SELECT f.*, ST_X(a.p) AS ax, ST_Y(a.p) AS ay, ST_X(b.p) AS bx, ST_Y(b.p) AS by
        FROM flows f
        CROSS JOIN LATERAL (SELECT {_POINT.format(g="pa.geom")} AS p FROM places pa WHERE pa.id = f.a_id) a
        CROSS JOIN LATERAL (SELECT {_POINT.format(g="pb.geom")} AS p FROM places pb WHERE pb.id = f.b_id) b
    ),
    curves AS MATERIALIZED (
        SELECT e.*, (e.ax + e.bx) / 2 - e.bend * (e.by - e.ay) AS cx,
               (e.ay + e.by) / 2 + e.bend * (e.bx - e.ax) AS cy
        FROM ends e
    ),
    near AS MATERIALIZED (
        SELECT c.* FROM curves c
        WHERE ST_MakeEnvelope(least(c.ax, c.bx, c.cx), least(c.ay, c.by, c.cy),
                              greatest(c.ax, c.bx, c.cx), greatest(c.ay, c.by, c.cy), 3857)
              && ST_Expand({_ENV}, :margin)
    ),
    lines AS (
        SELECT n.*, (
            SELECT ST_SetSRID(ST_MakeLine(array_agg(ST_MakePoint(
                (1 - s) ^ 2 * n.ax + 2 * (1 - s) * s * n.cx + s ^ 2 * n.bx,
                (1 - s) ^ 2 * n.ay + 2 * (1 - s) * s * n.cy + s ^ 2 * n.by) ORDER BY s)), 3857)
            FROM (SELECT i::float8 / :samples AS s FROM generate_series(0, :samples) i) u
        ) AS geom
        FROM near n
    ),
    heads AS (
        SELECT n.*, h.*,
               least(:px * (8 + least(coalesce(n.head_count, n.count, 1), 80) / 10.0),
                     0.3 * sqrt((n.bx - n.ax) ^ 2 + (n.by - n.ay) ^ 2)) AS size
        FROM near n CROSS JOIN LATERAL (
            SELECT (1 - :at_s) ^ 2 * n.ax + 2 * (1 - :at_s) * :at_s * n.cx + :at_s ^ 2 * n.bx AS hx,
                   (1 - :at_s) ^ 2 * n.ay + 2 * (1 - :at_s) * :at_s * n.cy + :at_s ^ 2 * n.by AS hy,
                   2 * (1 - :at_s) * (n.cx - n.ax) + 2 * :at_s * (n.bx - n.cx) AS tx,
                   2 * (1 - :at_s) * (n.cy - n.ay) + 2 * :at_s * (n.by - n.cy) AS ty
        ) h WHERE h.tx <> 0 OR h.ty <> 0
    ),
    arrows AS (
        SELECT hd.*, ST_SetSRID(ST_MakePolygon(ST_MakeLine(ARRAY[
            ST_MakePoint(hx + ux * size * 0.6, hy + uy * size * 0.6),
            ST_MakePoint(hx - ux * size * 0.4 - uy * size * 0.45, hy - uy * size * 0.4 + ux * size * 0.45),
            ST_MakePoint(hx - ux * size * 0.4 + uy * size * 0.45, hy - uy * size * 0.4 - ux * size * 0.45),
            ST_MakePoint(hx + ux * size * 0.6, hy + uy * size * 0.6)])), 3857) AS geom
        FROM (SELECT hd.*, tx / sqrt(tx * tx + ty * ty) AS ux, ty / sqrt(tx * tx + ty * ty) AS uy
              FROM heads hd) hd
    )"""

_MVT = "ST_AsMVTGeom({g}, " + _ENV + ", :extent, :buffer, true)"
_LINE_COLUMNS = {
    LEGS_LAYER: "fid AS id, chain_id, leg_no, status, head_count, gap",
    OD_LAYER: "fid AS id, a_id AS from_place, b_id AS to_place, legs, head_count, status, gap",
    PATHS_LAYER: "fid AS id, compound, from_kind, to_kind, count, abnormal",
}
_ARROW_COLUMNS = "flow, status, head_count, count"


def _layers(line_layer: str) -> str:
    """The line and arrow tile layers over the `lines` and `arrows` CTEs."""
    return f"""
    (SELECT ST_AsMVT(t, '{line_layer}', :extent, 'geom', 'id') FROM (
        SELECT {_LINE_COLUMNS[line_layer]}, {_MVT.format(g="geom")} AS geom FROM lines
    ) t WHERE geom IS NOT NULL)
    || (SELECT ST_AsMVT(t, '{ARROWS_LAYER}', :extent, 'geom') FROM (
        SELECT {_ARROW_COLUMNS}, {_MVT.format(g="geom")} AS geom FROM arrows
    ) t WHERE geom IS NOT NULL)"""


def _places_layer(*, paths: bool, scope: Scope) -> str:
    """The ends of the drawn legs (and from PATH_ZOOM the path stations), with gate counts."""
    stations = (
        "UNION SELECT p.id FROM places p WHERE p.kind = ANY(CAST(:path_kinds AS text[])) "
        f"AND p.compound_id IS NOT NULL AND {scope.covers('p.geom')}"
        if paths
        else ""
    )
    return f"""
    (SELECT ST_AsMVT(t, '{PLACES_LAYER}', :extent, 'geom', 'id') FROM (
        SELECT p.id, p.kind, p.name,
               (SELECT sum(e.count)::int FROM gate_events e
                WHERE e.place_id = p.id AND e.hour >= :since AND e.hour < :at) AS events,
               {_MVT.format(g=_POINT.format(g="p.geom"))} AS geom
        FROM places p
        WHERE p.id IN (SELECT a_id FROM legs UNION SELECT b_id FROM legs {stations})
          AND p.geom && ST_Translate(ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 0.02), 4326),
                                     0 - :dx, 0 - :dy)
    ) t WHERE geom IS NOT NULL)"""


def flows_sql(z: int, *, scope: Scope = UNRESTRICTED) -> str:
    """The whole tile query at zoom ``z`` (the SQL differs by zoom band and scope, never by input:
    the scope's ids are bound parameters)."""
    legs = z >= OD_ZOOM
    parts = [_layers(LEGS_LAYER if legs else OD_LAYER)]
    if z >= PATH_ZOOM:
        paths = _PATH_FLOWS.format(in_scope=scope.covers("g.geom"))
        parts.append(f"(WITH {paths}, {_GEOMETRY} SELECT {_layers(PATHS_LAYER)})")
    parts.append(_places_layer(paths=z >= PATH_ZOOM, scope=scope))
    return (
        f"WITH {_legs(scope)}, {_LEG_FLOWS if legs else _OD_FLOWS}, {_GEOMETRY} SELECT {' || '.join(parts)}"
    )


def flows_params(addr: TileAddress, *, at: dt.datetime, window_hours: float, deadline_hours: float) -> dict:
    """Bound parameters of ``flows_sql``: the tile, the clock and window, and the drawing constants."""
    px = _WORLD_M / (256 * 2**addr.z)
    return (
        addr.params
        | clock_params(at, deadline_hours=deadline_hours, window_hours=window_hours)
        | {
            "bend": BEND,
            "samples": SAMPLES,
            "severity": list(STATE_SEVERITY),
            "px": px,
            "at_s": 0.62,
            "margin": px * 64,
            "path_kinds": list(COMPOUND_PATH_KINDS),
            "count_steps": [step for step, kinds in COMPOUND_PATH_COUNTS.items() for _ in kinds],
            "count_kinds": [kind for kinds in COMPOUND_PATH_COUNTS.values() for kind in kinds],
        }
    )


def flows_tile(
    conn: Connection,
    addr: TileAddress,
    *,
    at: dt.datetime,
    window_hours: float,
    deadline_hours: float,
    scope: Scope = UNRESTRICTED,
) -> bytes:
    """The flow tile at ``addr`` for the window of ``window_hours`` ending at ``at``, within ``scope``."""
    if not math.isfinite(window_hours) or window_hours <= 0:
        raise ValueError(f"window_hours must be a positive number, got {window_hours}")
    params = flows_params(addr, at=at, window_hours=window_hours, deadline_hours=deadline_hours)
    return render_tile(conn, flows_sql(addr.z, scope=scope), params | scope.params)
