"""Signing tests in: users and bearer tokens in a test database, and test clients that send them.

The apps under test are guarded like production (``dashboards._auth``); tests that are not
about sign-in use a commander's bearer token, sent by every request of the app's test client.
"""

from __future__ import annotations

import flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, text

from dashboards import _access_log, _auth, _errors
from geo import auth
from geo.settings import AuthSettings, Settings

AUTH = AuthSettings(_env_file=None)
PASSWORD = "correct horse battery"


def ensure_user(
    engine: Engine,
    name: str,
    *,
    role: str = "commander",
    units: list[str] | None = None,
    grids: list[str] | None = None,
    password: str = PASSWORD,
) -> None:
    """User ``name`` with ``role`` (created once; a later call with the same name keeps the first)."""
    with engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM users WHERE name = :n"), {"n": name}).scalar():
            return
        auth.add_user(conn, name, role=role, password=password, units=units, grids=grids, settings=AUTH)


def token_for(engine: Engine, name: str, **user: object) -> str:
    """A fresh bearer token of user ``name`` (created with ``user`` options when missing)."""
    ensure_user(engine, name, **user)  # type: ignore[arg-type]
    with engine.begin() as conn:
        return auth.issue_token(conn, name, settings=AUTH)


def token_on(url: str, name: str = "test-commander", **user: object) -> str:
    engine = create_engine(url)
    try:
        return token_for(engine, name, **user)
    finally:
        engine.dispose()


def bearer_client_class(token: str) -> type[FlaskClient]:
    """A FlaskClient whose requests carry ``Authorization: Bearer <token>`` unless they set their own."""

    class BearerClient(FlaskClient):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"

    return BearerClient


def sign_in_clients(server: flask.Flask, token: str) -> None:
    """Make every ``server.test_client()`` send ``token``."""
    server.test_client_class = bearer_client_class(token)


def guard_bare_server(server: flask.Flask, engine: Engine, settings: Settings, token: str) -> None:
    """Install the production edges on a bare Flask app (routes registered alone): request ids and the
    access log, the one error handler, the sign-in guard; and sign its clients in."""
    _access_log.install(server)
    _errors.install(server)
    _auth.install(server, engine, settings)
    sign_in_clients(server, token)
