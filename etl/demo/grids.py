"""Demo grids (网格): every gridded sub-district's land tessellated into squares of ``CELL_M``, slivers
merged. Land is the sub-district less the basemap's water (``WATER_KINDS``), except where a building
stands: no grid is drawn, counted or printed over the Huangpu.

Part of the seeded demo generator (``etl.demo.generator``).
"""

from __future__ import annotations

import math
from typing import cast

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from geo.crs import WGS84, CoordSystem, geometries_from_wgs84, parse_crs, to_wgs84_xy, utm_crs_for

CELL_M = 400.0
SLIVER_SHARE = 0.3
WATER_KINDS: tuple[str, ...] = ("river", "riverbank", "water", "canal")
"""Basemap water kinds taken out of the land (not fountains or swimming pools)."""


def subdistrict_land(conn: Connection) -> gpd.GeoDataFrame:
    """Per gridded sub-district (code, name), its land: the sub-district less the basemap's water of
    ``WATER_KINDS``, except where a building stands (so every building stays on land)."""
    sql = """
        WITH u AS (
            SELECT u.id, u.code, u.name, u.geom FROM admin_units u
            WHERE u.level = 'subdistrict'
              AND EXISTS (SELECT 1 FROM buildings b WHERE b.subdistrict_id = u.id)
        ), wet AS (
            SELECT u.id, ST_Union(f.geom) AS geom FROM u
            JOIN basemap_features f ON f.layer = 'water' AND f.kind = ANY(:kinds) AND f.geom && u.geom
             AND ST_Intersects(f.geom, u.geom)
            GROUP BY u.id
        ), built AS (
            SELECT b.subdistrict_id AS id, ST_Union(b.geom) AS geom FROM buildings b GROUP BY b.subdistrict_id
        )
        SELECT u.code, u.name,
               CASE WHEN wet.geom IS NULL THEN u.geom
                    ELSE ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Difference(
                        u.geom,
                        ST_Difference(wet.geom, coalesce(built.geom, 'SRID=4326;POLYGON EMPTY'::geometry))
                    )), 3)) END AS geom
        FROM u LEFT JOIN wet ON wet.id = u.id LEFT JOIN built ON built.id = u.id
        ORDER BY u.code
    """
    return gpd.read_postgis(  # type: ignore[call-overload]
        text(sql).bindparams(kinds=list(WATER_KINDS)), conn, geom_col="geom"
    )


def grids_frame(
    conn: Connection, *, cell_m: float = CELL_M, sliver_share: float = SLIVER_SHARE
) -> gpd.GeoDataFrame:
    """Simulated grids over the land of every sub-district with buildings (columns code, name,
    unit, geometry): no grid over the river (``subdistrict_land``), and none without a building (a
    grid is a team's round of buildings; land with none gets no sheet of its own).

    Parameters
    ----------
    cell_m
        Side of the squares in metres.
    sliver_share
        Clipped cells smaller than this share of a square are merged into a neighbour.
    """
    rows: list[dict[str, object]] = []
    footprints = shapely.from_wkb(
        [bytes(r[0]) for r in conn.execute(text("SELECT ST_AsBinary(geom) FROM buildings")).all()]
    )
    for unit in subdistrict_land(conn).itertuples(index=False):
        # itertuples types its fields as pandas scalars; this column holds the sub-district's polygon
        cells = tessellate(cast(Polygon | MultiPolygon, unit.geom), cell_m=cell_m, sliver_share=sliver_share)
        cells = [cell for cell, used in zip(cells, _holds_buildings(cells, footprints), strict=True) if used]
        for n, cell in enumerate(cells, start=1):
            rows.append(
                {
                    "code": f"{unit.code}-G{n:03d}",
                    "name": f"{unit.name}第{n}网格",
                    "unit": unit.code,
                    "geom": cell,
                }
            )
    return gpd.GeoDataFrame(rows, columns=["code", "name", "unit", "geom"], geometry="geom", crs=WGS84)


def _holds_buildings(cells: list[MultiPolygon], footprints: np.ndarray) -> list[bool]:
    """Per cell, whether any building footprint meets it."""
    if not len(cells) or not len(footprints):
        return [False] * len(cells)
    tree = shapely.STRtree(footprints)
    hits = tree.query(np.asarray(cells, dtype=object), predicate="intersects")
    found = set(int(i) for i in hits[0])
    return [i in found for i in range(len(cells))]


def tessellate(area: Polygon | MultiPolygon, *, cell_m: float, sliver_share: float) -> list[MultiPolygon]:
    """Cut a WGS84 polygon into lattice squares of ``cell_m`` metres, slivers merged; north to south."""
    centre = area.representative_point()
    utm = parse_crs(utm_crs_for(centre.x, centre.y))
    minx, miny, maxx, maxy = geometries_from_wgs84([area], utm)[0].bounds
    xs = np.arange(math.floor(minx / cell_m), math.ceil(maxx / cell_m) + 1) * cell_m
    ys = np.arange(math.floor(miny / cell_m), math.ceil(maxy / cell_m) + 1) * cell_m
    gx, gy = np.meshgrid(xs, ys)
    lon, lat = to_wgs84_xy(gx.ravel(), gy.ravel(), utm)
    corners = np.stack([lon, lat], axis=-1).reshape(len(ys), len(xs), 2)
    squares, keys = [], []
    for i in range(len(ys) - 1):
        for j in range(len(xs) - 1):
            ring = [corners[i, j], corners[i, j + 1], corners[i + 1, j + 1], corners[i + 1, j], corners[i, j]]
            squares.append(Polygon(ring))
            keys.append((-i, j))  # north first, then west to east
    shapely.prepare(area)
    cells: dict[tuple[int, int], MultiPolygon] = {}
    for key, clipped in zip(keys, shapely.intersection(squares, area), strict=True):
        polygonal = _polygonal(clipped)
        if polygonal is not None:
            cells[key] = polygonal
    _merge_slivers(cells, utm, full_area=cell_m * cell_m, sliver_share=sliver_share)
    return [cells[key] for key in sorted(cells)]


def _polygonal(geom: BaseGeometry | None) -> MultiPolygon | None:
    """The polygons of an overlay result (which may carry stray lines or points), as one MultiPolygon."""
    if geom is None or geom.is_empty:
        return None
    parts: list[Polygon] = []
    for part in shapely.get_parts(geom):
        if isinstance(part, Polygon) and part.area > 0:
            parts.append(part)
        elif isinstance(part, (MultiPolygon, shapely.GeometryCollection)):
            inner = _polygonal(part)
            parts.extend(inner.geoms if inner is not None else ())
    return MultiPolygon(parts) if parts else None


def _merge_slivers(
    cells: dict[tuple[int, int], MultiPolygon], utm: CoordSystem, *, full_area: float, sliver_share: float
) -> None:
    """Merge, smallest first, each cell under ``sliver_share`` of a square into its best neighbour."""
    metric = {key: geometries_from_wgs84([geom], utm)[0] for key, geom in cells.items()}
    while len(cells) > 1:
        small = [k for k in cells if metric[k].area < sliver_share * full_area]
        if not small:
            return
        sliver = min(small, key=lambda k: (metric[k].area, k))
        others = [k for k in sorted(cells) if k != sliver]
        shared = {k: metric[sliver].boundary.intersection(metric[k].boundary).length for k in others}
        best = max(others, key=lambda k: (shared[k], -metric[sliver].distance(metric[k])))
        if shared[best] <= 1e-6:
            best = min(others, key=lambda k: metric[sliver].distance(metric[k]))
        merged = _polygonal(shapely.union(cells[best], cells.pop(sliver)))
        assert merged is not None
        cells[best] = merged
        metric[best] = shapely.union(metric[best], metric.pop(sliver))


# --- households
