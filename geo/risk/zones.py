"""Risk areas from cases: the sealed, control and prevention zones (封控区/管控区/防范区) and what they hold.

``declare_risk_area(conn, cases, rules=...)`` puts every building (and place) near the cases in the
strictest zone a rule gives it, whole (never cut), with the rule and the case that put it there,
then counts per zone: buildings, households by status on the date, vulnerable households, places
by kind and the responsible people (codes and chain levels only). Distances are true metres on the
WGS84 ellipsoid: each footprint is measured around the case with the ellipsoid's radii of curvature at
the mean latitude (within 2e-6 of ``pyproj.Geod`` up to 50 km), places with PostGIS geography; the
SQL is in ``geo/risk/sql/``, the counting in ``geo.risk.counts``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj.exceptions import ProjError
from shapely.geometry import Point, mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from geo.address import match_key
from geo.clock import china_today
from geo.crs import WGS84, CoordSystem, parse_crs, to_wgs84_xy
from geo.errors import InvalidParameter, OutsideLoadedArea
from geo.risk.counts import ZoneCounts, count_zoned, packed, session_for
from geo.risk.rules import RiskRules, default_rules
from geo.scope import UNRESTRICTED, Scope
from geo.sqlutil import sql_file
from geo.status.read import status_dates
from geo.vocab import ZONE_KINDS

_SQL = Path(__file__).resolve().parent / "sql"
ZONES: tuple[str, ...] = tuple(z.code for z in ZONE_KINDS)
_RANK_ZONE = dict(enumerate(ZONES, start=1))

# What each rule means, for the map's tooltips and the report (zone:rule).
RULE_TEXT: dict[str, str] = {
    "sealed:case_building": "the case building (the case lies in it or within the snap distance)",
    "sealed:compound": "in the compound (小区) of the case building",
    "sealed:named_compound": "in the compound the case address names",
    "sealed:lane": "in the lane (弄) the case address names",
    "control:radius": "within the control radius of a case",
    "control:grid": "in the case's grid or a grid adjoining it",
    "prevention:radius": "within the prevention radius of a case (in its sub-district when clipped)",
}
_LANE = re.compile(r"^(.+?\d+弄)")
# The rows of geo/risk/sql/zones.sql, packed by the server: target and rule are positions in these.
_TARGETS = ("building", "place")
_RULES = ("case_building", "in_building", "compound", "named_compound", "lane", "radius", "grid")
_ASSIGNED = np.dtype(
    [
        ("target", ">i4"),
        ("id", ">i8"),
        ("rank", ">i4"),
        ("rule", ">i4"),
        ("case", ">i4"),
        ("distance_m", ">f8"),
    ]
)


@dataclass(frozen=True)
class CaseLocation:
    """One case: a WGS84 point and, when known, its address (which may name a compound or lane)."""

    lon: float
    lat: float
    address: str | None = None

    @property
    def lane(self) -> str:
        """The lane key of the address (``张东路2281弄``), or '' when it names none."""
        found = _LANE.match(match_key(self.address)) if self.address else None
        return found.group(1) if found else ""


@dataclass
class RiskArea:
    """The outcome of :func:`declare_risk_area`.

    Attributes
    ----------
    assignments
        One row per zoned building or place: ``target`` (building/place), ``id`` (database id),
        ``source_id``, ``zone``, ``rule`` (``zone:rule``, see ``RULE_TEXT``), ``case`` (0-based
        index into ``cases``) and ``distance_m`` (true metres to that case).
    status_known
        False when no house-status data covers ``date``: households are then counted as
        ``unknown``, never as ``normal``.
    """

    cases: tuple[CaseLocation, ...]
    date: dt.date
    rules: RiskRules
    assignments: pd.DataFrame
    counts: dict[str, ZoneCounts]
    geometries: dict[str, BaseGeometry | None]
    status_known: bool
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """``{"zones": {"sealed": {...counts}, "control": {...}, "prevention": {...}}, ...}``."""
        return {
            "zones": {zone: self.counts[zone].to_dict() for zone in ZONES},
            "date": self.date.isoformat(),
            "status_known": self.status_known,
            "cases": [{"lon": c.lon, "lat": c.lat, "address": c.address} for c in self.cases],
            "notes": list(self.notes),
        }

    def to_geojson(self) -> dict[str, Any]:
        """The zones as an RFC 7946 FeatureCollection (WGS84): one feature per zone with its counts."""
        features = []
        for zone in ZONES:
            geom = self.geometries.get(zone)
            counts = self.counts[zone].to_dict()
            props = {"zone": zone, **{k: v for k, v in counts.items()}, "date": self.date.isoformat()}
            features.append(
                {
                    "type": "Feature",
                    "properties": props,
                    "geometry": mapping(geom) if geom is not None and not geom.is_empty else None,
                }
            )
        return {"type": "FeatureCollection", "features": features}

    def buildings(self) -> pd.DataFrame:
        """The zoned buildings: which zone, by which rule, for which case, how far."""
        return self.assignments[self.assignments["target"] == "building"].reset_index(drop=True)


# --- input


def case_locations(cases: Any, *, crs: str | CoordSystem | None = None) -> tuple[CaseLocation, ...]:
    """Read case points from what callers have: (x, y) pairs, shapely Points, CaseLocations, or a
    GeoDataFrame/GeoSeries of points (its own CRS wins; an ``address`` column is kept).

    Raises
    ------
    InvalidParameter
        for an empty list, a non-point geometry or a coordinate that is not a finite number.
    UnknownCRSError
        for an unknown ``crs``.
    """
    system = parse_crs(crs)
    addresses: list[str | None]
    if isinstance(cases, gpd.GeoDataFrame | gpd.GeoSeries):
        frame = cases if isinstance(cases, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=cases)
        if frame.crs is not None:
            frame = frame.to_crs(WGS84)
            system = parse_crs("wgs84")
        geoms = list(frame.geometry)
        addresses = list(frame["address"]) if "address" in frame.columns else [None] * len(geoms)
        items: list[Any] = [(g, a) for g, a in zip(geoms, addresses, strict=True)]
    elif isinstance(cases, CaseLocation | Point) or (
        isinstance(cases, Sequence) and len(cases) == 2 and all(isinstance(v, int | float) for v in cases)
    ):
        items = [(cases, None)]
    else:
        items = [(c, None) for c in (cases if isinstance(cases, Iterable) else [cases])]
    if not items:
        raise InvalidParameter("no case locations given: pass at least one (lon, lat) point")
    xs, ys, addrs = [], [], []
    for index, (item, address) in enumerate(items):
        x, y, addr = _xy(item, index)
        xs.append(x)
        ys.append(y)
        addrs.append(address if addr is None else addr)
    bad = [
        i for i, (x, y) in enumerate(zip(xs, ys, strict=True)) if not (math.isfinite(x) and math.isfinite(y))
    ]
    if bad:
        raise InvalidParameter(
            f"case coordinates must be finite numbers; cases {bad[:10]} are not "
            f"(e.g. {xs[bad[0]]!r}, {ys[bad[0]]!r})"
        )
    try:
        lons, lats = to_wgs84_xy(np.asarray(xs), np.asarray(ys), system)
    except ProjError as exc:
        raise InvalidParameter(
            f"case points cannot be converted from {system.name} to WGS84: {exc}"
        ) from None
    out_of_range = [i for i, (x, y) in enumerate(zip(lons, lats, strict=True)) if abs(x) > 180 or abs(y) > 90]
    if out_of_range:
        i = out_of_range[0]
        raise InvalidParameter(
            f"case {i} at ({lons[i]!r}, {lats[i]!r}) is not a lon/lat within ±180, ±90; "
            "are the axes swapped or the CRS wrong?"
        )
    return tuple(
        CaseLocation(float(x), float(y), a or None) for x, y, a in zip(lons, lats, addrs, strict=True)
    )


def _xy(item: Any, index: int) -> tuple[float, float, str | None]:
    if isinstance(item, CaseLocation):
        return item.lon, item.lat, item.address
    if isinstance(item, BaseGeometry):
        if not isinstance(item, Point) or item.is_empty:
            raise InvalidParameter(f"case {index} is a {item.geom_type}, expected a point")
        return item.x, item.y, None
    try:
        x, y = item
        return float(x), float(y), None
    except (TypeError, ValueError):
        raise InvalidParameter(f"case {index} is {item!r}, expected a (lon, lat) pair or a point") from None


# --- checks shared with the rings


def check_loaded_area(conn: Connection, cases: Sequence[CaseLocation], *, reach_m: float) -> None:
    """Refuse cases with no loaded building within ``reach_m``: a zone there would count nothing.

    Raises
    ------
    OutsideLoadedArea
        naming the cases (up to 5) and the loaded buildings' extent.
    """
    result = conn.execute(
        text("""
        SELECT t.ord
        FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[])) WITH ORDINALITY t(lon, lat, ord)
        WHERE NOT EXISTS (
            SELECT 1 FROM buildings b
            WHERE b.geom && ST_Expand(ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326),
                                      :r * 1.01 / (111319.0 * cos(radians(t.lat))), :r * 1.01 / 110574.0)
              AND ST_DWithin(b.geom::geography, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326)::geography, :r))
        ORDER BY 1
    """),
        {"lons": [c.lon for c in cases], "lats": [c.lat for c in cases], "r": reach_m},
    )
    outside = [int(row[0]) - 1 for row in result]
    if not outside:
        return
    extent = conn.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
            "FROM (SELECT ST_Extent(geom) e FROM buildings) x"
        )
    ).one()
    loaded = (
        "no buildings are loaded (run `battlemap load buildings` or `battlemap demo load`)"
        if extent[0] is None
        else f"buildings are loaded within {', '.join(f'{v:.4f}' for v in extent)} (WGS84)"
    )
    shown = ", ".join(f"#{i} ({cases[i].lon:.5f}, {cases[i].lat:.5f})" for i in outside[:5])
    raise OutsideLoadedArea(
        f"{len(outside)} of {len(cases)} case points have no loaded building within {reach_m:g} m: "
        f"{shown}{' …' if len(outside) > 5 else ''}; {loaded}. Check the coordinates and their CRS "
        "(GCJ-02/BD-09 points need --crs gcj02|bd09)."
    )


# --- the engine


def declare_risk_area(
    conn: Connection,
    cases: Any,
    *,
    rules: RiskRules | None = None,
    date: dt.date | None = None,
    crs: str | CoordSystem | None = None,
    geometry: bool = True,
    scope: Scope = UNRESTRICTED,
) -> RiskArea:
    """Build the sealed, control and prevention zones around one or more cases and count them.

    Parameters
    ----------
    conn
        A connection to the battlemap database (nothing is written).
    cases
        Case points: see :func:`case_locations`; in ``crs`` (default WGS84).
    rules
        Zone rules (``geo.risk.rules.load_rules``); the shipped defaults when None.
    date
        The day statuses are counted on; today in China when None.
    geometry
        Also collect each zone's footprints (for GeoJSON); off for counts only.
    scope
        Keep only the buildings and places of this area (``geo.scope``): an operator's what-if
        shows and counts nothing outside theirs. Zones are still drawn by the rules over every
        building, so the ones kept are the same as a commander sees.

    Returns
    -------
    RiskArea

    Raises
    ------
    InvalidParameter
        for no cases or malformed coordinates.
    OutsideLoadedArea
        when a case has no loaded building within the prevention radius.
    """
    rules = rules or default_rules()
    located = case_locations(cases, crs=crs)
    date = date or china_today()
    if not isinstance(date, dt.date):
        raise InvalidParameter(f"date must be a date, got {date!r}")
    with session_for(conn):
        check_loaded_area(conn, located, reach_m=rules.reach_m)
        frame = _within(conn, _assign(conn, located, rules), scope)
        covered = status_dates(conn)
        status_known = covered is not None and covered[0] <= date <= covered[1]
        counts = count_zoned(conn, frame, date=date, status_known=status_known)
        geometries = _geometries(conn, frame) if geometry else dict.fromkeys(ZONES)
    notes = []
    if not status_known:
        span = f"{covered[0]}..{covered[1]}" if covered else "none is loaded"
        notes.append(f"no house-status data on {date} ({span}): households are counted as 'unknown'")
    return RiskArea(located, date, rules, frame, counts, geometries, status_known, notes)


def within_scope(conn: Connection, area: RiskArea, scope: Scope) -> RiskArea:
    """What ``scope`` may see of ``area``: only its buildings and places, counted again, and the zones'
    footprints of those only (the area itself unchanged when unrestricted)."""
    if not scope.restricted:
        return area
    with session_for(conn):
        frame = _within(conn, area.assignments, scope)
        counts = count_zoned(conn, frame, date=area.date, status_known=area.status_known)
        geometries = _geometries(conn, frame)
    return dataclasses.replace(area, assignments=frame, counts=counts, geometries=geometries)


def _assign(conn: Connection, cases: Sequence[CaseLocation], rules: RiskRules) -> pd.DataFrame:
    params = {
        "lons": [c.lon for c in cases],
        "lats": [c.lat for c in cases],
        "lanes": [c.lane for c in cases],
        "addresses": [c.address or "" for c in cases],
        "snap_m": rules.sealed.snap_m,
        "whole_compound": rules.sealed.whole_compound,
        "same_lane": rules.sealed.same_lane,
        "control_m": rules.control.radius_m or 0.0,
        "adjoining": rules.control.adjoining_grids,
        "prevention_m": rules.prevention.radius_m,
        "clip": rules.prevention.clip_to_subdistrict,
        "reach_m": max(rules.prevention.radius_m, rules.control.radius_m or 0.0, rules.sealed.snap_m),
    }
    blob = conn.execute(text(sql_file(_SQL / "zones.sql")), {**params, "rule_names": list(_RULES)}).scalar()
    rows = np.frombuffer(bytes(blob or b""), dtype=_ASSIGNED)
    zone = np.array(ZONES, dtype=object)[rows["rank"] - 1]
    frame = pd.DataFrame(
        {
            "target": np.array(_TARGETS, dtype=object)[rows["target"]],
            "id": rows["id"].astype("int64"),
            "rank": rows["rank"].astype("int64"),
            "rule": zone + ":" + np.array(("", *_RULES), dtype=object)[rows["rule"]],
            "case": rows["case"].astype("int64") - 1,
            "distance_m": rows["distance_m"].astype("float64"),
            "zone": zone,
        }
    ).astype({"rule": "str", "zone": "str"})  # as pandas infers them, also when no row came back
    return frame.sort_values(["target", "rank", "id"], kind="stable").reset_index(drop=True)


def _within(conn: Connection, frame: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    """The rows of ``frame`` whose building or place lies in ``scope`` (all when unrestricted)."""
    if not scope.restricted or frame.empty:
        return frame
    params = {"ids": [int(i) for i in frame["id"]]} | scope.params
    buildings = conn.execute(
        text(f"SELECT b.id FROM buildings b WHERE b.id = ANY(:ids) AND {scope.buildings('b')}"), params
    ).scalars()
    places = conn.execute(
        text(f"SELECT p.id FROM places p WHERE p.id = ANY(:ids) AND {scope.covers('p.geom')}"), params
    ).scalars()
    kept = {("building", int(i)) for i in buildings} | {("place", int(i)) for i in places}
    inside = [(t, int(i)) in kept for t, i in zip(frame["target"], frame["id"], strict=True)]
    return frame[inside].reset_index(drop=True)


def _geometries(conn: Connection, frame: pd.DataFrame) -> dict[str, BaseGeometry | None]:
    buildings = frame[frame["target"] == "building"]
    out: dict[str, BaseGeometry | None] = dict.fromkeys(ZONES)
    if buildings.empty:
        return out
    # Collect the footprints, then keep their polygons as one MultiPolygon (cheaper than ST_Dump), made
    # valid in Python (``valid_zone``). Each footprint is an index lookup: joined, the planner would read
    # the ids' whole span of the table.
    rows = conn.execute(
        text("""
        SELECT t.rank, ST_AsBinary(ST_Multi(ST_CollectionExtract(ST_Collect(b.geom ORDER BY t.id), 3)))
        FROM unnest(string_to_array(:ids, ',')::bigint[], string_to_array(:ranks, ',')::int[]) AS t(id, rank)
        CROSS JOIN LATERAL (SELECT b.geom FROM buildings b WHERE b.id = t.id OFFSET 0) b
        GROUP BY t.rank
    """),
        {"ids": packed(buildings["id"]), "ranks": packed(buildings["rank"])},
    )
    for rank, wkb in rows:
        out[_RANK_ZONE[rank]] = valid_zone(shapely.from_wkb(bytes(wkb)))
    return out


def valid_zone(geom: BaseGeometry) -> BaseGeometry:
    """A zone's collected footprints as a valid MultiPolygon: each group of footprints that touch or
    overlap (common in real data; as parts of one MultiPolygon they make it invalid, and GEOS then
    refuses to intersect it) is merged into one, the other footprints kept as they are.

    Footprints are valid as loaded (``etl.validate``); finding the ones that meet through an STRtree
    and merging only those costs a fraction of a second for 10^4 footprints, where making the whole
    zone valid at once (``make_valid``, a union of everything) costs seconds."""
    parts = shapely.get_parts(shapely.get_parts(geom))
    parts = parts[shapely.get_type_id(parts) == 3]  # polygons
    left, right = shapely.STRtree(parts).query(parts, predicate="intersects")
    pairs = left != right
    if not pairs.any():
        return shapely.MultiPolygon(shapely.multipolygons(parts))
    group = _groups(left[pairs], right[pairs])
    merged = shapely.get_parts(np.array([shapely.union_all(parts[m]) for m in group.values()], dtype=object))
    alone = np.ones(len(parts), dtype=bool)
    alone[np.concatenate(list(group.values()))] = False
    pieces = np.concatenate([parts[alone], merged[shapely.get_type_id(merged) == 3]])
    return shapely.MultiPolygon(shapely.multipolygons(pieces))


def _groups(left: np.ndarray, right: np.ndarray) -> dict[int, np.ndarray]:
    """The connected groups of the pairs (``left[i]``, ``right[i]``), by a root member (union-find)."""
    root: dict[int, int] = {}

    def find(i: int) -> int:
        root.setdefault(i, i)
        while root[i] != i:
            root[i] = root[root[i]]
            i = root[i]
        return i

    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        root[find(a)] = find(b)
    members: dict[int, list[int]] = {}
    for i in root:
        members.setdefault(find(i), []).append(i)
    return {r: np.array(m) for r, m in members.items()}


def source_ids(conn: Connection, frame: pd.DataFrame) -> pd.Series:
    """The ``source_id`` of each assignment row (buildings and places)."""
    ids: dict[tuple[str, int], str] = {}
    for target, table in (("building", "buildings"), ("place", "places")):
        wanted = frame.loc[frame["target"] == target, "id"].tolist()
        if wanted:
            for row_id, sid in conn.execute(
                text(f"SELECT id, source_id FROM {table} WHERE id = ANY(:ids)"), {"ids": wanted}
            ):
                ids[(target, int(row_id))] = sid
    return pd.Series(
        [ids.get((t, int(i))) for t, i in zip(frame["target"], frame["id"], strict=True)], index=frame.index
    )
