"""Mapbox vector tiles made in PostGIS (ST_AsMVT / ST_AsMVTGeom), one function per tiled source.

Every tile is in Web Mercator (``ST_TileEnvelope``) and carries only what styling and the
building card need: internal ids, codes, counts and statuses, never personal data. Below
``BUILDING_ZOOM`` a tile holds no footprints but one aggregate polygon per grid (from
``GRID_ZOOM``) or per sub-district, in the tile layer ``areas``; footprints are in ``buildings``.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo.errors import InvalidParameter
from geo.vocab import CASE_STATUSES, REQUIRED_CHAIN_LEVELS, STATUS_CODES

MAX_ZOOM = 22
BUILDING_ZOOM = 15
"""From this zoom on, tiles hold building footprints; below it, aggregates."""
GRID_ZOOM = 13
"""Aggregates per grid from this zoom to ``BUILDING_ZOOM``; per sub-district below it."""
EXTENT = 4096
BUFFER = 64
BUILDINGS_LAYER = "buildings"
AREAS_LAYER = "areas"
BASEMAP_LAYERS: tuple[str, ...] = ("landuse", "water", "roads")


@dataclass(frozen=True)
class TileAddress:
    """A tile ``z/x/y`` (XYZ scheme, as MapLibre asks for it)."""

    z: int
    x: int
    y: int

    def __post_init__(self) -> None:
        if not 0 <= self.z <= MAX_ZOOM:
            raise InvalidParameter(f"tile zoom {self.z} is out of range: expected 0..{MAX_ZOOM}")
        size = 2**self.z
        if not (0 <= self.x < size and 0 <= self.y < size):
            raise InvalidParameter(
                f"tile {self.z}/{self.x}/{self.y} does not exist: x and y must be in 0..{size - 1} at zoom {self.z}"
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
    def params(self) -> dict[str, int]:
        return {"z": self.z, "x": self.x, "y": self.y, "extent": EXTENT, "buffer": BUFFER}


# --- SQL fragments ----------------------------------------------------------------------------------

_ENV = "ST_TileEnvelope(:z, :x, :y)"
# Tile geometry of a WGS84 column, clipped to the tile with a buffer.
_MVT_GEOM = "ST_AsMVTGeom(ST_Transform({g}, 3857), " + _ENV + ", :extent, :buffer, true)"
# Rows whose geometry meets the tile (the envelope in 4326, so the GiST index is used).
_IN_TILE = "{g} && ST_Transform(" + _ENV + ", 4326)"
_VALID_ON = "{s}.valid_from <= :date AND ({s}.valid_to IS NULL OR {s}.valid_to > :date)"
_RANK = "array_position(CAST(:severity AS text[]), {s}.status::text)"


def _building_status_sql(buildings: str) -> str:
    """CTEs ``hs`` (each household of ``buildings`` with its status on :date) and ``bs`` (per building:
    households, worst status rank, households with cases, any vulnerable household).

    A household's status is its own stretch valid on :date, else its building's, else ``normal``;
    several valid at once: the most severe wins.
    """
    own = _VALID_ON.format(s="s")
    return f"""
    hs AS (
        SELECT h.building_id, h.elderly_alone OR h.disabled AS vulnerable,
               COALESCE((SELECT s.status FROM house_status s WHERE s.household_id = h.id AND {own}
                         ORDER BY {_RANK.format(s="s")}, s.valid_from DESC LIMIT 1),
                        bw.status, 'normal') AS status
        FROM households h JOIN {buildings} tb ON tb.id = h.building_id
        LEFT JOIN LATERAL (SELECT s.status FROM house_status s WHERE s.building_id = h.building_id AND {own}
                           ORDER BY {_RANK.format(s="s")}, s.valid_from DESC LIMIT 1) bw ON true
    ),
    bs AS (
        SELECT tb.id AS building_id,
               count(hs.building_id) AS households,
               coalesce(min({_RANK.format(s="hs")}),
                        (SELECT min({_RANK.format(s="s")}) FROM house_status s
                         WHERE s.building_id = tb.id AND {own})) AS rank,
               count(*) FILTER (WHERE hs.status = ANY(CAST(:cases AS text[]))) AS cases,
               coalesce(bool_or(hs.vulnerable), false) AS vulnerable
        FROM {buildings} tb LEFT JOIN hs ON hs.building_id = tb.id
        GROUP BY tb.id
    )"""


def _status_params(date: dt.date) -> dict[str, object]:
    return {"date": date, "severity": list(STATUS_CODES), "cases": list(CASE_STATUSES)}


def _areas_sql(addr: TileAddress, building_ctes: str | None, columns: dict[str, str]) -> str:
    """One aggregate polygon per grid (or sub-district) meeting the tile, over all its buildings.

    ``building_ctes`` are CTEs over ``tb`` (the area's buildings) producing ``bs``; ``columns``
    name the aggregate expressions over ``tb`` joined with ``bs``.
    """
    if addr.z >= GRID_ZOOM:
        areas = "SELECT g.id, g.code, g.name, 'grid' AS level, g.geom FROM grids g"
        key = "grid_id"
    else:
        areas = (
            "SELECT u.id, u.code, u.name, 'subdistrict' AS level, u.geom FROM admin_units u "
            "WHERE u.level = 'subdistrict'"
        )
        key = "subdistrict_id"
    extra = f", {building_ctes}" if building_ctes else ""
    joined = "tb LEFT JOIN bs ON bs.building_id = tb.id" if building_ctes else "tb"
    aggregates = "".join(f", {sql} AS {name}" for name, sql in columns.items())
    selected = "".join(f", agg.{name}" for name in columns)
    return f"""
    WITH a AS (SELECT * FROM ({areas}) a WHERE {_IN_TILE.format(g="a.geom")}),
    tb AS (SELECT b.*, b.{key} AS area_id FROM buildings b JOIN a ON a.id = b.{key}){extra},
    agg AS (SELECT tb.area_id, count(*) AS buildings{aggregates} FROM {joined} GROUP BY tb.area_id)
    SELECT ST_AsMVT(t, '{AREAS_LAYER}', :extent, 'geom', 'id') FROM (
        SELECT a.id, a.code, a.name, a.level, coalesce(agg.buildings, 0)::int AS buildings{selected},
               {_MVT_GEOM.format(g="a.geom")} AS geom
        FROM a LEFT JOIN agg ON agg.area_id = a.id
    ) t WHERE geom IS NOT NULL"""


def _tile(conn: Connection, sql: str, params: dict[str, object]) -> bytes:
    value = conn.execute(text(sql), params).scalar()
    return bytes(value) if value is not None else b""


# --- the tiled sources --------------------------------------------------------------------------------

_BUILDING_COLUMNS = (
    "b.grid_id AS grid, b.compound_id AS compound, b.subdistrict_id AS subdistrict, b.district_id AS district"
)


def buildings_tile(conn: Connection, addr: TileAddress) -> bytes:
    """Footprints with their grid, compound and admin units (``buildings``), or counts per area."""
    if addr.z < BUILDING_ZOOM:
        return _tile(conn, _areas_sql(addr, None, {}), addr.params)
    sql = f"""
    SELECT ST_AsMVT(t, '{BUILDINGS_LAYER}', :extent, 'geom', 'id') FROM (
        SELECT b.id, {_BUILDING_COLUMNS}, b.floors, {_MVT_GEOM.format(g="b.geom")} AS geom
        FROM buildings b WHERE {_IN_TILE.format(g="b.geom")}
    ) t WHERE geom IS NOT NULL"""
    return _tile(conn, sql, addr.params)


def house_status_tile(conn: Connection, addr: TileAddress, *, date: dt.date) -> bytes:
    """Each building's most severe household status on ``date`` (``status``; missing when it has
    no households and no building status), its households, households with cases and whether any
    household is vulnerable; below ``BUILDING_ZOOM`` the same summed per area (worst status,
    ``buildings_with_cases``)."""
    params = addr.params | _status_params(date)
    if addr.z < BUILDING_ZOOM:
        columns = {
            "households": "sum(bs.households)::int",
            "cases": "sum(bs.cases)::int",
            "buildings_with_cases": "(count(*) FILTER (WHERE bs.cases > 0))::int",
            "vulnerable_buildings": "(count(*) FILTER (WHERE bs.vulnerable))::int",
            "status": "(CAST(:severity AS text[]))[min(bs.rank)]",
        }
        return _tile(conn, _areas_sql(addr, _building_status_sql("tb"), columns), params)
    sql = f"""
    WITH tb AS (SELECT b.* FROM buildings b WHERE {_IN_TILE.format(g="b.geom")}),
    {_building_status_sql("tb")}
    SELECT ST_AsMVT(t, '{BUILDINGS_LAYER}', :extent, 'geom', 'id') FROM (
        SELECT b.id, {_BUILDING_COLUMNS},
               (CAST(:severity AS text[]))[bs.rank] AS status, bs.households::int AS households,
               bs.cases::int AS cases, bs.vulnerable, {_MVT_GEOM.format(g="b.geom")} AS geom
        FROM tb b JOIN bs ON bs.building_id = b.id
    ) t WHERE geom IS NOT NULL"""
    return _tile(conn, sql, params)


def _chain_sql(buildings: str) -> str:
    """CTE ``chain``: per building of ``buildings``, the required chain levels it has nobody for
    (``gaps``) and its building leader's person code (``leader``; the lowest code when several).

    A level is covered by an assignment on the building itself, its compound, its grid or any
    of its admin units (district, sub-district, committee).
    """
    return f"""
    cover AS (
        SELECT tb.id AS building_id, r.level, p.code
        FROM {buildings} tb
        JOIN responsibilities r ON
             (r.scope_type = 'building' AND r.scope_id = tb.id)
          OR (r.scope_type = 'compound' AND r.scope_id = tb.compound_id)
          OR (r.scope_type = 'grid' AND r.scope_id = tb.grid_id)
          OR (r.scope_type = 'unit' AND r.scope_id IN (tb.district_id, tb.subdistrict_id, tb.committee_id))
        JOIN people p ON p.id = r.person_id
    ),
    chain AS (
        SELECT tb.id AS building_id,
               cardinality(CAST(:required AS text[])) - count(DISTINCT c.level)
                   FILTER (WHERE c.level = ANY(CAST(:required AS text[]))) AS gaps,
               min(c.code) FILTER (WHERE c.level = 'building_leader') AS leader
        FROM {buildings} tb LEFT JOIN cover c ON c.building_id = tb.id
        GROUP BY tb.id
    )"""


def responsibility_tile(conn: Connection, addr: TileAddress) -> bytes:
    """Each building's grid, building leader (person code only) and number of missing chain levels
    (``gaps``); below ``BUILDING_ZOOM`` per area the buildings with a gap (``gap_buildings``)."""
    params = addr.params | {"required": list(REQUIRED_CHAIN_LEVELS)}
    if addr.z < BUILDING_ZOOM:
        ctes = _chain_sql("tb") + ", bs AS (SELECT building_id, gaps FROM chain)"
        columns = {"gap_buildings": "(count(*) FILTER (WHERE bs.gaps > 0))::int"}
        return _tile(conn, _areas_sql(addr, ctes, columns), params)
    sql = f"""
    WITH tb AS (SELECT b.* FROM buildings b WHERE {_IN_TILE.format(g="b.geom")}),
    {_chain_sql("tb")}
    SELECT ST_AsMVT(t, '{BUILDINGS_LAYER}', :extent, 'geom', 'id') FROM (
        SELECT b.id, {_BUILDING_COLUMNS}, g.code AS grid_code, c.leader, c.gaps::int AS gaps,
               {_MVT_GEOM.format(g="b.geom")} AS geom
        FROM tb b JOIN chain c ON c.building_id = b.id LEFT JOIN grids g ON g.id = b.grid_id
    ) t WHERE geom IS NOT NULL"""
    return _tile(conn, sql, params)


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
    return _tile(conn, f"SELECT {' || '.join(parts)}", addr.params)


def data_bounds(conn: Connection) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the loaded buildings, or None when there are none."""
    row = conn.execute(
        text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM buildings) x")
    ).one()
    return None if row[0] is None else tuple(float(v) for v in row)  # type: ignore[return-value]


# --- an in-process cache ------------------------------------------------------------------------------


class TileCache:
    """The last ``max_entries`` tiles, keyed on anything hashable that includes the data version:
    a load bumps ``data_versions``, so stale tiles are never hit again and age out."""

    def __init__(self, max_entries: int = 2048) -> None:
        self.max_entries = max_entries
        self._tiles: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            tile = self._tiles.get(key)
            if tile is not None:
                self._tiles.move_to_end(key)
            return tile

    def put(self, key: Hashable, tile: bytes) -> None:
        with self._lock:
            self._tiles[key] = tile
            self._tiles.move_to_end(key)
            while len(self._tiles) > self.max_entries:
                self._tiles.popitem(last=False)

    def __len__(self) -> int:
        return len(self._tiles)
