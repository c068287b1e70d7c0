"""Every CRS constant and coordinate transform in battlemap, including GCJ-02 / BD-09 <-> WGS84.

Battlemap stores everything in WGS84 (EPSG:4326), but Chinese sources and basemaps do not use it:
Amap/Gaode, Tencent and Google China geocode and draw in GCJ-02 (the state "offset" datum), Baidu in
BD-09 (a further offset of GCJ-02). In Shanghai GCJ-02 is 460-500 m and BD-09 1.1-1.2 km off WGS84,
enough to put a case in the wrong compound, so every conversion goes through this module. EPSG systems are
handled by pyproj; GCJ-02 and BD-09 have no EPSG code and are implemented here from the published
formulas (``geo/crs/offsets.py``, re-exported here). The inverses have no closed form and are solved
iteratively to well under 0.1 m.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from geo.crs.offsets import (
    XY,
    as_arrays,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geo.errors import UnknownCRSError

# An array, GeoSeries or list of shapely geometries (None allowed).
Geometries = npt.ArrayLike | Sequence[BaseGeometry | None]

__all__ = [
    "BD09_SYSTEM",
    "CHINA_BOUNDS",
    "GCJ02_SYSTEM",
    "SHANGHAI_UTM",
    "WEB_MERCATOR",
    "WGS84",
    "WGS84_SYSTEM",
    "CoordSystem",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "from_wgs84_xy",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "geometries_from_wgs84",
    "geometries_to_wgs84",
    "out_of_china",
    "parse_crs",
    "to_wgs84_xy",
    "utm_crs_for",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

WGS84: Final = "EPSG:4326"
"""Storage CRS: every geometry in PostGIS is in this system (SRID 4326)."""
WEB_MERCATOR: Final = "EPSG:3857"
"""Tile and web-map CRS (ST_AsMVT, folium, Dash maps)."""
SHANGHAI_UTM: Final = "EPSG:32651"
"""WGS 84 / UTM zone 51N: the metric CRS for distances and areas in Shanghai."""
CHINA_BOUNDS: Final = (73.66, 3.86, 135.05, 53.55)
"""(min_lon, min_lat, max_lon, max_lat) of China: loaders reject points outside it.

Tighter than the box of :func:`out_of_china`, which is the standard's own test and must stay
as published so that our GCJ-02 matches everyone else's at the edges.
"""

# --- coordinate systems


@dataclass(frozen=True)
class CoordSystem:
    """A coordinate system battlemap can read: WGS84, GCJ-02, BD-09 or any pyproj CRS.

    Attributes
    ----------
    name
        ``"wgs84"``, ``"gcj02"``, ``"bd09"``, ``"EPSG:<code>"``, or a pyproj CRS name.
    epsg
        The EPSG code, or None for GCJ-02/BD-09 (which have none) and for CRSs known only by WKT.
    definition
        WKT for a CRS without an EPSG code, so pyproj can still build it; None otherwise.
    """

    name: str
    epsg: int | None
    definition: str | None = None

    @property
    def is_offset(self) -> bool:
        """True for the Chinese offset systems (GCJ-02, BD-09) that pyproj cannot transform."""
        return self.name in _OFFSET_TRANSFORMS


WGS84_SYSTEM: Final = CoordSystem("wgs84", 4326)
GCJ02_SYSTEM: Final = CoordSystem("gcj02", None)
BD09_SYSTEM: Final = CoordSystem("bd09", None)

_ALIASES: Final[dict[str, CoordSystem]] = {
    "wgs84": WGS84_SYSTEM,
    "wgs-84": WGS84_SYSTEM,
    "gcj02": GCJ02_SYSTEM,
    "gcj-02": GCJ02_SYSTEM,
    "bd09": BD09_SYSTEM,
    "bd-09": BD09_SYSTEM,
}

# name -> (to WGS84, from WGS84) for the systems pyproj does not know.
_OFFSET_TRANSFORMS: Final[dict[str, tuple[Callable[..., tuple], Callable[..., tuple]]]] = {
    "gcj02": (gcj02_to_wgs84, wgs84_to_gcj02),
    "bd09": (bd09_to_wgs84, wgs84_to_bd09),
}


def parse_crs(text: str | int | CoordSystem | None, *, default: str = "wgs84") -> CoordSystem:
    """Read a user-supplied CRS (CLI flag, file metadata, query parameter) into a CoordSystem.

    Parameters
    ----------
    text
        Case-insensitive and trimmed: ``wgs84``/``wgs-84``, ``gcj02``/``gcj-02``, ``bd09``/``bd-09``,
        an EPSG code (``"EPSG:3857"``, ``"4326"``, ``4326``) or anything else pyproj reads as a 2-D
        geographic or projected CRS (WKT, PROJ string). None means ``default``. A CoordSystem is
        returned as is.
    default
        What None means.

    Returns
    -------
    CoordSystem
        Anything equivalent to EPSG:4326 is :data:`WGS84_SYSTEM`.

    Raises
    ------
    UnknownCRSError
        If the value names no CRS, an unknown EPSG code, or a CRS that is not horizontal 2-D.
    """
    if text is None:
        return parse_crs(default, default="wgs84")
    if isinstance(text, CoordSystem):
        return text
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise UnknownCRSError(repr(text))
    key = str(text).strip()
    if not key:
        raise UnknownCRSError(str(text))
    alias = _ALIASES.get(key.lower())
    if alias is not None:
        return alias
    if key.isdigit():
        key = f"EPSG:{key}"
    try:
        crs = _pyproj_crs(key)
    except CRSError as exc:
        raise UnknownCRSError(str(text)) from exc
    if not (crs.is_geographic or crs.is_projected):
        raise UnknownCRSError(str(text))
    epsg = crs.to_epsg()
    if epsg == 4326:
        return WGS84_SYSTEM
    if epsg is not None:
        return CoordSystem(f"EPSG:{epsg}", epsg)
    return CoordSystem(crs.name, None, crs.to_wkt())


def _pyproj_input(crs: CoordSystem) -> str:
    """What to hand pyproj for a non-offset system: its EPSG code, else its WKT."""
    if crs.epsg is not None:
        return f"EPSG:{crs.epsg}"
    if crs.definition is not None:
        return crs.definition
    raise UnknownCRSError(crs.name)


@lru_cache(maxsize=64)
def _pyproj_crs(text: str) -> CRS:
    return CRS.from_user_input(text)


@lru_cache(maxsize=64)
def _transformer(source: str, target: str) -> Transformer:
    """One Transformer per (source, target): building one costs milliseconds, using it microseconds.

    pyproj Transformers are thread-safe since 3.1, so sharing them across server threads is fine.
    """
    return Transformer.from_crs(source, target, always_xy=True)


def to_wgs84_xy(x: npt.ArrayLike, y: npt.ArrayLike, crs: CoordSystem) -> XY:
    """Convert coordinates in any supported system to WGS84 lon/lat (the storage CRS).

    Parameters
    ----------
    x, y
        Coordinates in ``crs`` (lon/lat order for geographic systems, easting/northing otherwise).
    crs
        The source system, usually from :func:`parse_crs`.

    Returns
    -------
    tuple of numpy.ndarray
        WGS84 ``(lon, lat)``, always arrays.
    """
    x, y, _ = as_arrays(x, y)
    if crs.is_offset:
        to_wgs, _ = _OFFSET_TRANSFORMS[crs.name]
        lon, lat = to_wgs(x, y)
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    if crs.epsg == 4326:
        return x.copy(), y.copy()
    lon, lat = _transformer(_pyproj_input(crs), WGS84).transform(x, y)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def from_wgs84_xy(lon: npt.ArrayLike, lat: npt.ArrayLike, crs: CoordSystem) -> XY:
    """Convert WGS84 lon/lat into another system, e.g. to lay overlays on a GCJ-02 basemap.

    Parameters
    ----------
    lon, lat
        WGS84 degrees.
    crs
        The target system.

    Returns
    -------
    tuple of numpy.ndarray
        Coordinates in ``crs``, always arrays.
    """
    lon, lat, _ = as_arrays(lon, lat)
    if crs.is_offset:
        _, from_wgs = _OFFSET_TRANSFORMS[crs.name]
        x, y = from_wgs(lon, lat)
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if crs.epsg == 4326:
        return lon.copy(), lat.copy()
    x, y = _transformer(WGS84, _pyproj_input(crs)).transform(lon, lat)
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def geometries_to_wgs84(geoms: Geometries, crs: CoordSystem) -> np.ndarray:
    """Convert shapely geometries from ``crs`` to WGS84, all vertices in one vectorised call.

    Parameters
    ----------
    geoms
        An array (or GeoSeries, list) of shapely geometries; None and empty geometries pass
        through. Z values are kept unchanged.
    crs
        The source system.

    Returns
    -------
    numpy.ndarray
        New geometries of the same types and vertex counts.
    """
    return _transform_geometries(geoms, lambda x, y: to_wgs84_xy(x, y, crs))


def geometries_from_wgs84(geoms: Geometries, crs: CoordSystem) -> np.ndarray:
    """Convert shapely geometries from WGS84 to ``crs``: the inverse of :func:`geometries_to_wgs84`.

    Parameters
    ----------
    geoms
        An array (or GeoSeries, list) of shapely geometries in WGS84.
    crs
        The target system.

    Returns
    -------
    numpy.ndarray
        New geometries of the same types and vertex counts.
    """
    return _transform_geometries(geoms, lambda x, y: from_wgs84_xy(x, y, crs))


def _transform_geometries(geoms: Geometries, xy: Callable[[np.ndarray, np.ndarray], XY]) -> np.ndarray:
    """Apply an x/y transform to every vertex; 3-D geometries are done apart so they keep their Z."""

    def on_coords(coords: np.ndarray) -> np.ndarray:
        out = np.array(coords, dtype=np.float64)
        out[:, 0], out[:, 1] = xy(coords[:, 0], coords[:, 1])
        return out

    arr = np.asarray(geoms, dtype=object)
    has_z = np.asarray(shapely.has_z(arr), dtype=bool)
    result = np.asarray(shapely.transform(arr, on_coords, include_z=False), dtype=object)
    if has_z.any():
        result[has_z] = shapely.transform(arr[has_z], on_coords, include_z=True)
    return result


def utm_crs_for(lon: float, lat: float) -> str:
    """The WGS 84 / UTM zone CRS containing a point, for measuring distances and areas in metres.

    Parameters
    ----------
    lon, lat
        WGS84 degrees of a representative point (e.g. a layer's centroid).

    Returns
    -------
    str
        ``"EPSG:326NN"`` north of the equator, ``"EPSG:327NN"`` south of it
        (Shanghai: :data:`SHANGHAI_UTM`).

    Raises
    ------
    ValueError
        If the point is not a finite lon/lat.
    """
    if not (math.isfinite(lon) and math.isfinite(lat) and -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise ValueError(
            f"`lon, lat` was ({lon!r}, {lat!r}) but is expected to be WGS84 degrees within ±180, ±90"
        )
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"
