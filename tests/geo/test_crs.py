"""Tests of geo.crs: GCJ-02/BD-09 against known values, prcoords and a real geocoded file; CRS parsing."""

from __future__ import annotations

import csv
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import prcoords
import pytest
import shapely
from pyproj import CRS, Geod

from geo.crs import (
    BD09_SYSTEM,
    CHINA_BOUNDS,
    GCJ02_SYSTEM,
    SHANGHAI_UTM,
    WEB_MERCATOR,
    WGS84,
    WGS84_SYSTEM,
    CoordSystem,
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84_xy,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    geometries_from_wgs84,
    geometries_to_wgs84,
    out_of_china,
    parse_crs,
    to_wgs84_xy,
    utm_crs_for,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from geo.errors import UnknownCRSError

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
GEOCODED = DATA / "shanghai-covid-2022-case-addresses" / "stockard_geocoded_addresses_20220508.csv"

GEOD = Geod(ellps="WGS84")
PEARL_TOWER = (121.49526, 31.24195)  # Oriental Pearl Tower, WGS84
POINT_FUNCTIONS = [wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, wgs84_to_bd09, bd09_to_wgs84]
OUTSIDE_CHINA = {"tokyo": (139.69, 35.69), "london": (-0.1276, 51.5072), "sydney": (151.21, -33.87)}
SYSTEMS = {
    "wgs84": WGS84_SYSTEM,
    "gcj02": GCJ02_SYSTEM,
    "bd09": BD09_SYSTEM,
    "web_mercator": parse_crs(WEB_MERCATOR),
    "shanghai_utm": parse_crs(SHANGHAI_UTM),
    "crs84": parse_crs("OGC:CRS84"),
}


def metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distances on WGS84 between two sets of lon/lat points."""
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (lon1, lat1, lon2, lat2))
    )
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def china_sample(n: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    min_lon, min_lat, max_lon, max_lat = CHINA_BOUNDS
    return rng.uniform(min_lon, max_lon, n), rng.uniform(min_lat, max_lat, n)


def china_grid(step: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    min_lon, min_lat, max_lon, max_lat = CHINA_BOUNDS
    lon, lat = np.meshgrid(np.arange(min_lon, max_lon, step), np.arange(min_lat, max_lat, step))
    return lon.ravel(), lat.ravel()


# --- known values


@pytest.mark.parametrize(
    ("forward", "inverse", "expected"),
    [
        (wgs84_to_gcj02, gcj02_to_wgs84, (121.49971, 31.23995)),
        (wgs84_to_bd09, bd09_to_wgs84, (121.50632, 31.24559)),
    ],
    ids=["gcj02", "bd09"],
)
def test_pearl_tower_known_values(
    forward: Callable, inverse: Callable, expected: tuple[float, float]
) -> None:
    lon, lat = forward(*PEARL_TOWER)
    assert lon == pytest.approx(expected[0], abs=1e-5)
    assert lat == pytest.approx(expected[1], abs=1e-5)
    back = inverse(lon, lat)
    assert back == pytest.approx(PEARL_TOWER, abs=1e-7)


# --- against prcoords (independent implementation)


def _prcoords_apply(fn: Callable, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    out = np.array([fn(prcoords.Coords(y, x)) for x, y in zip(lon, lat, strict=True)])  # Coords is (lat, lon)
    return out[:, 1], out[:, 0]


@pytest.mark.parametrize(
    ("ours", "theirs", "within_m"),
    [
        # The same closed formulas: they must agree to floating-point noise, not just to 0.1 m.
        pytest.param(wgs84_to_gcj02, prcoords.wgs_gcj, 1e-6, id="wgs84_to_gcj02"),
        pytest.param(gcj02_to_bd09, prcoords.gcj_bd, 1e-6, id="gcj02_to_bd09"),
        pytest.param(wgs84_to_bd09, prcoords.wgs_bd, 1e-6, id="wgs84_to_bd09"),
        # Iterative inverses ("bored", not prcoords' rough one-step ones). prcoords stops iterating at
        # 1e-5 deg, which leaves up to ~2 cm for BD-09 -> WGS84; ours converges to ~1e-5 m.
        pytest.param(gcj02_to_wgs84, prcoords.gcj_wgs_bored, 0.1, id="gcj02_to_wgs84"),
        pytest.param(bd09_to_gcj02, prcoords.bd_gcj_bored, 0.1, id="bd09_to_gcj02"),
        pytest.param(bd09_to_wgs84, prcoords.bd_wgs_bored, 0.1, id="bd09_to_wgs84"),
    ],
)
def test_agrees_with_prcoords(ours: Callable, theirs: Callable, within_m: float) -> None:
    lon, lat = china_sample(2_000, seed=20220508)
    got = ours(lon, lat)
    expected = _prcoords_apply(theirs, lon, lat)
    distance = metres(*got, *expected)
    assert distance.max() < within_m, f"max disagreement {distance.max():.3g} m"


# --- round trips and outside China


@pytest.mark.parametrize(
    ("forward", "inverse"),
    [(wgs84_to_gcj02, gcj02_to_wgs84), (wgs84_to_bd09, bd09_to_wgs84), (gcj02_to_bd09, bd09_to_gcj02)],
    ids=["gcj02", "bd09", "gcj02-bd09"],
)
def test_round_trip_on_china_grid(forward: Callable, inverse: Callable) -> None:
    lon, lat = china_grid()
    assert lon.size > 10_000
    shifted = forward(lon, lat)
    assert metres(lon, lat, *shifted).max() > 100  # the offset is real, so the round trip is not a no-op
    back = inverse(*shifted)
    assert metres(lon, lat, *back).max() < 0.01  # the default tolerance_m; the requirement is 0.1 m


@pytest.mark.parametrize("tolerance_m", [1.0, 1e-3, 1e-6])
def test_inverse_meets_requested_tolerance(tolerance_m: float) -> None:
    lon, lat = china_sample(500, seed=1)
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat), tolerance_m=tolerance_m)
    assert metres(lon, lat, *back).max() < tolerance_m


@pytest.mark.parametrize("bad", [{"tolerance_m": 0.0}, {"tolerance_m": -1.0}, {"max_iter": 0}])
def test_inverse_rejects_bad_iteration_options(bad: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        gcj02_to_wgs84(121.5, 31.2, **bad)


@pytest.mark.parametrize("place", OUTSIDE_CHINA, ids=str)
@pytest.mark.parametrize("convert", [wgs84_to_gcj02, gcj02_to_wgs84], ids=lambda f: f.__name__)
def test_outside_china_is_not_shifted(place: str, convert: Callable) -> None:
    lon, lat = OUTSIDE_CHINA[place]
    assert out_of_china(lon, lat) is True
    assert convert(lon, lat) == (lon, lat)


def test_bd09_offset_applies_outside_china_as_published() -> None:
    # GCJ-02 is identity outside China; the BD-09 offset on top of it is not (as in the standard).
    lon, lat = OUTSIDE_CHINA["tokyo"]
    assert wgs84_to_bd09(lon, lat) == gcj02_to_bd09(lon, lat)
    assert metres(lon, lat, *bd09_to_wgs84(*wgs84_to_bd09(lon, lat))).max() < 0.01


def test_mixed_inside_and_outside_array() -> None:
    lon = np.array([PEARL_TOWER[0], OUTSIDE_CHINA["tokyo"][0]])
    lat = np.array([PEARL_TOWER[1], OUTSIDE_CHINA["tokyo"][1]])
    np.testing.assert_array_equal(out_of_china(lon, lat), [False, True])
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert (glon[0], glat[0]) == wgs84_to_gcj02(*PEARL_TOWER)
    assert (glon[1], glat[1]) == OUTSIDE_CHINA["tokyo"]


@pytest.mark.parametrize(
    ("lon", "lat", "outside"),
    [
        (72.0039, 30.0, True),
        (72.0041, 30.0, False),
        (137.8346, 30.0, False),
        (137.8348, 30.0, True),
        (100.0, 0.8292, True),
        (100.0, 0.8294, False),
        (100.0, 55.8270, False),
        (100.0, 55.8272, True),
    ],
)
def test_out_of_china_is_the_published_box(lon: float, lat: float, outside: bool) -> None:
    assert out_of_china(lon, lat) is outside
    assert (wgs84_to_gcj02(lon, lat) == (lon, lat)) is outside


def test_china_bounds_lie_inside_the_published_box() -> None:
    min_lon, min_lat, max_lon, max_lat = CHINA_BOUNDS
    assert not out_of_china(np.array([min_lon, max_lon]), np.array([min_lat, max_lat])).any()


# --- real data: Amap geocodes of Shanghai 2022 cases


@pytest.fixture(scope="module")
def geocoded() -> np.ndarray:
    """(gcj_lon, gcj_lat, wgs_lon, wgs_lat) rows of the file; the 733 rows of the other layout are skipped."""
    assert GEOCODED.is_file(), f"shared test data missing: {GEOCODED}"
    rows, skipped = [], 0
    with GEOCODED.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            try:
                rows.append([float(row[k]) for k in ("gcj02_lng", "gcj02_lat", "wgs84_lng", "wgs84_lat")])
            except ValueError:
                skipped += 1  # "lng,lat" in gcj02_lng, empty wgs84 columns, or the embedded second header
    # 34,976 data lines: 34,243 of the original layout + 1 embedded header + 732 of the other layout.
    assert (len(rows), skipped) == (34_243, 733)
    return np.array(rows)


def test_file_wgs84_columns_are_the_one_step_inverse_of_our_forward(geocoded: np.ndarray) -> None:
    # The file's author converted with the common one-step inverse wgs = 2*gcj - fwd(gcj). Reproducing
    # it with our forward formula checks that formula on 34k real points (the file rounds to ~5 cm).
    gcj_lon, gcj_lat, file_lon, file_lat = geocoded.T
    fwd_lon, fwd_lat = wgs84_to_gcj02(gcj_lon, gcj_lat)
    distance = metres(2 * gcj_lon - fwd_lon, 2 * gcj_lat - fwd_lat, file_lon, file_lat)
    assert distance.max() < 0.1, f"max {distance.max():.3f} m"


def test_our_inverse_is_exact_where_the_file_is_off_by_metres(geocoded: np.ndarray) -> None:
    gcj_lon, gcj_lat, file_lon, file_lat = geocoded.T
    our_lon, our_lat = gcj02_to_wgs84(gcj_lon, gcj_lat)
    # Ours maps forward onto the Amap coordinate; the file's one-step answer misses it by 1-2 m.
    assert metres(*wgs84_to_gcj02(our_lon, our_lat), gcj_lon, gcj_lat).max() < 0.01
    file_miss = metres(*wgs84_to_gcj02(file_lon, file_lat), gcj_lon, gcj_lat)
    assert np.median(file_miss) > 1.0
    # So the two disagree by the one-step method's error: measured median 1.30 m, max 2.26 m.
    disagreement = metres(our_lon, our_lat, file_lon, file_lat)
    assert 1.0 < np.median(disagreement) < 1.5
    assert disagreement.max() < 2.5


# --- scalars, arrays and NaN


@pytest.mark.parametrize("convert", POINT_FUNCTIONS, ids=lambda f: f.__name__)
def test_floats_in_floats_out_arrays_in_arrays_out(convert: Callable) -> None:
    lon, lat = convert(*PEARL_TOWER)
    assert type(lon) is float and type(lat) is float
    lons, lats = convert(np.array([PEARL_TOWER[0]] * 3), np.array([PEARL_TOWER[1]] * 3))
    assert isinstance(lons, np.ndarray) and lons.shape == (3,) and lats.shape == (3,)
    assert (lons[0], lats[0]) == (lon, lat)


@pytest.mark.parametrize("convert", POINT_FUNCTIONS, ids=lambda f: f.__name__)
def test_nan_in_nan_out_without_warnings(convert: Callable) -> None:
    lon = np.array([np.nan, PEARL_TOWER[0], np.nan, np.inf])
    lat = np.array([PEARL_TOWER[1], np.nan, np.nan, 31.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out_lon, out_lat = convert(lon, lat)
        scalar = convert(float("nan"), float("nan"))
    assert np.isnan(out_lon[:3]).all() and np.isnan(out_lat[:3]).all()
    assert np.isnan(scalar).all()


@pytest.mark.parametrize("system", SYSTEMS.values(), ids=SYSTEMS.keys())
def test_nan_through_any_system_without_warnings(system: CoordSystem) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lon, lat = to_wgs84_xy(np.array([np.nan]), np.array([np.nan]), system)
        x, y = from_wgs84_xy(np.array([np.nan]), np.array([np.nan]), system)
    assert np.isnan([lon, lat, x, y]).all()


# --- parse_crs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wgs84", WGS84_SYSTEM),
        ("WGS-84", WGS84_SYSTEM),
        ("  gcj02 ", GCJ02_SYSTEM),
        ("GCJ-02", GCJ02_SYSTEM),
        ("bd09", BD09_SYSTEM),
        ("Bd-09", BD09_SYSTEM),
        ("EPSG:4326", WGS84_SYSTEM),
        ("4326", WGS84_SYSTEM),
        (4326, WGS84_SYSTEM),
        ("epsg:3857", CoordSystem("EPSG:3857", 3857)),
        (3857, CoordSystem("EPSG:3857", 3857)),
        ("EPSG:32651", CoordSystem("EPSG:32651", 32651)),
        (CRS("EPSG:32651").to_wkt(), CoordSystem("EPSG:32651", 32651)),
        ("+proj=utm +zone=51 +datum=WGS84 +units=m", CoordSystem("EPSG:32651", 32651)),
        (None, WGS84_SYSTEM),
        (GCJ02_SYSTEM, GCJ02_SYSTEM),
    ],
)
def test_parse_crs_accepts(text: object, expected: CoordSystem) -> None:
    assert parse_crs(text) == expected


def test_parse_crs_default_and_wkt_only_systems() -> None:
    assert parse_crs(None, default="gcj02") == GCJ02_SYSTEM
    crs84 = parse_crs("OGC:CRS84")  # no EPSG code: kept as WKT so pyproj can still use it
    assert crs84.epsg is None and crs84.definition and not crs84.is_offset


@pytest.mark.parametrize("text", ["foo", "EPSG:999999", "", "   ", "wgs85", 999999, "EPSG:5773", True])
def test_parse_crs_rejects_with_helpful_message(text: object) -> None:
    with pytest.raises(UnknownCRSError) as info:
        parse_crs(text)
    message = str(info.value)
    assert repr(str(text)) in message
    for allowed in ("wgs84", "gcj02", "bd09", "EPSG:"):
        assert allowed in message


@pytest.mark.parametrize(
    ("system", "offset"), [(WGS84_SYSTEM, False), (GCJ02_SYSTEM, True), (BD09_SYSTEM, True)]
)
def test_is_offset(system: CoordSystem, offset: bool) -> None:
    assert system.is_offset is offset


# --- arrays of coordinates and geometries


@pytest.mark.parametrize("system", SYSTEMS.values(), ids=SYSTEMS.keys())
def test_xy_round_trip_through_every_system(system: CoordSystem) -> None:
    lon, lat = china_sample(200, seed=2)
    x, y = from_wgs84_xy(lon, lat, system)
    assert isinstance(x, np.ndarray) and x.shape == lon.shape
    back = to_wgs84_xy(x, y, system)
    assert metres(lon, lat, *back).max() < 0.01


def test_to_wgs84_xy_dispatches_to_the_point_functions() -> None:
    lon, lat = china_sample(50, seed=3)
    np.testing.assert_array_equal(to_wgs84_xy(lon, lat, GCJ02_SYSTEM), gcj02_to_wgs84(lon, lat))
    np.testing.assert_array_equal(to_wgs84_xy(lon, lat, BD09_SYSTEM), bd09_to_wgs84(lon, lat))
    np.testing.assert_array_equal(from_wgs84_xy(lon, lat, GCJ02_SYSTEM), wgs84_to_gcj02(lon, lat))
    x, y = from_wgs84_xy(121.4737, 31.2304, parse_crs(WEB_MERCATOR))
    assert (float(x), float(y)) == pytest.approx((13_522_365, 3_662_700), abs=50)


GEOMETRIES = {
    "polygon_with_hole": shapely.Polygon(
        [(121.40, 31.10), (121.60, 31.10), (121.60, 31.30), (121.40, 31.30)],
        holes=[[(121.45, 31.15), (121.50, 31.15), (121.50, 31.20)]],
    ),
    "multipolygon": shapely.MultiPolygon(
        [shapely.box(121.40, 31.10, 121.45, 31.15), shapely.box(121.50, 31.20, 121.55, 31.25)]
    ),
    "linestring": shapely.LineString([(121.47, 31.23), (121.50, 31.24), (121.52, 31.20)]),
    "point_z": shapely.Point(121.49526, 31.24195, 468.0),
    "empty_polygon": shapely.Polygon(),
    "none": None,
}


@pytest.mark.parametrize("system", [GCJ02_SYSTEM, BD09_SYSTEM, parse_crs(WEB_MERCATOR)], ids=lambda s: s.name)
def test_geometries_keep_shape_and_follow_the_point_functions(system: CoordSystem) -> None:
    geoms = geometries_from_wgs84(np.array(list(GEOMETRIES.values()), dtype=object), system)
    original = np.array(list(GEOMETRIES.values()), dtype=object)
    out = geometries_to_wgs84(geoms, system)

    assert out.shape == original.shape and out[-1] is None
    np.testing.assert_array_equal(shapely.get_type_id(out), shapely.get_type_id(original))
    np.testing.assert_array_equal(shapely.get_num_coordinates(out), shapely.get_num_coordinates(original))
    np.testing.assert_array_equal(shapely.is_empty(out), shapely.is_empty(original))
    np.testing.assert_array_equal(shapely.has_z(out), shapely.has_z(original))
    assert shapely.get_z(out[3]) == 468.0

    # Every vertex moved exactly as the coordinate functions move it, both ways, and came back.
    coords = shapely.get_coordinates(geoms)
    original_xy = shapely.get_coordinates(original)
    np.testing.assert_array_equal(coords, np.column_stack(from_wgs84_xy(*original_xy.T, system)))
    assert shapely.get_num_interior_rings(geoms[0]) == 1
    expected = np.column_stack(to_wgs84_xy(coords[:, 0], coords[:, 1], system))
    np.testing.assert_array_equal(shapely.get_coordinates(out), expected)
    assert metres(*shapely.get_coordinates(out).T, *shapely.get_coordinates(original).T).max() < 0.01
    if system.is_offset:
        assert metres(*coords.T, *shapely.get_coordinates(original).T).min() > 100


# --- utm_crs_for


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (121.4737, 31.2304, SHANGHAI_UTM),
        (116.40, 39.90, "EPSG:32650"),
        (-70.65, -33.45, "EPSG:32719"),
        (-180.0, 0.0, "EPSG:32601"),
        (180.0, 0.0, "EPSG:32660"),
    ],
)
def test_utm_crs_for(lon: float, lat: float, expected: str) -> None:
    assert utm_crs_for(lon, lat) == expected
    assert CRS(expected).is_projected


@pytest.mark.parametrize(("lon", "lat"), [(float("nan"), 31.0), (181.0, 0.0), (0.0, -91.0)])
def test_utm_crs_for_rejects_non_coordinates(lon: float, lat: float) -> None:
    with pytest.raises(ValueError, match="WGS84 degrees"):
        utm_crs_for(lon, lat)


def test_constants() -> None:
    assert (WGS84, WEB_MERCATOR, SHANGHAI_UTM) == ("EPSG:4326", "EPSG:3857", "EPSG:32651")
    assert (WGS84_SYSTEM.name, WGS84_SYSTEM.epsg, WGS84_SYSTEM.definition) == ("wgs84", 4326, None)
