"""Closed-loop work on the commander's pages: the loops panel of the house-status map (open / overdue /
closed today per kind and per grid) and the wall's block (overdue and closed today, large).

Every number is ``geo.loops.summary`` over ``geo.loops.engine.counts``: the figures of
``/api/v1/loops/counts`` for the same user. Counts only: no item's note, place or assignee.
"""

from __future__ import annotations

import dash
from dash import Input, Output, State, html
from dash.exceptions import PreventUpdate
from sqlalchemy import Connection

from dashboards import _context
from dashboards import _ids as ids
from dashboards._auth import current_scope
from dashboards._formats import number
from dashboards._html import data_attributes
from dashboards._i18n import t
from geo.db import read_connection
from geo.errors import BattlemapError
from geo.loops.kinds import default_kinds
from geo.loops.summary import LoopSummary, Totals, map_version, summary
from geo.scope import Scope
from layers.style import LOOP_CLOSED_SWATCH, LOOP_OPEN_SWATCH, LOOP_OVERDUE_SWATCH, Swatch

LOOPS_SOURCE = "loops"
"""The loop markers' tile layer (``layers.tiles.loops``), a source of the maps that show them."""
GRID_ROWS = 8
"""Grids listed in the panel (most overdue first); the rest are counted in one line."""
WALL_GRIDS = 5


def read(conn: Connection, scope: Scope) -> tuple[LoopSummary, int]:
    """The panel's figures for ``scope`` and the markers' tile version (the maps' ``v``)."""
    return summary(conn, scope, kinds=default_kinds()), map_version(conn)


def kind_label(code: str | None, lang: str) -> str:
    kind = default_kinds().get(code or "")
    if kind is None:
        return code or t("loops_total", lang)
    return kind.name(lang)


def _cells(lang: str, totals: Totals, **attrs: str) -> list[html.Td]:
    return [
        html.Td(number(totals.open, lang), **data_attributes(**attrs, figure="open")),
        html.Td(
            number(totals.overdue, lang),
            className="bm-loops-overdue" if totals.overdue else None,
            **data_attributes(**attrs, figure="overdue"),
        ),
        html.Td(number(totals.closed_today, lang), **data_attributes(**attrs, figure="closed_today")),
    ]


def _head(first: str, lang: str) -> html.Thead:
    return html.Thead(
        html.Tr(
            [
                html.Th(first),
                html.Th(t("loops_open", lang)),
                html.Th(t("loops_overdue", lang)),
                html.Th(t("loops_closed_today", lang)),
            ]
        )
    )


def panel_children(found: LoopSummary, lang: str) -> list:
    """The house-status page's loops panel: a table per kind (with the total) and per grid."""
    kinds = [
        html.Tr([html.Th(kind_label(k.key, lang)), *_cells(lang, k, kind=k.key or "")]) for k in found.by_kind
    ]
    kinds.append(
        html.Tr(
            [html.Th(t("loops_total", lang)), *_cells(lang, found.total, kind="all")],
            className="bm-loops-total",
        )
    )
    grids = [
        html.Tr(
            [
                html.Th(g.name or g.key or t("loops_no_grid", lang), title=g.key),
                *_cells(lang, g, grid=g.key or ""),
            ]
        )
        for g in found.by_grid[:GRID_ROWS]
    ]
    rest = len(found.by_grid) - GRID_ROWS
    return [
        html.H3(t("loops_heading", lang)),
        html.Table([_head(t("loops_kind", lang), lang), html.Tbody(kinds)], className="bm-loops-table"),
        html.Table([_head(t("loops_grid", lang), lang), html.Tbody(grids)], className="bm-loops-table")
        if grids
        else html.P(t("loops_none", lang), className="bm-note"),
        html.P(t("loops_more_grids", lang, n=rest), className="bm-note") if rest > 0 else None,
        html.P(t("loops_units", lang), className="bm-note"),
    ]


def marker_legend(lang: str, *, dark: bool = False) -> html.Ul:
    """Legend rows of the loop markers (dots), the same colours as the tiles' style."""

    def row(swatch: Swatch) -> html.Li:
        fill = swatch.dark_fill if dark else swatch.fill
        return html.Li(
            [
                html.Span(className="bm-swatch bm-swatch-dot", style={"background": fill}),
                html.Span(swatch.label(lang), className="bm-legend-label"),
            ],
            **data_attributes(code=swatch.code),
        )

    return html.Ul(
        [
            row(LOOP_OVERDUE_SWATCH),
            row(LOOP_OPEN_SWATCH),
            html.Li(t("loops_markers", lang), className="bm-note"),
        ],
        className="bm-loops-legend",
    )


def _figure(lang: str, label: str, value: int, swatch: Swatch, code: str) -> html.Div:
    return html.Div(
        [
            html.Span(number(value, lang), className="bm-wall-loop-value"),
            html.Span(label, className="bm-kpi-label"),
        ],
        className="bm-wall-loop-figure",
        style={"borderTopColor": swatch.dark_fill},
        **data_attributes(loops=code),
    )


def wall_children(found: LoopSummary, lang: str) -> list:
    """The wall's block: overdue and closed today in large figures, overdue per kind, the grids most
    overdue (counts only: the wall sees no items)."""
    per_kind = [
        html.Li(
            [html.Span(kind_label(k.key, lang)), html.Strong(number(k.overdue, lang))],
            **data_attributes(kind=k.key or ""),
        )
        for k in found.by_kind
        if k.overdue
    ]
    grids = [
        html.Li(
            [html.Span(g.name or g.key or t("loops_no_grid", lang)), html.Strong(number(g.overdue, lang))],
            **data_attributes(grid=g.key or ""),
        )
        for g in found.by_grid[:WALL_GRIDS]
        if g.overdue
    ]
    return [
        html.H3(t("loops_heading", lang)),
        html.Div(
            [
                _figure(lang, t("loops_overdue", lang), found.total.overdue, LOOP_OVERDUE_SWATCH, "overdue"),
                _figure(
                    lang,
                    t("loops_closed_today", lang),
                    found.total.closed_today,
                    LOOP_CLOSED_SWATCH,
                    "closed_today",
                ),
                _figure(lang, t("loops_open", lang), found.total.open, LOOP_OPEN_SWATCH, "open"),
            ],
            className="bm-wall-loop-figures",
        ),
        html.Div(
            [
                html.Ul(per_kind, className="bm-wall-loop-list") if per_kind else None,
                html.H4(t("loops_overdue_grids", lang)) if grids else None,
                html.Ul(grids, className="bm-wall-loop-list") if grids else None,
            ],
            className="bm-wall-loop-lists",
        ),
    ]


def wall_strip() -> tuple:
    """The wall's loop figures, a strip under its map (filled by ``register_wall_callbacks``)."""
    return (html.Div(id=ids.WALL_LOOPS, className="bm-wall-loops"),)


def register_wall_callbacks(app: dash.Dash) -> None:
    """The wall's loop figures, refreshed with the wall; while the database does not answer the last
    figures stay (the wall's badge says since when)."""

    @app.callback(
        Output(ids.WALL_LOOPS, "children"),
        Input(ids.WALL_REFRESH, "n_intervals"),
        State(ids.WALL_STATE, "data"),
    )
    def refresh(_tick: int | None, state: dict) -> list:
        try:
            with read_connection(_context.current().engine) as conn:
                found = summary(conn, current_scope(), kinds=default_kinds())
        except BattlemapError:
            raise PreventUpdate from None
        return wall_children(found, state["lang"])
