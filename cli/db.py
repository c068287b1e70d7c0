"""``battlemap db init|status``: create or upgrade the schema."""

from __future__ import annotations

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
