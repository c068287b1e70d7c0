"""The building card of the map pages: where it is, households by status, the chain by level and role
only, the isolation guide of its isolated households and their devices (``geo.card`` reads it all)."""

from __future__ import annotations

import datetime as dt

from dash import html

from dashboards import _formats as fmt
from dashboards._guide_card import guide_section
from dashboards._html import data_attributes
from dashboards._i18n import chain_level, t
from geo.card import BuildingCard
from layers.style import status_swatch


def card(found: BuildingCard, lang: str, *, actions: tuple = ()) -> list:
    """The building card: where it is, households by status, the chain by level and role only, the
    isolation guide of its isolated households; then the page's ``actions`` (the house-status map's
    "simulate a case here")."""

    def row(key: str, value: str | None) -> html.Tr:
        return html.Tr([html.Th(t(key, lang)), html.Td(value if value else "–")])

    statuses = [
        html.Li(
            [
                html.Span(className="bm-swatch", style={"background": status_swatch(c).fill}),
                status_swatch(c).label(lang),
                f" {n}",
            ],
            **data_attributes(status=c),
        )
        for c, n in found.households.items()
        if n
    ]
    chain = [
        html.Li(
            f"{chain_level(link.level, lang)} · {t('scope_' + link.scope_type, lang)}"
            + (f" · {link.role}" if link.role and link.role != link.level else ""),
            **data_attributes(level=link.level),
        )
        for link in found.chain
    ]
    missing = [
        html.Li(f"{t('card_missing', lang)}: {chain_level(code, lang)}", className="bm-gap")
        for code in found.missing_levels
    ]
    return [
        html.H3(found.name or found.address or f"#{found.id}"),
        html.Table(
            [
                row("card_address", found.address),
                row("card_compound", found.compound),
                row("card_grid", found.grid),
                row("card_subdistrict", found.subdistrict),
                row("card_vulnerable", str(found.vulnerable)),
            ],
            className="bm-card-table",
        ),
        html.H4(t("card_households", lang)),
        html.Ul(statuses, className="bm-card-statuses"),
        html.H4(t("card_chain", lang)),
        html.Ul(chain + missing, className="bm-card-chain"),
        *guide_section(found.isolated, lang),
        *device_section(found, lang),
        *actions,
    ]


def _hm(moment: dt.datetime | None, lang: str) -> str:
    return "–" if moment is None else fmt.short_moment(moment, lang)


def device_section(found: BuildingCard, lang: str) -> list:
    """Per household with devices: each device (online, last reading, last door event) and its alerts."""
    if not found.devices:
        return []
    parts: list = [html.H4(t("card_devices", lang))]
    for household_id, unit, fitted in found.devices:
        items = []
        for d in fitted.devices:
            state = t("device_online" if d.online else "device_offline", lang)
            detail = ""
            if d.last_reading is not None:
                detail = f" · {d.last_reading[1]:.1f} °C {_hm(d.last_reading[0], lang)}"
            if d.last_door is not None:
                detail += f" · {t('device_' + d.last_door[1], lang)} {_hm(d.last_door[0], lang)}"
            items.append(
                html.Li(
                    f"{t('device_' + d.type, lang)} {d.code} · {state}{detail}",
                    **data_attributes(device=d.code),
                )
            )
        alerts = [
            html.Li(
                f"{t('alert_' + a.kind, lang)} · {t('alert_' + a.state, lang)} · {_hm(a.opened, lang)}",
                className="bm-gap" if a.state == "open" else None,
                **data_attributes(alert=a.kind),
            )
            for a in fitted.alerts
        ]
        parts.append(html.H5(f"{t('card_household', lang)} #{household_id} {unit or ''}".strip()))
        parts.append(html.Ul(items, className="bm-card-devices"))
        if alerts:
            parts.append(html.Div(t("card_alerts", lang), className="bm-card-label"))
            parts.append(html.Ul(alerts, className="bm-card-alerts"))
    return parts
