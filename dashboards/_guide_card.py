"""The 居家隔离索引图 on a building's card: for each household isolated that day, its steps with the
guide (操作内容, 责任部门, 工作要求, 防护标准, 注意事项) and where its item stands, and, for roles that
may print, a link to its A4 page (``/print/isolation-guide.pdf``, masked unless internal)."""

from __future__ import annotations

from urllib.parse import urlencode

from dash import html

from dashboards import _formats as fmt
from dashboards._auth import current_principal
from dashboards._html import data_attributes
from dashboards._i18n import t
from dashboards._print_routes import GUIDE_PATH
from geo.loops.guide import GUIDE_FIELDS, GuideStep, IsolatedHousehold


def _words(step: GuideStep, code: str, lang: str) -> str | None:
    found = step.lines.get(code)
    if found is None:
        return None
    return found.name(lang)


def _step(step: GuideStep, lang: str) -> html.Li:
    rows = [
        html.Tr([html.Th(t(f"guide_{code}", lang)), html.Td(text)])
        for code, _, _ in GUIDE_FIELDS
        if (text := _words(step, code, lang)) is not None
    ]
    name = step.name(lang)
    return html.Li(
        [
            html.Div(
                [html.Strong(name), html.Span(t(f"state_{step.state}", lang), className="bm-guide-state")],
                className="bm-guide-step-head",
            ),
            html.Table(html.Tbody(rows), className="bm-guide-table"),
        ],
        className=f"bm-guide-step bm-guide-{step.state}",
        **data_attributes(step=step.code, state=step.state),
    )


def guide_section(isolated: tuple[IsolatedHousehold, ...], lang: str) -> list:
    """The card's guide section (nothing when no household of the building is isolated)."""
    if not isolated:
        return []
    printable = current_principal().policy.exports
    blocks: list = [html.H4(t("guide_heading", lang))]
    for household in isolated:
        since = t("guide_since", lang, date=fmt.day(household.since, lang)) if household.since else ""
        summary: list = [html.Strong(household.unit_label or f"#{household.household_id}"), f" {since}"]
        body: list = [html.Ol([_step(s, lang) for s in household.steps], className="bm-guide-steps")]
        if printable:
            href = f"{GUIDE_PATH}?{urlencode({'household': household.household_id})}"
            body.append(
                html.A(t("guide_print", lang), href=href, download="", target="_blank", className="bm-button")
            )
        if printable and household.grid:
            grid_href = f"{GUIDE_PATH}?{urlencode({'grid': household.grid})}"
            body.append(
                html.A(
                    t("guide_print_grid", lang, grid=household.grid),
                    href=grid_href,
                    download="",
                    target="_blank",
                    className="bm-button bm-guide-grid",
                )
            )
        blocks.append(
            html.Details(
                [html.Summary(summary), *body],
                open=len(isolated) == 1,
                className="bm-guide",
                **data_attributes(household=str(household.household_id)),
            )
        )
    return blocks
