"""Tile layer ``overlays``: the overlays analysts publish from notebooks (``geo.overlays``), one per
request: ``/tiles/overlays/{z}/{x}/{y}.pbf?name=<overlay>``.

Who may see an overlay is asked before each tile (``allow``: ``geo.overlays.registry.may_see``; an
overlay one may not see is a 404, as if it did not exist); which of its features they see is their
area's (``scoped``). Each overlay is drawn in its author's colour, in the style its geometry takes.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection

from geo.auth import Principal
from geo.errors import InvalidParameter
from geo.overlays.registry import Overlay, get_overlay, visible_overlay
from geo.overlays.tiles import FEATURES_LAYER, overlay_tile
from layers.tiles.layer import Options, TileLayer

NAME = "overlays"
FILL_OPACITY = 0.6
"""How opaque a polygon overlay's fill is (the map beneath shows through)."""


def resolve(conn: Connection, query: Mapping[str, str]) -> Options:
    """``name``: the overlay (required; an unknown one is a 404)."""
    name = query.get("name")
    if not name:
        raise InvalidParameter(
            "layer 'overlays' needs name=<overlay>: /tiles/overlays.json?name=…", parameter="name"
        )
    return {"name": get_overlay(conn, name).name}


def allow(conn: Connection, viewer: Principal, options: Options) -> None:
    visible_overlay(conn, str(options["name"]), viewer)


def overlay_style(overlay: Overlay, *, source: str, dark: bool = False) -> list[dict]:
    """The MapLibre layers of ``overlay`` on tile source ``source``: a fill and an outline for polygons,
    a line for lines, a circle for points, all in the overlay's colour."""
    colour, edge = overlay.colour, "#000000" if dark else "#ffffff"
    common = {"source": source, "source-layer": FEATURES_LAYER}
    if overlay.geometry_type == "polygon":
        fill = {"fill-color": colour, "fill-opacity": FILL_OPACITY}
        return [
            {"id": f"{source}-fill", "type": "fill", **common, "paint": fill},
            {
                "id": f"{source}-outline",
                "type": "line",
                **common,
                "paint": {"line-color": colour, "line-width": 2},
            },
        ]
    if overlay.geometry_type == "line":
        return [
            {
                "id": f"{source}-line",
                "type": "line",
                **common,
                "paint": {"line-color": colour, "line-width": 3},
            }
        ]
    circle = {
        "circle-color": colour,
        "circle-radius": 6,
        "circle-stroke-color": edge,
        "circle-stroke-width": 1.5,
    }
    return [{"id": f"{source}-circle", "type": "circle", **common, "paint": circle}]


def source_name(overlay: Overlay) -> str:
    """The map source of ``overlay`` (never one of the tile layers' names)."""
    return f"overlay-{overlay.name}"


LAYER = TileLayer(
    name=NAME,
    title_zh="发布的图层",
    title_en="Published overlays",
    title_ja="公開レイヤー",
    title_ko="게시된 레이어",
    render=overlay_tile,
    resolve=resolve,
    allow=allow,
    query_params=("name",),
    fields={FEATURES_LAYER: {"fid": "the feature's number in its overlay (also the feature id)"}},
    scoped=True,
)
