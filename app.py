"""The composition root: settings -> engine -> Dash app (pages from dashboards/) + HTTP endpoints.

Wiring only: what a page shows lives in ``dashboards``, what it reads in ``geo``; the request edges
(request ids, the access log, the one error handler) are installed here, before the sign-in guard.
``battlemap serve`` runs ``create_app(settings).server`` under waitress.
"""

from __future__ import annotations

from pathlib import Path

import dash
import flask
from sqlalchemy import Engine

from dashboards import (
    _access_log,
    _api,
    _auth,
    _auth_callbacks,
    _auth_routes,
    _contacts_routes,
    _cors,
    _errors,
    _field_api,
    _field_page,
    _i18n,
    _loops_api,
    _ogc_routes,
    _ogc_tiles,
    _print_routes,
    _public_routes,
    _replicas,
    _risk_routes,
    _services_routes,
)
from dashboards._callbacks import register_callbacks
from dashboards._context import EXTENSION, PageContext
from dashboards._i18n import TITLE
from dashboards._tiles_routes import register_tile_routes
from geo.db import check_connection, make_engine
from geo.settings import Settings

DASHBOARDS = Path(__file__).resolve().parent / "dashboards"


def create_app(settings: Settings, *, engine: Engine | None = None) -> dash.Dash:
    """The battlemap web app for ``settings`` (an engine on ``settings.database`` unless one is given).

    Routes: the Dash pages of ``dashboards/`` (``/`` lists what is loaded) and ``GET /health``
    (200 with the PostGIS version, 503 when the database does not answer). Every route but
    ``/health``, ``/public``, ``/login`` and static code needs a sign-in (``dashboards._auth``).
    """
    engine = engine or make_engine(settings.database, serving=True)
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(DASHBOARDS),
        assets_folder=str(DASHBOARDS / "assets"),
        assets_path_ignore=["field"],  # the field page's own scripts (/field), not every Dash page's
        title=TITLE,
        update_title=None,  # type: ignore[arg-type]  # Dash documents None (no "Updating..." title); typed str
        serve_locally=True,
    )
    server: flask.Flask = app.server
    server.extensions[EXTENSION] = PageContext(settings=settings, engine=engine)

    replicas = _replicas.start(engine, settings)

    def health() -> tuple[dict[str, object], int]:
        answer: dict[str, object] = {"status": "ok", "postgis": check_connection(engine)}
        if replicas is not None:
            answer["standbys"] = replicas.health()
        return answer, 200

    _access_log.install(server)  # first: every request gets its id, even one the guard refuses
    _errors.install(server)
    _i18n.install(server, default=settings.app.language)  # remembers ?lang= in a cookie
    _cors.install(server, settings.app)  # before the guard: a preflight carries no credential
    _auth.install(server, engine, settings)
    if replicas is not None:
        _replicas.install(server, engine, settings)
    server.add_url_rule("/health", "health", health, methods=["GET"])
    _auth_routes.register(server, engine, settings)
    _public_routes.register(server, engine, settings)
    register_tile_routes(server, settings, engine)
    _ogc_routes.register(server, engine, settings)
    _ogc_tiles.register(server, engine, settings)
    _print_routes.register(server, engine, settings)
    _services_routes.register(server, engine, settings)
    _risk_routes.register(server, engine, settings)
    _contacts_routes.register(server, engine, settings)
    _field_page.register(server, engine, settings)
    api = _api.make_spec()  # the REST API under /api/v1 and its OpenAPI document
    _loops_api.register(server, api, engine, settings)
    _field_api.register(server, api, engine, settings)
    _api.register(server, api)
    _ogc_routes.register_not_found(server)
    register_callbacks(app)
    _auth_callbacks.install(app)
    return app
