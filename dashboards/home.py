"""The home page (/): the maps first (a preview and the day's headline figure each,
``dashboards._home_maps``), then what is loaded, by sub-district, with counts and the as-of time."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, cast

import dash
import pandas as pd
from dash import html

from dashboards import _context, _home_maps
from dashboards import _formats as fmt
from dashboards import _ids as ids
from dashboards._auth import current_scope
from dashboards._auth_ui import user_badge
from dashboards._formats import number
from dashboards._i18n import TITLE, error_text, language, level, t
from dashboards._shell import language_switch
from geo.errors import BattlemapError
from geo.loaded import COUNTED_KINDS

dash.register_page(__name__, path="/", name=TITLE, title=TITLE, order=0)

OSM_COPYRIGHT_URL = "https://www.openstreetmap.org/copyright"


def layout(lang: str | None = None, **_query: object) -> html.Div:
    """The page in ``lang`` (``?lang=zh|en``), else in the configured language."""
    context = _context.current()
    lang = language(lang, context.settings.app.language)
    try:
        summary = _in_scope(context.loaded_summary())
    except BattlemapError as exc:
        alert = [html.Strong(t("unavailable", lang)), html.P(error_text(exc, lang), title=str(exc))]
        body: list = [html.Div(alert, id=ids.HOME_ALERT, className="bm-alert", role="alert")]
    else:
        body = _loaded(summary, lang)
    body = [_home_maps.maps_section(lang), *body]
    return html.Div(
        [_header(lang), html.Main(body, className="bm-main"), _footer()],
        id=ids.HOME,
        lang=lang,
        className="bm-page",
    )


def _in_scope(summary: _context.LoadedSummary) -> _context.LoadedSummary:
    """The counts of the signed-in user's sub-districts only; whole-table totals only for users
    who see everything (they count rows of every area)."""
    scope = current_scope()
    if not scope.restricted:
        return summary
    counts = summary.counts[summary.counts["subdistrict_id"].isin(scope.unit_ids)].reset_index(drop=True)
    return dataclasses.replace(summary, counts=counts, totals=summary.totals.iloc[0:0])


def _header(lang: str) -> html.Header:
    prefix: list = [html.Span(f"{t('language', lang)}: ")]
    switch = language_switch("/", lang, prefix=prefix, component_id=ids.HOME_LANGUAGE)
    return html.Header(
        [
            html.Div([html.H1(TITLE), html.P(t("subtitle", lang), className="bm-subtitle")]),
            switch,
            user_badge(lang),
        ],
        className="bm-header",
    )


def _loaded(summary: _context.LoadedSummary, lang: str) -> list:
    as_of = summary.state.as_of
    stamp = (
        f"{t('as_of', lang)} {fmt.moment(as_of, lang)} (UTC+8)"
        if as_of is not None
        else t("never_loaded", lang)
    )
    parts: list = [html.P(stamp, id=ids.HOME_AS_OF, className="bm-as-of")]
    counts, totals = summary.counts, summary.totals
    other = totals[totals["n"] > 0]
    if counts.empty and other.empty:
        return [*parts, html.P(t("empty", lang), className="bm-empty")]
    parts.append(html.H2(t("loaded_heading", lang)))
    if not counts.empty:
        parts.append(_counts_table(counts, lang))
    if counts[[f"{k}_simulated" for k in COUNTED_KINDS]].to_numpy().sum() + other["simulated"].sum():
        parts.append(html.P(t("simulated_note", lang), className="bm-note"))
    if not other.empty:
        items = [
            html.Li([t(row.table_name, lang), " ", *_count(row.n, row.simulated, lang)])
            # pandas-stubs type itertuples' fields as any scalar: these are a name and two counts
            for row in cast(Iterable[Any], other.itertuples())
        ]
        parts += [
            html.H2(t("other_heading", lang)),
            html.Ul(items, id=ids.HOME_TOTALS, className="bm-totals"),
        ]
    return parts


def _counts_table(counts: pd.DataFrame, lang: str) -> html.Table:
    head = [html.Th(level("district", lang)), html.Th(level("subdistrict", lang))]
    head += [html.Th(t(k, lang), className="bm-num") for k in COUNTED_KINDS]
    rows, previous = [], None
    for row in counts.to_dict("records"):
        if pd.isna(row["subdistrict_id"]):
            names: list[html.Td | html.Th] = [
                html.Td(""),
                html.Td(t("unassigned", lang), className="bm-unassigned"),
            ]
        else:
            # The district is named on the first row of its group only: the table reads as a list.
            district = _name(row, "district", lang)
            names = [
                html.Td(district if district != previous else ""),
                html.Td(_name(row, "subdistrict", lang)),
            ]
            previous = district
        cells = [_count_cell(row[k], row[f"{k}_simulated"], lang) for k in COUNTED_KINDS]
        rows.append(html.Tr(names + cells))
    total = [
        html.Th(t("total", lang), colSpan=2),
        *(_count_cell(counts[k].sum(), counts[f"{k}_simulated"].sum(), lang, th=True) for k in COUNTED_KINDS),
    ]
    return html.Table(
        [
            html.Thead(html.Tr(head)),
            html.Tbody(rows),
            html.Tfoot(html.Tr(total)),
        ],
        id=ids.HOME_COUNTS,
        className="bm-table",
    )


def _name(row: dict, column: str, lang: str) -> str:
    """The English name where the data has one and the page is in English."""
    english, name = row.get(f"{column}_en"), row[column]
    if lang == "en" and isinstance(english, str) and english:
        return english
    return name if isinstance(name, str) else ""


def _count_cell(n: float, simulated: float, lang: str, *, th: bool = False) -> html.Td | html.Th:
    cell = html.Th if th else html.Td
    if not n:
        return cell("–", className="bm-num bm-zero")
    return cell(_count(n, simulated, lang), className="bm-num")


def _count(n: float, simulated: float, lang: str) -> list:
    """``n`` with a "simulated" badge when any of it is simulated (with the share when not all is)."""
    out: list = [number(int(n), lang)]
    if simulated:
        label = t("simulated", lang) + ("" if simulated == n else f" {number(int(simulated), lang)}")
        out.append(
            html.Span(
                label, className="bm-badge", title=t("simulated_title", lang, n=number(int(simulated), lang))
            )
        )
    return out


def _footer() -> html.Footer:
    return html.Footer(
        [
            html.A(
                "© OpenStreetMap contributors (ODbL)", href=OSM_COPYRIGHT_URL, target="_blank", rel="noopener"
            )
        ],
        id=ids.HOME_FOOTER,
        className="bm-footer",
    )


def _joined(items: list, separator: str) -> list:
    out: list = []
    for item in items:
        out += [separator, item] if out else [item]
    return out
