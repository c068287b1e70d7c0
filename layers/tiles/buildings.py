"""Tile layer ``buildings``: every footprint with its grid, compound and admin units."""

from __future__ import annotations

from geo.tiles import AREAS_LAYER, BUILDING_ZOOM, BUILDINGS_LAYER, buildings_tile
from layers.style import BASEMAP
from layers.tiles.layer import TileLayer

BUILDING_FIELDS = {
    "grid": "id of the building's grid",
    "compound": "id of the building's compound",
    "subdistrict": "id of the building's sub-district",
    "district": "id of the building's district",
}
AREA_FIELDS = {
    "code": "code of the grid or sub-district",
    "name": "name of the grid or sub-district",
    "level": "grid or subdistrict",
    "buildings": "buildings in the area",
}


def style(*, source: str, dark: bool = False) -> list[dict]:
    fill = BASEMAP["road_casing"] if not dark else BASEMAP["dark_road"]
    return [
        {
            "id": f"{source}-fill",
            "type": "fill",
            "source": source,
            "source-layer": BUILDINGS_LAYER,
            "minzoom": BUILDING_ZOOM,
            "paint": {"fill-color": fill, "fill-outline-color": BASEMAP["road_casing"]},
        }
    ]


LAYER = TileLayer(
    name="buildings",
    title_zh="楼栋",
    title_en="Buildings",
    title_ja="建物",
    title_ko="건물",
    render=buildings_tile,
    fields={BUILDINGS_LAYER: BUILDING_FIELDS | {"floors": "floors above ground"}, AREAS_LAYER: AREA_FIELDS},
    style=style,
    scoped=True,
)
