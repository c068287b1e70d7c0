"""``battlemap db init|status|overview|role create|replica create``: the schema, the precomputed
overviews, the role the app connects as, and standbys."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli import context
from etl import schema
from geo.db import check_connection


@click.group()
def db() -> None:
    """Create, upgrade and inspect the PostGIS schema."""


@db.command("init")
def init() -> None:
    """Create the database (with PostGIS) if missing and upgrade the schema to the newest revision."""
    engine = context.engine()
    before, after = schema.upgrade(engine)
    url = engine.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"schema of {url} is up to date (revision {after})")
    else:
        click.echo(f"schema of {url} upgraded from {before or 'empty'} to {after}")


@db.command("status")
def status() -> None:
    """Print the PostGIS version and the schema revision."""
    engine = context.engine(create=False)
    version = check_connection(engine)
    with engine.connect() as conn:
        current = schema.current_revision(conn)
    click.echo(f"postgis {version}; schema revision {current or 'none'} (newest {schema.head_revision()})")


@db.command("overview")
@click.option("--rebuild", is_flag=True, help="Recompute every building's figures from the history.")
def overview(rebuild: bool) -> None:
    """Bring the precomputed status overviews up to date after writes made outside ``battlemap load``.

    Loads settle the overviews themselves; a table written with SQL (a restore, another tool) leaves
    its buildings pending, and until they are settled every map and KPI reads the live, slower path.
    """
    from geo.status.overview import rebuild as rebuild_all
    from geo.status.overview import settle

    with context.engine(create=False).begin() as conn:
        settled = rebuild_all(conn) if rebuild else settle(conn)
    click.echo(f"overviews up to date: {settled:,} buildings {'recomputed' if rebuild else 'settled'}")


@db.group("role")
def role() -> None:
    """The database role the web app connects as (least privilege: no DDL, append-only audit log)."""


@role.command("create")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the role's password from the first line of stdin.")
@click.option("--generate-password", is_flag=True, help="Generate a random password (printed in the URL).")
def role_create(name: str, password_stdin: bool, generate_password: bool) -> None:
    """Create login role NAME for `battlemap serve` (or update its rights; idempotent).

    Run it as the database's owner (the one that runs `db init`), after `db init`. The last line
    of the output is the DATABASE_URL to serve with, e.g.
    DATABASE_URL="$(battlemap db role create battlemap_app --generate-password | tail -n 1)" battlemap serve
    """
    from geo.auth import new_password
    from geo.db import grant_app_role

    if password_stdin and generate_password:
        raise click.UsageError("give --password-stdin or --generate-password, not both")
    password = None
    if generate_password:
        password = new_password()
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")  # not click.get_text_stream: see cli/users.py
    engine = context.engine()
    schema.upgrade(engine)
    with engine.begin() as conn:
        created = grant_app_role(conn, name, password=password)
    url = engine.url.set(username=name, password=password)
    click.echo(
        f"role {name} {'created' if created else 'updated'}: reads everything, writes the data tables, "
        "only appends to audit_log; no TRUNCATE, no DDL. Serve with this DATABASE_URL:"
    )
    click.echo(url.render_as_string(hide_password=False))


@db.group("replica")
def replica() -> None:
    """Local hot standbys of the database's server, for trying read replicas on one machine."""


@replica.command("create")
@click.option("--port", type=click.IntRange(1, 65535), required=True, help="Port the standby listens on.")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    help="Where the standby's data goes (default: /var/lib/battlemap/standby-PORT).",
)
def replica_create(port: int, data_dir: Path | None) -> None:
    """Copy the primary (DATABASE_URL's server) with pg_basebackup and start it as a streaming standby.

    Prints the standby's URL for BATTLEMAP_DATABASE_READ_URLS.
    """
    from geo.clusters import create_standby

    url = context.settings().database.sqlalchemy_url
    target = data_dir or Path(f"/var/lib/battlemap/standby-{port}")
    standby = create_standby(url.host or "127.0.0.1", url.port or 5432, target, port)
    click.echo(f"standby of {url.host}:{url.port} streaming on port {port}, data in {target}")
    click.echo(standby.url_of(url.database or "battlemap"))
