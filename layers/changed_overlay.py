"""The wall's "what changed" overlay: a ring around each recently changed building, drawn below
building zoom too, so the city overview (grid aggregates, no footprints) still shows where the
changes are. From building zoom on, the map's highlight layer outlines the footprints themselves.
The colour is ``layers.style.CHANGED_SWATCH``'s, the same as that highlight and the legend's.
"""

from __future__ import annotations

from collections.abc import Iterable

from geo.status.read import FoundBuilding
from geo.tiles import BUILDING_ZOOM
from layers.style import CHANGED_SWATCH

CHANGED_SOURCE = "changed"


def style(*, dark: bool = False) -> list[dict]:
    """A hollow ring in the change colour at each changed building, below building zoom."""
    colour = CHANGED_SWATCH.dark_fill if dark else CHANGED_SWATCH.fill
    return [
        {"id": f"{CHANGED_SOURCE}-ring", "type": "circle", "source": CHANGED_SOURCE, "maxzoom": BUILDING_ZOOM,
         "paint": {"circle-radius": 9, "circle-color": "rgba(0, 0, 0, 0)", "circle-stroke-color": colour,
                   "circle-stroke-width": 3}},
    ]  # fmt: skip


def overlay_layers(*, dark: bool = False) -> dict[str, list[dict]]:
    """The overlay's one GeoJSON source and its layers (``dashboards._map.map_spec(geojson=...)``)."""
    return {CHANGED_SOURCE: style(dark=dark)}


def changed_points(buildings: Iterable[FoundBuilding]) -> dict:
    """A WGS84 FeatureCollection: one point (the centre of its bounds) per changed building."""
    features = [
        {
            "type": "Feature",
            "id": b.id,
            "properties": {"building_id": b.id},
            "geometry": {
                "type": "Point",
                "coordinates": [(b.bounds[0] + b.bounds[2]) / 2, (b.bounds[1] + b.bounds[3]) / 2],
            },
        }
        for b in buildings
    ]
    return {"type": "FeatureCollection", "features": features}
