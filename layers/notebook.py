"""The analyst's API for notebooks: the same settings, queries and colours as the app, no server.

>>> from layers.notebook import connect, read_cases, risk_rings, affected, to_folium
>>> engine = connect()                       # DATABASE_URL / BATTLEMAP_DATABASE_URL, as the app
>>> cases = read_cases(engine, date="2022-04-10")
>>> rings = risk_rings(cases, radii_m=[500, 1000, 3000])
>>> affected(engine, rings, date="2022-04-10")
>>> to_folium(rings, cases).save("rings.html")
>>> publish(rings, name="rings_0410", token=my_token, style="#d95f02", share_with=["operator"])

``publish`` (``layers.publishing``) stores a GeoDataFrame as a named overlay of the maps and the OGC
API, authored by the owner of ``token`` (an analyst's API token: ``battlemap users token NAME``);
personal columns are refused, the wall shows it once a commander approved it; ``unpublish`` deletes it.

Every reader takes an Engine (from :func:`connect`) or a Connection. Geometries are WGS84. Rings are
geodesic (true metres on the WGS84 ellipsoid, via ``pyproj.Geod``); zones come from
``geo.risk.zones.declare_risk_area``. Colours and legends are those of ``layers/style.py``.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from sqlalchemy import Connection, Engine

from geo import analysis, features
from geo.clock import china_today
from geo.db import make_engine
from geo.errors import InvalidParameter
from geo.risk.rules import MAX_RADIUS_M, RiskRules
from geo.risk.zones import RiskArea, case_locations, declare_risk_area
from geo.settings import Settings
from geo.sqlutil import Bbox
from layers.folium_offline import offline
from layers.publishing import publish, published, unpublish
from layers.style import GAP_SWATCH, STATUS_SWATCHES, ZONE_SWATCHES, Swatch, ring_swatch, status_swatch

__all__ = [
    "affected",
    "connect",
    "declare",
    "dissolve_rings",
    "publish",
    "published",
    "read_buildings",
    "read_cases",
    "read_compounds",
    "read_grids",
    "read_households",
    "responsibility_gaps",
    "risk_rings",
    "status_history",
    "to_folium",
    "unpublish",
]

_GEOD = Geod(ellps="WGS84")
RING_VERTICES = 128  # chord error r(1 - cos(pi/128)) = 0.03% of the radius
Source = Engine | Connection


def connect(url: str | None = None) -> Engine:
    """An engine on the battlemap database: ``url``, else the app's settings (DATABASE_URL)."""
    settings = Settings(database={"url": url}) if url else Settings()
    return make_engine(settings.database)


def parse_day(value: Any) -> dt.date:
    """A day from a date, a datetime or 'YYYY-MM-DD'."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidParameter(
            f"date was {value!r} but is expected to be YYYY-MM-DD, e.g. 2022-04-10"
        ) from None


@contextmanager
def _connection(source: Source) -> Iterator[Connection]:
    if isinstance(source, Connection):
        yield source
    else:
        with source.connect() as conn:
            yield conn


def _filter_unit(conn: Connection, frame: gpd.GeoDataFrame, unit: str | None) -> gpd.GeoDataFrame:
    if unit is None or frame.empty:
        return frame
    area = analysis.unit_geometry(conn, unit)
    inside = frame.geometry.representative_point().intersects(area)
    return frame[inside.to_numpy()].reset_index(drop=True)


def _bbox_for(conn: Connection, bbox: Bbox | None, unit: str | None) -> Bbox | None:
    if unit is None:
        return bbox
    minx, miny, maxx, maxy = analysis.unit_geometry(conn, unit).bounds
    if bbox is None:
        return (minx, miny, maxx, maxy)
    return (max(minx, bbox[0]), max(miny, bbox[1]), min(maxx, bbox[2]), min(maxy, bbox[3]))


def _read(source: Source, kind: str, *, bbox: Any, unit: str | None, date: Any = None) -> gpd.GeoDataFrame:
    day = parse_day(date) if date is not None else None
    with _connection(source) as conn:
        frame = features.read_features(conn, kind, bbox=_bbox_for(conn, bbox, unit), date=day)
        return _filter_unit(conn, frame, unit)


def read_buildings(source: Source, *, bbox: Bbox | None = None, unit: str | None = None) -> gpd.GeoDataFrame:
    """Building footprints, optionally in a bbox and/or an admin unit or grid (code or name)."""
    return _read(source, "buildings", bbox=bbox, unit=unit)


def read_grids(source: Source, *, bbox: Bbox | None = None, unit: str | None = None) -> gpd.GeoDataFrame:
    """Grids (网格)."""
    return _read(source, "grids", bbox=bbox, unit=unit)


def read_compounds(source: Source, *, bbox: Bbox | None = None, unit: str | None = None) -> gpd.GeoDataFrame:
    """Compounds (小区)."""
    return _read(source, "compounds", bbox=bbox, unit=unit)


def read_cases(
    source: Source, *, date: Any = None, bbox: Bbox | None = None, unit: str | None = None
) -> gpd.GeoDataFrame:
    """Located cases (reported on ``date`` when given); cases without a location are left out here."""
    frame = _read(source, "cases", bbox=bbox, unit=unit, date=date)
    return frame[~frame.geometry.isna() & ~frame.geometry.is_empty].reset_index(drop=True)


def read_households(
    source: Source,
    *,
    date: Any = None,
    bbox: Bbox | None = None,
    unit: str | None = None,
    status: str | Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Households at their building's point, with their ``status`` on ``date`` (today when None);
    ``status`` keeps only those statuses."""
    frame = _read(source, "households", bbox=bbox, unit=unit, date=date or china_today())
    if status is not None:
        wanted = [status] if isinstance(status, str) else list(status)
        for code in wanted:
            status_swatch(code)  # KeyError naming the statuses for an unknown code
        frame = frame[frame["status"].isin(wanted)].reset_index(drop=True)
    return frame


def responsibility_gaps(source: Source, *, bbox: Bbox | None = None) -> gpd.GeoDataFrame:
    """Buildings missing a required level of the responsibility chain, and which (geo.analysis)."""
    with _connection(source) as conn:
        return analysis.responsibility_gaps(conn, bbox=bbox)


def status_history(source: Source, *, compound: str | int, start: Any, end: Any) -> pd.DataFrame:
    """A compound's households by status, day by day (geo.analysis.status_history)."""
    with _connection(source) as conn:
        return analysis.status_history(conn, compound=compound, start=parse_day(start), end=parse_day(end))


def declare(source: Source, cases: Any, *, date: Any = None, rules: RiskRules | None = None) -> RiskArea:
    """The sealed/control/prevention zones and counts around ``cases`` (computed, not stored)."""
    with _connection(source) as conn:
        return declare_risk_area(conn, cases, date=parse_day(date) if date else None, rules=rules)


def risk_rings(
    points: Any, radii_m: Sequence[float] = (500, 1000, 3000), *, crs: str = "wgs84"
) -> gpd.GeoDataFrame:
    """Geodesic rings around points: one row per (point, ring), the ring between the previous radius and this.

    Parameters
    ----------
    points
        What ``geo.risk.case_locations`` reads: (lon, lat) pairs, shapely Points, a GeoDataFrame.
        An empty frame or list gives an empty, labelled result (``attrs["note"]``).
    radii_m
        Outer radii in metres, each > 0 and <= 50 km; sorted and de-duplicated.

    Returns
    -------
    GeoDataFrame
        ``point`` (index of the point), ``ring`` (label, e.g. ``"0-500 m"``), ``inner_m``, ``radius_m``;
        WGS84 polygons whose vertices lie on the geodesic circles.

    Raises
    ------
    InvalidParameter
        for no radii, or a radius that is not a finite number in (0, 50 km].
    """
    radii = _radii(radii_m)
    columns = ["point", "ring", "inner_m", "radius_m"]
    if _is_empty(points):
        empty = gpd.GeoDataFrame({c: [] for c in columns}, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
        empty.attrs["note"] = "no points given: no rings"
        return empty
    located = case_locations(points, crs=crs)
    lons = np.array([c.lon for c in located])
    lats = np.array([c.lat for c in located])
    azimuths = np.linspace(0.0, 360.0, RING_VERTICES, endpoint=False)
    disks: list[np.ndarray] = []
    for radius in radii:
        lon_grid = np.repeat(lons, RING_VERTICES)
        lat_grid = np.repeat(lats, RING_VERTICES)
        az = np.tile(azimuths, len(located))
        x, y, _ = _GEOD.fwd(lon_grid, lat_grid, az, np.full(az.shape, radius))
        coords = np.stack([x, y], axis=1).reshape(len(located), RING_VERTICES, 2)
        coords = np.concatenate([coords, coords[:, :1, :]], axis=1)
        disks.append(np.asarray(shapely.polygons(coords)))  # an array: one disk per point
    rows, geoms = [], []
    for k, radius in enumerate(radii):
        inner = radii[k - 1] if k else 0.0
        shapes = disks[k] if k == 0 else shapely.difference(disks[k], disks[k - 1])
        label = f"{inner:g}-{radius:g} m"
        for i in range(len(located)):
            rows.append((i, label, inner, radius))
            geoms.append(shapes[i])
    frame = pd.DataFrame(rows, columns=columns)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")


def dissolve_rings(rings: gpd.GeoDataFrame, *, simplify_m: float = 0.0) -> gpd.GeoDataFrame:
    """Rings of :func:`risk_rings` merged per radius: one row per ring (``ring``, ``inner_m``,
    ``radius_m``, ``points``), the area within that distance of any point and beyond the inner
    ones. A few shapes instead of one per point and ring: a small file, and no ring drawn over
    another. ``simplify_m`` > 0 simplifies them by that many metres: for drawing only, since a
    boundary moved by a few metres changes what a ring counts."""
    columns = ["ring", "inner_m", "radius_m", "points"]
    if rings.empty:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=gpd.GeoSeries([], crs="EPSG:4326"))
    order = rings.drop_duplicates("ring").sort_values("radius_m")
    tolerance = simplify_m / 111_320.0  # degrees of latitude; enough for a drawing tolerance
    rows, geoms, inner = [], [], None
    for _, ring in order.iterrows():
        mine = rings[rings["radius_m"] <= ring["radius_m"]]
        disk = shapely.union_all(mine.geometry.to_numpy())
        shape = disk if inner is None else shapely.difference(disk, inner)
        rows.append((ring["ring"], ring["inner_m"], ring["radius_m"], int(rings["point"].nunique())))
        geoms.append(shapely.simplify(shape, tolerance) if simplify_m > 0 else shape)
        inner = disk
    frame = pd.DataFrame(rows, columns=columns)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")


def _is_empty(points: Any) -> bool:
    if isinstance(points, gpd.GeoDataFrame | gpd.GeoSeries | pd.DataFrame):
        return len(points) == 0
    return isinstance(points, list | tuple) and len(points) == 0


def _radii(radii_m: Sequence[float]) -> list[float]:
    try:
        values = sorted({float(r) for r in radii_m})
    except (TypeError, ValueError):
        raise InvalidParameter(f"`radii_m` was {radii_m!r} but is expected to be numbers of metres") from None
    if not values:
        raise InvalidParameter("`radii_m` is empty: give at least one radius in metres, e.g. [500, 1000]")
    bad = [r for r in values if not (math.isfinite(r) and 0 < r <= MAX_RADIUS_M)]
    if bad:
        raise InvalidParameter(
            f"`radii_m` holds {bad} but every radius is expected to be a number of metres "
            f"in (0, {MAX_RADIUS_M:g}]"
        )
    return values


def affected(source: Source, zones_or_rings: Any, *, date: Any = None) -> pd.DataFrame:
    """What lies in zones or rings: one row per zone/ring, each building, household, place and person
    counted once, in the first (strictest) zone or innermost ring it meets.

    Parameters
    ----------
    zones_or_rings
        A ``RiskArea``, the rings of :func:`risk_rings`, or any GeoDataFrame of polygons with a
        ``zone`` or ``ring`` column (row order ranks them) or neither (each row its own label).
    date
        The day households' statuses are counted on (today when None).

    Returns
    -------
    DataFrame
        Indexed by zone/ring: ``buildings``, ``households``, ``elderly_alone``, ``disabled``,
        ``vulnerable``, ``places``, ``people``, then ``status:<code>`` and ``place:<kind>`` columns;
        ``attrs["status_known"]`` is False when no status data covers the date.
    """
    index_name = "zone"  # or "ring", for rings: a distance is not a zone
    if isinstance(zones_or_rings, RiskArea):
        counts, known = zones_or_rings.counts, zones_or_rings.status_known
    else:
        frame = zones_or_rings
        if not isinstance(frame, gpd.GeoDataFrame):
            raise InvalidParameter(
                f"expected a RiskArea or a GeoDataFrame of zones or rings, got {type(frame).__name__}"
            )
        if frame.empty:
            result = pd.DataFrame(columns=["buildings", "households"])
            result.attrs["note"] = "no zones or rings given"
            return result
        frame = frame.to_crs("EPSG:4326") if frame.crs is not None else frame
        label = "zone" if "zone" in frame.columns else "ring" if "ring" in frame.columns else None
        labels = [str(v) for v in frame[label]] if label else [str(i) for i in range(len(frame))]
        index_name = "ring" if label == "ring" else "zone"
        day = parse_day(date) if date is not None else china_today()
        with _connection(source) as conn:
            _, counts, known = analysis.counts_in_polygons(conn, list(frame.geometry), labels, date=day)
    rows = {}
    for name, c in counts.items():
        row: dict[str, Any] = {
            k: getattr(c, k)
            for k in (
                "buildings",
                "households",
                "elderly_alone",
                "disabled",
                "vulnerable",
                "places",
                "people",
            )
        }
        row |= {f"status:{k}": v for k, v in c.households_by_status.items()}
        row |= {f"place:{k}": v for k, v in c.places_by_kind.items()}
        rows[name] = row
    result = pd.DataFrame.from_dict(rows, orient="index").fillna(0)
    result = result.astype({c: "int64" for c in result.columns})
    result.index.name = index_name
    result.attrs["status_known"] = known
    return result


# --- folium


def _swatch_for(frame: gpd.GeoDataFrame, row: pd.Series, index: int) -> Swatch | None:
    if "zone" in frame.columns and row.get("zone") in {s.code for s in ZONE_SWATCHES}:
        return next(s for s in ZONE_SWATCHES if s.code == row["zone"])
    if "ring" in frame.columns:  # distance rings: labelled as rings, never as sealed/control zones
        rings = list(dict.fromkeys(frame["ring"]))
        return ring_swatch(rings.index(row["ring"]), str(row["ring"]))
    if "status" in frame.columns and row.get("status") in {s.code for s in STATUS_SWATCHES}:
        return status_swatch(row["status"])
    if "reported_on" in frame.columns:  # cases
        return status_swatch("confirmed")
    if "missing" in frame.columns:  # responsibility gaps
        return GAP_SWATCH
    return None


def to_folium(
    *layers: Any, m: folium.Map | None = None, language: str = "zh", tiles: str | None = None
) -> folium.Map:
    """Draw GeoDataFrames (zones, rings, buildings, households, cases…) or a RiskArea on a folium map,
    coloured as the app (layers/style.py), with one legend of what is drawn.

    ``tiles=None`` draws no web basemap (offline); pass e.g. ``"OpenStreetMap"`` for one. The page
    inlines Leaflet and links no CDN (``layers.folium_offline``), so it opens on an intranet.
    """
    found = [_as_frame(layer) for layer in layers]
    frames = [f for f in found if f is not None and not f.empty]
    if m is None:
        if frames:
            bounds = np.array([f.total_bounds for f in frames])
            minx, miny = bounds[:, 0].min(), bounds[:, 1].min()
            maxx, maxy = bounds[:, 2].max(), bounds[:, 3].max()
        else:
            minx, miny, maxx, maxy = 121.48, 31.22, 121.52, 31.25
        m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=14, tiles=tiles)
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    used: dict[str, Swatch] = {}
    for frame in frames:
        swatches = [_swatch_for(frame, row, i) for i, (_, row) in enumerate(frame.iterrows())]
        for swatch in swatches:
            if swatch is not None:
                used.setdefault(swatch.code, swatch)
        _draw(m, frame, swatches, language)
    if used:
        # a map's root is its Figure (branca types get_root() as any Element)
        cast(folium.Figure, m.get_root()).html.add_child(
            folium.Element(_legend_html(list(used.values()), language))
        )
    return offline(m)


def _as_frame(layer: Any) -> gpd.GeoDataFrame | None:
    if isinstance(layer, RiskArea):
        collection = layer.to_geojson()
        features = [f for f in collection["features"] if f["geometry"] is not None]
        if not features:
            return None
        frame = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
        return frame[["zone", "buildings", "households", "geometry"]]
    if isinstance(layer, gpd.GeoDataFrame):
        return layer.to_crs("EPSG:4326") if layer.crs is not None else layer
    raise InvalidParameter(f"to_folium draws GeoDataFrames and RiskAreas, got {type(layer).__name__}")


def _draw(m: folium.Map, frame: gpd.GeoDataFrame, swatches: list[Swatch | None], language: str) -> None:
    """One GeoJson layer per frame: each feature styled by its swatch, with a tooltip of its fields."""
    fields = [c for c in frame.columns if c != frame.geometry.name and frame[c].map(_shown).all()][:6]
    drawn = gpd.GeoDataFrame(
        frame[fields]
        .astype(str)
        .assign(
            _fill=[s.fill if s else "#7f7f7f" for s in swatches],
            _outline=[s.outline if s else "#404040" for s in swatches],
            _label=[s.label(language) if s else "" for s in swatches],
        ),
        geometry=frame.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    drawn = drawn[~drawn.geometry.isna() & ~drawn.geometry.is_empty]
    if drawn.empty:
        return

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        props = feature["properties"]
        return {"color": props["_outline"], "weight": 1, "fillColor": props["_fill"], "fillOpacity": 0.5,
                "radius": 5}  # fmt: skip

    tooltip = folium.GeoJsonTooltip(fields=["_label", *fields], aliases=["", *fields]) if fields else None
    folium.GeoJson(
        drawn.to_json(), style_function=style, tooltip=tooltip, marker=folium.CircleMarker(radius=5)
    ).add_to(m)


def _shown(value: Any) -> bool:
    return (
        value is not None
        and not (isinstance(value, float) and math.isnan(value))
        and not isinstance(value, list)
    )


def _legend_html(swatches: list[Swatch], language: str) -> str:
    items = "".join(
        f'<div><span style="display:inline-block;width:12px;height:12px;margin-right:6px;'
        f'background:{s.fill};border:1px solid {s.outline}"></span>{html.escape(s.label(language))}</div>'
        for s in swatches
    )
    return (
        '<div class="battlemap-legend" style="position:fixed;bottom:24px;left:24px;z-index:9999;'
        'background:#fff;padding:8px 10px;border:1px solid #999;font:12px sans-serif">'
        f"{items}</div>"
    )
