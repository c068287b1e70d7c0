"""The building-responsibility map (楼组包干图): layout and callbacks (registered per app).

The map is read for who answers and where the chain has gaps: buildings filled by the most senior
missing level (the only strong colours), complete ones quiet, grids outlined and named, building
leaders' codes at high zoom (``layers.tiles.responsibility``). The legend counts buildings per
missing level; the gaps per grid and the people carrying more buildings than
``MapSettings.building_limit`` follow. Clicking a person's code (on the map or in the table) shows,
highlights and flies to all their buildings. Reads come from ``geo.responsibility``. The print
action downloads the atlas of the clicked building's grid (every grid before a click).
"""

from __future__ import annotations

import time

import dash
from dash import ALL, Input, Output, State, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import _context, _map
from dashboards import _ids as ids
from dashboards._auth import current_scope
from dashboards._building_card import card
from dashboards._contacts_card import contacts_action
from dashboards._html import data_attributes
from dashboards._i18n import chain_level, language, t
from dashboards._legend import legend_panel
from dashboards._print_link import atlas_href, print_link
from dashboards._shell import map_header, unavailable_page
from dashboards._tiles_routes import tile_layers
from geo import loaded
from geo.areas import data_bounds
from geo.card import building_card
from geo.clock import china_today
from geo.db import read_connection
from geo.errors import BattlemapError
from geo.print_queries import atlas_selection, grid_count
from geo.responsibility.gaps import (
    Carrier,
    GridGaps,
    PersonBuildings,
    gaps_by_grid,
    gaps_by_level,
    overloaded_people,
    person_buildings,
)
from geo.status.read import status_dates
from layers.style import COMPLETE_SWATCH, GAP_LEVEL_SWATCHES, GAP_SWATCH
from layers.tiles.responsibility import LEADER_LABELS, LEADER_ZOOM

MAP = "rs"
LAYER = "responsibility"
RS_STATE = "rs-state"
PERSON = "rs-person"
"""Pattern-matching id type of the person-code buttons (``{"type": PERSON, "code": ...}``)."""


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
            html.Div(html.P(t("card_hint", lang), className="bm-note"), id=ids.RS_CARD, className="bm-card"),
            html.H3(t("gaps_by_grid", lang)),
            html.Div(id=ids.RS_GAPS),
            html.H3(t("overloaded", lang, limit=context.settings.map.building_limit)),
            html.Div(id=ids.RS_OVERLOADED),
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


def grid_legend(grids: list[GridGaps], lang: str, *, levels: dict[str, int], dark: bool = False) -> html.Div:
    """The gap colours, most senior missing level first, each with its buildings, then the quiet
    "complete" entry: a handful of rows whatever the number of grids (the map, not the legend, names
    the grids). ``levels`` is ``gaps_by_level``; ``grids`` only checks it counts the same buildings."""
    swatches = (*GAP_LEVEL_SWATCHES, COMPLETE_SWATCH)
    notes = (t("rs_fill_note", lang), t("rs_grid_note", lang), t("rs_leader_note", lang, zoom=LEADER_ZOOM))
    assert sum(levels.values()) == sum(g.buildings for g in grids), "legend and grids count alike"
    heading = t("legend_grid_buildings", lang)
    return legend_panel(swatches, levels, lang, notes=notes, dark=dark, heading=heading)


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
                html.Td(person_button(p.code)),
                html.Td(", ".join(chain_level(v, lang) for v in p.levels)),
                html.Td(p.buildings),
            ],
            **data_attributes(person=p.code),
        )
        for p in people
    ]
    return html.Table([html.Thead(head), html.Tbody(rows)], className="bm-table-compact")


def person_button(code: str) -> html.Button:
    """A person's code that shows all their buildings when clicked."""
    return html.Button(code, id={"type": PERSON, "code": code}, n_clicks=0, className="bm-link-button")


def person_card(found: PersonBuildings | None, code: str, lang: str) -> list:
    """What one person answers for: their levels, grids and buildings (codes and building names only)."""
    if found is None:
        return [html.P(t("person_unknown", lang, code=code), className="bm-note")]
    summary = t(
        "person_summary",
        lang,
        n=len(found.building_ids),
        levels=", ".join(chain_level(v, lang) for v in found.levels) or "–",
        grids=", ".join(found.grids) or "–",
    )
    return [
        html.H3(t("person_heading", lang, code=code)),
        html.P(summary, className="bm-person-summary"),
        html.Ul(
            [
                html.Li(name, **data_attributes(building=str(b)))
                for b, name in zip(found.building_ids, found.names, strict=True)
            ],
            className="bm-person-buildings",
        ),
    ]


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
            levels = gaps_by_level(conn, scope=current_scope())
            people = overloaded_people(conn, limit=context.settings.map.building_limit, scope=current_scope())
        return (
            _query_for(version),
            grid_legend(grids, lang, levels=levels),
            gaps_table(grids, lang),
            overloaded_table(people, lang),
        )

    @app.callback(
        Output(ids.RS_CARD, "children"),
        Output(ids.RS_PRINT, "href"),
        Output(_map.store_id(_map.HIGHLIGHT, MAP), "data"),
        Output(_map.store_id(_map.FLY, MAP), "data"),
        Input(_map.store_id(_map.CLICK, MAP), "data"),
        Input({"type": PERSON, "code": ALL}, "n_clicks"),
        State(RS_STATE, "data"),
        prevent_initial_call=True,
    )
    def show_card(clicked: dict | None, _clicks: list[int | None], state: dict) -> tuple:
        lang = state["lang"]
        trigger = dash.ctx.triggered_id
        if isinstance(trigger, dict) and trigger.get("type") == PERSON:
            if not any(_clicks):
                raise PreventUpdate
            return show_person(str(trigger["code"]), lang)
        if not clicked:
            raise PreventUpdate
        if str(clicked.get("layer", "")).endswith(LEADER_LABELS) and (clicked.get("properties") or {}).get(
            "leader"
        ):
            return show_person(str(clicked["properties"]["leader"]), lang)
        with read_connection(_context.current().engine) as conn:
            dates = status_dates(conn)
            day = dates[1] if dates else china_today()
            found = building_card(conn, int(clicked["id"]), date=day, scope=current_scope())
            selection = atlas_selection(conn, building_id=int(clicked["id"]))
        actions = tuple(contacts_action(found.id, lang))
        return (
            card(found, lang, actions=actions),
            atlas_href(selection, layer=LAYER),
            [found.id],
            dash.no_update,
        )


def show_person(code: str, lang: str) -> tuple:
    """The card, print link, highlight and fly-to of person ``code``'s buildings."""
    context = _context.current()
    with read_connection(context.engine) as conn:
        found = person_buildings(conn, code, scope=current_scope())
    if found is None or found.bounds is None:
        return person_card(found, code, lang), dash.no_update, [], dash.no_update
    bounds = _map.display_bounds(found.bounds, context.settings.map)
    fly = {
        "bounds": [[bounds[0], bounds[1]], [bounds[2], bounds[3]]],
        "at": time.time(),
        "maxZoom": LEADER_ZOOM,
    }
    return person_card(found, code, lang), dash.no_update, list(found.building_ids), fly
