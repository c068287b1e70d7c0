"""Tile layer ``basemap``: the offline basemap drawn from our own roads, water and land use."""

from __future__ import annotations

from geo.tiles import basemap_tile
from layers.style import BASEMAP
from layers.tiles.layer import TileLayer

FIELDS = {"kind": "feature kind (e.g. major_road, park)", "name": "name, where known"}


def style(*, source: str, dark: bool = False) -> list[dict]:
    """Land use, water, then roads with a casing; the dark variants for the wall display."""
    water = BASEMAP["dark_water"] if dark else BASEMAP["water"]
    road = BASEMAP["dark_road"] if dark else BASEMAP["road"]
    landuse = BASEMAP["dark_background"] if dark else BASEMAP["landuse"]
    layers: list[dict] = [
        {"id": f"{source}-landuse", "type": "fill", "source": source, "source-layer": "landuse",
         "paint": {"fill-color": landuse, "fill-opacity": 0.7}},
        {"id": f"{source}-water", "type": "fill", "source": source, "source-layer": "water",
         "paint": {"fill-color": water}},
    ]  # fmt: skip
    if not dark:
        layers.append(
            {"id": f"{source}-road-casing", "type": "line", "source": source, "source-layer": "roads",
             "paint": {"line-color": BASEMAP["road_casing"], "line-width": 3}}
        )  # fmt: skip
    layers.append(
        {"id": f"{source}-road", "type": "line", "source": source, "source-layer": "roads",
         "paint": {"line-color": road, "line-width": 1.5}}
    )  # fmt: skip
    return layers


LAYER = TileLayer(
    name="basemap",
    title_zh="底图",
    title_en="Basemap",
    title_ja="ベースマップ",
    title_ko="기본 지도",
    render=basemap_tile,
    fields={"landuse": FIELDS, "water": FIELDS, "roads": FIELDS},
    style=style,
    public=True,
)
