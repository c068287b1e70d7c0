"""The web app's side of read replicas (``geo.replicas``): standbys started with the app, reads kept
fresh for whoever just wrote, and the standbys' health in ``/health``.

After a request that wrote (an unsafe method that succeeded, Dash's own callbacks aside: they
read), the primary's WAL position is remembered for the signed-in user in the app's shared cache
(Redis when configured, so every process knows it). That user's later requests carry it
(``geo.replicas.wanted_lsn``) and are read from a standby only once it has replayed it.
"""

from __future__ import annotations

import flask
from sqlalchemy import Engine

from geo.cache import make_cache
from geo.db import make_engine
from geo.replicas import ReplicaSet, attach, primary_lsn, wanted_lsn
from geo.settings import Settings

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DASH_PREFIX = "/_dash-"
WRITERS_REMEMBERED = 10_000


def start(engine: Engine, settings: Settings) -> ReplicaSet | None:
    """The primary's standbys (``BATTLEMAP_DATABASE_READ_URLS``), checked and in rotation; None if none."""
    urls = settings.database.read_urls
    if not urls:
        return None
    standbys = [make_engine(settings.database.model_copy(update={"url": url}), serving=True) for url in urls]
    replicas = ReplicaSet(
        engine,
        standbys,
        max_lag_s=settings.database.replica_max_lag_s,
        check_interval_s=settings.database.replica_check_s,
    )
    attach(replicas)
    replicas.start()
    return replicas


def install(server: flask.Flask, engine: Engine, settings: Settings) -> None:
    """Read-your-writes for every signed-in user (after the sign-in guard has named them)."""
    writes = make_cache(settings.cache, purpose="writes", max_entries=WRITERS_REMEMBERED)
    database = engine.url.render_as_string(hide_password=True)

    def _user() -> int | None:
        principal = flask.g.get("principal")
        return None if principal is None else int(principal.user_id)

    def before() -> None:
        user = _user()
        seen = None if user is None else writes.get((database, user))
        flask.g.replica_token = wanted_lsn.set(int(seen) if seen else None)

    def after(response: flask.Response) -> flask.Response:
        request = flask.request
        user = _user()
        wrote = request.method in UNSAFE and response.status_code < 400
        if user is not None and wrote and not request.path.startswith(_DASH_PREFIX):
            writes.put((database, user), str(primary_lsn(engine)).encode())
        return response

    def teardown(_exc: BaseException | None) -> None:
        token = flask.g.pop("replica_token", None)
        if token is not None:
            wanted_lsn.reset(token)

    server.before_request(before)
    server.after_request(after)
    server.teardown_request(teardown)
