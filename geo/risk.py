"""Risk areas from cases: the sealed, control and prevention zones (封控区/管控区/防范区) and what they hold.

``declare_risk_area(conn, cases, rules=...)`` puts every building (and place) near the cases in the
strictest zone a rule gives it, whole (never cut), with the rule and the case that put it there,
then counts per zone: buildings, households by status on the date, vulnerable households, places
by kind and the responsible people (codes and chain levels only). Distances are true metres on the
WGS84 ellipsoid: each footprint is measured around the case with the ellipsoid's radii of curvature at
the mean latitude (within 2e-6 of ``pyproj.Geod`` up to 50 km), places with PostGIS geography; the
SQL is in ``geo/sql/risk_*.sql``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj.exceptions import ProjError
from shapely.geometry import Point, mapping
from sqlalchemy import Connection, text

from geo.address import match_key
from geo.crs import WGS84, CoordSystem, parse_crs, to_wgs84_xy
from geo.errors import InvalidParameter, OutsideLoadedArea
from geo.queries import _SEVERITY_ORDER, _VALID_ON, _sql
from geo.risk_rules import RiskRules, default_rules
from geo.vocab import STATUS_CODES, ZONE_KINDS

ZONES: tuple[str, ...] = tuple(z.code for z in ZONE_KINDS)
_RANK_ZONE = dict(enumerate(ZONES, start=1))
CHINA_TZ = dt.timezone(dt.timedelta(hours=8))

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
class ZoneCounts:
    """What one zone holds; every building, household, place and person in one zone only."""

    zone: str
    buildings: int = 0
    households: int = 0
    households_by_status: dict[str, int] = field(default_factory=dict)
    elderly_alone: int = 0
    disabled: int = 0
    vulnerable: int = 0
    places: int = 0
    places_by_kind: dict[str, int] = field(default_factory=dict)
    people: int = 0
    people_by_level: dict[str, int] = field(default_factory=dict)
    responsible: list[dict[str, str]] = field(default_factory=list)
    rules: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "zone"}


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
    geometries: dict[str, shapely.Geometry | None]
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
    if isinstance(item, shapely.Geometry):
        if not isinstance(item, Point) or item.is_empty:
            raise InvalidParameter(f"case {index} is a {item.geom_type}, expected a point")
        return item.x, item.y, None
    try:
        x, y = item
        return float(x), float(y), None
    except (TypeError, ValueError):
        raise InvalidParameter(f"case {index} is {item!r}, expected a (lon, lat) pair or a point") from None


def default_date() -> dt.date:
    """Today in China (UTC+8): the date statuses are read on when none is given."""
    return dt.datetime.now(CHINA_TZ).date()


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


def status_coverage(conn: Connection) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day any house-status stretch covers (None, None when none is loaded)."""
    first, last = conn.execute(
        text("SELECT min(valid_from), max(GREATEST(valid_from, valid_to - 1)) FROM house_status")
    ).one()
    return first, last


# --- the engine


def declare_risk_area(
    conn: Connection,
    cases: Any,
    *,
    rules: RiskRules | None = None,
    date: dt.date | None = None,
    crs: str | CoordSystem | None = None,
    geometry: bool = True,
) -> RiskArea:
    """Build the sealed, control and prevention zones around one or more cases and count them.

    Parameters
    ----------
    conn
        A connection to the battlemap database (nothing is written).
    cases
        Case points: see :func:`case_locations`; in ``crs`` (default WGS84).
    rules
        Zone rules (``geo.risk_rules.load_rules``); the shipped defaults when None.
    date
        The day statuses are counted on; today in China when None.
    geometry
        Also collect each zone's footprints (for GeoJSON); off for counts only.

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
    date = date or default_date()
    if not isinstance(date, dt.date):
        raise InvalidParameter(f"date must be a date, got {date!r}")
    check_loaded_area(conn, located, reach_m=rules.reach_m)
    frame = _assign(conn, located, rules)
    first, last = status_coverage(conn)
    status_known = first is not None and first <= date <= last
    notes = []
    if not status_known:
        span = f"{first}..{last}" if first else "none is loaded"
        notes.append(f"no house-status data on {date} ({span}): households are counted as 'unknown'")
    counts = count_zoned(conn, frame, date=date, status_known=status_known)
    geometries = _geometries(conn, frame) if geometry else dict.fromkeys(ZONES)
    return RiskArea(located, date, rules, frame, counts, geometries, status_known, notes)


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
    rows = conn.execute(text(_sql("risk_zones")), params).all()
    frame = pd.DataFrame(
        [tuple(r) for r in rows], columns=["target", "id", "rank", "rule", "case", "distance_m"]
    ).astype({"id": "int64", "rank": "int64", "case": "int64", "distance_m": "float64"})
    frame["zone"] = frame["rank"].map(_RANK_ZONE)
    frame["rule"] = frame["zone"] + ":" + frame["rule"]
    frame["case"] = frame["case"] - 1
    return frame.sort_values(["target", "rank", "id"], kind="stable").reset_index(drop=True)


def count_zoned(
    conn: Connection,
    frame: pd.DataFrame,
    *,
    date: dt.date,
    status_known: bool,
    labels: dict[int, str] = _RANK_ZONE,
) -> dict[str, ZoneCounts]:
    """Counts per label of zoned buildings and places.

    ``frame`` has one row per building or place (``target``, ``id``, ``rank``, ``zone``), each in one
    zone only; ``labels`` names the ranks (1 = the strictest). Households are counted by their
    status on ``date`` (``unknown`` unless ``status_known``).
    """
    counts = {label: ZoneCounts(label) for label in labels.values()}
    buildings = frame[frame["target"] == "building"]
    places = frame[frame["target"] == "place"]
    for zone, group in buildings.groupby("zone"):
        counts[str(zone)].buildings = len(group)
        if "rule" in group.columns:
            counts[str(zone)].rules = {
                str(k): int(v) for k, v in group["rule"].value_counts().sort_index().items()
            }
    if not buildings.empty:
        params = {"ids": buildings["id"].tolist(), "ranks": buildings["rank"].tolist()}
        sql = (
            _sql("risk_counts")
            .replace("{valid}", _VALID_ON.format(s="s"))
            .replace("{order}", _SEVERITY_ORDER.format(s="s"))
            .replace(
                "{status}", "COALESCE(own.status, bld.status, 'normal')" if status_known else "'unknown'"
            )
        )
        dated = {"date": date, "severity": list(STATUS_CODES)}
        for rank, status, n, elderly, disabled, vulnerable in conn.execute(text(sql), {**params, **dated}):
            c = counts[labels[rank]]
            c.households += n
            c.households_by_status[status] = n
            c.elderly_alone += elderly
            c.disabled += disabled
            c.vulnerable += vulnerable
        for c in counts.values():
            order = {s: i for i, s in enumerate(STATUS_CODES)}
            c.households_by_status = dict(
                sorted(c.households_by_status.items(), key=lambda kv: order.get(kv[0], len(order)))
            )
        people: dict[str, tuple[int, str]] = {}
        for rank, code, level in conn.execute(text(_sql("risk_people")), params):
            people.setdefault(code, (rank, level))  # ordered by rank: the strictest zone first
        for code, (rank, level) in sorted(people.items(), key=lambda kv: (kv[1][0], kv[1][1], kv[0])):
            c = counts[labels[rank]]
            c.responsible.append({"code": code, "level": level})
            c.people_by_level[level] = c.people_by_level.get(level, 0) + 1
            c.people += 1
    if not places.empty:
        kinds = dict(
            conn.execute(
                text("SELECT id, kind FROM places WHERE id = ANY(:ids)"), {"ids": places["id"].tolist()}
            ).all()
        )
        for zone, group in places.groupby("zone"):
            c = counts[str(zone)]
            c.places = len(group)
            c.places_by_kind = {
                str(k): int(v) for k, v in group["id"].map(kinds).value_counts().sort_index().items()
            }
    return counts


def _geometries(conn: Connection, frame: pd.DataFrame) -> dict[str, shapely.Geometry | None]:
    buildings = frame[frame["target"] == "building"]
    out: dict[str, shapely.Geometry | None] = dict.fromkeys(ZONES)
    if buildings.empty:
        return out
    rows = conn.execute(
        text("""
        SELECT t.rank, ST_AsBinary(ST_Multi(ST_Collect(d.geom ORDER BY b.id, d.path)))
        FROM unnest(CAST(:ids AS bigint[]), CAST(:ranks AS int[])) AS t(id, rank)
        JOIN buildings b ON b.id = t.id CROSS JOIN LATERAL ST_Dump(b.geom) AS d GROUP BY t.rank
    """),
        {"ids": buildings["id"].tolist(), "ranks": buildings["rank"].tolist()},
    )
    for rank, wkb in rows:
        out[_RANK_ZONE[rank]] = shapely.from_wkb(bytes(wkb))
    return out


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
