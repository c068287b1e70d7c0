"""Tile layer ``loops`` (闭环待办): a dot per building with open closed-loop items, overdue in red.

Drawn over the house-status map and the wall (``dashboards._map.map_spec(markers=...)``). The tiles
carry counts and kind codes only; their cache is keyed on the loop log and the minute
(``geo.loops.summary.map_version``), so a step completed in the field shows on the next refresh.
"""

from __future__ import annotations

from sqlalchemy import Connection

from geo.clock import china_now
from geo.loops.summary import map_version
from geo.scope import UNRESTRICTED, Scope
from geo.tiles import GRID_ZOOM, LOOP_AREAS_LAYER, LOOPS_LAYER, TileAddress, loops_tile
from layers.style import LOOP_OPEN_SWATCH, LOOP_OVERDUE_SWATCH
from layers.tiles.layer import CLICKABLE, TileLayer

"""Style-layer metadata: a click on this layer's features opens the building card (ids are buildings)."""


def _render(conn: Connection, addr: TileAddress, *, scope: Scope = UNRESTRICTED) -> bytes:
    return loops_tile(conn, addr, at=china_now(), scope=scope)


def _version(conn: Connection) -> int:
    return map_version(conn)


def marker_colour(*, dark: bool = False) -> list:
    """A MapLibre expression: overdue dots in the overdue colour, the others in the open colour."""
    overdue = LOOP_OVERDUE_SWATCH.dark_fill if dark else LOOP_OVERDUE_SWATCH.fill
    open_ = LOOP_OPEN_SWATCH.dark_fill if dark else LOOP_OPEN_SWATCH.fill
    return ["case", [">", ["coalesce", ["get", "overdue"], 0], 0], overdue, open_]


GRID_RADIUS = ["interpolate", ["linear"], ["get", "open"], 1, 8, 20, 14, 200, 22]


def _scaled(radius: list, scale: float) -> list:
    """An ``interpolate`` radius expression with every output radius times ``scale``."""
    head, stops = radius[:3], radius[3:]
    return [*head, *(v * scale if i % 2 else v for i, v in enumerate(stops))]


def style(*, source: str, dark: bool = False) -> list[dict]:
    """Dots sized by open items (overdue drawn last, on top), ringed so they read on any status."""
    ring = "#000000" if dark else LOOP_OPEN_SWATCH.outline
    # The wall is read from across a room: its dots are larger.
    scale = 1.6 if dark else 1.0
    paint = {
        "circle-color": marker_colour(dark=dark),
        "circle-radius": [
            "interpolate",
            ["linear"],
            ["get", "open"],
            1,
            7 * scale,
            5,
            10 * scale,
            50,
            16 * scale,
        ],
        "circle-stroke-color": ring,
        "circle-stroke-width": 2.5,
    }
    layout = {"circle-sort-key": ["get", "overdue"]}
    return [
        {"id": f"{source}-buildings", "type": "circle", "source": source, "source-layer": LOOPS_LAYER,
         "minzoom": GRID_ZOOM, "layout": layout, "paint": paint, "metadata": {CLICKABLE: True}},
        {"id": f"{source}-grids", "type": "circle", "source": source, "source-layer": LOOP_AREAS_LAYER,
         "maxzoom": GRID_ZOOM, "layout": layout,
         "paint": paint | {"circle-radius": _scaled(GRID_RADIUS, scale)}},
    ]  # fmt: skip


_FIELDS = {
    "open": "open items (closed-loop work, geo.loops)",
    "overdue": "open items past a deadline",
    "kinds": "the loop kind codes present, comma-separated",
}

LAYER = TileLayer(
    name="loops",
    title_zh="闭环待办",
    title_en="Open loop items",
    title_ja="未完了の案件",
    title_ko="미처리 건",
    render=_render,
    fields={LOOPS_LAYER: {"id": "building id"} | _FIELDS, LOOP_AREAS_LAYER: {"id": "grid id"} | _FIELDS},
    style=style,
    scoped=True,
    version=_version,
)
