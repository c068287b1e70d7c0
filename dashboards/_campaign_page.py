"""The vaccination campaign board (疫苗接种挂图, /campaign): layout and callbacks (registered per app).

Per sub-district the task total, the funnel to date, 剩余任务量, 日均任务量 and the 7-day average, behind
units flagged; a click on a sub-district shows its committees, its funnel and its cumulative line
against the straight line to the deadline. The choropleth of the remaining share is the ``campaign``
tile layer. Every figure comes from ``geo.campaign`` (board, flagged, series): nothing is computed here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash
from dash import ALL, Input, Output, State, ctx, dcc, html
from dash.exceptions import PreventUpdate

from dashboards import _context, _map
from dashboards import _formats as fmt
from dashboards import _ids as ids
from dashboards._auth import current_scope
from dashboards._campaign_views import (
    board_table,
    funnel_figure,
    kpi_strip,
    legend,
    ranking_figure,
    series_figure,
)
from dashboards._i18n import language, t
from dashboards._shell import map_header, unavailable_page
from dashboards._tiles_routes import tile_layers
from geo import loaded
from geo.campaign.board import board, missing_units, ranking, totals
from geo.campaign.series import cumulative
from geo.campaign.store import Campaign, campaign_bounds, default_day, get_campaign, list_campaigns
from geo.clock import china_today
from geo.db import read_connection
from geo.errors import BattlemapError, InvalidParameter
from geo.status.read import parse_date

MAP = "cp"
LAYER = "campaign"
_GRAPH: Any = {"displayModeBar": False}


def layout(
    lang: str | None = None, campaign: str | None = None, date: str | None = None, **_q: object
) -> html.Div:
    context = _context.current()
    lang = language(lang, context.settings.app.language)
    layers = tile_layers()
    header = map_header("/campaign", lang, layers)
    try:
        with read_connection(context.engine) as conn:
            campaigns = list_campaigns(conn)
            chosen = get_campaign(conn, campaign) if campaign else (campaigns[0] if campaigns else None)
            day = parse_date(date) if date else (default_day(conn, chosen, china_today()) if chosen else None)
            bounds = campaign_bounds(conn, chosen, scope=current_scope()) if chosen else None
            version = loaded.data_state(conn).version
    except BattlemapError as exc:
        return unavailable_page(header, exc, lang, page_id=ids.CP_PAGE)
    # The same components with or without a campaign (Dash checks every page's callbacks against
    # them); without one the page says so and its callbacks have no date to work on.
    ready = chosen is not None and day is not None
    spec = None
    if ready:
        spec = _map.map_spec(MAP, overlay=layers.get(LAYER), basemap=layers.get("basemap"), bounds=bounds,
                             map_settings=context.settings.map, interactive=False)  # fmt: skip
    deadline = t("cp_deadline", lang, day=fmt.day(chosen.deadline, lang)) if chosen else ""
    controls = html.Div(
        [
            html.Label([t("cp_campaign", lang), dcc.Dropdown(
                id=ids.CP_CAMPAIGN, options=[{"label": c.name, "value": c.name} for c in campaigns],
                value=chosen.name if chosen else None, clearable=False, className="bm-cp-select")]),
            html.Label([t("date", lang), dcc.DatePickerSingle(
                id=ids.CP_DATE, date=day.isoformat() if day else None,
                min_date_allowed=chosen.start.isoformat() if chosen else None,
                max_date_allowed=max(day, chosen.deadline).isoformat() if chosen and day else None,
                display_format="YYYY-MM-DD", first_day_of_week=1)]),
            html.Span(deadline, className="bm-note"),
        ],
        className="bm-cp-controls",
    )  # fmt: skip
    alert = html.Div(t("cp_none", lang), id=ids.CP_ALERT, className="bm-alert", role="status", hidden=ready)
    detail = html.Section(
        [
            html.H3(id=ids.CP_DETAIL_TITLE),
            html.Div(id=ids.CP_COMMITTEES),
            html.Div(
                [
                    html.Div([html.H4(t("cp_funnel", lang)), dcc.Graph(id=ids.CP_FUNNEL, config=_GRAPH)]),
                    html.Div([html.H4(t("cp_series", lang)), dcc.Graph(id=ids.CP_SERIES, config=_GRAPH)]),
                ],
                className="bm-cp-charts",
            ),
        ],
        id=ids.CP_DETAIL,
        className="bm-cp-detail",
    )
    return html.Div(
        [
            header,
            alert,
            controls,
            html.Div(id=ids.CP_KPIS, className="bm-kpis"),
            html.Main(
                [
                    html.Section(
                        [
                            html.P(t("cp_click_hint", lang), className="bm-note"),
                            html.Div(id=ids.CP_TABLE, className="bm-cp-table-wrap"),
                            html.P(t("cp_avg_note", lang), className="bm-note"),
                        ],
                        className="bm-cp-board",
                    ),
                    html.Section(
                        [
                            _map.map_view(
                                MAP,
                                spec,
                                _query(chosen, day, version) if chosen and day else {},
                                class_name="bm-cp-map",
                            ),
                            legend(lang),
                        ],
                        className="bm-cp-mapbox",
                    ),
                    detail,
                    html.Section(
                        [html.H3(t("cp_ranking", lang)), dcc.Graph(id=ids.CP_RANKING, config=_GRAPH)],
                        className="bm-cp-ranking",
                    ),
                ],
                className="bm-cp-grid",
            ),
            dcc.Store(id=ids.CP_STATE, data={"lang": lang}),
            dcc.Store(id=ids.CP_UNIT, data=None),
            dcc.Interval(id=ids.CP_REFRESH, interval=context.settings.map.refresh_seconds * 1000),
        ],
        id=ids.CP_PAGE,
        lang=lang,
        className="bm-page bm-campaign-page",
    )


def _query(campaign: Campaign, day: dt.date, version: int) -> dict:
    return {LAYER: {"v": version, "campaign": campaign.name, "date": day.isoformat()},
            _map.BASEMAP_SOURCE: {"v": version}}  # fmt: skip


def _day(value: str | None) -> dt.date:
    if not value:
        raise PreventUpdate
    try:
        return parse_date(value)
    except InvalidParameter:
        raise PreventUpdate from None


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output(ids.CP_KPIS, "children"),
        Output(ids.CP_TABLE, "children"),
        Output(ids.CP_RANKING, "figure"),
        Output(_map.store_id(_map.QUERY, MAP), "data"),
        Input(ids.CP_CAMPAIGN, "value"),
        Input(ids.CP_DATE, "date"),
        Input(ids.CP_REFRESH, "n_intervals"),
        State(ids.CP_STATE, "data"),
    )
    def update(name: str, date: str | None, _tick: int | None, state: dict) -> tuple:
        lang, day, scope = state["lang"], _day(date), current_scope()
        with read_connection(_context.current().engine) as conn:
            campaign = get_campaign(conn, name)
            rows = board(conn, campaign, day=day, scope=scope)
            missing = missing_units(conn, campaign, day=day, scope=scope)
            version = loaded.data_state(conn).version
        total = totals(rows, campaign, day)
        behind = sum(1 for r in rows if r.behind)
        return (
            kpi_strip(total, behind, len(missing), lang),
            board_table(rows, total, lang, clickable=True),
            ranking_figure(ranking(rows), lang),
            _query(campaign, day, version),
        )

    @app.callback(
        Output(ids.CP_UNIT, "data"),
        Input({"type": ids.CP_ROW, "code": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def select(clicks: list[int | None]) -> str:
        triggered = ctx.triggered_id
        if not isinstance(triggered, dict) or not any(clicks):
            raise PreventUpdate
        return str(triggered["code"])

    @app.callback(
        Output(ids.CP_DETAIL_TITLE, "children"),
        Output(ids.CP_COMMITTEES, "children"),
        Output(ids.CP_FUNNEL, "figure"),
        Output(ids.CP_SERIES, "figure"),
        Input(ids.CP_UNIT, "data"),
        Input(ids.CP_CAMPAIGN, "value"),
        Input(ids.CP_DATE, "date"),
        State(ids.CP_STATE, "data"),
    )
    def detail(code: str | None, name: str, date: str | None, state: dict) -> tuple:
        lang, day, scope = state["lang"], _day(date), current_scope()
        with read_connection(_context.current().engine) as conn:
            campaign = get_campaign(conn, name)
            if code:
                unit_rows = board(conn, campaign, day=day, scope=scope, unit=code)
                if not unit_rows:
                    raise PreventUpdate
                own, committees = unit_rows[0], unit_rows[1:]
            else:
                own, committees = totals(board(conn, campaign, day=day, scope=scope), campaign, day), []
            points = cumulative(conn, campaign, day=day, unit=code, scope=scope)
        title = own.unit if code else t("cp_total", lang)
        if committees:
            table: object = [html.H4(t("cp_committees", lang, unit=own.unit)),
                             board_table(committees, None, lang, clickable=False)]  # fmt: skip
        elif code:
            table = html.P(t("cp_no_committees", lang, unit=own.unit), className="bm-note")
        else:
            table = html.P(t("cp_click_hint", lang), className="bm-note")
        return title, table, funnel_figure(own, lang), series_figure(points, lang)
