"""THE rule for drawing a risk zone as one shape: the zone is its buildings' footprints, and its
boundary closes the gaps between neighbouring buildings (``CLOSE_GAPS_M`` out, ``SHRINK_M`` back,
in metres). The printed risk atlas (``layers.atlas.mapframe``) and the web map's zone overlay
(``layers.risk_overlay``) both draw this boundary, so a zone looks the same on paper and on screen.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import geometries_from_wgs84, geometries_to_wgs84, parse_crs, utm_crs_for

CLOSE_GAPS_M = 20.0
"""Buffer out by this much (metres): neighbouring zoned buildings merge into one area."""
SHRINK_M = 14.0
"""Then back in by this much: the boundary runs a few metres outside the outer buildings."""


def close_gaps(metric: np.ndarray | Sequence[BaseGeometry], *, quad_segs: int = 8) -> np.ndarray:
    """Zone footprints in a metric CRS (e.g. a local UTM zone) -> their boundaries' areas, same CRS
    (``quad_segs`` segments per quarter circle of the rounded corners)."""
    geoms = np.asarray(metric, dtype=object)
    grown = shapely.buffer(geoms, CLOSE_GAPS_M, quad_segs=quad_segs)
    return np.asarray(shapely.buffer(grown, -SHRINK_M, quad_segs=quad_segs))


def zone_hulls(
    zones: Sequence[BaseGeometry | None], *, tolerance_m: float = 0.0
) -> list[BaseGeometry | None]:
    """WGS84 zone footprints -> the WGS84 areas their boundaries enclose (:func:`close_gaps` in the
    local UTM zone); None or empty in, None out. ``tolerance_m`` > 0 draws them for a screen:
    coarser corners, simplified by that many metres (a lighter GeoJSON, the same shape at a glance)."""
    present = [i for i, g in enumerate(zones) if g is not None and not g.is_empty]
    out: list[BaseGeometry | None] = [None] * len(zones)
    if not present:
        return out
    geoms = np.asarray([zones[i] for i in present], dtype=object)
    centre = shapely.union_all(shapely.envelope(geoms)).centroid
    utm = parse_crs(utm_crs_for(centre.x, centre.y))
    metric = geometries_from_wgs84(geoms, utm)
    if tolerance_m > 0:
        metric = shapely.simplify(metric, tolerance_m)
    hulls = close_gaps(metric, quad_segs=3 if tolerance_m > 0 else 8)
    if tolerance_m > 0:
        hulls = shapely.simplify(hulls, tolerance_m)
    hulls = geometries_to_wgs84(hulls, utm)
    for i, hull in zip(present, hulls, strict=True):
        out[i] = None if hull is None or hull.is_empty else hull
    return out
