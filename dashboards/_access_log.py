"""One access-log line per HTTP request, and the request id that ties it to any error logged meanwhile.

Each request gets an id (the caller's ``X-Request-ID`` when it is a short plain token, else a new
one), sent back as ``X-Request-ID``, set for ``geo.logs`` so every record written while serving it
carries it, and logged with the method, the path, the status, the duration and who asked (user id
and role: never a name, a phone or an ID number). Query values that may carry secrets (``key``,
``token``, ``password``, ``secret`` in the parameter name) are logged as ``REDACTED``.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from urllib.parse import parse_qsl, urlencode

import flask

from geo.logs import REQUEST_ID

logger = logging.getLogger(__name__)

HEADER = "X-Request-ID"
REDACTED = "REDACTED"
SECRET_PARAMS = ("key", "token", "password", "secret")
_GIVEN_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def install(server: flask.Flask) -> None:
    """Add the request-id and access-log hooks to ``server``; call it before any other ``before_request``
    hook (the sign-in guard), so that a request it refuses is logged with its id too."""

    def start() -> None:
        given = flask.request.headers.get(HEADER, "")
        request_id = given if _GIVEN_ID.match(given) else uuid.uuid4().hex
        flask.g.request_id = request_id
        flask.g.request_started = time.perf_counter()
        flask.g.request_id_token = REQUEST_ID.set(request_id)

    def finish(response: flask.Response) -> flask.Response:
        request_id = flask.g.get("request_id")
        if request_id is None:
            return response
        response.headers[HEADER] = request_id
        principal = flask.g.get("principal")
        fields = {
            "method": flask.request.method,
            "path": logged_path(flask.request.path, flask.request.query_string.decode("latin-1")),
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - flask.g.request_started) * 1000, 1),
            "user_id": getattr(principal, "user_id", None),
            "role": getattr(principal, "role", None),
        }
        logger.info(
            "%(method)s %(path)s %(status)s %(duration_ms)sms user=%(user_id)s role=%(role)s",
            fields,
            extra={"http": fields},
        )
        return response

    def reset(_error: BaseException | None) -> None:
        token = flask.g.pop("request_id_token", None)
        if token is not None:
            REQUEST_ID.reset(token)

    server.before_request(start)
    server.after_request(finish)
    server.teardown_request(reset)


def logged_path(path: str, query: str) -> str:
    """``path?query`` as logged: values of parameters whose name suggests a secret replaced."""
    if not query:
        return path
    pairs = [
        (name, REDACTED if any(word in name.lower() for word in SECRET_PARAMS) else value)
        for name, value in parse_qsl(query, keep_blank_values=True)
    ]
    return f"{path}?{urlencode(pairs, safe='/:,')}"
