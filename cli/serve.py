"""``battlemap serve [--host H] [--port P] [--threads T] [--workers N] [--check-port]``: the web app.

The port is checked first: when it is taken nothing starts, and the message says what to do.

One process serves with waitress; ``--workers N`` (N > 1) runs N processes under gunicorn, each
with its own engine and pool (made after the fork: connections are never shared between
processes) and ``--threads`` threads. With ``BATTLEMAP_REDIS_URL`` set they share one tile and KPI
cache; sessions, sign-in throttling and the audit log are in the database, so any process may
answer any request.
"""

from __future__ import annotations

import errno
import secrets
import socket
from typing import Any

import click
from gunicorn.app.base import BaseApplication
from pydantic import SecretStr
from sqlalchemy import Engine

from cli import context
from geo import tiles
from geo.db import check_connection, make_engine, warm_pool
from geo.errors import DatabaseUnavailable
from geo.settings import Settings


@click.command("serve")
@click.option("--host", help="Interface to bind (default: BATTLEMAP_HOST, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port to listen on (default: BATTLEMAP_PORT, 8050)."
)
@click.option(
    "--threads", type=click.IntRange(min=1), help="Threads per process (default: BATTLEMAP_THREADS, 8)."
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="App processes (default: BATTLEMAP_WORKERS, 1); more than 1 runs gunicorn.",
)
@click.option(
    "--check-port", is_flag=True, help="Only check that the port is free (exit 1, saying what to do, if not)."
)
def serve(
    host: str | None, port: int | None, threads: int | None, workers: int | None, check_port: bool
) -> None:
    """Start the web app (the pages and GET /health).

    A taken port stops it before anything starts, saying what to do.
    """
    settings = context.settings()
    host = host or settings.app.host
    port = port or settings.app.port
    threads = threads or settings.app.threads
    workers = workers or settings.app.workers
    ensure_port_free(host, port)
    if check_port:
        click.echo(f"port {port} on {host} is free")
        return
    if workers > 1 and not settings.cache.redis_url:
        click.echo("note: BATTLEMAP_REDIS_URL is unset: each process keeps its own tile cache", err=True)
    if workers > 1 and settings.auth.secret_key is None:
        # One signing key for all the processes, made before they fork: a session begun in one
        # must be valid in the others (without it each would make its own).
        settings.auth = settings.auth.model_copy(update={"secret_key": SecretStr(secrets.token_hex(32))})
        click.echo(
            "note: BATTLEMAP_AUTH_SECRET_KEY is unset: sign-ins last until this server stops", err=True
        )
    click.echo(f"serving battlemap on http://{host}:{port}/ (Ctrl+C to stop)")
    if workers == 1:
        _waitress(settings, host, port, threads)
    else:
        _Gunicorn(settings, bind=f"{host}:{port}", workers=workers, threads=threads).run()


def _engine(settings: Settings, threads: int) -> Engine:
    """The serving engine, its pool warmed; the app serves even while the database is down."""
    engine = make_engine(settings.database, serving=True)
    try:
        click.echo(f"database: postgis {check_connection(engine)}")
        warm_pool(engine, min(threads, settings.database.pool_size), warm_up=tiles.warm_up)
    except DatabaseUnavailable as exc:
        # The pages and /health say what is wrong and recover when the database returns. The
        # operator may see where the database is; the app's answers never say it.
        click.echo(f"warning: {exc} ({engine.url.render_as_string(hide_password=True)})", err=True)
    return engine


def _waitress(settings: Settings, host: str, port: int, threads: int) -> None:
    import waitress

    from app import create_app

    app = create_app(settings, engine=_engine(settings, threads))
    waitress.serve(app.server, host=host, port=port, threads=threads, ident="battlemap")


class _Gunicorn(BaseApplication):
    """gunicorn run from here, not from its command line: each worker builds the app after the fork."""

    def __init__(self, settings: Settings, **options: Any) -> None:
        self._settings = settings
        self._threads = int(options["threads"])
        self._options = options | {"worker_class": "gthread", "accesslog": None, "preload_app": False}
        super().__init__()

    def load_config(self) -> None:
        for name, value in self._options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        from app import create_app

        return create_app(self._settings, engine=_engine(self._settings, self._threads)).server


def ensure_port_free(host: str, port: int) -> None:
    """Raise a one-line ``ClickException`` (exit 1) when ``host:port`` cannot be bound: already in
    use (another battlemap, or anything else) or not allowed; the message names the fix."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise click.ClickException(
                    f"port {port} on {host} is already in use (is battlemap running already? "
                    f"`ss -ltnp 'sport = :{port}'` shows what holds it): stop it, or choose another port, "
                    f"e.g. BATTLEMAP_PORT={port + 1} make demo (or battlemap serve --port {port + 1})"
                ) from None
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
