"""Validate: geometries are checked, converted to WGS84 and mended, or rejected with a reason.

Vectorised with shapely 2 over a chunk at a time. Every problem is recorded against its
row; nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from etl.report import Reject
from geo.crs import CHINA_BOUNDS, CoordSystem, geometries_to_wgs84

POLYGONAL = ("Polygon", "MultiPolygon")
PUNCTUAL = ("Point",)

Bounds = tuple[float, float, float, float]


@dataclass
class GeometryCheck:
    """The outcome for one chunk: the geometries to load (None where rejected) and what happened."""

    geometry: np.ndarray
    rejects: list[Reject] = field(default_factory=list)
    repaired: set[int] = field(default_factory=set)
    swapped: int = 0
    wrong_type: int = 0
    # Rows whose Z (height) coordinates were dropped: the columns are 2-D, a Z is not an error.
    flattened: int = 0
    found_types: set[str] = field(default_factory=set)


def points_from_columns(lon: pd.Series, lat: pd.Series, rows: pd.Index) -> tuple[np.ndarray, list[Reject]]:
    """Points from two text columns; empty or non-numeric cells are rejected naming the column."""
    rejects: list[Reject] = []
    x = pd.to_numeric(lon, errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(lat, errors="coerce").to_numpy(dtype=float)
    for values, series in ((x, lon), (y, lat)):
        bad = np.flatnonzero(~np.isfinite(values))
        for i in bad:
            raw = series.iloc[i]
            reason = "empty coordinate" if raw is None or str(raw).strip() == "" else "not a finite number"
            rejects.append(
                Reject(int(rows[int(i)]), str(series.name), "" if raw is None else str(raw), reason)
            )
    ok = np.isfinite(x) & np.isfinite(y)
    points = np.full(len(x), None, dtype=object)
    points[ok] = shapely.points(x[ok], y[ok])
    return points, rejects


def geometries_from_wkt(column: pd.Series, rows: pd.Index) -> tuple[np.ndarray, list[Reject]]:
    values = column.to_numpy(dtype=object)
    geometry = shapely.from_wkt(values, on_invalid="ignore")
    rejects = [
        Reject(int(rows[int(i)]), str(column.name), str(values[i])[:80], "not valid WKT")
        for i in np.flatnonzero(pd.isna(geometry) & pd.notna(values))
    ]
    rejects += [
        Reject(int(rows[int(i)]), str(column.name), "", "empty geometry")
        for i in np.flatnonzero(pd.isna(values))
    ]
    return geometry, rejects


def check_geometries(
    geometry: np.ndarray,
    rows: pd.Index,
    *,
    expected: tuple[str, ...],
    crs: CoordSystem,
    area: Bounds | None = None,
    field_name: str = "geometry",
) -> GeometryCheck:
    """Check one chunk of geometries and return them in WGS84, mended, with the rejects.

    Order matters: empty and non-finite first (nothing else can be said of them), Z dropped
    (counted in ``flattened``), then the type, then the position (outside China, swapped
    axes, outside the declared area) in the source system, then conversion and validity
    (make_valid; the row counts as repaired), and exterior rings counter-clockwise.
    Rejects name ``field_name``: the geometry, or the columns the geometry was read from.
    """
    geometry = np.asarray(geometry, dtype=object).copy()
    result = GeometryCheck(geometry)

    def drop(mask: np.ndarray, reason: str, values: np.ndarray | None = None) -> None:
        for i in np.flatnonzero(mask):
            value = "" if values is None else str(values[i])
            result.rejects.append(Reject(int(rows[int(i)]), field_name, value, reason))
        geometry[mask] = None

    present = pd.notna(geometry)
    empty = present.copy()
    empty[present] = shapely.is_empty(geometry[present].astype(object))
    drop(empty, "empty geometry")

    present = pd.notna(geometry)
    coords, index = shapely.get_coordinates(geometry[present].astype(object), return_index=True)
    if len(coords):
        bad_index = np.unique(index[~np.isfinite(coords).all(axis=1)])
        nonfinite = np.zeros(len(geometry), dtype=bool)
        nonfinite[np.flatnonzero(present)[bad_index]] = True
        drop(nonfinite, "NaN or infinite coordinate")

    present = pd.notna(geometry)
    three_d = present.copy()
    three_d[present] = shapely.has_z(geometry[present].astype(object))
    if three_d.any():
        geometry[three_d] = shapely.force_2d(geometry[three_d].astype(object))
        result.flattened = int(three_d.sum())

    present = pd.notna(geometry)
    ids = np.full(len(geometry), -1, dtype=np.int64)
    ids[present] = shapely.get_type_id(geometry[present].astype(object))
    # Compared as type codes (index into _TYPE_NAME_ARRAY, 0 for none): np.isin over the names
    # as Python strings was a tenth of a million-row load's client time.
    codes = np.where((ids >= 0) & (ids < 8), ids + 1, 0)
    names = _TYPE_NAME_ARRAY[codes]
    result.found_types = {str(_TYPE_NAME_ARRAY[c]) for c in np.unique(codes[present])}
    allowed = [code for code, name in enumerate(_TYPE_NAME_ARRAY) if name and name in expected]
    wrong = present & ~np.isin(codes, allowed)
    result.wrong_type = int(wrong.sum())
    drop(wrong, f"expected {' or '.join(expected)}", names)

    present = pd.notna(geometry)
    if present.any() and not crs.is_offset and crs.epsg not in (4326, None):
        geometry[present] = geometries_to_wgs84(geometry[present].astype(object), crs)
    elif present.any() and crs.is_offset:
        pass  # offsets are only defined inside China: check the position first, convert after
    bounds = np.full((len(geometry), 4), np.nan)
    if present.any():
        bounds[present] = shapely.bounds(geometry[present].astype(object))
    in_china = _within(bounds, CHINA_BOUNDS)
    swapped = present & ~in_china & _within(bounds[:, [1, 0, 3, 2]], CHINA_BOUNDS)
    result.swapped = int(swapped.sum())
    drop(
        swapped,
        "longitude and latitude look swapped (the point lies in China once they are "
        "exchanged); swap the two columns or pass --lon-col/--lat-col",
        _describe(bounds, swapped),
    )
    outside = present & ~swapped & ~in_china
    drop(
        outside,
        "outside China (longitude 73.66..135.05, latitude 3.86..53.55)",
        _describe(bounds, outside),
    )

    present = pd.notna(geometry)
    if present.any() and crs.is_offset:
        geometry[present] = geometries_to_wgs84(geometry[present].astype(object), crs)
    if area is not None and present.any():
        bounds[present] = shapely.bounds(geometry[present].astype(object))
        outside_area = present & ~_within(bounds, area)
        drop(
            outside_area,
            f"outside the declared area {','.join(f'{v:g}' for v in area)}",
            _describe(bounds, outside_area),
        )

    present = pd.notna(geometry)
    if present.any():
        subset = geometry[present].astype(object)
        invalid = ~shapely.is_valid(subset)
        if invalid.any():
            fixed = _make_valid(subset[invalid], expected)
            reasons = shapely.is_valid_reason(subset[invalid])
            positions = np.flatnonzero(present)[invalid]
            for position, geom, why in zip(positions, fixed, reasons, strict=True):
                if geom is None or geom.is_empty:
                    result.rejects.append(
                        Reject(
                            int(rows[int(position)]),
                            field_name,
                            str(why),
                            f"invalid geometry that cannot be repaired as {' or '.join(expected)}",
                        )
                    )
                    geometry[position] = None
                else:
                    geometry[position] = geom
                    result.repaired.add(int(rows[int(position)]))
    present = pd.notna(geometry)
    if present.any():
        # Exterior rings counter-clockwise, as RFC 7946 writes them: a round trip through GeoJSON
        # then gives back the very same coordinates.
        geometry[present] = shapely.orient_polygons(geometry[present].astype(object))
    # Polygons stay Polygons where MultiPolygons are stored: the write makes them MultiPolygons in
    # PostGIS (``ST_Multi``), and ``stored_wkb`` gives their bytes as such. Building a one-part
    # MultiPolygon of each with shapely was the costliest step of a load (10 µs a footprint).
    result.geometry = geometry
    return result


# WKB header of a little-endian MultiPolygon of one part: byte order 1, type 6, one part.
_ONE_PART_MULTIPOLYGON = b"\x01\x06\x00\x00\x00\x01\x00\x00\x00"


def stored_wkb(geometry: np.ndarray, expected: tuple[str, ...]) -> np.ndarray:
    """The WKB of each geometry as it is stored (None stays None): where MultiPolygons are
    stored, a Polygon's bytes are those of the one-part MultiPolygon it becomes (the same bytes
    shapely writes for that MultiPolygon, which is its Polygon's WKB after a 9-byte header)."""
    wkb = shapely.to_wkb(np.asarray(geometry, dtype=object))
    if "MultiPolygon" not in expected:
        return wkb
    present = pd.notna(geometry)
    polygons = np.flatnonzero(present)[shapely.get_type_id(geometry[present].astype(object)) == 3]
    for i in polygons:
        wkb[i] = _ONE_PART_MULTIPOLYGON + wkb[i]
    return wkb


_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}
# The names by type id + 1 (shapely's -1 for a missing geometry is "").
_TYPE_NAME_ARRAY = np.array(["", *(_TYPE_NAMES[i] for i in range(8))], dtype=object)


def _within(bounds: np.ndarray, box: Bounds) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (
            (bounds[:, 0] >= box[0])
            & (bounds[:, 1] >= box[1])
            & (bounds[:, 2] <= box[2])
            & (bounds[:, 3] <= box[3])
        )


def _describe(bounds: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The bounds of the rows in ``mask`` as text for the rejects report (only those: it is slow)."""
    out = np.empty(len(bounds), dtype=object)
    for i in np.flatnonzero(mask):
        x0, y0, x1, y1 = bounds[i]
        out[i] = f"{x0:.6f} {y0:.6f}" if (x0 == x1 and y0 == y1) else f"{x0:.5f},{y0:.5f},{x1:.5f},{y1:.5f}"
    return out


def _make_valid(geometries: np.ndarray, expected: tuple[str, ...]) -> list[BaseGeometry | None]:
    """make_valid, keeping only the parts of the expected dimension (a bow-tie stays polygons)."""
    fixed = shapely.make_valid(geometries)
    keep_dimension = 2 if set(expected) & set(POLYGONAL) else 0 if set(expected) == set(PUNCTUAL) else None
    out: list[BaseGeometry | None] = []
    for geom in fixed:
        # A collection, or fewer dimensions than expected (a flat polygon comes back as lines).
        if (
            keep_dimension is not None
            and geom is not None
            and (shapely.get_type_id(geom) == 7 or shapely.get_dimensions(geom) != keep_dimension)
        ):
            parts = [p for p in shapely.get_parts(geom) if shapely.get_dimensions(p) == keep_dimension]
            geom = shapely.union_all(parts) if parts else None
        out.append(geom)
    return out
