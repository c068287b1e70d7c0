"""Tile layer ``responsibility`` (楼组包干图): who answers for each building, and where the chain has gaps.

Gaps are the only strong colours: a building is filled by the most senior required level nobody
answers for (``layers.style.GAP_LEVEL_SWATCHES``), a complete building is quiet grey. Grids are
quiet tints with dark outlines and their names as labels (with their gap count); below building
zoom each building with a gap is a dot in its gap colour; at high zoom each building carries its
building leader's person code (never a name), which can be clicked to show all their buildings.
"""

from __future__ import annotations

from geo.tiles import (
    AREAS_LAYER,
    BUILDING_ZOOM,
    BUILDINGS_LAYER,
    GAPS_LAYER,
    LABELS_LAYER,
    LEADERS_LAYER,
    responsibility_tile,
)
from layers.style import COMPLETE_SWATCH, GAP_LEVEL_SWATCHES, GRID_LINE, GRID_TINTS
from layers.tiles.buildings import AREA_FIELDS, BUILDING_FIELDS
from layers.tiles.layer import CLICKABLE, TileLayer

LEADER_ZOOM = 17
"""From this zoom on, each building shows its building leader's code."""
LEADER_LABELS = "leader-labels"
"""The style layer (after the source name) of the leaders' codes: clicking one picks that person."""
LABEL_FONT = ["Noto Sans CJK SC Regular", "sans-serif"]


def gap_colour(*, dark: bool = False, outline: bool = False, default: str | None = None) -> list:
    """A MapLibre expression: the colour of a feature's most senior missing level (``first_gap``)."""
    cases: list = []
    for index, swatch in enumerate(GAP_LEVEL_SWATCHES):
        cases += [index, swatch.outline if outline else (swatch.dark_fill if dark else swatch.fill)]
    quiet = (
        COMPLETE_SWATCH.outline if outline else (COMPLETE_SWATCH.dark_fill if dark else COMPLETE_SWATCH.fill)
    )
    return ["match", ["coalesce", ["get", "first_gap"], -1], *cases, default or quiet]


def _tint() -> list:
    cases = [item for index, colour in enumerate(GRID_TINTS) for item in (index, colour)]
    return ["match", ["%", ["id"], len(GRID_TINTS)], *cases, GRID_TINTS[0]]


def style(*, source: str, dark: bool = False) -> list[dict]:
    """Quiet grid tints and outlines, gap dots (below building zoom) or footprints in the colour of
    their most senior gap, grid names, and the building leaders' codes at high zoom."""
    line = GRID_LINE["dark_line"] if dark else GRID_LINE["line"]
    ink = GRID_LINE["dark_label"] if dark else GRID_LINE["label"]
    halo = "#0b0f14" if dark else "#ffffff"
    has_buildings = [">", ["coalesce", ["get", "buildings"], 0], 0]
    has_gap = [">", ["coalesce", ["get", "gaps"], 0], 0]
    grid_label: list = [
        "format", ["get", "name"], {},
        ["case", [">", ["coalesce", ["get", "gap_buildings"], 0], 0],
         ["concat", "\n● ", ["to-string", ["get", "gap_buildings"]]], ""],
        {"font-scale": 1.1},
    ]  # fmt: skip
    return [
        {"id": f"{source}-areas", "type": "fill", "source": source, "source-layer": AREAS_LAYER,
         "maxzoom": BUILDING_ZOOM, "filter": has_buildings,
         "paint": {"fill-color": COMPLETE_SWATCH.dark_fill if dark else _tint(), "fill-opacity": 0.75}},
        {"id": f"{source}-fill", "type": "fill", "source": source, "source-layer": BUILDINGS_LAYER,
         "minzoom": BUILDING_ZOOM,
         "paint": {"fill-color": gap_colour(dark=dark), "fill-opacity": ["case", has_gap, 0.95, 0.8]}},
        {"id": f"{source}-outline", "type": "line", "source": source, "source-layer": BUILDINGS_LAYER,
         "minzoom": BUILDING_ZOOM,
         "paint": {"line-color": gap_colour(outline=True), "line-width": ["case", has_gap, 1.5, 0.5]}},
        {"id": f"{source}-grid-line", "type": "line", "source": source, "source-layer": AREAS_LAYER,
         "paint": {"line-color": line, "line-opacity": ["case", has_buildings, 0.9, 0.35],
                   "line-width": ["interpolate", ["linear"], ["zoom"], 12, 0.8, 15, 1.6, 18, 2.5]}},
        {"id": f"{source}-gaps", "type": "circle", "source": source, "source-layer": GAPS_LAYER,
         "maxzoom": BUILDING_ZOOM,
         "paint": {"circle-color": gap_colour(dark=dark),
                   "circle-radius": ["interpolate", ["linear"], ["zoom"], 11, 2.5, 14, 5],
                   "circle-stroke-color": halo, "circle-stroke-width": 1}},
        {"id": f"{source}-grid-labels", "type": "symbol", "source": source, "source-layer": LABELS_LAYER,
         "filter": has_buildings,
         "layout": {"text-field": grid_label, "text-font": LABEL_FONT,
                    "text-size": ["interpolate", ["linear"], ["zoom"], 12, 11, 16, 14],
                    "text-max-width": 8,
                    "symbol-sort-key": ["-", 0, ["coalesce", ["get", "gap_buildings"], 0]]},
         "paint": {"text-color": ink, "text-halo-color": halo, "text-halo-width": 1.6}},
        {"id": f"{source}-{LEADER_LABELS}", "type": "symbol", "source": source,
         "source-layer": LEADERS_LAYER, "minzoom": LEADER_ZOOM,
         "metadata": {CLICKABLE: True},
         "layout": {"text-field": ["get", "leader"], "text-font": LABEL_FONT, "text-size": 11,
                    "text-max-width": 12},
         "paint": {"text-color": ink, "text-halo-color": halo, "text-halo-width": 1.4}},
    ]  # fmt: skip


LAYER = TileLayer(
    name="responsibility",
    title_zh="楼组包干图",
    title_en="Building-responsibility map",
    title_ja="棟別担当図",
    title_ko="동별 담당 현황도",
    render=responsibility_tile,
    fields={
        BUILDINGS_LAYER: BUILDING_FIELDS
        | {
            "grid_code": "code of the building's grid",
            "leader": "building leader's person code (never a name)",
            "leader_index": "a small integer per building leader, for colouring",
            "gaps": "required chain levels nobody answers for",
            "first_gap": "the most senior of them (index into the required chain levels); absent if none",
        },
        AREAS_LAYER: AREA_FIELDS
        | {
            "gap_buildings": "buildings with a responsibility gap",
            "first_gap": "the most senior level missing in any of its buildings (index); absent if none",
        },
        LABELS_LAYER: AREA_FIELDS
        | {"gap_buildings": "buildings with a responsibility gap", "first_gap": "as in areas"},
        LEADERS_LAYER: {"leader": "building leader's person code (never a name), at the building"},
        GAPS_LAYER: {
            "grid": "internal grid id",
            "gaps": "required chain levels nobody answers for",
            "first_gap": "the most senior of them (index into the required chain levels)",
        },
    },
    style=style,
    scoped=True,
)
