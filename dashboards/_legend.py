"""Legends of the maps, generated from ``layers.style`` (the one colour table), with counts."""

from __future__ import annotations

from typing import Any

from dash import html

from dashboards._formats import number
from dashboards._html import data_attributes
from dashboards._i18n import t
from geo.status.kpis import Kpis
from layers.style import STATUS_SWATCHES, Swatch, legend


def legend_panel(
    swatches: tuple[Swatch, ...],
    counts: dict[str, int] | None,
    lang: str,
    *,
    markers: tuple[tuple[Swatch, int | None, str], ...] = (),
    dark: bool = False,
    component_id: str | None = None,
    notes: tuple[str, ...] = (),
    hide_empty: bool = False,
    heading: str | None = None,
) -> html.Div:
    """One row per swatch (colour box, label, count), then markers drawn as dashed outlines.

    ``heading`` names what the counts count (e.g. "图例（楼栋数）"); "图例" when None."""
    rows = [
        html.Li(
            [
                html.Span(className="bm-swatch", style=_box(entry.swatch, dark)),
                html.Span(entry.swatch.label(lang), className="bm-legend-label"),
                html.Span(
                    number(entry.count, lang) if entry.count is not None else "", className="bm-legend-count"
                ),
            ],
            **data_attributes(code=entry.swatch.code),
        )
        for entry in legend(swatches, counts, hide_empty=hide_empty)
    ]
    for swatch, count, kind in markers:
        box = _box(swatch, dark) | (
            {"borderStyle": "dashed", "background": "transparent"} if kind == "outline" else {}
        )
        rows.append(
            html.Li(
                [
                    html.Span(className="bm-swatch", style=box),
                    html.Span(swatch.label(lang), className="bm-legend-label"),
                    html.Span(number(count, lang) if count is not None else "", className="bm-legend-count"),
                ],
                **data_attributes(code=swatch.code),
            )
        )
    extra: dict[str, Any] = {"id": component_id} if component_id else {}
    return html.Div(
        [
            html.H3(heading or t("legend", lang)),
            html.Ul(rows),
            *(html.P(n, className="bm-legend-note") for n in notes),
        ],
        className="bm-legend",
        **extra,
    )


def _box(swatch: Swatch, dark: bool) -> dict[str, str]:
    fill = swatch.dark_fill if dark else swatch.fill
    return {"background": fill, "borderColor": swatch.outline}


def status_legend(figures: Kpis, lang: str, *, markers: tuple = (), dark: bool = False) -> html.Div:
    """The house-status legend: buildings by their most severe household status, saying so (the KPI
    strip counts households: the two differ and must say which is which)."""
    return legend_panel(
        STATUS_SWATCHES,
        figures.buildings,
        lang,
        markers=markers,
        dark=dark,
        heading=t("legend_buildings", lang),
        notes=(t("legend_buildings_note", lang),),
    )
