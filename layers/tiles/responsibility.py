"""Tile layer ``responsibility`` (楼组包干图): buildings by grid and building leader; chain gaps stand out."""

from __future__ import annotations

from geo.tiles import AREAS_LAYER, BUILDING_ZOOM, BUILDINGS_LAYER, responsibility_tile
from layers.style import CATEGORICAL, GAP_SWATCH
from layers.tiles.buildings import AREA_FIELDS, BUILDING_FIELDS
from layers.tiles.layer import TileLayer


def _categorical(attribute: str) -> list:
    """A MapLibre expression: a stable categorical colour for an integer attribute."""
    cases = [item for index, colour in enumerate(CATEGORICAL) for item in (index, colour)]
    return ["match", ["%", ["coalesce", ["get", attribute], 0], len(CATEGORICAL)], *cases, CATEGORICAL[0]]


def style(*, source: str, dark: bool = False) -> list[dict]:
    """Fill by grid, outline by building leader; buildings with a gap filled in the gap colour."""
    gap = GAP_SWATCH.dark_fill if dark else GAP_SWATCH.fill
    has_gap = [">", ["coalesce", ["get", "gaps"], 0], 0]
    return [
        {"id": f"{source}-areas", "type": "fill", "source": source, "source-layer": AREAS_LAYER,
         "maxzoom": BUILDING_ZOOM,
         "paint": {"fill-color": ["case", [">", ["coalesce", ["get", "gap_buildings"], 0], 0], gap,
                                  _categorical("id")], "fill-opacity": 0.5}},
        {"id": f"{source}-fill", "type": "fill", "source": source, "source-layer": BUILDINGS_LAYER,
         "minzoom": BUILDING_ZOOM,
         "paint": {"fill-color": ["case", has_gap, gap, _categorical("grid")], "fill-opacity": 0.85}},
        {"id": f"{source}-leader", "type": "line", "source": source, "source-layer": BUILDINGS_LAYER,
         "minzoom": BUILDING_ZOOM, "paint": {"line-color": _categorical("leader_index"), "line-width": 2}},
    ]  # fmt: skip


LAYER = TileLayer(
    name="responsibility",
    title_zh="楼组包干图",
    title_en="Building-responsibility map",
    render=responsibility_tile,
    fields={
        BUILDINGS_LAYER: BUILDING_FIELDS
        | {
            "grid_code": "code of the building's grid",
            "leader": "building leader's person code (never a name)",
            "leader_index": "a small integer per building leader, for colouring",
            "gaps": "required chain levels nobody answers for",
        },
        AREAS_LAYER: AREA_FIELDS | {"gap_buildings": "buildings with a responsibility gap"},
    },
    style=style,
    scoped=True,
)
