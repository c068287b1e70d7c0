"""The house-status map (房态图): layout and callbacks (registered per app by ``register_callbacks``).

Buildings coloured by their most severe household status on the chosen date, vulnerable
households marked, a date slider with a play button, filters, address search, a KPI strip,
a legend with counts and a building card. What is read comes from ``geo.status``. The risk overlay
(stored zones, the SOP panel and "simulate a case here") is ``dashboards._risk_panel``; the print
action downloads the atlas of the current grid or unit, the brief action the daily brief of the day
and chosen district or sub-district (``dashboards._print_link``).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import dash
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import _context, _map, _risk_panel
from dashboards import _ids as ids
from dashboards._auth import current_scope
from dashboards._contacts_card import contacts_action
from dashboards._guide_card import guide_section
from dashboards._html import data_attributes
from dashboards._i18n import chain_level, language, level, t
from dashboards._legend import legend_panel
from dashboards._play import register_play, slider_marks
from dashboards._print_link import atlas_href, brief_href, brief_link, print_link
from dashboards._shell import map_header, unavailable_page
from dashboards._tiles_routes import tile_layers
from geo import loaded
from geo.areas import FILTER_COLUMNS, data_bounds, filter_options, filtered_bounds
from geo.card import BuildingCard, building_card
from geo.clock import china_today
from geo.db import read_connection
from geo.errors import BattlemapError
from geo.print_queries import atlas_selection
from geo.status.kpis import Kpis
from geo.status.read import find_buildings
from geo.status.read import status_dates as read_status_dates
from layers.style import STATUS_SWATCHES, VULNERABLE_MARKER, status_swatch

MAP = "hs"
LAYER = "house-status"
HS_STATE = "hs-state"
PLAY_MS = 1500


def layout(lang: str | None = None, **_query: object) -> html.Div:
    context = _context.current()
    lang = language(lang, context.settings.app.language)
    layers = tile_layers()
    header = map_header("/house-status", lang, layers)
    try:
        with read_connection(context.engine) as conn:
            dates = read_status_dates(conn)
            bounds = data_bounds(conn, scope=current_scope())
            options = filter_options(conn, scope=current_scope())
            version = loaded.data_state(conn).version
    except BattlemapError as exc:
        return unavailable_page(header, exc, lang, page_id=ids.HS_PAGE)
    first, last = dates if dates else (china_today(), china_today())
    days = (last - first).days
    spec = _map.map_spec(
        MAP,
        overlay=layers.get(LAYER),
        basemap=layers.get("basemap"),
        bounds=bounds,
        map_settings=context.settings.map,
        geojson=_risk_panel.geojson_layers(),
    )
    query = _query_for(last, version)
    marks = slider_marks(days, lambda i: (first + dt.timedelta(days=i)).strftime("%m-%d"))
    controls = html.Div(
        [
            html.Div(
                [
                    html.Label(t("date", lang)),
                    html.Strong(last.isoformat(), id=ids.HS_DATE_LABEL, className="bm-date-label"),
                    html.Button(t("play", lang), id=ids.HS_PLAY, n_clicks=0, className="bm-button"),
                    print_link(ids.HS_PRINT, atlas_href({"all": "1"}, layer=LAYER, date=last), lang),
                    brief_link(ids.HS_BRIEF, brief_href({}, date=last), lang),
                ],
                className="bm-date-row",
            ),
            dcc.Slider(
                0, days, 1, value=days, marks=marks, id=ids.HS_DATE, updatemode="drag", included=False
            ),
            html.Div(
                [_filter(name, options[name], lang) for name in FILTER_COLUMNS],
                className="bm-filters",
            ),
            html.Div(
                [
                    dcc.Input(id=ids.HS_SEARCH, type="search", placeholder=t("search", lang), debounce=False),
                    html.Button(t("search_go", lang), id=ids.HS_SEARCH_GO, n_clicks=0, className="bm-button"),
                ],
                className="bm-search",
            ),
            html.P(id=ids.HS_SEARCH_MESSAGE, className="bm-note"),
            html.P(t("no_history", lang), className="bm-note") if dates is None else None,
        ],
        className="bm-controls",
    )
    side = html.Aside(
        [
            controls,
            html.Div(id=ids.HS_LEGEND),
            _risk_panel.panel(),
            html.Div(html.P(t("card_hint", lang), className="bm-note"), id=ids.HS_CARD, className="bm-card"),
        ],
        className="bm-side",
    )
    return html.Div(
        [
            header,
            html.Div(id=ids.HS_KPIS, className="bm-kpis"),
            html.Div([_map.map_view(MAP, spec, query), side], className="bm-map-body"),
            dcc.Store(
                id=HS_STATE,
                data={
                    "lang": lang,
                    "first": first.isoformat(),
                    "days": days,
                    "play": t("play", lang),
                    "pause": t("pause", lang),
                },
            ),
            dcc.Interval(id=ids.HS_PLAY_TICK, interval=PLAY_MS, disabled=True),
            dcc.Interval(id=ids.HS_REFRESH, interval=context.settings.map.refresh_seconds * 1000),
        ],
        id=ids.HS_PAGE,
        lang=lang,
        className="bm-map-page",
    )


def _filter(name: str, options: list, lang: str) -> dcc.Dropdown:
    placeholder = level(name, lang) if name in ("district", "subdistrict") else t(f"card_{name}", lang)
    return dcc.Dropdown(
        id=f"{ids.HS_FILTER}-{name}",
        options=[{"label": o.name, "value": o.id} for o in options],
        placeholder=placeholder,
        clearable=True,
        className="bm-filter",
    )


def _query_for(date: dt.date, version: int) -> dict:
    return {LAYER: {"date": date.isoformat(), "v": version}, _map.BASEMAP_SOURCE: {"v": version}}


def _date(state: dict, index: int | None) -> dt.date:
    first = dt.date.fromisoformat(state["first"])
    return first + dt.timedelta(days=int(index if index is not None else state["days"]))


def kpi_strip(figures: Kpis, lang: str) -> list:
    """Households by status (non-zero, most severe first), changes since yesterday, buildings with cases."""
    items = [_kpi(t("kpi_households", lang), figures.total, "total")]
    for code, n in figures.households.items():
        if n:
            swatch = status_swatch(code)
            items.append(_kpi(swatch.label(lang), n, code, colour=swatch.fill))
    items.append(_kpi(t("kpi_changed", lang), figures.changed_since_yesterday, "changed"))
    items.append(_kpi(t("kpi_case_buildings", lang), figures.buildings_with_cases, "case-buildings"))
    return items


def _kpi(label: str, value: int, code: str, *, colour: str | None = None) -> html.Div:
    style = {"borderTopColor": colour} if colour else None
    return html.Div(
        [html.Span(f"{value:,}", className="bm-kpi-value"), html.Span(label, className="bm-kpi-label")],
        className="bm-kpi",
        style=style,
        **data_attributes(kpi=code),
    )


def card(found: BuildingCard, lang: str, *, actions: tuple = ()) -> list:
    """The building card: where it is, households by status, the chain by level and role only, the
    isolation guide of its isolated households; then the page's ``actions`` (the house-status map's
    "simulate a case here")."""

    def row(key: str, value: str | None) -> html.Tr:
        return html.Tr([html.Th(t(key, lang)), html.Td(value if value else "–")])

    statuses = [
        html.Li(
            [
                html.Span(className="bm-swatch", style={"background": status_swatch(c).fill}),
                status_swatch(c).label(lang),
                f" {n}",
            ],
            **data_attributes(status=c),
        )
        for c, n in found.households.items()
        if n
    ]
    chain = [
        html.Li(
            f"{chain_level(link.level, lang)} · {t('scope_' + link.scope_type, lang)}"
            + (f" · {link.role}" if link.role and link.role != link.level else ""),
            **data_attributes(level=link.level),
        )
        for link in found.chain
    ]
    missing = [
        html.Li(f"{t('card_missing', lang)}: {chain_level(code, lang)}", className="bm-gap")
        for code in found.missing_levels
    ]
    return [
        html.H3(found.name or found.address or f"#{found.id}"),
        html.Table(
            [
                row("card_address", found.address),
                row("card_compound", found.compound),
                row("card_grid", found.grid),
                row("card_subdistrict", found.subdistrict),
                row("card_vulnerable", str(found.vulnerable)),
            ],
            className="bm-card-table",
        ),
        html.H4(t("card_households", lang)),
        html.Ul(statuses, className="bm-card-statuses"),
        html.H4(t("card_chain", lang)),
        html.Ul(chain + missing, className="bm-card-chain"),
        *guide_section(found.isolated, lang),
        *actions,
    ]


def _chosen(values: tuple | list) -> dict[str, int]:
    """The filter dropdowns' values by filter name, the cleared ones left out."""
    return {name: int(v) for name, v in zip(FILTER_COLUMNS, values, strict=True) if v is not None}


def register_callbacks(app: dash.Dash) -> None:
    filters = [Input(f"{ids.HS_FILTER}-{name}", "value") for name in FILTER_COLUMNS]

    @app.callback(
        Output(_map.store_id(_map.QUERY, MAP), "data"),
        Output(_map.store_id(_map.FILTER, MAP), "data"),
        Output(ids.HS_KPIS, "children"),
        Output(ids.HS_LEGEND, "children"),
        Output(ids.HS_DATE_LABEL, "children"),
        Output(ids.HS_PRINT, "href"),
        Output(ids.HS_BRIEF, "href"),
        Input(ids.HS_DATE, "value"),
        Input(ids.HS_REFRESH, "n_intervals"),
        *filters,
        State(HS_STATE, "data"),
    )
    def update(index: int | None, _tick: int | None, *args: Any) -> tuple:
        # args: the filter dropdowns' values, then the page's state store (JSON from the browser)
        *values, state = args
        lang, date = state["lang"], _date(state, index)
        chosen = _chosen(values)
        context = _context.current()
        with read_connection(context.engine) as conn:
            version = loaded.data_state(conn).version
            figures = context.kpis(conn, date=date, filters=chosen, scope=current_scope())
            unit = chosen.get("subdistrict", chosen.get("district"))
            selection = atlas_selection(conn, grid_id=chosen.get("grid"), unit_id=unit)
            of_unit = atlas_selection(conn, unit_id=unit) if unit is not None else {}
        vulnerable = (VULNERABLE_MARKER, None, "outline")
        legend = legend_panel(STATUS_SWATCHES, figures.buildings, lang, markers=(vulnerable,))
        href = atlas_href(selection, layer=LAYER, date=date)
        brief = brief_href(of_unit, date=date)
        return (
            _query_for(date, version),
            chosen,
            kpi_strip(figures, lang),
            legend,
            date.isoformat(),
            href,
            brief,
        )

    @app.callback(
        Output(ids.HS_CARD, "children"),
        Input(_map.store_id(_map.CLICK, MAP), "data"),
        Input(ids.HS_DATE, "value"),
        State(HS_STATE, "data"),
        prevent_initial_call=True,
    )
    def show_card(clicked: dict | None, index: int | None, state: dict) -> list:
        if not clicked:
            raise PreventUpdate
        with read_connection(_context.current().engine) as conn:
            found = building_card(conn, int(clicked["id"]), date=_date(state, index), scope=current_scope())
        lang = state["lang"]
        actions = (*contacts_action(found.id, lang), _risk_panel.simulate_button(found.id, lang))
        return card(found, lang, actions=actions)

    @app.callback(
        Output(_map.store_id(_map.FLY, MAP), "data"),
        Output(_map.store_id(_map.CLICK, MAP), "data"),
        Output(ids.HS_SEARCH_MESSAGE, "children"),
        Input(ids.HS_SEARCH_GO, "n_clicks"),
        Input(ids.HS_SEARCH, "n_submit"),
        State(ids.HS_SEARCH, "value"),
        State(HS_STATE, "data"),
        prevent_initial_call=True,
    )
    def search(_clicks: int, _submit: int, value: str | None, state: dict) -> tuple:
        if not value or not value.strip():
            raise PreventUpdate
        with read_connection(_context.current().engine) as conn:
            found = find_buildings(conn, value, scope=current_scope())
        if not found:
            return dash.no_update, dash.no_update, t("search_none", state["lang"], q=value.strip())
        first = found[0]
        now = time.time()
        west, south, east, north = _map.display_bounds(first.bounds, _context.current().settings.map)
        fly = {"bounds": [[west, south], [east, north]], "at": now}
        return fly, {"id": first.id, "at": now}, t("search_found", state["lang"], n=len(found))

    @app.callback(
        Output(_map.store_id(_map.FLY, MAP), "data", allow_duplicate=True),
        *filters,
        prevent_initial_call=True,
    )
    def fly_to_filter(*values: object) -> dict:
        """Choosing a grid, compound or unit also brings it into view."""
        chosen = _chosen(values)
        if not chosen:
            raise PreventUpdate
        context = _context.current()
        with read_connection(context.engine) as conn:
            bounds = filtered_bounds(conn, chosen, scope=current_scope())
        if bounds is None:
            raise PreventUpdate
        west, south, east, north = _map.display_bounds(bounds, context.settings.map)
        return {"bounds": [[west, south], [east, north]], "at": time.time()}

    _risk_panel.register_callbacks(app, map_name=MAP, state_id=HS_STATE, day=_date)

    register_play(app, button=ids.HS_PLAY, tick=ids.HS_PLAY_TICK, slider=ids.HS_DATE, state=HS_STATE)
