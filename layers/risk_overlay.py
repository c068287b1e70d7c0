"""The risk-zone overlay of the house-status map: MapLibre layers for a GeoJSON source of zones.

Zones are few polygons (the footprints of the zoned buildings, per zone), so they travel as GeoJSON
rather than tiles. Stored (declared) zones draw a translucent fill and a solid outline in their zone
colour; a simulated ("what if") zone draws a dashed outline, so the two never look alike. Colours
come from ``layers.style.ZONE_SWATCHES`` only.
"""

from __future__ import annotations

from layers.style import ZONE_SWATCHES

AREAS_SOURCE = "risk-areas"
SIMULATED_SOURCE = "risk-simulated"


def zone_colour(*, outline: bool = False, dark: bool = False) -> list:
    """A MapLibre expression: the fill (or outline) colour of a feature's ``zone``."""
    match: list = ["match", ["coalesce", ["get", "zone"], ""]]
    for swatch in ZONE_SWATCHES:
        match += [swatch.code, swatch.outline if outline else (swatch.dark_fill if dark else swatch.fill)]
    fallback = ZONE_SWATCHES[0]  # a published area matched to the map: drawn as the strictest zone
    return [*match, fallback.outline if outline else (fallback.dark_fill if dark else fallback.fill)]


def style(*, source: str, simulated: bool = False, dark: bool = False) -> list[dict]:
    """Fill, outline and (for published areas known only by a point) a circle, for one zone source."""
    line: dict = {"line-color": zone_colour(outline=True, dark=dark), "line-width": 3 if simulated else 2.5}
    if simulated:
        line["line-dasharray"] = [2, 1]
    # MapLibre reports a MultiPolygon as "Polygon" or "MultiPolygon" depending on its version.
    polygons = ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]]
    points = ["in", ["geometry-type"], ["literal", ["Point", "MultiPoint"]]]
    return [
        {"id": f"{source}-fill", "type": "fill", "source": source, "filter": polygons,
         "paint": {"fill-color": zone_colour(dark=dark), "fill-opacity": 0.18 if simulated else 0.28}},
        {"id": f"{source}-line", "type": "line", "source": source, "filter": polygons, "paint": line},
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
