"""The frame of the map pages: a compact header with the page title, the other maps and the language."""

from __future__ import annotations

import dash
import flask
from dash import dcc, html

from dashboards import _ids as ids
from dashboards._auth_ui import user_badge
from dashboards._i18n import LANGUAGE_NAMES, LANGUAGES, TITLE, t
from layers.tiles.registry import TileLayers

MAP_PAGES: tuple[tuple[str, str], ...] = (
    ("/house-status", "house-status"),
    ("/responsibility", "responsibility"),
    ("/flows", "flows"),
    ("/campaign", "campaign"),
)


def map_header(path: str, lang: str, layers: TileLayers) -> html.Header:
    """Title, links to the other pages (the current one in bold) and the language switch."""
    links: list = [dcc.Link(t("nav_home", lang), href=dash.get_relative_path(f"/?lang={lang}"))]
    for href, layer in MAP_PAGES:
        title = layers.get(layer).title(lang)
        links.append(
            html.Strong(title)
            if href == path
            else dcc.Link(title, href=dash.get_relative_path(f"{href}?lang={lang}"))
        )
    links.append(dcc.Link(t("nav_wall", lang), href=dash.get_relative_path(f"/wall?lang={lang}")))
    if _field_role():  # the field page is plain HTML (not a Dash page): a full page load
        links.append(html.A(t("nav_field", lang), href=f"/field?lang={lang}", className="bm-nav-field"))
    switch = [
        html.Strong(LANGUAGE_NAMES[code])
        if code == lang
        else dcc.Link(LANGUAGE_NAMES[code], href=dash.get_relative_path(f"{path}?lang={code}"))
        for code in LANGUAGES
    ]
    return html.Header(
        [
            html.Div(TITLE, className="bm-brand"),
            html.Nav(_joined(links, " · "), className="bm-nav"),
            html.Nav(_joined(switch, " | "), className="bm-language"),
            user_badge(lang),
        ],
        id=ids.MAP_HEADER,
        className="bm-map-header",
    )


def _field_role() -> bool:
    found = flask.g.get("principal") if flask.has_request_context() else None
    return found is not None and found.role in ("commander", "operator", "worker")


def unavailable_page(header: html.Header, error: Exception, lang: str, *, page_id: str) -> html.Div:
    """A map page whose data could not be read (the database is down): its header and the reason."""
    alert = html.Div(
        [html.Strong(t("unavailable", lang)), html.P(str(error))], className="bm-alert", role="alert"
    )
    return html.Div([header, alert], id=page_id, lang=lang, className="bm-map-page")


def _joined(items: list, separator: str) -> list:
    out: list = []
    for item in items:
        out += [separator, item] if out else [item]
    return out
