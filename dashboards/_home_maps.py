"""The home page's maps, first on the page: one card per map with a small live preview (MapLibre,
served from the app's own assets and tiles: no third-party CDN) and its headline figure of the day.

The figures come from the same ``geo`` functions as the maps' own KPI strips, on the day (or the
clock) each map opens on.
"""

from __future__ import annotations

from dataclasses import dataclass

import dash
from dash import dcc, html
from sqlalchemy import Connection

from dashboards import _context, _map
from dashboards import _formats as fmt
from dashboards import _ids as ids
from dashboards._auth import current_scope
from dashboards._formats import number
from dashboards._html import data_attributes
from dashboards._i18n import t
from dashboards._tiles_routes import tile_layers
from geo import loaded
from geo.areas import data_bounds
from geo.clock import china_today
from geo.db import read_connection
from geo.errors import BattlemapError
from geo.flows import chains
from geo.responsibility.gaps import gaps_by_grid
from geo.scope import Scope
from geo.status.activity import opening_day


@dataclass(frozen=True)
class Headline:
    """A map's figure of the day: the number, what it counts and when."""

    value: int
    label: str
    detail: str = ""


# (path, tile layer, i18n key of its name); the wall is linked without a preview of its own.
MAPS: tuple[tuple[str, str, str], ...] = (
    ("/house-status", "house-status", "maps_house_status"),
    ("/responsibility", "responsibility", "maps_responsibility"),
    ("/flows", "flows", "flows_link"),
)


def maps_section(lang: str) -> html.Section:
    """The map cards (preview, name, headline) and the wall's link; the cards without figures when
    the database does not answer (the page's alert says why)."""
    context = _context.current()
    scope = current_scope()
    headlines: dict[str, Headline] = {}
    bounds = None
    version = 0
    try:
        with read_connection(context.engine) as conn:
            headlines = _headlines(conn, scope=scope, lang=lang)
            bounds = data_bounds(conn, scope=scope)
            version = loaded.data_state(conn).version
    except BattlemapError:
        pass
    layers = tile_layers()
    cards = []
    for path, layer, key in MAPS:
        spec = _map.map_spec(
            f"home-{layer}",
            overlay=layers.get(layer),
            basemap=layers.get("basemap"),
            bounds=bounds,
            map_settings=context.settings.map,
            interactive=False,
        )
        query = {layer: {"v": version}, _map.BASEMAP_SOURCE: {"v": version}}
        found = headlines.get(layer)
        figure = (
            html.P(
                [
                    html.Strong(number(found.value, lang), className="bm-headline-value"),
                    f" {found.label}",
                    html.Span(f" · {found.detail}", className="bm-note") if found.detail else None,
                ],
                className="bm-headline",
            )
            if found
            else html.P("–", className="bm-headline")
        )
        href = dash.get_relative_path(f"{path}?lang={lang}")
        cards.append(
            html.Div(
                [
                    dcc.Link(html.H3(t(key, lang)), href=href, className="bm-map-card-title"),
                    dcc.Link(
                        _map.map_view(f"home-{layer}", spec, query, class_name="bm-map"),
                        href=href,
                        className="bm-map-card-preview",
                    ),
                    figure,
                ],
                className="bm-map-card",
                **data_attributes(map=layer),
            )
        )
    wall_href = dash.get_relative_path(f"/wall?lang={lang}")
    wall = dcc.Link(t("nav_wall", lang), href=wall_href, className="bm-button")
    return html.Section(
        [html.H2(t("home_maps", lang)), html.Div(cards, className="bm-map-cards"), html.P(wall)],
        id=ids.HOME_MAPS,
        className="bm-home-maps",
    )


def _headlines(conn: Connection, *, scope: Scope, lang: str) -> dict[str, Headline]:
    settings = _context.current().settings
    day = opening_day(conn, scope=scope, today=china_today()).day  # the day the map opens on
    figures = _context.current().kpis(conn, date=day, scope=scope)
    cases = figures.households.get("confirmed", 0)
    out = {
        "house-status": Headline(
            cases,
            t("headline_cases", lang),
            f"{number(figures.buildings_with_cases, lang)} {t('headline_case_buildings', lang)}"
            f" · {fmt.day(day, lang)}",
        )
    }
    grids = gaps_by_grid(conn, scope=scope)
    out["responsibility"] = Headline(sum(g.gap_buildings for g in grids), t("headline_gaps", lang))
    at = chains.latest_time(conn, scope=scope)
    if at is not None:
        flows = chains.flow_kpis(
            conn,
            at=at,
            deadline_hours=settings.flows.deadline_hours,
            window_hours=settings.flows.window_hours,
            scope=scope,
        )
        clock = fmt.short_moment(at, lang)
        detail = f"{number(flows.overdue_chains, lang)} {t('headline_overdue', lang)} · {clock}"
        out["flows"] = Headline(flows.open_chains, t("headline_open", lang), detail)
    else:  # no transfers loaded: nothing is open
        out["flows"] = Headline(0, t("headline_open", lang))
    return out
