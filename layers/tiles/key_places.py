"""Tile layer ``key-places`` (重点场所): street-front shops, office buildings, firms and key-industry
sites, clustered with counts per kind below ``KEY_PLACE_ZOOM``, one dot per place (its kind's colour,
``subcategory`` the industry of a key-industry site) from it.

Drawn over the house-status map and its risk overlay (``dashboards._map.map_spec(markers=...)``),
with a toggle and a legend. Codes and counts only: a place's name never goes into a tile.
"""

from __future__ import annotations

from geo.places import KEY_CLUSTERS_LAYER, KEY_PLACE_ZOOM, KEY_PLACES_LAYER, key_places_tile
from geo.vocab import KEY_PLACE_KINDS
from layers.style import KEY_PLACE_SWATCHES
from layers.tiles.layer import TileLayer


def kind_colour(*, dark: bool = False) -> list:
    """A MapLibre expression: the fill of a feature's ``kind`` (a cluster's most numerous kind)."""
    match: list = ["match", ["coalesce", ["get", "kind"], ""]]
    for swatch in KEY_PLACE_SWATCHES:
        match += [swatch.code, swatch.dark_fill if dark else swatch.fill]
    return [*match, "#616161"]


CLUSTER_RADIUS = ["interpolate", ["linear"], ["get", "count"], 1, 5, 10, 7, 100, 11, 1000, 17]


def style(*, source: str, dark: bool = False) -> list[dict]:
    """Clusters sized by their count below ``KEY_PLACE_ZOOM``, then one small dot per place; both
    ringed (white on the day map, black on the wall) so they read on any status fill."""
    ring = "#000000" if dark else "#ffffff"
    colour = kind_colour(dark=dark)
    return [
        {"id": f"{source}-clusters", "type": "circle", "source": source, "source-layer": KEY_CLUSTERS_LAYER,
         "maxzoom": KEY_PLACE_ZOOM,
         "paint": {"circle-color": colour, "circle-radius": CLUSTER_RADIUS, "circle-opacity": 0.85,
                   "circle-stroke-color": ring, "circle-stroke-width": 2}},
        {"id": f"{source}-points", "type": "circle", "source": source, "source-layer": KEY_PLACES_LAYER,
         "minzoom": KEY_PLACE_ZOOM,
         "paint": {"circle-color": colour, "circle-radius": 5, "circle-stroke-color": ring,
                   "circle-stroke-width": 1.5}},
    ]  # fmt: skip


_PER_KIND = {kind: f"key places of kind {kind} in the cluster" for kind in KEY_PLACE_KINDS}

LAYER = TileLayer(
    name="key-places",
    title_zh="重点场所",
    title_en="Key places",
    title_ja="重点施設",
    title_ko="중점 장소",
    render=key_places_tile,
    fields={
        KEY_PLACES_LAYER: {
            "id": "place id",
            "kind": "the key-place kind (geo.vocab.KEY_PLACE_KINDS)",
            "subcategory": "the industry of a key-industry site (geo.vocab.KEY_INDUSTRIES)",
        },
        KEY_CLUSTERS_LAYER: {
            "id": "cluster number within the tile",
            "count": "key places in the cell",
            "kind": "the most numerous kind in the cell",
        }
        | _PER_KIND,
    },
    style=style,
    scoped=True,
)
