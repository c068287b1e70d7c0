"""The risk-zone overlay of the house-status map: MapLibre layers for a GeoJSON source of zones, drawn
the way the printed risk atlas draws them.

Zones are few polygons (the footprints of the zoned buildings, per zone), so they travel as GeoJSON
rather than tiles. As on the atlas's risk sheets, each zone gets one boundary (``geo.risk.outline``:
the gaps between its buildings closed) drawn bold over a white halo, strictest zone on top, with
the zone's fill as a wash inside; its buildings are outlined in the zone's colour rather than
filled, so the house status under them stays readable (the atlas's risk sheet has no status to
keep). A simulated ("what if") zone draws a dashed boundary and a lighter wash, so the two never
look alike. Colours come from ``layers.style.ZONE_SWATCHES`` only.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from geo.risk.outline import zone_hulls
from layers.style import BASEMAP, PRINT, ZONE_SWATCHES

AREAS_SOURCE = "risk-areas"
SIMULATED_SOURCE = "risk-simulated"
BOUNDARY, WASH = "boundary", "wash"
"""``properties.part`` of a zone's boundary and wash features (the others are its buildings)."""
PARTS = (BOUNDARY, WASH)
UNDER = "battlemap:under"
"""Style-layer metadata: draw this layer under the map's tile layers (``dashboards._map.map_spec``)."""
SCREEN_TOLERANCE_M = 1.5
"""Boundaries and washes are drawn simplified by this much: a lighter overlay, the same at a glance."""
_ORDER = {s.code: rank for rank, s in enumerate(ZONE_SWATCHES)}  # sealed first: the strictest


def zone_colour(*, outline: bool = False, dark: bool = False) -> list:
    """A MapLibre expression: the fill (or outline) colour of a feature's ``zone``."""
    match: list = ["match", ["coalesce", ["get", "zone"], ""]]
    for swatch in ZONE_SWATCHES:
        match += [swatch.code, swatch.outline if outline else (swatch.dark_fill if dark else swatch.fill)]
    fallback = ZONE_SWATCHES[0]  # a published area matched to the map: drawn as the strictest zone
    return [*match, fallback.outline if outline else (fallback.dark_fill if dark else fallback.fill)]


@lru_cache(maxsize=512)
def _hull(geometry: str) -> BaseGeometry | None:
    """The screen boundary of one zone (a GeoJSON geometry's text): stored zones never change, so a
    day played on the slider again, or another viewer of the same day, costs nothing."""
    found = zone_hulls([shape(json.loads(geometry))], tolerance_m=SCREEN_TOLERANCE_M)[0]
    return None if found is None else shapely.set_precision(found, 1e-6)


def with_boundaries(collection: dict[str, Any]) -> dict[str, Any]:
    """The collection with, per declared zone, its boundary (``part: "boundary"``: the area
    :func:`geo.risk.outline.zone_hulls` gives, drawn as a line) and its wash (``part: "wash"``: that
    area less the area's stricter zones, drawn as a fill under the map's buildings, so no house
    status is tinted and no zone over another), every feature ordered loosest zone first so the
    strictest is drawn on top."""
    features = [f for f in collection.get("features", []) if f["properties"].get("part") not in PARTS]
    zoned = [f for f in features if f["properties"].get("zone") and f.get("geometry")]
    hulls = [_hull(json.dumps(f["geometry"], sort_keys=True)) for f in zoned]
    by_area: dict[Any, list[tuple[dict, Any]]] = {}
    for feature, hull in zip(zoned, hulls, strict=True):
        if hull is not None:
            by_area.setdefault(feature["properties"].get("risk_area_id"), []).append((feature, hull))
    extra: list[dict] = []
    for zones in by_area.values():
        zones.sort(key=lambda item: _ORDER.get(item[0]["properties"]["zone"], len(_ORDER)))
        stricter = None
        for feature, hull in zones:
            props = feature["properties"]
            outline = hull
            extra.append(
                {"type": "Feature", "properties": {**props, "part": BOUNDARY}, "geometry": mapping(outline)}
            )
            wash = outline if stricter is None else shapely.difference(outline, stricter)
            if not wash.is_empty:
                extra.append(
                    {"type": "Feature", "properties": {**props, "part": WASH}, "geometry": mapping(wash)}
                )
            stricter = outline if stricter is None else shapely.union(stricter, outline)

    def loosest_first(feature: dict) -> int:
        return -_ORDER.get(feature["properties"].get("zone") or "", -1)

    return {**collection, "features": sorted(features, key=loosest_first) + sorted(extra, key=loosest_first)}


def style(*, source: str, simulated: bool = False, dark: bool = False) -> list[dict]:
    """Per zone source: each zone's wash (its fill, under the map's buildings), its buildings outlined
    in the zone's colour (their house status stays readable), a white halo and the bold boundary;
    published areas matched to the map as a faint fill and line, or (known only by a point) a circle."""
    boundary = ["==", ["get", "part"], BOUNDARY]
    wash = ["==", ["get", "part"], WASH]
    # MapLibre reports a MultiPolygon as "Polygon" or "MultiPolygon" depending on its version.
    polygons = ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]]
    zoned = ["to-boolean", ["get", "zone"]]  # a published area matched to the map has no zone
    zones = ["all", polygons, boundary]
    part = ["to-boolean", ["get", "part"]]
    buildings = ["all", polygons, ["!", part], zoned]
    published = ["all", polygons, ["!", part], ["!", zoned]]
    points = ["in", ["geometry-type"], ["literal", ["Point", "MultiPoint"]]]
    # The boundary in the zone's fill colour (red, orange, light orange: apart at a glance; the
    # outline colours are three dark reds), over a white halo so it reads on any status colour.
    line: dict = {"line-color": zone_colour(dark=dark), "line-width": 3.5 if simulated else 3}
    if simulated:
        line["line-dasharray"] = [2, 1]
    halo = BASEMAP["dark_background"] if dark else PRINT["halo"]
    return [
        {"id": f"{source}-fill", "type": "fill", "source": source,
         "filter": ["any", ["all", polygons, wash], published], "metadata": {UNDER: True},
         "paint": {"fill-color": zone_colour(dark=dark), "fill-opacity": 0.12 if simulated else 0.22}},
        {"id": f"{source}-buildings", "type": "line", "source": source, "filter": buildings,
         "paint": {"line-color": zone_colour(outline=True, dark=dark), "line-width": 1.5}},
        {"id": f"{source}-halo", "type": "line", "source": source, "filter": zones,
         "paint": {"line-color": halo, "line-width": 6 if simulated else 5.5, "line-opacity": 0.9}},
        {"id": f"{source}-line", "type": "line", "source": source, "filter": ["any", zones, published],
         "paint": line},
        {"id": f"{source}-point", "type": "circle", "source": source,
         "filter": points,
         "paint": {"circle-radius": 8, "circle-color": zone_colour(dark=dark), "circle-opacity": 0.6,
                   "circle-stroke-color": zone_colour(outline=True, dark=dark), "circle-stroke-width": 2}},
    ]  # fmt: skip


def overlay_layers(*, dark: bool = False) -> dict[str, list[dict]]:
    """The house-status map's two zone sources (stored areas, then the simulation on top) and layers."""
    return {
        AREAS_SOURCE: style(source=AREAS_SOURCE, dark=dark),
        SIMULATED_SOURCE: style(source=SIMULATED_SOURCE, simulated=True, dark=dark),
    }
