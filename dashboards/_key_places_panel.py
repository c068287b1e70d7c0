"""The key places (重点场所) of the house-status map: the toggle of their layer, their legend (one
swatch per kind, with the scope's count) and their counts per grid.

Every number is ``geo.places.places_by_grid`` for the signed-in user's scope (what
``battlemap places counts`` prints); the colours are ``layers.style.KEY_PLACE_SWATCHES``, those of
the ``key-places`` tile layer.
"""

from __future__ import annotations

from dash import dcc, html

from dashboards import _ids as ids
from dashboards._formats import number
from dashboards._html import data_attributes
from dashboards._i18n import t
from geo.places import GridPlaces
from geo.vocab import KEY_PLACE_KINDS
from layers.style import KEY_PLACE_SWATCHES

KEY_PLACES_SOURCE = "key-places"
"""The key places' tile layer (``layers.tiles.key_places``), a source of the house-status map."""
SHOWN = "shown"
GRID_ROWS = 10
"""Grids listed (most key places first); the others are counted in one line."""


def visible(value: list[str] | None) -> bool:
    """Whether the toggle's value shows the layer (the checklist holds ``SHOWN`` when ticked)."""
    return SHOWN in (value or [])


def toggle(lang: str) -> dcc.Checklist:
    return dcc.Checklist(
        options=[{"label": " " + t("keyplaces_toggle", lang), "value": SHOWN}],
        value=[SHOWN],
        id=ids.HS_KEY_PLACES_TOGGLE,
        className="bm-toggle",
    )


def _swatch(fill: str, outline: str) -> html.Span:
    return html.Span(className="bm-swatch bm-swatch-dot", style={"background": fill, "borderColor": outline})


def panel_children(grids: list[GridPlaces], lang: str) -> list:
    """The toggle, the legend with the scope's count per kind, and a table of the grids holding key
    places (key places in all, then per kind), the places in no grid last."""
    totals = {kind: sum(g.by_kind.get(kind, 0) for g in grids) for kind in KEY_PLACE_KINDS}
    legend = html.Ul(
        [
            html.Li(
                [
                    _swatch(s.fill, "#ffffff"),
                    html.Span(s.label(lang), className="bm-legend-label"),
                    html.Span(number(totals[s.code], lang), className="bm-legend-count"),
                ],
                **data_attributes(code=s.code),
            )
            for s in KEY_PLACE_SWATCHES
        ]
    )
    children: list = [html.H3(t("keyplaces_heading", lang)), toggle(lang), legend]
    rows = sorted((g for g in grids if g.key_places), key=lambda g: (g.grid is None, -g.key_places))
    if not rows:
        return [*children, html.P(t("keyplaces_none", lang), className="bm-note")]
    head = html.Tr(
        [html.Th(t("keyplaces_grid", lang)), html.Th(t("keyplaces_total", lang))]
        + [html.Th(_swatch(s.fill, s.fill), title=s.label(lang)) for s in KEY_PLACE_SWATCHES]
    )
    body = [
        html.Tr(
            [
                html.Td(g.name or g.grid or t("keyplaces_no_grid", lang)),
                html.Td(number(g.key_places, lang), **data_attributes(count="key_places")),
            ]
            + [
                html.Td(number(g.by_kind.get(kind, 0), lang), **data_attributes(count=kind))
                for kind in KEY_PLACE_KINDS
            ],
            **data_attributes(grid=g.grid or ""),
        )
        for g in rows[:GRID_ROWS]
    ]
    table = html.Table([html.Thead(head), html.Tbody(body)], className="bm-table-compact bm-key-places-table")
    more = [html.P(t("keyplaces_more", lang, n=len(rows) - GRID_ROWS), className="bm-note")]
    note = html.P(t("keyplaces_note", lang), className="bm-note")
    return [*children, table, *(more if len(rows) > GRID_ROWS else []), note]
