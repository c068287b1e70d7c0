"""The movement-flow map (动线管理图): layout and callbacks (registered per app by ``register_callbacks``).

Two views of one map. Closed-loop transfers (闭环转运): legs as curved, directed lines coloured
by their state at the clock, OD totals when zoomed out, overdue chains listed and counted, a
chain's legs and handover times on click. Compound flows (小区动线): for the chosen compound,
the path from each gate through registration, temperature check and delivery drop, drawn from
the gate counts, with the counts per gate and hour. A time window (last 24 h by default, ending
at the data's latest time) with playback drives both. Reads come from ``geo.flows``.
"""

from __future__ import annotations

import datetime as dt
import time

import dash
from dash import ALL, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import _context, _map
from dashboards import _flows_panels as panels
from dashboards import _formats as fmt
from dashboards import _ids as ids
from dashboards._auth import current_scope
from dashboards._i18n import language, t
from dashboards._play import register_play, slider_marks
from dashboards._shell import map_header, unavailable_page
from dashboards._tiles_routes import tile_layers
from geo import loaded
from geo.areas import data_bounds
from geo.db import read_connection
from geo.errors import BattlemapError
from geo.flows import chains
from geo.flows.tiles import LEGS_LAYER
from layers.tiles.registry import TileLayers

MAP = "fl"
LAYER = "flows"
FL_STATE = "fl-state"
PLAY_MS = 1200
WINDOWS = (6, 12, 24, 48, 72)
LOOPS, COMPOUND = "loops", "compound"


def layout(lang: str | None = None, view: str | None = None, **_query: object) -> html.Div:
    context = _context.current()
    lang = language(lang, context.settings.app.language)
    layers = tile_layers()
    header = map_header("/flows", lang, layers)
    try:
        scope = current_scope()
        with read_connection(context.engine) as conn:
            span = chains.time_span(conn, scope=scope)
            last = chains.latest_time(conn, scope=scope) or (span[1] if span else None)
            bounds = chains.flow_bounds(conn, scope=scope) or data_bounds(conn, scope=scope)
            compounds = chains.compounds_with_gates(conn, scope=scope)
            version = loaded.data_state(conn).version
            simulated = loaded.shows_simulated(conn, [LAYER])
    except BattlemapError as exc:
        return unavailable_page(header, exc, lang, page_id=ids.FL_PAGE)
    header = map_header("/flows", lang, layers, simulated=simulated)
    settings = context.settings.flows
    last = last or dt.datetime.now(dt.UTC)
    steps = max(1, int((last - span[0]).total_seconds() // 3600) + 1) if span else 1
    state = {
        "lang": lang,
        "last": last.isoformat(),
        "days": steps,  # the clientside player steps the slider up to this index
        "deadline": settings.deadline_hours,
        "play": t("play", lang),
        "pause": t("pause", lang),
    }
    view = view if view in (LOOPS, COMPOUND) else LOOPS
    hours = settings.window_hours
    side = html.Aside(
        [
            dcc.RadioItems(
                [{"label": t(f"flows_view_{v}", lang), "value": v} for v in (LOOPS, COMPOUND)],
                value=view,
                id=ids.FL_VIEW,
                inline=True,
                className="bm-view-switch",
            ),
            _time_controls(state, steps, last, hours, lang),
            html.Div(id=ids.FL_LEGEND),
            html.Div(
                [
                    dcc.Dropdown(
                        [{"label": c.name, "value": c.id} for c in compounds],
                        value=compounds[0].id if compounds else None,
                        id=ids.FL_COMPOUND,
                        placeholder=t("compound_pick", lang),
                        clearable=False,
                    ),
                    html.H3(t("gate_counts", lang)),
                    html.Div(id=ids.FL_COMPOUND_PANEL),
                ],
                id=f"{ids.FL_COMPOUND_PANEL}-wrap",
                hidden=view != COMPOUND,
            ),
            html.Div(
                [
                    html.H3(t("overdue_heading", lang, h=f"{settings.deadline_hours:g}")),
                    html.Div(id=ids.FL_OVERDUE),
                    html.H3(t("gaps_heading", lang)),
                    html.Div(id=ids.FL_GAPS),
                    html.Div(
                        html.P(t("chain_hint", lang), className="bm-note"),
                        id=ids.FL_CARD,
                        className="bm-card",
                    ),
                ],
                id=ids.FL_LOOPS_PANEL,
                hidden=view != LOOPS,
            ),
            html.P(t("no_transfers", lang), className="bm-note") if span is None else None,
        ],
        className="bm-side bm-side-wide",
    )
    spec = _spec(layers, bounds, context)
    query = _query_for(last, hours, settings.deadline_hours, version)
    return html.Div(
        [
            header,
            html.Div(id=ids.FL_KPIS, className="bm-kpis"),
            html.Div([_map.map_view(MAP, spec, query), side], className="bm-map-body"),
            dcc.Store(id=FL_STATE, data=state),
            dcc.Interval(id=ids.FL_PLAY_TICK, interval=PLAY_MS, disabled=True),
            dcc.Interval(id=ids.FL_REFRESH, interval=context.settings.map.refresh_seconds * 1000),
        ],
        id=ids.FL_PAGE,
        lang=lang,
        className="bm-map-page",
    )  # fmt: skip


def _time_controls(state: dict, steps: int, last: dt.datetime, hours: int, lang: str) -> html.Div:
    """The window's end on an hourly slider with a play button, and the window's length."""
    marks = slider_marks(steps, lambda i: fmt.short_day(_at(state, i), lang), count=5)
    marks[steps] = panels.local(last, lang)
    options = sorted({*WINDOWS, hours})
    return html.Div(
        [
            html.Div(
                [
                    html.Label(t("window_end", lang)),
                    html.Strong(
                        panels.local(last, lang, year=True), id=ids.FL_AT_LABEL, className="bm-date-label"
                    ),
                    html.Button(t("play", lang), id=ids.FL_PLAY, n_clicks=0, className="bm-button"),
                ],
                className="bm-date-row",
            ),
            dcc.Slider(
                0,
                steps,
                1,
                value=steps,
                marks=marks,
                id=ids.FL_AT,
                updatemode="mouseup",
                included=False,
                allow_direct_input=False,  # Dash 4's unlabelled number box covered the last tick
            ),
            html.Div(
                [
                    html.Label(t("window_hours", lang)),
                    dcc.Dropdown(
                        [{"label": t("hours_n", lang, n=h), "value": h} for h in options],
                        value=hours,
                        id=ids.FL_HOURS,
                        clearable=False,
                        className="bm-filter",
                    ),
                ],
                className="bm-date-row",
            ),
        ],
        className="bm-controls",
    )


def _spec(
    layers: TileLayers, bounds: tuple[float, float, float, float] | None, context: _context.PageContext
) -> dict:
    """The shared map spec, with legs (not buildings) clickable and highlighted."""
    spec = _map.map_spec(
        MAP,
        overlay=layers.get(LAYER),
        basemap=layers.get("basemap"),
        bounds=bounds,
        map_settings=context.settings.map,
    )
    spec["clickable"] = [f"{LAYER}-legs", f"{LAYER}-legs-dashed"]
    for layer in spec["style"]["layers"]:
        if layer["id"] == spec["highlightLayer"]:
            layer["source-layer"] = LEGS_LAYER
            layer["paint"]["line-width"] = 10
            layer["paint"]["line-opacity"] = 0.6
    return spec


def _at(state: dict, index: int | None) -> dt.datetime:
    last = dt.datetime.fromisoformat(state["last"])
    return last - dt.timedelta(hours=state["days"] - int(index if index is not None else state["days"]))


def _query_for(at: dt.datetime, hours: float, deadline: float, version: int) -> dict:
    clock = at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        LAYER: {"at": clock, "hours": hours, "deadline": deadline, "v": version},
        _map.BASEMAP_SOURCE: {"v": version},
    }


def _fly(bounds: tuple[float, float, float, float] | None, *, max_zoom: int) -> dict | object:
    if bounds is None:
        return dash.no_update
    west, south, east, north = _map.display_bounds(bounds, _context.current().settings.map)
    return {"bounds": [[west, south], [east, north]], "at": time.time(), "maxZoom": max_zoom}


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output(_map.store_id(_map.QUERY, MAP), "data"),
        Output(ids.FL_KPIS, "children"),
        Output(ids.FL_LEGEND, "children"),
        Output(ids.FL_OVERDUE, "children"),
        Output(ids.FL_GAPS, "children"),
        Output(ids.FL_AT_LABEL, "children"),
        Output(ids.FL_COMPOUND_PANEL, "children"),
        Input(ids.FL_AT, "value"),
        Input(ids.FL_HOURS, "value"),
        Input(ids.FL_COMPOUND, "value"),
        Input(ids.FL_REFRESH, "n_intervals"),
        State(FL_STATE, "data"),
    )
    def update(index: int | None, hours: int, compound: int | None, _tick: int | None, state: dict) -> tuple:
        lang, at, deadline = state["lang"], _at(state, index), float(state["deadline"])
        scope = current_scope()
        with read_connection(_context.current().engine) as conn:
            version = loaded.data_state(conn).version
            figures = chains.flow_kpis(conn, at=at, deadline_hours=deadline, window_hours=hours, scope=scope)
            overdue = chains.overdue_chains(conn, at=at, deadline_hours=deadline, scope=scope)
            gaps = chains.chain_gaps(conn, scope=scope)
            counts = (
                chains.gate_hourly_counts(conn, compound, at=at, window_hours=hours, scope=scope)
                if compound
                else None
            )
        return (
            _query_for(at, hours, deadline, version),
            panels.kpi_strip(figures, lang),
            panels.flow_legend(figures, lang),
            panels.overdue_table(overdue, lang),
            panels.gaps_list(gaps, lang),
            panels.local(at, lang, year=True),
            panels.gate_table(counts, lang) if counts is not None else None,
        )

    @app.callback(
        Output(ids.FL_CARD, "children"),
        Output(_map.store_id(_map.HIGHLIGHT, MAP), "data"),
        Output(_map.store_id(_map.FLY, MAP), "data", allow_duplicate=True),
        Input({"type": ids.FL_CHAIN, "chain": ALL}, "n_clicks"),
        Input(_map.store_id(_map.CLICK, MAP), "data"),
        State(ids.FL_AT, "value"),
        State(FL_STATE, "data"),
        prevent_initial_call=True,
    )
    def show_chain(_clicks: list[int | None], clicked: dict | None, index: int | None, state: dict) -> tuple:
        trigger = ctx.triggered_id
        if isinstance(trigger, dict) and ctx.triggered and ctx.triggered[0]["value"]:
            chain, fly = str(trigger["chain"]), True
        elif trigger == _map.store_id(_map.CLICK, MAP) and clicked and clicked.get("properties"):
            chain, fly = str(clicked["properties"]["chain_id"]), False
        else:
            raise PreventUpdate
        at, deadline = _at(state, index), float(state["deadline"])
        scope = current_scope()
        with read_connection(_context.current().engine) as conn:
            legs = chains.chain_legs(conn, chain, at=at, deadline_hours=deadline, scope=scope)
            bounds = chains.chain_bounds(conn, chain, scope=scope) if fly else None
        return (
            panels.chain_card(chain, legs, state["lang"]),
            [leg.id for leg in legs],
            _fly(bounds, max_zoom=15) if fly else dash.no_update,
        )

    @app.callback(
        Output(f"{ids.FL_COMPOUND_PANEL}-wrap", "hidden"),
        Output(ids.FL_LOOPS_PANEL, "hidden"),
        Output(_map.store_id(_map.FLY, MAP), "data", allow_duplicate=True),
        Input(ids.FL_VIEW, "value"),
        Input(ids.FL_COMPOUND, "value"),
        prevent_initial_call="initial_duplicate",
    )
    def switch_view(view: str, compound: int | None) -> tuple:
        engine, scope = _context.current().engine, current_scope()
        if view == COMPOUND and compound is not None:
            with read_connection(engine) as conn:
                bounds = chains.compound_bounds(conn, int(compound), scope=scope)
                fly = _fly(bounds, max_zoom=_map.SOURCE_MAXZOOM)
        elif view == LOOPS and ctx.triggered_id != ids.FL_COMPOUND:
            # Also on opening: the map was created before the side panel took its width.
            with read_connection(engine) as conn:
                fly = _fly(chains.flow_bounds(conn, scope=scope), max_zoom=15)
        else:
            fly = dash.no_update
        return view != COMPOUND, view != LOOPS, fly

    register_play(app, button=ids.FL_PLAY, tick=ids.FL_PLAY_TICK, slider=ids.FL_AT, state=FL_STATE)
