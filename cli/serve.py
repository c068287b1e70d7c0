"""``battlemap serve [--host H] [--port P] [--check-port]``: the web app under waitress."""

from __future__ import annotations

import errno
import socket

import click

from cli import context
from geo.db import check_connection, make_engine, warm_pool
from geo.errors import DatabaseUnavailable


@click.command("serve")
@click.option("--host", help="Interface to bind (default: BATTLEMAP_HOST, 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port to listen on (default: BATTLEMAP_PORT, 8050)."
)
@click.option("--threads", type=click.IntRange(min=1), help="Worker threads (default: BATTLEMAP_THREADS, 8).")
@click.option(
    "--check-port", is_flag=True, help="Only check that the port is free (exit 1, saying what to do, if not)."
)
def serve(host: str | None, port: int | None, threads: int | None, check_port: bool) -> None:
    """Start the web app (the pages and GET /health) with the waitress WSGI server.

    The port is checked first: when it is taken, nothing starts and the message says what to do.
    """
    settings = context.settings()
    host = host or settings.app.host
    port = port or settings.app.port
    threads = threads or settings.app.threads
    ensure_port_free(host, port)
    if check_port:
        click.echo(f"port {port} on {host} is free")
        return

    import waitress

    from app import create_app

    engine = make_engine(settings.database, serving=True)
    try:
        click.echo(f"database: postgis {check_connection(engine)}")
        warm_pool(engine, min(threads, settings.database.pool_size))
    except DatabaseUnavailable as exc:
        # Serve anyway: the pages and /health say what is wrong and recover when the database returns.
        # The operator may see where the database is; the app's answers never say it.
        click.echo(f"warning: {exc} ({engine.url.render_as_string(hide_password=True)})", err=True)
    click.echo(f"serving battlemap on http://{host}:{port}/ (Ctrl+C to stop)")
    app = create_app(settings, engine=engine)
    waitress.serve(app.server, host=host, port=port, threads=threads, ident="battlemap")


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
