"""The frame of the map pages: a compact header with the page title, the other maps and the language.

On a narrow screen (a phone) the links fold behind a menu button (``assets/battlemap_shell.js``
toggles it), so the header stays one line; the layout rules are in ``assets/battlemap.css``.
"""

from __future__ import annotations

from typing import Any

import dash
import flask
from dash import dcc, html

from dashboards import _ids as ids
from dashboards._auth_ui import user_badge
from dashboards._i18n import LANGUAGE_NAMES, LANGUAGES, TITLE, error_text, t
from layers.tiles.registry import TileLayers

MAP_PAGES: tuple[tuple[str, str], ...] = (
    ("/house-status", "house-status"),
    ("/responsibility", "responsibility"),
    ("/flows", "flows"),
    ("/campaign", "campaign"),
    ("/services", "services"),
)


def map_header(path: str, lang: str, layers: TileLayers, *, simulated: bool = False) -> html.Header:
    """Title, links to the other pages (the current one in bold), the language switch and, when the
    page draws simulated rows (``geo.loaded.shows_simulated``), the "simulated data" badge."""
    links: list = [dcc.Link(t("nav_home", lang), href=dash.get_relative_path(f"/?lang={lang}"))]
    current = ""  # a page not in MAP_PAGES (e.g. /national) names itself in its body
    for href, layer in MAP_PAGES:
        title = layers.get(layer).title(lang)
        if href == path:
            current = title
        links.append(
            html.Strong(title)
            if href == path
            else dcc.Link(title, href=dash.get_relative_path(f"{href}?lang={lang}"))
        )
    links.append(dcc.Link(t("nav_wall", lang), href=dash.get_relative_path(f"/wall?lang={lang}")))
    if _sees_everything():  # the national overview is for accounts not limited to an area
        links.append(dcc.Link(t("nav_national", lang), href=dash.get_relative_path(f"/national?lang={lang}")))
    if _field_role():  # the field page is plain HTML (not a Dash page): a full page load
        links.append(html.A(t("nav_field", lang), href=f"/field?lang={lang}", className="bm-nav-field"))
    return html.Header(
        [
            html.Div(TITLE, className="bm-brand"),
            html.Strong(current, className="bm-current"),
            simulated_badge(lang) if simulated else None,
            html.Button(
                "☰",
                id=ids.MAP_MENU,
                className="bm-menu-button",
                title=t("menu", lang),
                **_aria(expanded="false", controls=ids.MAP_MENU_ITEMS),
            ),
            html.Div(
                [
                    html.Nav(_joined(links, " · "), className="bm-nav"),
                    language_switch(path, lang),
                    user_badge(lang),
                ],
                id=ids.MAP_MENU_ITEMS,
                className="bm-menu",
            ),
        ],
        id=ids.MAP_HEADER,
        className="bm-map-header",
    )


def language_switch(
    path: str, lang: str, *, prefix: list | None = None, component_id: str | None = None
) -> html.Nav:
    """中文 | English: plain links (a full page load), so the server remembers the choice in a cookie
    (``dashboards._i18n.install``) and a URL typed later without ``?lang=`` keeps it."""
    switch = [
        html.Strong(LANGUAGE_NAMES[code])
        if code == lang
        else html.A(LANGUAGE_NAMES[code], href=dash.get_relative_path(f"{path}?lang={code}"))
        for code in LANGUAGES
    ]
    extra: dict[str, Any] = {"id": component_id} if component_id else {}
    return html.Nav([*(prefix or []), *_joined(switch, " | ")], className="bm-language", **extra)


def simulated_badge(lang: str, *, component_id: str = ids.SIMULATED_BADGE) -> html.Span:
    """The "simulated data" badge of a page that draws simulated rows."""
    return html.Span(
        t("simulated", lang),
        id=component_id,
        className="bm-badge bm-sim-badge",
        title=t("simulated_note", lang),
    )


def _principal() -> Any:
    return flask.g.get("principal") if flask.has_request_context() else None


def _field_role() -> bool:
    found = _principal()
    return found is not None and found.role in ("commander", "operator", "worker")


def _sees_everything() -> bool:
    found = _principal()
    return found is not None and not found.scope.restricted and found.role != "wall"


def unavailable_page(header: html.Header, error: Exception, lang: str, *, page_id: str) -> html.Div:
    """A map page whose data could not be read (the database is down): its header and the reason."""
    alert = html.Div(
        [html.Strong(t("unavailable", lang)), html.P(error_text(error, lang), title=str(error))],
        className="bm-alert",
        role="alert",
    )
    return html.Div([header, alert], id=page_id, lang=lang, className="bm-map-page")


def _aria(**values: str) -> dict[str, Any]:
    """``aria-*`` keywords to spread into a component (typed ``Any``: see ``_html.data_attributes``)."""
    return {f"aria-{name}": value for name, value in values.items()}


def _joined(items: list, separator: str) -> list:
    out: list = []
    for item in items:
        out += [separator, item] if out else [item]
    return out
