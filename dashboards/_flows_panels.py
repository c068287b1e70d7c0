"""The side panels of the movement-flow map: KPI strip, legend, overdue and gap lists, chain card,
gate counts. Pure functions of what ``geo.flows`` read; colours from ``layers.style`` only."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from dash import html

from dashboards import _formats as fmt
from dashboards import _ids as ids
from dashboards._formats import number
from dashboards._html import data_attributes
from dashboards._i18n import t
from dashboards._legend import legend_panel
from geo.flows.chains import ChainGap, FlowKpis, Leg, OverdueChain
from geo.vocab import GATE_EVENT_KINDS
from layers.style import CHAIN_GAP_SWATCH, LEG_SWATCHES, PATH_SWATCH, Swatch

_LEG_SWATCH = {s.code: s for s in LEG_SWATCHES}


def local(at: dt.datetime | None, lang: str, *, year: bool = False) -> str:
    """A time as China time in ``lang``, the way the field reads it; '–' when there is none."""
    if at is None:
        return "–"
    return fmt.moment(at, lang) if year else fmt.short_moment(at, lang)


def _kpi(lang: str, label: str, value: int, code: str, *, colour: str | None = None) -> html.Div:
    return html.Div(
        [
            html.Span(number(value, lang), className="bm-kpi-value"),
            html.Span(label, className="bm-kpi-label"),
        ],
        className="bm-kpi",
        style={"borderTopColor": colour} if colour else None,
        **data_attributes(kpi=code),
    )


def kpi_strip(figures: FlowKpis, lang: str) -> list[html.Div]:
    """Chains in the window, open, overdue (in the overdue colour), with a gap; people in transit."""
    return [
        _kpi(lang, t("kpi_chains", lang), figures.chains, "chains"),
        _kpi(
            lang,
            t("kpi_open_chains", lang),
            figures.open_chains,
            "open",
            colour=_LEG_SWATCH["in_transit"].fill,
        ),
        _kpi(
            lang,
            t("kpi_overdue_chains", lang),
            figures.overdue_chains,
            "overdue",
            colour=_LEG_SWATCH["overdue"].fill,
        ),
        _kpi(lang, t("kpi_gap_chains", lang), figures.gap_chains, "gaps", colour=CHAIN_GAP_SWATCH.fill),
        _kpi(lang, t("kpi_in_transit", lang), figures.in_transit_people, "in-transit"),
        _kpi(
            lang,
            t("kpi_handed_over", lang),
            figures.handed_over_legs,
            "handed-over",
            colour=_LEG_SWATCH["handed_over"].fill,
        ),
    ]


def flow_legend(figures: FlowKpis, lang: str) -> html.Div:
    """Leg states with their counts in the window, then the gap casing and the inside path."""
    markers: tuple[tuple[Swatch, int | None, str], ...] = (
        (CHAIN_GAP_SWATCH, figures.gap_chains, "outline"),
        (PATH_SWATCH, None, "fill"),
    )
    notes = (t("width_note", lang), t("od_note", lang))
    return legend_panel(
        LEG_SWATCHES, figures.leg_states, lang, markers=markers, notes=notes, heading=t("legend_legs", lang)
    )


def _chain_button(chain_id: str) -> html.Button:
    return html.Button(
        chain_id, id={"type": ids.FL_CHAIN, "chain": chain_id}, n_clicks=0, className="bm-link"
    )


def overdue_table(chains: list[OverdueChain], lang: str) -> html.Table | html.P:
    """One row per overdue chain, most late first: chain (a button), where it is stuck, how late."""
    if not chains:
        return html.P(t("none_overdue", lang), className="bm-note")
    head = html.Tr(
        [html.Th(t("chain", lang)), html.Th(t("leg", lang)), html.Th(t("heads", lang)), html.Th("")]
    )
    rows = [
        html.Tr(
            [
                html.Td(_chain_button(c.chain_id)),
                html.Td(t("stuck_at", lang, leg=c.stuck_leg, origin=c.stuck_from, to=c.stuck_to)),
                html.Td(c.head_count),
                html.Td(t("overdue_by", lang, h=f"{c.overdue_hours:.1f}"), className="bm-overdue"),
            ],
            **data_attributes(chain=c.chain_id),
        )
        for c in chains
    ]
    return html.Table([html.Thead(head), html.Tbody(rows)], className="bm-table-compact")


def _gap_reason(gap: ChainGap, lang: str) -> str:
    """Where a chain breaks, in the page's language (``ChainGap.reason`` is the CLI's English)."""
    return t(
        "gap_reason",
        lang,
        leg=gap.after_leg,
        arrived=gap.arrived_at_place,
        next=gap.after_leg + 1,
        leaves=gap.next_leaves_from,
    )


def gaps_list(gaps: list[ChainGap], lang: str) -> html.Ul | html.P:
    if not gaps:
        return html.P(t("none_over", lang), className="bm-note")
    return html.Ul(
        [
            html.Li(
                [_chain_button(g.chain_id), " ", _gap_reason(g, lang)], **data_attributes(chain=g.chain_id)
            )
            for g in gaps
        ],
        className="bm-gap-list",
    )


def chain_card(chain_id: str, legs: list[Leg], lang: str) -> list:
    """The chain's legs in order: places, planned, departed and handover times, people, vehicle, state."""
    head = html.Tr(
        [
            html.Th(t(key, lang))
            for key in (
                "leg",
                "leg_from",
                "leg_to",
                "leg_planned",
                "leg_departed",
                "leg_arrived",
                "heads",
                "vehicle",
            )
        ]
        + [html.Th(t("leg_state", lang))]
    )
    rows = []
    for leg in legs:
        swatch = _LEG_SWATCH[leg.state]
        rows.append(
            html.Tr(
                [
                    html.Td(leg.leg_no),
                    html.Td(leg.from_place),
                    html.Td(leg.to_place),
                    html.Td(local(leg.planned_at, lang)),
                    html.Td(local(leg.departed_at, lang)),
                    html.Td(local(leg.arrived_at, lang)),
                    html.Td(leg.head_count),
                    html.Td(leg.vehicle or "–"),
                    html.Td(
                        [
                            html.Span(className="bm-swatch", style={"background": swatch.fill}),
                            swatch.label(lang),
                        ]
                    ),
                ],
                **data_attributes(leg=str(leg.leg_no), state=leg.state),
            )
        )
    return [
        html.H3(f"{t('chain', lang)} {chain_id}"),
        html.Table([html.Thead(head), html.Tbody(rows)], className="bm-table-compact bm-chain-legs"),
    ]


def gate_table(counts: pd.DataFrame, lang: str) -> html.Table | html.P:
    """Per gate and hour (newest first) the counts of each event kind."""
    if counts.empty:
        return html.P(t("no_gate_counts", lang), className="bm-note")
    kinds = [(k.code, k.name(lang)) for k in GATE_EVENT_KINDS]
    head = html.Tr(
        [html.Th(t("gate", lang)), html.Th(t("hour", lang))] + [html.Th(label) for _, label in kinds]
    )
    rows = [
        html.Tr(
            [html.Td(r["gate"]), html.Td(local(r["hour"].to_pydatetime(), lang))]
            + [html.Td(int(r[code]), className=_abnormal(code, r[code])) for code, _ in kinds],
            **data_attributes(gate=str(r["gate_id"])),
        )
        for _, r in counts.sort_values(["gate_id", "hour"], ascending=[True, False]).iterrows()
    ]  # fmt: skip
    return html.Table([html.Thead(head), html.Tbody(rows)], className="bm-table-compact bm-gate-counts")


def _abnormal(code: str, count: int) -> str | None:
    """Abnormal temperatures stand out in the gate table."""
    return "bm-abnormal" if code == "abnormal_temperature" and count else None
