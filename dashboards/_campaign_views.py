"""What the campaign board (/campaign) draws from ``geo.campaign`` rows: the KPI strip, the board table,
the ranking, the funnel and the cumulative line. Builders only: no reads, no rules, colours from
``layers.style``."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
from dash import html
from sqlalchemy import Connection

from dashboards import _formats as fmt
from dashboards import _ids as ids
from dashboards._formats import number
from dashboards._html import data_attributes
from dashboards._i18n import t
from geo.campaign.board import BoardRow, Ranked
from geo.campaign.series import SeriesPoint, funnel
from geo.campaign.store import campaign_bounds, default_day, latest_campaign
from geo.campaign.summary import campaign_summary
from geo.clock import china_today
from geo.scope import Scope
from layers.style import (
    BEHIND_SWATCH,
    CAMPAIGN_LINES,
    MISSING_REPORT_SWATCH,
    ON_TRACK_SWATCH,
    REMAINING_RAMP,
    remaining_legend,
)

COLUMNS: tuple[tuple[str, str], ...] = (
    ("target", "cp_target"),
    ("organised", "cp_organised"),
    ("booked", "cp_booked"),
    ("vaccinated", "cp_vaccinated"),
    ("remaining", "cp_remaining"),
    ("days_left", "cp_days_left"),
    ("daily_needed", "cp_daily_needed"),
    ("avg_7d", "cp_avg_7d"),
)
# The charts' fonts per language (plotly draws its own text: the page's :lang rules do not reach it).
_FONTS = {
    "ja": "Hiragino Sans, Noto Sans CJK JP, Yu Gothic, Meiryo, sans-serif",
    "ko": "Apple SD Gothic Neo, Noto Sans CJK KR, Malgun Gothic, sans-serif",
}
_FONT = "PingFang SC, Noto Sans CJK SC, Microsoft YaHei, sans-serif"


def figure(value: float | int | None, lang: str) -> str:
    """A count with thousands separators, an average to one decimal; unknown as "–"."""
    if value is None:
        return "–"
    return number(value, lang, decimals=1 if isinstance(value, float) else 0)


def kpi_strip(total: BoardRow, behind: int, missing: int, lang: str) -> list:
    """The district's 任务总量, 接种到人, 剩余任务量, 日均任务量, 近7日日均, and the flagged counts."""
    items = [
        _kpi(t("cp_target", lang), figure(total.target, lang), "target"),
        _kpi(t("cp_vaccinated", lang), figure(total.vaccinated, lang), "vaccinated"),
        _kpi(t("cp_remaining", lang), figure(total.remaining, lang), "remaining"),
        _kpi(t("cp_daily_needed", lang), figure(total.daily_needed, lang), "daily_needed"),
        _kpi(t("cp_avg_7d", lang), figure(total.avg_7d, lang), "avg_7d"),
        _kpi(t("cp_behind_units", lang), figure(behind, lang), "behind", colour=BEHIND_SWATCH.fill),
        _kpi(
            t("cp_missing_units", lang), figure(missing, lang), "missing", colour=MISSING_REPORT_SWATCH.fill
        ),
    ]
    return items


def _kpi(label: str, value: str, code: str, *, colour: str | None = None) -> html.Div:
    return html.Div(
        [html.Span(value, className="bm-kpi-value"), html.Span(label, className="bm-kpi-label")],
        className="bm-kpi",
        style={"borderTopColor": colour} if colour else None,
        **data_attributes(kpi=code),
    )


def flag(row: BoardRow, lang: str) -> html.Span:
    """The row's flag chip: behind (red), unknown pace, or on track; plus the missing-report count."""
    if row.behind:
        swatch, label = BEHIND_SWATCH, t("cp_behind", lang)
    elif row.behind is None:
        swatch, label = MISSING_REPORT_SWATCH, t("cp_unknown", lang)
    else:
        swatch, label = ON_TRACK_SWATCH, t("cp_on_track", lang)
    chips = [html.Span(label, className="bm-chip", style={"backgroundColor": swatch.fill, "color": "#ffffff"},
                       **data_attributes(flag=swatch.code))]  # fmt: skip
    if row.missing:
        chips.append(
            html.Span(
                t("cp_missing", lang, n=row.missing_units),
                className="bm-chip bm-chip-outline",
                style={"borderColor": MISSING_REPORT_SWATCH.outline, "color": MISSING_REPORT_SWATCH.outline},
                **data_attributes(flag="missing"),
            )
        )
    return html.Span(chips, className="bm-chips")


def board_table(rows: list[BoardRow], total: BoardRow | None, lang: str, *, clickable: bool) -> html.Table:
    """One line per unit (a clickable row per sub-district), behind units marked, the total below."""
    head = html.Tr(
        [html.Th(t("cp_unit", lang)), html.Th(t("cp_flag", lang))]
        + [html.Th(t(key, lang), className="bm-num") for _, key in COLUMNS]
    )
    body = []
    for row in rows:
        cells = [html.Td(row.unit), html.Td(flag(row, lang))] + [
            html.Td(figure(getattr(row, name), lang), className="bm-num", **data_attributes(col=name))
            for name, _ in COLUMNS
        ]
        extra: dict[str, Any] = (
            {"id": {"type": ids.CP_ROW, "code": row.code}, "n_clicks": 0} if clickable else {}
        )
        body.append(
            html.Tr(
                cells,
                className="bm-behind" if row.behind else None,
                style={"boxShadow": f"inset 4px 0 0 {BEHIND_SWATCH.fill}"} if row.behind else None,
                **extra,
                **data_attributes(unit=row.code),
            )
        )
    foot = []
    if total is not None:
        foot = [
            html.Tr(
                [html.Th(t("cp_total", lang)), html.Th("")]
                + [html.Th(figure(getattr(total, name), lang), className="bm-num") for name, _ in COLUMNS]
            )
        ]
    return html.Table(
        [html.Thead(head), html.Tbody(body), html.Tfoot(foot)],
        className="bm-table bm-campaign-table" + (" bm-clickable" if clickable else ""),
    )


def _layout(height: int, lang: str, **extra: object) -> dict:
    return {"height": height, "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
            "font": {"family": _FONTS.get(lang, _FONT), "size": 12},
            "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", **extra}  # fmt: skip


def ranking_figure(ranked: list[Ranked], lang: str) -> go.Figure:
    """Horizontal bars of progress (vaccinated / target), best at the top, behind units in red."""
    names = [f"{r.rank}. {r.row.unit}" for r in ranked][::-1]
    values = [(r.row.progress or 0.0) for r in ranked][::-1]
    colours = [BEHIND_SWATCH.fill if r.row.behind else REMAINING_RAMP[3] for r in ranked][::-1]
    shares = [fmt.percent(v, lang, decimals=1) for v in values]
    figure = go.Figure(
        go.Bar(x=values, y=names, orientation="h", marker_color=colours, text=shares,
               textposition="outside", cliponaxis=False, hovertemplate="%{y}: %{x:.1%}<extra></extra>")
    )  # fmt: skip
    figure.update_layout(**_layout(max(200, 18 * len(ranked) + 40), lang))
    figure.update_xaxes(tickformat=".0%", title=t("cp_progress", lang), rangemode="tozero")
    figure.update_yaxes(automargin=True)
    return figure


def funnel_figure(row: BoardRow, lang: str) -> go.Figure:
    """组织到人 -> 预约到人 -> 接种到人 of one unit, each with its share of the target (任务总量)."""
    stages = funnel(row)
    labels = [s.stage.name(lang) for s in stages]
    colours = [REMAINING_RAMP[2], REMAINING_RAMP[3], REMAINING_RAMP[4]]
    shares = ["" if s.share is None else f" ({fmt.percent(s.share, lang)})" for s in stages]
    text = [number(s.count, lang) + share for s, share in zip(stages, shares, strict=True)]
    figure = go.Figure(
        go.Funnel(y=labels, x=[s.count for s in stages], marker={"color": colours}, text=text,
                  textinfo="text", hovertemplate="%{y}: %{text}<extra></extra>")
    )  # fmt: skip
    figure.update_layout(**_layout(200, lang))
    return figure


def series_figure(points: list[SeriesPoint], lang: str) -> go.Figure:
    """Cumulative vaccinated against the straight line from the start to the target at the deadline."""
    days = [p.day.isoformat() for p in points]
    figure = go.Figure(
        [
            go.Scatter(x=days, y=[p.planned for p in points], name=t("cp_planned", lang), mode="lines",
                       line={"color": CAMPAIGN_LINES["planned"], "dash": "dash"}),
            go.Scatter(x=days, y=[p.vaccinated for p in points], name=t("cp_actual", lang), mode="lines",
                       line={"color": CAMPAIGN_LINES["actual"], "width": 3}),
        ]
    )  # fmt: skip
    figure.update_layout(**_layout(260, lang, legend={"orientation": "h", "y": -0.2}))
    figure.update_yaxes(rangemode="tozero")
    return figure


def legend(lang: str) -> html.Div:
    """The choropleth's classes and the two outlines (behind, not reported)."""
    items = [
        html.Li([html.Span(className="bm-swatch", style={"backgroundColor": colour}), label])
        for label, colour in remaining_legend()
    ]
    behind = {"border": f"3px solid {BEHIND_SWATCH.fill}"}
    missing = {"border": f"2px dashed {MISSING_REPORT_SWATCH.outline}"}
    items.append(html.Li([html.Span(className="bm-swatch", style=behind), BEHIND_SWATCH.label(lang)]))
    items.append(
        html.Li([html.Span(className="bm-swatch", style=missing), MISSING_REPORT_SWATCH.label(lang)])
    )
    return html.Div(
        [html.H3(t("cp_map", lang)), html.Ul(items, className="bm-legend-list")], id=ids.CP_LEGEND
    )


def campaign_panel(conn: Connection, *, scope: Scope, lang: str) -> tuple[list, object]:
    """The wall's figures for the ``campaign`` layer: the latest campaign's district KPIs on its
    default day, and its flagged sub-districts (``geo.campaign.summary.campaign_summary``)."""
    campaign = latest_campaign(conn)
    summary = (
        campaign_summary(conn, day=default_day(conn, campaign, china_today()), scope=scope, campaign=campaign)
        if campaign
        else None
    )
    if summary is None:
        return [], html.P(t("cp_none", lang), className="bm-note")
    behind = [r for r in summary.flagged if r.level == "subdistrict"]
    strip = kpi_strip(summary.total, len(behind), len(summary.missing), lang)
    items = [
        html.Li(
            [html.Span(className="bm-swatch", style={"backgroundColor": BEHIND_SWATCH.dark_fill}),
             f"{r.unit} · {t('cp_daily_needed', lang)} {figure(r.daily_needed, lang)}"
             f" · {t('cp_avg_7d', lang)} {figure(r.avg_7d, lang)}"],
            **data_attributes(unit=r.code),
        )
        for r in behind
    ]  # fmt: skip
    heading = html.H3(f"{summary.campaign.name} · {fmt.day(summary.day, lang)} · {t('cp_behind', lang)}")
    listed = html.Div([heading, html.Ul(items)], className="bm-legend")
    return strip, listed


def campaign_view_bounds(conn: Connection, *, scope: Scope) -> tuple[float, float, float, float] | None:
    """Where a map of the latest campaign opens: the extent of its units (of ``scope``)."""
    campaign = latest_campaign(conn)
    return campaign_bounds(conn, campaign, scope=scope) if campaign else None
