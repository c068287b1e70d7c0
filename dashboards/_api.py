"""The REST API's frame (``/api/v1``): one spectree instance that validates requests against the
typed models of ``_api_models`` and generates the OpenAPI 3.1 document at ``/api/v1/openapi.json``
from them (only the routes it decorates: Dash's own routes stay out), and the API's error bodies.

Sign-in is the app's (``dashboards._auth``: a session cookie with the CSRF origin check, or a bearer
token), declared in the document as the ``bearer`` scheme.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import flask
from pydantic import BaseModel
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import SecureType, SecuritySchemeData
from werkzeug.exceptions import HTTPException

from dashboards._api_models import ErrorOut
from dashboards._errors import error_body as app_error_body
from geo.errors import BattlemapError, Conflict, InvalidTransition, Unprocessable, status_code_for

API_PREFIX = "/api/v1"
DOCS_PATH = f"{API_PREFIX}/docs"
"""Spectree's pages (``/api/v1/docs/swagger``, ``/redoc``) and its copy of the document."""
ERRORS = {f"HTTP_{code}": ErrorOut for code in (400, 401, 403, 404, 409, 422)}


def _validation_body(req: Any, resp: Any, error: Exception | None, instance: Any, adapter: Any) -> None:
    """Spectree's 422 for a body that does not match its model, in the API's error shape, naming the
    first field at fault (``checks.door_sensor_fitted``, ``reading``…)."""
    if error is None or resp is None:
        return
    problems = adapter.validation_errors(error)
    first = problems[0] if problems else {}
    field = ".".join(str(p) for p in first.get("loc", ())) or None
    message = "; ".join(
        f"{'.'.join(str(p) for p in p_.get('loc', ())) or 'body'}: {p_.get('msg')}" for p_ in problems
    )
    body = app_error_body(message or "invalid request") | {"field": field}
    resp.set_data(json.dumps(body))
    resp.mimetype = "application/json"


def make_spec() -> SpecTree:
    """The API's spectree: OpenAPI 3.1 at ``/api/v1/openapi.json``, bearer sign-in declared."""
    return SpecTree(
        "flask",
        title="battlemap API",
        version="1",
        description="Closed-loop work (闭环管理) and field reports. Sign in with a session or "
        "`Authorization: Bearer <token>` (`battlemap users token NAME`).",
        path=DOCS_PATH.strip("/"),  # not API_PREFIX: spectree leaves routes under its own path out
        filename="openapi.json",
        mode="strict",
        annotations=False,
        before=_validation_body,
        validation_error_model=ErrorOut,
        security_schemes=[
            SecurityScheme(name="bearer", data=SecuritySchemeData(type=SecureType.HTTP, scheme="bearer"))
        ],
        security={"bearer": []},
    )


def register(server: flask.Flask, api: SpecTree) -> None:
    """Serve ``api``'s pages and its generated document at ``/api/v1/openapi.json`` (after the routes
    it documents are registered)."""
    api.register(server)
    for code in (404, 405):
        server.register_error_handler(code, _http_error)
    server.add_url_rule(
        f"{API_PREFIX}/openapi.json", "api_openapi", lambda: flask.jsonify(api.spec), methods=["GET"]
    )


def _http_error(error: HTTPException) -> Any:
    """Flask's own 404 / 405 (no route matched: an id that is no number, a step name with a slash):
    JSON like every other API answer under ``/api/v1``, Flask's page elsewhere."""
    if not flask.request.path.startswith(API_PREFIX + "/"):
        return error
    response = flask.jsonify(
        app_error_body(f"{flask.request.method} {flask.request.path}: {error.description}")
    )
    response.status_code = error.code or 500
    response.headers["Cache-Control"] = "no-store"
    return response


def responses(**ok: type) -> Response:
    """The documented responses of a route: its success models plus the API's errors."""
    return Response(**ok, **ERRORS)


def validated(model: type[BaseModel], part: str) -> Any:
    """The request's ``part`` (json, query, headers) as validated by spectree into ``model``."""
    found = getattr(flask.request.context, part)  # type: ignore[attr-defined]
    if found is None:  # a form post: spectree validates JSON bodies only
        raise Unprocessable(
            f"send a JSON body ({model.__name__}) with Content-Type: application/json", field="body"
        )
    return found


def error_body(error: BattlemapError) -> tuple[dict[str, Any], int]:
    """The JSON body and status of ``error``: the app's error body (``dashboards._errors``: message and
    request id) with the field to fix, the allowed steps or the current item."""
    body: dict[str, Any] = dict(app_error_body(str(error)))
    if isinstance(error, Unprocessable):
        body["field"] = error.field
    if isinstance(error, InvalidTransition):
        body["allowed_steps"] = list(error.allowed)
    if isinstance(error, Conflict) and error.current is not None:
        body["current"] = error.current
    return body, status_code_for(error)


def api_errors(view: Callable[..., Any]) -> Callable[..., Any]:
    """Answer the battlemap errors a view raises with ``error_body`` (documented as ``ErrorOut``)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except BattlemapError as error:
            body, status = error_body(error)
            response = flask.jsonify(body)
            response.status_code = status
            response.headers["Cache-Control"] = "no-store"
            return response

    return wrapped
