"""Who to call about a building, on its card: a button that lists the names and phones of its
responsibility chain as the signed-in user's role allows (masked for analysts; no button for the
wall). Read on demand, so opening a card never touches ``person_contacts`` and only a deliberate
look is audited (``_contacts_routes.contacts_for``)."""

from __future__ import annotations

import dash
from dash import MATCH, Input, Output, State, html

from dashboards import _context
from dashboards._auth import current_principal
from dashboards._contacts_routes import contacts_for
from dashboards._errors import alert
from dashboards._i18n import chain_level, t
from geo.errors import BattlemapError

BUTTON, LIST = "bm-contacts-button", "bm-contacts-list"


def contacts_action(building_id: int, lang: str) -> list:
    """The card's "who to call" button and the place its list goes; nothing for a role without
    personal data."""
    if current_principal().policy.personal == "none":
        return []
    key = {"building": building_id, "lang": lang}
    return [
        html.Button(t("contacts_show", lang), id={"type": BUTTON} | key, n_clicks=0, className="bm-button"),
        html.Div(id={"type": LIST} | key, className="bm-contacts"),
    ]


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output({"type": LIST, "building": MATCH, "lang": MATCH}, "children"),
        Input({"type": BUTTON, "building": MATCH, "lang": MATCH}, "n_clicks"),
        State({"type": BUTTON, "building": MATCH, "lang": MATCH}, "id"),
        prevent_initial_call=True,
    )
    def show(clicks: int, key: dict) -> object:
        if not clicks:
            return dash.no_update
        lang = key["lang"]
        try:
            people, masked = contacts_for(_context.current().engine, int(key["building"]))
        except BattlemapError as error:
            return alert(error, lang)
        if not people:
            return html.P(t("contacts_none", lang), className="bm-note")
        rows = [
            html.Tr([html.Td(chain_level(c.level, lang)), html.Td(c.name or "–"), html.Td(c.phone or "–")])
            for c in people
        ]
        note = [html.P(t("contacts_masked", lang), className="bm-note")] if masked else []
        return [html.Table(html.Tbody(rows), className="bm-contacts-table"), *note]
