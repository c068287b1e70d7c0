"""The field's REST routes beside the loops (``/api/v1``): a household's status from the field, and
the names of the places a field page's items are on (``GET /api/v1/field/places``).

``POST /api/v1/households/{id}/status`` with ``{"status": "home_isolation", "valid_from": "2022-04-06"}``
(``valid_from`` defaults to today, China time; ``valid_to`` optional): writes one house-status stretch
with ``source = 'field'`` through THE write rule of ``geo.status.history`` (the same as a file load:
corrections kept, audited as ``status_change``, the data version bumped so the maps redraw on their
next refresh). Workers in their grids, operators in their area, commanders; a household outside the
area answers 404 like a missing one.
"""

from __future__ import annotations

from typing import Any

import flask
from spectree import SpecTree
from sqlalchemy import Engine

from dashboards._api import API_PREFIX, api_errors, responses, validated
from dashboards._api_models import FieldStatusBody, FieldStatusOut, PlacesOut, PlacesQuery
from dashboards._auth import client_ip, current_principal
from geo.clock import china_today
from geo.db import read_connection
from geo.errors import Forbidden
from geo.loops.engine import OPEN_ROLES, READ_ROLES
from geo.loops.guide import place_labels
from geo.loops.targets import Target, resolve
from geo.settings import Settings
from geo.status.history import Stretch, record_statuses

FIELD_SOURCE = "field"


def register(server: flask.Flask, api: SpecTree, engine: Engine, settings: Settings) -> None:
    """Add the household status route to ``server``, validated and documented by ``api``."""

    @api.validate(json=FieldStatusBody, resp=responses(HTTP_201=FieldStatusOut), tags=["field"])
    @api_errors
    def household_status(household_id: int) -> Any:
        """Record a household's status from the field (e.g. 现场确认 finds it in home isolation)."""
        body: FieldStatusBody = validated(FieldStatusBody, "json")
        found = current_principal()
        if found.role not in OPEN_ROLES:
            raise Forbidden(f"role {found.role!r} may not change statuses")
        valid_from = body.valid_from or china_today()
        with engine.begin() as conn:
            place = resolve(conn, Target("household", household_id), found.scope, allowed=("household",))
            stretch = Stretch(
                status=body.status, valid_from=valid_from, valid_to=body.valid_to, household_id=household_id
            )
            change = record_statuses(
                conn,
                [stretch],
                source=FIELD_SOURCE,
                actor=found.actor(client_ip()),
                target=f"household:{household_id}",
            )
        answer = {
            "household_id": household_id,
            "building_id": place.building_id,
            "status": body.status,
            "valid_from": valid_from.isoformat(),
            "valid_to": None if body.valid_to is None else body.valid_to.isoformat(),
            "source": FIELD_SOURCE,
            "inserted": change.inserted,
            "corrected": change.corrected,
            "unchanged": change.unchanged,
        }
        response = flask.jsonify(answer)
        response.status_code = 201
        response.headers["Cache-Control"] = "no-store"
        return response

    @api.validate(query=PlacesQuery, resp=responses(HTTP_200=PlacesOut), tags=["field"])
    @api_errors
    def places() -> Any:
        """Names of buildings and households of your area (ids outside it are left out)."""
        query: PlacesQuery = validated(PlacesQuery, "query")
        found = current_principal()
        if found.role not in READ_ROLES:
            raise Forbidden(f"role {found.role!r} sees counts only")
        with read_connection(engine) as conn:
            body = place_labels(
                conn,
                scope=found.scope,
                date=china_today(),
                building_ids=_ids(query.buildings),
                household_ids=_ids(query.households),
            )
        response = flask.jsonify(body)
        response.headers["Cache-Control"] = "private, no-store"
        return response

    server.add_url_rule(f"{API_PREFIX}/field/places", "api_field_places", places, methods=["GET"])
    server.add_url_rule(
        f"{API_PREFIX}/households/<int(min=1):household_id>/status",
        "api_household_status",
        household_status,
        methods=["POST"],
    )


def _ids(value: str | None) -> list[int]:
    return [int(v) for v in value.split(",") if int(v) < 2**63] if value else []
