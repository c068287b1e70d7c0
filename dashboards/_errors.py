"""Errors at the web edge, turned into answers once: the JSON body and status of an HTTP error, and the
alert a Dash callback shows for the same errors.

``install(server)`` registers the one handler of the app: a ``BattlemapError`` becomes its status from
``geo.errors.STATUS_CODES`` and ``{"status": "error", "error": message, "request_id": id}``; anything
unexpected becomes a 500 with the same body, its traceback logged once, on the server only, under the
request id the client is given (also in the ``X-Request-ID`` header).
"""

from __future__ import annotations

import logging

import flask
from dash import html
from werkzeug.exceptions import HTTPException

from geo.errors import BattlemapError, TooManyAttempts, status_code_for
from geo.logs import REQUEST_ID

logger = logging.getLogger(__name__)

UNEXPECTED = "internal error: the server logged it under this request_id"


def error_body(message: str) -> dict[str, str | None]:
    """The JSON body of every error answer."""
    return {"status": "error", "error": message, "request_id": REQUEST_ID.get()}


# OGC API exception codes (OGC API - Common's "exception" schema: code, description) per status.
_OGC_CODES = {400: "InvalidParameterValue", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound"}


def ogc_error_body(message: str, status: int, *, parameter: str | None = None) -> dict[str, object]:
    """The body of an error under ``/ogc``: OGC API's ``code`` and ``description``, the parameter to fix,
    and the usual ``status``/``error``/``request_id`` (so every client of the app reads it alike)."""
    body: dict[str, object] = {"code": _OGC_CODES.get(status, "ServerError"), "description": message}
    if parameter:
        body["parameter"] = parameter
    return body | error_body(message)


def _is_ogc() -> bool:
    path = flask.request.path if flask.has_request_context() else ""
    return path == "/ogc" or path.startswith("/ogc/")


def error_response(error: BattlemapError) -> flask.Response:
    """The answer to ``error``: its status code, the error body, never cached; under ``/ogc`` in the
    OGC API's shape (``ogc_error_body``)."""
    status = status_code_for(error)
    if _is_ogc():
        body = ogc_error_body(str(error), status, parameter=getattr(error, "parameter", None))
        response = flask.jsonify(body)
    else:
        response = flask.jsonify(error_body(str(error)))
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if isinstance(error, TooManyAttempts):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def alert(error: BattlemapError) -> html.Div:
    """What a Dash callback shows for ``error``: its message, announced to screen readers."""
    return html.Div(str(error), className="bm-alert", role="alert")


def install(server: flask.Flask) -> None:
    """Register the app's one error handler for battlemap errors and for anything unexpected."""
    server.register_error_handler(BattlemapError, _battlemap_error)
    server.register_error_handler(Exception, _unexpected)


def _battlemap_error(error: BattlemapError) -> flask.Response:
    response = error_response(error)
    if response.status_code >= 500:  # the server's side (database down, bad configuration): no traceback
        logger.error("%s on %s %s: %s", type(error).__name__, *_where(), error)
    return response


def _unexpected(error: Exception) -> flask.Response | HTTPException:
    if isinstance(error, HTTPException):  # Flask's own 404, 405…: their usual answer (JSON under /ogc)
        if _is_ogc() and error.code:
            answer = flask.jsonify(ogc_error_body(error.description or error.name, error.code))
            answer.status_code = error.code
            return answer
        return error
    logger.exception("unexpected %s on %s %s", type(error).__name__, *_where())
    response = flask.jsonify(error_body(UNEXPECTED))
    response.status_code = 500
    response.headers["Cache-Control"] = "no-store"
    return response


def _where() -> tuple[str, str]:
    """Method and path of the current request; never its query string (it may carry a token)."""
    return flask.request.method, flask.request.path
