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

from dashboards import _context, _key_places_panel, _loops_panel, _map, _risk_panel
from dashboards import _formats as fmt
from dashboards import _ids as ids
from dashboards._auth import current_scope
from dashboards._building_card import card
from dashboards._contacts_card import contacts_action
from dashboards._formats import number
from dashboards._html import data_attributes
from dashboards._i18n import language, level, t
from dashboards._legend import status_legend
from dashboards._play import register_play, slider_marks
from dashboards._print_link import atlas_href, brief_href, brief_link, print_link
from dashboards._shell import map_header, unavailable_page
from dashboards._tiles_routes import tile_layers
from geo import loaded
from geo.areas import FILTER_COLUMNS, data_bounds, filter_options, filtered_bounds
from geo.card import building_card
from geo.clock import china_today
from geo.db import read_connection
from geo.errors import BattlemapError
from geo.places import places_by_grid
from geo.print_queries import atlas_selection, grid_count
from geo.status.activity import OpeningDay, opening_day
from geo.status.kpis import Kpis
from geo.status.read import find_buildings
from layers.style import VULNERABLE_MARKER, status_swatch
from layers.tiles.services import marker_style

MAP = "hs"
LAYER = "house-status"
SERVICES = "services"  # the service points drawn over the statuses (layers.tiles.services)
HS_STATE = "hs-state"
PLAY_MS = 1500


def layout(lang: str | None = None, **_query: object) -> html.Div:
    context = _context.current()
    lang = language(lang, context.settings.app.language)
    layers = tile_layers()
    header = map_header("/house-status", lang, layers)
    try:
        with read_connection(context.engine) as conn:
            opening = opening_day(conn, scope=current_scope(), today=china_today())
            bounds = data_bounds(conn, scope=current_scope())
            options = filter_options(conn, scope=current_scope())
            version = loaded.data_state(conn).version
            loop_figures, loops_version = _loops_panel.read(conn, current_scope())
            simulated = loaded.shows_simulated(conn, [LAYER, _key_places_panel.KEY_PLACES_SOURCE])
            grids = grid_count(conn, scope=current_scope())
            key_places = places_by_grid(conn, scope=current_scope())
    except BattlemapError as exc:
        return unavailable_page(header, exc, lang, page_id=ids.HS_PAGE)
    header = map_header("/house-status", lang, layers, simulated=simulated)
    first, last, opened = opening.first, opening.last, opening.day
    days = (last - first).days
    spec = _map.map_spec(
        MAP,
        overlay=layers.get(LAYER),
        basemap=layers.get("basemap"),
        bounds=bounds,
        map_settings=context.settings.map,
        geojson=_risk_panel.geojson_layers(),
        markers=(layers.get(_key_places_panel.KEY_PLACES_SOURCE), layers.get(_loops_panel.LOOPS_SOURCE)),
        selectable=True,
        toggled=(_key_places_panel.KEY_PLACES_SOURCE,),
        on_top=((layers.get(SERVICES), marker_style(source=SERVICES)),),
    )
    query = _query_for(opened, version, loops_version, key_places=True)
    marks = slider_marks(days, lambda i: fmt.short_day(first + dt.timedelta(days=i), lang))
    controls = html.Div(
        [
            html.Div(
                [
                    html.Label(t("date", lang)),
                    html.Strong(fmt.day(opened, lang), id=ids.HS_DATE_LABEL, className="bm-date-label"),
                    html.Button(t("play", lang), id=ids.HS_PLAY, n_clicks=0, className="bm-button"),
                    print_link(
                        ids.HS_PRINT, atlas_href({"all": "1"}, layer=LAYER, date=opened), lang, grids=grids
                    ),
                    brief_link(ids.HS_BRIEF, brief_href({}, date=opened), lang),
                ],
                className="bm-date-row",
            ),
            dcc.Slider(
                0,
                days,
                1,
                value=(opened - first).days,
                marks=marks,
                id=ids.HS_DATE,
                updatemode="drag",
                included=False,
                allow_direct_input=False,  # Dash 4's unlabelled number box: the label above says the day
            ),
            *day_shortcuts(opening, china_today(), lang),
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
            html.P(t("no_history", lang), className="bm-note") if opening.reason == "empty" else None,
        ],
        className="bm-controls",
    )
    side = html.Aside(
        [
            controls,
            html.Div(id=ids.HS_LEGEND),
            html.Section(
                _loops_panel.panel_children(loop_figures, lang), id=ids.HS_LOOPS, className="bm-loops"
            ),
            html.Section(
                _key_places_panel.panel_children(key_places, lang),
                id=ids.HS_KEY_PLACES,
                className="bm-key-places",
            ),
            _risk_panel.panel(),
            html.P(t("card_hint", lang), className="bm-note"),
        ],
        className="bm-side",
    )
    card_float = html.Div(
        [
            html.Button(
                "×", id=ids.HS_CARD_CLOSE, n_clicks=0, className="bm-card-close", title=t("card_close", lang)
            ),
            html.Div(id=ids.HS_CARD, className="bm-card"),
        ],
        id=ids.HS_CARD_FLOAT,
        className="bm-card-float",
        hidden=True,
    )
    return html.Div(
        [
            header,
            html.Div(id=ids.HS_KPIS, className="bm-kpis"),
            html.Div([_map.map_view(MAP, spec, query, over=(card_float,)), side], className="bm-map-body"),
            dcc.Store(
                id=HS_STATE,
                data={
                    "lang": lang,
                    "first": first.isoformat(),
                    "days": days,
                    "opened": (opened - first).days,
                    "shortcuts": shortcut_days(opening, china_today()),
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


def _query_for(date: dt.date, version: int, loops_version: int, *, key_places: bool) -> dict:
    """Per tile source its query; ``key_places``: the key places' layer is shown (its toggle)."""
    return {
        LAYER: {"date": date.isoformat(), "v": version},
        _map.BASEMAP_SOURCE: {"v": version},
        _loops_panel.LOOPS_SOURCE: {"v": loops_version},
        _key_places_panel.KEY_PLACES_SOURCE: {"v": version, "visible": key_places},
        SERVICES: {"v": version},
    }


def shortcut_days(opening: OpeningDay, today: dt.date) -> dict[str, str]:
    """The day of each shortcut button that may be used (inside the history)."""
    days = {
        ids.HS_DAY_ACTIVE: opening.latest_active,
        ids.HS_DAY_BUSIEST: opening.busiest,
        ids.HS_DAY_TODAY: today,
    }
    return {k: d.isoformat() for k, d in days.items() if d is not None and opening.first <= d <= opening.last}


def day_shortcuts(opening: OpeningDay, today: dt.date, lang: str) -> list:
    """Buttons to the latest day with cases, the busiest day and today, and why the map opened where
    it did when the last days are quiet."""

    def button(component_id: str, label: str, day: dt.date | None, title: str | None = None) -> html.Button:
        inside = day is not None and opening.first <= day <= opening.last
        return html.Button(
            label,
            id=component_id,
            n_clicks=0,
            className="bm-button bm-day-button",
            disabled=not inside,
            title=title,
            **data_attributes(day=day.isoformat() if inside and day else ""),
        )

    def short(day: dt.date | None) -> str:
        return fmt.short_day(day, lang) if day else "–"

    def long(day: dt.date) -> str:
        return fmt.day(day, lang)

    first, last = long(opening.first), long(opening.last)
    # Every button is always there (disabled without a day): the page's callbacks listen to all three.
    active, busiest = opening.latest_active, opening.busiest
    buttons = [
        button(ids.HS_DAY_ACTIVE, t("day_active", lang, day=short(active)), active),
        button(ids.HS_DAY_BUSIEST, t("day_busiest", lang, day=short(busiest)), busiest),
        button(
            ids.HS_DAY_TODAY,
            t("day_today", lang),
            today,
            None
            if opening.first <= today <= opening.last
            else t("day_today_none", lang, today=long(today), first=first, last=last),
        ),
    ]
    notes = {
        "quiet_after": t("day_quiet_after", lang, day=long(opening.day), last=last),
        "quiet": t("day_quiet", lang, first=first, last=last),
    }
    note = notes.get(opening.reason)
    if not opening.first <= today <= opening.last:
        note = " · ".join(
            n for n in (note, t("day_today_none", lang, today=long(today), first=first, last=last)) if n
        )
    return [
        html.Div(buttons, className="bm-day-row"),
        html.P(note, id=ids.HS_DAY_NOTE, className="bm-note bm-day-note") if note else None,
    ]


def _date(state: dict, index: int | None) -> dt.date:
    first = dt.date.fromisoformat(state["first"])
    return first + dt.timedelta(days=int(index if index is not None else state.get("opened", state["days"])))


def kpi_strip(figures: Kpis, lang: str) -> list:
    """Households by status (non-zero, most severe first), changes since yesterday, buildings with cases."""
    items = [_kpi(lang, t("kpi_households", lang), figures.total, "total")]
    for code, n in figures.households.items():
        if n:
            swatch = status_swatch(code)
            label = t("kpi_status_households", lang, status=swatch.label(lang))
            items.append(_kpi(lang, label, n, code, colour=swatch.fill))
    items.append(_kpi(lang, t("kpi_changed", lang), figures.changed_since_yesterday, "changed"))
    items.append(_kpi(lang, t("kpi_case_buildings", lang), figures.buildings_with_cases, "case-buildings"))
    return items


def _kpi(lang: str, label: str, value: int, code: str, *, colour: str | None = None) -> html.Div:
    style = {"borderTopColor": colour} if colour else None
    return html.Div(
        [
            html.Span(number(value, lang), className="bm-kpi-value"),
            html.Span(label, className="bm-kpi-label"),
        ],
        className="bm-kpi",
        style=style,
        **data_attributes(kpi=code),
    )


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
        Output(ids.HS_LOOPS, "children"),
        Output(ids.HS_BRIEF, "href"),
        Input(ids.HS_DATE, "value"),
        Input(ids.HS_REFRESH, "n_intervals"),
        Input(ids.HS_KEY_PLACES_TOGGLE, "value"),
        *filters,
        State(HS_STATE, "data"),
    )
    def update(index: int | None, _tick: int | None, shown: list[str] | None, *args: Any) -> tuple:
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
            loop_figures, loops_version = _loops_panel.read(conn, current_scope())
            of_unit = atlas_selection(conn, unit_id=unit) if unit is not None else {}
        vulnerable = (VULNERABLE_MARKER, None, "outline")
        legend = [status_legend(figures, lang, markers=(vulnerable,)), _loops_panel.marker_legend(lang)]
        href = atlas_href(selection, layer=LAYER, date=date)
        loops = _loops_panel.panel_children(loop_figures, lang)
        query = _query_for(date, version, loops_version, key_places=_key_places_panel.visible(shown))
        brief = brief_href(of_unit, date=date)
        return query, chosen, kpi_strip(figures, lang), legend, fmt.day(date, lang), href, loops, brief

    @app.callback(
        Output(ids.HS_DATE, "value", allow_duplicate=True),
        Input(ids.HS_DAY_ACTIVE, "n_clicks"),
        Input(ids.HS_DAY_BUSIEST, "n_clicks"),
        Input(ids.HS_DAY_TODAY, "n_clicks"),
        State(HS_STATE, "data"),
        prevent_initial_call=True,
    )
    def jump_to_day(*args: Any) -> int:
        """The day shortcuts move the slider (disabled ones have no day)."""
        state = args[-1]
        day = state.get("shortcuts", {}).get(str(dash.ctx.triggered_id))
        if not day or not any(args[:-1]):
            raise PreventUpdate
        return (dt.date.fromisoformat(day) - dt.date.fromisoformat(state["first"])).days

    @app.callback(
        Output(_map.store_id(_map.CLICK, MAP), "data", allow_duplicate=True),
        Input(ids.HS_CARD_CLOSE, "n_clicks"),
        prevent_initial_call=True,
    )
    def close_card(_clicks: int) -> None:
        """Closing the card clears the selection (its outline goes with it)."""
        return None

    @app.callback(
        Output(ids.HS_CARD, "children"),
        Output(ids.HS_CARD_FLOAT, "hidden"),
        Input(_map.store_id(_map.CLICK, MAP), "data"),
        Input(ids.HS_DATE, "value"),
        State(HS_STATE, "data"),
        prevent_initial_call=True,
    )
    def show_card(clicked: dict | None, index: int | None, state: dict) -> tuple:
        if not clicked:
            return [], True
        with read_connection(_context.current().engine) as conn:
            found = building_card(conn, int(clicked["id"]), date=_date(state, index), scope=current_scope())
        lang = state["lang"]
        actions = (*contacts_action(found.id, lang), _risk_panel.simulate_button(found.id, lang))
        return card(found, lang, actions=actions), False

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
