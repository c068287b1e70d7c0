"""The risk-zone overlay of the house-status map: MapLibre layers for a GeoJSON source of zones, drawn
the way the printed risk atlas draws them.

Zones are few polygons (the footprints of the zoned buildings, per zone), so they travel as GeoJSON
rather than tiles. As on the atlas's risk sheets, the zoned buildings are filled in their zone's
colour and each zone gets one boundary (``geo.risk.outline``: the gaps between its buildings
closed) drawn bold over a white halo, with a faint wash inside, strictest zone on top. A simulated
("what if") zone draws a dashed boundary and lighter fills, so the two never look alike. Colours
come from ``layers.style.ZONE_SWATCHES`` only.
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import mapping, shape

from geo.risk.outline import zone_hulls
from layers.style import BASEMAP, PRINT, ZONE_SWATCHES

AREAS_SOURCE = "risk-areas"
SIMULATED_SOURCE = "risk-simulated"
BOUNDARY = "boundary"
"""``properties.part`` of a zone's boundary feature (the others are its buildings' footprints)."""
_ORDER = {s.code: rank for rank, s in enumerate(ZONE_SWATCHES)}  # sealed first: the strictest


def zone_colour(*, outline: bool = False, dark: bool = False) -> list:
    """A MapLibre expression: the fill (or outline) colour of a feature's ``zone``."""
    match: list = ["match", ["coalesce", ["get", "zone"], ""]]
    for swatch in ZONE_SWATCHES:
        match += [swatch.code, swatch.outline if outline else (swatch.dark_fill if dark else swatch.fill)]
    fallback = ZONE_SWATCHES[0]  # a published area matched to the map: drawn as the strictest zone
    return [*match, fallback.outline if outline else (fallback.dark_fill if dark else fallback.fill)]


def with_boundaries(collection: dict[str, Any]) -> dict[str, Any]:
    """The collection with one boundary feature per declared zone (``part: "boundary"``, the zone's
    properties, the area :func:`geo.risk.outline.zone_hulls` gives), and every feature ordered
    loosest zone first so the strictest is drawn on top."""
    features = [f for f in collection.get("features", []) if f["properties"].get("part") != BOUNDARY]
    zoned = [f for f in features if f["properties"].get("zone") and f.get("geometry")]
    hulls = zone_hulls([shape(f["geometry"]) for f in zoned])
    boundaries = [
        {
            "type": "Feature",
            "properties": {**f["properties"], "part": BOUNDARY},
            "geometry": dict(mapping(hull)),
        }
        for f, hull in zip(zoned, hulls, strict=True)
        if hull is not None
    ]

    def loosest_first(feature: dict) -> int:
        return -_ORDER.get(feature["properties"].get("zone") or "", -1)

    return {
        **collection,
        "features": sorted(features, key=loosest_first) + sorted(boundaries, key=loosest_first),
    }


def style(*, source: str, simulated: bool = False, dark: bool = False) -> list[dict]:
    """Zoned buildings filled, then each zone's wash, halo and boundary, and (for published areas
    known only by a point) a circle, for one zone source."""
    boundary = ["==", ["get", "part"], BOUNDARY]
    polygons = ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]]
    # MapLibre reports a MultiPolygon as "Polygon" or "MultiPolygon" depending on its version.
    buildings = ["all", polygons, ["!", boundary]]
    zones = ["all", polygons, boundary]
    points = ["in", ["geometry-type"], ["literal", ["Point", "MultiPoint"]]]
    line: dict = {"line-color": zone_colour(outline=True, dark=dark), "line-width": 3 if simulated else 2.5}
    if simulated:
        line["line-dasharray"] = [2, 1]
    halo = BASEMAP["dark_background"] if dark else PRINT["halo"]
    zoned = ["to-boolean", ["get", "zone"]]  # a published area matched to the map has none: a faint fill
    fill = 0.45 if simulated else 0.85
    return [
        {"id": f"{source}-fill", "type": "fill", "source": source, "filter": buildings,
         "paint": {"fill-color": zone_colour(dark=dark), "fill-opacity": ["case", zoned, fill, 0.15],
                   "fill-outline-color": zone_colour(outline=True, dark=dark)}},
        {"id": f"{source}-wash", "type": "fill", "source": source, "filter": zones,
         "paint": {"fill-color": zone_colour(dark=dark), "fill-opacity": 0.08 if simulated else 0.12}},
        {"id": f"{source}-halo", "type": "line", "source": source, "filter": zones,
         "paint": {"line-color": halo, "line-width": 6 if simulated else 5.5, "line-opacity": 0.9}},
        {"id": f"{source}-line", "type": "line", "source": source, "filter": zones, "paint": line},
        {"id": f"{source}-area-line", "type": "line", "source": source,
         "filter": ["all", polygons, ["!", boundary], ["!", zoned]],
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
