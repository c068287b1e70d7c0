"""A reusable MapLibre map for Dash pages: ``map_view(name, spec)`` plus one clientside callback
(``assets/battlemap_map.js``) registered once per app by ``register_map_callbacks``.

A map is a container and four stores, all keyed ``{"type": ..., "map": name}`` so one
pattern-matching callback serves every map on every page:
``spec`` (the MapLibre style built from the tile-layer registry), ``query`` (per source, the
tile query: date, data version), ``filter`` (attribute -> id), ``fly`` (bounds to fly to),
``highlight`` (building ids to outline), ``overlay`` (per GeoJSON source of the spec, a WGS84
FeatureCollection: the risk zones); clicks land in ``click``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import dash
import numpy as np
import shapely
from dash import MATCH, ClientsideFunction, Input, Output, dcc, html
from shapely.geometry import mapping, shape

from geo.crs import from_wgs84_xy, parse_crs
from geo.settings import MapSettings
from geo.tiles import BUILDINGS_LAYER
from layers.style import BASEMAP, CHANGED_SWATCH, SELECTED_SWATCH
from layers.tiles.layer import CLICKABLE, TileLayer

if TYPE_CHECKING:
    from dash.dependencies import Wildcard

SPEC, QUERY, FILTER, FLY = "bm-map-spec", "bm-map-query", "bm-map-filter", "bm-map-fly"
CLICK, RENDERED, HIGHLIGHT = "bm-map-click", "bm-map-rendered", "bm-map-highlight"
OVERLAY = "bm-map-overlay"
VIEW = "bm-map-view"
"""Where the map writes its view after each move: ``{"bounds": [w, s, e, n], "zoom": z}`` (display datum)."""
EMPTY = {"type": "FeatureCollection", "features": []}
BASEMAP_SOURCE = "basemap"
SOURCE_MAXZOOM = 17  # tiles from here on are overzoomed, not fetched


DEFAULT_BOUNDS = (121.48, 31.22, 121.52, 31.25)  # Lujiazui, when nothing is loaded


def _shifted(map_settings: MapSettings) -> bool:
    return bool(map_settings.basemap_url) and map_settings.basemap_crs != "wgs84"


def display_bounds(
    bounds: tuple[float, float, float, float], map_settings: MapSettings
) -> tuple[float, float, float, float]:
    """WGS84 bounds as the map shows them: moved into the basemap's datum (GCJ-02) when it has one."""
    if not _shifted(map_settings):
        return bounds
    x, y = from_wgs84_xy([bounds[0], bounds[2]], [bounds[1], bounds[3]], parse_crs(map_settings.basemap_crs))
    return (float(x[0]), float(y[0]), float(x[1]), float(y[1]))


def store_id(kind: str, name: str | Wildcard) -> dict[str, str | Wildcard]:
    return {"type": kind, "map": name}


def display_geojson(collection: dict, map_settings: MapSettings) -> dict:
    """A WGS84 FeatureCollection as the map shows it: moved into the basemap's datum when it has one
    (the tiles are shifted server-side; a GeoJSON overlay must follow them)."""
    if not _shifted(map_settings):
        return collection
    system = parse_crs(map_settings.basemap_crs)

    def shift(xy: np.ndarray) -> np.ndarray:
        x, y = from_wgs84_xy(xy[:, 0], xy[:, 1], system)
        return np.column_stack([x, y])

    features = []
    for feature in collection.get("features", []):
        geometry = feature.get("geometry")
        if geometry is not None:
            geometry = mapping(shapely.transform(shape(geometry), shift))
        features.append({**feature, "geometry": geometry})
    return {**collection, "features": features}


def container_id(name: str) -> str:
    return f"bm-map-{name}"


def map_spec(
    name: str,
    *,
    overlay: TileLayer,
    basemap: TileLayer,
    bounds: tuple[float, float, float, float] | None,
    map_settings: MapSettings,
    dark: bool = False,
    interactive: bool = True,
    geojson: dict[str, list[dict]] | None = None,
    markers: TileLayer | Sequence[TileLayer] | None = None,
    selectable: bool = False,
    toggled: Sequence[str] = (),
    on_top: Sequence[tuple[TileLayer, list[dict]]] = (),
) -> dict:
    """The spec the clientside module turns into a map: style, tile templates, what is clickable.

    ``geojson`` maps a GeoJSON source name to its style layers (drawn above the buildings, below the
    highlight); the ``overlay`` store fills those sources. ``markers`` are further tile layers drawn
    on top, the last uppermost (the key places, then the loop markers); their style layers marked
    clickable open the building card too. ``selectable``: the clicked building (the ``click`` store)
    is outlined. ``toggled``: sources the page may hide (its query store's ``visible`` for the
    source, never sent to the tile server; shown when absent). ``on_top``: further tile layers drawn
    on top with the style layers given, not their own (the service points over the house-status map).
    """
    marker_tiles = (markers,) if isinstance(markers, TileLayer) else tuple(markers or ())
    overlay_layers = overlay.style(source=overlay.name, dark=dark)
    background = BASEMAP["dark_background"] if dark else BASEMAP["background"]
    layers: list[dict] = [
        {"id": "background", "type": "background", "paint": {"background-color": background}}
    ]
    if not map_settings.basemap_url:
        layers += basemap.style(source=BASEMAP_SOURCE, dark=dark)
    # GeoJSON layers marked "battlemap:under" (a zone's wash) go under the tiles' buildings.
    extra = [layer for source_layers in (geojson or {}).values() for layer in source_layers]
    under = [layer for layer in extra if layer.get("metadata", {}).get("battlemap:under")]
    layers += under + overlay_layers + [layer for layer in extra if layer not in under]
    highlight = f"{overlay.name}-highlight"
    changed = CHANGED_SWATCH.dark_fill if dark else CHANGED_SWATCH.fill
    layers.append(
        {"id": highlight, "type": "line", "source": overlay.name, "source-layer": BUILDINGS_LAYER,
         "filter": ["in", ["id"], ["literal", []]], "paint": {"line-color": changed, "line-width": 5}}
    )  # fmt: skip
    marker_layers = [layer for m in marker_tiles for layer in m.style(source=m.name, dark=dark)]
    select = f"{overlay.name}-selected"
    if selectable:
        casing, line = (SELECTED_SWATCH.outline, SELECTED_SWATCH.dark_fill if dark else SELECTED_SWATCH.fill)
        for suffix, colour, width in (("-casing", casing, 9), ("", line, 4)):
            layers.append(
                {"id": select + suffix, "type": "line", "source": overlay.name,
                 "source-layer": BUILDINGS_LAYER, "filter": ["in", ["id"], ["literal", []]],
                 "paint": {"line-color": colour, "line-width": width}}
            )  # fmt: skip
    layers += marker_layers
    tiled = [(BASEMAP_SOURCE, basemap.name), (overlay.name, overlay.name)]
    tiled += [(m.name, m.name) for m in marker_tiles]
    for layer_, style_layers in on_top:
        tiled.append((layer_.name, layer_.name))
        layers += style_layers
    sources = {
        name_: {
            "type": "vector",
            "tiles": [],
            "maxzoom": SOURCE_MAXZOOM,
            "attribution": "© OpenStreetMap contributors",
        }
        for name_, _ in tiled
    }
    sources.update({name_: {"type": "geojson", "data": EMPTY} for name_ in geojson or {}})
    buildings = [layer for layer in overlay_layers if layer.get("source-layer") == "buildings"]
    # Footprints are clicked; so are the layers marked ``"metadata": {CLICKABLE: true}`` (a building
    # leader's code, a loop marker): the click store then names the layer.
    clickable = [layer["id"] for layer in buildings if layer["type"] == "fill"]
    clickable += [
        layer["id"] for layer in (*overlay_layers, *marker_layers) if layer.get("metadata", {}).get(CLICKABLE)
    ]
    return {
        "container": container_id(name),
        "style": {"version": 8, "sources": sources, "layers": layers},
        "tiles": {s: f"/tiles/{layer}/{{z}}/{{x}}/{{y}}.pbf" for s, layer in tiled},
        "raster": map_settings.basemap_url,
        "bounds": list(display_bounds(bounds or DEFAULT_BOUNDS, map_settings)),
        "tileParams": {"crs": map_settings.basemap_crs} if _shifted(map_settings) else {},
        "clickable": clickable,
        "clickTarget": store_id(CLICK, name) if interactive else None,
        "viewTarget": store_id(VIEW, name) if interactive else None,
        "filterable": [layer["id"] for layer in buildings],
        "baseFilters": {layer["id"]: layer["filter"] for layer in overlay_layers if "filter" in layer},
        "interactive": interactive,
        "highlightLayer": highlight,
        "selectLayers": [select + "-casing", select] if selectable else [],
        "toggles": {
            source: [layer["id"] for layer in layers if layer.get("source") == source] for source in toggled
        },
    }


def map_view(
    name: str, spec: dict | None, query: dict, *, class_name: str = "bm-map", over: tuple = ()
) -> html.Div:
    """The map's container and stores (``spec`` None: drawn once a callback provides one); ``over``:
    components floating over the map (the building card, the wall's loop figures)."""
    return html.Div(
        [
            html.Div(id=container_id(name), className=class_name),
            *over,
            dcc.Store(id=store_id(SPEC, name), data=spec),
            dcc.Store(id=store_id(QUERY, name), data=query),
            dcc.Store(id=store_id(FILTER, name), data={}),
            dcc.Store(id=store_id(FLY, name)),
            dcc.Store(id=store_id(CLICK, name)),
            dcc.Store(id=store_id(RENDERED, name)),
            dcc.Store(id=store_id(HIGHLIGHT, name), data=[]),
            dcc.Store(id=store_id(OVERLAY, name), data={}),
            dcc.Store(id=store_id(VIEW, name)),
        ],
        className=f"{class_name}-wrap",
    )


def register_map_callbacks(app: dash.Dash) -> None:
    """The one clientside callback driving every map (per app, so apps never share callbacks)."""
    app.clientside_callback(
        ClientsideFunction(namespace="battlemap", function_name="render"),
        Output(store_id(RENDERED, MATCH), "data"),
        Input(store_id(SPEC, MATCH), "data"),
        Input(store_id(QUERY, MATCH), "data"),
        Input(store_id(FILTER, MATCH), "data"),
        Input(store_id(FLY, MATCH), "data"),
        Input(store_id(HIGHLIGHT, MATCH), "data"),
        Input(store_id(OVERLAY, MATCH), "data"),
        Input(store_id(CLICK, MATCH), "data"),
    )
