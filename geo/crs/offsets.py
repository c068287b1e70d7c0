"""GCJ-02 and BD-09, the Chinese offset datums, to and from WGS84: the published formulas.

Part of ``geo.crs`` (import from there): GCJ-02 and BD-09 have no EPSG code, so pyproj cannot do
these; the forward formulas are the published ones and the inverses, which have no closed form,
are solved iteratively to well under 0.1 m.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final, TypeVar

import numpy as np
import numpy.typing as npt

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
XY = tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]


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
    x, y, scalar = as_arrays(lon, lat)
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
    gx, gy, scalar = as_arrays(lon, lat)
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
    x, y, scalar = as_arrays(lon, lat)
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
    bx, by, scalar = as_arrays(lon, lat)
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


def _gcj_offset(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> XY:
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


def _gcj_forward(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> XY:
    """WGS84 -> GCJ-02 without the out-of-China test, so the iteration is smooth at the border."""
    dx, dy = _gcj_offset(x, y)
    return x + dx, y + dy


def _bd_forward(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> XY:
    """GCJ-02 -> BD-09: a small polar perturbation plus a fixed shift."""
    with np.errstate(invalid="ignore"):
        z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
        theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_inverse_approx(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> XY:
    """The published closed-form BD-09 -> GCJ-02 (to ~0.2 m): a starting point only."""
    x = x - _BD_DLON
    y = y - _BD_DLAT
    with np.errstate(invalid="ignore"):
        z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
        theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: Callable[[npt.NDArray[np.float64], npt.NDArray[np.float64]], XY],
    target_x: npt.NDArray[np.float64],
    target_y: npt.NDArray[np.float64],
    *,
    start: XY,
    tolerance_m: float,
    max_iter: int,
) -> XY:
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


def as_arrays(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray, bool]:
    """Float64 arrays broadcast together, and whether the caller gave scalars (to give floats back)."""
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    x, y = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return x, y, scalar


def _pack(x: np.ndarray, y: np.ndarray, scalar: bool) -> tuple:
    return (float(x), float(y)) if scalar else (x, y)
