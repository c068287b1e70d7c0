"""Tile layer ``house-status`` (房态图): buildings by their most severe household status on a date."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection

from geo.clock import china_today
from geo.status.read import parse_date, status_dates
from geo.tiles import AREAS_LAYER, BUILDING_ZOOM, BUILDINGS_LAYER, house_status_tile
from layers.style import NO_STATUS_SWATCH, STATUS_SWATCHES, VULNERABLE_MARKER
from layers.tiles.buildings import AREA_FIELDS, BUILDING_FIELDS
from layers.tiles.layer import Options, TileLayer


def resolve(conn: Connection, query: Mapping[str, str]) -> Options:
    """``date`` from ``?date=YYYY-MM-DD``, else the last day of the status history (else today in China)."""
    if query.get("date"):
        return {"date": parse_date(query["date"])}
    dates = status_dates(conn)
    return {"date": dates[1] if dates else china_today()}


def status_colour(*, dark: bool = False) -> list:
    """A MapLibre expression: the fill of a feature's ``status`` (NO_STATUS when missing)."""
    match: list = ["match", ["coalesce", ["get", "status"], ""]]
    for swatch in STATUS_SWATCHES:
        match += [swatch.code, swatch.dark_fill if dark else swatch.fill]
    return [*match, NO_STATUS_SWATCH.dark_fill if dark else NO_STATUS_SWATCH.fill]


AREA_HAS_STATUS = ["all", [">", ["coalesce", ["get", "buildings"], 0], 0], ["has", "status"]]
"""Only areas with buildings and a status are filled: an empty grid is never painted as if it had one."""


def style(*, source: str, dark: bool = False) -> list[dict]:
    """Areas below building zoom, footprints from it, and a dashed outline on vulnerable buildings.

    Area fills are opaque (a translucent red over the blue river would read as the purple of 封控) and
    cut to land by the tiles; areas without a status get an outline only."""
    marker = VULNERABLE_MARKER.dark_fill if dark else VULNERABLE_MARKER.fill
    outline = "#000000" if dark else "#ffffff"
    return [
        {"id": f"{source}-areas", "type": "fill", "source": source, "source-layer": AREAS_LAYER,
         "maxzoom": BUILDING_ZOOM, "filter": AREA_HAS_STATUS,
         "paint": {"fill-color": status_colour(dark=dark), "fill-opacity": 1, "fill-outline-color": outline}},
        {"id": f"{source}-areas-outline", "type": "line", "source": source, "source-layer": AREAS_LAYER,
         "maxzoom": BUILDING_ZOOM, "paint": {"line-color": marker, "line-width": 1, "line-opacity": 0.5}},
        {"id": f"{source}-fill", "type": "fill", "source": source, "source-layer": BUILDINGS_LAYER,
         "minzoom": BUILDING_ZOOM, "paint": {"fill-color": status_colour(dark=dark),
                                              "fill-outline-color": outline}},
        {"id": f"{source}-vulnerable", "type": "line", "source": source, "source-layer": BUILDINGS_LAYER,
         "minzoom": BUILDING_ZOOM, "filter": ["==", ["get", "vulnerable"], True],
         "paint": {"line-color": marker, "line-width": 2.5, "line-dasharray": [1, 1]}},
    ]  # fmt: skip


LAYER = TileLayer(
    name="house-status",
    title_zh="房态图",
    title_en="House-status map",
    title_ja="住戸状況図",
    title_ko="세대 현황도",
    render=house_status_tile,
    resolve=resolve,
    query_params=("date",),
    fields={
        BUILDINGS_LAYER: BUILDING_FIELDS
        | {
            "status": "most severe household status on the date (geo.vocab.STATUS_CODES)",
            "households": "households in the building",
            "cases": "households with a case status",
            "vulnerable": "any household of elderly living alone or disabled",
        },
        AREAS_LAYER: AREA_FIELDS
        | {
            "status": "most severe status in the area",
            "households": "households in the area",
            "cases": "households with a case status",
            "buildings_with_cases": "buildings with a case status",
            "vulnerable_buildings": "buildings with vulnerable households",
        },
    },
    style=style,
    scoped=True,
)
