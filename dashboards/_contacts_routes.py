"""``GET /api/buildings/<id>/contacts``: who to call about a building, as the role allows.

Commander and operator (in their area) get names and phones, and every such view is audited
(``view_personal``, target the building id, never the names); the analyst gets them masked;
the wall display gets 403. A building outside the user's area answers 404, like a missing one.
"""

from __future__ import annotations

import dataclasses
from typing import NoReturn

import flask
from sqlalchemy import Engine

from dashboards._auth import client_ip, current_principal
from geo.audit import record_now
from geo.contacts import Contact, building_contacts
from geo.db import read_connection
from geo.errors import Forbidden, InvalidParameter, NotFound
from geo.settings import Settings

CONTACTS_PATH = "/api/buildings/<int:building_id>/contacts"


def register(server: flask.Flask, engine: Engine, settings: Settings) -> None:
    """Add the contacts route to ``server`` (errors go through the app's BattlemapError handler)."""

    def contacts(building_id: int) -> flask.Response:
        if flask.request.args:
            raise InvalidParameter(f"{flask.request.path} takes no parameters")
        people, masked = contacts_for(engine, building_id)
        body = {"building": building_id, "masked": masked}
        response = flask.jsonify(body | {"contacts": [dataclasses.asdict(c) for c in people]})
        response.headers["Cache-Control"] = "private, no-store"
        return response

    server.add_url_rule(CONTACTS_PATH, "building_contacts", contacts, methods=["GET"])
    server.add_url_rule("/api/<path:rest>", "api_not_found", _no_such_api, methods=["GET", "POST"])


def contacts_for(engine: Engine, building_id: int) -> tuple[list[Contact], bool]:
    """The contacts of a building as the signed-in user may see them, and whether they are masked;
    an unmasked view is audited (the building and how many people, never the names).

    Raises
    ------
    Forbidden
        for a role that sees no personal data (the wall).
    NotFound
        for a building outside the user's area or missing.
    """
    found = current_principal()
    personal = found.policy.personal
    if personal == "none":
        raise Forbidden(f"role {found.role!r} may not see who answers for a building")
    with read_connection(engine) as conn:
        people = building_contacts(conn, building_id, personal=personal, scope=found.scope)
    if personal == "full":
        detail = {"contacts": len(people)}
        record_now(
            engine, found.actor(client_ip()), "view_personal", target=f"building:{building_id}", detail=detail
        )
    return people, personal != "full"


def _no_such_api(rest: str) -> NoReturn:
    """Anything else under /api/ is a JSON 404, not a page of the app."""
    raise NotFound(f"no API at /api/{rest[:60]}: see the README for the endpoints")
