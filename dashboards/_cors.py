"""Cross-origin reads (CORS) of the tiles, TileJSON, OGC API and REST API, for the origins of a setting.

``AppSettings.cors_origins`` (``BATTLEMAP_CORS_ORIGINS``, a JSON list; none by default) names the web
origins whose pages may use these answers. A listed origin gets itself back in
``Access-Control-Allow-Origin`` with ``Vary: Origin`` and credentials allowed; ``"*"`` lets any origin
read them, but never with credentials (the browser sends no cookie, the page must send its bearer
token or URL key). Preflights (``OPTIONS`` with ``Access-Control-Request-Method``) are answered here,
before the sign-in guard: they carry no credential and get no data. Any other origin gets no CORS
header, so its browser refuses the answer. Pages and Dash callbacks never take part.
"""

from __future__ import annotations

import flask

from geo.settings import AppSettings

CORS_PREFIXES: tuple[str, ...] = ("/tiles/", "/ogc", "/api/")
"""The paths other origins may read: vector tiles and TileJSON, the OGC API, the REST API."""
ALLOWED_HEADERS = "Authorization, Content-Type, If-None-Match, If-Match, Idempotency-Key, X-Request-ID"
EXPOSED_HEADERS = "ETag, X-Request-ID, Content-Crs, Retry-After"
MAX_AGE = "600"


def applies(path: str) -> bool:
    return path == "/ogc" or any(path.startswith(prefix) for prefix in CORS_PREFIXES)


def allowed_origin(origin: str | None, settings: AppSettings) -> tuple[str, bool] | None:
    """What to answer ``origin``: (the ``Access-Control-Allow-Origin`` value, credentials allowed), or
    None for an origin that is not allowed (no CORS header at all)."""
    if not origin:
        return None
    origins = settings.cors_origins
    if origin.lower() in origins:
        return origin, True
    if "*" in origins:
        return "*", False
    return None


def install(server: flask.Flask, settings: AppSettings) -> None:
    """Answer preflights and add the CORS headers to the answers of ``CORS_PREFIXES``; install it
    before the sign-in guard (a preflight never carries a credential)."""

    def preflight() -> flask.Response | None:
        request = flask.request
        if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
            return None
        if not applies(request.path):
            return None
        response = flask.Response(status=204)
        allowed = allowed_origin(request.headers.get("Origin"), settings)
        if allowed is not None:
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = MAX_AGE
        return response

    def headers(response: flask.Response) -> flask.Response:
        request = flask.request
        if not applies(request.path):
            return response
        response.vary.add("Origin")
        allowed = allowed_origin(request.headers.get("Origin"), settings)
        if allowed is None:
            return response
        value, credentials = allowed
        response.headers["Access-Control-Allow-Origin"] = value
        if credentials:
            response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        return response

    server.before_request(preflight)
    server.after_request(headers)
