"""``battlemap overlays list|approve|delete``: the overlays analysts publish from notebooks.

The person at the command line is trusted with the database (``geo.audit.cli_actor``): they approve an
overlay for the wall as a commander would, and delete any overlay as an admin. Both are audited.
"""

from __future__ import annotations

import click

from cli import context
from etl.schema import upgrade
from geo.audit import cli_actor
from geo.overlays.registry import approve_overlay, delete_overlay, list_overlays


@click.group("overlays")
def overlays() -> None:
    """Overlays published from notebooks: list, approve for the wall, delete.

    Analysts publish them with layers.notebook.publish; the wall shows one once it is approved.
    """


@overlays.command("list")
def list_() -> None:
    """Every published overlay: name, author, features, geometry, audience and approval."""
    engine = context.engine()
    upgrade(engine)
    with engine.connect() as conn:
        found = list_overlays(conn)
    if not found:
        click.echo("no overlays are published; analysts publish them with layers.notebook.publish")
        return
    click.echo("name\tauthor\tcreated\tfeatures\tgeometry\tcolour\tshared with\twall")
    for o in found:
        shared = ",".join((*o.share_roles, *o.share_users)) or "-"
        wall = (
            f"approved by {o.approved_by} {o.approved_at:%Y-%m-%d %H:%M}" if o.approved_at else "not approved"
        )
        created = f"{o.created_at:%Y-%m-%d %H:%M}"
        click.echo(
            f"{o.name}\t{o.author}\t{created}\t{o.feature_count}\t{o.geometry_type}\t{o.colour}\t{shared}\t{wall}"
        )


@overlays.command("approve")
@click.argument("name")
def approve(name: str) -> None:
    """Approve overlay NAME for the wall (it shows there on the wall's next refresh)."""
    engine = context.engine()
    upgrade(engine)
    with engine.begin() as conn:
        overlay = approve_overlay(conn, name, cli_actor())
    click.echo(f"overlay {overlay.name} is approved for the wall (by {overlay.approved_by})")


@overlays.command("delete")
@click.argument("name")
def delete(name: str) -> None:
    """Delete overlay NAME: its features and its registry row."""
    engine = context.engine()
    upgrade(engine)
    with engine.begin() as conn:
        delete_overlay(conn, name, cli_actor())
    click.echo(f"overlay {name} is deleted")
