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


def close_gaps(metric: np.ndarray | Sequence[BaseGeometry]) -> np.ndarray:
    """Zone footprints in a metric CRS (e.g. a local UTM zone) -> their boundaries' areas, same CRS."""
    return np.asarray(
        shapely.buffer(shapely.buffer(np.asarray(metric, dtype=object), CLOSE_GAPS_M), -SHRINK_M)
    )


def zone_hulls(zones: Sequence[BaseGeometry | None]) -> list[BaseGeometry | None]:
    """WGS84 zone footprints -> the WGS84 areas their boundaries enclose (:func:`close_gaps` in the
    local UTM zone); None or empty in, None out."""
    present = [i for i, g in enumerate(zones) if g is not None and not g.is_empty]
    out: list[BaseGeometry | None] = [None] * len(zones)
    if not present:
        return out
    geoms = np.asarray([zones[i] for i in present], dtype=object)
    centre = shapely.union_all(shapely.envelope(geoms)).centroid
    utm = parse_crs(utm_crs_for(centre.x, centre.y))
    hulls = geometries_to_wgs84(close_gaps(geometries_from_wgs84(geoms, utm)), utm)
    for i, hull in zip(present, hulls, strict=True):
        out[i] = None if hull is None or hull.is_empty else hull
    return out
