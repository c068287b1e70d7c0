"""The building-responsibility map (楼组包干图): layout and callbacks (registered per app).

Buildings filled by grid and outlined by building leader; buildings missing a required chain
level filled in the gap colour, counted per grid; people carrying more buildings than
``MapSettings.building_limit`` listed by code and level. Reads come from ``geo.responsibility``.
The print action downloads the atlas of the clicked building's grid (every grid before a click).
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import _context, _map
from dashboards import _ids as ids
from dashboards._auth import current_scope
from dashboards._contacts_card import contacts_action
from dashboards._html import data_attributes
from dashboards._i18n import chain_level, language, t
from dashboards._legend import legend_panel
from dashboards._print_link import atlas_href, print_link
from dashboards._shell import map_header, unavailable_page
from dashboards._status_page import card
from dashboards._tiles_routes import tile_layers
from geo import loaded
from geo.areas import data_bounds
from geo.card import building_card
from geo.clock import china_today
from geo.db import read_connection
from geo.errors import BattlemapError
from geo.print_queries import atlas_selection, grid_count
from geo.responsibility.gaps import Carrier, GridGaps, gaps_by_grid, overloaded_people
from geo.status.read import status_dates
from layers.style import GAP_SWATCH, Swatch, categorical

MAP = "rs"
LAYER = "responsibility"
RS_STATE = "rs-state"


def layout(lang: str | None = None, **_query: object) -> html.Div:
    context = _context.current()
    lang = language(lang, context.settings.app.language)
    layers = tile_layers()
    header = map_header("/responsibility", lang, layers)
    try:
        with read_connection(context.engine) as conn:
            bounds = data_bounds(conn, scope=current_scope())
            version = loaded.data_state(conn).version
            simulated = loaded.shows_simulated(conn, [LAYER])
            grids = grid_count(conn, scope=current_scope())
    except BattlemapError as exc:
        return unavailable_page(header, exc, lang, page_id=ids.RS_PAGE)
    header = map_header("/responsibility", lang, layers, simulated=simulated)
    spec = _map.map_spec(
        MAP,
        overlay=layers.get(LAYER),
        basemap=layers.get("basemap"),
        bounds=bounds,
        map_settings=context.settings.map,
    )
    side = html.Aside(
        [
            print_link(ids.RS_PRINT, atlas_href({"all": "1"}, layer=LAYER), lang, grids=grids),
            html.Div(id=ids.RS_LEGEND),
            html.H3(t("gaps_by_grid", lang)),
            html.Div(id=ids.RS_GAPS),
            html.H3(t("overloaded", lang, limit=context.settings.map.building_limit)),
            html.Div(id=ids.RS_OVERLOADED),
            html.Div(html.P(t("card_hint", lang), className="bm-note"), id=ids.RS_CARD, className="bm-card"),
        ],
        className="bm-side",
    )
    return html.Div(
        [
            header,
            html.Div([_map.map_view(MAP, spec, _query_for(version)), side], className="bm-map-body"),
            dcc.Store(id=RS_STATE, data={"lang": lang}),
            dcc.Interval(id=ids.RS_REFRESH, interval=context.settings.map.refresh_seconds * 1000),
        ],
        id=ids.RS_PAGE,
        lang=lang,
        className="bm-map-page",
    )


def _query_for(version: int) -> dict:
    return {LAYER: {"v": version}, _map.BASEMAP_SOURCE: {"v": version}}


def grid_legend(grids: list[GridGaps], lang: str) -> html.Div:
    """One swatch per grid (the map's categorical fill), then the gap colour with its count."""
    swatches = tuple(
        Swatch(
            f"grid-{g.grid_id}",
            g.name or g.code or "",
            g.name or g.code or "",
            categorical(g.grid_id),
            "#ffffff",
            "",
        )
        for g in grids
        if g.grid_id is not None
    )
    counts = {f"grid-{g.grid_id}": g.buildings for g in grids}
    gap = (GAP_SWATCH, sum(g.gap_buildings for g in grids), "fill")
    notes = (t("grid_fill", lang), t("leader_outline", lang))
    return legend_panel(
        swatches, counts, lang, markers=(gap,), notes=notes, heading=t("legend_grid_buildings", lang)
    )


def gaps_table(grids: list[GridGaps], lang: str) -> html.Table:
    rows = [
        html.Tr(
            [
                html.Td(g.name or g.code or t("unassigned", lang)),
                html.Td(g.buildings),
                html.Td(g.gap_buildings),
            ],
            className="bm-gap" if g.gap_buildings else None,
            **data_attributes(grid=g.code or ""),
        )
        for g in grids
    ]
    head = html.Tr(
        [html.Th(t("card_grid", lang)), html.Th(t("building_count", lang)), html.Th(GAP_SWATCH.label(lang))]
    )
    return html.Table([html.Thead(head), html.Tbody(rows)], className="bm-table-compact")


def overloaded_table(people: list[Carrier], lang: str) -> html.Table | html.P:
    if not people:
        return html.P(t("none_over", lang), className="bm-note")
    head = html.Tr(
        [html.Th(t("person_code", lang)), html.Th(t("role", lang)), html.Th(t("building_count", lang))]
    )
    rows = [
        html.Tr(
            [
                html.Td(p.code),
                html.Td(", ".join(chain_level(v, lang) for v in p.levels)),
                html.Td(p.buildings),
            ],
            **data_attributes(person=p.code),
        )
        for p in people
    ]
    return html.Table([html.Thead(head), html.Tbody(rows)], className="bm-table-compact")


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output(_map.store_id(_map.QUERY, MAP), "data"),
        Output(ids.RS_LEGEND, "children"),
        Output(ids.RS_GAPS, "children"),
        Output(ids.RS_OVERLOADED, "children"),
        Input(ids.RS_REFRESH, "n_intervals"),
        State(RS_STATE, "data"),
    )
    def update(_tick: int | None, state: dict) -> tuple:
        context = _context.current()
        lang = state["lang"]
        with read_connection(context.engine) as conn:
            version = loaded.data_state(conn).version
            grids = gaps_by_grid(conn, scope=current_scope())
            people = overloaded_people(conn, limit=context.settings.map.building_limit, scope=current_scope())
        return (
            _query_for(version),
            grid_legend(grids, lang),
            gaps_table(grids, lang),
            overloaded_table(people, lang),
        )

    @app.callback(
        Output(ids.RS_CARD, "children"),
        Output(ids.RS_PRINT, "href"),
        Input(_map.store_id(_map.CLICK, MAP), "data"),
        State(RS_STATE, "data"),
        prevent_initial_call=True,
    )
    def show_card(clicked: dict | None, state: dict) -> tuple:
        if not clicked:
            raise PreventUpdate
        with read_connection(_context.current().engine) as conn:
            dates = status_dates(conn)
            day = dates[1] if dates else china_today()
            found = building_card(conn, int(clicked["id"]), date=day, scope=current_scope())
            selection = atlas_selection(conn, building_id=int(clicked["id"]))
        actions = tuple(contacts_action(found.id, state["lang"]))
        return card(found, state["lang"], actions=actions), atlas_href(selection, layer=LAYER)
