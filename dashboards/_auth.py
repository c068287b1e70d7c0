"""The sign-in guard of every HTTP route: sessions, bearer tokens, CSRF, role-limited pages.

``install(server, engine, settings)`` adds one ``before_request`` hook that runs before every
view (Dash pages and callbacks, tiles, TileJSON, prints, APIs). Only ``PUBLIC_ENDPOINTS`` answer
without a signed-in user: the health check, the public aggregate view, the sign-in page and
static code (Dash's JavaScript and our CSS, no data). Every other request needs a session
cookie or ``Authorization: Bearer <token>`` (``battlemap users token``); browsers asking for a
page are sent to ``/login``, everything else gets 401.

State-changing requests (POST, PUT, PATCH, DELETE) made with the session cookie must come from
this origin (``Origin``, else ``Referer``): the cookie is also ``SameSite=Lax`` and
``HttpOnly``. Bearer requests carry no ambient credential, so they need no such check.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

import flask
from dash.exceptions import DependencyException
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from dashboards import _auth_callbacks, _url_keys
from dashboards._errors import error_response
from geo.audit import record
from geo.auth import (
    Principal,
    principal_for_session,
    principal_for_token,
    principal_for_url_key,
    require_secret,
)
from geo.credentials import end_session, start_session
from geo.db import read_connection, unavailable_reason
from geo.errors import (
    BattlemapError,
    DatabaseUnavailable,
    Forbidden,
    InvalidParameter,
    NotFound,
    Unauthorized,
)
from geo.scope import NOTHING, Scope
from geo.settings import AuthSettings, Settings

if TYPE_CHECKING:
    from werkzeug.wrappers import Response as BaseResponse  # what flask.redirect returns

AUTH_EXTENSION = "battlemap.auth"
PUBLIC_ENDPOINTS: frozenset[str] = frozenset(
    {
        "health",
        "public",
        "login",
        "static",
        "_dash_assets.static",
        "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",  # = COMPONENT_SUITES
        "/_favicon.ico",
        "field_service_worker",  # the field page's service worker: static code, no data
    }
)
"""Endpoints that answer without a sign-in; a test fails when a new route is neither here nor guarded."""
PAGE_ENDPOINTS: frozenset[str] = frozenset({"/", "/<path:path>", "field_page"})
"""Dash's page routes and the field page: a browser without a session is redirected to the sign-in
page, a role limited to other pages to its own."""
DASH_CALLBACK = "/_dash-update-component"
PAGE_LIMITED_ENDPOINTS: frozenset[str] = (
    PUBLIC_ENDPOINTS
    | PAGE_ENDPOINTS
    | {"logout", "tile", "tilejson", "tiles_version", "tile_not_found"}
    | {"api_loops_counts"}  # closed-loop counts per kind and grid: no items, no people
    | {"/_dash-layout", "/_dash-dependencies", "/_dash-update-component", "/_reload-hash"}
)
"""What a role limited to some pages (the wall) may reach: its pages, the map tiles they draw (kept
to its area, no personal data), the closed-loop counts, Dash's own endpoints (callbacks checked one by
one), signing out."""
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SESSION_ID, SESSION_ISSUED, SESSION_CSRF = "sid", "iat", "csrf"
CACHE_EXTENSION = "battlemap.auth_cache"
_PRINCIPAL_CACHE_SECONDS = 5.0


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie; ``Secure`` when configured, else whenever the request came over HTTPS."""

    def __init__(self, secure: bool | None) -> None:
        self._secure = secure

    def get_cookie_secure(self, app: flask.Flask) -> bool:
        if self._secure is not None:
            return self._secure
        return flask.has_request_context() and flask.request.is_secure


class _PrincipalCache:
    """Principals for a few seconds, so the 20 tiles of one map view cost one user lookup, while a
    disabled user or a changed scope still takes effect within ``_PRINCIPAL_CACHE_SECONDS``."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, object], tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()

    def forget(self, key: tuple[str, object]) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def get(self, key: tuple[str, object], load: Callable[[], Principal | None]) -> Principal | None:
        """The cached principal, else ``load()``; while the database does not answer, the last one
        known (the credential was checked then; no data can be read meanwhile anyway), so that
        pages can say the data is stale instead of failing at the door."""
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None and now - hit[0] < _PRINCIPAL_CACHE_SECONDS:
                return hit[1]
        try:
            found = load()
        except DatabaseUnavailable:
            if hit is None or hit[1] is None:
                raise
            return hit[1]
        with self._lock:
            if len(self._entries) > 1000:
                self._entries.clear()
            self._entries[key] = (now, found)
        return found


def install(server: flask.Flask, engine: Engine, settings: Settings) -> None:
    """Guard every route of ``server``: sessions signed with the auth secret, the hook, the headers."""
    auth = settings.auth
    server.secret_key = require_secret(auth)
    server.session_interface = _SessionInterface(auth.cookie_secure)
    server.config.update(
        SESSION_COOKIE_NAME="battlemap_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=auth.session_minutes),
    )
    server.extensions[AUTH_EXTENSION] = auth
    cache = server.extensions[CACHE_EXTENSION] = _PrincipalCache()

    def guard() -> BaseResponse | tuple | None:
        request = flask.request
        if request.method == "OPTIONS":
            return None  # Flask's automatic answer: the allowed methods, no data
        try:
            found = _identify(engine, auth, cache)
        except Unauthorized as error:
            return None if request.endpoint in PUBLIC_ENDPOINTS else _denied(error)
        if found is None:
            if request.endpoint in PUBLIC_ENDPOINTS:
                return None
            if request.endpoint in PAGE_ENDPOINTS and request.method in ("GET", "HEAD"):
                return flask.redirect(_login_url(request.full_path if request.query_string else request.path))
            return _denied(Unauthorized("sign in first, or send Authorization: Bearer <token>"))
        flask.g.principal = found
        if request.endpoint in PAGE_ENDPOINTS and not found.may_open(request.path):
            return flask.redirect(found.policy.pages[0] if found.policy.pages else "/")
        try:
            if found.key_layers is not None:
                _url_keys.check(found, request)
            elif request.method in UNSAFE_METHODS and not _bearer(request):
                _check_origin(request)
            _check_page(found, request)
        except BattlemapError as error:
            return _denied(error)
        return None

    def headers(response: flask.Response) -> flask.Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if flask.g.get("principal") is not None and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "private, no-store"
        return response

    server.before_request(guard)
    server.after_request(headers)
    _quiet_component_suites(server)


COMPONENT_SUITES = "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>"


def _quiet_component_suites(server: flask.Flask) -> None:
    """Dash answers a path under its component suites that names no file it serves with an
    exception (a 500 and a traceback in the log); anyone may ask, so it is a plain 404 here."""
    found = server.view_functions.get(COMPONENT_SUITES)
    if found is None:
        return
    view = cast(Callable[..., ResponseReturnValue], found)  # Dash's view is synchronous

    def component_suites(**kwargs: str) -> ResponseReturnValue:
        try:
            return view(**kwargs)
        except (DependencyException, OSError) as exc:
            raise NotFound("no such file among the app's scripts") from exc

    server.view_functions[COMPONENT_SUITES] = component_suites


def current_principal() -> Principal:
    """The signed-in user of the current request.

    Raises
    ------
    Unauthorized
        when the request carries none (a route reached without the guard fails closed).
    """
    found = flask.g.get("principal") if flask.has_request_context() else None
    if found is None:
        raise Unauthorized("sign in first, or send Authorization: Bearer <token>")
    return found


def current_scope() -> Scope:
    """The area the signed-in user may see (``geo.scope``); without one, nothing (``NOTHING``).

    Failing closed rather than raising lets Dash build its validation layout (every page's layout,
    called once outside any user's request, and sent to every browser) with all component ids and
    no data at all.
    """
    found = flask.g.get("principal") if flask.has_request_context() else None
    return NOTHING if found is None else found.scope


def client_ip() -> str | None:
    """The caller's address as the WSGI server saw it (put a ProxyFix in front behind a proxy)."""
    return flask.request.remote_addr if flask.has_request_context() else None


def sign_in(engine: Engine, found: Principal, settings: AuthSettings) -> None:
    """Start a fresh session for ``found``: a new server-side session (``geo.credentials.start_session``)
    and a new cookie holding its id (no session fixation)."""
    with engine.begin() as conn:
        session_id = start_session(conn, found.user_id, ip=client_ip(), settings=settings)
    flask.session.clear()
    flask.session.permanent = True
    flask.session[SESSION_ID] = session_id
    flask.session[SESSION_ISSUED] = int(time.time())


def sign_out(engine: Engine, found: Principal) -> None:
    """End the current session in the database (a copy of the cookie stops working too) and audit it."""
    session_id = flask.session.get(SESSION_ID)
    with engine.begin() as conn:
        if isinstance(session_id, str):
            end_session(conn, session_id)
        record(conn, found.actor(client_ip()), "logout", target=found.name)
    flask.current_app.extensions[CACHE_EXTENSION].forget(("session", session_id))
    flask.session.clear()


def _identify(engine: Engine, auth: AuthSettings, cache: _PrincipalCache) -> Principal | None:
    """The principal of the current request, None when it carries no credential at all.

    Raises Unauthorized for a credential that is present but bad (unknown or revoked token, ended
    or expired session, disabled user), so that a stale browser is sent to sign in again. Sessions
    and tokens are checked in the database (cached for ``_PRINCIPAL_CACHE_SECONDS``), so ending
    one takes effect in every process of the app.
    """
    token = _bearer(flask.request)
    if token is not None:
        found = cache.get(
            ("token", token), lambda: _load(engine, lambda c: principal_for_token(c, token), write=True)
        )
        if found is None:
            raise Unauthorized("the bearer token is unknown, expired, revoked or its user disabled")
        return found
    key = flask.request.args.get(_url_keys.PARAM)
    if key:
        found = cache.get(
            ("key", key), lambda: _load(engine, lambda c: principal_for_url_key(c, key), write=True)
        )
        if found is None:
            raise Unauthorized("the URL key is unknown, expired, revoked or its user disabled")
        return found
    session_id = flask.session.get(SESSION_ID)
    if session_id is None:
        return None
    issued = flask.session.get(SESSION_ISSUED, 0)
    expired = not isinstance(issued, int) or time.time() - issued > auth.session_minutes * 60
    if expired or not isinstance(session_id, str):
        flask.session.clear()
        return None
    found = cache.get(
        ("session", session_id), lambda: _load(engine, lambda c: principal_for_session(c, session_id))
    )
    if found is None:
        flask.session.clear()
    return found


def _load(engine: Engine, read: Callable, *, write: bool = False) -> Principal | None:
    """``read(conn)`` on a read-only connection, or (``write``) in a transaction of its own."""
    if not write:
        with read_connection(engine, primary=True) as conn:
            return read(conn)
    try:
        with engine.begin() as conn:
            return read(conn)
    except (OperationalError, PoolTimeout) as exc:
        raise DatabaseUnavailable(f"the database does not answer: {unavailable_reason(exc)}") from exc


def _bearer(request: flask.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def _check_origin(request: flask.Request) -> None:
    """Cross-site request forgery: a cookie-authenticated write must come from our own origin."""
    expected = urlsplit(request.host_url)
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        raise Forbidden("a state-changing request must carry an Origin or Referer header of this site")
    seen = urlsplit(source)
    if (seen.scheme, seen.netloc) != (expected.scheme, expected.netloc):
        raise Forbidden("cross-site request refused: Origin does not match this site")


def _check_page(found: Principal, request: flask.Request) -> None:
    """Roles limited to some pages (the wall) reach only those pages, the endpoints they need
    (tiles, Dash's own) and those pages' callbacks; every callback request's inputs are typed."""
    pages = found.policy.pages
    if pages is not None and request.endpoint not in PAGE_LIMITED_ENDPOINTS:
        raise Forbidden(f"role {found.role!r} may open {', '.join(pages)} only")
    if request.path != DASH_CALLBACK:
        return
    try:
        body = json.loads(request.get_data(cache=True) or b"{}")
    except ValueError as exc:
        raise InvalidParameter("a callback request needs a JSON body") from exc
    if pages is not None:
        for path in _routed_paths(body):
            if not found.may_open(path):
                raise Forbidden(f"role {found.role!r} may open {', '.join(pages)} only")
    _auth_callbacks.check(body, pages=pages)


def _routed_paths(body: object) -> list[str]:
    """The page paths a Dash callback carries (the page router's ``_pages_location.pathname``)."""
    inputs = body.get("inputs", []) if isinstance(body, dict) else []
    return [
        str(item.get("value") or "/")
        for item in (inputs if isinstance(inputs, list) else [])
        if isinstance(item, dict)
        and item.get("id") == "_pages_location"
        and item.get("property") == "pathname"
    ]


def _login_url(next_path: str) -> str:
    return flask.url_for("login", next=next_path)


def _denied(error: BattlemapError) -> flask.Response:
    response = error_response(error)
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="battlemap"'
        flask.session.pop(SESSION_ID, None)
    return response
