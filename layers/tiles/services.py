"""Tile layer ``services`` (涉外服务指引图): international compounds washed in teal (others outlined),
multilingual registration points and service points as dots; drawn on ``/services`` and, as markers,
over the house-status map. Colours from ``layers.style`` only."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection

from geo.scope import UNRESTRICTED, Scope
from geo.services.tiles import COMPOUNDS_LAYER, POINTS_LAYER, services_tile
from geo.settings import ServiceSettings
from geo.tiles import TileAddress
from layers.style import COMPOUND_SWATCH, INTERNATIONAL_SWATCH, REGISTRATION_SWATCH, SERVICE_POINT_SWATCH
from layers.tiles.layer import Options, TileLayer

FIELDS = {
    COMPOUNDS_LAYER: {
        "id": "compound id",
        "name": "compound name",
        "households": "households of the compound",
        "foreign_households": "households flagged foreign-national (a count, no person)",
        "international": "the share of foreign-national households reaches BATTLEMAP_INTERNATIONAL_SHARE",
    },
    POINTS_LAYER: {
        "id": "place id",
        "kind": "registration_point or service_point",
        "name": "place name",
        "languages": "ISO 639-1 codes served, comma-separated",
        "opening_hours": "opening hours (Mo-Fr 09:00-17:00; Sa 09:00-12:00)",
    },
}


def point_colour(*, dark: bool = False) -> list:
    """A MapLibre expression: registration points in one colour, service points in another."""
    reg = REGISTRATION_SWATCH.dark_fill if dark else REGISTRATION_SWATCH.fill
    svc = SERVICE_POINT_SWATCH.dark_fill if dark else SERVICE_POINT_SWATCH.fill
    return ["match", ["get", "kind"], "registration_point", reg, svc]


def style(*, source: str, dark: bool = False, compounds: bool = True) -> list[dict]:
    """The compounds (unless ``compounds=False``, as markers over another map) and the points on top."""
    intl = INTERNATIONAL_SWATCH.dark_fill if dark else INTERNATIONAL_SWATCH.fill
    layers: list[dict] = []
    if compounds:
        layers += [
            {"id": f"{source}-compounds", "type": "fill", "source": source, "source-layer": COMPOUNDS_LAYER,
             "paint": {"fill-color": ["case", ["get", "international"], intl, COMPOUND_SWATCH.fill],
                       "fill-opacity": ["case", ["get", "international"], 0.55, 0.15]}},
            {"id": f"{source}-compound-lines", "type": "line", "source": source,
             "source-layer": COMPOUNDS_LAYER,
             "paint": {"line-color": ["case", ["get", "international"], INTERNATIONAL_SWATCH.outline,
                                      COMPOUND_SWATCH.outline],
                       "line-width": ["case", ["get", "international"], 2.5, 0.8]}},
        ]  # fmt: skip
    layers.append(
        {"id": f"{source}-points", "type": "circle", "source": source, "source-layer": POINTS_LAYER,
         "paint": {"circle-color": point_colour(dark=dark), "circle-radius": 9,
                   "circle-stroke-color": REGISTRATION_SWATCH.outline, "circle-stroke-width": 2.5}}
    )  # fmt: skip
    return layers


def marker_style(*, source: str, dark: bool = False) -> list[dict]:
    """Over another map (the house-status map): the international compounds outlined only, so the
    buildings' own colours stay readable, and the points on top."""
    outline = {
        "id": f"{source}-compound-lines", "type": "line", "source": source, "source-layer": COMPOUNDS_LAYER,
        "filter": ["==", ["get", "international"], True],
        "paint": {"line-color": INTERNATIONAL_SWATCH.outline, "line-width": 3, "line-dasharray": [2, 1]},
    }  # fmt: skip
    return [outline, *style(source=source, dark=dark, compounds=False)]


def layer(settings: ServiceSettings) -> TileLayer:
    """The ``services`` layer; the international threshold is ``settings.international_share``."""

    def render(conn: Connection, addr: TileAddress, *, scope: Scope = UNRESTRICTED) -> bytes:
        return services_tile(conn, addr, share=settings.international_share, scope=scope)

    def resolve(conn: Connection, query: Mapping[str, str]) -> Options:
        return {}

    return TileLayer(
        name="services",
        title_zh="涉外服务指引图",
        title_en="Multilingual service guide",
        title_ja="外国人向けサービス案内図",
        title_ko="외국인 서비스 안내도",
        render=render,
        resolve=resolve,
        fields=FIELDS,
        style=style,
        scoped=True,
    )
