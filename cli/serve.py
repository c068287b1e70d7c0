"""``battlemap serve [--host H] [--port P]``: the web app under waitress."""

from __future__ import annotations

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
def serve(host: str | None, port: int | None, threads: int | None) -> None:
    """Start the web app (the pages and GET /health) with the waitress WSGI server."""
    import waitress

    from app import create_app

    settings = context.settings()
    host = host or settings.app.host
    port = port or settings.app.port
    threads = threads or settings.app.threads
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
