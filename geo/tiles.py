"""Mapbox vector tiles made in PostGIS (ST_AsMVT / ST_AsMVTGeom), one function per tiled source.

Every tile is in Web Mercator (``ST_TileEnvelope``) and carries only what styling and the
building card need: internal ids, codes, counts and statuses, never personal data. Below
``BUILDING_ZOOM`` a tile holds no footprints but one aggregate polygon per grid (from
``GRID_ZOOM``) or per sub-district, in the tile layer ``areas``; footprints are in ``buildings``.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo.crs import CoordSystem, to_wgs84_xy
from geo.errors import InvalidParameter
from geo.loops.store import OVERDUE, STATE_JOIN
from geo.responsibility.rule import CHAIN_JOIN, chain_params
from geo.scope import UNRESTRICTED, Scope
from geo.status.overview_read import area_figures, coverage
from geo.status.rule import BUILDING_STATUS_JOIN, building_status_ctes, status_params

MAX_ZOOM = 22
BUILDING_ZOOM = 15
"""From this zoom on, tiles hold building footprints; below it, aggregates."""
GRID_ZOOM = 13
"""Aggregates per grid from this zoom to ``BUILDING_ZOOM``; per sub-district below it."""
EXTENT = 4096
BUFFER = 64
BUILDINGS_LAYER = "buildings"
AREAS_LAYER = "areas"
LABELS_LAYER = "labels"
"""One point per area (its point on surface, in the one tile that holds it) for the area's name."""
GAPS_LAYER = "gaps"
"""Below ``BUILDING_ZOOM``, one point per building with a responsibility gap (the responsibility map)."""
LEADERS_LAYER = "leaders"
"""From ``BUILDING_ZOOM``, one point per building with a building leader, in the one tile holding it."""
BASEMAP_LAYERS: tuple[str, ...] = ("landuse", "water", "roads")


@dataclass(frozen=True)
class TileAddress:
    """A tile ``z/x/y`` (XYZ scheme, as MapLibre asks for it).

    ``shift`` (degrees, added to every geometry) lays the overlays on a basemap in another datum:
    ``display_shift`` gives the GCJ-02 offset at the tile's centre, which varies by well under
    a metre across a building-zoom tile.
    """

    z: int
    x: int
    y: int
    shift: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        if not 0 <= self.z <= MAX_ZOOM:
            raise InvalidParameter(f"tile zoom {self.z} is out of range: expected 0..{MAX_ZOOM}")
        size = 2**self.z
        if not (0 <= self.x < size and 0 <= self.y < size):
            raise InvalidParameter(
                f"tile {self.z}/{self.x}/{self.y} does not exist: "
                f"x and y must be in 0..{size - 1} at zoom {self.z}"
            )

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in WGS84 degrees."""
        size = 2**self.z

        def lon(x: int) -> float:
            return x / size * 360.0 - 180.0

        def lat(y: int) -> float:
            return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / size))))

        return (lon(self.x), lat(self.y + 1), lon(self.x + 1), lat(self.y))

    @property
    def params(self) -> dict[str, object]:
        dx, dy = self.shift
        return {"z": self.z, "x": self.x, "y": self.y, "extent": EXTENT, "buffer": BUFFER, "dx": dx, "dy": dy}


def display_shift(addr: TileAddress, crs: CoordSystem) -> tuple[float, float]:
    """The (dx, dy) in degrees that moves WGS84 geometries drawn at ``addr``'s centre into ``crs``
    (e.g. GCJ-02 for an AMap or Tencent basemap); (0, 0) for WGS84."""
    west, south, east, north = addr.bounds
    lon, lat = (west + east) / 2, (south + north) / 2
    # The tile is in the display datum: the WGS84 point drawn at its centre is the inverse image.
    x, y = to_wgs84_xy([lon], [lat], crs)
    return (lon - float(x[0]), lat - float(y[0]))


# --- SQL fragments ----------------------------------------------------------------------------------

_ENV = "ST_TileEnvelope(:z, :x, :y)"
# Tile geometry of a WGS84 column, clipped to the tile with a buffer.
_MVT_GEOM = (
    "ST_AsMVTGeom(ST_Transform(ST_Translate({g}, :dx, :dy), 3857), " + _ENV + ", :extent, :buffer, true)"
)
# Rows whose geometry meets the tile (the envelope in 4326, so the GiST index is used).
_IN_TILE = "{g} && ST_Translate(ST_Transform(" + _ENV + ", 4326), 0 - :dx, 0 - :dy)"
# The same two, for the subjects that build a tile of their own (``geo.rollup.read``).
MVT_GEOM, IN_TILE = _MVT_GEOM, _IN_TILE


def _areas_sql(
    addr: TileAddress,
    joins: str,
    columns: dict[str, str],
    *,
    scope: Scope,
    status: bool = False,
    land_only: bool = False,
    figures: str | None = None,
) -> str:
    """One aggregate polygon per grid (or sub-district) meeting the tile, over all its buildings
    (not only those in the tile, so that neighbouring tiles agree); ``columns`` name aggregate
    expressions over buildings ``b`` with ``joins``. A restricted ``scope`` keeps only areas holding
    one of its buildings, and aggregates over its buildings only. ``land_only``: the basemap's water
    polygons are cut out of each area (a status is never painted over the river)."""
    if addr.z >= GRID_ZOOM:
        areas, key = "SELECT g.id, g.code, g.name, 'grid' AS level, g.geom FROM grids g WHERE true", "grid_id"
    else:
        areas = "SELECT u.id, u.code, u.name, 'subdistrict' AS level, u.geom FROM admin_units u "
        areas, key = areas + "WHERE u.level = 'subdistrict'", "subdistrict_id"
    if scope.restricted:
        areas += f" AND id IN (SELECT b.{key} FROM buildings b WHERE {scope.buildings('b')})"
    aggregates = "".join(f", {sql} AS {name}" for name, sql in columns.items())
    selected = "".join(f", agg.{name}" for name in columns)
    geom, water = "a.geom", ""
    if land_only:
        geom = "coalesce(ST_Difference(a.geom, w.geom), a.geom)"
        water = f"LEFT JOIN LATERAL ({_WATER.format(area='a.geom')}) w ON true"
    # Statuses are computed for every building of the areas (as for an unrestricted user: the scope
    # predicate there would make the planner expect one row and nest loops over thousands); the scope
    # applies where buildings are aggregated, so nothing outside it is counted.
    ctes = building_status_ctes(f"b.{key} IN (SELECT id FROM a)") + "," if status else ""
    in_areas = f"b.{key} IN (SELECT id FROM a) AND {scope.buildings('b')}"
    aggregate = (
        figures.format(areas="SELECT id FROM a")
        if figures is not None
        else f"""SELECT b.{key} AS area_id, count(*)::int AS buildings{aggregates}
        FROM buildings b {joins} WHERE {in_areas} GROUP BY b.{key}"""
    )
    return f"""
    WITH a AS MATERIALIZED ({areas} AND {_IN_TILE.format(g="geom")}),{"" if figures else ctes}
    agg AS MATERIALIZED ({aggregate})
    SELECT ST_AsMVT(t, '{AREAS_LAYER}', :extent, 'geom', 'id') FROM (
        SELECT a.id, a.code, a.name, a.level, coalesce(agg.buildings, 0) AS buildings{selected},
               {_MVT_GEOM.format(g=geom)} AS geom
        FROM a LEFT JOIN agg ON agg.area_id = a.id {water}
    ) t WHERE geom IS NOT NULL"""


# The basemap's water polygons meeting an area, as one geometry (NULL when there are none).
_WATER = """SELECT ST_Union(ST_MakeValid(f.geom)) AS geom FROM basemap_features f
    WHERE f.layer = 'water' AND GeometryType(f.geom) IN ('POLYGON', 'MULTIPOLYGON') AND f.geom && {area}"""


def _buildings_sql(joins: str, columns: str, *, scope: Scope, status: bool = False) -> str:
    """Footprints meeting the tile, of the buildings in ``scope`` only (a border tile holds no others).

    Their statuses are looked up through the indexes, household by household: a footprint tile holds
    a few thousand at most, and reading the whole city's statuses of the day for them (the plan for
    counts over a city) took 1.3 s a z15 tile on 1M buildings and 1.3M status rows."""
    where = _IN_TILE.format(g="b.geom")
    ctes = f"WITH {building_status_ctes(where, lookup=True)}" if status else ""
    in_tile = f"{_IN_TILE.format(g='b.geom')} AND {scope.buildings('b')}"
    return f"""{ctes}
    SELECT ST_AsMVT(t, '{BUILDINGS_LAYER}', :extent, 'geom', 'id') FROM (
        SELECT b.id, b.grid_id AS grid, b.compound_id AS compound, b.subdistrict_id AS subdistrict,
               b.district_id AS district{columns}, {_MVT_GEOM.format(g="b.geom")} AS geom
        FROM buildings b {joins} WHERE {in_tile}
        OFFSET 0  -- keeps ST_AsMVTGeom in the select list: pushed into the filter it runs twice a row
    ) t WHERE geom IS NOT NULL"""


# ``ST_Translate(<expression>, :dx, :dy)`` or ``(…, 0 - :dx, 0 - :dy)``, its argument nested up to two
# levels deep (``ST_Transform(ST_TileEnvelope(…), 4326)``): what :func:`unshifted` takes out.
_SHIFT = re.compile(
    r"ST_Translate\(((?:[^()]|\((?:[^()]|\([^()]*\))*\))*?),\s*(?:0 - )?:dx,\s*(?:0 - )?:dy\)"
)


@functools.lru_cache(maxsize=512)
def unshifted(sql: str) -> str:
    """``sql`` without its ``ST_Translate(…, :dx, :dy)`` calls, for a tile drawn in WGS84 (no shift).

    Translating by (0, 0) is no change to the geometry but not free: PostGIS copies and re-serialises
    every footprint for it, a third of a z15 tile's time on 1M buildings. The tile SQL is written once,
    with the shift; a tile without one runs it without."""
    return _SHIFT.sub(r"\1", sql)


_TILE_SESSION = (
    "SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)"
)


def render_tile(conn: Connection, sql: str, params: Mapping[str, object]) -> bytes:
    """The tile ``sql`` (one ST_AsMVT value) makes with ``params``, run with tile-speed settings."""
    # A tile must come back in milliseconds: JIT compilation alone would cost tens of them, and the
    # server answers a map's tiles concurrently, so parallel workers only add their start-up cost.
    conn.execute(text(_TILE_SESSION))
    if not params.get("dx") and not params.get("dy"):
        sql = unshifted(sql)
    value = conn.execute(text(sql), params).scalar()
    return bytes(value) if value is not None else b""


# --- the tiled sources --------------------------------------------------------------------------------


def buildings_tile(conn: Connection, addr: TileAddress, *, scope: Scope = UNRESTRICTED) -> bytes:
    """Footprints with their grid, compound, admin units and floors, or counts per area; only those
    of ``scope``."""
    params = addr.params | scope.params
    if addr.z < BUILDING_ZOOM:
        return render_tile(conn, _areas_sql(addr, "", {}, scope=scope), params)
    return render_tile(conn, _buildings_sql("", ", b.floors", scope=scope), params)


def house_status_tile(
    conn: Connection, addr: TileAddress, *, date: dt.date, scope: Scope = UNRESTRICTED
) -> bytes:
    """Each building's most severe status on ``date`` (``status``, missing when it has neither
    households nor a building status), ``households``, ``cases`` (households with a case status)
    and ``vulnerable``; below ``BUILDING_ZOOM`` per area the worst ``status``, ``households``,
    ``cases``, ``buildings_with_cases`` and ``vulnerable_buildings``, from the precomputed overview
    (``geo.status.overview_read``) when it answers the scope, else over the buildings themselves."""
    params = addr.params | status_params(date) | scope.params
    if addr.z < BUILDING_ZOOM:
        cov = coverage(conn, scope)
        if cov is not None:
            figures = area_figures(cov, per_grid=addr.z >= GRID_ZOOM, areas="{areas}")
            sql = _areas_sql(addr, "", AREA_STATUS_COLUMNS, scope=scope, land_only=True, figures=figures)
            return render_tile(conn, sql, params | cov.params)
        return render_tile(conn, live_area_status_sql(addr, scope=scope), params)
    selected = (
        ", (CAST(:severity AS text[]))[st.rank] AS status, st.households::int AS households, "
        "st.cases::int AS cases, st.vulnerable"
    )
    return render_tile(conn, _buildings_sql(BUILDING_STATUS_JOIN, selected, scope=scope, status=True), params)


AREA_STATUS_COLUMNS = {
    "households": "sum(st.households)::int",
    "cases": "sum(st.cases)::int",
    "buildings_with_cases": "(count(*) FILTER (WHERE st.cases > 0))::int",
    "vulnerable_buildings": "(count(*) FILTER (WHERE st.vulnerable))::int",
    "status": "(CAST(:severity AS text[]))[min(st.rank)]",
}
"""The area figures of the house-status tiles, over buildings ``b`` with their status ``st``."""


def live_area_status_sql(addr: TileAddress, *, scope: Scope = UNRESTRICTED) -> str:
    """The low-zoom house-status tile's SQL over the buildings themselves (what the overview equals)."""
    return _areas_sql(
        addr, BUILDING_STATUS_JOIN, AREA_STATUS_COLUMNS, scope=scope, status=True, land_only=True
    )


def _area_labels_sql(addr: TileAddress, columns: dict[str, str], *, scope: Scope) -> str:
    """The areas of :func:`_areas_sql` as one label point each (``ST_PointOnSurface``), kept only in
    the tile that holds the point, so a name is drawn once however many tiles its area spans."""
    polygons = _areas_sql(addr, CHAIN_JOIN, columns, scope=scope)
    head = polygons.rpartition("SELECT ST_AsMVT(")[0]
    selected = "".join(f", agg.{name}" for name in columns)
    point = "ST_PointOnSurface(a.geom)"
    return f"""{head}SELECT ST_AsMVT(t, '{LABELS_LAYER}', :extent, 'geom', 'id') FROM (
        SELECT a.id, a.code, a.name, a.level, coalesce(agg.buildings, 0) AS buildings{selected},
               {_MVT_GEOM.format(g=point)} AS geom
        FROM a LEFT JOIN agg ON agg.area_id = a.id
        WHERE ST_Intersects(ST_Translate({point}, :dx, :dy),
                            ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 0), 4326))
    ) t WHERE geom IS NOT NULL"""


_GAP_AREA_COLUMNS = {
    "gap_buildings": "(count(*) FILTER (WHERE ch.gaps > 0))::int",
    "first_gap": "min(ch.first_gap)::int",
}


def responsibility_tile(conn: Connection, addr: TileAddress, *, scope: Scope = UNRESTRICTED) -> bytes:
    """The areas (grids from ``GRID_ZOOM``, else sub-districts) with their buildings, buildings with
    a gap (``gap_buildings``) and the most senior missing level of any of them (``first_gap``, an
    index into ``REQUIRED_CHAIN_LEVELS``), as polygons (``areas``) and label points (``labels``),
    at every zoom. From ``BUILDING_ZOOM`` each building's grid code, building leader (person code
    only, never a name), number of missing chain levels (``gaps``) and the most senior of them
    (``first_gap``), and each leader's code once more as a label point (``leaders``); below it
    only the buildings with a gap, as points (``gaps``)."""
    params = addr.params | chain_params() | scope.params
    areas = _areas_sql(addr, CHAIN_JOIN, _GAP_AREA_COLUMNS, scope=scope)
    labels = _area_labels_sql(addr, _GAP_AREA_COLUMNS, scope=scope)
    if addr.z < BUILDING_ZOOM:
        point = "ST_PointOnSurface(b.geom)"
        gaps = f"""
        SELECT ST_AsMVT(t, '{GAPS_LAYER}', :extent, 'geom', 'id') FROM (
            SELECT b.id, b.grid_id AS grid, ch.gaps::int AS gaps, ch.first_gap,
                   {_MVT_GEOM.format(g=point)} AS geom
            FROM buildings b {CHAIN_JOIN}
            WHERE {_IN_TILE.format(g="b.geom")} AND {scope.buildings("b")} AND ch.gaps > 0
            OFFSET 0
        ) t WHERE geom IS NOT NULL"""
        parts: tuple[str, ...] = (areas, labels, gaps)
    else:
        joins = CHAIN_JOIN + " LEFT JOIN grids g ON g.id = b.grid_id"
        buildings = _buildings_sql(
            joins,
            ", g.code AS grid_code, ch.leader, abs(hashtext(ch.leader)) % 64 AS leader_index, "
            "ch.gaps::int AS gaps, ch.first_gap",
            scope=scope,
        )
        point = "ST_PointOnSurface(b.geom)"
        leaders = f"""
        SELECT ST_AsMVT(t, '{LEADERS_LAYER}', :extent, 'geom', 'id') FROM (
            SELECT b.id, ch.leader, {_MVT_GEOM.format(g=point)} AS geom
            FROM buildings b {CHAIN_JOIN}
            WHERE {_IN_TILE.format(g="b.geom")} AND {scope.buildings("b")} AND ch.leader IS NOT NULL
              AND ST_Intersects(ST_Translate({point}, :dx, :dy),
                                ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 0), 4326))
            OFFSET 0
        ) t WHERE geom IS NOT NULL"""
        parts = (areas, labels, buildings, leaders)
    return b"".join(render_tile(conn, sql, params) for sql in parts)


def basemap_tile(conn: Connection, addr: TileAddress) -> bytes:
    """The offline basemap from ``basemap_features``: one tile layer per ``BASEMAP_LAYERS`` entry,
    each feature with its ``kind`` and ``name``."""
    parts = [
        f"""(SELECT ST_AsMVT(t, '{layer}', :extent, 'geom') FROM (
                SELECT f.kind, f.name, {_MVT_GEOM.format(g="f.geom")} AS geom FROM basemap_features f
                WHERE f.layer = '{layer}' AND {_IN_TILE.format(g="f.geom")}
            ) t WHERE geom IS NOT NULL)"""
        for layer in BASEMAP_LAYERS
    ]
    return render_tile(conn, f"SELECT {' || '.join(parts)}", addr.params)


LOOPS_LAYER = "loops"
"""The tile layer of closed-loop markers: one point per building with open items."""
LOOP_AREAS_LAYER = "loop_areas"
"""Below ``GRID_ZOOM``: one point per grid with open items (its buildings' counts summed)."""


def loops_tile(conn: Connection, addr: TileAddress, *, at: dt.datetime, scope: Scope = UNRESTRICTED) -> bytes:
    """Open closed-loop items (``geo.loops``) of ``scope`` at ``at``: per building (from ``GRID_ZOOM``;
    per grid below it) a point with ``open``, ``overdue`` (open items past a deadline) and ``kinds``
    (the kind codes present, comma-separated). Counts and codes only: no note, no assignee."""
    per_grid = addr.z < GRID_ZOOM
    key, layer = ("b.grid_id", LOOP_AREAS_LAYER) if per_grid else ("b.id", LOOPS_LAYER)
    point = "ST_PointOnSurface(g.geom)" if per_grid else "b.label_point"
    places = "JOIN grids g ON g.id = o.key" if per_grid else "JOIN buildings b ON b.id = o.key"
    # A grid's point is counted in the tile holding it, over all its items (neighbours agree).
    in_tile = (
        f"b.grid_id IN (SELECT g.id FROM grids g WHERE {_IN_TILE.format(g=point)})"
        if per_grid
        else _IN_TILE.format(g="b.geom")
    )
    sql = f"""
    WITH o AS MATERIALIZED (
        SELECT {key} AS key, count(*)::int AS open, (count(*) FILTER (WHERE {OVERDUE}))::int AS overdue,
               string_agg(DISTINCT i.kind, ',' ORDER BY i.kind) AS kinds
        FROM loop_items i JOIN buildings b ON b.id = i.building_id {STATE_JOIN}
        WHERE st.state = 'open' AND {in_tile} AND {scope.buildings("b")}
          AND {key} IS NOT NULL
        GROUP BY {key}
    )
    SELECT ST_AsMVT(t, '{layer}', :extent, 'geom', 'id') FROM (
        SELECT o.key AS id, o.open, o.overdue, o.kinds, {_MVT_GEOM.format(g=point)} AS geom
        FROM o {places}
    ) t WHERE geom IS NOT NULL"""
    return render_tile(conn, sql, addr.params | scope.params | {"at": at})


WARM_UP_TILES = (TileAddress(GRID_ZOOM, 0, 0), TileAddress(BUILDING_ZOOM, 0, 0))
"""Tiles far from any city (the north-west corner of the world), one aggregate and one footprint zoom."""


def warm_up(conn: Connection) -> None:
    """Render the building and house-status tiles of :data:`WARM_UP_TILES` (empty) on ``conn``.

    A new PostgreSQL backend plans its first query on ``buildings`` with cold catalog caches (the
    table, its ten indexes, their statistics, the status tables): some 25 ms more for the first tile
    it serves. ``battlemap serve`` calls this on every pooled connection before it listens
    (``geo.db.warm_pool``), as tipg inspects its tables on its pool at start-up."""
    for addr in WARM_UP_TILES:
        buildings_tile(conn, addr)
        house_status_tile(conn, addr, date=dt.date(2022, 4, 1))  # any day: no building is there
