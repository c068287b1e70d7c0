"""Every CRS constant and coordinate transform in battlemap, including GCJ-02 / BD-09 <-> WGS84.

Battlemap stores everything in WGS84 (EPSG:4326), but Chinese sources and basemaps do not use it:
Amap/Gaode, Tencent and Google China geocode and draw in GCJ-02 (the state "offset" datum), Baidu in
BD-09 (a further offset of GCJ-02). In Shanghai GCJ-02 is 460-500 m and BD-09 1.1-1.2 km off WGS84,
enough to put a case in the wrong compound, so every conversion goes through this module. EPSG systems are
handled by pyproj; GCJ-02 and BD-09 have no EPSG code and are implemented here from the published
formulas. The inverses have no closed form and are solved iteratively to well under 0.1 m.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from geo.errors import UnknownCRSError

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

# The standard "out of China" box of the GCJ-02 formulas; outside it GCJ-02 == WGS84.
_GCJ_BOX: Final = (72.004, 0.8293, 137.8347, 55.8271)
# Krasovsky 1940 ellipsoid, which the GCJ-02 formulas use.
_KRASOVSKY_A: Final = 6378245.0
_KRASOVSKY_EE: Final = 0.00669342162296594323
# BD-09 constants.
_X_PI: Final = math.pi * 3000.0 / 180.0
_BD_DLON: Final = 0.0065
_BD_DLAT: Final = 0.006
# Metres per degree of arc on the equator: good enough (<1%) to turn a residual into a tolerance.
_M_PER_DEG: Final = 2.0 * math.pi * 6378137.0 / 360.0

_Coord = TypeVar("_Coord", float, npt.NDArray[np.float64])
_XY = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]
# An array, GeoSeries or list of shapely geometries (None allowed).
Geometries = npt.ArrayLike | Sequence[BaseGeometry | None]


# --- point transforms


def out_of_china(lon: npt.ArrayLike, lat: npt.ArrayLike) -> bool | npt.NDArray[np.bool_]:
    """Whether points lie outside the box where GCJ-02 applies (the standard published test).

    Outside this box GCJ-02 and WGS84 coincide, so converters leave such points unshifted.
    NaN is not "outside": it flows through the formulas and comes out NaN.

    Parameters
    ----------
    lon, lat
        Degrees; scalars or arrays (broadcast together).

    Returns
    -------
    bool or numpy.ndarray of bool
        A Python bool for scalar input, an array otherwise.
    """
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    min_lon, min_lat, max_lon, max_lat = _GCJ_BOX
    outside = (x < min_lon) | (x > max_lon) | (y < min_lat) | (y > max_lat)
    return bool(outside) if outside.ndim == 0 else outside


def wgs84_to_gcj02(lon: _Coord, lat: _Coord) -> tuple[_Coord, _Coord]:
    """Shift WGS84 lon/lat onto GCJ-02, e.g. to draw our data on an Amap/Tencent basemap.

    Parameters
    ----------
    lon, lat
        WGS84 degrees: floats (floats are returned) or arrays (arrays are returned).

    Returns
    -------
    tuple
        GCJ-02 ``(lon, lat)``; points outside China are returned unchanged.
    """
    x, y, scalar = _as_arrays(lon, lat)
    dx, dy = _gcj_offset(x, y)
    outside = np.asarray(out_of_china(x, y))
    return _pack(np.where(outside, x, x + dx), np.where(outside, y, y + dy), scalar)


def gcj02_to_wgs84(
    lon: _Coord, lat: _Coord, *, tolerance_m: float = 0.01, max_iter: int = 30
) -> tuple[_Coord, _Coord]:
    """Recover WGS84 lon/lat from GCJ-02 (Amap/Tencent geocodes) by fixed-point iteration.

    The one-step "subtract the offset" inverse common online is off by up to a few metres;
    iterating ``wgs -= fwd(wgs) - gcj`` converges because the offset changes slowly (a contraction
    of about 1e-2), so four or five rounds reach millimetres.

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees: floats or arrays.
    tolerance_m
        Stop once every finite point's forward residual is below this many metres.
    max_iter
        Upper bound on rounds; the default is never reached for points in China. If a smaller
        bound stops the iteration early, the best estimate so far is returned.

    Returns
    -------
    tuple
        WGS84 ``(lon, lat)``; points outside China are returned unchanged, NaN stays NaN.
    """
    _check_iteration(tolerance_m, max_iter)
    gx, gy, scalar = _as_arrays(lon, lat)
    wx, wy = _invert(_gcj_forward, gx, gy, start=(gx, gy), tolerance_m=tolerance_m, max_iter=max_iter)
    outside = np.asarray(out_of_china(gx, gy))
    return _pack(np.where(outside, gx, wx), np.where(outside, gy, wy), scalar)


def gcj02_to_bd09(lon: _Coord, lat: _Coord) -> tuple[_Coord, _Coord]:
    """Shift GCJ-02 lon/lat onto Baidu's BD-09 (applied everywhere, as the standard does).

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees: floats or arrays.

    Returns
    -------
    tuple
        BD-09 ``(lon, lat)``.
    """
    x, y, scalar = _as_arrays(lon, lat)
    return _pack(*_bd_forward(x, y), scalar)


def bd09_to_gcj02(
    lon: _Coord, lat: _Coord, *, tolerance_m: float = 0.01, max_iter: int = 30
) -> tuple[_Coord, _Coord]:
    """Recover GCJ-02 lon/lat from Baidu BD-09.

    The published closed-form inverse is off by up to ~0.2 m, so it is only the starting point
    of the same fixed-point iteration as :func:`gcj02_to_wgs84`.

    Parameters
    ----------
    lon, lat
        BD-09 degrees: floats or arrays.
    tolerance_m, max_iter
        As for :func:`gcj02_to_wgs84`.

    Returns
    -------
    tuple
        GCJ-02 ``(lon, lat)``.
    """
    _check_iteration(tolerance_m, max_iter)
    bx, by, scalar = _as_arrays(lon, lat)
    gx, gy = _invert(
        _bd_forward, bx, by, start=_bd_inverse_approx(bx, by), tolerance_m=tolerance_m, max_iter=max_iter
    )
    return _pack(gx, gy, scalar)


def wgs84_to_bd09(lon: _Coord, lat: _Coord) -> tuple[_Coord, _Coord]:
    """Shift WGS84 lon/lat onto BD-09 (WGS84 -> GCJ-02 -> BD-09), e.g. for a Baidu basemap.

    Parameters
    ----------
    lon, lat
        WGS84 degrees: floats or arrays.

    Returns
    -------
    tuple
        BD-09 ``(lon, lat)``.
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(
    lon: _Coord, lat: _Coord, *, tolerance_m: float = 0.01, max_iter: int = 30
) -> tuple[_Coord, _Coord]:
    """Recover WGS84 lon/lat from BD-09 (Baidu geocodes) via GCJ-02.

    Parameters
    ----------
    lon, lat
        BD-09 degrees: floats or arrays.
    tolerance_m
        Total tolerance in metres, split evenly between the two inverse steps.
    max_iter
        Bound on rounds for each step.

    Returns
    -------
    tuple
        WGS84 ``(lon, lat)``.
    """
    half = tolerance_m / 2.0
    gx, gy = bd09_to_gcj02(lon, lat, tolerance_m=half, max_iter=max_iter)
    return gcj02_to_wgs84(gx, gy, tolerance_m=half, max_iter=max_iter)


def _gcj_offset(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> _XY:
    """The GCJ-02 shift (dlon, dlat) in degrees at WGS84 (x, y), with no out-of-China test."""
    u = x - 105.0
    v = y - 35.0
    with np.errstate(invalid="ignore", over="ignore"):  # inf in, NaN out: the caller masks it
        sqrt_abs_u = np.sqrt(np.abs(u))
        common = (20.0 * np.sin(6.0 * u * np.pi) + 20.0 * np.sin(2.0 * u * np.pi)) * 2.0 / 3.0
        d_lat = -100.0 + 2.0 * u + 3.0 * v + 0.2 * v * v + 0.1 * u * v + 0.2 * sqrt_abs_u + common
        d_lat += (20.0 * np.sin(v * np.pi) + 40.0 * np.sin(v / 3.0 * np.pi)) * 2.0 / 3.0
        d_lat += (160.0 * np.sin(v / 12.0 * np.pi) + 320.0 * np.sin(v / 30.0 * np.pi)) * 2.0 / 3.0
        d_lon = 300.0 + u + 2.0 * v + 0.1 * u * u + 0.1 * u * v + 0.1 * sqrt_abs_u + common
        d_lon += (20.0 * np.sin(u * np.pi) + 40.0 * np.sin(u / 3.0 * np.pi)) * 2.0 / 3.0
        d_lon += (150.0 * np.sin(u / 12.0 * np.pi) + 300.0 * np.sin(u / 30.0 * np.pi)) * 2.0 / 3.0
        # The polynomials give metres; scale by the Krasovsky radii of curvature to degrees.
        rad_lat = np.radians(y)
        w = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
        meridian = _KRASOVSKY_A * (1.0 - _KRASOVSKY_EE) / (w * np.sqrt(w))
        prime_vertical = _KRASOVSKY_A / np.sqrt(w)
        d_lat = d_lat * 180.0 / (meridian * np.pi)
        d_lon = d_lon * 180.0 / (prime_vertical * np.cos(rad_lat) * np.pi)
    return d_lon, d_lat


def _gcj_forward(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> _XY:
    """WGS84 -> GCJ-02 without the out-of-China test, so the iteration is smooth at the border."""
    dx, dy = _gcj_offset(x, y)
    return x + dx, y + dy


def _bd_forward(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> _XY:
    """GCJ-02 -> BD-09: a small polar perturbation plus a fixed shift."""
    with np.errstate(invalid="ignore"):
        z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
        theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_inverse_approx(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> _XY:
    """The published closed-form BD-09 -> GCJ-02 (to ~0.2 m): a starting point only."""
    x = x - _BD_DLON
    y = y - _BD_DLAT
    with np.errstate(invalid="ignore"):
        z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
        theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: Callable[[npt.NDArray[np.float64], npt.NDArray[np.float64]], _XY],
    target_x: npt.NDArray[np.float64],
    target_y: npt.NDArray[np.float64],
    *,
    start: _XY,
    tolerance_m: float,
    max_iter: int,
) -> _XY:
    """Solve ``forward(x, y) == target`` by ``p -= forward(p) - target`` (forward ~ identity)."""
    x, y = start
    finite = np.isfinite(target_x) & np.isfinite(target_y)
    for _ in range(max_iter):
        fx, fy = forward(x, y)
        rx = fx - target_x
        ry = fy - target_y
        x = x - rx
        y = y - ry
        with np.errstate(invalid="ignore"):
            residual_m = np.hypot(rx * np.cos(np.radians(y)), ry) * _M_PER_DEG
        if not np.any(residual_m[finite] > tolerance_m):
            break
    return x, y


def _check_iteration(tolerance_m: float, max_iter: int) -> None:
    if not tolerance_m > 0:
        raise ValueError(
            f"`tolerance_m` was {tolerance_m!r} but is expected to be a positive number of metres"
        )
    if max_iter < 1:
        raise ValueError(f"`max_iter` was {max_iter!r} but is expected to be at least 1")


def _as_arrays(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray, bool]:
    """Float64 arrays broadcast together, and whether the caller gave scalars (to give floats back)."""
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return x, y, scalar


def _pack(x: np.ndarray, y: np.ndarray, scalar: bool) -> tuple:
    return (float(x), float(y)) if scalar else (x, y)


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


def to_wgs84_xy(x: npt.ArrayLike, y: npt.ArrayLike, crs: CoordSystem) -> _XY:
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
    x, y, _ = _as_arrays(x, y)
    if crs.is_offset:
        to_wgs, _ = _OFFSET_TRANSFORMS[crs.name]
        lon, lat = to_wgs(x, y)
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    if crs.epsg == 4326:
        return x.copy(), y.copy()
    lon, lat = _transformer(_pyproj_input(crs), WGS84).transform(x, y)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def from_wgs84_xy(lon: npt.ArrayLike, lat: npt.ArrayLike, crs: CoordSystem) -> _XY:
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
    lon, lat, _ = _as_arrays(lon, lat)
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


def _transform_geometries(geoms: Geometries, xy: Callable[[np.ndarray, np.ndarray], _XY]) -> np.ndarray:
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
