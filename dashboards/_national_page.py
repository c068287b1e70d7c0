"""The national overview (全国汇总) at /national: every subscribed city's sub-districts on one map
(tile layer ``national``) and one row per city with its totals and freshness (``geo.rollup.read``).

Counts only, as the cities published them; a city whose figures are stale (its subscription is not
connected, or its last refresh is too old) is marked so, with the time of its last figures. For
accounts not limited to an area (the national command); others are told why they see nothing.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html

from dashboards import _context, _map
from dashboards import _formats as fmt
from dashboards._auth import current_scope
from dashboards._formats import number
from dashboards._html import data_attributes
from dashboards._i18n import language, t
from dashboards._shell import map_header, unavailable_page
from dashboards._tiles_routes import tile_layers
from geo import loaded
from geo.clock import china_today
from geo.db import read_connection
from geo.errors import BattlemapError
from geo.rollup.read import CityFigures, bounds, cities
from layers.style import SHARE_RAMP, STALE_SWATCH

MAP = "national"
LAYER = "national"
PAGE, TABLE, REFRESH, STATE = "nat-page", "nat-cities", "nat-refresh", "nat-state"


def _w(key: str, lang: str) -> str:
    return t(f"nat_{key}", lang)


def layout(lang: str | None = None, **_query: object) -> html.Div:
    context = _context.current()
    lang = language(lang, context.settings.app.language)
    layers = tile_layers()
    header = map_header("/national", lang, layers)
    try:
        with read_connection(context.engine) as conn:
            extent = bounds(conn)
            version = loaded.data_state(conn).version
    except BattlemapError as exc:
        return unavailable_page(header, exc, lang, page_id=PAGE)
    # The same components for everyone (Dash checks callbacks against them); an account limited to
    # an area gets no map (its tiles would be refused) and the reason where the table would be.
    spec = None
    if not current_scope().restricted:
        overlay, basemap = layers.get(LAYER), layers.get("basemap")
        spec = _map.map_spec(
            MAP, overlay=overlay, basemap=basemap, bounds=extent, map_settings=context.settings.map
        )
    side = html.Aside(
        [html.H2(_w("heading", lang)), _legend(lang), html.Div(id=TABLE)],
        className="bm-side bm-national-side",
    )
    return html.Div(
        [
            header,
            html.Div([_map.map_view(MAP, spec, _query_for(version)), side], className="bm-map-body"),
            dcc.Store(id=STATE, data={"lang": lang}),
            dcc.Interval(id=REFRESH, interval=context.settings.map.refresh_seconds * 1000),
        ],
        id=PAGE,
        lang=lang,
        className="bm-map-page",
    )


def _query_for(version: int) -> dict:
    return {LAYER: {"date": china_today().isoformat(), "v": version}, _map.BASEMAP_SOURCE: {"v": version}}


def _legend(lang: str) -> html.Div:
    stops = [
        html.Span(f"≥{fmt.percent(stop, lang)}", className="bm-ramp-stop", style={"background": colour})
        for stop, colour in SHARE_RAMP
    ]
    return html.Div(
        [html.Strong(_w("legend", lang)), html.Div(stops, className="bm-ramp")], className="bm-legend"
    )


def cities_table(figures: list[CityFigures], lang: str) -> html.Table | html.P:
    """One row per city; a stale one greyed, with the time of its last figures."""
    if not figures:
        return html.P(_w("none", lang), className="bm-note")
    keys = ("city", "as_of", "households", "not_normal", "cases", "risk", "overdue")
    head = html.Tr([html.Th(_w(k, lang)) for k in keys])
    rows = []
    for c in figures:
        refreshed = fmt.short_moment(c.refreshed_at, lang)
        state = html.Span(
            STALE_SWATCH.label(lang) if c.stale else _w("fresh", lang),
            className="bm-badge bm-stale" if c.stale else "bm-badge",
        )
        city = html.Td(
            [
                html.Div([c.name, " ", state]),
                html.Small(f"{_w('refreshed', lang)} {refreshed}", className="bm-note"),
            ]
        )
        cells = [city, html.Td(fmt.day(c.day, lang) if c.day else "–")]
        cells += [
            html.Td(number(n, lang))
            for n in (c.households, c.not_normal, c.cases, c.risk_areas, c.loops_overdue)
        ]
        style = {"color": STALE_SWATCH.outline} if c.stale else None
        rows.append(html.Tr(cells, style=style, **data_attributes(city=c.code, stale=str(c.stale).lower())))
    return html.Table([html.Thead(head), html.Tbody(rows)], className="bm-table-compact bm-national-table")


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output(TABLE, "children"),
        Output(_map.store_id(_map.QUERY, MAP), "data"),
        Input(REFRESH, "n_intervals"),
        State(STATE, "data"),
    )
    def refresh(_tick: int | None, state: dict) -> tuple:
        if current_scope().restricted:
            return html.P(_w("limited", state["lang"]), className="bm-note"), dash.no_update
        context = _context.current()
        with read_connection(context.engine) as conn:
            figures = cities(conn, day=china_today(), stale_after_s=context.settings.rollup.stale_after_s)
            version = loaded.data_state(conn).version
        return cities_table(figures, state["lang"]), _query_for(version)
